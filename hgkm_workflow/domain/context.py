"""What a decision may consult besides the case: time, rules and calendar.

The application builds one :class:`DecisionContext` per command from its injected clock and its
rule book and calendar. The aggregate reads time only from here, and only while deciding —
never in an event method — so replay is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hgkm_workflow.commands import Command
    from hgkm_workflow.domain.calendar import WorkingDayCalendar
    from hgkm_workflow.domain.rulebook import RuleBook


@dataclass(frozen=True)
class DecisionContext:
    """Business time, recording time, and the rules in force for one decision."""

    at: datetime
    """Business time: when it happened in the case (UTC)."""
    recorded_at: datetime
    """When the system learns of it (the clock's now, UTC)."""
    rules: RuleBook
    calendar: WorkingDayCalendar

    def provenance(self, command: Command, rule: str = "") -> dict[str, Any]:
        """The provenance fields every decision event carries."""
        return {
            "actor": command.actor.model_dump(mode="json"),
            "at": self.at,
            "rationale": command.rationale,
            "rule": rule,
        }

    def system_provenance(self, rationale: str, rule: str) -> dict[str, Any]:
        """Provenance for decisions the library takes itself (the scheduler)."""
        return {
            "actor": {"actor_id": "hgkm-scheduler", "organisation": "hgkm", "role": "scheduler"},
            "at": self.at,
            "rationale": rationale,
            "rule": rule,
        }
