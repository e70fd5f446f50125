"""Audit and replay: a case's history, its state as of an instant, one decision explained,
and a verification that replays every case and rebuilds every read model.

Everything here reads the event store (never a read model alone), so it shows what was
recorded. Two clocks matter (docs/architecture.md, "Time"):

* **business time** — when something happened in the case (the ``at`` of a decision, the
  opening of the case, the start of a deadline, the due instant of a breach);
* **recording time** — when the system learnt of it (the event's ``timestamp``, taken from the
  application's injected clock).

They differ for a late-registered fact (a command with ``occurred_at`` in the past), for a
huisverbod that ran out before the scheduler recorded it, and for a breach recorded by a later
tick. :func:`state_as_of` replays either the facts that were *true* at an instant (business
basis) or those the system *knew* at that instant (recorded basis); :func:`compare_as_of` gives
both and what differs.

Every read needs an access request (who reads and why): the public functions here take the
application and ``access=``, and go through the application's checked queries (decided by the
access policy and written to the access log). The ``*_of``/``*_events`` functions work on a
case's events the caller has already been given.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from hgkm_workflow.audit.entries import TimelineEntry, describe
from hgkm_workflow.audit.verification import Difference, VerifyProgress, VerifyReport, verify
from hgkm_workflow.clock import as_utc
from hgkm_workflow.errors import HgkmError

if TYPE_CHECKING:
    from hgkm_workflow.access.models import Access
    from hgkm_workflow.application import HgkmApplication
    from hgkm_workflow.case import HouseholdCase

__all__ = [
    "AsOfComparison",
    "AsOfState",
    "Basis",
    "BusinessClock",
    "Difference",
    "EventExplanation",
    "EventNotFound",
    "VerifyProgress",
    "VerifyReport",
    "business_times",
    "compare_as_of",
    "compare_events",
    "explain_event",
    "explain_events",
    "jsonable",
    "mark_erased",
    "state_as_of",
    "state_of_events",
    "timeline",
    "timeline_of",
    "verify",
]

Basis = Literal["business", "recorded"]
"""``business``: what was true at the instant; ``recorded``: what the system knew then."""

_PROVENANCE = ("actor", "at", "rationale", "rule")
_DEADLINE_EVENTS = frozenset({"DeadlineStarted", "DeadlineMet", "DeadlineBreached",
                              "DeadlineClosedUnmet", "DeadlineRescheduled"})


class EventNotFound(HgkmError):
    """The case has no event with the requested version."""

    code = "EVENT_NOT_FOUND"
    default_rule = "event-exists"


# ---------------------------------------------------------------------------- business time


class BusinessClock:
    """Assigns business times to one aggregate's events, fed in version order.

    See :func:`business_times` for the rules. Keep one instance per aggregate when events of
    several aggregates are interleaved (as in the notification log).
    """

    def __init__(self) -> None:
        self._last_decision: datetime | None = None
        self._last_recorded: datetime | None = None

    def business_time(self, ev: Any) -> datetime:
        """The business time of ``ev``, the next event of this aggregate."""
        name = type(ev).__name__
        recorded: datetime = ev.timestamp
        at: datetime | None
        if name == "Opened":
            at = getattr(ev, "opened_at", None) or getattr(ev, "at", None)
        elif name == "DeadlineBreached":
            at = ev.due
        elif name in ("DeadlineStarted", "DeadlineRescheduled"):
            same_decision = self._last_decision is not None and recorded == self._last_recorded
            at = self._last_decision if same_decision else None
            if at is None and name == "DeadlineStarted":
                at = ev.deadline["start"]
        else:
            at = getattr(ev, "at", None)
        instant = as_utc(at) if isinstance(at, datetime) else as_utc(recorded)
        if name not in _DEADLINE_EVENTS:
            self._last_decision = instant
        self._last_recorded = recorded
        return instant


def business_times(events: Sequence[Any]) -> list[datetime]:
    """The business time of each of a case's events, in order.

    A decision's own ``at`` where it has one; the opening instant for ``Opened``; for a
    breach the due instant (the deadline was overdue from then on, whenever a tick recorded
    it); and for the deadline bookkeeping that a decision triggers (``DeadlineStarted``,
    ``DeadlineRescheduled``) the business time of that decision. Events without any of these
    fall back to their recording time.

    Args:
        events: A case's domain events in version order.

    Returns:
        One aware UTC instant per event.
    """
    clock = BusinessClock()
    return [clock.business_time(ev) for ev in events]


# ---------------------------------------------------------------------------- timeline


def timeline(app: HgkmApplication, case_id: UUID, *, access: Access | dict[str, Any]
             ) -> list[TimelineEntry]:
    """The case's history in plain language, one entry per event.

    Reuses :func:`hgkm_workflow.audit.entries.describe`; the ``at`` of each entry is the event's
    business time as defined by :func:`business_times`, so the timeline and
    :func:`state_as_of` agree on when things happened. Same as :meth:`HgkmApplication.timeline`:
    the read is decided by the access policy and logged.

    Raises:
        CaseNotFound: If there is no such case.
        AccessDenied: If the access policy refuses the read.
    """
    return app.timeline(case_id, access=access)


def timeline_of(events: Sequence[Any]) -> list[TimelineEntry]:
    """The timeline of a case's events (no access check: the caller has decided it)."""
    return [dataclasses.replace(describe(ev), at=at)
            for ev, at in zip(events, business_times(events), strict=True)]


