"""What a tick or a calendar change did to a case: typed, immutable outcomes.

:meth:`~hgkm_workflow.domain.case_deadlines.DeadlineDecisions.process_due` returns
:data:`TickOutcome` values and
:meth:`~hgkm_workflow.domain.case_deadlines.DeadlineDecisions.reschedule` returns
:class:`DeadlineMoved` values; the application turns them into its records for the host.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar


class TickKind(StrEnum):
    """What the scheduler recorded on a due deadline."""

    BREACH = "breach"
    HUISVERBOD_EXPIRED = "huisverbod_expired"


@dataclass(frozen=True)
class BreachRecorded:
    """A deadline passed unmet; its breach was recorded (once)."""

    kind: ClassVar[TickKind] = TickKind.BREACH
    deadline_id: str
    rule_id: str
    rule_name: str
    due: datetime
    detected_at: datetime
    blocking: bool

    def detail(self) -> dict[str, Any]:
        """The outcome as plain values, ``kind`` included (for hosts and reports)."""
        return {"kind": self.kind.value, "deadline_id": self.deadline_id,
                "rule_id": self.rule_id, "rule_name": self.rule_name, "due": self.due,
                "detected_at": self.detected_at, "blocking": self.blocking}


@dataclass(frozen=True)
class HuisverbodExpiredOutcome:
    """A huisverbod reached its end (T6 or T7) and was recorded as expired."""

    kind: ClassVar[TickKind] = TickKind.HUISVERBOD_EXPIRED
    deadline_id: str
    rule_id: str
    huisverbod_id: str
    at: datetime

    @property
    def due(self) -> datetime:
        """The end instant of the huisverbod (the due instant of its T6/T7 deadline)."""
        return self.at

    def detail(self) -> dict[str, Any]:
        """The outcome as plain values, ``kind`` included (for hosts and reports)."""
        return {"kind": self.kind.value, "deadline_id": self.deadline_id,
                "rule_id": self.rule_id, "huisverbod_id": self.huisverbod_id, "at": self.at}


#: One thing a tick recorded on a case.
TickOutcome = BreachRecorded | HuisverbodExpiredOutcome


@dataclass(frozen=True)
class DeadlineMoved:
    """An open deadline moved onto a new calendar version."""

    deadline_id: str
    rule_id: str
    old_due: datetime
    new_due: datetime
    decree: str

    def detail(self) -> dict[str, Any]:
        """The move as plain values."""
        return {"deadline_id": self.deadline_id, "rule_id": self.rule_id,
                "old_due": self.old_due, "new_due": self.new_due, "decree": self.decree}
