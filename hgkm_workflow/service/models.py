"""Pydantic response models for the views, so a web framework can declare them.

The views (:class:`~hgkm_workflow.views.CaseView` and friends, the command results, the
case-list and deadline rows) stay frozen dataclasses; each model here mirrors one field for
field (a test holds them in step) and :meth:`ResponseModel.from_view` converts a view.
Like the views, the models hold ids and codes only, never personal data.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from hgkm_workflow.phases.lifecycle import CasePhase

__all__ = ["CaseModel", "CaseSummaryModel", "CommandResultModel", "DeadlineModel",
           "EmergencyAccessModel", "HuisverbodModel", "OpenDeadlineModel", "ResponseModel",
           "TickRecordModel", "TrackModel"]


class ResponseModel(BaseModel):
    """Base of the response models: frozen, built from a view's attributes."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    @classmethod
    def from_view(cls, view: Any) -> Self:
        """The model of a view (a dataclass instance of the matching view type)."""
        if not is_dataclass(view) or isinstance(view, type):
            raise TypeError(f"expected a view instance, got {type(view).__name__}")
        return cls.model_validate(view)


class DeadlineModel(ResponseModel):
    """One deadline on a case (:class:`~hgkm_workflow.views.DeadlineView`)."""

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


class HuisverbodModel(ResponseModel):
    """One huisverbod (:class:`~hgkm_workflow.views.HuisverbodView`)."""

    huisverbod_id: str
    state: str
    removed_person_id: str
    imposed_at: datetime
    ends_at: datetime
    max_end: datetime
    contact_address_given: bool


class EmergencyAccessModel(ResponseModel):
    """An emergency read (:class:`~hgkm_workflow.views.EmergencyAccessView`)."""

    access_id: str
    actor: dict[str, Any]
    at: datetime
    reason: str
    resource: str
    informed: bool | None
    reason_not_informed: str | None


class TrackModel(ResponseModel):
    """One partner track (:class:`~hgkm_workflow.views.TrackView`)."""

    track_id: str
    kind: str
    organisation: str
    organisation_type: str
    person_ids: tuple[str, ...]
    started_at: datetime
    ended_at: datetime | None
    outcome: str | None
    handover_to: dict[str, Any] | None


class CaseModel(ResponseModel):
    """A case (:class:`~hgkm_workflow.views.CaseView`): ids, codes, states and instants."""

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
    huisverboden: tuple[HuisverbodModel, ...]
    deadlines: tuple[DeadlineModel, ...]
    meldingen: int
    persons: dict[str, str]
    loop_backs: int
    closure: dict[str, Any] | None
    emergency_accesses: tuple[EmergencyAccessModel, ...] = ()
    erased_persons: frozenset[str] = frozenset()
    procesregie: dict[str, Any] | None = None
    tracks: tuple[TrackModel, ...] = ()


class CommandResultModel(ResponseModel):
    """What a command did (:class:`~hgkm_workflow.application.results.CommandResult`)."""

    aggregate_id: UUID
    version: int
    events: tuple[str, ...]
    ids: dict[str, UUID] = {}


class TickRecordModel(ResponseModel):
    """What a tick recorded (:class:`~hgkm_workflow.application.results.TickRecord`)."""

    case_id: UUID
    kind: str
    deadline_id: str
    rule_id: str
    due: datetime | None
    detail: dict[str, Any]


class CaseSummaryModel(ResponseModel):
    """A case-list row (:class:`~hgkm_workflow.projections.case_queries.CaseSummary`)."""

    case_id: UUID
    region: str
    gemeente: str
    phase: str
    opened_at: datetime
    phase_entered_at: datetime
    version: int
    meldingen: int
    loop_backs: int
    mda: str


class OpenDeadlineModel(ResponseModel):
    """A deadline-index row (:class:`~hgkm_workflow.projections.deadline_queries.OpenDeadline`)."""

    deadline_id: str
    case_id: UUID
    rule_id: str
    rule_name: str
    rule_type: str
    due: datetime
    breached: bool
    checkpoint: int | None


def as_plain(view: Any) -> dict[str, Any]:
    """A view as a plain dict (for hosts that do not use the models)."""
    return asdict(view)