_PERSON_FIELDS = ("person_id", "removed_person_id")


def mark_erased(entries: list[TimelineEntry], erased: frozenset[str]) -> list[TimelineEntry]:
    """Mark the entries that name a person whose details were erased from the register.

    The events keep the pseudonymous id (history replays unchanged); the entry says that the
    person behind it can no longer be identified: ``details["erased_persons"]`` and a note.
    """
    if not erased:
        return entries
    out: list[TimelineEntry] = []
    for entry in entries:
        named = sorted(pid for pid in erased if pid[:8] in entry.what
                       or pid in str(entry.details))
        if not named:
            out.append(entry)
            continue
        note = ", ".join(pid[:8] for pid in named)
        out.append(dataclasses.replace(
            entry, what=f"{entry.what} [erased from the register: {note}]",
            details={**entry.details, "erased_persons": named}))
    return out


# ---------------------------------------------------------------------------- as of


@dataclass(frozen=True)
class AsOfState:
    """A case as it stood at an instant, on one basis.

    Attributes:
        case_id: The case.
        at: The instant asked about (UTC).
        basis: ``business`` (true at ``at``) or ``recorded`` (known at ``at``).
        existed: False when the case had not been opened (or recorded) by then.
        version: The last event version replayed (None if none).
        included: Versions replayed.
        left_out: Versions left out because they lie after ``at`` on this basis.
        not_replayable: Versions dated before ``at`` that could not be applied without a
            left-out fact they build on (business basis only; see the docs).
        state: The summary: phase, sub_state, plans, open deadlines, regisseur, huisverboden,
            mda, loop_backs, meldingen, closure.
    """

    case_id: UUID
    at: datetime
    basis: Basis
    existed: bool
    version: int | None
    included: tuple[int, ...]
    left_out: tuple[int, ...]
    not_replayable: tuple[int, ...]
    state: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "case_id": str(self.case_id), "at": self.at.isoformat(), "basis": self.basis,
            "existed": self.existed, "version": self.version, "included": list(self.included),
            "left_out": list(self.left_out), "not_replayable": list(self.not_replayable),
            "state": _jsonable(self.state),
        }


@dataclass(frozen=True)
class AsOfComparison:
    """What was true at an instant against what the system knew then.

    Attributes:
        business: The state replayed on business time.
        recorded: The state replayed on recording time.
        differences: ``{"field", "business", "recorded"}`` for each summary field that differs.
        late_facts: Events true at the instant but recorded after it (timeline entries).
        early_records: Events recorded by the instant but dated after it.
    """

    business: AsOfState
    recorded: AsOfState
    differences: tuple[dict[str, Any], ...]
    late_facts: tuple[TimelineEntry, ...]
    early_records: tuple[TimelineEntry, ...]

    @property
    def differ(self) -> bool:
        """Whether the two bases give different states."""
        return bool(self.differences)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "business": self.business.as_dict(), "recorded": self.recorded.as_dict(),
            "differ": self.differ, "differences": _jsonable(list(self.differences)),
            "late_facts": [e.as_dict() for e in self.late_facts],
            "early_records": [e.as_dict() for e in self.early_records],
        }


