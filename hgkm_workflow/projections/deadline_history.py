"""Read model ``rm_deadline_history``: every change of a timeliness deadline, with when it
was recorded, so timeliness figures can be restated as known at a recording instant.

``rm_deadlines`` (:mod:`hgkm_workflow.projections.deadline_index`) holds each deadline as
known now: business time decides, so an assessment registered late that was decided before
the due instant meets T1 on time and withdraws the breach the tick had recorded. A figure
published before that registration counted the breach. This history keeps one row per
deadline event of the rules the monitor reports on (:data:`RESTATED_RULES`) — its kind,
business instant, recording instant and the case version that recorded it — and
:func:`deadline_states` folds the rows recorded up to an instant into the deadline's state
as known then, with the same rules as ``rm_deadlines``
(:mod:`hgkm_workflow.monitor.restate_timeliness` uses it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa

from hgkm_workflow.projections._util import naive_utc
from hgkm_workflow.projections.base import Projection
from hgkm_workflow.projections.batch import id_text
from hgkm_workflow.projections.fold_io import insert_rows

__all__ = ["RESTATED_RULES", "DeadlineHistoryProjection", "DeadlineState", "deadline_history",
           "deadline_states"]

RESTATED_RULES = frozenset({"T1", "T3", "T8", "T9"})
"""The rules whose timeliness the monitor reports, and so restates."""

metadata = sa.MetaData()

deadline_history = sa.Table(
    "rm_deadline_history",
    metadata,
    sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("deadline_id", sa.String(36), primary_key=True),
    sa.Column("case_id", sa.String(36), nullable=False),
    sa.Column("case_version", sa.Integer, nullable=False),
    sa.Column("rule_id", sa.String(8), nullable=False),
    sa.Column("checkpoint", sa.Integer, nullable=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("at", sa.DateTime, nullable=True),
    sa.Column("due", sa.DateTime, nullable=True),
    sa.Column("late_seconds", sa.Float, nullable=True),
    sa.Column("recorded_at", sa.DateTime, nullable=True),
    sa.Index("ix_rm_deadline_history_deadline", "deadline_id", "position"),
)
"""One row per change of a deadline of :data:`RESTATED_RULES` (``at``: the met, closed or
breach instant; ``due``: the due instant after a start or a reschedule)."""


_EVENTS = frozenset({"DeadlineStarted", "DeadlineMet", "DeadlineBreached",
                     "DeadlineClosedUnmet", "DeadlineRescheduled", "DeadlineBreachWithdrawn",
                     "HuisverbodExpiryWithdrawn"})


class DeadlineHistoryProjection(Projection):
    """Keeps ``rm_deadline_history`` from the deadline events of every case."""

    name: ClassVar[str] = "deadline_history"
    version: ClassVar[int] = 1
    metadata: ClassVar[sa.MetaData] = metadata
    event_names: ClassVar[frozenset[str] | None] = _EVENTS

    def apply_batch(self, conn: sa.Connection, events: Sequence[tuple[object, int]]) -> None:
        """Append a row per change of a tracked deadline (one insert per batch)."""
        rows: list[dict[str, Any]] = []
        tracked: dict[str, tuple[str, int | None]] = {}
        needed: set[str] = set()
        for event, _ in events:
            ev: Any = event
            if type(event).__name__ == "DeadlineStarted":
                d = ev.deadline
                if d["rule_id"] in RESTATED_RULES:
                    tracked[d["deadline_id"]] = (d["rule_id"], d["checkpoint"])
            else:
                needed.update(i for i in _ids(event) if i not in tracked)
        if needed:
            h = deadline_history
            for r in conn.execute(sa.select(h.c.deadline_id, h.c.rule_id, h.c.checkpoint)
                                  .where(h.c.deadline_id.in_(sorted(needed)),
                                         h.c.kind == "DeadlineStarted")):
                tracked[r.deadline_id] = (r.rule_id, r.checkpoint)
        for event, position in events:
            for deadline_id in _ids(event):
                if deadline_id in tracked:
                    rows.append(_row(event, position, deadline_id, *tracked[deadline_id]))
        insert_rows(conn, deadline_history, rows)  # through the driver (fold_io), same rows


def _ids(event: object) -> tuple[str, ...]:
    ev: Any = event
    kind = type(event).__name__
    if kind == "DeadlineStarted":
        return (ev.deadline["deadline_id"],)
    if kind == "HuisverbodExpiryWithdrawn":
        return tuple(ev.reopened_deadlines)
    return (ev.deadline_id,)


def _row(event: object, position: int, deadline_id: str, rule_id: str,
         checkpoint: int | None) -> dict[str, Any]:
    ev: Any = event
    kind = type(event).__name__
    at = due = late = None
    if kind == "DeadlineStarted":
        at, due = naive_utc(ev.deadline["start"]), naive_utc(ev.deadline["due"])
    elif kind == "DeadlineMet":
        at, late = naive_utc(ev.at), ev.late_seconds
    elif kind == "DeadlineClosedUnmet":
        at = naive_utc(ev.at)
    elif kind == "DeadlineBreached":
        at = naive_utc(ev.detected_at)
    elif kind == "DeadlineRescheduled":
        due = naive_utc(ev.new_due)
    stamp = getattr(ev, "timestamp", None)
    return {"position": position, "deadline_id": deadline_id,
            "case_id": id_text(ev.originator_id), "case_version": int(ev.originator_version),
            "rule_id": rule_id, "checkpoint": checkpoint, "kind": kind, "at": at, "due": due,
            "late_seconds": late, "recorded_at": naive_utc(stamp) if stamp else None}


@dataclass
class DeadlineState:
    """A deadline as known from the rows folded so far (the rules of ``rm_deadlines``)."""

    deadline_id: str
    case_id: str
    rule_id: str
    due: datetime | None = None
    status: str = "open"
    met_at: datetime | None = None
    breached: bool = False
    late_seconds: float | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    """The rows folded, in order (kind, case_version, recorded_at, at)."""

    def fold(self, row: Any) -> None:
        """Apply one history row."""
        kind = row.kind
        if kind == "DeadlineStarted":
            self.due = row.due
        elif kind == "DeadlineMet":
            self.status = "met" if row.late_seconds is None else "met_late"
            self.met_at, self.late_seconds = row.at, row.late_seconds
        elif kind == "DeadlineClosedUnmet":
            self.status, self.met_at = "closed_unmet", row.at
        elif kind == "DeadlineBreached":
            self.breached = True
        elif kind == "DeadlineBreachWithdrawn":
            self.breached = False
        elif kind == "DeadlineRescheduled":
            self.due = row.due
        elif kind == "HuisverbodExpiryWithdrawn":
            self.status, self.met_at, self.late_seconds = "open", None, None
        self.changes.append({"kind": kind, "case_version": row.case_version,
                             "recorded_at": row.recorded_at, "at": row.at})


def deadline_states(conn: sa.Connection, rules: Iterable[str],
                    case_condition: Sequence[Any] = (),
                    known_at: datetime | None = None,
                    touching: tuple[datetime, datetime] | None = None,
                    ) -> dict[str, DeadlineState]:
    """Every main deadline (no check-point) of ``rules``, as known at ``known_at``.

    Args:
        conn: A read-model connection.
        rules: Rule ids, e.g. ``("T1", "T3")``.
        case_condition: Extra conditions on ``rm_deadline_history.case_id`` (the selection).
        known_at: Fold only rows recorded at or before this instant (naive UTC; ``None``:
            every row, as known now). A deadline started after it is absent.
        touching: Only deadlines with a due instant (at a start or a reschedule) or a met
            or closed instant in ``start``..``end`` (naive UTC): those a period's figures
            can count, as known at any instant.
    """
    h = deadline_history
    q = sa.select(h).where(h.c.rule_id.in_(sorted(rules)), h.c.checkpoint.is_(None),
                           *case_condition)
    if known_at is not None:
        q = q.where(h.c.recorded_at <= known_at)
    if touching is not None:
        start, end = touching
        q = q.where(h.c.deadline_id.in_(sa.select(h.c.deadline_id).where(sa.or_(
            sa.and_(h.c.due >= start, h.c.due < end),
            sa.and_(h.c.kind.in_(("DeadlineMet", "DeadlineClosedUnmet")), h.c.at >= start,
                    h.c.at < end)))))
    states: dict[str, DeadlineState] = {}
    for row in conn.execute(q.order_by(h.c.position, h.c.deadline_id)):
        state = states.get(row.deadline_id)
        if state is None:
            if row.kind != "DeadlineStarted":
                continue
            state = states[row.deadline_id] = DeadlineState(row.deadline_id, row.case_id,
                                                            row.rule_id)
        state.fold(row)
    return states
