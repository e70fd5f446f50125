"""Deadlines on a household case: started, met, breached, closed, rescheduled.

These functions are part of the case's *decide* step. They read the rule book and calendar
from the :class:`~hgkm_workflow.domain.context.DecisionContext`, compute every due instant once, and
trigger deadline events on the case carrying the result (rule id and version, calendar version,
skipped days). The case's event methods only store what the events say.

Matching a satisfying event to open deadlines uses the *subject* of each deadline: the melding,
VT service, monitoring period or huisverbod that started it. An event about the same kind of
subject satisfies only the deadline of that subject; an event about another kind (a crisis
measure for an acute melding) satisfies the case's open deadlines of that rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

from hgkm_workflow.clock import as_utc
from hgkm_workflow.domain.calendar import WorkingDayCalendar
from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.deadlines import (
    BreachEffect,
    DeadlineRule,
    DueComputation,
    RuleType,
    checkpoint_dues,
    compute_due,
)
from hgkm_workflow.errors import RuleViolation
from hgkm_workflow.phases.huisverbod import ACTIVE_STATES

if TYPE_CHECKING:
    from hgkm_workflow.case import HouseholdCase

__all__ = ["as_utc"]

JsonDict = dict[str, Any]

SUBJECT_KIND = {
    "MeldingReceived": "melding",
    "VeiligheidsbeoordelingCompleted": "melding",
    "MelderInformed": "melding",
    "SchoolInformed": "melding",
    "VtServiceStarted": "service",
    "VtServiceCompleted": "service",
    "VtMonitoringStarted": "monitoring",
    "VtMonitoringEnded": "monitoring",
    "HuisverbodImposed": "huisverbod",
    "HuisverbodExtended": "huisverbod",
    "HuisverbodRevoked": "huisverbod",
    "HuisverbodExpired": "huisverbod",
    "HuisverbodContactAddressGiven": "huisverbod",
    "CrisisMeasureTaken": "case",
}

#: Conditions under which a rule applies, keyed by rule id (plain text is on the rule).
_APPLIES: dict[str, Any] = {
    "T2": lambda facts: bool(facts.get("acute")),
    "T10": lambda facts: bool(facts.get("has_child")) and facts.get("melder_type") == "politie",
    # an anonymous melder left no way to be reached: no feedback is owed
    "T5": lambda facts: facts.get("melder_type") != "anoniem",
    "T5b": lambda facts: facts.get("melder_type") != "anoniem",
}

#: Rules whose duty outlives the case: the melder is still owed feedback after closure.
SURVIVES_CLOSURE = frozenset({"T5", "T5b"})

#: Rules whose due instant ends a huisverbod rather than marking a breach.
HUISVERBOD_END_RULES = frozenset({"T6", "T7"})

#: Duties that exist only while a huisverbod is in force and lapse when it ends, by revocation
#: or expiry (closed unmet, not breached): a contact address (T8), help offered during it (T9).
LAPSE_WHEN_HUISVERBOD_ENDS = frozenset({"T8", "T9"})

#: Namespace of the ids a case derives for its own sub-records (deadlines, services, monitoring).
ID_NAMESPACE = UUID("6f1d3c52-2b8e-5d0a-9c41-7a2f0e9b8d15")


def derived_id(case: HouseholdCase, kind: str) -> str:
    """An id for a record the case creates in its next event, derived from (case id, version).

    Deterministic, so the same commands give the same events (replays, the seeded simulation);
    unique, because every event of a case has its own version. Never derived from personal data.
    """
    return str(uuid5(ID_NAMESPACE, f"{case.id}:{case.version + 1}:{kind}"))


def _record(case: HouseholdCase, comp: DueComputation, rule: DeadlineRule, subject_kind: str,
            subject_id: str, melding_id: str | None, due: datetime | None = None,
            counting: str | None = None) -> JsonDict:
    return {
        "deadline_id": derived_id(case, f"deadline:{rule.id}:{comp.checkpoint}"),
        "rule_id": rule.id,
        "rule_name": rule.name,
        "rule_version": rule.version,
        "rule_variant": rule.variant,
        "rule_type": rule.rule_type.value,
        "breach_effect": rule.breach_effect.value,
        "legal_source": rule.legal_source,
        "satisfied_by": list(rule.satisfied_by),
        "subject_kind": subject_kind,
        "subject_id": subject_id,
        "melding_id": melding_id,
        "checkpoint": comp.checkpoint,
        "start": comp.start,
        "due": due if due is not None else comp.due,
        "computed_due": comp.due,
        "counting": counting if counting is not None else comp.counting,
        "calendar_version": comp.calendar_version,
        "skipped": [{"date": s.date.isoformat(), "reason": s.reason} for s in comp.skipped],
    }


def start(case: HouseholdCase, ctx: DecisionContext, event_name: str, at: datetime,
          subject_id: str, facts: JsonDict) -> None:
    """Start every enabled rule that the event ``event_name`` opens, if it applies."""
    kind = SUBJECT_KIND[event_name]
    melding_id = facts.get("melding_id") or _melding_of(case, kind, subject_id)
    melding = case.meldingen.get(melding_id) if melding_id is not None else None
    if melding is not None and "melder_type" not in facts:
        facts = {**facts, "melder_type": melding["melder_type"]}
    for rule in ctx.rules.starting_on(event_name):
        applies = _APPLIES.get(rule.id)
        if applies is not None and not applies(facts):
            continue
        count_from = _count_start(case, rule, at, subject_id, melding_id)
        comp = compute_due(rule, count_from, ctx.calendar)
        if rule.id == "T7" and "due_override" in facts:
            new_end: datetime = facts["due_override"]
            rec = _record(case, comp, rule, kind, subject_id, melding_id, due=new_end,
                          counting=f"extended to {new_end.isoformat()}; legal bound: "
                                   f"{comp.counting}")
        else:
            rec = _record(case, comp, rule, kind, subject_id, melding_id)
        case._deadline_started(deadline=rec)
        for cp in checkpoint_dues(rule, count_from, ctx.calendar):
            case._deadline_started(deadline=_record(case, cp, rule, kind, subject_id, melding_id))


def _count_start(case: HouseholdCase, rule: DeadlineRule, at: datetime, subject_id: str,
                 melding_id: str | None) -> datetime:
    # The instant the rule counts from: its start event's, or that of the event a region chose
    # instead (``counts_from``): the huisverbod's imposition, or the melding's receipt.
    if rule.count_start_event == rule.starts_on:
        return at
    if rule.count_start_event == "HuisverbodImposed":
        imposed: datetime = case.huisverboden[subject_id]["imposed_at"]
        return imposed
    if rule.count_start_event == "MeldingReceived" and melding_id in case.meldingen:
        received: datetime = case.meldingen[melding_id]["received_at"]
        return received
    raise ValueError(f"rule {rule.id} counts from {rule.count_start_event}, "
                     f"which has no instant for this {rule.starts_on}")


def _melding_of(case: HouseholdCase, kind: str, subject_id: str) -> str | None:
    if kind == "melding":
        return subject_id
    if kind == "service":
        svc = case.vt_service
        if svc.get("service_id") == subject_id:
            melding: str | None = svc.get("melding_id")
            return melding
    return None


def open_deadlines(case: HouseholdCase) -> list[JsonDict]:
    """The case's deadlines that are neither met nor closed, by due instant."""
    return sorted((d for d in case.deadlines.values() if d["status"] == "open"),
                  key=lambda d: d["due"])


