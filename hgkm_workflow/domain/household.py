"""The household's further records: crisis measures, ervaringsdeskundige, plegeraanbod, and
emergency accesses with the decision whether the persons concerned are told."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.guards import RULE_INFORM_SUBJECTS, CaseGuards
from hgkm_workflow.errors import RuleViolation
from hgkm_workflow.phases.lifecycle import CasePhase

if TYPE_CHECKING:
    from hgkm_workflow.commands import (
        InvolveErvaringsdeskundige,
        OfferPlegeraanbod,
        RecordDataSubjectsInformed,
        RespondToPlegeraanbod,
        TakeCrisisMeasure,
    )

JsonDict = dict[str, Any]


class HouseholdDecisions(CaseGuards):
    """Decisions on crisis measures, plegeraanbod, ervaringsdeskundige and emergency access."""

    def take_crisis_measure(self, cmd: TakeCrisisMeasure, ctx: DecisionContext) -> None:
        """Record a crisis measure (only in directe veiligheid or triage)."""
        self._in_phase((CasePhase.TRIAGE, CasePhase.DIRECTE_VEILIGHEID), "take_crisis_measure")
        self._crisis_measure(**ctx.provenance(cmd, rule="crisis (001)"),
                             measure=cmd.measure.value)
        self._satisfy_deadlines(ctx, "CrisisMeasureTaken", None)

    def involve_ervaringsdeskundige(self, cmd: InvolveErvaringsdeskundige,
                                    ctx: DecisionContext) -> None:
        """Record the involvement of an ervaringsdeskundige (success criterion of 000)."""
        self._require_open("involve_ervaringsdeskundige")
        if self.ervaringsdeskundige_involved:
            raise RuleViolation("already involved", code="ERVARINGSDESKUNDIGE_ALREADY_INVOLVED",
                                rule="ervaringsdeskundige")
        self._ervaringsdeskundige(**ctx.provenance(cmd, rule="success criterion (000)"))

    def offer_plegeraanbod(self, cmd: OfferPlegeraanbod, ctx: DecisionContext) -> None:
        """Record offender help offered to a person of the household."""
        self._require_open("offer_plegeraanbod")
        self._require_person(cmd.person_id)
        offer = self.plegeraanbod.get(str(cmd.person_id))
        if offer is not None and offer["accepted"] is None:
            raise RuleViolation("this person has an open plegeraanbod awaiting a response",
                                code="PLEGERAANBOD_OPEN", rule="plegeraanbod (000)")
        self._plegeraanbod_offered(**ctx.provenance(cmd, rule="plegeraanbod (000)"),
                                   person_id=str(cmd.person_id))

    def respond_to_plegeraanbod(self, cmd: RespondToPlegeraanbod, ctx: DecisionContext) -> None:
        """Record whether the person accepted the plegeraanbod."""
        offer = self.plegeraanbod.get(str(cmd.person_id))
        if offer is None or offer["accepted"] is not None:
            raise RuleViolation("no open plegeraanbod for this person",
                                code="NO_OPEN_PLEGERAANBOD", rule="plegeraanbod (000)")
        self._plegeraanbod_response(**ctx.provenance(cmd, rule="plegeraanbod (000)"),
                                    person_id=str(cmd.person_id), accepted=cmd.accepted)

    @property
    def emergency_accesses(self) -> list[JsonDict]:
        """Emergency reads of this case: who looked, when, why, and whether persons were told."""
        # A plain attribute set by the first EmergencyAccessRecorded (not by Opened), so cases and
        # snapshots from before this event existed load unchanged.
        found: list[JsonDict] = self.__dict__.get("emergency_accesses", [])
        return found

    def record_emergency_access(self, actor: JsonDict, safety_reason: str, rule: str,
                                access_id: UUID, resource: str, ctx: DecisionContext) -> None:
        """Record an emergency access (privacy never blocks safety; seed 004).

        Allowed in every phase, closed cases included: the read has already been granted.
        """
        self._emergency_access(actor=actor, at=ctx.at, rationale=safety_reason, rule=rule,
                               access_id=str(access_id), resource=resource)

    def record_data_subjects_informed(self, cmd: RecordDataSubjectsInformed,
                                      ctx: DecisionContext) -> None:
        """Record whether the persons concerned are told of an emergency access."""
        found = [a for a in self.emergency_accesses if a["access_id"] == str(cmd.access_id)]
        if not found:
            raise RuleViolation("no emergency access with this id on the case",
                                code="EMERGENCY_ACCESS_NOT_FOUND", rule=RULE_INFORM_SUBJECTS)
        if found[0]["informed"] is not None:
            raise RuleViolation("the decision on informing the persons is already recorded",
                                code="INFORMED_ALREADY_RECORDED", rule=RULE_INFORM_SUBJECTS)
        self._data_subjects_informed(**ctx.provenance(cmd, rule=RULE_INFORM_SUBJECTS),
                                     access_id=str(cmd.access_id), informed=cmd.informed,
                                     reason_not_informed=cmd.reason_not_informed)
