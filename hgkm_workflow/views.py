"""Typed, read-only views of a case's state for callers of the public API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from hgkm_workflow.phases.lifecycle import CasePhase

if TYPE_CHECKING:
    from hgkm_workflow.case import HouseholdCase


@dataclass(frozen=True)
class DeadlineView:
    """One deadline on a case."""

    deadline_id: str
    rule_id: str
    rule_name: str
    rule_type: str
    status: str
    start: datetime
    due: datetime
    breached: bool
    checkpoint: int | None
    calendar_version: str
    skipped: tuple[tuple[str, str], ...]
    late_seconds: float | None


@dataclass(frozen=True)
class HuisverbodView:
    """One huisverbod on a case."""

    huisverbod_id: str
    state: str
    removed_person_id: str
    imposed_at: datetime
    ends_at: datetime
    max_end: datetime
    contact_address_given: bool


@dataclass(frozen=True)
class EmergencyAccessView:
    """An emergency read of the case: who looked, when and why, and whether persons were told."""

    access_id: str
    actor: dict[str, Any]
    at: datetime
    reason: str
    resource: str
    informed: bool | None
    reason_not_informed: str | None


@dataclass(frozen=True)
class TrackView:
    """One partner track beside the phases (criminal track, RvdK request, protection order,
    shelter stay, Centrum Huiselijk Geweld): open while ``ended_at`` is None."""

    track_id: str
    kind: str
    organisation: str
    organisation_type: str
    person_ids: tuple[str, ...]
    started_at: datetime
    ended_at: datetime | None
    outcome: str | None
    handover_to: dict[str, Any] | None


@dataclass(frozen=True)
class CaseView:
    """A snapshot of a household case for callers (no identifying data: ids only)."""

    case_id: UUID
    version: int
    region: str
    gemeente: str
    phase: CasePhase
    opened_at: datetime
    phase_entered_at: datetime
    sub_state: str | None
    regisseur: dict[str, Any] | None
    handover_offered_to: dict[str, Any] | None
    mda: str
    veiligheidsplan: dict[str, Any] | None
    hulpverleningsplan: dict[str, Any] | None
    open_risk_factors: tuple[str, ...]
    herstelplan: dict[str, Any] | None
    vt_service: dict[str, Any]
    monitoring: dict[str, Any]
    huisverboden: tuple[HuisverbodView, ...]
    deadlines: tuple[DeadlineView, ...]
    meldingen: int
    persons: dict[str, str]
    loop_backs: int
    closure: dict[str, Any] | None
    emergency_accesses: tuple[EmergencyAccessView, ...] = ()
    erased_persons: frozenset[str] = frozenset()
    """Persons of the case whose details were erased from the register (set by the query)."""
    procesregie: dict[str, Any] | None = None
    """Who holds procesregie (``actor_id``, ``organisation``, ``organisation_type``, ``since``)
    beside the casusregisseur (``regisseur``), or None."""
    tracks: tuple[TrackView, ...] = ()
    """The partners' tracks, open and ended, in the order they started."""

    @property
    def open_tracks(self) -> tuple[TrackView, ...]:
        """Partner tracks that have not ended."""
        return tuple(t for t in self.tracks if t.ended_at is None)

    @property
    def open_deadlines(self) -> tuple[DeadlineView, ...]:
        """Deadlines neither met nor closed."""
        return tuple(d for d in self.deadlines if d.status == "open")

    def deadline(self, rule: str) -> DeadlineView:
        """The most recent deadline for a rule id or name (KeyError if none)."""
        found = [d for d in self.deadlines if rule in (d.rule_id, d.rule_name)]
        if not found:
            raise KeyError(rule)
        return found[-1]

    @classmethod
    def of(cls, case: HouseholdCase) -> CaseView:
        """Build the view from an aggregate."""
        phase = CasePhase(case.phase)
        sub = {
            CasePhase.DIRECTE_VEILIGHEID: case.dv_state,
            CasePhase.RISICOGESTUURDE_ZORG: case.rz_state,
            CasePhase.HERSTEL: case.herstel_state,
            CasePhase.WAAKVLAM: case.waakvlam_state,
        }.get(phase)
        return cls(
            case_id=case.id,
            version=case.version,
            region=case.region,
            gemeente=case.gemeente,
            phase=phase,
            opened_at=case.opened_at,
            phase_entered_at=case.phase_entered_at,
            sub_state=sub,
            regisseur=case.regie["regisseur"],
            handover_offered_to=case.regie["offered_to"],
            mda=case.mda_state,
            veiligheidsplan=case.veiligheidsplan,
            hulpverleningsplan=case.hulpverleningsplan,
            open_risk_factors=tuple(case.open_risk_factors),
            herstelplan=case.herstelplan,
            vt_service=dict(case.vt_service),
            monitoring=dict(case.monitoring),
            huisverboden=tuple(
                HuisverbodView(
                    huisverbod_id=hid, state=h["state"], removed_person_id=h["removed_person_id"],
                    imposed_at=h["imposed_at"], ends_at=h["ends_at"], max_end=h["max_end"],
                    contact_address_given=h["contact_address_given"],
                )
                for hid, h in case.huisverboden.items()
            ),
            deadlines=tuple(
                DeadlineView(
                    deadline_id=d["deadline_id"], rule_id=d["rule_id"], rule_name=d["rule_name"],
                    rule_type=d["rule_type"], status=d["status"], start=d["start"], due=d["due"],
                    breached=d["breached_at"] is not None, checkpoint=d["checkpoint"],
                    calendar_version=d["calendar_version"],
                    skipped=tuple((s["date"], s["reason"]) for s in d["skipped"]),
                    late_seconds=d["late_seconds"],
                )
                for d in case.deadlines.values()
            ),
            meldingen=len(case.meldingen),
            persons={
                pid: (p["corrections"][-1]["role"] if p["corrections"] else p["role_at_melding"])
                for pid, p in case.persons.items()
            },
            loop_backs=case.loop_backs,
            closure=case.closure,
            emergency_accesses=tuple(EmergencyAccessView(**a)
                                     for a in case.emergency_accesses),
            procesregie=_procesregie(case),
            tracks=tuple(
                TrackView(track_id=tid, kind=t["kind"], organisation=t["organisation"],
                          organisation_type=t["organisation_type"],
                          person_ids=tuple(t["person_ids"]), started_at=t["started_at"],
                          ended_at=t["ended_at"], outcome=t["outcome"],
                          handover_to=t["handover_to"])
                for tid, t in case.__dict__.get("tracks", {}).items()
            ),
        )


def _procesregie(case: HouseholdCase) -> dict[str, Any] | None:
    held: dict[str, Any] = case.__dict__.get("procesregie") or {}
    if not held.get("holder"):
        return None
    return {**held["holder"], "since": held["since"]}
