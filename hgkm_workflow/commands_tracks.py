"""Commands for procesregie and the partners' tracks (issue 14, part B).

Beside :mod:`hgkm_workflow.commands` (same base classes, same validation): procesregie is taken
up and handed back by the organisation that holds it, while casusregie stays where it is; a
partner track (criminal track, a request to the Raad voor de Kinderbescherming, a child
protection order, a shelter stay, the Centrum Huiselijk Geweld's involvement) is started and
ended with its organisation and outcome. The kinds are data (``domain/track_kinds.py``).
"""

from __future__ import annotations

from uuid import UUID

from pydantic import Field, model_validator

from hgkm_workflow.commands import CaseCommand, Code, Regisseur
from hgkm_workflow.vocabulary import OrganisationType, TrackKind, TrackOutcome

__all__ = ["EndPartnerTrack", "HandBackProcesregie", "StartPartnerTrack", "TakeProcesregie"]


class TakeProcesregie(CaseCommand):
    """The MDA++ kernteam, a Zorg- en Veiligheidshuis or the Centrum Huiselijk Geweld takes up
    procesregie of the case; casusregie stays with the casusregisseur (seeds 002, 004)."""

    regisseur: Regisseur = Field(description="The procesregisseur: actor, organisation, type.")


class HandBackProcesregie(CaseCommand):
    """The organisation holding procesregie hands it back; the casusregisseur continues."""


class StartPartnerTrack(CaseCommand):
    """A partner's track starts beside the phases (it does not change the phase)."""

    track_id: UUID | None = Field(default=None, description="Minted when left out.")
    kind: TrackKind
    organisation: Code = Field(description="The organisation that runs the track.")
    organisation_type: OrganisationType
    person_ids: list[UUID] = Field(
        default_factory=list, max_length=50,
        description="The persons of the household the track concerns (optional).")


class EndPartnerTrack(CaseCommand):
    """A partner's track ended, with its outcome (a Centrum Huiselijk Geweld involvement ends
    only by handing back to the local field, named in ``handover_to``)."""

    track_id: UUID
    outcome: TrackOutcome
    handover_to: Regisseur | None = Field(
        default=None, description="Who takes the case back (only a handing-back outcome).")

    @model_validator(mode="after")
    def _handover_with_handing_back(self) -> EndPartnerTrack:
        handing_back = self.outcome is TrackOutcome.HANDED_BACK_TO_LOCAL_FIELD
        if handing_back and self.handover_to is None:
            raise ValueError("handing back names who takes the case back (handover_to)")
        if not handing_back and self.handover_to is not None:
            raise ValueError("handover_to is given only when handing back to the local field")
        return self
