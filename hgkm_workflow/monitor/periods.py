"""Monitor periods: Amsterdam calendar years, half-years, quarters and months.

A period runs from local midnight of its first day up to (excluding) local midnight after its
last day; it is written ``2025`` (year), ``2025H1`` (half-year), ``2025Q2`` (quarter) or
``2025-03`` (month).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import ClassVar

from hgkm_workflow.domain.calendar import amsterdam_zone, local_date
from hgkm_workflow.errors import HgkmError


class InvalidPeriod(HgkmError):
    """A period is not written as 2025, 2025H1, 2025Q2 or 2025-03."""

    code = "INVALID_PERIOD"
    default_rule = "monitor periods: YYYY, YYYYH1-2, YYYYQ1-4, YYYY-MM"


@dataclass(frozen=True, order=True)
class Period:
    """An Amsterdam calendar period: a year, half-year, quarter or month.

    Attributes:
        first_day: The first day of the period.
        months: Its length in months (12, 6, 3 or 1).
    """

    first_day: date
    months: int

    _PATTERNS: ClassVar[tuple[tuple[re.Pattern[str], int], ...]] = (
        (re.compile(r"^(\d{4})$"), 12), (re.compile(r"^(\d{4})H([12])$"), 6),
                 (re.compile(r"^(\d{4})Q([1-4])$"), 3), (re.compile(r"^(\d{4})-(\d{2})$"), 1))

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``2025``, ``2025H1``, ``2025Q2`` or ``2025-03`` (case-insensitive).

        Raises:
            InvalidPeriod: If the text is none of these.
        """
        value = text.strip().upper()
        for pattern, months in cls._PATTERNS:
            match = pattern.match(value)
            if match is None:
                continue
            year = int(match.group(1))
            index = int(match.group(2)) if match.lastindex and match.lastindex > 1 else 1
            if months == 1 and not 1 <= index <= 12:
                break
            if not 2000 <= year <= 2099:
                break
            return cls(date(year, (index - 1) * months + 1, 1), months)
        # the text itself is not repeated: an error message carries no input values
        raise InvalidPeriod("unknown period: expected 2025, 2025H1, 2025Q2 or 2025-03")

    @classmethod
    def containing(cls, instant: datetime, months: int = 6) -> Period:
        """The period of the given length (default a half-year) holding ``instant``."""
        day = local_date(instant)
        return cls(date(day.year, (day.month - 1) // months * months + 1, 1), months)

    @property
    def label(self) -> str:
        """``2025``, ``2025H1``, ``2025Q2`` or ``2025-03``."""
        y, m = self.first_day.year, self.first_day.month
        return {12: f"{y}", 6: f"{y}H{(m - 1) // 6 + 1}", 3: f"{y}Q{(m - 1) // 3 + 1}",
                1: f"{y}-{m:02d}"}[self.months]

    @property
    def end_day(self) -> date:
        """The first day after the period."""
        index = self.first_day.year * 12 + self.first_day.month - 1 + self.months
        return date(index // 12, index % 12 + 1, 1)

    @property
    def start(self) -> datetime:
        """Local midnight of the first day, as UTC."""
        return _local_midnight(self.first_day)

    @property
    def end(self) -> datetime:
        """Local midnight after the last day, as UTC (exclusive)."""
        return _local_midnight(self.end_day)

    def shifted(self, steps: int) -> Period:
        """The period ``steps`` periods of the same length later (earlier if negative)."""
        index = self.first_day.year * 12 + self.first_day.month - 1 + steps * self.months
        return Period(date(index // 12, index % 12 + 1, 1), self.months)

    def split(self, months: int) -> list[Period]:
        """The sub-periods of ``months`` months that make up this period."""
        first = Period(self.first_day, months)
        return [first.shifted(i) for i in range(max(1, self.months // months))]


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=amsterdam_zone()).astimezone(UTC)
