"""Care phases and loop-backs: directe veiligheid, risicogestuurde zorg, herstel, waakvlam.

The plans of each phase, risk factors, stabiele veiligheid, leaving a phase, the loop-back to
directe veiligheid, and closing the case by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.guards import RULE_DV_EXIT, RULE_WARM_HANDOVER, CaseGuards, loop_back_rule
from hgkm_workflow.errors import RuleViolation
from hgkm_workflow.phases.directe_veiligheid import DIRECTE_VEILIGHEID, DirecteVeiligheidState
from hgkm_workflow.phases.herstel import HERSTEL, HerstelState
from hgkm_workflow.phases.lifecycle import LIFECYCLE, CasePhase
from hgkm_workflow.phases.regie import RegieState
from hgkm_workflow.phases.risicogestuurde_zorg import (
    RISICOGESTUURDE_ZORG,
    RisicogestuurdeZorgState,
)
from hgkm_workflow.phases.vt import MonitoringState, VtServiceState
from hgkm_workflow.phases.waakvlam import WAAKVLAM, WaakvlamState
from hgkm_workflow.vocabulary import ClosureReason

if TYPE_CHECKING:
    from hgkm_workflow.commands import (
        CloseCase,
        CompleteDirecteVeiligheid,
        CompleteHerstel,
        CompleteHerstelplan,
        CompleteRisicogestuurdeZorg,
        ConfirmAcuteUnsafetyRemoved,
        ConfirmStableSafety,
        LoopBack,
        OpenRiskFactor,
        RecordWaakvlamContact,
        ResolveRiskFactor,
        SetHerstelplan,
        SetHulpverleningsplan,
        SetVeiligheidsplan,
    )

#: The care phases in which plans of every phase may be set or revised: the phases are
#: goal-states, not exclusive activities — interventions run "naast elkaar en in aanvulling op
#: elkaar, in plaats van na elkaar" (seed 000), partners work "gelijktijdig en niet
#: volgordelijk" (seed 001). The phase's own exit criterion still decides when it ends.
SIDE_BY_SIDE = (CasePhase.DIRECTE_VEILIGHEID, CasePhase.RISICOGESTUURDE_ZORG, CasePhase.HERSTEL)


class CareDecisions(CaseGuards):
    """Decisions within the care phases, the loop-back and closure."""

    def set_veiligheidsplan(self, cmd: SetVeiligheidsplan, ctx: DecisionContext) -> None:
        """Set or revise the veiligheidsplan (directe veiligheid)."""
        self._in_phase(CasePhase.DIRECTE_VEILIGHEID, "set_veiligheidsplan")
        DIRECTE_VEILIGHEID.next_state(DirecteVeiligheidState(self.dv_state), "set_veiligheidsplan")
        self._veiligheidsplan_set(
            **ctx.provenance(cmd, rule="fase 1 directe veiligheid (000, 001)"),
            voorwaarden=sorted({v.value for v in cmd.voorwaarden}),
            version=(self.veiligheidsplan or {}).get("version", 0) + 1,
        )

    def confirm_acute_unsafety_removed(
        self, cmd: ConfirmAcuteUnsafetyRemoved, ctx: DecisionContext
    ) -> None:
        """Confirm the exit criterion of directe veiligheid."""
        self._in_phase(CasePhase.DIRECTE_VEILIGHEID, "confirm_acute_unsafety_removed")
        DIRECTE_VEILIGHEID.next_state(DirecteVeiligheidState(self.dv_state),
                                      "confirm_acute_unsafety_removed")
        self._acute_unsafety_removed(
            **ctx.provenance(cmd, rule=RULE_DV_EXIT))

    def complete_directe_veiligheid(
        self, cmd: CompleteDirecteVeiligheid, ctx: DecisionContext
    ) -> None:
        """Leave directe veiligheid for risicogestuurde zorg."""
        LIFECYCLE.next_state(self.case_phase, "complete_directe_veiligheid")
        DIRECTE_VEILIGHEID.next_state(DirecteVeiligheidState(self.dv_state), "exit_phase")
        self._require_regisseur("complete_directe_veiligheid")
        self._leave_phase(ctx, "complete_directe_veiligheid", cmd, RULE_DV_EXIT)

    def set_hulpverleningsplan(self, cmd: SetHulpverleningsplan, ctx: DecisionContext) -> None:
        """Set or revise the hulpverleningsplan; its risk factors become open.

        Accepted in every care phase (:data:`SIDE_BY_SIDE`): risicogestuurde zorg may start
        while directe veiligheid is still the goal. The phase and its exit criteria stay.
        """
        self._in_phase(SIDE_BY_SIDE, "set_hulpverleningsplan")
        if self.case_phase is CasePhase.RISICOGESTUURDE_ZORG:
            RISICOGESTUURDE_ZORG.next_state(RisicogestuurdeZorgState(self.rz_state),
                                            "set_hulpverleningsplan")
        self._hulpverleningsplan_set(
            **ctx.provenance(cmd, rule="fase 2 risicogestuurde zorg (000)"),
            risk_factors=sorted({f.value for f in cmd.risk_factors}),
            version=(self.hulpverleningsplan or {}).get("version", 0) + 1,
        )

    def open_risk_factor(self, cmd: OpenRiskFactor, ctx: DecisionContext) -> None:
        """Record a (new or returning) risk factor."""
        self._in_phase(CasePhase.RISICOGESTUURDE_ZORG, "open_risk_factor")
        RISICOGESTUURDE_ZORG.next_state(RisicogestuurdeZorgState(self.rz_state), "open_risk_factor")
        if cmd.factor.value in self.open_risk_factors:
            raise RuleViolation("risk factor already open", code="RISK_FACTOR_ALREADY_OPEN",
                                rule="hulpverleningsplan")
        self._risk_factor_opened(**ctx.provenance(cmd, rule="hulpverleningsplan"),
                                 factor=cmd.factor.value)

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

    def complete_risicogestuurde_zorg(
        self, cmd: CompleteRisicogestuurdeZorg, ctx: DecisionContext
    ) -> None:
        """Leave risicogestuurde zorg for herstel."""
        LIFECYCLE.next_state(self.case_phase, "complete_risicogestuurde_zorg")
        RISICOGESTUURDE_ZORG.next_state(RisicogestuurdeZorgState(self.rz_state), "exit_phase")
        self._leave_phase(ctx, "complete_risicogestuurde_zorg", cmd,
                          "exit criterion risicogestuurde zorg: stabiele veiligheid (000)")

    def set_herstelplan(self, cmd: SetHerstelplan, ctx: DecisionContext) -> None:
        """Set or revise the herstelplan, in any care phase (:data:`SIDE_BY_SIDE`).

        Herstel support may start beside safety work (trauma treatment of a child while the
        veiligheidsplan runs); the phase stays the goal. Within herstel a completed herstelplan
        is not revised (the herstel machine).
        """
        self._in_phase(SIDE_BY_SIDE, "set_herstelplan")
        if self.case_phase is CasePhase.HERSTEL:
            HERSTEL.next_state(HerstelState(self.herstel_state), "set_herstelplan")
        self._herstelplan_set(
            **ctx.provenance(cmd, rule="fase 3 herstel (000)"),
            interventions=sorted({i.value for i in cmd.interventions}),
            version=(self.herstelplan or {}).get("version", 0) + 1,
        )

    def complete_herstelplan(self, cmd: CompleteHerstelplan, ctx: DecisionContext) -> None:
        """Record that the herstelplan has been carried out."""
        self._in_phase(CasePhase.HERSTEL, "complete_herstelplan")
        HERSTEL.next_state(HerstelState(self.herstel_state), "complete_herstelplan")
        self._herstelplan_completed(**ctx.provenance(cmd, rule="fase 3 herstel (000)"))

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

    def loop_back(self, cmd: LoopBack, ctx: DecisionContext) -> None:
        """Return to directe veiligheid after a new incident or acute unsafety."""
        dest = LIFECYCLE.next_state(self.case_phase, "loop_back")
        self._enter_phase(dest, "loop_back", ctx.provenance(
            cmd, rule=loop_back_rule(cmd.cause)),
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
        self._require_no_open_statutory(ctx, reason_text, exclude_subject=None,
                                     satisfied_now=set())
        prov = ctx.provenance(cmd, rule="closure")
        if self.monitoring["state"] == MonitoringState.MONITORING.value:
            self._monitoring_ended(**prov, monitoring_id=self.monitoring["monitoring_id"],
                                   stable_safety=cmd.reason in (
                                       ClosureReason.WAAKVLAM_COMPLETED,
                                       ClosureReason.STABLE_SAFETY_REACHED))
            self._satisfy_deadlines(ctx, "VtMonitoringEnded", None)
        if self.vt_service["state"] == VtServiceState.RUNNING.value:
            # the reason for leaving T3 open was required above; the service ends with the case
            self._vt_service_completed(**prov, service_id=self.vt_service["service_id"],
                                       result="ended_by_closure", conclusion=None)
        self._enter_phase(CasePhase.CLOSED, "closed", prov)
        self._close_case(ctx, prov, cmd.reason.value, open_deadline_reason=reason_text)
