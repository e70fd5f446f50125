"""Commands of intake: adviezen, meldingen, the veiligheidsbeoordeling and the VT services.

Re-exported by :mod:`hgkm_workflow.commands`; built on the bases of ``commands_base.py``.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import Field, field_validator, model_validator

from hgkm_workflow.commands_base import (
    CaseCommand,
    Code,
    Command,
    GemeenteCode,
    Instant,
    PersonInvolvement,
    Regisseur,
)
from hgkm_workflow.vocabulary import (
    AssessmentOutcome,
    MelderType,
    OnderzoekConclusion,
    ViolenceForm,
    Voorwaarde,
    VtServiceResult,
)


class RecordAdvies(Command):
    """Record an advice request to Veilig Thuis (no persons)."""

    advies_id: UUID | None = None
    region: Code
    gemeente: GemeenteCode
    melder_type: MelderType
    forms_of_violence: list[ViolenceForm] = Field(default_factory=list, max_length=20)


class _MeldingFields(Command):
    region: Code
    gemeente: GemeenteCode
    melder_type: MelderType
    persons: list[PersonInvolvement] = Field(min_length=1, max_length=50)
    forms_of_violence: list[ViolenceForm] = Field(min_length=1, max_length=20)
    acute: bool = False
    melding_id: UUID | None = None
    incident_at: Instant | None = Field(
        default=None, description="When the reported incident happened, if the melding says "
        "(Handle with Care, T10, counts from it); not after the receipt.")

    @field_validator("persons")
    @classmethod
    def _unique_persons(cls, persons: list[PersonInvolvement]) -> list[PersonInvolvement]:
        ids = [p.person_id for p in persons]
        if len(set(ids)) != len(ids):
            raise ValueError("a person may appear only once in a melding")
        return persons


class ReceiveMelding(_MeldingFields):
    """Receive a melding about a household; opens (or reopens) the household's case."""

    case_id: UUID | None = Field(
        default=None,
        description="The household's case; None opens a new case with a random id.",
    )


class ConvertAdviesToMelding(_MeldingFields):
    """Turn a recorded advies into a melding about a household."""

    advies_id: UUID
    case_id: UUID | None = None


#: Outcomes that may accompany the route of an assessment as additional measures. The route
#: itself (no further action, a handover, an onderzoek, Voorwaarden en Vervolg) is the outcome:
#: it decides which service, handover and deadlines start, so it is never an extra.
ADDITIONAL_MEASURES = frozenset({
    AssessmentOutcome.CRISIS_INTERVENTION, AssessmentOutcome.RVDK_REQUEST,
    AssessmentOutcome.INFORM_POLICE_OM, AssessmentOutcome.ESCALATE_MDA,
})


class CompleteVeiligheidsbeoordeling(CaseCommand):
    """Record the outcome of the veiligheidsbeoordeling of one melding."""

    melding_id: UUID
    outcome: AssessmentOutcome
    additional_measures: list[AssessmentOutcome] = Field(default_factory=list, max_length=8)
    veiligheidsvoorwaarden: list[Voorwaarde] = Field(default_factory=list, max_length=20)
    handover_to: Regisseur | None = None

    @model_validator(mode="after")
    def _handover_needs_conditions(self) -> CompleteVeiligheidsbeoordeling:
        handovers = {AssessmentOutcome.HANDOVER_LOCAL_TEAM,
                     AssessmentOutcome.HANDOVER_EXISTING_CARE}
        if self.outcome in handovers:
            if not self.veiligheidsvoorwaarden:
                raise ValueError("a handover needs veiligheidsvoorwaarden")
            if self.handover_to is None:
                raise ValueError("a handover names who receives the case (handover_to)")
        elif self.handover_to is not None:  # no field accepted without effect (issue 13)
            raise ValueError("handover_to is given only with a handover outcome")
        if self.outcome in self.additional_measures:
            raise ValueError("an additional measure repeats the outcome")
        routes = set(self.additional_measures) - ADDITIONAL_MEASURES
        if routes:
            raise ValueError(
                "additional measures are " + ", ".join(sorted(ADDITIONAL_MEASURES))
                + "; a route (" + ", ".join(sorted(routes)) + ") is given as the outcome")
        return self


class CompleteVtService(CaseCommand):
    """Complete the running VT service (onderzoek or Voorwaarden en Vervolg)."""

    result: VtServiceResult
    conclusion: OnderzoekConclusion | None = None
    veiligheidsvoorwaarden: list[Voorwaarde] = Field(default_factory=list, max_length=20)
    handover_to: Regisseur | None = None

    @model_validator(mode="after")
    def _handover_needs_receiver(self) -> CompleteVtService:
        handovers = {VtServiceResult.HANDOVER_LOCAL_TEAM, VtServiceResult.HANDOVER_EXISTING_CARE}
        incomplete = self.handover_to is None or not self.veiligheidsvoorwaarden
        if self.result in handovers and incomplete:
            raise ValueError("a handover needs handover_to and veiligheidsvoorwaarden")
        if self.result not in handovers and self.handover_to is not None:
            raise ValueError("handover_to is given only with a handover result")
        return self


class InformMelder(CaseCommand):
    """Record that the melder was given feedback (T5)."""

    melding_id: UUID


class InformSchool(CaseCommand):
    """Record that the school was informed under Handle with Care (T10)."""

    melding_id: UUID
