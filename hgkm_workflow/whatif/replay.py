"""Replaying one case's recorded facts under a rule book and calendar (no store, no I/O).

The recorded *facts* of a case (every event that is not a deadline event: meldingen,
assessments, services, checks, huisverboden, closure, …) are applied as recorded — business
times, actors, outcomes — to a fresh :class:`~hgkm_workflow.case.HouseholdCase`. What the rules
compute is **recomputed** by the case's own deadline decisions
(:mod:`hgkm_workflow.domain.case_deadlines`) with a
:class:`~hgkm_workflow.domain.context.DecisionContext` that carries the chosen rule book and
calendar:

* a recorded ``DeadlineStarted`` (not a check-point) says which fact started which rule on which
  subject; the replay starts the same rule on the same subject, counted under the chosen rule
  (length, ``counts_from``) and calendar, and then the chosen rule's check-points;
* a recorded ``DeadlineMet`` / ``DeadlineClosedUnmet`` is mirrored on the replayed deadline of
  the same rule, subject and occurrence (so lateness is judged against the recomputed due);
  a ``MonitoringCheckRecorded`` meets the next open check-point, ``VtMonitoringEnded`` closes the
  remaining ones and ``Closed`` closes what closure closes, as the live decisions do;
* breaches come from ticks at the instants the live store ticked (every recorded breach's
  detection instant) and one final tick at the horizon; a fact registered after a tick that was
  on time withdraws the breach (``DeadlineBreachWithdrawn``), as live;
* a rescheduling onto a published calendar is mirrored unless an alternative calendar is in
  force from the start.

A closure the chosen rules would have refused (a statutory deadline still open and no reason
given: ``OPEN_STATUTORY_DEADLINE``) is reported as a refusal; the fact is still replayed, so
the rest of the case can be compared.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.domain.calendar import WorkingDayCalendar, calendar_by_version
from hgkm_workflow.domain.case_deadlines import (
    HUISVERBOD_END_RULES,
    LAPSE_WHEN_HUISVERBOD_ENDS,
    SURVIVES_CLOSURE,
)
from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.deadline_records import (
    APPLIES,
    SUBJECT_KIND,
    count_start,
    deadline_record,
    is_statutory,
    open_deadlines,
    satisfied_by_event,
)
from hgkm_workflow.domain.due import checkpoint_dues, compute_due
from hgkm_workflow.domain.facts import help_sides
from hgkm_workflow.domain.recording import recording_at
from hgkm_workflow.domain.rulebook import RuleBook
from hgkm_workflow.errors import RuleViolation
from hgkm_workflow.whatif.records import DeadlineKey, Refusal, keyed_deadlines, tick_instants

__all__ = ["DEADLINE_EVENTS", "CaseReplay", "Refusal", "Side", "keyed_deadlines", "replay_case",
           "tick_instants"]

JsonDict = dict[str, Any]

#: Events the rules compute: recomputed by the replay, never copied.
DEADLINE_EVENTS = frozenset({"DeadlineStarted", "DeadlineMet", "DeadlineBreached",
                             "DeadlineClosedUnmet", "DeadlineRescheduled",
                             "DeadlineBreachWithdrawn"})

_SUBJECT_ATTR = {"melding": "melding_id", "service": "service_id",
                 "monitoring": "monitoring_id", "huisverbod": "huisverbod_id"}


@dataclass(frozen=True)
class Side:
    """One side of a what-if: the rule book, and the calendar in force from the start.

    ``calendar=None`` keeps the calendar each deadline was recorded with (and mirrors every
    recorded rescheduling onto a published version).
    """

    rules: RuleBook
    calendar: WorkingDayCalendar | None = None


@dataclass
class CaseReplay:
    """The outcome of replaying one case: its events, final state and keyed deadlines."""

    case: HouseholdCase
    events: list[Any]
    follows: list[int]
    """For each event, the index of the recorded event it follows (``len`` for the last tick)."""
    deadlines: dict[DeadlineKey, JsonDict]
    refusals: list[Refusal] = field(default_factory=list)


def _name(event: Any) -> str:
    return type(event).__name__


def _renumbered(event: Any, version: int) -> Any:
    # ``dataclasses.replace(event, originator_version=version)`` without running __init__
    # again: the recorded event was checked when it was made (its __post_init__ only checks
    # that the originator id is a UUID), and this is five times faster.
    copy = object.__new__(type(event))
    copy.__dict__.update(event.__dict__)
    copy.__dict__["originator_version"] = version
    return copy


def _business_time(event: Any) -> datetime:
    at = getattr(event, "at", None)
    stamp: datetime = event.timestamp
    return at if isinstance(at, datetime) else stamp


class _Replayer:
    """The replay of one case (see the module docstring)."""

    def __init__(self, side: Side, ticks: Sequence[datetime], horizon: datetime) -> None:
        self.side = side
        # ticks up to the horizon, sorted once (a tuple is taken as sorted and distinct,
        # as tick_instants gives them: every case of a what-if shares it)
        ordered = ticks if isinstance(ticks, tuple) else tuple(sorted(set(ticks)))
        self.ticks = ordered[:bisect_right(ordered, horizon)]
        self.next_tick = 0
        self.case: HouseholdCase | None = None
        self.out: list[Any] = []
        self.follows: list[int] = []
        self.cursor = 0
        self.key_of_live: dict[str, DeadlineKey] = {}
        self.alt_id: dict[DeadlineKey, str] = {}
        self.seen: dict[tuple[str, str, int | None], int] = {}
        self.refusals: list[Refusal] = []
        self.fact: Any = None
        self.recent: list[str] = []

    # ------------------------------------------------------------------ helpers
    def _ctx(self, at: datetime, recorded_at: datetime,
             calendar: WorkingDayCalendar | None = None) -> DecisionContext:
        cal = calendar or self.side.calendar
        if cal is None:
            raise ValueError("no calendar for this decision")
        return DecisionContext(at=at, recorded_at=recorded_at, rules=self.side.rules,
                               calendar=cal)

    def _calendar_for(self, recorded_version: str) -> WorkingDayCalendar:
        if self.side.calendar is not None:
            return self.side.calendar
        return calendar_by_version(recorded_version)

    def _collect(self) -> None:
        if self.case is not None:
            new = self.case.collect_events()
            self.out.extend(new)
            self.follows.extend([self.cursor] * len(new))

    def _alt(self, key: DeadlineKey) -> JsonDict | None:
        alt_id = self.alt_id.get(key)
        return None if alt_id is None or self.case is None else self.case.deadlines.get(alt_id)

    def _register(self, rule_id: str, subject: str, checkpoint: int | None) -> DeadlineKey:
        base = (rule_id, subject, checkpoint)
        n = self.seen.get(base, 0)
        self.seen[base] = n + 1
        return (rule_id, subject, checkpoint, n)

    # ------------------------------------------------------------------ ticks
    def tick_until(self, instant: datetime, *, inclusive: bool) -> None:
        """Run every recorded tick before ``instant`` (at it too when ``inclusive``).

        A tick records something only when an open deadline that is not yet breached (and
        not a huisverbod end) was due before it, so the ticks up to the earliest such due
        are skipped without looking at the case: the same breaches, found far faster.
        """
        ticks, end = self.ticks, (bisect_right if inclusive else bisect_left)(self.ticks,
                                                                              instant)
        i = self.next_tick
        while i < end:
            earliest = self._earliest_unbreached_due()
            if earliest is None:
                break
            i = bisect_right(ticks, earliest, i, end)
            if i < end:
                self.tick(ticks[i])
                i += 1
        self.next_tick = max(i, end)

    def _earliest_unbreached_due(self) -> datetime | None:
        case = self.case
        if case is None:
            return None
        dues = [d["due"] for d in case.deadlines.values()
                if d["status"] == "open" and d["breached_at"] is None
                and d["rule_id"] not in HUISVERBOD_END_RULES]
        return min(dues) if dues else None

    def tick(self, at: datetime) -> None:
        """Record the breaches due by ``at`` (huisverbod ends are replayed facts)."""
        case = self.case
        if case is None or not any(d["status"] == "open" and d["due"] < at
                                   for d in case.deadlines.values()):
            return
        for d in open_deadlines(case):
            if d["rule_id"] in HUISVERBOD_END_RULES or d["due"] >= at:
                continue
            cal = self._calendar_for(d["calendar_version"])
            with recording_at(at):
                case.process_due(self._ctx(at, at, cal), d["deadline_id"])
        self._collect()

    # ------------------------------------------------------------------ facts
    def apply_fact(self, event: Any) -> None:
        """Apply a recorded fact as recorded (renumbered to follow the replayed events)."""
        self.fact = event
        name = _name(event)
        self.recent = [*self.recent[-4:], name]
        if name == "Closed":
            self._check_closure(event)
        version = 1 if self.case is None else self.case.version + 1
        renumbered = _renumbered(event, version)
        self.case = renumbered.mutate(self.case)
        self.out.append(renumbered)
        self.follows.append(self.cursor)
        at, rec = _business_time(event), event.timestamp
        if name == "MonitoringCheckRecorded":
            with recording_at(rec):
                self.case._satisfy_next_checkpoint(
                    self._ctx(at, rec, self._any_calendar()), str(event.monitoring_id))
        elif name == "VtMonitoringEnded":
            self._close_checkpoints(at, rec, "monitoring ended before this check-point")
        elif name == "Closed":
            self._close_for_closure(at, rec)
        self._start_newly_enabled(name, event, at, rec)
        self._end_newly_enabled(name, event, at, rec)
        self._collect()

    def _any_calendar(self) -> WorkingDayCalendar:
        if self.side.calendar is not None:
            return self.side.calendar
        from hgkm_workflow.domain.calendar import default_calendar

        return default_calendar()

    def _check_closure(self, event: Any) -> None:
        case = self.case
        if case is None or event.open_deadline_reason:
            return
        pending = [d for d in open_deadlines(case)
                   if is_statutory(d) and d["rule_id"] not in HUISVERBOD_END_RULES]
        if pending:
            ids = ", ".join(sorted({d["rule_id"] for d in pending}))
            self.refusals.append(Refusal(
                case_id=str(case.id), event="Closed", at=_business_time(event),
                code="OPEN_STATUTORY_DEADLINE", rule=ids,
                message=f"statutory deadline(s) {ids} still open: give open_deadline_reason"))

    def _close_checkpoints(self, at: datetime, rec: datetime, reason: str,
                           subject: str | None = None) -> None:
        case = self.case
        if case is None:
            return
        with recording_at(rec):
            for d in open_deadlines(case):
                if d["checkpoint"] is not None and subject in (None, d["subject_id"]):
                    case._close_unmet(d, at, reason)

    def _close_for_closure(self, at: datetime, rec: datetime) -> None:
        case = self.case
        if case is None:
            return
        closure = case.closure or {}
        reason = closure.get("open_deadline_reason") or f"case closed ({closure.get('reason')})"
        with recording_at(rec):
            for d in open_deadlines(case):
                if d["rule_id"] not in SURVIVES_CLOSURE | HUISVERBOD_END_RULES:
                    case._close_unmet(d, at, reason)

    def _start_newly_enabled(self, name: str, event: Any, at: datetime, rec: datetime) -> None:
        # Rules this side enables that the recorded rule book did not run: start them from
        # the fact itself (the recorded DeadlineStarted events cannot name them).
        case = self.case
        kind = SUBJECT_KIND.get(name)
        if case is None or kind is None:
            return
        for rule in self.side.rules.starting_on(name):
            if rule.id not in self.newly_enabled:
                continue
            subject = str(getattr(event, _SUBJECT_ATTR.get(kind, ""), None) or case.id)
            melding_id = subject if kind == "melding" else None
            melding = case.meldingen.get(melding_id) if melding_id else None
            facts = {"acute": bool(melding and melding.get("acute")),
                     "melder_type": (melding or {}).get("melder_type"),
                     "has_child": any(p.get("role") == "child"
                                      for p in (melding or {}).get("persons", []))}
            applies = APPLIES.get(rule.id)
            if applies is not None and not applies(facts):
                continue
            self._start(rule.id, subject, melding_id, kind, at, rec, None, None)

    def _end_newly_enabled(self, name: str, event: Any, at: datetime, rec: datetime) -> None:
        # Meet (or lapse) the deadlines of newly enabled rules as the live decisions would:
        # no recorded DeadlineMet names them.
        case = self.case
        if case is None or not self.newly_enabled:
            return
        kind = SUBJECT_KIND.get(name, "case")
        subject = getattr(event, _SUBJECT_ATTR.get(kind, ""), None)
        subject = None if subject is None else str(subject)
        if name == "HuisverbodExpired" and subject in case.huisverboden:
            at = case.huisverboden[subject]["ends_at"]
        if name == "HuisverbodHelpOffered" and subject in case.huisverboden and \
                help_sides(case.huisverboden[subject]) != {"removed", "stayed"}:
            return
        with recording_at(rec):
            for d in open_deadlines(case):
                if d["rule_id"] not in self.newly_enabled:
                    continue
                if satisfied_by_event(d, name, kind, subject):
                    case._met(d, at, name)
                elif name in ("HuisverbodRevoked", "HuisverbodExpired") and \
                        d["rule_id"] in LAPSE_WHEN_HUISVERBOD_ENDS and d["subject_id"] == subject:
                    case._close_unmet(d, at, "the huisverbod ended")

    newly_enabled: frozenset[str] = frozenset()

    # ------------------------------------------------------------------ recorded deadline events
    def mirror(self, event: Any) -> None:
        """Mirror one recorded deadline event on the replayed case."""
        case = self.case
        if case is None:
            return
        name = _name(event)
        rec = event.timestamp
        if name == "DeadlineStarted":
            d = event.deadline
            if d["checkpoint"] is not None:
                return  # this side's rule decides its own check-points
            at = _business_time(self.fact) if self.fact is not None else d["start"]
            override = d if d["rule_id"] == "T7" else None
            key = self._start(d["rule_id"], d["subject_id"], d["melding_id"], d["subject_kind"],
                              at, rec, d["calendar_version"], override)
            if key is not None:
                self.key_of_live[d["deadline_id"]] = key
        elif name in ("DeadlineMet", "DeadlineClosedUnmet"):
            self._mirror_end(name, event, rec)
        elif name == "DeadlineRescheduled" and self.side.calendar is None:
            calendar = calendar_by_version(event.calendar_version)
            with recording_at(rec):
                case.reschedule(calendar, self.side.rules, event.decree)
        self._collect()

    def _mirror_end(self, name: str, event: Any, rec: datetime) -> None:
        case = self.case
        key = self.key_of_live.get(event.deadline_id)
        if case is None:
            return
        if key is None:
            return  # a check-point (handled by the facts) or a rule this side does not run
        d = self._alt(key)
        if d is None or d["status"] != "open":
            return
        with recording_at(rec):
            if name == "DeadlineMet":
                by = next((n for n in reversed(self.recent) if n in d["satisfied_by"]),
                          "DeadlineMet")
                case._met(d, event.at, by)
            else:
                case._close_unmet(d, event.at, event.reason)

    def _start(self, rule_id: str, subject: str, melding_id: str | None, kind: str,
               at: datetime, rec: datetime, recorded_calendar: str | None,
               override: JsonDict | None) -> DeadlineKey | None:
        case = self.case
        if case is None:
            return None
        try:
            rule = self.side.rules.get(rule_id)
        except RuleViolation:
            return None
        if not rule.enabled:
            return None
        calendar = self._calendar_for(recorded_calendar) if recorded_calendar \
            else self._any_calendar()
        count_from = count_start(case, rule, at, subject, melding_id)
        comp = compute_due(rule, count_from, calendar)
        key = self._register(rule.id, subject, None)
        with recording_at(rec):
            if override is not None:
                rec_ = deadline_record(case, comp, rule, kind, subject, melding_id,
                                       due=override["due"], counting=override["counting"])
            else:
                rec_ = deadline_record(case, comp, rule, kind, subject, melding_id)
            case._deadline_started(deadline=rec_)
            self.alt_id[key] = rec_["deadline_id"]
            for cp in checkpoint_dues(rule, count_from, calendar):
                cp_rec = deadline_record(case, cp, rule, kind, subject, melding_id)
                case._deadline_started(deadline=cp_rec)
                self.alt_id[self._register(rule.id, subject, cp.checkpoint)] = \
                    cp_rec["deadline_id"]
        return key


def replay_case(events: Iterable[Any], side: Side, horizon: datetime, *,
                newly_enabled: frozenset[str] = frozenset(),
                ticks: Sequence[datetime] | None = None) -> CaseReplay:
    """Replay one case's recorded events under ``side``; tick once more at ``horizon``.

    Args:
        events: The case's recorded events in version order.
        side: The rule book and calendar to replay under.
        horizon: The end of the selection: a last tick records what is overdue by then.
        newly_enabled: Rules this side runs that the recorded rule book did not.
        ticks: The instants the live scheduler ticked (every case's recorded breach
            detections); default this case's own. A tuple must be sorted and distinct.

    Returns:
        The replayed case, its new events (versions renumbered) and its keyed deadlines.
    """
    recorded = list(events)
    if ticks is None:
        ticks = tick_instants(recorded)
    replayer = _Replayer(side, ticks, horizon)
    replayer.newly_enabled = newly_enabled
    for index, event in enumerate(recorded):
        replayer.cursor = index
        if _name(event) in DEADLINE_EVENTS:
            replayer.mirror(event)
        else:
            replayer.tick_until(event.timestamp, inclusive=False)
            replayer.apply_fact(event)
    replayer.cursor = len(recorded)
    replayer.tick_until(horizon, inclusive=True)
    replayer.tick(horizon)
    if replayer.case is None:
        raise ValueError("a case without events")
    return CaseReplay(case=replayer.case, events=replayer.out, follows=replayer.follows,
                      deadlines=keyed_deadlines(replayer.case),
                      refusals=replayer.refusals)