def _matches(d: JsonDict, event_name: str, kind: str, subject_id: str | None) -> bool:
    if d["status"] != "open" or event_name not in d["satisfied_by"] or d["checkpoint"] is not None:
        return False
    if subject_id is None or kind == "case":
        return True
    if kind == d["subject_kind"]:
        return bool(d["subject_id"] == subject_id)
    if kind == "melding":
        # e.g. feedback to the melder after an onderzoek (T5b) that followed this melding
        return bool(d["melding_id"] == subject_id)
    return True


def satisfy(case: HouseholdCase, ctx: DecisionContext, event_name: str, subject_id: str | None,
            at: datetime | None = None) -> None:
    """Mark the open deadlines that ``event_name`` satisfies as met (on time or late)."""
    when = at if at is not None else ctx.at
    kind = SUBJECT_KIND.get(event_name, "case")
    for d in open_deadlines(case):
        if _matches(d, event_name, kind, subject_id):
            case._deadline_met(deadline_id=d["deadline_id"], at=when,
                               late_seconds=_late(d["due"], when))
    if event_name == "VtMonitoringEnded":
        for d in open_deadlines(case):
            if d["rule_id"] == "T4" and d["checkpoint"] is not None:
                close_unmet(case, d, when, "monitoring ended before this check-point")


def satisfy_next_checkpoint(case: HouseholdCase, ctx: DecisionContext, monitoring_id: str) -> None:
    """A monitoring check meets the earliest open check-point of the monitoring period."""
    for d in open_deadlines(case):
        if d["subject_id"] == monitoring_id and d["checkpoint"] is not None:
            case._deadline_met(deadline_id=d["deadline_id"], at=ctx.at,
                               late_seconds=_late(d["due"], ctx.at))
            return


