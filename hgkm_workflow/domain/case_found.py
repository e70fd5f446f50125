"""How a melding's case was found: given by the caller, matched by the engine, or new.

The intake (:mod:`hgkm_workflow.application.intake`) finds the case a melding goes into in
one of three ways, and records which on the case, right after the melding
(``MeldingCaseFound``, saved with it):

* ``given`` — the caller named the case (``case_id`` on ``ReceiveMelding`` or
  ``ConvertAdviesToMelding``); if that case was closed, the melding reopened it
  (``MeldingReceived.reopened``);
* ``matched`` — no case was named and the engine matched the household: a person of the
  melding is in an open case (household matching through the person index, by business
  time for a late registration);
* ``new`` — no case was named and none matched: the melding opened a new case.

Meldingen recorded before this event existed have no ``MeldingCaseFound``: their case was
given or matched (the record does not say which), unless the melding opened or reopened it.
The event changes no state of the case: read models (the person index) and the event export
read it (docs/export-format.md, docs/monitor.md).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.guards import CaseGuards

if TYPE_CHECKING:
    from hgkm_workflow.commands import Command

JsonDict = dict[str, Any]


class CaseFoundBy(StrEnum):
    """How the intake found a melding's case."""

    GIVEN = "given"
    MATCHED = "matched"
    NEW = "new"


RULES: dict[CaseFoundBy, str] = {
    CaseFoundBy.GIVEN: "intake: the case named by the caller",
    CaseFoundBy.MATCHED: "intake: household matching (a person of the melding is in this open "
                         "case; person index, by business time)",
    CaseFoundBy.NEW: "intake: no case named and no open case of its persons: a new case",
}
"""The rule each way of finding a case follows (recorded on the event)."""


class CaseFoundDecisions(CaseGuards):
    """Recording how a melding's case was found."""

    def record_case_found(self, cmd: Command, melding_id: UUID, ctx: DecisionContext,
                          found_by: CaseFoundBy) -> None:
        """Record how the intake found this case for ``melding_id`` (after it was received).

        Raises:
            ValueError: If the melding is not in this case (an intake bug, not a refusal).
        """
        if str(melding_id) not in self.meldingen:
            raise ValueError("the melding must be received before its case is recorded found")
        self._melding_case_found(**ctx.provenance(cmd, rule=RULES[found_by]),
                                 melding_id=str(melding_id), found_by=found_by.value)


def melding_case_found(self: Any, actor: JsonDict, at: datetime, rationale: str, rule: str,
                       melding_id: str, found_by: str) -> None:
    """The ``MeldingCaseFound`` event method: informational, it changes no state."""
