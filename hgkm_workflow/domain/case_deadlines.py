"""Deadlines on a household case: started, met, breached, closed, rescheduled.

:class:`DeadlineDecisions` is the deadline part of the case's *decide* step. It reads the rule
book and calendar from the :class:`~hgkm_workflow.domain.context.DecisionContext`, computes
every due instant once, and triggers deadline events on the case carrying the result (rule id
and version, calendar version, skipped days). The case's event methods only store what the
events say.

Matching a satisfying event to open deadlines uses the *subject* of each deadline: the melding,
VT service, monitoring period or huisverbod that started it. An event about the same kind of
subject satisfies only the deadline of that subject; an event about another kind (a crisis
measure for an acute melding) satisfies the case's open deadlines of that rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from hgkm_workflow.clock import as_utc
from hgkm_workflow.domain.calendar import WorkingDayCalendar
from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.deadline_records import (
    ACTIVE_HUISVERBOD,
    APPLIES,
    HUISVERBOD_END_RULES,
    LAPSE_WHEN_HUISVERBOD_ENDS,
    SUBJECT_KIND,
    SURVIVES_CLOSURE,
    count_start,
    deadline_record,
    derived_id,
    huisverbod_in_force,
    is_statutory,
    late_seconds,
    melding_of,
    open_deadlines,
    satisfied_by_event,
)
from hgkm_workflow.domain.deadline_rules import BreachEffect
from hgkm_workflow.domain.due import checkpoint_dues, compute_due
from hgkm_workflow.domain.outcomes import (
    BreachRecorded,
    DeadlineMoved,
    HuisverbodExpiredOutcome,
    TickOutcome,
)
from hgkm_workflow.domain.track_kinds import RULE_CLOSE_WITH_TRACKS, closure_blocker
from hgkm_workflow.errors import RuleViolation

if TYPE_CHECKING:
    from hgkm_workflow.domain.rulebook import RuleBook
    from hgkm_workflow.domain.state import CaseState

    _Case = CaseState
else:
    _Case = object

__all__ = [
    "ACTIVE_HUISVERBOD", "HUISVERBOD_END_RULES", "LAPSE_WHEN_HUISVERBOD_ENDS", "SURVIVES_CLOSURE",
    "DeadlineDecisions", "as_utc", "open_deadlines", "process_due", "reschedule",
]

JsonDict = dict[str, Any]


class DeadlineDecisions(_Case):
    """Starting, meeting, breaching, closing and rescheduling the deadlines of a case."""

    def _derived_id(self, kind: str) -> str:
        return derived_id(self, kind)

    def open_deadlines(self) -> list[JsonDict]:
        """The case's deadlines that are neither met nor closed, by due instant."""
        return open_deadlines(self)

    def _start_deadlines(self, ctx: DecisionContext, event_name: str, at: datetime,
                         subject_id: str, facts: JsonDict) -> None:
        # Start every enabled rule that the event ``event_name`` opens, if it applies.
        kind = SUBJECT_KIND[event_name]
        melding_id = facts.get("melding_id") or melding_of(self, kind, subject_id)
        melding = self.meldingen.get(melding_id) if melding_id is not None else None
        if melding is not None and "melder_type" not in facts:
            facts = {**facts, "melder_type": melding["melder_type"]}
        for rule in ctx.rules.starting_on(event_name):
            applies = APPLIES.get(rule.id)
            if applies is not None and not applies(facts):
                continue
            count_from = count_start(self, rule, at, subject_id, melding_id)
            comp = compute_due(rule, count_from, ctx.calendar)
            if rule.id == "T7" and "due_override" in facts:
                new_end: datetime = facts["due_override"]
                rec = deadline_record(self, comp, rule, kind, subject_id, melding_id, due=new_end,
                                      counting=f"extended to {new_end.isoformat()}; legal bound: "
                                               f"{comp.counting}")
            else:
                rec = deadline_record(self, comp, rule, kind, subject_id, melding_id)
            self._deadline_started(deadline=rec)
            for cp in checkpoint_dues(rule, count_from, ctx.calendar):
                self._deadline_started(
                    deadline=deadline_record(self, cp, rule, kind, subject_id, melding_id))

    def _satisfy_deadlines(self, ctx: DecisionContext, event_name: str, subject_id: str | None,
                           at: datetime | None = None) -> None:
        # Mark the open deadlines that ``event_name`` satisfies as met (on time or late).
        when = at if at is not None else ctx.at
        kind = SUBJECT_KIND.get(event_name, "case")
        for d in open_deadlines(self):
            if satisfied_by_event(d, event_name, kind, subject_id):
                self._met(d, when, event_name)
        if event_name == "VtMonitoringEnded":
            for d in open_deadlines(self):
                if d["rule_id"] == "T4" and d["checkpoint"] is not None:
                    self._close_unmet(d, when, "monitoring ended before this check-point")

    def _satisfy_next_checkpoint(self, ctx: DecisionContext, monitoring_id: str) -> None:
        # A monitoring check meets the earliest open check-point of the monitoring period.
        for d in open_deadlines(self):
            if d["subject_id"] == monitoring_id and d["checkpoint"] is not None:
                self._met(d, ctx.at, "MonitoringCheckRecorded")
                return

    def _met(self, d: JsonDict, when: datetime, event_name: str) -> None:
        # Meet a deadline at business time ``when``. A breach a tick recorded before this fact
        # was registered is withdrawn when the fact was on time: the breach stays on record,
        # superseded by the correction (late.py; business time decides).
        late = late_seconds(d["due"], when)
        if d["breached_at"] is not None and late is None:
            self._deadline_breach_withdrawn(deadline_id=d["deadline_id"],
                                            observed_at=d["breached_at"], occurred_at=when,
                                            by_event=event_name)
        self._deadline_met(deadline_id=d["deadline_id"], at=when, late_seconds=late)

    def _open_statutory(self, exclude_subject: str | None = None,
                        satisfied_now: Iterable[str] = ()) -> list[JsonDict]:
        # Open statutory deadlines, leaving out those the current command itself satisfies.
        now_events = set(satisfied_now)
        return [
            d for d in open_deadlines(self)
            if is_statutory(d) and d["rule_id"] not in HUISVERBOD_END_RULES
            and not (exclude_subject is not None and d["subject_id"] == exclude_subject)
            and not (now_events & set(d["satisfied_by"]))
        ]

    def _expire_run_out(self, ctx: DecisionContext) -> None:
        # Record as expired each huisverbod that reached its end but no tick recorded it yet.
        for hid, h in list(self.huisverboden.items()):
            if h["state"] in ACTIVE_HUISVERBOD and ctx.at >= h["ends_at"]:
                self.expire_huisverbod(None, ctx, huisverbod_id=UUID(hid))

    def _may_close_automatically(self, ctx: DecisionContext, exclude_subject: str | None,
                                 satisfied_now: set[str]) -> bool:
        # Not while a huisverbod is in force or a statutory deadline (other than those the
        # command itself meets) is open: then a person closes the case with a reason.
        return not huisverbod_in_force(self, ctx.at) and closure_blocker(self) is None and \
            not self._open_statutory(exclude_subject, satisfied_now)

    def _require_no_open_statutory(self, ctx: DecisionContext, reason: str | None,
                                   exclude_subject: str | None, satisfied_now: set[str]) -> None:
        # Refuse to close with a statutory deadline open, unless a reason is given. An active
        # huisverbod is not a deadline that closing can abandon: it is refused outright.
        if huisverbod_in_force(self, ctx.at):
            raise RuleViolation(
                "a huisverbod is still in force; revoke it or let it run out first",
                code="HUISVERBOD_IN_FORCE", rule="Wet tijdelijk huisverbod",
            )
        blocker = closure_blocker(self)  # partner tracks and procesregie end explicitly first
        if blocker is not None:
            raise RuleViolation(blocker[1], code=blocker[0], rule=RULE_CLOSE_WITH_TRACKS)
        _require_reason(self._open_statutory(exclude_subject, satisfied_now), reason)

    def _require_reason_for_open_statutory(self, reason: str | None) -> None:
        # Leaving a phase with a statutory deadline open (a huisverbod included) needs a reason.
        _require_reason([d for d in open_deadlines(self) if is_statutory(d)], reason)

    def _close_unmet(self, d: JsonDict, at: datetime, reason: str) -> None:
        # Close an open deadline unmet; one already overdue is first recorded as breached, so
        # the record does not depend on whether a tick ran between its due instant and now.
        if d["breached_at"] is None and at > d["due"] and d["rule_id"] not in HUISVERBOD_END_RULES:
            self._deadline_breached(deadline_id=d["deadline_id"], due=d["due"], detected_at=at)
        self._deadline_closed_unmet(deadline_id=d["deadline_id"], at=at, reason=reason)

    def _lapse_deadlines(self, subject_id: str, rule_ids: Iterable[str], at: datetime,
                         reason: str) -> None:
        # Close the open deadlines of ``rule_ids`` about ``subject_id`` unmet: the duty lapsed.
        # A breach already recorded stays on the deadline; only the deadline stops running.
        wanted = set(rule_ids)
        for d in open_deadlines(self):
            if d["rule_id"] in wanted and d["subject_id"] == subject_id:
                self._close_unmet(d, at, reason)

    def _close_open_deadlines(self, ctx: DecisionContext, prov: JsonDict) -> None:
        # On closure, every deadline still open is closed unmet with the recorded reason; a
        # huisverbod that ran out (no tick since its end) is first recorded as expired.
        self._expire_run_out(ctx)
        closure = self.closure or {}
        reason = closure.get("open_deadline_reason") or f"case closed ({closure.get('reason')})"
        for d in open_deadlines(self):
            if d["rule_id"] in SURVIVES_CLOSURE:
                continue
            self._close_unmet(d, prov["at"], reason)

    def process_due(self, ctx: DecisionContext, deadline_id: str) -> list[TickOutcome]:
        """Act on one due deadline: end a huisverbod that ran out, or record a breach once.

        Args:
            ctx: The decision context; ``ctx.at`` is the tick's instant.
            deadline_id: A deadline the tick found due.

        Returns:
            What was recorded: nothing (not due, already handled), a
            :class:`~hgkm_workflow.domain.outcomes.HuisverbodExpiredOutcome` or a
            :class:`~hgkm_workflow.domain.outcomes.BreachRecorded`.
        """
        d = self.deadlines.get(deadline_id)
        if d is None or d["status"] != "open" or d["due"] > ctx.at:
            return []
        if d["rule_id"] in HUISVERBOD_END_RULES:
            h = self.huisverboden.get(d["subject_id"])
            if h is not None and h["state"] in ACTIVE_HUISVERBOD and ctx.at >= h["ends_at"]:
                self.expire_huisverbod(None, ctx, huisverbod_id=UUID(d["subject_id"]))
                return [HuisverbodExpiredOutcome(deadline_id=deadline_id, rule_id=d["rule_id"],
                                                 huisverbod_id=d["subject_id"], at=h["ends_at"])]
            return []
        if d["breached_at"] is not None or ctx.at <= d["due"]:  # ``due`` is still on time
            return []
        self._deadline_breached(deadline_id=deadline_id, due=d["due"], detected_at=ctx.at)
        return [BreachRecorded(deadline_id=deadline_id, rule_id=d["rule_id"],
                               rule_name=d["rule_name"], due=d["due"], detected_at=ctx.at,
                               blocking=d["breach_effect"] == BreachEffect.BLOCKING.value)]

    def reschedule(self, calendar: WorkingDayCalendar, rules: RuleBook,
                   decree: str) -> list[DeadlineMoved]:
        """Recompute open deadlines on a new calendar version; record each one that moved.

        A deadline already recorded as breached keeps its due instant: the breach was decided
        on the calendar in force, and moving the due past it would contradict the record.

        Args:
            calendar: The new calendar version.
            rules: The rule book in force.
            decree: The decree that caused the change (recorded on each event).

        Returns:
            One :class:`~hgkm_workflow.domain.outcomes.DeadlineMoved` per deadline that moved.
        """
        moved: list[DeadlineMoved] = []
        for d in open_deadlines(self):
            if d["calendar_version"] == calendar.version or d["rule_id"] == "T7" \
                    or d["breached_at"] is not None:
                continue
            rule = rules.get(d["rule_id"])
            if d["checkpoint"] is not None:
                comps = [c for c in checkpoint_dues(rule, d["start"], calendar)
                         if c.checkpoint == d["checkpoint"]]
                if not comps:
                    continue
                comp = comps[0]
            else:
                comp = compute_due(rule, d["start"], calendar)
            skipped = [{"date": s.date.isoformat(), "reason": s.reason} for s in comp.skipped]
            if comp.due == d["due"] and skipped == d["skipped"]:
                continue
            old_due = d["due"]  # read before the event method assigns the new due
            self._deadline_rescheduled(deadline_id=d["deadline_id"], old_due=old_due,
                                       new_due=comp.due, calendar_version=calendar.version,
                                       decree=decree, skipped=skipped, counting=comp.counting)
            moved.append(DeadlineMoved(deadline_id=d["deadline_id"], rule_id=d["rule_id"],
                                       old_due=old_due, new_due=comp.due, decree=decree))
        return moved


def _require_reason(pending: list[JsonDict], reason: str | None) -> None:
    if pending and not reason:
        ids = ", ".join(sorted({d["rule_id"] for d in pending}))
        raise RuleViolation(
            f"statutory deadline(s) {ids} still open: give open_deadline_reason",
            code="OPEN_STATUTORY_DEADLINE", rule=ids,
        )


def process_due(case: DeadlineDecisions, ctx: DecisionContext,
                deadline_id: str) -> list[TickOutcome]:
    """Same as ``case.process_due(ctx, deadline_id)`` (kept for callers of the old function)."""
    return case.process_due(ctx, deadline_id)


def reschedule(case: DeadlineDecisions, calendar: WorkingDayCalendar, rules: RuleBook,
               decree: str) -> list[DeadlineMoved]:
    """Same as ``case.reschedule(calendar, rules, decree)`` (kept for the old callers)."""
    return case.reschedule(calendar, rules, decree)
