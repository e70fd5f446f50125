"""Guards written once: the checks and phase moves every decision mixin shares.

``require open``, ``require person``, ``in phase``, ``require regisseur``, entering and
leaving a phase, closing the case, and the melding a decision answers. Each refusal raises the
typed error with its stable code; nothing here reads the environment or does I/O.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from uuid import UUID

from hgkm_workflow.domain.case_deadlines import DeadlineDecisions
from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.errors import RuleViolation, TransitionNotAllowed
from hgkm_workflow.phases.intake import MeldingState
from hgkm_workflow.phases.lifecycle import LIFECYCLE, OPEN_PHASES, CasePhase
from hgkm_workflow.phases.mda import MDA, MdaState
from hgkm_workflow.vocabulary import LoopBackCause

if TYPE_CHECKING:
    from hgkm_workflow.commands import (
        CompleteDirecteVeiligheid,
        CompleteHerstel,
        CompleteRisicogestuurdeZorg,
    )

JsonDict = dict[str, Any]

#: Legal bases named on decision events.
RULE_HUISVERBOD = "Wet tijdelijk huisverbod"
RULE_DV_EXIT = "exit directe veiligheid: acute onveiligheid weggenomen (001)"
RULE_LOOP_BACK = "op acute onveiligheid wordt altijd direct gehandeld (000)"
LOOP_BACK_RULE = re.compile(r"^loop-back \((\w+)\):")
"""How the cause of a loop-back is named in the rule text (``loop-back (cause): ...``)."""
RULE_WARM_HANDOVER = "warm handover: 1 gezin, 1 plan, 1 regisseur (seeds 002, 004)"
RULE_INFORM_SUBJECTS = ("data subjects are told their data is shared unless that is itself "
                        "unsafe (seed 004; AVG art. 13, 14 and 23)")


def loop_back_rule(cause: LoopBackCause) -> str:
    """The rule text of a loop-back with its cause (read back by the PhaseChanged upcaster)."""
    return f"loop-back ({cause.value}): {RULE_LOOP_BACK}"


class CaseGuards(DeadlineDecisions):
    """The shared guards and phase moves of the case's decisions, and its comparable state."""

    def state_dict(self) -> JsonDict:
        """All state that a replay must reproduce (for comparisons and snapshots)."""
        state = {k: v for k, v in vars(self).items() if not k.startswith("_")}
        state["id"] = str(self.id)
        state["version"] = self.version
        return state

    @property
    def case_phase(self) -> CasePhase:
        """The current phase as an enum."""
        return CasePhase(self.phase)

    def _require_open(self, what: str) -> None:
        if self.case_phase not in OPEN_PHASES:
            raise TransitionNotAllowed("lifecycle", what, self.phase)

    def _in_phase(self, phase: CasePhase | tuple[CasePhase, ...], trigger: str) -> None:
        if self.case_phase not in (phase if isinstance(phase, tuple) else (phase,)):
            raise TransitionNotAllowed("lifecycle", trigger, self.phase)

    def _require_person(self, person_id: UUID) -> None:
        if str(person_id) not in self.persons:
            raise RuleViolation(
                f"person {person_id} is not part of this household case",
                rule="persons are recorded through a melding or AddPerson",
                code="PERSON_NOT_IN_CASE",
            )

    def _require_regisseur(self, trigger: str) -> None:
        if self.regie["regisseur"] is None:
            raise RuleViolation(f"'{trigger}' needs a casusregisseur",
                                code="REGISSEUR_REQUIRED", rule=RULE_WARM_HANDOVER)

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

    def _awaiting_assessment(self, besides: str | None = None) -> bool:
        # Whether a melding (other than ``besides``) still awaits its veiligheidsbeoordeling.
        return any(m["state"] == MeldingState.RECEIVED.value
                   for mid, m in self.meldingen.items() if mid != besides)

    def _enter_phase(self, dest: CasePhase, how: str, prov: JsonDict,
                     open_deadline_reason: str | None = None,
                     loop_back_cause: LoopBackCause | None = None) -> None:
        self._phase_changed(**prov, from_phase=self.phase, to_phase=dest.value, how=how,
                            open_deadline_reason=open_deadline_reason,
                            loop_back_cause=loop_back_cause.value if loop_back_cause else None)

    def _leave_phase(self, ctx: DecisionContext, trigger: str, cmd: CompleteDirecteVeiligheid
                     | CompleteRisicogestuurdeZorg | CompleteHerstel, rule: str) -> None:
        dest = LIFECYCLE.next_state(self.case_phase, trigger)
        self._require_reason_for_open_statutory(cmd.open_deadline_reason)
        self._enter_phase(dest, "phase_completed", ctx.provenance(cmd, rule=rule),
                          open_deadline_reason=cmd.open_deadline_reason)

    def _end_mda_with_case(self, prov: JsonDict) -> None:
        # A case that closes while escalated leaves MDA++ with it, recorded as a return, so a
        # reopened case starts without an escalation that nobody is working on.
        if self.mda_state == MdaState.ESCALATED.value:
            MDA.next_state(MdaState.ESCALATED, "return_to_local_team")
            self._returned_from_mda(**{**prov, "rule": "closure: MDA++ ends with the case"})

    def _close_case(self, ctx: DecisionContext, prov: JsonDict, reason: str,
                    open_deadline_reason: str | None) -> None:
        # After the move to CLOSED: MDA++ ends, the closure is recorded, open deadlines close.
        self._end_mda_with_case(prov)
        self._closed(**prov, reason=reason, open_deadline_reason=open_deadline_reason)
        self._close_open_deadlines(ctx, prov)