def state_as_of(app: HgkmApplication, case_id: UUID, at: datetime,
                basis: Basis = "business", *, access: Access | dict[str, Any]) -> AsOfState:
    """Replay a case up to an instant (access-checked, see :func:`state_of_events`)."""
    return app.state_as_of(case_id, at, basis, access=access)


def state_of_events(events: Sequence[Any], case_id: UUID, at: datetime,
                    basis: Basis = "business") -> AsOfState:
    """Replay a case's events up to an instant.

    On the **recorded** basis the events recorded at or before ``at`` are replayed: what the
    system knew then. On the **business** basis every event whose business time
    (:func:`business_times`) is at or before ``at`` is replayed, in recorded order, even when
    it was recorded later: what was true then, as far as we know now. An event dated before
    ``at`` that builds on a left-out later-dated one (rare: a fact registered late *and*
    depending on a later decision) is skipped and listed in ``not_replayable``.

    Args:
        events: The case's events in version order.
        case_id: The case.
        at: An aware instant.
        basis: ``"business"`` or ``"recorded"``.

    Returns:
        The summary state at ``at``; open deadlines carry ``overdue`` (due before ``at``).

    Raises:
        ValueError: If ``at`` is naive or the basis unknown.
    """
    if basis not in ("business", "recorded"):
        raise ValueError("basis must be 'business' or 'recorded'")
    instant = as_utc(at)
    times = (business_times(events) if basis == "business"
             else [as_utc(ev.timestamp) for ev in events])
    case: Any = None
    included: list[int] = []
    left_out: list[int] = []
    broken: list[int] = []
    gap = False
    for ev, when in zip(events, times, strict=True):
        version = ev.originator_version
        if when > instant:
            left_out.append(version)
            gap = True
            continue
        if case is None:
            if version != 1:  # the opening itself lies after the instant
                broken.append(version)
                continue
            case = ev.mutate(None)
        elif not gap:
            case = ev.mutate(case)
        else:
            trial = copy.deepcopy(case)
            try:
                ev.apply(trial)
            except (KeyError, TypeError, AttributeError, IndexError):
                broken.append(version)
                continue
            trial.version = version
            case = trial
        included.append(version)
    return AsOfState(
        case_id=case_id, at=instant, basis=basis, existed=case is not None,
        version=included[-1] if included else None, included=tuple(included),
        left_out=tuple(left_out), not_replayable=tuple(broken),
        state=_summary(case, instant) if case is not None else {},
    )


def compare_as_of(app: HgkmApplication, case_id: UUID, at: datetime, *,
                  access: Access | dict[str, Any]) -> AsOfComparison:
    """Both as-of states of a case and how they differ (see :func:`state_as_of`).

    Raises:
        CaseNotFound: If there is no such case.
        AccessDenied: If the access policy refuses the read.
    """
    return app.compare_as_of(case_id, at, access=access)


def compare_events(events: Sequence[Any], case_id: UUID, at: datetime) -> AsOfComparison:
    """Both as-of states of a case's events and how they differ."""
    instant = as_utc(at)
    business = state_of_events(events, case_id, instant, "business")
    recorded = state_of_events(events, case_id, instant, "recorded")
    late: list[TimelineEntry] = []
    early: list[TimelineEntry] = []
    for ev, when in zip(events, business_times(events), strict=True):
        known = as_utc(ev.timestamp)
        if when <= instant < known:
            late.append(dataclasses.replace(describe(ev), at=when))
        elif known <= instant < when:
            early.append(dataclasses.replace(describe(ev), at=when))
    diffs: list[dict[str, Any]] = []
    if business.existed != recorded.existed:
        diffs.append({"field": "existed", "business": business.existed,
                      "recorded": recorded.existed})
    keys = sorted(set(business.state) | set(recorded.state))
    for key in keys:
        b, r = business.state.get(key), recorded.state.get(key)
        if _jsonable(b) != _jsonable(r):
            diffs.append({"field": key, "business": b, "recorded": r})
    return AsOfComparison(business, recorded, tuple(diffs), tuple(late), tuple(early))


