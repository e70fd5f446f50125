"""Commands: the validated boundary of the library.

Every command is an immutable pydantic model. Shape, types and values are checked here, before
any case is loaded; an invalid command raises :class:`~hgkm_workflow.errors.InvalidCommand`
(through :func:`validate_command`) naming the fields, never echoing their values.
Commands are imperative (``ReceiveMelding``); the events they lead to are past tense.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hgkm_workflow.errors import InvalidCommand, PersonalDataSuspected
from hgkm_workflow.privacy import find_identifying_data
from hgkm_workflow.vocabulary import (
    ActorRole,
    AssessmentOutcome,
    ClosureReason,
    CrisisMeasure,
    HerstelIntervention,
    LoopBackCause,
    MelderType,
    OnderzoekConclusion,
    OrganisationType,
    PersonRole,
    RiskFactor,
    ViolenceForm,
    Voorwaarde,
    VtServiceResult,
)

#: Earliest and latest business instants accepted (guards against typos such as year 202).
EARLIEST = datetime.fromisoformat("2000-01-01T00:00:00+00:00")
LATEST = datetime.fromisoformat("2100-01-01T00:00:00+00:00")


GemeenteCode = Annotated[str, StringConstraints(pattern=r"^GM\d{4}$")]
"""A CBS municipality code such as ``GM0599`` (Rotterdam)."""


def _screen(text: str, info: ValidationInfo) -> str:
    kinds = find_identifying_data(text)
    if kinds:
        name = info.field_name or "rationale"
        raise PersonalDataSuspected(
            f"{name} seems to contain identifying data (" + ", ".join(kinds) + "); "
            "describe the decision and refer to persons by pseudonymous id",
            fields=[name],
        )
    return text


Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.:-]{0,63}$"),
                 AfterValidator(_screen)]
"""A lower-case code: region, organisation, pseudonymous actor id (never a BSN, phone number,
postcode or date: codes are screened like rationales)."""

Rationale = Annotated[
    str, StringConstraints(min_length=3, max_length=500, strip_whitespace=True),
    AfterValidator(_screen),
]
"""Why a decision was taken: about the decision, never a narrative about persons."""


def _in_range(value: datetime) -> datetime:
    if not EARLIEST <= value <= LATEST:
        raise ValueError("instant outside the supported range 2000-01-01..2100-01-01")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_in_range)]
"""A timezone-aware instant within the supported range."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Actor(_Model):
    """Who decides: a pseudonymous actor id, the organisation and the role."""

    actor_id: Code
    organisation: Code
    role: ActorRole


class Regisseur(_Model):
    """A casusregisseur: pseudonymous id and the organisation holding casusregie."""

    actor_id: Code
    organisation: Code
    organisation_type: OrganisationType


class PersonInvolvement(_Model):
    """A person (pseudonymous id from the person register) and their alleged role."""

    person_id: UUID
    role: PersonRole


class Command(_Model):
    """Base of every command: actor, rationale and optionally the business time."""

    actor: Actor
    rationale: Rationale
    occurred_at: Instant | None = Field(
        default=None,
        description="When it happened in the case (business time); default: the clock's now.",
    )


class CaseCommand(Command):
    """A command addressed to an existing household case."""

    case_id: UUID


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


class SetVeiligheidsplan(CaseCommand):
    """Set (or revise) the veiligheidsplan with its veiligheidsvoorwaarden."""

    voorwaarden: list[Voorwaarde] = Field(min_length=1, max_length=20)


class ConfirmAcuteUnsafetyRemoved(CaseCommand):
    """Confirm the exit criterion of directe veiligheid."""


class _LeavesPhase(CaseCommand):
    open_deadline_reason: Rationale | None = Field(
        default=None,
        description="Required when a statutory deadline is still open on leaving the phase.",
    )


class CompleteDirecteVeiligheid(_LeavesPhase):
    """Move the case on to risicogestuurde zorg."""


class SetHulpverleningsplan(CaseCommand):
    """Set (or revise) the hulpverleningsplan; lists the risk factors it addresses."""

    risk_factors: list[RiskFactor] = Field(min_length=1, max_length=12)


class OpenRiskFactor(CaseCommand):
    """Record a risk factor for repetition."""

    factor: RiskFactor


class ResolveRiskFactor(CaseCommand):
    """Record that a risk factor no longer affects safety."""

    factor: RiskFactor


class ConfirmStableSafety(CaseCommand):
    """Confirm the exit criterion of risicogestuurde zorg (stabiele veiligheid)."""


class CompleteRisicogestuurdeZorg(_LeavesPhase):
    """Move the case on to herstel."""


class SetHerstelplan(CaseCommand):
    """Set (or revise) the herstelplan."""

    interventions: list[HerstelIntervention] = Field(min_length=1, max_length=12)


class CompleteHerstelplan(CaseCommand):
    """Record that the herstelplan has been carried out."""


class CompleteHerstel(_LeavesPhase):
    """Move the case on to the waakvlam."""


class RecordWaakvlamContact(CaseCommand):
    """Record a waakvlam contact with the household."""


class LoopBack(CaseCommand):
    """Return the case to directe veiligheid after a new incident or acute unsafety."""

    cause: LoopBackCause


class CloseCase(CaseCommand):
    """Close the case with a reason."""

    reason: ClosureReason
    open_deadline_reason: Rationale | None = Field(
        default=None,
        description="Required when a statutory deadline is still open at closure.",
    )


class AssignCasusregisseur(CaseCommand):
    """Assign the first casusregisseur of a case."""

    regisseur: Regisseur


