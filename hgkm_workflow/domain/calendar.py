"""Working-day calendar under the Algemene termijnenwet (Atw), data-driven and versioned.

A day is a working day unless it is a Saturday, a Sunday or an Atw holiday:

* art. 3(1): Nieuwjaarsdag, tweede Paasdag, Hemelvaartsdag, tweede Pinksterdag, eerste en
  tweede Kerstdag, Koningsdag (27 April; 26 April when the 27th is a Sunday) and 5 mei;
* art. 3(2): Goede Vrijdag;
* art. 3(3): days added by decree (:class:`~hgkm_workflow.domain.calendar_data.Decree`), which are
  data: every set of decrees is a calendar version, and old versions stay available so a
  deadline can be explained and replayed with the calendar it was computed with.

Day boundaries are those of Europe/Amsterdam; instants are aware datetimes normalised to UTC.
The time zone is looked up lazily, never at import time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from dateutil.easter import easter

from hgkm_workflow.clock import as_utc
from hgkm_workflow.domain.calendar_data import BASE_VERSION, CALENDAR_VERSIONS, Decree
from hgkm_workflow.errors import RuleViolation

__all__ = [
    "Decree",
    "SkippedDay",
    "WorkingDayCalendar",
    "amsterdam_zone",
    "available_versions",
    "calendar_by_version",
    "default_calendar",
    "end_of_local_day",
    "local_date",
    "start_of_local_day",
]

ZONE_NAME = "Europe/Amsterdam"
_ART_3_1 = "(Atw art. 3(1))"
_WEEKEND = {5: "Saturday", 6: "Sunday"}
_LAST_MICROSECOND = time(23, 59, 59, 999999)


@cache
def amsterdam_zone() -> ZoneInfo:
    """Return the Europe/Amsterdam time zone (looked up on first use, then cached)."""
    return ZoneInfo(ZONE_NAME)


def local_date(instant: datetime) -> date:
    """Return the Europe/Amsterdam calendar date of an aware instant.

    Args:
        instant: An aware datetime in any zone.

    Returns:
        The Amsterdam date; e.g. 2026-03-28T23:30Z is already 2026-03-29 in Amsterdam.

    Raises:
        ValueError: If ``instant`` is naive.
    """
    return as_utc(instant).astimezone(amsterdam_zone()).date()


def start_of_local_day(d: date) -> datetime:
    """Return the first instant (00:00 local) of Amsterdam day ``d``, as UTC."""
    _require_date(d)
    return as_utc(datetime.combine(d, time(0, 0), tzinfo=amsterdam_zone()))


def end_of_local_day(d: date) -> datetime:
    """Return the last instant of Amsterdam day ``d`` (23:59:59.999999 local), as UTC.

    DST-correct: in summer the result is 21:59:59.999999Z, in winter 22:59:59.999999Z.
    """
    _require_date(d)
    return as_utc(datetime.combine(d, _LAST_MICROSECOND, tzinfo=amsterdam_zone()))


def _require_date(d: date) -> None:
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError("expected a datetime.date (a calendar day), not an instant")


@dataclass(frozen=True, slots=True)
class SkippedDay:
    """A non-working day passed over while counting, with the reason it does not count."""

    date: date
    reason: str


@lru_cache(maxsize=512)
def _statutory_days(year: int) -> dict[date, tuple[str, ...]]:
    """Atw art. 3(1) and 3(2) holidays of ``year`` (date -> reasons; two may coincide)."""
    e = easter(year)
    koningsdag = date(year, 4, 27)
    if koningsdag.weekday() == 6:
        koningsdag = date(year, 4, 26)
    entries = [
        (date(year, 1, 1), f"Nieuwjaarsdag {_ART_3_1}"),
        (e - timedelta(days=2), "Goede Vrijdag (Atw art. 3(2))"),
        (e + timedelta(days=1), f"Tweede Paasdag {_ART_3_1}"),
        (koningsdag, f"Koningsdag {_ART_3_1}"),
        (date(year, 5, 5), f"Bevrijdingsdag, 5 mei {_ART_3_1}"),
        (e + timedelta(days=39), f"Hemelvaartsdag {_ART_3_1}"),
        (e + timedelta(days=50), f"Tweede Pinksterdag {_ART_3_1}"),
        (date(year, 12, 25), f"Eerste Kerstdag {_ART_3_1}"),
        (date(year, 12, 26), f"Tweede Kerstdag {_ART_3_1}"),
    ]
    table: dict[date, tuple[str, ...]] = {}
    for day, reason in entries:
        table[day] = (*table.get(day, ()), reason)
    return table


@lru_cache(maxsize=1024)
def _holiday_table(decrees: tuple[Decree, ...], year: int) -> dict[date, tuple[str, ...]]:
    """All Atw holidays of ``year`` under ``decrees`` (date -> reasons)."""
    table = dict(_statutory_days(year))
    for decree in decrees:
        for day in decree.dates:
            if day.year == year:
                table[day] = (*table.get(day, ()), f"{decree.name} (Atw art. 3(3))")
    return table


def _next_version(version: str) -> str:
    """Bump a version string deterministically: "atw-1" -> "atw-2"; "x" -> "x-1"."""
    match = re.fullmatch(r"(.*?)(\d+)", version)
    if match is None:
        return f"{version}-1"
    return f"{match.group(1)}{int(match.group(2)) + 1}"


@lru_cache(maxsize=4096)
def _add_working_days(cal: WorkingDayCalendar, d: date, n: int
                      ) -> tuple[date, tuple[SkippedDay, ...]]:
    # Memoised per calendar *value* (version and decrees: a changed calendar is another key),
    # start day and count: every melding of a day with the same rule counts the same days.
    skipped: list[SkippedDay] = []
    day = d
    remaining = n
    while remaining > 0:
        day += timedelta(days=1)
        reason = cal.non_working_reason(day)
        if reason is None:
            remaining -= 1
        else:
            skipped.append(SkippedDay(day, reason))
    return day, tuple(skipped)


@dataclass(frozen=True, slots=True)
class WorkingDayCalendar:
    """An Atw working-day calendar: the statutory holidays plus a set of decrees.

    Attributes:
        version: Identifies the set of decrees (e.g. "atw-2"); recorded with every deadline.
        decrees: The decrees (Atw art. 3(3)) whose days count as holidays.
    """

    version: str
    decrees: tuple[Decree, ...] = ()

    @property
    def decree_years(self) -> frozenset[int]:
        """Years for which this calendar holds a decree (later years may still get one)."""
        return frozenset(y for decree in self.decrees for y in decree.years)

    def holidays(self, year: int) -> list[tuple[date, str]]:
        """List the Atw holidays of ``year`` (including decreed days), in date order.

        Holidays that fall on a weekend are listed too. When two coincide (e.g. Hemelvaart on
        5 May) the reasons are joined with "; ".
        """
        table = _holiday_table(self.decrees, year)
        return [(day, "; ".join(table[day])) for day in sorted(table)]

    def non_working_reason(self, d: date) -> str | None:
        """Explain why ``d`` is not a working day, or return None if it is one.

        Examples: "Saturday", "Tweede Paasdag (Atw art. 3(1))", "Goede Vrijdag (Atw art. 3(2))",
        "Besluit gelijkstelling van ... (Atw art. 3(3))", "Sunday; Bevrijdingsdag, 5 mei (...)".
        """
        _require_date(d)
        reasons: list[str] = []
        weekend = _WEEKEND.get(d.weekday())
        if weekend is not None:
            reasons.append(weekend)
        reasons.extend(_holiday_table(self.decrees, d.year).get(d, ()))
        return "; ".join(reasons) if reasons else None

    def is_working_day(self, d: date) -> bool:
        """Return True if ``d`` is neither a weekend day nor an Atw holiday."""
        return self.non_working_reason(d) is None

    def add_working_days(self, d: date, n: int) -> tuple[date, tuple[SkippedDay, ...]]:
        """Return the ``n``-th working day after ``d`` and the non-working days passed over.

        ``d`` itself is never counted (whether or not it is a working day). ``n == 0`` returns
        ``d`` unchanged with nothing skipped.

        Raises:
            ValueError: If ``n`` is negative.
        """
        _require_date(d)
        if n < 0:
            raise ValueError("n must be zero or positive")
        return _add_working_days(self, d, n)

    def atw_run_on(self, d: date) -> tuple[date, tuple[SkippedDay, ...]]:
        """Apply Atw art. 1: a term ending on a non-working day runs on to the next working day.

        Returns:
            ``(d, ())`` if ``d`` is a working day; otherwise the next working day and the
            non-working days (``d`` included) that the term ran on over.
        """
        _require_date(d)
        skipped: list[SkippedDay] = []
        day = d
        reason = self.non_working_reason(day)
        while reason is not None:
            skipped.append(SkippedDay(day, reason))
            day += timedelta(days=1)
            reason = self.non_working_reason(day)
        return day, tuple(skipped)

    def count_working_days(self, after: date, until: date) -> int:
        """Count the working days ``w`` with ``after < w <= until`` (0 if ``until <= after``)."""
        _require_date(after)
        _require_date(until)
        count = 0
        day = after + timedelta(days=1)
        while day <= until:
            if self.is_working_day(day):
                count += 1
            day += timedelta(days=1)
        return count

    def with_decree(self, decree: Decree) -> WorkingDayCalendar:
        """Return a new calendar with ``decree`` added and the version bumped ("atw-1" -> "atw-2").

        The bump is deterministic, so published versions are reproducible; a calendar built
        ad hoc (what-if) gets the same kind of version string, so only versions from
        :func:`calendar_by_version` should be recorded on deadlines.

        Raises:
            RuleViolation: ``DECREE_ALREADY_PRESENT`` if the decree, or one of its days under
                another decree, is already in this calendar.
        """
        known = {day for existing in self.decrees for day in existing.dates}
        if decree in self.decrees or known.intersection(decree.dates):
            raise RuleViolation(
                f"calendar {self.version} already contains decree '{decree.name}' or its days",
                rule="Atw art. 3(3)",
                code="DECREE_ALREADY_PRESENT",
            )
        return WorkingDayCalendar(_next_version(self.version), (*self.decrees, decree))


@cache
def _registry() -> dict[str, WorkingDayCalendar]:
    """Build the published versions by adding decrees one at a time (checked, on first use)."""
    registry: dict[str, WorkingDayCalendar] = {}
    current = WorkingDayCalendar(BASE_VERSION)
    for version, decrees in CALENDAR_VERSIONS:
        for decree in decrees[len(current.decrees) :]:
            current = current.with_decree(decree)
        if current.version != version or current.decrees != decrees:
            raise RuleViolation(
                f"calendar data is inconsistent at version {version}",
                rule="calendar_data.CALENDAR_VERSIONS",
                code="CALENDAR_DATA_INCONSISTENT",
            )
        registry[version] = current
    return registry


def available_versions() -> tuple[str, ...]:
    """Return the published calendar versions, oldest first."""
    return tuple(_registry())


def default_calendar() -> WorkingDayCalendar:
    """Return the newest published calendar version."""
    return _registry()[available_versions()[-1]]


def calendar_by_version(version: str) -> WorkingDayCalendar:
    """Return a published calendar version, e.g. "atw-1" (only the 2023-2025 decree).

    Raises:
        RuleViolation: ``UNKNOWN_CALENDAR_VERSION`` if no such version was published.
    """
    try:
        return _registry()[version]
    except KeyError:
        raise RuleViolation(
            f"unknown calendar version '{version}'; known: {', '.join(available_versions())}",
            rule="calendar-version-registry",
            code="UNKNOWN_CALENDAR_VERSION",
        ) from None
