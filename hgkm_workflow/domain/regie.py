"""Casusregie, procesregie and MDA++: the first regisseur, the warm handover, procesregie
beside casusregie, escalation and return.

Procesregie (seeds 002, 004): "De proces- en casusregie kan verschillend worden belegd" (004).
The MDA++ kernteam "bewaakt ... of de gezamenlijke afspraken nagekomen worden (procesregie)
... verantwoordelijkheden worden niet overgenomen" (002); the Zorg- en Veiligheidshuis "voert
procesregie op casussen waarin de strafrechtelijke aanpak daarom vraagt" and the Centrum
Huiselijk Geweld holds "casus- en procesregie" for the most complex cases (001). So
``ProcesregieTaken`` never touches casusregie: the casusregisseur stays who it was.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.guards import RULE_WARM_HANDOVER, CaseGuards
from hgkm_workflow.domain.track_kinds import (
    PROCESREGIE_GROUNDS,
    PROCESREGIE_TYPES,
    RULE_PROCESREGIE,
    open_tracks,
    procesregie_holder,
)
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
    from hgkm_workflow.commands_tracks import HandBackProcesregie, TakeProcesregie

JsonDict = dict[str, Any]


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
            RuleViolation: ``PROCESREGIE_HELD`` while the kernteam holds procesregie (it hands
                it back first); ``HANDOVER_PENDING`` while an offer waits for its receiver;
                ``HANDOVER_REQUIRED`` while nobody or the kernteam holds casusregie ("Overdracht
                mag geen afbreuk betekenen", seed 002: a local team accepts it first).
        """
        MDA.next_state(MdaState(self.mda_state), "return_to_local_team")
        self._require_procesregie_not_with((OrganisationType.MDA_KERNTEAM.value,),
                                           "returning from MDA++")
        if self.regie["state"] == RegieState.HANDOVER_OFFERED.value:
            raise RuleViolation("a handover offer is pending: the receiver decides first",
                                code="HANDOVER_PENDING", rule=RULE_WARM_HANDOVER)
        regisseur = self.regie["regisseur"] or {}
        if regisseur.get("organisation_type") in (None, *_KERNTEAM_TYPES):
            raise RuleViolation("the case returns to the local team only through a handover "
                                "the local team accepts", code="HANDOVER_REQUIRED",
                                rule=RULE_WARM_HANDOVER)
        self._returned_from_mda(**ctx.provenance(cmd, rule="MDA++ (002, 004)"))

    # ---------------------------------------------------------------- procesregie

    def take_procesregie(self, cmd: TakeProcesregie, ctx: DecisionContext) -> None:
        """The MDA++ kernteam, a Zorg- en Veiligheidshuis or the Centrum Huiselijk Geweld takes
        up procesregie; casusregie stays where it is.

        Raises:
            RuleViolation: ``PROCESREGIE_ORGANISATION_NOT_ALLOWED`` for another organisation
                type; ``NOT_PROCESREGIE_ORGANISATION`` when the actor is not of the named
                organisation (it takes procesregie up itself); ``MDA_NOT_ESCALATED`` for the
                kernteam of a case not escalated to MDA++ (at the business time);
                ``PROCESREGIE_GROUND_MISSING`` for a Zorg- en Veiligheidshuis without an open
                criminal track or the Centrum Huiselijk Geweld without an open CHG involvement
                (started by the business time); ``PROCESREGIE_HELD`` while another
                holds it (one procesregisseur at a time: it hands back first).
        """
        self._require_open("take_procesregie")
        holder = cmd.regisseur
        if holder.organisation_type not in PROCESREGIE_TYPES:
            raise RuleViolation("procesregie is held by the MDA++ kernteam, a Zorg- en "
                                "Veiligheidshuis or the Centrum Huiselijk Geweld",
                                code="PROCESREGIE_ORGANISATION_NOT_ALLOWED", rule=RULE_PROCESREGIE)
        if cmd.actor.organisation != holder.organisation:
            raise RuleViolation("procesregie is taken up by the organisation that will hold it",
                                code="NOT_PROCESREGIE_ORGANISATION", rule=RULE_PROCESREGIE)
        escalated_at = self.__dict__.get("fact_times", {}).get("mda_escalation")
        if holder.organisation_type is OrganisationType.MDA_KERNTEAM and (
                self.mda_state != MdaState.ESCALATED.value
                or (escalated_at is not None and ctx.at < escalated_at)):
            raise RuleViolation("the MDA++ kernteam holds procesregie of an escalated case",
                                code="MDA_NOT_ESCALATED", rule=RULE_PROCESREGIE)
        ground = PROCESREGIE_GROUNDS.get(holder.organisation_type)
        if ground is not None and not any(t["kind"] == ground.value and t["started_at"] <= ctx.at
                                          for t in open_tracks(self).values()):
            raise RuleViolation(f"this organisation holds procesregie while a {ground.value} "
                                "track is open", code="PROCESREGIE_GROUND_MISSING",
                                rule=RULE_PROCESREGIE)
        if procesregie_holder(self) is not None:
            raise RuleViolation("procesregie is held; the holder hands it back first",
                                code="PROCESREGIE_HELD", rule=RULE_PROCESREGIE)
        self._procesregie_taken(**ctx.provenance(cmd, rule=RULE_PROCESREGIE),
                                holder=holder.model_dump(mode="json"))

    def hand_back_procesregie(self, cmd: HandBackProcesregie, ctx: DecisionContext) -> None:
        """The holder hands procesregie back; casusregie is unchanged.

        Raises:
            RuleViolation: ``PROCESREGIE_NOT_HELD`` when nobody holds it;
                ``NOT_PROCESREGISSEUR`` when the actor's organisation is not the holder's.
        """
        held = procesregie_holder(self)
        if held is None:
            raise RuleViolation("nobody holds procesregie", code="PROCESREGIE_NOT_HELD",
                                rule=RULE_PROCESREGIE)
        if cmd.actor.organisation != held["holder"]["organisation"]:
            raise RuleViolation("only the organisation holding procesregie hands it back",
                                code="NOT_PROCESREGISSEUR", rule=RULE_PROCESREGIE)
        self._procesregie_handed_back(**ctx.provenance(cmd, rule=RULE_PROCESREGIE))

    def _require_procesregie_not_with(self, types: tuple[str, ...], doing: str) -> None:
        held = procesregie_holder(self)
        if held is not None and held["holder"]["organisation_type"] in types:
            raise RuleViolation(f"procesregie is still held by the kernteam; it hands it back "
                                f"before {doing}", code="PROCESREGIE_HELD",
                                rule=RULE_PROCESREGIE)


def procesregie_taken(self: Any, actor: JsonDict, at: datetime, rationale: str, rule: str,
                      holder: JsonDict) -> None:
    """The ``ProcesregieTaken`` event method (casusregie, ``self.regie``, is not touched)."""
    previous = self.__dict__.get("procesregie", {}).get("previous", [])
    self.__dict__["procesregie"] = {"holder": holder, "since": at, "previous": previous}


def procesregie_handed_back(self: Any, actor: JsonDict, at: datetime, rationale: str,
                            rule: str) -> None:
    """The ``ProcesregieHandedBack`` event method."""
    held = self.__dict__["procesregie"]
    ended = {"holder": held["holder"], "since": held["since"], "until": at}
    self.__dict__["procesregie"] = {"holder": None, "since": None,
                                    "previous": [*held["previous"], ended]}
