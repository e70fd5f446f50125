"""Facts the sources name that start or meet a term: help during a huisverbod, a separation.

- **Help offered during a huisverbod** (T9, seed 001): help is offered to both sides — the
  removed person and those who stayed at home — while the huisverbod is in force. Each offer is
  a ``HuisverbodHelpOffered`` event naming the person; T9 is met by the offer that completes
  both sides. The offer is dated within the huisverbod (business time decides: an offer made
  on day 8 and registered after the expiry is accepted).
- **Separation** (T11, seed 001): "het risico op stalking blijft na een scheiding minimaal
  twee jaar bestaan" — ``SeparationRecorded`` starts the stalking risk horizon.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.guards import RULE_HUISVERBOD, CaseGuards
from hgkm_workflow.errors import RuleViolation

if TYPE_CHECKING:
    from hgkm_workflow.commands import RecordHuisverbodHelpOffered, RecordSeparation

JsonDict = dict[str, Any]

RULE_T9 = f"T9 hulpaanbod_huisverbod ({RULE_HUISVERBOD}; seed 001: help to both sides)"
RULE_T11 = "T11 stalking_risicohorizon (seed 001: the risk lasts at least two years)"


def help_sides(h: JsonDict) -> set[str]:
    """The sides of a huisverbod that were offered help: ``removed``, ``stayed``."""
    return {"removed" if pid == h["removed_person_id"] else "stayed"
            for pid in h.get("help_offered_to", [])}


class FactDecisions(CaseGuards):
    """Recording help during a huisverbod and a separation."""

    def record_huisverbod_help_offered(self, cmd: RecordHuisverbodHelpOffered,
                                       ctx: DecisionContext) -> None:
        """Record help offered to one side during a huisverbod; both sides meet T9."""
        h = self.huisverboden.get(str(cmd.huisverbod_id))
        if h is None:
            raise RuleViolation("no such huisverbod in this case", code="HUISVERBOD_NOT_FOUND",
                                rule="huisverbod-exists")
        self._require_person(cmd.person_id)
        if ctx.at >= (h["ended_at"] or h["ends_at"]):
            raise RuleViolation("help during the huisverbod is offered before it ended",
                                code="HUISVERBOD_EXPIRED", rule=RULE_T9)
        pid = str(cmd.person_id)
        if pid in h.get("help_offered_to", []):
            raise RuleViolation("help was already offered to this person during this huisverbod",
                                code="HELP_ALREADY_OFFERED", rule=RULE_T9)
        before = help_sides(h)
        self._huisverbod_help_offered(**ctx.provenance(cmd, rule=RULE_T9),
                                      huisverbod_id=str(cmd.huisverbod_id), person_id=pid)
        if before != {"removed", "stayed"} and help_sides(h) == {"removed", "stayed"}:
            self._satisfy_deadlines(ctx, "HuisverbodHelpOffered", str(cmd.huisverbod_id))

    def record_separation(self, cmd: RecordSeparation, ctx: DecisionContext) -> None:
        """Record that the partners separated: the stalking risk horizon (T11) starts."""
        self._require_open("record_separation")
        self._separation_recorded(**ctx.provenance(cmd, rule=RULE_T11))
        self._start_deadlines(ctx, "SeparationRecorded", ctx.at, str(self.id), {})


def help_offered(self: Any, actor: JsonDict, at: datetime, rationale: str, rule: str,
                 huisverbod_id: str, person_id: str) -> None:
    """The ``HuisverbodHelpOffered`` event method."""
    self.huisverboden[huisverbod_id].setdefault("help_offered_to", []).append(person_id)


def separation_recorded(self: Any, actor: JsonDict, at: datetime, rationale: str,
                        rule: str) -> None:
    """The ``SeparationRecorded`` event method."""
    self.__dict__.setdefault("separations", []).append({"at": at})
