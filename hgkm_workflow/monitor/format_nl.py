"""Dutch number, percentage, date and period formats for the monitor report.

Decimal comma, thousands with a dot (``1.234,5``), percentages as ``12,3%``, dates as
``3 december 2026``, periods as ``1e kwartaal 2025``. Written here rather than taken from
``babel`` (not a dependency), and small enough to test completely.
"""

from __future__ import annotations

import math
from datetime import date

from hgkm_workflow.monitor.periods import Period

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december")
MONTHS_SHORT = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov",
                "dec")
#: Absent value: an en dash, never ``NaN`` or ``None``.
ABSENT = "–"


def number(x: float | None, decimals: int = 0) -> str:
    """A number in Dutch notation: ``1.234``, ``3,2``, ``-1.000,50``.

    Args:
        x: The number; ``None`` gives an en dash.
        decimals: Digits after the decimal comma.
    """
    if x is None or math.isnan(x):  # NaN is never shown
        return ABSENT
    text = f"{abs(x):,.{decimals}f}"
    if text.strip("0.,") == "":  # no "-0"
        x = 0.0
    text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return ("-" if x < 0 else "") + text


def percent(share: float | None, decimals: int = 1) -> str:
    """A share (0–1) as a Dutch percentage: ``12,3%``; ``None`` gives an en dash."""
    if share is None or math.isnan(share):
        return ABSENT
    return number(share * 100, decimals) + "%"


def days(x: float | None) -> str:
    """A number of days with one decimal: ``3,2 dagen`` (``1,0 dag``)."""
    if x is None or math.isnan(x):
        return ABSENT
    text = number(x, 1)
    return f"{text} dag" if text == "1,0" else f"{text} dagen"


def amount(x: float | None) -> str:
    """A count or sum: whole numbers without decimals, others with two."""
    if x is None:
        return ""
    return number(x) if float(x).is_integer() else number(x, 2)


def long_date(day: date) -> str:
    """``3 december 2026``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def short_date(day: date) -> str:
    """``3 dec``: for tight chart labels."""
    return f"{day.day} {MONTHS_SHORT[day.month - 1]}"


def period_name(period: Period) -> str:
    """``2025``, ``1e halfjaar 2025``, ``2e kwartaal 2025`` or ``maart 2025``."""
    y, m = period.first_day.year, period.first_day.month
    if period.months == 12:
        return str(y)
    if period.months == 6:
        return f"{(m - 1) // 6 + 1}e halfjaar {y}"
    if period.months == 3:
        return f"{(m - 1) // 3 + 1}e kwartaal {y}"
    return f"{MONTHS[m - 1]} {y}"


def axis_label(label: str) -> tuple[str, str]:
    """A chart axis label in two lines from a period label: ``("1e hj", "2025")``,
    ``("mrt", "2025")``, ``("2e kw", "2025")`` or ``("2025", "")``."""
    p = Period.parse(label)
    y, m = p.first_day.year, p.first_day.month
    if p.months == 6:
        return f"{(m - 1) // 6 + 1}e hj", str(y)
    if p.months == 3:
        return f"{(m - 1) // 3 + 1}e kw", str(y)
    if p.months == 1:
        return MONTHS_SHORT[m - 1], str(y)
    return str(y), ""