class OfferHandover(CaseCommand):
    """Offer the casusregie to another party (warm handover, step 1)."""

    to: Regisseur


class AcceptHandover(CaseCommand):
    """The receiving party accepts the casusregie (warm handover, step 2)."""


class DeclineHandover(CaseCommand):
    """The receiving party declines; the sender keeps the casusregie."""


class WithdrawHandover(CaseCommand):
    """The sender withdraws the offer; it keeps the casusregie."""


class EscalateToMda(CaseCommand):
    """Escalate the case to the MDA++ kernteam."""


class ReturnToLocalTeam(CaseCommand):
    """Return an MDA++ case to the local team."""


class TakeCrisisMeasure(CaseCommand):
    """Record a crisis measure."""

    measure: CrisisMeasure


class ImposeHuisverbod(CaseCommand):
    """The burgemeester imposes a tijdelijk huisverbod on a person of the household."""

    huisverbod_id: UUID | None = None
    removed_person_id: UUID


class ExtendHuisverbod(CaseCommand):
    """Extend an active huisverbod up to at most 28 days after imposition."""

    huisverbod_id: UUID
    new_end: Instant


class RevokeHuisverbod(CaseCommand):
    """Revoke an active huisverbod."""

    huisverbod_id: UUID


class ExpireHuisverbod(CaseCommand):
    """Record that a huisverbod ran out (normally done by the scheduler)."""

    huisverbod_id: UUID


class RecordContactAddressGiven(CaseCommand):
    """The removed person gave a contact address (T8); the address itself goes to the register."""

    huisverbod_id: UUID


class RecordMonitoringCheck(CaseCommand):
    """Record a VT monitoring check-point."""

    safe: bool


class EndMonitoring(CaseCommand):
    """End VT monitoring (stable safety reached, or the maximum reached)."""

    stable_safety: bool


class CorrectPersonRole(CaseCommand):
    """Record a corrected role for a person; the role at the melding is kept."""

    person_id: UUID
    role: PersonRole


class AddPerson(CaseCommand):
    """Add a person to the household after the melding (e.g. discovered during onderzoek)."""

    person_id: UUID
    role: PersonRole


class InvolveErvaringsdeskundige(CaseCommand):
    """Record that an ervaringsdeskundige is involved in the case."""


class OfferPlegeraanbod(CaseCommand):
    """Record offender help (plegeraanbod) offered to a person."""

    person_id: UUID


class RespondToPlegeraanbod(CaseCommand):
    """Record whether the offered plegeraanbod was accepted."""

    person_id: UUID
    accepted: bool


class RecordDataSubjectsInformed(CaseCommand):
    """Record whether the persons concerned are told of an emergency access to their case.

    Privacy never blocks safety, but data subjects are told their data was read unless that is
    itself unsafe (seed 004); not informing them needs a reason.
    """

    access_id: UUID = Field(description="The emergency access (see the case view).")
    informed: bool
    reason_not_informed: Rationale | None = Field(
        default=None, description="Required when the persons are not informed.")

    @model_validator(mode="after")
    def _reason_when_not_informed(self) -> RecordDataSubjectsInformed:
        if not self.informed and self.reason_not_informed is None:
            raise ValueError("not informing the persons concerned needs reason_not_informed")
        if self.informed and self.reason_not_informed is not None:
            raise ValueError("reason_not_informed belongs to a decision not to inform")
        return self


class RequestErasure(Command):
    """Request erasure of a person's identifying details from the person register.

    Refused while the retention period runs, unless a legal ground is given (the request is
    recorded either way). Erasure destroys the person's key (crypto-shredding).
    """

    person_id: UUID
    legal_ground: Rationale | None = Field(
        default=None,
        description="The legal ground for erasure before the retention period ends, "
                    "e.g. a court order or AVG art. 17 with the reason it applies.")



class RecordHuisverbodHelpOffered(CaseCommand):
    """Help was offered, during a huisverbod, to one side: the removed person or a person who
    stayed at home (T9 is met once both sides were offered help; seed 001)."""

    huisverbod_id: UUID
    person_id: UUID


class RecordSeparation(CaseCommand):
    """The partners separated: the stalking risk horizon (T11) starts (seed 001)."""

C = TypeVar("C", bound=BaseModel)


def validate_command(command_type: type[C], data: Any) -> C:
    """Validate ``data`` as ``command_type``; translate errors into :class:`InvalidCommand`.

    The error names the fields and what was wrong with them, never the values given.
    """
    if isinstance(data, command_type):
        return data
    try:
        return command_type.model_validate(data)
    except PersonalDataSuspected:
        raise
    except ValidationError as exc:
        raise invalid_from(exc) from None


def invalid_from(exc: ValidationError) -> InvalidCommand:
    """An :class:`InvalidCommand` naming the failing fields, without their input values."""
    fields: list[str] = []
    problems: list[str] = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "<command>"
        if err["type"] == "extra_forbidden":  # the unexpected key is caller input: not echoed
            loc = ".".join([*(str(p) for p in err["loc"][:-1]), "<unknown field>"])
        fields.append(loc)
        ctx = err.get("ctx") or {}
        inner = ctx.get("error")
        if isinstance(inner, PersonalDataSuspected):
            raise PersonalDataSuspected(inner.message, fields=[loc]) from None
        allowed = f" (allowed: {ctx['expected']})" if err["type"] == "enum" and "expected" in ctx \
            else ""  # the allowed values come from the enum, never from the input
        problems.append(f"{loc}: {err['type']}{allowed}")
    return InvalidCommand(
        f"{exc.title} is invalid: " + "; ".join(problems), fields=fields
    )
