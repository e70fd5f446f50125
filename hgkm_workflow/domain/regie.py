"""Casusregie and MDA++: the first regisseur, the warm handover, escalation and return."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.guards import RULE_WARM_HANDOVER, CaseGuards
from hgkm_workflow.errors import RuleViolation
from hgkm_workflow.phases.mda import MDA, MdaState
from hgkm_workflow.phases.regie import REGIE, RegieState
from hgkm_workflow.vocabulary import OrganisationType

if TYPE_CHECKING:
    from hgkm_workflow.commands import (
        AcceptHandover,
        AssignCasusregisseur,
        DeclineHandover,
        EscalateToMda,
        OfferHandover,
        ReturnToLocalTeam,
        WithdrawHandover,
    )


#: Who holds casusregie while the MDA++ kernteam does (not a local team).
_KERNTEAM_TYPES = (OrganisationType.MDA_KERNTEAM.value,
                   OrganisationType.ZORG_EN_VEILIGHEIDSHUIS.value)


class RegieDecisions(CaseGuards):
    """Decisions on who holds casusregie, and on the MDA++ escalation."""

    def assign_casusregisseur(self, cmd: AssignCasusregisseur, ctx: DecisionContext) -> None:
        """Assign the first casusregisseur (later changes go through a warm handover)."""
        self._require_open("assign_first_regisseur")
        REGIE.next_state(RegieState(self.regie["state"]), "assign_first_regisseur")
        self._regisseur_assigned(**ctx.provenance(cmd, rule=RULE_WARM_HANDOVER),
                                 regisseur=cmd.regisseur.model_dump(mode="json"))

    def offer_handover(self, cmd: OfferHandover, ctx: DecisionContext) -> None:
        """Offer the casusregie to another party; the sender stays responsible."""
        REGIE.next_state(RegieState(self.regie["state"]), "offer_handover")
        self._require_open("offer_handover")
        to = cmd.to.model_dump(mode="json")
        if to == self.regie["regisseur"]:
            raise RuleViolation("cannot hand over to the current regisseur",
                                code="HANDOVER_TO_SELF", rule=RULE_WARM_HANDOVER)
        self._handover_offered(**ctx.provenance(cmd, rule=RULE_WARM_HANDOVER), to=to)

    def _require_handover_receiver(self, cmd: AcceptHandover | DeclineHandover,
                                   verb: str) -> None:
        offered = self.regie["offered_to"] or {}
        if (cmd.actor.actor_id, cmd.actor.organisation) != (offered.get("actor_id"),
                                                            offered.get("organisation")):
            raise RuleViolation(f"only the party the case was offered to can {verb}",
                                code="NOT_HANDOVER_RECEIVER", rule=RULE_WARM_HANDOVER)

    def accept_handover(self, cmd: AcceptHandover, ctx: DecisionContext) -> None:
        """The receiver accepts; only now does responsibility pass."""
        REGIE.next_state(RegieState(self.regie["state"]), "accept_handover")
        self._require_handover_receiver(cmd, "accept")
        self._handover_accepted(**ctx.provenance(cmd, rule=RULE_WARM_HANDOVER))

    def decline_handover(self, cmd: DeclineHandover, ctx: DecisionContext) -> None:
        """The receiver declines; the sender keeps casusregie."""
        REGIE.next_state(RegieState(self.regie["state"]), "decline_handover")
        self._require_handover_receiver(cmd, "decline")
        self._handover_ended(**ctx.provenance(cmd, rule=RULE_WARM_HANDOVER), how="declined")

    def withdraw_handover(self, cmd: WithdrawHandover, ctx: DecisionContext) -> None:
        """The sender withdraws the offer; it keeps casusregie.

        Raises:
            RuleViolation: ``NOT_HANDOVER_SENDER`` when the actor's organisation is not the
                sender's (the regisseur's): the receiver declines, it does not withdraw.
        """
        REGIE.next_state(RegieState(self.regie["state"]), "withdraw_handover")
        sender = self.regie["regisseur"] or {}
        if cmd.actor.organisation != sender.get("organisation"):
            raise RuleViolation("only the sender of the offer can withdraw it",
                                code="NOT_HANDOVER_SENDER", rule=RULE_WARM_HANDOVER)
        self._handover_ended(**ctx.provenance(cmd, rule=RULE_WARM_HANDOVER), how="withdrawn")

    def escalate_to_mda(self, cmd: EscalateToMda, ctx: DecisionContext) -> None:
        """Escalate to the MDA++ kernteam."""
        self._require_open("escalate_to_mda")
        MDA.next_state(MdaState(self.mda_state), "escalate_to_mda")
        self._escalated_to_mda(**ctx.provenance(cmd, rule="MDA++ (002, 004)"))

    def return_to_local_team(self, cmd: ReturnToLocalTeam, ctx: DecisionContext) -> None:
        """Return the case from MDA++ to the local team, once a local team holds casusregie.

        Raises:
            RuleViolation: ``HANDOVER_PENDING`` while an offer waits for its receiver;
                ``HANDOVER_REQUIRED`` while nobody or the kernteam holds casusregie ("Overdracht
                mag geen afbreuk betekenen", seed 002: a local team accepts it first).
        """
        MDA.next_state(MdaState(self.mda_state), "return_to_local_team")
        if self.regie["state"] == RegieState.HANDOVER_OFFERED.value:
            raise RuleViolation("a handover offer is pending: the receiver decides first",
                                code="HANDOVER_PENDING", rule=RULE_WARM_HANDOVER)
        regisseur = self.regie["regisseur"] or {}
        if regisseur.get("organisation_type") in (None, *_KERNTEAM_TYPES):
            raise RuleViolation("the case returns to the local team only through a handover "
                                "the local team accepts", code="HANDOVER_REQUIRED",
                                rule=RULE_WARM_HANDOVER)
        self._returned_from_mda(**ctx.provenance(cmd, rule="MDA++ (002, 004)"))