def _late(due: datetime, at: datetime) -> float | None:
    return None if at <= due else (at - due) / timedelta(seconds=1)


def open_statutory(case: HouseholdCase, exclude_subject: str | None = None,
                   satisfied_now: Iterable[str] = ()) -> list[JsonDict]:
    """Open statutory deadlines, leaving out those the current command itself satisfies."""
    now_events = set(satisfied_now)
    return [
        d for d in open_deadlines(case)
        if d["rule_type"] == RuleType.STATUTORY.value
        and d["rule_id"] not in HUISVERBOD_END_RULES
        and not (exclude_subject is not None and d["subject_id"] == exclude_subject)
        and not (now_events & set(d["satisfied_by"]))
    ]


#: States of a huisverbod that is (or was until its end instant) in force.
ACTIVE_HUISVERBOD = frozenset(s.value for s in ACTIVE_STATES)


def huisverbod_in_force(case: HouseholdCase, ctx: DecisionContext) -> bool:
    """Whether a huisverbod of the case is active and has not reached its end instant."""
    return any(h["state"] in ACTIVE_HUISVERBOD and ctx.at < h["ends_at"]
               for h in case.huisverboden.values())


def expire_run_out(case: HouseholdCase, ctx: DecisionContext) -> None:
    """Record as expired each huisverbod that reached its end but no tick recorded it yet."""
    for hid, h in list(case.huisverboden.items()):
        if h["state"] in ACTIVE_HUISVERBOD and ctx.at >= h["ends_at"]:
            case.expire_huisverbod(None, ctx, huisverbod_id=UUID(hid))


def may_close_automatically(case: HouseholdCase, ctx: DecisionContext,
                            exclude_subject: str | None, satisfied_now: set[str]) -> bool:
    """Whether a command's outcome may close the case by itself.

    Not while a huisverbod is in force or a statutory deadline (other than those the command
    itself meets) is open: then the case stays open, and a person closes it with
    ``CloseCase`` and a reason for what is left open.
    """
    return not huisverbod_in_force(case, ctx) and \
        not open_statutory(case, exclude_subject, satisfied_now)


def require_no_open_statutory(case: HouseholdCase, ctx: DecisionContext, reason: str | None,
                              exclude_subject: str | None, satisfied_now: set[str]) -> None:
    """Refuse to close or leave a phase with a statutory deadline open, unless a reason is given.

    An active huisverbod is not a deadline that closing can abandon: it is refused outright.
    """
    if huisverbod_in_force(case, ctx):
        raise RuleViolation(
            "a huisverbod is still in force; revoke it or let it run out first",
            code="HUISVERBOD_IN_FORCE", rule="Wet tijdelijk huisverbod",
        )
    pending = open_statutory(case, exclude_subject, satisfied_now)
    if pending and not reason:
        ids = ", ".join(sorted({d["rule_id"] for d in pending}))
        raise RuleViolation(
            f"statutory deadline(s) {ids} still open: give open_deadline_reason",
            code="OPEN_STATUTORY_DEADLINE", rule=ids,
        )


def require_reason_for_open_statutory(case: HouseholdCase, reason: str | None) -> None:
    """Leaving a phase with a statutory deadline open (a huisverbod included) needs a reason."""
    pending = [d for d in open_deadlines(case) if d["rule_type"] == RuleType.STATUTORY.value]
    if pending and not reason:
        ids = ", ".join(sorted({d["rule_id"] for d in pending}))
        raise RuleViolation(
            f"statutory deadline(s) {ids} still open: give open_deadline_reason",
            code="OPEN_STATUTORY_DEADLINE", rule=ids,
        )


def close_unmet(case: HouseholdCase, d: JsonDict, at: datetime, reason: str) -> None:
    """Close an open deadline unmet; one already overdue is first recorded as breached.

    So the record of a deadline does not depend on whether a tick happened to run between
    its due instant and its closing: overdue and unmet is a breach either way (detected at
    the closing instant, as a tick at that instant would have).
    """
    if d["breached_at"] is None and at > d["due"] and d["rule_id"] not in HUISVERBOD_END_RULES:
        case._deadline_breached(deadline_id=d["deadline_id"], due=d["due"], detected_at=at)
    case._deadline_closed_unmet(deadline_id=d["deadline_id"], at=at, reason=reason)


