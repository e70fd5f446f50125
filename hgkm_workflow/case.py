"""The household case: one event-sourced aggregate per household.

:class:`HouseholdCase` composes the decision mixins of :mod:`hgkm_workflow.domain` (intake and
VT, care phases, regie and MDA++, huisverbod, household records, deadlines; each decides
before it triggers) and holds every ``@event`` method, so each stored topic stays
``hgkm_workflow.case:HouseholdCase.<Event>``. Event methods only assign (never the clock,
calendar or a transition table): a replay reproduces the live state, in plain JSON values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from hgkm_workflow.domain.antecedents import answers_antecedents, note_fact_times
from hgkm_workflow.domain.care import CareDecisions
from hgkm_workflow.domain.case_found import CaseFoundDecisions, melding_case_found
from hgkm_workflow.domain.deadline_events import DeadlineRescheduled
from hgkm_workflow.domain.facts import FactDecisions, help_offered, separation_recorded
from hgkm_workflow.domain.guards import LOOP_BACK_RULE
from hgkm_workflow.domain.household import HouseholdDecisions
from hgkm_workflow.domain.huisverbod import HuisverbodDecisions
from hgkm_workflow.domain.incident import MeldingReceived
from hgkm_workflow.domain.intake import IntakeDecisions, informing_withheld, persons_informed
from hgkm_workflow.domain.late import breach_withdrawn, expiry_withdrawn
from hgkm_workflow.domain.period import carried_over, start_period
from hgkm_workflow.domain.recording import ClockedAggregate
from hgkm_workflow.domain.regie import RegieDecisions, procesregie_handed_back, procesregie_taken
from hgkm_workflow.domain.state import plan_states_on_entry
from hgkm_workflow.domain.tracks import TrackDecisions, partner_track_ended, partner_track_started
from hgkm_workflow.phases.directe_veiligheid import DirecteVeiligheidState
from hgkm_workflow.phases.herstel import HerstelState
from hgkm_workflow.phases.huisverbod import HuisverbodState
from hgkm_workflow.phases.intake import MeldingState
from hgkm_workflow.phases.lifecycle import CasePhase
from hgkm_workflow.phases.mda import MdaState
from hgkm_workflow.phases.regie import RegieState
from hgkm_workflow.phases.risicogestuurde_zorg import RisicogestuurdeZorgState
from hgkm_workflow.phases.vt import MonitoringState, VtServiceState
from hgkm_workflow.phases.waakvlam import WaakvlamState

JsonDict = dict[str, Any]


@answers_antecedents
class HouseholdCase(ClockedAggregate, IntakeDecisions, CareDecisions, RegieDecisions,
                    HuisverbodDecisions, HouseholdDecisions, FactDecisions, TrackDecisions,
                    CaseFoundDecisions):
    """One household's case through intake, the phases, the waakvlam and closure."""

    @event("Opened")
    def __init__(self, id: UUID, region: str, gemeente: str, opened_at: datetime) -> None:
        self.region, self.gemeente, self.opened_at = region, gemeente, opened_at
        self.phase, self.phase_entered_at = CasePhase.NEW.value, opened_at
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

    MeldingReceived = MeldingReceived  # version 2: incident_at (domain/incident.py)
    @event(MeldingReceived)
    def _melding_received(
        self, actor: JsonDict, at: datetime, rationale: str, rule: str, melding_id: str,
        region: str, gemeente: str, melder_type: str, persons: list[JsonDict],
        forms_of_violence: list[str], acute: bool, from_advies: str | None, reopened: bool,
        incident_at: datetime | None,
    ) -> None:
        self.region, self.gemeente = region, gemeente
        self.meldingen[melding_id] = {
            "state": MeldingState.RECEIVED.value, "received_at": at, "melder_type": melder_type,
            "acute": acute, "persons": persons, "forms_of_violence": forms_of_violence,
            "from_advies": from_advies, "outcome": None, "assessed_at": None,
            "melder_informed": False, "school_informed": False, "incident_at": incident_at,
        }
        for p in persons:
            if p["person_id"] not in self.persons:
                self.persons[p["person_id"]] = {"role_at_melding": p["role"],
                                                "first_melding": melding_id, "corrections": []}
        if reopened:
            self.closure, self.waakvlam_state = None, WaakvlamState.ACTIVE.value
            self.dv_state = DirecteVeiligheidState.NO_PLAN.value
            self.rz_state = RisicogestuurdeZorgState.NO_PLAN.value
            self.herstel_state = HerstelState.NO_PLAN.value

    class PhaseChanged(ClockedAggregate.Event):
        """The case entered another phase. Version 2 adds ``loop_back_cause`` (a
        :class:`LoopBackCause` code on a loop-back, else None); :meth:`upcast_v1_v2` recovers
        it from the ``rule`` text of version 1 (docs/event-evolution.md)."""

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
            found = LOOP_BACK_RULE.match(state.get("rule") or "")
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
        for name, value in plan_states_on_entry(self, to_phase).items():
            setattr(self, name, value)
        if how == "loop_back":
            self.loop_backs += 1

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

    @event("VtServiceStarted")
    def _vt_service_started(
        self, actor: JsonDict, at: datetime, rationale: str, rule: str, service_id: str,
        service: str, melding_id: str,
    ) -> None:
        self.vt_service = {"state": VtServiceState.RUNNING.value, "service_id": service_id,
                           "service": service, "started_at": at, "melding_id": melding_id}

    @event("VtServiceCompleted")
    def _vt_service_completed(
        self, actor: JsonDict, at: datetime, rationale: str, rule: str, service_id: str,
        result: str, conclusion: str | None,
    ) -> None:
        self.vt_service = {"state": VtServiceState.IDLE.value, "last_service_id": service_id,
                           "last_result": result, "last_conclusion": conclusion}
        self.vt_services_completed += 1

    @event("MelderInformed")
    def _melder_informed(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                         melding_id: str) -> None:
        self.meldingen[melding_id]["melder_informed"] = True

    @event("SchoolInformed")
    def _school_informed(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                         melding_id: str) -> None:
        self.meldingen[melding_id]["school_informed"] = True

    @event("PersonRoleCorrected")
    def _person_role_corrected(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                               person_id: str, role: str) -> None:
        self.persons[person_id]["corrections"].append({"role": role, "at": at})

    @event("PersonAdded")
    def _person_added(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                      person_id: str, role: str) -> None:
        self.persons[person_id] = {"role_at_melding": role, "first_melding": None,
                                   "corrections": []}

    @event("VeiligheidsplanSet")
    def _veiligheidsplan_set(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                             voorwaarden: list[str], version: int) -> None:
        self.veiligheidsplan = {"voorwaarden": voorwaarden, "version": version, "set_at": at}
        self.dv_state = DirecteVeiligheidState.PLAN_ACTIVE.value

    @event("AcuteUnsafetyRemoved")
    def _acute_unsafety_removed(self, actor: JsonDict, at: datetime, rationale: str,
                                rule: str) -> None:
        self.dv_state = DirecteVeiligheidState.ACUTE_UNSAFETY_REMOVED.value

    @event("HulpverleningsplanSet")
    def _hulpverleningsplan_set(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                                risk_factors: list[str], version: int) -> None:
        self.hulpverleningsplan = {"risk_factors": risk_factors, "version": version, "set_at": at}
        self.open_risk_factors = sorted(
            {*self.open_risk_factors, *(f for f in risk_factors
                                        if f not in self.resolved_risk_factors)})
        self.rz_state = RisicogestuurdeZorgState.PLAN_ACTIVE.value
        note_fact_times(self, at, *(f"risk_factor:{f}" for f in self.open_risk_factors))

    @event("RiskFactorOpened")
    def _risk_factor_opened(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            factor: str) -> None:
        self.open_risk_factors = sorted({*self.open_risk_factors, factor})
        self.resolved_risk_factors = [f for f in self.resolved_risk_factors if f != factor]
        self.rz_state = RisicogestuurdeZorgState.PLAN_ACTIVE.value
        note_fact_times(self, at, f"risk_factor:{factor}")

    @event("RiskFactorResolved")
    def _risk_factor_resolved(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                              factor: str) -> None:
        self.open_risk_factors = [f for f in self.open_risk_factors if f != factor]
        self.resolved_risk_factors = sorted({*self.resolved_risk_factors, factor})
        self.__dict__.get("fact_times", {}).pop(f"risk_factor:{factor}", None)

    @event("StableSafetyConfirmed")
    def _stable_safety_confirmed(self, actor: JsonDict, at: datetime, rationale: str,
                                 rule: str) -> None:
        self.rz_state = RisicogestuurdeZorgState.STABLE_SAFETY.value

    @event("HerstelplanSet")
    def _herstelplan_set(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                         interventions: list[str], version: int) -> None:
        self.herstelplan = {"interventions": interventions, "version": version, "set_at": at,
                            "completed": False}
        self.herstel_state = HerstelState.PLAN_ACTIVE.value

    @event("HerstelplanCompleted")
    def _herstelplan_completed(self, actor: JsonDict, at: datetime, rationale: str,
                               rule: str) -> None:
        if self.herstelplan is not None:
            self.herstelplan["completed"] = True
        self.herstel_state = HerstelState.COMPLETED.value

    @event("WaakvlamContactRecorded")
    def _waakvlam_contact(self, actor: JsonDict, at: datetime, rationale: str, rule: str) -> None:
        self.waakvlam_state = WaakvlamState.ACTIVE.value

    @event("Closed")
    def _closed(self, actor: JsonDict, at: datetime, rationale: str, rule: str, reason: str,
                open_deadline_reason: str | None) -> None:
        self.closure = {"reason": reason, "at": at, "open_deadline_reason": open_deadline_reason}
        self.times_closed += 1

    @event("CasusregisseurAssigned")
    def _regisseur_assigned(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            regisseur: JsonDict) -> None:
        self.regie = {"state": RegieState.ASSIGNED.value, "regisseur": regisseur,
                      "offered_to": None, "since": at}

    @event("HandoverOffered")
    def _handover_offered(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                          to: JsonDict) -> None:
        self.regie = {**self.regie, "state": RegieState.HANDOVER_OFFERED.value, "offered_to": to,
                      "offered_at": at}

    @event("HandoverAccepted")
    def _handover_accepted(self, actor: JsonDict, at: datetime, rationale: str, rule: str) -> None:
        self.regie = {"state": RegieState.ASSIGNED.value, "regisseur": self.regie["offered_to"],
                      "offered_to": None, "since": at}

    @event("HandoverEnded")
    def _handover_ended(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                        how: str) -> None:
        self.regie = {**self.regie, "state": RegieState.ASSIGNED.value, "offered_to": None}

    @event("EscalatedToMda")
    def _escalated_to_mda(self, actor: JsonDict, at: datetime, rationale: str, rule: str) -> None:
        self.mda_state = MdaState.ESCALATED.value
        note_fact_times(self, at, "mda_escalation", replace=True)

    @event("ReturnedToLocalTeam")
    def _returned_from_mda(self, actor: JsonDict, at: datetime, rationale: str, rule: str) -> None:
        self.mda_state = MdaState.RETURNED.value

    @event("CrisisMeasureTaken")
    def _crisis_measure(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                        measure: str) -> None:
        self.crisis_measures.append({"measure": measure, "at": at})

    @event("ErvaringsdeskundigeInvolved")
    def _ervaringsdeskundige(self, actor: JsonDict, at: datetime, rationale: str,
                             rule: str) -> None:
        self.ervaringsdeskundige_involved = True

    @event("PlegeraanbodOffered")
    def _plegeraanbod_offered(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                              person_id: str) -> None:
        self.plegeraanbod[person_id] = {"offered_at": at, "accepted": None}

    @event("PlegeraanbodResponded")
    def _plegeraanbod_response(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                               person_id: str, accepted: bool) -> None:
        self.plegeraanbod[person_id]["accepted"] = accepted

    @event("EmergencyAccessRecorded")
    def _emergency_access(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                          access_id: str, resource: str) -> None:
        accesses = self.__dict__.setdefault("emergency_accesses", [])
        accesses.append({"access_id": access_id, "actor": actor, "at": at,
                         "reason": rationale, "resource": resource, "informed": None,
                         "reason_not_informed": None})

    @event("DataSubjectsInformedRecorded")
    def _data_subjects_informed(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                                access_id: str, informed: bool,
                                reason_not_informed: str | None) -> None:
        for access in self.__dict__.get("emergency_accesses", []):
            if access["access_id"] == access_id:
                access["informed"] = informed
                access["reason_not_informed"] = reason_not_informed

    @event("VtMonitoringStarted")
    def _monitoring_started(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            monitoring_id: str) -> None:
        self.monitoring = {"state": MonitoringState.MONITORING.value, "checks": 0,
                           "monitoring_id": monitoring_id, "started_at": at}

    @event("MonitoringCheckRecorded")
    def _monitoring_check(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                          monitoring_id: str, safe: bool) -> None:
        self.monitoring["checks"] += 1
        self.monitoring["last_check_safe"] = safe

    @event("VtMonitoringEnded")
    def _monitoring_ended(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                          monitoring_id: str, stable_safety: bool) -> None:
        self.monitoring = {**self.monitoring, "state": MonitoringState.IDLE.value,
                           "ended_at": at, "stable_safety": stable_safety}

    @event("HuisverbodImposed")
    def _huisverbod_imposed(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            huisverbod_id: str, removed_person_id: str, ends_at: datetime,
                            max_end: datetime, mandate_id: str | None = None) -> None:
        # mandate_id: the burgemeester's mandate a hulpofficier imposed under (issue 13);
        # None when the burgemeester imposed, and in events stored before the field existed
        self.huisverboden[huisverbod_id] = {
            "state": HuisverbodState.IMPOSED.value, "removed_person_id": removed_person_id,
            "imposed_at": at, "ends_at": ends_at, "max_end": max_end,
            "contact_address_given": False, "extended_at": None, "ended_at": None,
        }

    @event("HuisverbodExtended")
    def _huisverbod_extended(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                             huisverbod_id: str, new_end: datetime,
                             previous_end: datetime) -> None:
        h = self.huisverboden[huisverbod_id]
        h["state"] = HuisverbodState.EXTENDED.value
        h["ends_at"] = new_end
        h["extended_at"] = at

    @event("HuisverbodRevoked")
    def _huisverbod_revoked(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            huisverbod_id: str) -> None:
        self.huisverboden[huisverbod_id]["state"] = HuisverbodState.REVOKED.value
        self.huisverboden[huisverbod_id]["ended_at"] = at

    @event("HuisverbodExpired")
    def _huisverbod_expired(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            huisverbod_id: str) -> None:
        h = self.huisverboden[huisverbod_id]
        h.update(state=HuisverbodState.EXPIRED.value, ended_at=at, expired_version=self.version + 1)

    @event("HuisverbodContactAddressGiven")
    def _contact_address_given(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                               huisverbod_id: str) -> None:
        self.huisverboden[huisverbod_id]["contact_address_given"] = True

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
        self.deadlines[deadline_id]["breached_at"] = detected_at

    @event("DeadlineClosedUnmet")
    def _deadline_closed_unmet(self, deadline_id: str, at: datetime, reason: str) -> None:
        d = self.deadlines[deadline_id]
        d["status"] = "closed_unmet"
        d["closed_reason"] = reason
        d["met_at"] = at

    DeadlineRescheduled = DeadlineRescheduled  # version 2: counting (domain/deadline_events.py)
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

    # Events added with issue 14: each body is a function of the domain module that decides
    # it (it only assigns); declared here so that every topic stays HouseholdCase.<Event>.
    _period_started = event("PeriodStarted")(start_period)
    _huisverbod_expiry_withdrawn = event("HuisverbodExpiryWithdrawn")(expiry_withdrawn)
    _deadline_breach_withdrawn = event("DeadlineBreachWithdrawn")(breach_withdrawn)
    _huisverbod_help_offered = event("HuisverbodHelpOffered")(help_offered)
    _separation_recorded = event("SeparationRecorded")(separation_recorded)
    # Issue 14 part B, procesregie and partner tracks (bodies in domain/regie.py, domain/tracks.py)
    _procesregie_taken = event("ProcesregieTaken")(procesregie_taken)
    _procesregie_handed_back = event("ProcesregieHandedBack")(procesregie_handed_back)
    _partner_track_started = event("PartnerTrackStarted")(partner_track_started)
    _partner_track_ended = event("PartnerTrackEnded")(partner_track_ended)
    # Issue 14 part A, informing the persons concerned and carry-over into a new period
    _persons_concerned_informed = event("PersonsConcernedInformed")(persons_informed)
    _informing_withheld = event("InformingWithheld")(informing_withheld)
    _period_carry_over_decided = event("PeriodCarryOverDecided")(carried_over)
    # issue 15: how the intake found the melding's case (domain/case_found.py)
    _melding_case_found = event("MeldingCaseFound")(melding_case_found)
