"""VT services and VT monitoring: onderzoek or Voorwaarden en Vervolg, and the T4 check-points.

Also what follows a veiligheidsbeoordeling or a VT service once the case is routed: the
handover of casusregie with veiligheidsvoorwaarden, monitoring, and escalation to MDA++.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.guards import RULE_WARM_HANDOVER, CaseGuards
from hgkm_workflow.errors import RuleViolation
from hgkm_workflow.phases.lifecycle import LIFECYCLE, CasePhase
from hgkm_workflow.phases.mda import MDA, MdaState
from hgkm_workflow.phases.regie import RegieState
from hgkm_workflow.phases.vt import MONITORING, VT_SERVICE, MonitoringState, VtServiceState
from hgkm_workflow.vocabulary import ClosureReason, Voorwaarde, VtServiceResult

if TYPE_CHECKING:
    from hgkm_workflow.commands import CompleteVtService, EndMonitoring, RecordMonitoringCheck

JsonDict = dict[str, Any]

_VT_SERVICE_RESULTS_TO_DV = frozenset(
    {
        VtServiceResult.HANDOVER_LOCAL_TEAM,
        VtServiceResult.HANDOVER_EXISTING_CARE,
        VtServiceResult.RVDK_REQUEST,
        VtServiceResult.ESCALATE_MDA,
    }
)


class VtDecisions(CaseGuards):
    """Decisions about the VT service and VT monitoring of a case."""

    def _start_vt_service(self, ctx: DecisionContext, service: str, melding_id: str,
                          prov: JsonDict) -> None:
        service_id = self._derived_id("vt_service")
        self._vt_service_started(**prov, service_id=service_id, service=service,
                                 melding_id=melding_id)
        self._start_deadlines(ctx, "VtServiceStarted", ctx.at, service_id, {})

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
        if handover and cmd.handover_to is not None:
            self._require_no_pending_offer()
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
                and self._may_close_automatically(ctx, service_id, {"VtServiceCompleted"})):
            # otherwise the case stays open: a melding awaits its assessment, or something
            # statutory is open that a person must close with a reason
            trigger = "close"
        dest = LIFECYCLE.next_state(phase, trigger) if trigger else phase
        self._require_voorwaarden_take_effect(cmd.veiligheidsvoorwaarden, dest, handover)
        prov = ctx.provenance(cmd, rule="Handelingsprotocol Veilig Thuis; T3 (10 weken)")
        self._vt_service_completed(
            **prov, service_id=service_id, result=cmd.result.value,
            conclusion=cmd.conclusion.value if cmd.conclusion else None,
        )
        self._satisfy_deadlines(ctx, "VtServiceCompleted", service_id)
        self._start_deadlines(ctx, "VtServiceCompleted", ctx.at, service_id,
                              {"melding_id": service_melding})
        if dest.value != self.phase:
            self._enter_phase(dest, "vt_service", prov)
        if dest is CasePhase.CLOSED:
            reason = (ClosureReason.NO_UNSAFETY_FOUND if cmd.conclusion is not None
                      else ClosureReason.NO_FURTHER_ACTION_AFTER_ASSESSMENT)
            self._close_case(ctx, prov, reason.value, open_deadline_reason=None)
        handover_to = (cmd.handover_to.model_dump(mode="json")
                       if handover and cmd.handover_to is not None else None)
        self._follow_up(ctx, prov, handover_to, cmd.veiligheidsvoorwaarden,
                        escalate=cmd.result is VtServiceResult.ESCALATE_MDA)

    def _follow_up(self, ctx: DecisionContext, prov: JsonDict, handover_to: JsonDict | None,
                   voorwaarden: Iterable[Voorwaarde], escalate: bool) -> None:
        # What follows an assessment or a VT service once the case is routed: a handover (and
        # VT monitoring), the veiligheidsvoorwaarden as a plan in directe veiligheid, MDA++.
        if handover_to is not None:
            self._handover_on_assessment(handover_to, prov)
            if MONITORING.allows(MonitoringState(self.monitoring["state"]), "start_monitoring"):
                self._start_monitoring(ctx, prov)
        wanted = sorted({v.value for v in voorwaarden})
        if wanted and self.case_phase is CasePhase.DIRECTE_VEILIGHEID:
            self._veiligheidsplan_set(
                **prov, voorwaarden=wanted,
                version=(self.veiligheidsplan or {}).get("version", 0) + 1,
            )
        if escalate:
            self._escalated_to_mda(**prov)

    def _require_voorwaarden_take_effect(self, voorwaarden: Iterable[Voorwaarde],
                                         dest: CasePhase, handover: bool) -> None:
        # The veiligheidsvoorwaarden become the veiligheidsplan only in directe veiligheid:
        # given for a case routed elsewhere they would be accepted and have no effect (a
        # handover needs them in any phase: they are the conditions the receiver takes on).
        if list(voorwaarden) and not handover and dest is not CasePhase.DIRECTE_VEILIGHEID:
            raise RuleViolation("veiligheidsvoorwaarden are set only for a case in directe "
                                "veiligheid", code="VOORWAARDEN_WITHOUT_EFFECT",
                                rule="veiligheidsvoorwaarden (001)")

    def _require_no_pending_offer(self) -> None:
        # An offer pending is never silently replaced by an outcome's handover_to (issue 13).
        if self.regie["state"] == RegieState.HANDOVER_OFFERED.value:
            raise RuleViolation("a handover offer is pending: withdraw it or let the receiver "
                                "decide before handing over again", code="HANDOVER_PENDING",
                                rule=RULE_WARM_HANDOVER)

    def _handover_on_assessment(self, to: JsonDict, prov: JsonDict) -> None:
        # VT hands the case over with veiligheidsvoorwaarden: the first regisseur is the receiver;
        # an existing regisseur gets a warm handover offer instead of being replaced.
        if self.regie["state"] == RegieState.UNASSIGNED.value:
            self._regisseur_assigned(**prov, regisseur=to)
        elif self.regie["state"] == RegieState.ASSIGNED.value and self.regie["regisseur"] != to:
            self._handover_offered(**prov, to=to)

    def _start_monitoring(self, ctx: DecisionContext, prov: JsonDict) -> None:
        monitoring_id = self._derived_id("vt_monitoring")
        self._monitoring_started(**{**prov, "rule": "T4 monitoring (001)"},
                                 monitoring_id=monitoring_id)
        self._start_deadlines(ctx, "VtMonitoringStarted", ctx.at, monitoring_id, {})

    def record_monitoring_check(self, cmd: RecordMonitoringCheck, ctx: DecisionContext) -> None:
        """Record a monitoring check-point."""
        MONITORING.next_state(MonitoringState(self.monitoring["state"]), "record_monitoring_check")
        self._monitoring_check(**ctx.provenance(cmd, rule="T4 monitoring check-point"),
                               monitoring_id=self.monitoring["monitoring_id"], safe=cmd.safe)
        self._satisfy_next_checkpoint(ctx, self.monitoring["monitoring_id"])

    def end_monitoring(self, cmd: EndMonitoring, ctx: DecisionContext) -> None:
        """End VT monitoring."""
        MONITORING.next_state(MonitoringState(self.monitoring["state"]), "end_monitoring")
        monitoring_id = self.monitoring["monitoring_id"]
        self._monitoring_ended(**ctx.provenance(cmd, rule="T4 monitoring (001)"),
                               monitoring_id=monitoring_id, stable_safety=cmd.stable_safety)
        self._satisfy_deadlines(ctx, "VtMonitoringEnded", monitoring_id)