def lapse(case: HouseholdCase, subject_id: str, rule_ids: Iterable[str], at: datetime,
          reason: str) -> None:
    """Close the open deadlines of ``rule_ids`` about ``subject_id`` unmet: the duty lapsed.

    A breach already recorded stays on the deadline; only the deadline stops running.
    """
    wanted = set(rule_ids)
    for d in open_deadlines(case):
        if d["rule_id"] in wanted and d["subject_id"] == subject_id:
            close_unmet(case, d, at, reason)


def close_open(case: HouseholdCase, ctx: DecisionContext, prov: JsonDict) -> None:
    """On closure, every deadline still open is closed unmet, with the recorded reason.

    A huisverbod that has already run out (no tick since its end) is first recorded as
    expired, so it does not stay active in the closed case.
    """
    expire_run_out(case, ctx)
    closure = case.closure or {}
    reason = closure.get("open_deadline_reason") or f"case closed ({closure.get('reason')})"
    for d in open_deadlines(case):
        if d["rule_id"] in SURVIVES_CLOSURE:
            continue
        close_unmet(case, d, prov["at"], reason)


def huisverbod_bounds(ctx: DecisionContext, imposed_at: datetime) -> tuple[datetime, datetime]:
    """End of a new huisverbod (T6) and the latest end any extension may reach (T7)."""
    t6 = compute_due(ctx.rules.get("T6"), imposed_at, ctx.calendar)
    t7 = compute_due(ctx.rules.get("T7"), imposed_at, ctx.calendar)
    return t6.due, t7.due


def check_huisverbod_extension(h: JsonDict, ctx: DecisionContext, new_end: datetime) -> None:
    """Statutory hard limits on extending a huisverbod (Wet tijdelijk huisverbod art. 9)."""
    if ctx.at >= h["ends_at"]:
        raise RuleViolation(
            "the huisverbod has expired and can no longer be extended",
            code="HUISVERBOD_EXPIRED", rule="T7 huisverbod_verlenging (Wet tijdelijk huisverbod "
                                            "art. 9): decided before expiry",
        )
    end = as_utc(new_end)
    if end > h["max_end"]:
        raise RuleViolation(
            "an extension may run to at most 28 days after imposition",
            code="HUISVERBOD_EXTENSION_TOO_LONG",
            rule="T7 huisverbod_verlenging (Wet tijdelijk huisverbod art. 9): at most 28 days",
        )
    if end <= h["ends_at"]:
        raise RuleViolation("the new end must be later than the current end",
                            code="HUISVERBOD_EXTENSION_NOT_LATER", rule="T7 huisverbod_verlenging")


def process_due(case: HouseholdCase, ctx: DecisionContext, deadline_id: str) -> list[JsonDict]:
    """Act on one due deadline: end a huisverbod that ran out, or record a breach once."""
    d = case.deadlines.get(deadline_id)
    if d is None or d["status"] != "open" or d["due"] > ctx.at:
        return []
    if d["rule_id"] in HUISVERBOD_END_RULES:
        h = case.huisverboden.get(d["subject_id"])
        if h is not None and h["state"] in ACTIVE_HUISVERBOD and ctx.at >= h["ends_at"]:
            from uuid import UUID
            case.expire_huisverbod(None, ctx, huisverbod_id=UUID(d["subject_id"]))
            return [{"kind": "huisverbod_expired", "deadline_id": deadline_id,
                     "rule_id": d["rule_id"], "huisverbod_id": d["subject_id"],
                     "at": h["ends_at"]}]
        return []
    if d["breached_at"] is not None or ctx.at <= d["due"]:  # ``due`` is still on time
        return []
    case._deadline_breached(deadline_id=deadline_id, due=d["due"], detected_at=ctx.at)
    return [{"kind": "breach", "deadline_id": deadline_id, "rule_id": d["rule_id"],
             "rule_name": d["rule_name"], "due": d["due"], "detected_at": ctx.at,
             "blocking": d["breach_effect"] == BreachEffect.BLOCKING.value}]


def reschedule(case: HouseholdCase, calendar: WorkingDayCalendar, rules: Any,
               decree: str) -> list[JsonDict]:
    """Recompute open deadlines on a new calendar version; record each one that moved.

    A deadline already recorded as breached keeps its due instant: the breach was decided on
    the calendar in force, and moving the due past it would contradict the record.
    """
    moved: list[JsonDict] = []
    for d in open_deadlines(case):
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
        case._deadline_rescheduled(deadline_id=d["deadline_id"], old_due=old_due,
                                   new_due=comp.due, calendar_version=calendar.version,
                                   decree=decree, skipped=skipped, counting=comp.counting)
        moved.append({"deadline_id": d["deadline_id"], "rule_id": d["rule_id"],
                      "old_due": old_due, "new_due": comp.due, "decree": decree})
    return moved