def _summary(case: HouseholdCase, at: datetime) -> dict[str, Any]:
    from hgkm_workflow.views import CaseView

    view = CaseView.of(case)
    open_deadlines = [
        {"deadline_id": d.deadline_id, "rule_id": d.rule_id, "rule": d.rule_name,
         "checkpoint": d.checkpoint, "due": d.due, "overdue": d.due < at,
         "breach_recorded": d.breached}
        for d in sorted(view.open_deadlines, key=lambda d: (d.due, d.deadline_id))
    ]
    huisverboden = [
        {"huisverbod_id": h.huisverbod_id, "state": h.state,
         "removed_person_id": h.removed_person_id, "imposed_at": h.imposed_at,
         "ends_at": h.ends_at,
         "in_force": h.state in ("imposed", "extended") and h.imposed_at <= at < h.ends_at}
        for h in view.huisverboden
    ]
    return {
        "phase": view.phase.value,
        "sub_state": view.sub_state,
        "regisseur": view.regisseur,
        "handover_offered_to": view.handover_offered_to,
        "mda": view.mda,
        "plans": {"veiligheidsplan": view.veiligheidsplan,
                  "hulpverleningsplan": view.hulpverleningsplan,
                  "herstelplan": view.herstelplan},
        "open_risk_factors": list(view.open_risk_factors),
        "open_deadlines": open_deadlines,
        "huisverboden": huisverboden,
        "meldingen": view.meldingen,
        "roles": dict(view.persons),
        "loop_backs": view.loop_backs,
        "closure": view.closure,
    }


# ---------------------------------------------------------------------------- explain


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


def explain_event(app: HgkmApplication, case_id: UUID, version: int, *,
                  access: Access | dict[str, Any]) -> EventExplanation:
    """Explain the decision recorded as event ``version`` of a case (access-checked).

    See :func:`explain_events`.
    """
    return app.explain_event(case_id, version, access=access)


def explain_events(app: HgkmApplication, events: Sequence[Any], case_id: UUID,
                   version: int) -> EventExplanation:
    """Explain the decision recorded as event ``version`` of a case.

    Args:
        app: The application (rules, earlier versions of the case, stored form).
        events: The case's events in version order.
        case_id: The case.
        version: The event's version (1 is the opening of the case).

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
    deadlines = tuple(_explain_deadline(app, started[d], events) for d in sorted(touched)
                      if d in started)
    rule_version = None
    if name in _DEADLINE_EVENTS and deadlines:
        rule_version = deadlines[0]["rule_version"]
    first = group[0].originator_version
    before = app._load_version(case_id, first - 1) if first > 1 else None
    rule = fields.get("rule") or (deadlines[0]["rule_id"] + " " + deadlines[0]["rule"]
                                  if name in _DEADLINE_EVENTS and deadlines else "")
    return EventExplanation(
        case_id=case_id, version=version, event=name, business_time=times[version - 1],
        recorded_at=as_utc(ev.timestamp), actor=fields.get("actor"),
        rationale=fields.get("rationale") or "", rule=rule, rule_version=rule_version,
        stored_class_version=_stored_class_version(app, case_id, version),
        inputs=inputs, state_before=_summary(before, times[version - 1]) if before else None,
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


def _explain_deadline(app: HgkmApplication, started: Any, events: Sequence[Any]
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
        rule = app.rules.get(d["rule_id"])
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


def _stored_class_version(app: HgkmApplication, case_id: UUID, version: int) -> int:
    stored = app.recorder.select_events(case_id, gt=version - 1, lte=version)
    if not stored:
        return 1
    from hgkm_workflow.audit.exchange import decode_stored_state

    state = decode_stored_state(app, stored[0].state)
    return int(state.get("class_version", 1))


# ---------------------------------------------------------------------------- helpers


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    return value


def jsonable(value: Any) -> Any:
    """Turn instants, dates and ids inside ``value`` into ISO / string form (for ``--json``)."""
    return _jsonable(value)
