"""The rules of the person index: the stage of a VT involvement and the classification.

Pure functions over plain values (no database): how an involvement's state changes when a
melding joins it or an activity starts or stops (:func:`melding_joins`,
:func:`new_involvement`, :func:`involvement_change`), and how a melding is classified from the
involvements its counted persons were in (:class:`Classifier`). The rules themselves are
described in :mod:`hgkm_workflow.projections.person_index`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from hgkm_workflow.domain.calendar import local_date
from hgkm_workflow.settings import ClassificationSettings


class MeldingClass(StrEnum):
    """CBS classification of a melding at receipt."""

    NIEUW = "nieuw"
    VERVOLGMELDING = "vervolgmelding"
    HERMELDING = "hermelding"


class VervolgKind(StrEnum):
    """What VT was doing for the person when a vervolgmelding came in (the stage)."""

    DURING_ASSESSMENT = "during_assessment"
    AFTER_ASSESSMENT = "after_assessment"
    DURING_MONITORING = "during_monitoring"


ENDED = "ended"
"""The stage of an involvement in which no activity runs."""
CONTINUABLE = frozenset({"VeiligheidsbeoordelingCompleted", "VtServiceCompleted"})
STAGE_TEXT = {
    VervolgKind.DURING_ASSESSMENT: "the veiligheidsbeoordeling was under way",
    VervolgKind.AFTER_ASSESSMENT: "an onderzoek or Voorwaarden en Vervolg was running",
    VervolgKind.DURING_MONITORING: "VT was monitoring after a handover",
}


def stage_of(pending: int, service: bool, monitoring: bool) -> str:
    """The stage of an involvement from its activities (a service before monitoring first)."""
    if service:
        return VervolgKind.AFTER_ASSESSMENT.value
    if monitoring:
        return VervolgKind.DURING_MONITORING.value
    if pending > 0:
        return VervolgKind.DURING_ASSESSMENT.value
    return ENDED


def lookback_cutoff(received_on: date, years: int) -> date:
    """The earliest end date that still makes a hermelding (inclusive).

    Args:
        received_on: The Amsterdam date the melding was received.
        years: The lookback in whole years.

    Returns:
        The same calendar date ``years`` earlier (29 February becomes 28 February).
    """
    try:
        return received_on.replace(year=received_on.year - years)
    except ValueError:
        return received_on.replace(year=received_on.year - years, day=28)


def melding_joins(pending: int, service: bool, monitoring: bool) -> dict[str, Any]:
    """The state of a running involvement after one more melding joins it."""
    stage = stage_of(pending + 1, service, monitoring)
    return {
        "pending_assessments": pending + 1,
        "service_running": service,
        "monitoring_running": monitoring,
        "stage": stage,
        "last_stage": stage,
        "ended_at": None,
        "ended_on": None,
        "end_event": None,
    }


def new_involvement(
    case_id: str, number: int, at: datetime, started_by: str | None, pending: int
) -> dict[str, Any]:
    """A new ``rm_vt_involvements`` row (one melding pending, or an ended placeholder)."""
    stage = VervolgKind.DURING_ASSESSMENT.value if pending else ENDED
    return {
        "case_id": case_id,
        "involvement_no": number,
        "started_at": at,
        "started_by": started_by,
        "pending_assessments": pending,
        "service_running": False,
        "monitoring_running": False,
        "stage": stage,
        "last_stage": stage,
        "ended_at": None,
        "ended_on": None,
        "end_event": None,
    }


def involvement_change(
    current: tuple[int, bool, bool, str],
    at: datetime,
    kind: str,
    *,
    pending: int = 0,
    service: bool | None = None,
    monitoring: bool | None = None,
    close: bool = False,
) -> dict[str, Any]:
    """The state of an involvement after an event changes one of its activities.

    Args:
        current: Pending assessments, service running, monitoring running and last stage
            before the event.
        at: The event's business time (naive UTC).
        kind: The event class name (recorded as ``end_event`` if the involvement ends).
        pending: Change of the pending assessments.
        service: New value of "service running", if the event changes it.
        monitoring: New value of "monitoring running", if the event changes it.
        close: The case closes: every activity stops.

    Returns:
        The values of the involvement's state columns.
    """
    cur_pending, cur_service, cur_monitoring, cur_last = current
    new_pending = 0 if close else max(0, cur_pending + pending)
    new_service = False if close else (cur_service if service is None else service)
    new_monitoring = False if close else (cur_monitoring if monitoring is None else monitoring)
    stage = stage_of(new_pending, new_service, new_monitoring)
    before = stage_of(cur_pending, cur_service, cur_monitoring)
    ended = stage == ENDED
    return {
        "pending_assessments": new_pending,
        "service_running": new_service,
        "monitoring_running": new_monitoring,
        "stage": stage,
        "last_stage": stage if not ended else (before if before != ENDED else cur_last),
        "ended_at": at if ended else None,
        "ended_on": local_date(at.replace(tzinfo=UTC)) if ended else None,
        "end_event": kind if ended else None,
    }


@dataclass(frozen=True)
class _Candidate:
    """An involvement a counted person of a melding was in, as the classification sees it."""

    person_id: str
    role: str
    case_id: str
    involvement_no: int
    started_at: datetime
    ended_at: datetime | None
    kind: str


class Classifier:
    """Classifies meldingen at receipt with one set of settings.

    Args:
        settings: Lookback and counted roles.
    """

    def __init__(self, settings: ClassificationSettings) -> None:
        self.settings = settings
        self.roles = frozenset(r.value for r in settings.counted_roles)

    def row(
        self,
        ev: Any,
        case_id: str,
        at: datetime,
        counted: list[str],
        rows: Iterable[tuple[Any, ...]],
    ) -> dict[str, Any]:
        """The ``rm_melding_classification`` row of a melding.

        Args:
            ev: The ``MeldingReceived`` event.
            case_id: Its case.
            at: Its business time (naive UTC).
            counted: The ids of its persons whose role counts.
            rows: The candidate involvements of the counted persons joined at or before
                ``at``, as tuples ``(person_id, role, case_id, involvement_no, started_at,
                ended_at, ended_on, stage, last_stage)``.

        Returns:
            The row to insert.
        """
        received_on = local_date(at.replace(tzinfo=UTC))
        cutoff = lookback_cutoff(received_on, self.settings.lookback_years)
        active: list[_Candidate] = []
        recent: list[_Candidate] = []
        older: list[_Candidate] = []
        # Sorted, so that ties in the choice of the reference do not depend on row order.
        for r in sorted(rows, key=_candidate_order):
            person_id, role, ref_case, number, started_at, ended_at, ended_on, stage, last = r
            if role not in self.roles:
                continue
            running = ended_at is None or ended_at > at
            cand = _Candidate(
                person_id,
                role,
                ref_case,
                int(number),
                started_at,
                None if running else ended_at,
                (stage if ended_at is None else last),
            )
            if running:
                active.append(cand)
            elif ended_on >= cutoff:
                recent.append(cand)
            else:
                older.append(cand)
        kind: str | None = None
        ref: _Candidate | None
        if active:
            label = MeldingClass.VERVOLGMELDING.value
            ref = min(
                active,
                key=lambda c: (c.case_id != case_id, -_ts(c.started_at), c.case_id, c.person_id),
            )
            kind = ref.kind if ref.kind != ENDED else VervolgKind.DURING_ASSESSMENT.value
            matched = len({c.person_id for c in active})
        elif recent:
            label = MeldingClass.HERMELDING.value
            ref = min(recent, key=_latest_end)
            matched = len({c.person_id for c in recent})
        else:
            label = MeldingClass.NIEUW.value
            ref = min(older, key=_latest_end) if older else None
            matched = 0
        return {
            "melding_id": ev.melding_id,
            "case_id": case_id,
            "region": ev.region,
            "gemeente": ev.gemeente,
            "received_at": at,
            "classification": label,
            "vervolg_kind": kind,
            "ref_person_id": ref.person_id if ref else None,
            "ref_role": ref.role if ref else None,
            "ref_case_id": ref.case_id if ref else None,
            "ref_involvement_no": ref.involvement_no if ref else None,
            "ref_started_at": ref.started_at if ref else None,
            "ref_ended_at": ref.ended_at if ref else None,
            "persons_counted": len(counted),
            "persons_matched": matched,
            "lookback_years": self.settings.lookback_years,
            "cutoff_on": cutoff,
            "counted_roles": self.settings.roles_text,
        }


def _candidate_order(row: tuple[Any, ...]) -> tuple[str, str, int]:
    return (str(row[0]), str(row[2]), int(row[3]))


def _ts(instant: datetime) -> float:
    return instant.replace(tzinfo=UTC).timestamp()


def _latest_end(c: _Candidate) -> tuple[float, str, str]:
    if c.ended_at is None:  # an invariant, kept under python -O
        raise RuntimeError("internal invariant broken: c.ended_at is missing")
    return (-_ts(c.ended_at), c.case_id, c.person_id)
