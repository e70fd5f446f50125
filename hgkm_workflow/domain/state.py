"""What the case's decisions read and trigger: the :class:`CaseState` protocol.

The decision mixins of :mod:`hgkm_workflow.domain` are typed against this protocol rather
than against :class:`~hgkm_workflow.case.HouseholdCase`, so the domain imports nothing from
``case.py``. It names the state the decisions read (plain JSON-friendly values, as stored in
snapshots) and the ``@event`` methods they trigger, which ``HouseholdCase`` implements; event
methods only assign, they never decide.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from hgkm_workflow.phases.directe_veiligheid import DirecteVeiligheidState
from hgkm_workflow.phases.herstel import HerstelState
from hgkm_workflow.phases.lifecycle import CasePhase
from hgkm_workflow.phases.risicogestuurde_zorg import RisicogestuurdeZorgState
from hgkm_workflow.phases.waakvlam import WaakvlamState

if TYPE_CHECKING:
    from hgkm_workflow.commands import ExpireHuisverbod
    from hgkm_workflow.domain.context import DecisionContext

JsonDict = dict[str, Any]


class CaseState(Protocol):
    """The state of a household case and the event methods its decisions trigger."""

    region: str
    gemeente: str
    opened_at: datetime
    phase: str
    phase_entered_at: datetime
    phase_log: list[JsonDict]
    meldingen: dict[str, JsonDict]
    persons: dict[str, JsonDict]
    vt_service: JsonDict
    vt_services_completed: int
    monitoring: JsonDict
    dv_state: str
    rz_state: str
    herstel_state: str
    waakvlam_state: str
    veiligheidsplan: JsonDict | None
    hulpverleningsplan: JsonDict | None
    open_risk_factors: list[str]
    resolved_risk_factors: list[str]
    herstelplan: JsonDict | None
    regie: JsonDict
    mda_state: str
    crisis_measures: list[JsonDict]
    huisverboden: dict[str, JsonDict]
    deadlines: dict[str, JsonDict]
    loop_backs: int
    closure: JsonDict | None
    times_closed: int
    ervaringsdeskundige_involved: bool
    plegeraanbod: dict[str, JsonDict]
    measures: list[str]

    @property
    def id(self) -> UUID:
        """The case id."""

    @property
    def version(self) -> int:
        """The version of the case's last event."""

    def expire_huisverbod(self, cmd: ExpireHuisverbod | None, ctx: DecisionContext,
                          huisverbod_id: UUID | None = None) -> None:
        """Record that a huisverbod ran out (a decision the deadlines take on a tick)."""

    # ---------------------------------------------------------------- event methods

    def _melding_received(
        self, actor: JsonDict, at: datetime, rationale: str, rule: str, melding_id: str,
        region: str, gemeente: str, melder_type: str, persons: list[JsonDict],
        forms_of_violence: list[str], acute: bool, from_advies: str | None, reopened: bool,
        incident_at: datetime | None,
    ) -> None: ...

    def _period_started(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                        previous: JsonDict) -> None: ...

    def _phase_changed(
        self, actor: JsonDict, at: datetime, rationale: str, rule: str, from_phase: str,
        to_phase: str, how: str, open_deadline_reason: str | None,
        loop_back_cause: str | None,
    ) -> None: ...

    def _assessed(
        self, actor: JsonDict, at: datetime, rationale: str, rule: str, melding_id: str,
        outcome: str, additional_measures: list[str], veiligheidsvoorwaarden: list[str],
        handover_to: JsonDict | None,
    ) -> None: ...

    def _vt_service_started(
        self, actor: JsonDict, at: datetime, rationale: str, rule: str, service_id: str,
        service: str, melding_id: str,
    ) -> None: ...

    def _vt_service_completed(
        self, actor: JsonDict, at: datetime, rationale: str, rule: str, service_id: str,
        result: str, conclusion: str | None,
    ) -> None: ...

    def _melder_informed(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                         melding_id: str) -> None: ...

    def _school_informed(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                         melding_id: str) -> None: ...

    def _person_role_corrected(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                               person_id: str, role: str) -> None: ...

    def _person_added(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                      person_id: str, role: str) -> None: ...

    def _veiligheidsplan_set(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                             voorwaarden: list[str], version: int) -> None: ...

    def _acute_unsafety_removed(self, actor: JsonDict, at: datetime, rationale: str,
                                rule: str) -> None: ...

    def _hulpverleningsplan_set(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                                risk_factors: list[str], version: int) -> None: ...

    def _risk_factor_opened(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            factor: str) -> None: ...

    def _risk_factor_resolved(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                              factor: str) -> None: ...

    def _stable_safety_confirmed(self, actor: JsonDict, at: datetime, rationale: str,
                                 rule: str) -> None: ...

    def _herstelplan_set(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                         interventions: list[str], version: int) -> None: ...

    def _herstelplan_completed(self, actor: JsonDict, at: datetime, rationale: str,
                               rule: str) -> None: ...

    def _waakvlam_contact(self, actor: JsonDict, at: datetime, rationale: str,
                          rule: str) -> None: ...

    def _closed(self, actor: JsonDict, at: datetime, rationale: str, rule: str, reason: str,
                open_deadline_reason: str | None) -> None: ...

    def _regisseur_assigned(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            regisseur: JsonDict) -> None: ...

    def _handover_offered(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                          to: JsonDict) -> None: ...

    def _handover_accepted(self, actor: JsonDict, at: datetime, rationale: str,
                           rule: str) -> None: ...

    def _handover_ended(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                        how: str) -> None: ...

    def _escalated_to_mda(self, actor: JsonDict, at: datetime, rationale: str,
                          rule: str) -> None: ...

    def _returned_from_mda(self, actor: JsonDict, at: datetime, rationale: str,
                           rule: str) -> None: ...

    def _crisis_measure(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                        measure: str) -> None: ...

    def _ervaringsdeskundige(self, actor: JsonDict, at: datetime, rationale: str,
                             rule: str) -> None: ...

    def _plegeraanbod_offered(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                              person_id: str) -> None: ...

    def _plegeraanbod_response(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                               person_id: str, accepted: bool) -> None: ...

    def _emergency_access(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                          access_id: str, resource: str) -> None: ...

    def _data_subjects_informed(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                                access_id: str, informed: bool,
                                reason_not_informed: str | None) -> None: ...

    def _monitoring_started(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            monitoring_id: str) -> None: ...

    def _monitoring_check(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                          monitoring_id: str, safe: bool) -> None: ...

    def _monitoring_ended(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                          monitoring_id: str, stable_safety: bool) -> None: ...

    def _huisverbod_imposed(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            huisverbod_id: str, removed_person_id: str, ends_at: datetime,
                            max_end: datetime, mandate_id: str | None = None) -> None: ...

    def _huisverbod_extended(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                             huisverbod_id: str, new_end: datetime,
                             previous_end: datetime) -> None: ...

    def _huisverbod_revoked(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            huisverbod_id: str) -> None: ...

    def _huisverbod_expired(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            huisverbod_id: str) -> None: ...

    def _contact_address_given(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                               huisverbod_id: str) -> None: ...

    def _huisverbod_expiry_withdrawn(
        self, actor: JsonDict, at: datetime, rationale: str, rule: str, huisverbod_id: str,
        observed_end: datetime, observed_version: int | None, withdrawn_because: str,
        restored_state: str, reopened_deadlines: list[str],
    ) -> None: ...

    def _deadline_breach_withdrawn(self, deadline_id: str, observed_at: datetime,
                                   occurred_at: datetime, by_event: str) -> None: ...

    def _huisverbod_help_offered(self, actor: JsonDict, at: datetime, rationale: str,
                                 rule: str, huisverbod_id: str, person_id: str) -> None: ...

    def _separation_recorded(self, actor: JsonDict, at: datetime, rationale: str,
                             rule: str) -> None: ...

    # issue 14 part B: procesregie (domain/regie.py) and partner tracks (domain/tracks.py)
    def _procesregie_taken(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                           holder: JsonDict) -> None: ...

    def _procesregie_handed_back(self, actor: JsonDict, at: datetime, rationale: str,
                                 rule: str) -> None: ...

    def _partner_track_started(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                               track_id: str, kind: str, organisation: str,
                               organisation_type: str, person_ids: list[str]) -> None: ...

    def _partner_track_ended(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                             track_id: str, outcome: str, handover_to: JsonDict | None) -> None: ...
    # issue 14, part A: informing the persons concerned; carry-over into a new period
    def _persons_concerned_informed(self, actor: JsonDict, at: datetime, rationale: str,
                                    rule: str, melding_id: str,
                                    persons: list[JsonDict]) -> None: ...

    def _informing_withheld(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            melding_id: str, persons: list[JsonDict]) -> None: ...

    def _period_carry_over_decided(self, actor: JsonDict, at: datetime, rationale: str,
                                   rule: str, from_period: int, regisseur: JsonDict | None,
                                   veiligheidsplan: JsonDict | None,
                                   risk_factors: list[str]) -> None: ...
    def _melding_case_found(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                            melding_id: str, found_by: str) -> None: ...

    def _deadline_started(self, deadline: JsonDict) -> None: ...

    def _deadline_met(self, deadline_id: str, at: datetime, late_seconds: float | None) -> None: ...

    def _deadline_breached(self, deadline_id: str, due: datetime,
                           detected_at: datetime) -> None: ...

    def _deadline_closed_unmet(self, deadline_id: str, at: datetime, reason: str) -> None: ...

    def _deadline_rescheduled(self, deadline_id: str, old_due: datetime, new_due: datetime,
                              calendar_version: str, decree: str,
                              skipped: list[JsonDict], counting: str | None) -> None: ...


def plan_states_on_entry(case: CaseState, to_phase: str) -> dict[str, str]:
    """The plan state a phase starts in when the case enters it (a plan set before it counts).

    Read from the case's state only, so the ``PhaseChanged`` event method stays deterministic.
    """
    if to_phase == CasePhase.DIRECTE_VEILIGHEID.value:
        return {"dv_state": DirecteVeiligheidState.PLAN_ACTIVE.value if case.veiligheidsplan
                else DirecteVeiligheidState.NO_PLAN.value}
    if to_phase == CasePhase.RISICOGESTUURDE_ZORG.value:
        return {"rz_state": RisicogestuurdeZorgState.PLAN_ACTIVE.value if case.hulpverleningsplan
                else RisicogestuurdeZorgState.NO_PLAN.value}
    if to_phase == CasePhase.HERSTEL.value:
        active = case.herstelplan is not None and not case.herstelplan.get("completed")
        return {"herstel_state": HerstelState.PLAN_ACTIVE.value if active
                else HerstelState.NO_PLAN.value}
    if to_phase == CasePhase.WAAKVLAM.value:
        return {"waakvlam_state": WaakvlamState.ACTIVE.value}
    return {}
