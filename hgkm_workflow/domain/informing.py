"""Informing the persons concerned that a melding was made (issue 14, part A; T12).

The persons a melding is about are told that it was made: the meldcode's third step is the
conversation with them ("Gesprek met de betrokkene(n)", seed 002 footnote 19) and Veilig Thuis
works by the Handelingsprotocol Veilig Thuis (seed 001). The term for it (T12
``informeren_betrokkenen``) is a protocol term whose length the sources do not give: disabled
nationally, a region enables and sets it in its rule data (``data/regions/deadlines/``).

- ``PersonsConcernedInformed`` records who was informed — person ids and their roles in the
  case, never what was said. It meets T12.
- ``InformingWithheld`` is the documented exception: informing is itself unsafe ("Veiligheid
  staat altijd voorop", seed 004). A recorded decision with its rationale and rule; when
  nobody was informed it stops T12 without a breach (closed unmet; a breach is recorded only
  when the decision itself came after the due instant). A person withheld may still be
  informed later, when it has become safe.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.guards import CaseGuards
from hgkm_workflow.errors import RuleViolation

if TYPE_CHECKING:
    from hgkm_workflow.commands_period import (
        RecordInformingWithheld,
        RecordPersonsConcernedInformed,
    )

__all__ = ["RULE_INFORMING", "RULE_INFORMING_UNSAFE", "InformingDecisions",
           "informing_withheld", "persons_informed"]

JsonDict = dict[str, Any]

RULE_INFORMING = ("T12 informeren_betrokkenen: the persons concerned are told a melding was "
                  "made (meldcode stap 3, seed 002; Handelingsprotocol Veilig Thuis, seed 001)")
RULE_INFORMING_UNSAFE = ("T12 exception: not informing when informing is itself unsafe "
                         "('Veiligheid staat altijd voorop', seed 004)")


class InformingDecisions(CaseGuards):
    """Recording that the persons concerned were informed of a melding, or why they were not."""

    def _person_roles(self, person_ids: list[UUID]) -> list[JsonDict]:
        # Each person's role in the case now: the latest correction, else the role at melding.
        roles: list[JsonDict] = []
        for pid in person_ids:
            self._require_person(pid)
            p = self.persons[str(pid)]
            corrections = p.get("corrections") or []
            role = corrections[-1]["role"] if corrections else p["role_at_melding"]
            roles.append({"person_id": str(pid), "role": role})
        return roles

    def record_persons_concerned_informed(self, cmd: RecordPersonsConcernedInformed,
                                          ctx: DecisionContext) -> None:
        """Record who was told of the melding; meets T12 of that melding."""
        melding = self._melding(cmd.melding_id, ctx)
        already = {p["person_id"] for p in melding.get("persons_informed", [])}
        if already & {str(p) for p in cmd.person_ids}:
            raise RuleViolation("a person named was already informed of this melding",
                                code="PERSON_ALREADY_INFORMED", rule=RULE_INFORMING)
        persons = self._person_roles(cmd.person_ids)
        self._persons_concerned_informed(**ctx.provenance(cmd, rule=RULE_INFORMING),
                                         melding_id=str(cmd.melding_id), persons=persons)
        self._satisfy_deadlines(ctx, "PersonsConcernedInformed", str(cmd.melding_id))

    def record_informing_withheld(self, cmd: RecordInformingWithheld,
                                  ctx: DecisionContext) -> None:
        """Record that informing the persons named is itself unsafe; stops T12 if nobody was
        informed (closed unmet, no breach when decided in time)."""
        melding = self._melding(cmd.melding_id, ctx)
        informed = {p["person_id"] for p in melding.get("persons_informed", [])}
        if informed & {str(p) for p in cmd.person_ids}:
            raise RuleViolation("a person named was already informed of this melding",
                                code="PERSON_ALREADY_INFORMED", rule=RULE_INFORMING_UNSAFE)
        persons = self._person_roles(cmd.person_ids)
        self._informing_withheld(**ctx.provenance(cmd, rule=RULE_INFORMING_UNSAFE),
                                 melding_id=str(cmd.melding_id), persons=persons)
        if not informed:
            self._lapse_deadlines(str(cmd.melding_id), ("T12",), ctx.at,
                                  f"informing withheld: {RULE_INFORMING_UNSAFE}")


def persons_informed(self: Any, actor: JsonDict, at: datetime, rationale: str, rule: str,
                     melding_id: str, persons: list[JsonDict]) -> None:
    """The ``PersonsConcernedInformed`` event method."""
    m = self.meldingen[melding_id]
    m.setdefault("persons_informed", []).extend({**p, "at": at} for p in persons)


def informing_withheld(self: Any, actor: JsonDict, at: datetime, rationale: str, rule: str,
                       melding_id: str, persons: list[JsonDict]) -> None:
    """The ``InformingWithheld`` event method."""
    m = self.meldingen[melding_id]
    m.setdefault("informing_withheld", []).extend({**p, "at": at} for p in persons)
