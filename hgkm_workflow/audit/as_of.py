"""A case as it stood at an instant: what was true then (business time) or known then (recorded).

:func:`state_as_of` replays either the facts that were *true* at an instant (business basis)
or those the system *knew* at that instant (recorded basis); :func:`compare_as_of` gives both
and what differs.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from hgkm_workflow.audit.business_time import Basis, business_times
from hgkm_workflow.audit.entries import TimelineEntry, describe
from hgkm_workflow.audit.json_form import _jsonable
from hgkm_workflow.clock import as_utc

if TYPE_CHECKING:
    from hgkm_workflow.access.models import Access
    from hgkm_workflow.case import HouseholdCase

__all__ = ["AsOfComparison", "AsOfReads", "AsOfState", "case_summary", "compare_as_of",
           "compare_events", "state_as_of", "state_of_events"]


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


class AsOfReads(Protocol):
    """Anything that gives access-checked as-of states (the application does)."""

    def state_as_of(self, case_id: UUID, at: datetime, basis: Basis = "business", *,
                    access: Access | dict[str, Any]) -> AsOfState:
        """The case as it stood at ``at``, decided by the access policy and logged."""

    def compare_as_of(self, case_id: UUID, at: datetime, *,
                      access: Access | dict[str, Any]) -> AsOfComparison:
        """Both as-of states, decided by the access policy and logged."""


def state_as_of(app: AsOfReads, case_id: UUID, at: datetime,
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
        state=case_summary(case, instant) if case is not None else {},
    )


def compare_as_of(app: AsOfReads, case_id: UUID, at: datetime, *,
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


def case_summary(case: HouseholdCase, at: datetime) -> dict[str, Any]:
    """The summary of a case that as-of states and explanations show."""
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
