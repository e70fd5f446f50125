"""Statutory and agreed time limits: computing due instants, regional overrides, explanations.

A deadline is resolved once, when its start event happens: :func:`compute_due` returns the due
instant together with the rule version, the calendar version and every non-working day that
was skipped, so the result can be stored on an event and explained later without recomputing.
The rule data (T1-T11) is in :mod:`hgkm_workflow.domain.deadline_rules`; counting conventions are
documented in ``docs/calendar.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict

from hgkm_workflow.clock import as_utc
from hgkm_workflow.domain.calendar import (
    SkippedDay,
    WorkingDayCalendar,
    amsterdam_zone,
    default_calendar,
    end_of_local_day,
    local_date,
)
from hgkm_workflow.domain.deadline_rules import (
    NATIONAL_RULES,
    BreachEffect,
    DeadlineRule,
    RuleType,
    Unit,
)
from hgkm_workflow.errors import RuleViolation

__all__ = [
    "BreachEffect",
    "DeadlineRule",
    "DueComputation",
    "RuleBook",
    "RuleOverride",
    "RuleType",
    "Unit",
    "checkpoint_dues",
    "compute_due",
    "default_rulebook",
    "explain",
    "lateness",
    "render_rules_markdown",
]

_ZONE = "Europe/Amsterdam"
_START_DAY_LABELS = {"MeldingReceived": "day of receipt", "HuisverbodImposed": "day of imposition"}
_TYPE_LABELS = {
    RuleType.STATUTORY: "statutory (W)",
    RuleType.PROTOCOL: "national protocol (P)",
    RuleType.REGIONAL: "regional agreement (R)",
}


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


class RuleOverride(BaseModel):
    """A regional change to one rule; fields left None keep the rule's value.

    For statutory (W) rules only ``checkpoints`` and a documented alternative ``counts_from``
    may change; everything else raises ``STATUTORY_RULE_NOT_OVERRIDABLE``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    length: int | None = None
    checkpoints: tuple[int, ...] | None = None
    enabled: bool | None = None
    counts_from: str | None = None
    atw_extends: bool | None = None
    counts_start_day: bool | None = None


def _check_statutory(rule: DeadlineRule, changes: Mapping[str, object]) -> None:
    """Refuse overrides that would change what the law says (W rules)."""
    refused = [
        field
        for field, value in changes.items()
        if field in {"length", "atw_extends", "counts_start_day", "enabled"}
        or (field == "counts_from" and value not in (*rule.alternative_counts_from, rule.starts_on))
    ]
    if refused:
        raise RuleViolation(
            f"{rule.id} ({rule.name}) is a statutory rule: a region may not change "
            f"{', '.join(sorted(refused))} (only check-points or a documented alternative start)",
            rule=f"{rule.id} {rule.name}",
            code="STATUTORY_RULE_NOT_OVERRIDABLE",
        )


@dataclass(frozen=True, slots=True)
class RuleBook:
    """An immutable, ordered set of deadline rules with unique ids and names."""

    rules: tuple[DeadlineRule, ...]

    def __post_init__(self) -> None:
        keys = [r.id for r in self.rules] + [r.name for r in self.rules]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise RuleViolation(
                f"duplicate rule ids or names: {duplicates}", rule="rulebook", code="INVALID_RULE"
            )

    def __iter__(self) -> Iterator[DeadlineRule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, id_or_name: str) -> DeadlineRule:
        """Return the rule with this id ("T1") or name ("veiligheidsbeoordeling").

        Raises:
            RuleViolation: ``UNKNOWN_RULE`` if there is no such rule.
        """
        for rule in self.rules:
            if id_or_name in (rule.id, rule.name):
                return rule
        raise RuleViolation(
            f"unknown rule '{id_or_name}'; known: {', '.join(r.name for r in self.rules)}",
            rule="rulebook",
            code="UNKNOWN_RULE",
        )

    def starting_on(self, event_name: str, *, include_disabled: bool = False) -> list[DeadlineRule]:
        """Rules that open a deadline when ``event_name`` happens (enabled ones by default)."""
        return [
            r for r in self.rules if r.starts_on == event_name and (r.enabled or include_disabled)
        ]

    def satisfied_by(
        self, event_name: str, *, include_disabled: bool = False
    ) -> list[DeadlineRule]:
        """Rules whose deadlines ``event_name`` closes (enabled ones by default)."""
        return [
            r
            for r in self.rules
            if event_name in r.satisfied_by and (r.enabled or include_disabled)
        ]

    def with_overrides(
        self, overrides: Mapping[str, RuleOverride], *, variant: str = "regional"
    ) -> RuleBook:
        """Return a new rule book with regional overrides applied.

        Each changed rule gets ``version + 1`` and ``variant``; rules whose values do not
        change are kept as they are.

        Args:
            overrides: Rule id or name -> override.
            variant: Who overrides, e.g. "region:rotterdam-rijnmond".

        Raises:
            RuleViolation: ``UNKNOWN_RULE`` for an unknown key; ``STATUTORY_RULE_NOT_OVERRIDABLE``
                when a W rule would be shortened, lengthened, disabled or lose Atw run-on (or
                change its counting otherwise); ``INVALID_RULE`` if the result is inconsistent.
        """
        replaced: dict[str, DeadlineRule] = {}
        for key, override in overrides.items():
            rule = replaced.get(self.get(key).id, self.get(key))
            changes = {
                field: value
                for field, value in override.model_dump(exclude_none=True).items()
                if getattr(rule, field) != value
            }
            if not changes:
                continue
            if rule.rule_type is RuleType.STATUTORY:
                _check_statutory(rule, changes)
            replaced[rule.id] = dataclasses.replace(
                rule, **changes, version=rule.version + 1, variant=variant
            )
        return RuleBook(tuple(replaced.get(r.id, r) for r in self.rules))


