"""What the application's commands and its scheduler return."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

__all__ = ["CommandResult", "TickRecord"]


@dataclass(frozen=True)
class CommandResult:
    """What a command did: the case (or advies), its new version and the events recorded."""

    aggregate_id: UUID
    version: int
    events: tuple[str, ...]
    ids: dict[str, UUID] = field(default_factory=dict)

    @property
    def case_id(self) -> UUID:
        """The case the command was applied to (alias of ``aggregate_id``)."""
        return self.aggregate_id


@dataclass(frozen=True)
class TickRecord:
    """One thing the scheduler recorded: a breach or the end of a huisverbod."""

    case_id: UUID
    kind: str
    deadline_id: str
    rule_id: str
    due: datetime | None
    detail: dict[str, Any]
