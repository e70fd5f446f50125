"""Computing due instants: a deadline is resolved once, when its start event happens.

:func:`compute_due` returns the due instant together with the rule version, the calendar
version and every non-working day that was skipped, so the result can be stored on an event
and explained later without recomputing. Counting conventions are documented in
``docs/calendar.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from hgkm_workflow.clock import as_utc
from hgkm_workflow.domain.calendar import (
    SkippedDay,
    WorkingDayCalendar,
    amsterdam_zone,
    default_calendar,
    end_of_local_day,
    local_date,
)
from hgkm_workflow.domain.deadline_rules import DeadlineRule, Unit

_ZONE = "Europe/Amsterdam"
_START_DAY_LABELS = {"MeldingReceived": "day of receipt", "HuisverbodImposed": "day of imposition"}


@dataclass(frozen=True, slots=True)
class DueComputation:
    """A resolved deadline: when it is due, and how that was counted.

    Attributes:
        rule_id: E.g. "T1".
        rule_name: E.g. "veiligheidsbeoordeling".
        rule_version: Version of the rule used.
        rule_variant: "national" or the region that overrode the rule.
        start: The instant counted from, in UTC.
        due: The last instant that is still on time, in UTC.
        counting: Plain-language account of the count, with the concrete days.
        calendar_version: Version of the working-day calendar used.
        skipped: Non-working days passed over (or run on over), with reasons.
        checkpoint: For a check-point (T4): its offset in the rule's unit; else None.
    """

    rule_id: str
    rule_name: str
    rule_version: int
    rule_variant: str
    start: datetime
    due: datetime
    counting: str
    calendar_version: str
    skipped: tuple[SkippedDay, ...]
    checkpoint: int | None = None

    @property
    def due_local(self) -> datetime:
        """The due instant in Europe/Amsterdam time."""
        return self.due.astimezone(amsterdam_zone())

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form; instants are ISO 8601 with offset (UTC, and local for ``*_local``)."""
        return {
            "rule": self.rule_name,
            "rule_id": self.rule_id,
            "rule_version": self.rule_version,
            "variant": self.rule_variant,
            "start": self.start.isoformat(),
            "start_local": self.start.astimezone(amsterdam_zone()).isoformat(),
            "due": self.due.isoformat(),
            "due_local": self.due_local.isoformat(),
            "counting": self.counting,
            "calendar_version": self.calendar_version,
            "skipped": [{"date": s.date.isoformat(), "reason": s.reason} for s in self.skipped],
            "checkpoint": self.checkpoint,
        }


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _end_of_day_with_run_on(
    rule: DeadlineRule, end_day: date, cal: WorkingDayCalendar
) -> tuple[datetime, tuple[SkippedDay, ...], str]:
    """End of ``end_day`` (local), after Atw art. 1 run-on if the rule has it."""
    if not rule.atw_extends:
        return end_of_local_day(end_day), (), f"ends at end of {end_day} ({_ZONE}); no Atw run-on"
    day, skipped = cal.atw_run_on(end_day)
    if not skipped:
        return end_of_local_day(day), (), f"ends at end of {day} ({_ZONE}), a working day"
    note = (
        f"{end_day} is not a working day ({skipped[0].reason}), so under Atw art. 1 the term "
        f"runs on to the end of {day} ({_ZONE})"
    )
    return end_of_local_day(day), skipped, note


