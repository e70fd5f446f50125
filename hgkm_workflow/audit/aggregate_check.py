"""The per-aggregate half of ``audit verify``: replay one case and compare its loads.

Shared by the serial replay (:mod:`hgkm_workflow.audit.verification`) and the worker
processes (:mod:`hgkm_workflow.audit.parallel_replay`): the report types and
:func:`verify_aggregate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

__all__ = ["Difference", "VerifyReport", "compare_loads", "verify_aggregate"]


@dataclass(frozen=True)
class Difference:
    """One thing that differs between the live store and a replay.

    Attributes:
        kind: ``case_state`` (replay differs from the loaded state), ``snapshot`` (the
            snapshot-based load differs from the replay), ``row_missing`` / ``row_extra``
            (a read-model row only in the rebuild / only live), ``row_differs``,
            ``table_missing``, or ``error`` (an aggregate or event could not be read).
        where: The aggregate id, or ``table`` / ``table[primary key]``.
        detail: What differs: field names and values (pseudonymous ids and codes only).
    """

    kind: str
    where: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"kind": self.kind, "where": self.where, "detail": self.detail}


@dataclass
class VerifyReport:
    """The outcome of :func:`verify`.

    Attributes:
        aggregates: Aggregates replayed (cases and adviezen).
        events: Events replayed.
        position: The notification id up to which the read models were compared.
        tables: Rows compared per read-model table.
        differences: Everything that differs; empty when the store verifies.
        scratch: Where the read models were rebuilt (a temporary SQLite file, removed).
    """

    aggregates: int = 0
    events: int = 0
    position: int = 0
    tables: dict[str, int] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)
    scratch: str = ""

    @property
    def ok(self) -> bool:
        """True when nothing differs."""
        return not self.differences

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"ok": self.ok, "aggregates": self.aggregates, "events": self.events,
                "position": self.position, "tables": dict(self.tables),
                "differences": [d.as_dict() for d in self.differences],
                "scratch": self.scratch}


def _public_state(aggregate: Any) -> dict[str, Any]:
    if hasattr(aggregate, "state_dict"):
        return dict(aggregate.state_dict())
    state = {k: v for k, v in vars(aggregate).items() if not k.startswith("_")}
    state["id"] = str(aggregate.id)
    state["version"] = aggregate.version
    return state


def verify_aggregate(app: Application[UUID], aggregate_id: UUID, report: VerifyReport) -> None:
    """Replay one aggregate from its events alone; add what differs from its loads to report."""
    from hgkm_workflow.adapters.loading import project_events

    where = str(aggregate_id)
    try:
        events = list(app.events.get(aggregate_id))
        replayed = project_events(None, events)
        report.aggregates += 1
        report.events += len(events)
        if replayed is None:
            report.differences.append(Difference("error", where, "no events"))
            return
        found = compare_loads(app, aggregate_id, replayed)
    except Exception as exc:  # verify reports every failure, it never stops
        report.differences.append(Difference("error", where, f"{type(exc).__name__}: {exc}"))
        return
    report.differences.extend(Difference(kind, where, detail) for kind, detail in found)


def compare_loads(app: Application[UUID], aggregate_id: UUID,
                  replayed: Any) -> list[tuple[str, str]]:
    """Load the aggregate with the repository (snapshot, cache) and from a snapshot up to the
    replay's version; ``(kind, detail)`` for each load whose state differs from ``replayed``.

    Raises:
        Exception: Whatever a load raises (the caller reports it as an ``error``).
    """
    from hgkm_workflow.adapters.loading import project_events

    expected = _public_state(replayed)
    loaded: Any = app.repository.get(aggregate_id)
    from_snapshot: Any = app.repository.get(aggregate_id, version=replayed.version,
                                            projector_func=project_events)
    found: list[tuple[str, str]] = []
    for kind, other in (("case_state", loaded), ("snapshot", from_snapshot)):
        diff = _dict_diff(expected, _public_state(other))
        if diff:
            found.append((kind, diff))
    return found


def _dict_diff(expected: dict[str, Any], actual: dict[str, Any]) -> str:
    from hgkm_workflow.audit.json_form import jsonable as _jsonable

    parts = []
    for key in sorted(set(expected) | set(actual)):
        a, b = _jsonable(expected.get(key)), _jsonable(actual.get(key))
        if a != b:
            parts.append(f"{key}: replay {a!r} != loaded {b!r}")
    return "; ".join(parts)
