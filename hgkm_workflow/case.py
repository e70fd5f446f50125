"""The household case: one event-sourced aggregate per household.

Every public method *decides*: it asks the transition tables whether the trigger may fire,
checks the domain predicates, computes everything time-dependent from the
:class:`~hgkm_workflow.domain.context.DecisionContext`, and raises a typed error on refusal — before
anything is triggered. Only then does it trigger events, which carry all computed values and
their provenance. Event methods (the ``@event`` ones, prefixed ``_``) only assign: they never
read the clock, the calendar or a transition table, so a replay reproduces the live state.

State is held in plain JSON-friendly values (strings, numbers, lists, dicts, datetimes) so that
snapshots and replays compare equal; :mod:`hgkm_workflow.views` turns it into typed views.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from hgkm_workflow.commands import (
    AcceptHandover,
    AddPerson,
    AssignCasusregisseur,
    CloseCase,
    CompleteDirecteVeiligheid,
    CompleteHerstel,
    CompleteHerstelplan,
    CompleteRisicogestuurdeZorg,
    CompleteVeiligheidsbeoordeling,
    CompleteVtService,
    ConfirmAcuteUnsafetyRemoved,
    ConfirmStableSafety,
    CorrectPersonRole,
    DeclineHandover,
    EndMonitoring,
    EscalateToMda,
    ExpireHuisverbod,
    ExtendHuisverbod,
    ImposeHuisverbod,
    InformMelder,
    InformSchool,
    InvolveErvaringsdeskundige,
    LoopBack,
    OfferHandover,
    OfferPlegeraanbod,
    OpenRiskFactor,
    RecordContactAddressGiven,
    RecordDataSubjectsInformed,
    RecordMonitoringCheck,
    RecordWaakvlamContact,
    ResolveRiskFactor,
    RespondToPlegeraanbod,
    ReturnToLocalTeam,
    RevokeHuisverbod,
    SetHerstelplan,
    SetHulpverleningsplan,
    SetVeiligheidsplan,
    TakeCrisisMeasure,
    WithdrawHandover,
)
from hgkm_workflow.commands import (
    _MeldingFields as MeldingFields,
)
from hgkm_workflow.domain import case_deadlines as dl
from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.recording import ClockedAggregate
from hgkm_workflow.errors import RuleViolation, TransitionNotAllowed
from hgkm_workflow.phases.directe_veiligheid import DIRECTE_VEILIGHEID, DirecteVeiligheidState
from hgkm_workflow.phases.herstel import HERSTEL, HerstelState
from hgkm_workflow.phases.huisverbod import HUISVERBOD, HuisverbodState
from hgkm_workflow.phases.intake import HANDOVER_OUTCOMES, TRIAGE, VT_SERVICE_OUTCOMES, MeldingState
from hgkm_workflow.phases.lifecycle import LATER_PHASES, LIFECYCLE, OPEN_PHASES, CasePhase
from hgkm_workflow.phases.mda import MDA, MdaState
from hgkm_workflow.phases.regie import REGIE, RegieState
from hgkm_workflow.phases.risicogestuurde_zorg import (
    RISICOGESTUURDE_ZORG,
    RisicogestuurdeZorgState,
)
from hgkm_workflow.phases.table import TransitionTable
from hgkm_workflow.phases.vt import MONITORING, VT_SERVICE, MonitoringState, VtServiceState
from hgkm_workflow.phases.waakvlam import WAAKVLAM, WaakvlamState
from hgkm_workflow.vocabulary import (
    AssessmentOutcome,
    ClosureReason,
    LoopBackCause,
    PersonRole,
    VtServiceResult,
)

JsonDict = dict[str, Any]

#: Legal bases named on decision events.
RULE_HUISVERBOD = "Wet tijdelijk huisverbod"
RULE_DV_EXIT = "exit directe veiligheid: acute onveiligheid weggenomen (001)"
RULE_LOOP_BACK = "op acute onveiligheid wordt altijd direct gehandeld (000)"
_LOOP_BACK_RULE = re.compile(r"^loop-back \((\w+)\):")
RULE_WARM_HANDOVER = "warm handover: 1 gezin, 1 plan, 1 regisseur (seeds 002, 004)"
RULE_INFORM_SUBJECTS = ("data subjects are told their data is shared unless that is itself "
                        "unsafe (seed 004; AVG art. 13, 14 and 23)")

_VT_SERVICE_RESULTS_TO_DV = frozenset(
    {
        VtServiceResult.HANDOVER_LOCAL_TEAM,
        VtServiceResult.HANDOVER_EXISTING_CARE,
        VtServiceResult.RVDK_REQUEST,
        VtServiceResult.ESCALATE_MDA,
    }
)


def _check(table: TransitionTable[Any], state: Any, trigger: str) -> Any:
    return table.next_state(state, trigger)


class HouseholdCase(ClockedAggregate):
    """One household's case through intake, the phases, the waakvlam and closure."""

    @event("Opened")
    def __init__(self, id: UUID, region: str, gemeente: str, opened_at: datetime) -> None:
        self.region = region
        self.gemeente = gemeente
        self.opened_at = opened_at
        self.phase = CasePhase.NEW.value
        self.phase_entered_at = opened_at
        self.phase_log: list[JsonDict] = []
        self.meldingen: dict[str, JsonDict] = {}
        self.persons: dict[str, JsonDict] = {}
        self.vt_service: JsonDict = {"state": VtServiceState.IDLE.value}
        self.vt_services_completed = 0
        self.monitoring: JsonDict = {"state": MonitoringState.IDLE.value, "checks": 0}
        self.dv_state = DirecteVeiligheidState.NO_PLAN.value
        self.rz_state = RisicogestuurdeZorgState.NO_PLAN.value
        self.herstel_state = HerstelState.NO_PLAN.value
        self.waakvlam_state = WaakvlamState.ACTIVE.value
        self.veiligheidsplan: JsonDict | None = None
        self.hulpverleningsplan: JsonDict | None = None
        self.open_risk_factors: list[str] = []
        self.resolved_risk_factors: list[str] = []
        self.herstelplan: JsonDict | None = None
        self.regie: JsonDict = {"state": RegieState.UNASSIGNED.value, "regisseur": None,
                                "offered_to": None}
        self.mda_state = MdaState.NOT_ESCALATED.value
        self.crisis_measures: list[JsonDict] = []
        self.huisverboden: dict[str, JsonDict] = {}
        self.deadlines: dict[str, JsonDict] = {}
        self.loop_backs = 0
        self.closure: JsonDict | None = None
        self.times_closed = 0
        self.ervaringsdeskundige_involved = False
        self.plegeraanbod: dict[str, JsonDict] = {}
        self.measures: list[str] = []

    # ------------------------------------------------------------------ helpers

    @property
    def case_phase(self) -> CasePhase:
        """The current phase as an enum."""
        return CasePhase(self.phase)

    def _require_open(self, what: str) -> None:
        if self.case_phase not in OPEN_PHASES:
            raise TransitionNotAllowed("lifecycle", what, self.phase)

    def _require_person(self, person_id: UUID) -> None:
        if str(person_id) not in self.persons:
            raise RuleViolation(
                f"person {person_id} is not part of this household case",
                rule="persons are recorded through a melding or AddPerson",
                code="PERSON_NOT_IN_CASE",
            )

    def _enter_phase(self, ctx: DecisionContext, dest: CasePhase, how: str, prov: JsonDict,
                     open_deadline_reason: str | None = None,
                     loop_back_cause: LoopBackCause | None = None) -> None:
        self._phase_changed(**prov, from_phase=self.phase, to_phase=dest.value, how=how,
                            open_deadline_reason=open_deadline_reason,
                            loop_back_cause=loop_back_cause.value if loop_back_cause else None)

    def _leave_phase(self, ctx: DecisionContext, trigger: str, cmd: CompleteDirecteVeiligheid
                     | CompleteRisicogestuurdeZorg | CompleteHerstel, rule: str) -> None:
        dest = LIFECYCLE.next_state(self.case_phase, trigger)
        dl.require_reason_for_open_statutory(self, cmd.open_deadline_reason)
        self._enter_phase(ctx, dest, "phase_completed", ctx.provenance(cmd, rule=rule),
                          open_deadline_reason=cmd.open_deadline_reason)

    # ================================================================== intake

    def receive_melding(
        self, cmd: MeldingFields, melding_id: UUID, ctx: DecisionContext,
        from_advies: UUID | None = None,
    ) -> None:
        """Record a melding; a closed case reopens, an open one records a vervolgmelding."""
        trigger = "receive_melding" if self.case_phase in (CasePhase.NEW, CasePhase.CLOSED) \
            else "receive_vervolgmelding"
        dest = LIFECYCLE.next_state(self.case_phase, trigger)
        _check(TRIAGE, MeldingState.NONE, "receive")
        if str(melding_id) in self.meldingen:
            raise RuleViolation("melding id already used in this case", code="DUPLICATE_MELDING",
                                rule="melding-id-unique")
        prov = ctx.provenance(cmd, rule="Wet verplichte meldcode; Wmo 2015 art. 4.1.1")
        reopened = self.case_phase is CasePhase.CLOSED
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
        )
        if dest.value != self.phase:
            self._enter_phase(ctx, dest, "reopened" if reopened else "melding", prov)
        facts = {
            "acute": cmd.acute,
            "has_child": any(p.role is PersonRole.CHILD for p in cmd.persons),
            "melder_type": cmd.melder_type.value,
        }
        dl.start(self, ctx, "MeldingReceived", ctx.at, str(melding_id), facts)

    @event("MeldingReceived")
    def _melding_received(
        self, actor: JsonDict, at: datetime, rationale: str, rule: str, melding_id: str,
        region: str, gemeente: str, melder_type: str, persons: list[JsonDict],
        forms_of_violence: list[str], acute: bool, from_advies: str | None, reopened: bool,
    ) -> None:
        self.region = region
        self.gemeente = gemeente
        self.meldingen[melding_id] = {
            "state": MeldingState.RECEIVED.value, "received_at": at, "melder_type": melder_type,
            "acute": acute, "persons": persons, "forms_of_violence": forms_of_violence,
            "from_advies": from_advies, "outcome": None, "assessed_at": None,
            "melder_informed": False, "school_informed": False,
        }
        for p in persons:
            if p["person_id"] not in self.persons:
                self.persons[p["person_id"]] = {
                    "role_at_melding": p["role"], "first_melding": melding_id,
                    "corrections": [],
                }
        if reopened:
            self.closure = None
            self.dv_state = DirecteVeiligheidState.NO_PLAN.value
            self.rz_state = RisicogestuurdeZorgState.NO_PLAN.value
            self.herstel_state = HerstelState.NO_PLAN.value
            self.waakvlam_state = WaakvlamState.ACTIVE.value

    class PhaseChanged(ClockedAggregate.Event):
        """The case entered another phase.

        Version 2 adds ``loop_back_cause`` (a :class:`LoopBackCause` code on a loop-back, else
        None). Version 1 events carried the cause only inside the ``rule`` text;
        :meth:`upcast_v1_v2` recovers it from there (docs/event-evolution.md).
        """

        class_version = 2
        actor: JsonDict
        at: datetime
        rationale: str
        rule: str
        from_phase: str
        to_phase: str
        how: str
        open_deadline_reason: str | None
        loop_back_cause: str | None

        @staticmethod
        def upcast_v1_v2(state: JsonDict) -> None:
            """Version 1 → 2: derive ``loop_back_cause`` from the rule text of a loop-back."""
            found = _LOOP_BACK_RULE.match(state.get("rule") or "")
            state["loop_back_cause"] = (found.group(1) if found and state.get("how") == "loop_back"
                                        else None)

    @event(PhaseChanged)
    def _phase_changed(
        self, actor: JsonDict, at: datetime, rationale: str, rule: str, from_phase: str,
        to_phase: str, how: str, open_deadline_reason: str | None,
        loop_back_cause: str | None,
    ) -> None:
        self.phase_log.append({"from": from_phase, "to": to_phase, "at": at, "how": how,
                               "open_deadline_reason": open_deadline_reason})
        self.phase = to_phase
        self.phase_entered_at = at
        if to_phase == CasePhase.DIRECTE_VEILIGHEID.value:
            self.dv_state = (DirecteVeiligheidState.PLAN_ACTIVE.value if self.veiligheidsplan
                             else DirecteVeiligheidState.NO_PLAN.value)
        elif to_phase == CasePhase.RISICOGESTUURDE_ZORG.value:
            self.rz_state = (RisicogestuurdeZorgState.PLAN_ACTIVE.value if self.hulpverleningsplan
                             else RisicogestuurdeZorgState.NO_PLAN.value)
        elif to_phase == CasePhase.HERSTEL.value:
            self.herstel_state = (HerstelState.PLAN_ACTIVE.value if self.herstelplan
                                  and not self.herstelplan.get("completed")
                                  else HerstelState.NO_PLAN.value)
        elif to_phase == CasePhase.WAAKVLAM.value:
            self.waakvlam_state = WaakvlamState.ACTIVE.value
        if how == "loop_back":
            self.loop_backs += 1

    def complete_veiligheidsbeoordeling(
        self, cmd: CompleteVeiligheidsbeoordeling, ctx: DecisionContext
    ) -> None:
        """Record the outcome of the veiligheidsbeoordeling of one melding and route the case."""
        melding = self._melding(cmd.melding_id, ctx)
        TRIAGE.next_state(MeldingState(melding["state"]), "complete_veiligheidsbeoordeling")
        self._require_open("complete_veiligheidsbeoordeling")  # a closed case is not re-closed
        outcome = cmd.outcome
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
        if dest is CasePhase.CLOSED:  # a case cannot be closed from triage by hand: refuse
            dl.require_no_open_statutory(self, ctx, None, exclude_subject=None,
                                         satisfied_now={"VeiligheidsbeoordelingCompleted"})
        prov = ctx.provenance(cmd, rule="veiligheidsbeoordeling (Handelingsprotocol Veilig Thuis)")
        self._assessed(
            **prov, melding_id=str(cmd.melding_id), outcome=outcome.value,
            additional_measures=sorted(m.value for m in cmd.additional_measures),
            veiligheidsvoorwaarden=sorted({v.value for v in cmd.veiligheidsvoorwaarden}),
            handover_to=cmd.handover_to.model_dump(mode="json") if cmd.handover_to else None,
        )
        dl.satisfy(self, ctx, "VeiligheidsbeoordelingCompleted", str(cmd.melding_id))
        dl.start(self, ctx, "VeiligheidsbeoordelingCompleted", ctx.at, str(cmd.melding_id), {})
        if trigger == "loop_back":
            self._enter_phase(ctx, dest, "loop_back", {
                **prov, "rule": f"loop-back ({LoopBackCause.NEW_MELDING.value}): {RULE_LOOP_BACK}"},
                loop_back_cause=LoopBackCause.NEW_MELDING)
        elif dest.value != self.phase:
            self._enter_phase(ctx, dest, "assessment", prov)
        if dest is CasePhase.CLOSED:
            self._end_mda_with_case(prov)
            self._closed(**prov, reason=ClosureReason.NO_FURTHER_ACTION_AFTER_ASSESSMENT.value,
                         open_deadline_reason=None)
            dl.close_open(self, ctx, prov)
        if service is not None:
            self._start_vt_service(ctx, service, str(cmd.melding_id), prov)
        if outcome in HANDOVER_OUTCOMES and cmd.handover_to is not None:
            self._handover_on_assessment(ctx, cmd.handover_to.model_dump(mode="json"), prov)
            if MONITORING.allows(MonitoringState(self.monitoring["state"]), "start_monitoring"):
                self._start_monitoring(ctx, prov)
        if cmd.veiligheidsvoorwaarden and self.case_phase is CasePhase.DIRECTE_VEILIGHEID:
            self._veiligheidsplan_set(
                **prov, voorwaarden=sorted({v.value for v in cmd.veiligheidsvoorwaarden}),
                version=(self.veiligheidsplan or {}).get("version", 0) + 1,
            )
        if AssessmentOutcome.ESCALATE_MDA in all_outcomes:
            self._escalated_to_mda(**prov)

    @event("VeiligheidsbeoordelingCompleted")
    def _assessed(
        self, actor: JsonDict, at: datetime, rationale: str, rule: str, melding_id: str,
        outcome: str, additional_measures: list[str], veiligheidsvoorwaarden: list[str],
        handover_to: JsonDict | None,
    ) -> None:
        m = self.meldingen[melding_id]
        m["state"] = MeldingState.ASSESSED.value
        m["outcome"] = outcome
        m["assessed_at"] = at
        for measure in additional_measures:
            if measure not in self.measures:
                self.measures.append(measure)

    def _start_vt_service(self, ctx: DecisionContext, service: str, melding_id: str,
                          prov: JsonDict) -> None:
        service_id = dl.derived_id(self, "vt_service")
        self._vt_service_started(**prov, service_id=service_id, service=service,
                                 melding_id=melding_id)
        dl.start(self, ctx, "VtServiceStarted", ctx.at, service_id, {})

    @event("VtServiceStarted")
    def _vt_service_started(
        self, actor: JsonDict, at: datetime, rationale: str, rule: str, service_id: str,
        service: str, melding_id: str,
    ) -> None:
        self.vt_service = {"state": VtServiceState.RUNNING.value, "service_id": service_id,
                           "service": service, "started_at": at, "melding_id": melding_id}

    def complete_vt_service(self, cmd: CompleteVtService, ctx: DecisionContext) -> None:
        """Complete the running onderzoek or Voorwaarden en Vervolg and route the case."""
        VT_SERVICE.next_state(VtServiceState(self.vt_service["state"]), "complete_vt_service")
        self._require_open("complete_vt_service")  # a closed case is not re-closed
        if self.vt_service["service"] == "onderzoek" and cmd.conclusion is None:
            raise RuleViolation("an onderzoek ends with a conclusion", code="CONCLUSION_REQUIRED",
                                rule="Handelingsprotocol Veilig Thuis: onderzoek")
        to_dv = cmd.result in _VT_SERVICE_RESULTS_TO_DV
        handover = cmd.result in (VtServiceResult.HANDOVER_LOCAL_TEAM,
                                  VtServiceResult.HANDOVER_EXISTING_CARE)
        if cmd.result is VtServiceResult.ESCALATE_MDA:
            MDA.next_state(MdaState(self.mda_state), "escalate_to_mda")
        phase = self.case_phase
        trigger: str | None = None
        if phase is CasePhase.TRIAGE:
            trigger = "conclude_triage_with_action" if to_dv else "conclude_triage_without_action"
        service_id = self.vt_service["service_id"]
        service_melding = self.vt_service.get("melding_id")
        if (cmd.result is VtServiceResult.NO_FURTHER_ACTION
                and phase is CasePhase.DIRECTE_VEILIGHEID
                and self.regie["state"] == RegieState.UNASSIGNED.value
                and not self._awaiting_assessment()
                and dl.may_close_automatically(self, ctx, service_id, {"VtServiceCompleted"})):
            # otherwise the case stays open: a melding awaits its assessment, or something
            # statutory is open that a person must close with a reason
            trigger = "close"
        dest = LIFECYCLE.next_state(phase, trigger) if trigger else phase
        prov = ctx.provenance(cmd, rule="Handelingsprotocol Veilig Thuis; T3 (10 weken)")
        self._vt_service_completed(
            **prov, service_id=service_id, result=cmd.result.value,
            conclusion=cmd.conclusion.value if cmd.conclusion else None,
        )
        dl.satisfy(self, ctx, "VtServiceCompleted", service_id)
        dl.start(self, ctx, "VtServiceCompleted", ctx.at, service_id,
                 {"melding_id": service_melding})
        if dest.value != self.phase:
            self._enter_phase(ctx, dest, "vt_service", prov)
        if dest is CasePhase.CLOSED:
            reason = (ClosureReason.NO_UNSAFETY_FOUND if cmd.conclusion is not None
                      else ClosureReason.NO_FURTHER_ACTION_AFTER_ASSESSMENT)
            self._end_mda_with_case(prov)
            self._closed(**prov, reason=reason.value, open_deadline_reason=None)
            dl.close_open(self, ctx, prov)
        if handover and cmd.handover_to is not None:
            self._handover_on_assessment(ctx, cmd.handover_to.model_dump(mode="json"), prov)
            if MONITORING.allows(MonitoringState(self.monitoring["state"]), "start_monitoring"):
                self._start_monitoring(ctx, prov)
        if cmd.veiligheidsvoorwaarden and self.case_phase is CasePhase.DIRECTE_VEILIGHEID:
            self._veiligheidsplan_set(
                **prov, voorwaarden=sorted({v.value for v in cmd.veiligheidsvoorwaarden}),
                version=(self.veiligheidsplan or {}).get("version", 0) + 1,
            )
        if cmd.result is VtServiceResult.ESCALATE_MDA:
            self._escalated_to_mda(**prov)

    @event("VtServiceCompleted")
    def _vt_service_completed(
        self, actor: JsonDict, at: datetime, rationale: str, rule: str, service_id: str,
        result: str, conclusion: str | None,
    ) -> None:
        self.vt_service = {"state": VtServiceState.IDLE.value, "last_service_id": service_id,
                           "last_result": result, "last_conclusion": conclusion}
        self.vt_services_completed += 1

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
        dl.satisfy(self, ctx, "MelderInformed", str(cmd.melding_id))

    @event("MelderInformed")
    def _melder_informed(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                         melding_id: str) -> None:
        self.meldingen[melding_id]["melder_informed"] = True

    def inform_school(self, cmd: InformSchool, ctx: DecisionContext) -> None:
        """Record that the school was informed under Handle with Care (T10)."""
        melding = self._melding(cmd.melding_id, ctx)
        if melding["school_informed"]:
            raise RuleViolation("the school was already informed about this melding",
                                code="SCHOOL_ALREADY_INFORMED", rule="T10 Handle with Care")
        self._school_informed(**ctx.provenance(cmd, rule="T10 Handle with Care"),
                              melding_id=str(cmd.melding_id))
        dl.satisfy(self, ctx, "SchoolInformed", str(cmd.melding_id))

    @event("SchoolInformed")
    def _school_informed(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                         melding_id: str) -> None:
        self.meldingen[melding_id]["school_informed"] = True

    def _awaiting_assessment(self, besides: str | None = None) -> bool:
        # Whether a melding (other than ``besides``) still awaits its veiligheidsbeoordeling.
        return any(m["state"] == MeldingState.RECEIVED.value
                   for mid, m in self.meldingen.items() if mid != besides)

    def _melding(self, melding_id: UUID, ctx: DecisionContext) -> JsonDict:
        # The melding a decision answers; the decision cannot be dated before its receipt.
        m = self.meldingen.get(str(melding_id))
        if m is None:
            raise RuleViolation("no such melding in this case", code="MELDING_NOT_FOUND",
                                rule="melding-exists")
        if ctx.at < m["received_at"]:
            raise RuleViolation("business time lies before the melding was received",
                                code="OCCURRED_BEFORE_MELDING", rule="business-time")
        return m

    # ================================================================== persons

    def correct_person_role(self, cmd: CorrectPersonRole, ctx: DecisionContext) -> None:
        """Record a corrected role; the role recorded at the melding is never overwritten."""
        self._require_person(cmd.person_id)
        self._person_role_corrected(**ctx.provenance(cmd, rule="roles at melding are kept (002)"),
                                    person_id=str(cmd.person_id), role=cmd.role.value)

    @event("PersonRoleCorrected")
    def _person_role_corrected(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                               person_id: str, role: str) -> None:
        self.persons[person_id]["corrections"].append({"role": role, "at": at})

    def add_person(self, cmd: AddPerson, ctx: DecisionContext) -> None:
        """Add a person to the household."""
        if str(cmd.person_id) in self.persons:
            raise RuleViolation("person already part of this case", code="PERSON_ALREADY_IN_CASE",
                                rule="person-unique-in-case")
        self._require_open("add_person")
        self._person_added(**ctx.provenance(cmd, rule="systeemgericht: the whole household (000)"),
                           person_id=str(cmd.person_id), role=cmd.role.value)

    @event("PersonAdded")
    def _person_added(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                      person_id: str, role: str) -> None:
        self.persons[person_id] = {"role_at_melding": role, "first_melding": None,
                                   "corrections": []}

    # ================================================================== phases

    def set_veiligheidsplan(self, cmd: SetVeiligheidsplan, ctx: DecisionContext) -> None:
        """Set or revise the veiligheidsplan (directe veiligheid)."""
        self._in_phase(CasePhase.DIRECTE_VEILIGHEID, "set_veiligheidsplan")
        DIRECTE_VEILIGHEID.next_state(DirecteVeiligheidState(self.dv_state), "set_veiligheidsplan")
        self._veiligheidsplan_set(
            **ctx.provenance(cmd, rule="fase 1 directe veiligheid (000, 001)"),
            voorwaarden=sorted({v.value for v in cmd.voorwaarden}),
            version=(self.veiligheidsplan or {}).get("version", 0) + 1,
        )

    @event("VeiligheidsplanSet")
    def _veiligheidsplan_set(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                             voorwaarden: list[str], version: int) -> None:
        self.veiligheidsplan = {"voorwaarden": voorwaarden, "version": version, "set_at": at}
        self.dv_state = DirecteVeiligheidState.PLAN_ACTIVE.value

    def confirm_acute_unsafety_removed(
        self, cmd: ConfirmAcuteUnsafetyRemoved, ctx: DecisionContext
    ) -> None:
        """Confirm the exit criterion of directe veiligheid."""
        self._in_phase(CasePhase.DIRECTE_VEILIGHEID, "confirm_acute_unsafety_removed")
        DIRECTE_VEILIGHEID.next_state(DirecteVeiligheidState(self.dv_state),
                                      "confirm_acute_unsafety_removed")
        self._acute_unsafety_removed(
            **ctx.provenance(cmd, rule=RULE_DV_EXIT))

    @event("AcuteUnsafetyRemoved")
    def _acute_unsafety_removed(self, actor: JsonDict, at: datetime, rationale: str,
                                rule: str) -> None:
        self.dv_state = DirecteVeiligheidState.ACUTE_UNSAFETY_REMOVED.value

    def complete_directe_veiligheid(
        self, cmd: CompleteDirecteVeiligheid, ctx: DecisionContext
    ) -> None:
        """Leave directe veiligheid for risicogestuurde zorg."""
        LIFECYCLE.next_state(self.case_phase, "complete_directe_veiligheid")
        DIRECTE_VEILIGHEID.next_state(DirecteVeiligheidState(self.dv_state), "exit_phase")
        self._require_regisseur("complete_directe_veiligheid")
        self._leave_phase(ctx, "complete_directe_veiligheid", cmd, RULE_DV_EXIT)

    def set_hulpverleningsplan(self, cmd: SetHulpverleningsplan, ctx: DecisionContext) -> None:
        """Set or revise the hulpverleningsplan; its risk factors become open."""
        self._in_phase(CasePhase.RISICOGESTUURDE_ZORG, "set_hulpverleningsplan")
        RISICOGESTUURDE_ZORG.next_state(RisicogestuurdeZorgState(self.rz_state),
                                        "set_hulpverleningsplan")
        self._hulpverleningsplan_set(
            **ctx.provenance(cmd, rule="fase 2 risicogestuurde zorg (000)"),
            risk_factors=sorted({f.value for f in cmd.risk_factors}),
            version=(self.hulpverleningsplan or {}).get("version", 0) + 1,
        )

    @event("HulpverleningsplanSet")
    def _hulpverleningsplan_set(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                                risk_factors: list[str], version: int) -> None:
        self.hulpverleningsplan = {"risk_factors": risk_factors, "version": version, "set_at": at}
        self.open_risk_factors = sorted(
            {*self.open_risk_factors, *(f for f in risk_factors
                                        if f not in self.resolved_risk_factors)})
        self.rz_state = RisicogestuurdeZorgState.PLAN_ACTIVE.value

    def open_risk_factor(self, cmd: OpenRiskFactor, ctx: DecisionContext) -> None:
        """Record a (new or returning) risk factor."""
        self._in_phase(CasePhase.RISICOGESTUURDE_ZORG, "open_risk_factor")
        RISICOGESTUURDE_ZORG.next_state(RisicogestuurdeZorgState(self.rz_state), "open_risk_factor")
        if cmd.factor.value in self.open_risk_factors:
            raise RuleViolation("risk factor already open", code="RISK_FACTOR_ALREADY_OPEN",
                                rule="hulpverleningsplan")
        self._risk_factor_opened(**ctx.provenance(cmd, rule="hulpverleningsplan"),
                                 factor=cmd.factor.value)

    @event("RiskFactorOpened")
    def _risk_factor_opened(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            factor: str) -> None:
        self.open_risk_factors = sorted({*self.open_risk_factors, factor})
        self.resolved_risk_factors = [f for f in self.resolved_risk_factors if f != factor]
        self.rz_state = RisicogestuurdeZorgState.PLAN_ACTIVE.value

    def resolve_risk_factor(self, cmd: ResolveRiskFactor, ctx: DecisionContext) -> None:
        """Record that a risk factor no longer affects safety."""
        self._in_phase(CasePhase.RISICOGESTUURDE_ZORG, "resolve_risk_factor")
        RISICOGESTUURDE_ZORG.next_state(RisicogestuurdeZorgState(self.rz_state),
                                        "resolve_risk_factor")
        if cmd.factor.value not in self.open_risk_factors:
            raise RuleViolation("risk factor is not open", code="RISK_FACTOR_NOT_OPEN",
                                rule="hulpverleningsplan")
        self._risk_factor_resolved(**ctx.provenance(cmd, rule="hulpverleningsplan"),
                                   factor=cmd.factor.value)

    @event("RiskFactorResolved")
    def _risk_factor_resolved(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                              factor: str) -> None:
        self.open_risk_factors = [f for f in self.open_risk_factors if f != factor]
        self.resolved_risk_factors = sorted({*self.resolved_risk_factors, factor})

    def confirm_stable_safety(self, cmd: ConfirmStableSafety, ctx: DecisionContext) -> None:
        """Confirm stabiele veiligheid: no open risk factor remains."""
        self._in_phase(CasePhase.RISICOGESTUURDE_ZORG, "confirm_stable_safety")
        RISICOGESTUURDE_ZORG.next_state(RisicogestuurdeZorgState(self.rz_state),
                                        "confirm_stable_safety")
        if self.open_risk_factors:
            raise RuleViolation(
                f"{len(self.open_risk_factors)} risk factor(s) still open",
                code="RISK_FACTORS_OPEN",
                rule="exit risicogestuurde zorg: risk factors no longer affect safety (000)",
            )
        self._stable_safety_confirmed(
            **ctx.provenance(cmd, rule="exit risicogestuurde zorg: stabiele veiligheid (000)"))

    @event("StableSafetyConfirmed")
    def _stable_safety_confirmed(self, actor: JsonDict, at: datetime, rationale: str,
                                 rule: str) -> None:
        self.rz_state = RisicogestuurdeZorgState.STABLE_SAFETY.value

    def complete_risicogestuurde_zorg(
        self, cmd: CompleteRisicogestuurdeZorg, ctx: DecisionContext
    ) -> None:
        """Leave risicogestuurde zorg for herstel."""
        LIFECYCLE.next_state(self.case_phase, "complete_risicogestuurde_zorg")
        RISICOGESTUURDE_ZORG.next_state(RisicogestuurdeZorgState(self.rz_state), "exit_phase")
        self._leave_phase(ctx, "complete_risicogestuurde_zorg", cmd,
                          "exit criterion risicogestuurde zorg: stabiele veiligheid (000)")

    def set_herstelplan(self, cmd: SetHerstelplan, ctx: DecisionContext) -> None:
        """Set or revise the herstelplan."""
        self._in_phase(CasePhase.HERSTEL, "set_herstelplan")
        HERSTEL.next_state(HerstelState(self.herstel_state), "set_herstelplan")
        self._herstelplan_set(
            **ctx.provenance(cmd, rule="fase 3 herstel (000)"),
            interventions=sorted({i.value for i in cmd.interventions}),
            version=(self.herstelplan or {}).get("version", 0) + 1,
        )

    @event("HerstelplanSet")
    def _herstelplan_set(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                         interventions: list[str], version: int) -> None:
        self.herstelplan = {"interventions": interventions, "version": version, "set_at": at,
                            "completed": False}
        self.herstel_state = HerstelState.PLAN_ACTIVE.value

    def complete_herstelplan(self, cmd: CompleteHerstelplan, ctx: DecisionContext) -> None:
        """Record that the herstelplan has been carried out."""
        self._in_phase(CasePhase.HERSTEL, "complete_herstelplan")
        HERSTEL.next_state(HerstelState(self.herstel_state), "complete_herstelplan")
        self._herstelplan_completed(**ctx.provenance(cmd, rule="fase 3 herstel (000)"))

    @event("HerstelplanCompleted")
    def _herstelplan_completed(self, actor: JsonDict, at: datetime, rationale: str,
                               rule: str) -> None:
        if self.herstelplan is not None:
            self.herstelplan["completed"] = True
        self.herstel_state = HerstelState.COMPLETED.value

    def complete_herstel(self, cmd: CompleteHerstel, ctx: DecisionContext) -> None:
        """Leave herstel for the waakvlam."""
        LIFECYCLE.next_state(self.case_phase, "complete_herstel")
        HERSTEL.next_state(HerstelState(self.herstel_state), "exit_phase")
        self._leave_phase(ctx, "complete_herstel", cmd, "exit criterion herstel (000)")

    def record_waakvlam_contact(self, cmd: RecordWaakvlamContact, ctx: DecisionContext) -> None:
        """Record a waakvlam contact."""
        self._in_phase(CasePhase.WAAKVLAM, "record_waakvlam_contact")
        WAAKVLAM.next_state(WaakvlamState(self.waakvlam_state), "record_waakvlam_contact")
        self._waakvlam_contact(**ctx.provenance(cmd, rule="waakvlam (002, 004)"))

    @event("WaakvlamContactRecorded")
    def _waakvlam_contact(self, actor: JsonDict, at: datetime, rationale: str, rule: str) -> None:
        self.waakvlam_state = WaakvlamState.ACTIVE.value

    def loop_back(self, cmd: LoopBack, ctx: DecisionContext) -> None:
        """Return to directe veiligheid after a new incident or acute unsafety."""
        dest = LIFECYCLE.next_state(self.case_phase, "loop_back")
        self._enter_phase(ctx, dest, "loop_back", ctx.provenance(
            cmd, rule=f"loop-back ({cmd.cause.value}): {RULE_LOOP_BACK}"),
            loop_back_cause=cmd.cause)

    def close(self, cmd: CloseCase, ctx: DecisionContext) -> None:
        """Close the case with a reason; open statutory deadlines need an explicit reason."""
        LIFECYCLE.next_state(self.case_phase, "close")
        if self.regie["state"] == RegieState.HANDOVER_OFFERED.value:
            raise RuleViolation("a handover of casusregie is pending", code="HANDOVER_PENDING",
                                rule=RULE_WARM_HANDOVER)
        if cmd.reason is ClosureReason.NO_FURTHER_ACTION_AFTER_ASSESSMENT:
            raise RuleViolation("that reason is reserved for closure by the assessment",
                                code="CLOSURE_REASON_NOT_ALLOWED", rule="closure")
        reason_text = cmd.open_deadline_reason
        dl.require_no_open_statutory(self, ctx, reason_text, exclude_subject=None,
                                     satisfied_now=set())
        prov = ctx.provenance(cmd, rule="closure")
        if self.monitoring["state"] == MonitoringState.MONITORING.value:
            self._monitoring_ended(**prov, monitoring_id=self.monitoring["monitoring_id"],
                                   stable_safety=cmd.reason in (
                                       ClosureReason.WAAKVLAM_COMPLETED,
                                       ClosureReason.STABLE_SAFETY_REACHED))
            dl.satisfy(self, ctx, "VtMonitoringEnded", None)
        if self.vt_service["state"] == VtServiceState.RUNNING.value:
            # the reason for leaving T3 open was required above; the service ends with the case
            self._vt_service_completed(**prov, service_id=self.vt_service["service_id"],
                                       result="ended_by_closure", conclusion=None)
        self._enter_phase(ctx, CasePhase.CLOSED, "closed", prov)
        self._end_mda_with_case(prov)
        self._closed(**prov, reason=cmd.reason.value, open_deadline_reason=reason_text)
        dl.close_open(self, ctx, prov)

    @event("Closed")
    def _closed(self, actor: JsonDict, at: datetime, rationale: str, rule: str, reason: str,
                open_deadline_reason: str | None) -> None:
        self.closure = {"reason": reason, "at": at, "open_deadline_reason": open_deadline_reason}
        self.times_closed += 1

    def _in_phase(self, phase: CasePhase, trigger: str) -> None:
        if self.case_phase is not phase:
            raise TransitionNotAllowed("lifecycle", trigger, self.phase)

    # ================================================================== casusregie

    def _require_regisseur(self, trigger: str) -> None:
        if self.regie["regisseur"] is None:
            raise RuleViolation(f"'{trigger}' needs a casusregisseur",
                                code="REGISSEUR_REQUIRED", rule=RULE_WARM_HANDOVER)

    def assign_casusregisseur(self, cmd: AssignCasusregisseur, ctx: DecisionContext) -> None:
        """Assign the first casusregisseur (later changes go through a warm handover)."""
        self._require_open("assign_first_regisseur")
        REGIE.next_state(RegieState(self.regie["state"]), "assign_first_regisseur")
        self._regisseur_assigned(**ctx.provenance(cmd, rule=RULE_WARM_HANDOVER),
                                 regisseur=cmd.regisseur.model_dump(mode="json"))

    def _handover_on_assessment(self, ctx: DecisionContext, to: JsonDict, prov: JsonDict) -> None:
        # VT hands the case over with veiligheidsvoorwaarden: the first regisseur is the receiver;
        # an existing regisseur gets a warm handover offer instead of being replaced.
        if self.regie["state"] == RegieState.UNASSIGNED.value:
            self._regisseur_assigned(**prov, regisseur=to)
        elif self.regie["state"] == RegieState.ASSIGNED.value and self.regie["regisseur"] != to:
            self._handover_offered(**prov, to=to)

    @event("CasusregisseurAssigned")
    def _regisseur_assigned(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            regisseur: JsonDict) -> None:
        self.regie = {"state": RegieState.ASSIGNED.value, "regisseur": regisseur,
                      "offered_to": None, "since": at}

    def offer_handover(self, cmd: OfferHandover, ctx: DecisionContext) -> None:
        """Offer the casusregie to another party; the sender stays responsible."""
        REGIE.next_state(RegieState(self.regie["state"]), "offer_handover")
        self._require_open("offer_handover")
        to = cmd.to.model_dump(mode="json")
        if to == self.regie["regisseur"]:
            raise RuleViolation("cannot hand over to the current regisseur",
                                code="HANDOVER_TO_SELF", rule=RULE_WARM_HANDOVER)
        self._handover_offered(**ctx.provenance(cmd, rule=RULE_WARM_HANDOVER), to=to)

    @event("HandoverOffered")
    def _handover_offered(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                          to: JsonDict) -> None:
        self.regie = {**self.regie, "state": RegieState.HANDOVER_OFFERED.value, "offered_to": to}

    def accept_handover(self, cmd: AcceptHandover, ctx: DecisionContext) -> None:
        """The receiver accepts; only now does responsibility pass."""
        REGIE.next_state(RegieState(self.regie["state"]), "accept_handover")
        offered = self.regie["offered_to"] or {}
        if (cmd.actor.actor_id, cmd.actor.organisation) != (offered.get("actor_id"),
                                                            offered.get("organisation")):
            raise RuleViolation("only the party the case was offered to can accept",
                                code="NOT_HANDOVER_RECEIVER", rule=RULE_WARM_HANDOVER)
        self._handover_accepted(**ctx.provenance(cmd, rule=RULE_WARM_HANDOVER))

    @event("HandoverAccepted")
    def _handover_accepted(self, actor: JsonDict, at: datetime, rationale: str, rule: str) -> None:
        self.regie = {"state": RegieState.ASSIGNED.value, "regisseur": self.regie["offered_to"],
                      "offered_to": None, "since": at}

    def decline_handover(self, cmd: DeclineHandover, ctx: DecisionContext) -> None:
        """The receiver declines; the sender keeps casusregie."""
        REGIE.next_state(RegieState(self.regie["state"]), "decline_handover")
        offered = self.regie["offered_to"] or {}
        if (cmd.actor.actor_id, cmd.actor.organisation) != (offered.get("actor_id"),
                                                            offered.get("organisation")):
            raise RuleViolation("only the party the case was offered to can decline",
                                code="NOT_HANDOVER_RECEIVER", rule=RULE_WARM_HANDOVER)
        self._handover_ended(**ctx.provenance(cmd, rule=RULE_WARM_HANDOVER), how="declined")

    def withdraw_handover(self, cmd: WithdrawHandover, ctx: DecisionContext) -> None:
        """The sender withdraws the offer; it keeps casusregie."""
        REGIE.next_state(RegieState(self.regie["state"]), "withdraw_handover")
        self._handover_ended(**ctx.provenance(cmd, rule=RULE_WARM_HANDOVER), how="withdrawn")

    @event("HandoverEnded")
    def _handover_ended(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                        how: str) -> None:
        self.regie = {**self.regie, "state": RegieState.ASSIGNED.value, "offered_to": None}

    # ================================================================== MDA++, crisis, extras

    def escalate_to_mda(self, cmd: EscalateToMda, ctx: DecisionContext) -> None:
        """Escalate to the MDA++ kernteam."""
        self._require_open("escalate_to_mda")
        MDA.next_state(MdaState(self.mda_state), "escalate_to_mda")
        self._escalated_to_mda(**ctx.provenance(cmd, rule="MDA++ (002, 004)"))

    @event("EscalatedToMda")
    def _escalated_to_mda(self, actor: JsonDict, at: datetime, rationale: str, rule: str) -> None:
        self.mda_state = MdaState.ESCALATED.value

    def return_to_local_team(self, cmd: ReturnToLocalTeam, ctx: DecisionContext) -> None:
        """Return the case from MDA++ to the local team."""
        MDA.next_state(MdaState(self.mda_state), "return_to_local_team")
        self._returned_from_mda(**ctx.provenance(cmd, rule="MDA++ (002, 004)"))

    def _end_mda_with_case(self, prov: JsonDict) -> None:
        # A case that closes while escalated leaves MDA++ with it, recorded as a return, so a
        # reopened case starts without an escalation that nobody is working on.
        if self.mda_state == MdaState.ESCALATED.value:
            MDA.next_state(MdaState.ESCALATED, "return_to_local_team")
            self._returned_from_mda(**{**prov, "rule": "closure: MDA++ ends with the case"})

    @event("ReturnedToLocalTeam")
    def _returned_from_mda(self, actor: JsonDict, at: datetime, rationale: str, rule: str) -> None:
        self.mda_state = MdaState.RETURNED.value

    def take_crisis_measure(self, cmd: TakeCrisisMeasure, ctx: DecisionContext) -> None:
        """Record a crisis measure (only in directe veiligheid or triage)."""
        if self.case_phase not in (CasePhase.TRIAGE, CasePhase.DIRECTE_VEILIGHEID):
            raise TransitionNotAllowed("lifecycle", "take_crisis_measure", self.phase)
        self._crisis_measure(**ctx.provenance(cmd, rule="crisis (001)"),
                             measure=cmd.measure.value)
        dl.satisfy(self, ctx, "CrisisMeasureTaken", None)

    @event("CrisisMeasureTaken")
    def _crisis_measure(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                        measure: str) -> None:
        self.crisis_measures.append({"measure": measure, "at": at})

    def involve_ervaringsdeskundige(self, cmd: InvolveErvaringsdeskundige,
                                    ctx: DecisionContext) -> None:
        """Record the involvement of an ervaringsdeskundige (success criterion of 000)."""
        self._require_open("involve_ervaringsdeskundige")
        if self.ervaringsdeskundige_involved:
            raise RuleViolation("already involved", code="ERVARINGSDESKUNDIGE_ALREADY_INVOLVED",
                                rule="ervaringsdeskundige")
        self._ervaringsdeskundige(**ctx.provenance(cmd, rule="success criterion (000)"))

    @event("ErvaringsdeskundigeInvolved")
    def _ervaringsdeskundige(self, actor: JsonDict, at: datetime, rationale: str,
                             rule: str) -> None:
        self.ervaringsdeskundige_involved = True

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

    @event("PlegeraanbodOffered")
    def _plegeraanbod_offered(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                              person_id: str) -> None:
        self.plegeraanbod[person_id] = {"offered_at": at, "accepted": None}

    def respond_to_plegeraanbod(self, cmd: RespondToPlegeraanbod, ctx: DecisionContext) -> None:
        """Record whether the person accepted the plegeraanbod."""
        offer = self.plegeraanbod.get(str(cmd.person_id))
        if offer is None or offer["accepted"] is not None:
            raise RuleViolation("no open plegeraanbod for this person",
                                code="NO_OPEN_PLEGERAANBOD", rule="plegeraanbod (000)")
        self._plegeraanbod_response(**ctx.provenance(cmd, rule="plegeraanbod (000)"),
                                    person_id=str(cmd.person_id), accepted=cmd.accepted)

    @event("PlegeraanbodResponded")
    def _plegeraanbod_response(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                               person_id: str, accepted: bool) -> None:
        self.plegeraanbod[person_id]["accepted"] = accepted

    # ================================================================== access

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

    @event("EmergencyAccessRecorded")
    def _emergency_access(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                          access_id: str, resource: str) -> None:
        accesses = self.__dict__.setdefault("emergency_accesses", [])
        accesses.append({"access_id": access_id, "actor": actor, "at": at,
                         "reason": rationale, "resource": resource, "informed": None,
                         "reason_not_informed": None})

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

    @event("DataSubjectsInformedRecorded")
    def _data_subjects_informed(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                                access_id: str, informed: bool,
                                reason_not_informed: str | None) -> None:
        for access in self.__dict__.get("emergency_accesses", []):
            if access["access_id"] == access_id:
                access["informed"] = informed
                access["reason_not_informed"] = reason_not_informed

    # ================================================================== VT monitoring

    def _start_monitoring(self, ctx: DecisionContext, prov: JsonDict) -> None:
        monitoring_id = dl.derived_id(self, "vt_monitoring")
        self._monitoring_started(**{**prov, "rule": "T4 monitoring (001)"},
                                 monitoring_id=monitoring_id)
        dl.start(self, ctx, "VtMonitoringStarted", ctx.at, monitoring_id, {})

    @event("VtMonitoringStarted")
    def _monitoring_started(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            monitoring_id: str) -> None:
        self.monitoring = {"state": MonitoringState.MONITORING.value, "checks": 0,
                           "monitoring_id": monitoring_id, "started_at": at}

    def record_monitoring_check(self, cmd: RecordMonitoringCheck, ctx: DecisionContext) -> None:
        """Record a monitoring check-point."""
        MONITORING.next_state(MonitoringState(self.monitoring["state"]), "record_monitoring_check")
        self._monitoring_check(**ctx.provenance(cmd, rule="T4 monitoring check-point"),
                               monitoring_id=self.monitoring["monitoring_id"], safe=cmd.safe)
        dl.satisfy_next_checkpoint(self, ctx, self.monitoring["monitoring_id"])

    @event("MonitoringCheckRecorded")
    def _monitoring_check(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                          monitoring_id: str, safe: bool) -> None:
        self.monitoring["checks"] += 1
        self.monitoring["last_check_safe"] = safe

    def end_monitoring(self, cmd: EndMonitoring, ctx: DecisionContext) -> None:
        """End VT monitoring."""
        MONITORING.next_state(MonitoringState(self.monitoring["state"]), "end_monitoring")
        monitoring_id = self.monitoring["monitoring_id"]
        self._monitoring_ended(**ctx.provenance(cmd, rule="T4 monitoring (001)"),
                               monitoring_id=monitoring_id, stable_safety=cmd.stable_safety)
        dl.satisfy(self, ctx, "VtMonitoringEnded", monitoring_id)

    @event("VtMonitoringEnded")
    def _monitoring_ended(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                          monitoring_id: str, stable_safety: bool) -> None:
        self.monitoring = {**self.monitoring, "state": MonitoringState.IDLE.value,
                           "ended_at": at, "stable_safety": stable_safety}

    # ================================================================== huisverbod

    def impose_huisverbod(self, cmd: ImposeHuisverbod, huisverbod_id: UUID,
                          ctx: DecisionContext) -> None:
        """The burgemeester imposes a tijdelijk huisverbod for 10 days (T6)."""
        self._require_open("impose_huisverbod")
        self._require_person(cmd.removed_person_id)
        HUISVERBOD.next_state(HuisverbodState.NONE, "impose")
        if cmd.actor.role.value != "burgemeester":
            raise RuleViolation("only the burgemeester (or a mandated officer acting for the "
                                "burgemeester) imposes a huisverbod", code="NOT_AUTHORISED",
                                rule=f"{RULE_HUISVERBOD} art. 2")
        for h in self.huisverboden.values():
            if h["state"] in dl.ACTIVE_HUISVERBOD and ctx.at < h["ends_at"] and \
                    h["removed_person_id"] == str(cmd.removed_person_id):
                raise RuleViolation("this person already has an active huisverbod",
                                    code="HUISVERBOD_ALREADY_ACTIVE", rule=RULE_HUISVERBOD)
        if str(huisverbod_id) in self.huisverboden:
            raise RuleViolation("huisverbod id already used", code="DUPLICATE_HUISVERBOD",
                                rule="huisverbod-id-unique")
        dl.expire_run_out(self, ctx)  # ran out, but no tick recorded it yet
        ends_at, max_end = dl.huisverbod_bounds(ctx, ctx.at)
        prov = ctx.provenance(cmd, rule=f"{RULE_HUISVERBOD} art. 2")
        self._huisverbod_imposed(**prov, huisverbod_id=str(huisverbod_id),
                                 removed_person_id=str(cmd.removed_person_id),
                                 ends_at=ends_at, max_end=max_end)
        dl.satisfy(self, ctx, "HuisverbodImposed", str(huisverbod_id))
        dl.start(self, ctx, "HuisverbodImposed", ctx.at, str(huisverbod_id), {})

    @event("HuisverbodImposed")
    def _huisverbod_imposed(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            huisverbod_id: str, removed_person_id: str, ends_at: datetime,
                            max_end: datetime) -> None:
        self.huisverboden[huisverbod_id] = {
            "state": HuisverbodState.IMPOSED.value, "removed_person_id": removed_person_id,
            "imposed_at": at, "ends_at": ends_at, "max_end": max_end,
            "contact_address_given": False, "extended_at": None, "ended_at": None,
        }

    def _huisverbod(self, huisverbod_id: UUID) -> JsonDict:
        h = self.huisverboden.get(str(huisverbod_id))
        if h is None:
            raise RuleViolation("no such huisverbod in this case", code="HUISVERBOD_NOT_FOUND",
                                rule="huisverbod-exists")
        return h

    def extend_huisverbod(self, cmd: ExtendHuisverbod, ctx: DecisionContext) -> None:
        """Extend an active huisverbod, before it expires, to at most 28 days after imposition."""
        h = self._huisverbod(cmd.huisverbod_id)
        if cmd.actor.role.value != "burgemeester":
            raise RuleViolation("only the burgemeester extends a huisverbod",
                                code="NOT_AUTHORISED", rule=f"{RULE_HUISVERBOD} art. 9")
        HUISVERBOD.next_state(HuisverbodState(h["state"]), "extend")
        dl.check_huisverbod_extension(h, ctx, cmd.new_end)
        prov = ctx.provenance(cmd, rule=f"{RULE_HUISVERBOD} art. 9 (T7)")
        new_end = dl.as_utc(cmd.new_end)
        self._huisverbod_extended(**prov, huisverbod_id=str(cmd.huisverbod_id), new_end=new_end,
                                  previous_end=h["ends_at"])
        dl.satisfy(self, ctx, "HuisverbodExtended", str(cmd.huisverbod_id))
        dl.start(self, ctx, "HuisverbodExtended", ctx.at, str(cmd.huisverbod_id),
                 {"due_override": new_end})

    @event("HuisverbodExtended")
    def _huisverbod_extended(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                             huisverbod_id: str, new_end: datetime,
                             previous_end: datetime) -> None:
        h = self.huisverboden[huisverbod_id]
        h["state"] = HuisverbodState.EXTENDED.value
        h["ends_at"] = new_end
        h["extended_at"] = at

    def revoke_huisverbod(self, cmd: RevokeHuisverbod, ctx: DecisionContext) -> None:
        """Revoke an active huisverbod."""
        h = self._huisverbod(cmd.huisverbod_id)
        HUISVERBOD.next_state(HuisverbodState(h["state"]), "revoke")
        if ctx.at >= h["ends_at"]:
            raise RuleViolation("the huisverbod has already run out", code="HUISVERBOD_EXPIRED",
                                rule=f"{RULE_HUISVERBOD} art. 2 (T6/T7)")
        self._huisverbod_revoked(**ctx.provenance(cmd, rule=f"{RULE_HUISVERBOD} art. 2 lid 6"),
                                 huisverbod_id=str(cmd.huisverbod_id))
        dl.satisfy(self, ctx, "HuisverbodRevoked", str(cmd.huisverbod_id))
        dl.lapse(self, str(cmd.huisverbod_id), dl.LAPSE_WHEN_HUISVERBOD_ENDS, ctx.at,
                 "the huisverbod was revoked; the duty ended with it")

    @event("HuisverbodRevoked")
    def _huisverbod_revoked(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            huisverbod_id: str) -> None:
        self.huisverboden[huisverbod_id]["state"] = HuisverbodState.REVOKED.value
        self.huisverboden[huisverbod_id]["ended_at"] = at

    def expire_huisverbod(self, cmd: ExpireHuisverbod | None, ctx: DecisionContext,
                          huisverbod_id: UUID | None = None) -> None:
        """Record that a huisverbod ran out (at its end instant, not before)."""
        hid = cmd.huisverbod_id if cmd is not None else huisverbod_id
        if hid is None:  # a programming error, not a business rule
            raise TypeError("expire_huisverbod needs a command or a huisverbod id")
        h = self._huisverbod(hid)
        HUISVERBOD.next_state(HuisverbodState(h["state"]), "expire")
        if ctx.at < h["ends_at"]:
            raise RuleViolation("the huisverbod has not yet run out",
                                code="HUISVERBOD_NOT_YET_EXPIRED", rule=f"{RULE_HUISVERBOD} T6/T7")
        prov = (ctx.provenance(cmd, rule=f"{RULE_HUISVERBOD} T6/T7") if cmd is not None
                else ctx.system_provenance("the huisverbod ran out without extension",
                                           f"{RULE_HUISVERBOD} T6/T7"))
        self._huisverbod_expired(**{**prov, "at": h["ends_at"]}, huisverbod_id=str(hid))
        dl.satisfy(self, ctx, "HuisverbodExpired", str(hid), at=h["ends_at"])
        dl.lapse(self, str(hid), dl.LAPSE_WHEN_HUISVERBOD_ENDS, h["ends_at"],
                 "the huisverbod ran out; the duty ended with it")

    @event("HuisverbodExpired")
    def _huisverbod_expired(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            huisverbod_id: str) -> None:
        self.huisverboden[huisverbod_id]["state"] = HuisverbodState.EXPIRED.value
        self.huisverboden[huisverbod_id]["ended_at"] = at

    def record_contact_address_given(self, cmd: RecordContactAddressGiven,
                                     ctx: DecisionContext) -> None:
        """The removed person gave a contact address (T8); the address is in the register."""
        h = self._huisverbod(cmd.huisverbod_id)
        HUISVERBOD.next_state(HuisverbodState(h["state"]), "give_contact_address")
        if ctx.at >= h["ends_at"]:
            raise RuleViolation("the huisverbod has already run out", code="HUISVERBOD_EXPIRED",
                                rule=f"{RULE_HUISVERBOD} T8")
        if h["contact_address_given"]:
            raise RuleViolation("contact address already recorded",
                                code="CONTACT_ADDRESS_ALREADY_GIVEN", rule="T8 contactadres")
        self._contact_address_given(**ctx.provenance(cmd, rule=f"{RULE_HUISVERBOD} T8"),
                                    huisverbod_id=str(cmd.huisverbod_id))
        dl.satisfy(self, ctx, "HuisverbodContactAddressGiven", str(cmd.huisverbod_id))

    @event("HuisverbodContactAddressGiven")
    def _contact_address_given(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                               huisverbod_id: str) -> None:
        self.huisverboden[huisverbod_id]["contact_address_given"] = True

    # ================================================================== deadline events

    @event("DeadlineStarted")
    def _deadline_started(self, deadline: JsonDict) -> None:
        self.deadlines[deadline["deadline_id"]] = {**deadline, "status": "open", "met_at": None,
                                                   "late_seconds": None, "breached_at": None}

    @event("DeadlineMet")
    def _deadline_met(self, deadline_id: str, at: datetime, late_seconds: float | None) -> None:
        d = self.deadlines[deadline_id]
        d["status"] = "met" if late_seconds is None else "met_late"
        d["met_at"] = at
        d["late_seconds"] = late_seconds

    @event("DeadlineBreached")
    def _deadline_breached(self, deadline_id: str, due: datetime, detected_at: datetime) -> None:
        d = self.deadlines[deadline_id]
        d["breached_at"] = detected_at

    @event("DeadlineClosedUnmet")
    def _deadline_closed_unmet(self, deadline_id: str, at: datetime, reason: str) -> None:
        d = self.deadlines[deadline_id]
        d["status"] = "closed_unmet"
        d["closed_reason"] = reason
        d["met_at"] = at

    class DeadlineRescheduled(ClockedAggregate.Event):
        """An open deadline moved to a new calendar version.

        Version 2 adds ``counting`` (the recomputed plain-language count). Version 1 events
        did not carry it; :meth:`upcast_v1_v2` sets it to None, and a replay then keeps the
        text the deadline had, as version 1 did.
        """

        class_version = 2
        deadline_id: str
        old_due: datetime
        new_due: datetime
        calendar_version: str
        decree: str
        skipped: list[JsonDict]
        counting: str | None

        @staticmethod
        def upcast_v1_v2(state: JsonDict) -> None:
            """Version 1 → 2: no recomputed counting text was recorded."""
            state["counting"] = None

    @event(DeadlineRescheduled)
    def _deadline_rescheduled(self, deadline_id: str, old_due: datetime, new_due: datetime,
                              calendar_version: str, decree: str,
                              skipped: list[JsonDict], counting: str | None) -> None:
        d = self.deadlines[deadline_id]
        d["due"] = new_due
        d["calendar_version"] = calendar_version
        d["skipped"] = skipped
        if counting is not None:
            d["counting"] = counting

    def state_dict(self) -> JsonDict:
        """All state that a replay must reproduce (for comparisons and snapshots)."""
        state = {k: v for k, v in vars(self).items() if not k.startswith("_")}
        state["id"] = str(self.id)
        state["version"] = self.version
        return state