def _resolve(
    rule: DeadlineRule, length: int, start: datetime, cal: WorkingDayCalendar
) -> tuple[datetime, tuple[SkippedDay, ...], str]:
    """Compute (due, skipped, counting) for ``length`` units of ``rule.unit`` from ``start``."""
    d0 = local_date(start)
    day_label = _START_DAY_LABELS.get(rule.count_start_event, "start day")
    counted = rule.counts_start_day
    start_note = f"{day_label} {d0} {'counted as day 1' if counted else 'not counted'}"
    unit = rule.unit
    if unit is Unit.WORKING_DAYS:
        if counted and not cal.is_working_day(d0):
            counted = False
            start_note = f"{day_label} {d0} not a working day, so not counted"
        day, skipped = cal.add_working_days(d0, length - 1 if counted else length)
        text = (
            f"{length} working days; {start_note}; ends at end of the {_ordinal(length)} "
            f"working day, {day} ({_ZONE}); {len(skipped)} non-working day(s) skipped"
        )
        return end_of_local_day(day), skipped, text
    if unit is Unit.HOURS:
        text = f"{length} hours from the start instant, counted exactly; Atw does not apply"
        return start + timedelta(hours=length), (), text
    shift = timedelta(days=-1 if counted else 0)
    if unit is Unit.WEEKS:
        end_day = d0 + timedelta(weeks=length) + shift
        head = f"{length} weeks; {start_note}; same weekday {length} weeks later"
    elif unit is Unit.MONTHS:
        end_day = d0 + relativedelta(months=length) + shift
        head = f"{length} months; {start_note}; same day of the month {length} months later"
    elif rule.end_of_day:
        end_day = d0 + timedelta(days=length) + shift
        head = f"{length} calendar days; {start_note}"
    else:
        local_start = start.astimezone(amsterdam_zone())
        due = as_utc(local_start + timedelta(days=length))
        text = (
            f"{length} calendar days from the start instant: the same {_ZONE} wall-clock time "
            f"({local_start.strftime('%H:%M')}) {length} days later, DST-aware"
        )
        if not rule.atw_extends or cal.is_working_day(local_date(due)):
            return due, (), text + ("" if rule.atw_extends else "; no Atw run-on")
        end_day = local_date(due)
        head = text
    due, skipped, tail = _end_of_day_with_run_on(rule, end_day, cal)
    return due, skipped, f"{head}; {tail}"


def compute_due(
    rule: DeadlineRule, start: datetime, calendar: WorkingDayCalendar | None = None
) -> DueComputation:
    """Resolve the due instant of ``rule`` for a count starting at ``start``.

    Conventions (see ``docs/calendar.md``): working days end at the end of the N-th working
    day after the local start day; weeks and months end at the end of the matching local day,
    then Atw art. 1 run-on if the rule has it; calendar days keep the wall-clock time (or end
    at the end of the day when the rule says so); hours are exact.

    Args:
        rule: The rule to apply.
        start: Aware instant of the rule's ``count_start_event``.
        calendar: Working-day calendar; defaults to the newest published version.

    Returns:
        The resolved deadline, with rule and calendar versions and skipped days.
    """
    cal = calendar if calendar is not None else default_calendar()
    start_utc = as_utc(start)
    return _computation(rule, cal, start_utc, _resolve(rule, rule.length, start_utc, cal))


def _computation(
    rule: DeadlineRule,
    cal: WorkingDayCalendar,
    start: datetime,
    resolved: tuple[datetime, tuple[SkippedDay, ...], str],
    checkpoint: int | None = None,
) -> DueComputation:
    due, skipped, counting = resolved
    return DueComputation(
        rule_id=rule.id,
        rule_name=rule.name,
        rule_version=rule.version,
        rule_variant=rule.variant,
        start=start,
        due=due,
        counting=counting,
        calendar_version=cal.version,
        skipped=skipped,
        checkpoint=checkpoint,
    )


def checkpoint_dues(
    rule: DeadlineRule, start: datetime, calendar: WorkingDayCalendar | None = None
) -> list[DueComputation]:
    """Resolve each check-point of ``rule`` (e.g. T4 at 3, 6, 12 months), counted like the rule.

    Returns:
        One :class:`DueComputation` per check-point, in order (empty if there are none).
    """
    cal = calendar if calendar is not None else default_calendar()
    start_utc = as_utc(start)
    result: list[DueComputation] = []
    for offset in rule.checkpoints:
        due, skipped, counting = _resolve(rule, offset, start_utc, cal)
        text = f"check-point after {offset} {rule.unit.value}: {counting}"
        result.append(_computation(rule, cal, start_utc, (due, skipped, text), offset))
    return result


def lateness(due: datetime, at: datetime) -> timedelta | None:
    """Return how late ``at`` is against ``due``, or None when on time (``at <= due``)."""
    due_utc, at_utc = as_utc(due), as_utc(at)
    return None if at_utc <= due_utc else at_utc - due_utc
