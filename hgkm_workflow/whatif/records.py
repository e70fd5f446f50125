"""Small records of a what-if replay: deadline keys, refusals and the live tick instants."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["DeadlineKey", "Refusal", "keyed_deadlines", "tick_instants"]

JsonDict = dict[str, Any]
DeadlineKey = tuple[str, str, int | None, int]
"""(rule id, subject id, check-point, occurrence): a deadline the same on both sides."""


@dataclass(frozen=True)
class Refusal:
    """A recorded decision the side's rules would have refused."""

    case_id: str
    event: str
    at: datetime
    code: str
    rule: str
    message: str

    def as_dict(self) -> JsonDict:
        """JSON-ready form (ids, codes and instants only)."""
        return {"case_id": self.case_id, "event": self.event, "at": self.at.isoformat(),
                "code": self.code, "rule": self.rule, "message": self.message}


def _name(event: Any) -> str:
    return type(event).__name__


def tick_instants(events: Iterable[Any]) -> list[datetime]:
    """The instants a tick recorded something: the detection instants of recorded breaches."""
    return sorted({e.detected_at for e in events if _name(e) == "DeadlineBreached"})


def keyed_deadlines(case: Any) -> dict[DeadlineKey, JsonDict]:
    """A case's deadlines by (rule, subject, check-point, occurrence), in the order started."""
    seen: dict[tuple[str, str, int | None], int] = {}
    out: dict[DeadlineKey, JsonDict] = {}
    for d in case.deadlines.values():
        base = (d["rule_id"], d["subject_id"], d["checkpoint"])
        n = seen.get(base, 0)
        seen[base] = n + 1
        out[(*base, n)] = d
    return out