def default_rulebook() -> RuleBook:
    """Return the national rule book (T1-T11)."""
    return RuleBook(NATIONAL_RULES)


def explain(
    rule_name_or_id: str,
    start: datetime,
    calendar: WorkingDayCalendar | None = None,
    *,
    rulebook: RuleBook | None = None,
) -> dict[str, Any]:
    """Explain a deadline as a JSON-ready dict: due instant, counting, skipped days, source.

    ``due`` is ISO 8601 in UTC and ``due_local`` in Europe/Amsterdam, both with offset.

    Raises:
        RuleViolation: ``UNKNOWN_RULE`` if no rule has that name or id.
    """
    book = rulebook if rulebook is not None else default_rulebook()
    rule = book.get(rule_name_or_id)
    cal = calendar if calendar is not None else default_calendar()
    computation = compute_due(rule, start, cal)
    result = computation.as_dict()
    del result["checkpoint"]
    result.update(
        {
            "type": rule.rule_type.value,
            "type_label": _TYPE_LABELS[rule.rule_type],
            "breach_effect": rule.breach_effect.value,
            "enabled": rule.enabled,
            "applies_when": rule.applies_when,
            "length": rule.length,
            "unit": rule.unit.value,
            "starts_on": rule.starts_on,
            "counts_from": rule.count_start_event,
            "satisfied_by": list(rule.satisfied_by),
            "legal_source": rule.legal_source,
            "description": rule.description,
            "calendar_covers_due_year": local_date(computation.due).year in cal.decree_years,
            "checkpoints": [
                {k: v for k, v in c.as_dict().items() if k in _CHECKPOINT_KEYS}
                for c in checkpoint_dues(rule, start, cal)
            ],
        }
    )
    return result


_CHECKPOINT_KEYS = frozenset({"checkpoint", "due", "due_local", "counting", "skipped"})


def _length_text(rule: DeadlineRule) -> str:
    return f"{rule.length} {rule.unit.value.replace('_', ' ')}"


def _counting_text(rule: DeadlineRule) -> str:
    start = "start day counted" if rule.counts_start_day else "start day not counted"
    if rule.unit is Unit.HOURS:
        return "exact hours from the start instant"
    if rule.unit is Unit.CALENDAR_DAYS and not rule.end_of_day:
        return "same Amsterdam wall-clock time N days later"
    if rule.unit is Unit.WORKING_DAYS:
        return f"{start}; end of the N-th working day"
    run_on = "Atw art. 1 run-on" if rule.atw_extends else "no Atw run-on"
    return f"{start}; end of day; {run_on}"


def render_rules_markdown(rulebook: RuleBook | None = None) -> str:
    """Render every rule of ``rulebook`` (default: national) as a markdown page."""
    book = rulebook if rulebook is not None else default_rulebook()
    lines = [
        "# Time limits",
        "",
        "Generated from the rule data (`hgkm_workflow/deadline_rules.py`). Types: W statutory, "
        "P national protocol, R regional agreement. Counting conventions: `docs/calendar.md`.",
        "",
        "| id | name | length | counting | starts on | satisfied by | type | breach | enabled |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in book:
        starts = r.starts_on + (f" (counted from {r.counts_from})" if r.counts_from else "")
        lines.append(
            f"| {r.id} | `{r.name}` | {_length_text(r)} | {_counting_text(r)} | {starts} | "
            f"{', '.join(r.satisfied_by) or '—'} | {r.rule_type.value} | "
            f"{r.breach_effect.value} | {'yes' if r.enabled else 'no'} |"
        )
    for r in book:
        lines += ["", f"## {r.id} `{r.name}` (version {r.version}, {r.variant})", ""]
        lines.append(r.description)
        lines.append("")
        lines.append(f"- Type: {_TYPE_LABELS[r.rule_type]}; breach: {r.breach_effect.value}")
        lines.append(f"- Legal source: {r.legal_source}")
        if r.applies_when:
            lines.append(f"- Applies when: {r.applies_when}")
        if r.checkpoints:
            points = ", ".join(str(c) for c in r.checkpoints)
            lines.append(f"- Check-points: {points} {r.unit.value.replace('_', ' ')}")
    return "\n".join(lines) + "\n"
