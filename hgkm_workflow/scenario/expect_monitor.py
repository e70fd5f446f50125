"""Monitor figures as a scenario expectation: what this run added to the monitor.

``expect: {monitor: {period: 2026H1, figures: {meldingen: 3, classification.hermelding: 1/3}}}``
reads ``app.monitor`` (docs/monitor.md) with the runner's auditor access, which sees exact
cells. A store may hold other cases of the same region and period (other scenarios, and the
scenario's own straight run when it runs again with reloads), so the runner reads the same
figures at the same instant before its first step, and the expectation compares the
difference: the numerators and denominators this run added.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hgkm_workflow.access.models import Access
    from hgkm_workflow.application import HgkmApplication

__all__ = ["FigureCounts", "MonitorQuery", "check_monitor", "monitor_counts"]

_FRACTION = re.compile(r"^(\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)$")
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class MonitorQuery:
    """Which monitor a ``monitor:`` expectation reads: region, gemeente (or all) and period."""

    region: str
    gemeente: str | None
    period: str

    @classmethod
    def of(cls, want: Mapping[str, Any], region: str) -> MonitorQuery:
        """The query of an expectation; the region defaults to the scenario's."""
        return cls(str(want.get("region", region)), want.get("gemeente"), str(want["period"]))


FigureCounts = dict[str, tuple[float, float | None, str]]
"""Figure name → (numerator, denominator or None, unit)."""


def monitor_counts(app: HgkmApplication, query: MonitorQuery, access: Access) -> FigureCounts:
    """Every figure of the monitor for ``query`` at the clock's now, as counts."""
    report = app.monitor(query.region, query.gemeente, query.period, access=access)
    return {f.name: (f.numerator, f.denominator, f.unit) for f in report.figures}


def _value(numerator: float, denominator: float | None, unit: str) -> float | None:
    if denominator is None:
        return numerator
    return None if denominator == 0 else numerator / denominator


def _show(numerator: float, denominator: float | None) -> str | float:
    if denominator is None:
        return _number(numerator)
    return f"{_number(numerator)}/{_number(denominator)}"


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 6)


def check_monitor(now: FigureCounts, before: FigureCounts,
                  want: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """Compare this run's contribution (``now - before``) with the expected figures.

    A figure is written as a number (a count, or a share or average compared to 1e-9), as
    ``numerator/denominator`` (``1/3``: compared exactly), or ``null`` (nothing to divide by).
    """
    out: list[tuple[str, Any, Any]] = []
    for name, expected in (want.get("figures") or {}).items():
        what = f"monitor.{name}"
        if name not in now:
            out.append((what, expected, "no such figure in the monitor"))
            continue
        num, den, unit = now[name]
        num0, den0, _ = before.get(name, (0.0, None if den is None else 0.0, unit))
        num -= num0
        if den is not None:
            den -= den0 or 0.0
        value = _value(num, den, unit)
        if expected is None:
            if value is not None:
                out.append((what, None, _show(num, den)))
            continue
        match = _FRACTION.match(str(expected)) if isinstance(expected, str) else None
        if match is not None:
            if den is None or (float(match.group(1)), float(match.group(2))) != (num, den):
                out.append((what, expected, _show(num, den)))
            continue
        if value is None or abs(float(expected) - value) > _TOLERANCE:
            out.append((what, expected, _show(num, den)))
    return out
