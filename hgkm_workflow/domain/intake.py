"""Intake: meldingen, the veiligheidsbeoordeling, feedback to melder and school, persons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from hgkm_workflow.clock import as_utc
from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.guards import loop_back_rule
from hgkm_workflow.domain.incident import check_incident_time
from hgkm_workflow.domain.informing import (
    InformingDecisions,
    informing_withheld,
    persons_informed,
)
from hgkm_workflow.domain.period import RULE_NEW_PERIOD, PeriodDecisions, period_summary
from hgkm_workflow.domain.vt import VtDecisions
from hgkm_workflow.errors import RuleViolation
from hgkm_workflow.phases.intake import HANDOVER_OUTCOMES, TRIAGE, VT_SERVICE_OUTCOMES, MeldingState
from hgkm_workflow.phases.lifecycle import LATER_PHASES, LIFECYCLE, CasePhase
from hgkm_workflow.phases.mda import MDA, MdaState
from hgkm_workflow.phases.vt import VT_SERVICE, VtServiceState
from hgkm_workflow.vocabulary import AssessmentOutcome, ClosureReason, LoopBackCause, PersonRole

if TYPE_CHECKING:
    from hgkm_workflow.commands import (
        AddPerson,
        CompleteVeiligheidsbeoordeling,
        CorrectPersonRole,
        InformMelder,
        InformSchool,
    )
    from hgkm_workflow.commands import _MeldingFields as MeldingFields

# the informing event methods are re-exported for case.py, which binds them as events
__all__ = ["IntakeDecisions", "informing_withheld", "persons_informed"]

JsonDict = dict[str, Any]


class IntakeDecisions(InformingDecisions, PeriodDecisions, VtDecisions):
    """Decisions on meldingen, their assessment, feedback and the persons of the household;
    with informing the persons concerned and carry-over into a reopened case's new period."""

    def receive_melding(
        self, cmd: MeldingFields, melding_id: UUID, ctx: DecisionContext,
        from_advies: UUID | None = None,
    ) -> None:
        """Record a melding; a closed case reopens, an open one records a vervolgmelding."""
        trigger = "receive_melding" if self.case_phase in (CasePhase.NEW, CasePhase.CLOSED) \
            else "receive_vervolgmelding"
        dest = LIFECYCLE.next_state(self.case_phase, trigger)
        TRIAGE.next_state(MeldingState.NONE, "receive")
        if str(melding_id) in self.meldingen:
            raise RuleViolation("melding id already used in this case", code="DUPLICATE_MELDING",
                                rule="melding-id-unique")
        incident_at = as_utc(cmd.incident_at) if cmd.incident_at is not None else None
        check_incident_time(incident_at, ctx.at)
        prov = ctx.provenance(cmd, rule="Wet verplichte meldcode; Wmo 2015 art. 4.1.1")
        reopened = self.case_phase is CasePhase.CLOSED
        if reopened:
            self._period_started(**{**prov, "rule": RULE_NEW_PERIOD},
                                 previous=period_summary(self))
        self._melding_received(
            **prov,
            melding_id=str(melding_id),
            region=cmd.region,
            gemeente=cmd.gemeente,
            melder_type=cmd.melder_type.value,
            persons=[{"person_id": str(p.person_id), "role": p.role.value} for p in cmd.persons],
            forms_of_violence=sorted({f.value for f in cmd.forms_of_violence}),
            acute=cmd.acute,
            from_advies=str(from_advies) if from_advies else None,
            reopened=reopened,
            incident_at=incident_at,
        )
        if dest.value != self.phase:
            self._enter_phase(dest, "reopened" if reopened else "melding", prov)
        facts = {
            "acute": cmd.acute,
            "has_child": any(p.role is PersonRole.CHILD for p in cmd.persons),
            "melder_type": cmd.melder_type.value,
        }
        self._start_deadlines(ctx, "MeldingReceived", ctx.at, str(melding_id), facts)

    def complete_veiligheidsbeoordeling(
        self, cmd: CompleteVeiligheidsbeoordeling, ctx: DecisionContext
    ) -> None:
        """Record the outcome of the veiligheidsbeoordeling of one melding and route the case."""
        melding = self._melding(cmd.melding_id, ctx)
        TRIAGE.next_state(MeldingState(melding["state"]), "complete_veiligheidsbeoordeling")
        self._require_open("complete_veiligheidsbeoordeling")  # a closed case is not re-closed
        outcome = cmd.outcome
        if outcome in HANDOVER_OUTCOMES and cmd.handover_to is not None:
            self._require_no_pending_offer()
        all_outcomes = {outcome, *cmd.additional_measures}
        service = VT_SERVICE_OUTCOMES.get(outcome)
        if service is not None:
            VT_SERVICE.next_state(VtServiceState(self.vt_service["state"]), "start_vt_service")
        if AssessmentOutcome.ESCALATE_MDA in all_outcomes:
            MDA.next_state(MdaState(self.mda_state), "escalate_to_mda")
        # Route: which lifecycle trigger follows from this outcome in the current phase.
        phase = self.case_phase
        trigger: str | None = None
        action = bool(all_outcomes - {AssessmentOutcome.NO_FURTHER_ACTION})
        others_pending = self._awaiting_assessment(besides=str(cmd.melding_id))
        if phase is CasePhase.TRIAGE:
            if action:
                trigger = "conclude_triage_with_action"
            elif not others_pending:  # another melding still awaits its assessment
                trigger = "conclude_triage_without_action"
        elif phase in LATER_PHASES and action:
            trigger = "loop_back"
        dest = LIFECYCLE.next_state(phase, trigger) if trigger else phase
        self._require_voorwaarden_take_effect(cmd.veiligheidsvoorwaarden, dest,
                                              outcome in HANDOVER_OUTCOMES)
        if dest is CasePhase.CLOSED:  # a case cannot be closed from triage by hand: refuse
            self._require_no_open_statutory(ctx, None, exclude_subject=None,
                                         satisfied_now={"VeiligheidsbeoordelingCompleted"})
        prov = ctx.provenance(cmd, rule="veiligheidsbeoordeling (Handelingsprotocol Veilig Thuis)")
        self._assessed(
            **prov, melding_id=str(cmd.melding_id), outcome=outcome.value,
            additional_measures=sorted(m.value for m in cmd.additional_measures),
            veiligheidsvoorwaarden=sorted({v.value for v in cmd.veiligheidsvoorwaarden}),
            handover_to=cmd.handover_to.model_dump(mode="json") if cmd.handover_to else None,
        )
        self._satisfy_deadlines(ctx, "VeiligheidsbeoordelingCompleted", str(cmd.melding_id))
        self._start_deadlines(ctx, "VeiligheidsbeoordelingCompleted", ctx.at,
                              str(cmd.melding_id), {})
        if trigger == "loop_back":
            self._enter_phase(dest, "loop_back", {
                **prov, "rule": loop_back_rule(LoopBackCause.NEW_MELDING)},
                loop_back_cause=LoopBackCause.NEW_MELDING)
        elif dest.value != self.phase:
            self._enter_phase(dest, "assessment", prov)
        if dest is CasePhase.CLOSED:
            self._close_case(ctx, prov, ClosureReason.NO_FURTHER_ACTION_AFTER_ASSESSMENT.value,
                             open_deadline_reason=None)
        if service is not None:
            self._start_vt_service(ctx, service, str(cmd.melding_id), prov)
        handover_to = (cmd.handover_to.model_dump(mode="json")
                       if outcome in HANDOVER_OUTCOMES and cmd.handover_to is not None else None)
        self._follow_up(ctx, prov, handover_to, cmd.veiligheidsvoorwaarden,
                        escalate=AssessmentOutcome.ESCALATE_MDA in all_outcomes)

    def inform_melder(self, cmd: InformMelder, ctx: DecisionContext) -> None:
        """Record feedback to the melder (T5)."""
        melding = self._melding(cmd.melding_id, ctx)
        if melding["melder_type"] == "anoniem":
            raise RuleViolation("an anonymous melder cannot be informed",
                                code="MELDER_ANONYMOUS", rule="T5 terugkoppeling melder")
        if melding["state"] != MeldingState.ASSESSED.value:
            raise RuleViolation("feedback follows the veiligheidsbeoordeling",
                                code="MELDING_NOT_ASSESSED", rule="T5 terugkoppeling melder")
        self._melder_informed(**ctx.provenance(cmd, rule="T5 terugkoppeling melder"),
                              melding_id=str(cmd.melding_id))
        self._satisfy_deadlines(ctx, "MelderInformed", str(cmd.melding_id))

    def inform_school(self, cmd: InformSchool, ctx: DecisionContext) -> None:
        """Record that the school was informed under Handle with Care (T10)."""
        melding = self._melding(cmd.melding_id, ctx)
        if melding["school_informed"]:
            raise RuleViolation("the school was already informed about this melding",
                                code="SCHOOL_ALREADY_INFORMED", rule="T10 Handle with Care")
        self._school_informed(**ctx.provenance(cmd, rule="T10 Handle with Care"),
                              melding_id=str(cmd.melding_id))
        self._satisfy_deadlines(ctx, "SchoolInformed", str(cmd.melding_id))

    def correct_person_role(self, cmd: CorrectPersonRole, ctx: DecisionContext) -> None:
        """Record a corrected role; the role recorded at the melding is never overwritten."""
        self._require_person(cmd.person_id)
        self._person_role_corrected(**ctx.provenance(cmd, rule="roles at melding are kept (002)"),
                                    person_id=str(cmd.person_id), role=cmd.role.value)

    def add_person(self, cmd: AddPerson, ctx: DecisionContext) -> None:
        """Add a person to the household."""
        if str(cmd.person_id) in self.persons:
            raise RuleViolation("person already part of this case", code="PERSON_ALREADY_IN_CASE",
                                rule="person-unique-in-case")
        self._require_open("add_person")
        self._person_added(**ctx.provenance(cmd, rule="systeemgericht: the whole household (000)"),
                           person_id=str(cmd.person_id), role=cmd.role.value)
