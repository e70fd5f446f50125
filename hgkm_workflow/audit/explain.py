"""One recorded decision explained: rule and version, inputs, state before, the computation."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application

from hgkm_workflow.adapters.loading import project_events
from hgkm_workflow.audit.as_of import case_summary
from hgkm_workflow.audit.business_time import DEADLINE_EVENTS, business_times
from hgkm_workflow.audit.entries import TimelineEntry, describe
from hgkm_workflow.audit.json_form import _jsonable
from hgkm_workflow.clock import as_utc
from hgkm_workflow.errors import CaseNotFound, HgkmError

if TYPE_CHECKING:
    from hgkm_workflow.access.models import Access
    from hgkm_workflow.case import HouseholdCase
    from hgkm_workflow.domain.deadlines import RuleBook

__all__ = ["EventExplanation", "EventNotFound", "Explanations", "explain_event",
           "explain_events"]

_PROVENANCE = ("actor", "at", "rationale", "rule")
_DEADLINE_EVENTS = DEADLINE_EVENTS


class EventNotFound(HgkmError):
    """The case has no event with the requested version."""

    code = "EVENT_NOT_FOUND"
    default_rule = "event-exists"



@dataclass(frozen=True)
class EventExplanation:
    """One recorded decision explained.

    Attributes:
        case_id: The case.
        version: The event's version in the case.
        event: The event type.
        business_time: When it happened in the case.
        recorded_at: When the system recorded it.
        actor: Who decided (pseudonymous id, organisation, role), if a person did.
        rationale: Why, in the decider's words.
        rule: The rule or legal basis named on the event.
        rule_version: For deadline events, the version of the time-limit rule applied.
        stored_class_version: The event's schema version as stored (older versions are
            upcast when read; see docs/event-evolution.md).
        inputs: The values the decision recorded (the event's fields besides provenance).
        state_before: The summary state the decision was taken in (None for the first event).
        decision: All events recorded by the same command: ``{"version", "event"}``.
        deadlines: Deadlines the decision started or touched, each with rule id, name and
            version, calendar version, start, due, counting and skipped days, and a
            recomputation check (``recomputed_due``, ``recomputation_matches``).
        entry: The event's timeline entry.
    """

    case_id: UUID
    version: int
    event: str
    business_time: datetime
    recorded_at: datetime
    actor: dict[str, Any] | None
    rationale: str
    rule: str
    rule_version: int | None
    stored_class_version: int
    inputs: dict[str, Any]
    state_before: dict[str, Any] | None
    decision: tuple[dict[str, Any], ...]
    deadlines: tuple[dict[str, Any], ...]
    entry: TimelineEntry

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        result: dict[str, Any] = _jsonable({
            "case_id": str(self.case_id), "version": self.version, "event": self.event,
            "business_time": self.business_time, "recorded_at": self.recorded_at,
            "actor": self.actor, "rationale": self.rationale, "rule": self.rule,
            "rule_version": self.rule_version,
            "stored_class_version": self.stored_class_version, "inputs": self.inputs,
            "state_before": self.state_before, "decision": list(self.decision),
            "deadlines": list(self.deadlines), "what": self.entry.what,
        })
        return result


class Explanations(Protocol):
    """Anything that explains events access-checked (the application does)."""

    def explain_event(self, case_id: UUID, version: int, *,
                      access: Access | dict[str, Any]) -> EventExplanation:
        """Explain one event, decided by the access policy and logged."""


def explain_event(app: Explanations, case_id: UUID, version: int, *,
                  access: Access | dict[str, Any]) -> EventExplanation:
    """Explain the decision recorded as event ``version`` of a case (access-checked).

    See :func:`explain_events`.
    """
    return app.explain_event(case_id, version, access=access)


def explain_events(store: Application[UUID], events: Sequence[Any], case_id: UUID,
                   version: int, *, rules: RuleBook) -> EventExplanation:
    """Explain the decision recorded as event ``version`` of a case.

    Args:
        store: The event store's application (earlier versions of the case, stored form).
        events: The case's events in version order.
        case_id: The case.
        version: The event's version (1 is the opening of the case).
        rules: The time-limit rules in force (to recompute a deadline).

    Returns:
        The explanation: rule and version, inputs, state before, rationale, and for deadline
        events the calendar version and the computation (checked by recomputing it).

    Raises:
        CaseNotFound: If there is no such case.
        EventNotFound: If the case has no event with that version.
    """
    if not 1 <= version <= len(events):
        raise EventNotFound(f"case {case_id} has events 1..{len(events)}, not {version}")
    times = business_times(events)
    ev = events[version - 1]
    name = type(ev).__name__
    fields = {k: v for k, v in vars(ev).items()
              if not k.startswith("originator") and k != "timestamp"}
    inputs = {k: v for k, v in fields.items() if k not in _PROVENANCE}
    group = _decision_group(events, version)
    touched = _deadline_ids(ev) | {d for e in group for d in _deadline_ids(e)}
    if name in _DEADLINE_EVENTS:
        touched = _deadline_ids(ev)
    started = {e.deadline["deadline_id"]: e for e in events
               if type(e).__name__ == "DeadlineStarted"}
    deadlines = tuple(_explain_deadline(rules, started[d], events) for d in sorted(touched)
                      if d in started)
    rule_version = None
    if name in _DEADLINE_EVENTS and deadlines:
        rule_version = deadlines[0]["rule_version"]
    first = group[0].originator_version
    before = _case_at(store, case_id, first - 1) if first > 1 else None
    rule = fields.get("rule") or (deadlines[0]["rule_id"] + " " + deadlines[0]["rule"]
                                  if name in _DEADLINE_EVENTS and deadlines else "")
    return EventExplanation(
        case_id=case_id, version=version, event=name, business_time=times[version - 1],
        recorded_at=as_utc(ev.timestamp), actor=fields.get("actor"),
        rationale=fields.get("rationale") or "", rule=rule, rule_version=rule_version,
        stored_class_version=_stored_class_version(store, case_id, version),
        inputs=inputs, state_before=case_summary(before, times[version - 1]) if before else None,
        decision=tuple({"version": e.originator_version, "event": type(e).__name__}
                       for e in group),
        deadlines=deadlines,
        entry=dataclasses.replace(describe(ev), at=times[version - 1]),
    )


def _deadline_ids(ev: Any) -> set[str]:
    if type(ev).__name__ == "DeadlineStarted":
        return {ev.deadline["deadline_id"]}
    deadline_id = getattr(ev, "deadline_id", None)
    return {deadline_id} if isinstance(deadline_id, str) else set()


def _decision_key(ev: Any) -> tuple[Any, ...] | None:
    """Events of one command share recording time and provenance; some carry none."""
    if type(ev).__name__ in _DEADLINE_EVENTS or not hasattr(ev, "rationale"):
        return None
    return (ev.timestamp, repr(ev.actor), ev.rationale, getattr(ev, "at", None))


def _decision_group(events: Sequence[Any], version: int) -> list[Any]:
    """The run of events recorded by the same command as event ``version``.

    A command's events share their recording time and provenance (actor, rationale,
    business time). Events without provenance — the deadline events a decision triggers, the
    opening of a case — belong to the decision recorded with them: the one before (or, for
    the opening, the one after).
    """
    own = [_decision_key(ev) for ev in events]
    keys: list[tuple[Any, ...]] = []
    for i, ev in enumerate(events):
        key = own[i]
        if key is None and keys and keys[-1][0] == ev.timestamp and i > 0 \
                and type(ev).__name__ != "Opened":
            key = keys[-1]
        if key is None:
            later = next((k for k in own[i + 1:] if k is not None), None)
            key = later if later is not None and later[0] == ev.timestamp \
                else (ev.timestamp, "system")
        keys.append(key)
    mine = keys[version - 1]
    lo = hi = version - 1
    while lo > 0 and keys[lo - 1] == mine:
        lo -= 1
    while hi + 1 < len(events) and keys[hi + 1] == mine:
        hi += 1
    return list(events[lo:hi + 1])


def _explain_deadline(rules: RuleBook, started: Any, events: Sequence[Any]
                      ) -> dict[str, Any]:
    from hgkm_workflow.domain.calendar import calendar_by_version
    from hgkm_workflow.domain.deadlines import checkpoint_dues, compute_due

    d = dict(started.deadline)
    info: dict[str, Any] = {
        key: d.get(key) for key in (
            "deadline_id", "rule_id", "rule_name", "rule_version", "rule_variant", "rule_type",
            "breach_effect", "legal_source", "subject_kind", "subject_id", "checkpoint",
            "start", "due", "computed_due", "counting", "calendar_version", "skipped")
    }
    info["rule"] = d.get("rule_name")
    history = []
    for ev in events:
        if getattr(ev, "deadline_id", None) != d["deadline_id"]:
            continue
        entry = {"version": ev.originator_version, "event": type(ev).__name__}
        entry.update({k: v for k, v in vars(ev).items()
                      if k in ("at", "late_seconds", "detected_at", "reason", "new_due",
                               "old_due", "calendar_version", "decree")})
        history.append(entry)
    info["history"] = history
    try:
        rule = rules.get(d["rule_id"])
        calendar = calendar_by_version(d["calendar_version"])
    except HgkmError as exc:
        info["recomputed_due"] = None
        info["recomputation_matches"] = None
        info["recomputation_note"] = exc.message
        return info
    if rule.version != d.get("rule_version"):
        info["recomputed_due"] = None
        info["recomputation_matches"] = None
        info["recomputation_note"] = (f"rule {rule.id} is now at version {rule.version}; "
                                      f"the deadline used version {d.get('rule_version')}")
        return info
    if d.get("checkpoint") is not None:
        comps = [c for c in checkpoint_dues(rule, d["start"], calendar)
                 if c.checkpoint == d["checkpoint"]]
        recomputed = comps[0].due if comps else None
    else:
        recomputed = compute_due(rule, d["start"], calendar).due
    info["recomputed_due"] = recomputed
    info["recomputation_matches"] = recomputed == d.get("computed_due", d.get("due"))
    return info


def _stored_class_version(store: Application[UUID], case_id: UUID, version: int) -> int:
    stored = store.recorder.select_events(case_id, gt=version - 1, lte=version)
    if not stored:
        return 1
    from hgkm_workflow.audit.stored_form import decode_stored_state

    state = decode_stored_state(store, stored[0].state)
    return int(state.get("class_version", 1))


def _case_at(store: Application[UUID], case_id: UUID, version: int) -> HouseholdCase:
    from hgkm_workflow.case import HouseholdCase

    try:
        case: Any = store.repository.get(case_id, version=version,
                                         projector_func=project_events)
    except AggregateNotFoundError:
        raise CaseNotFound(f"no case {case_id}") from None
    if not isinstance(case, HouseholdCase):
        raise CaseNotFound(f"no case {case_id}")
    return case
