"""Read model ``rm_deadlines``: every deadline keyed on its due instant.

This is the index the scheduler's ``tick(now)`` reads: it finds what is due with one indexed
range query and never loads every case. Instants are stored as naive UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import sqlalchemy as sa

from hgkm_workflow.projections._util import naive_utc
from hgkm_workflow.projections.base import Projection
from hgkm_workflow.projections.batch import TableBuffer, id_text, select_in

metadata = sa.MetaData()

deadlines = sa.Table(
    "rm_deadlines",
    metadata,
    sa.Column("deadline_id", sa.String(36), primary_key=True),
    sa.Column("case_id", sa.String(36), nullable=False),
    sa.Column("rule_id", sa.String(8), nullable=False),
    sa.Column("rule_name", sa.String(64), nullable=False),
    sa.Column("rule_type", sa.String(1), nullable=False),
    sa.Column("checkpoint", sa.Integer, nullable=True),
    sa.Column("subject_id", sa.String(36), nullable=False),
    sa.Column("start", sa.DateTime, nullable=False),
    sa.Column("due", sa.DateTime, nullable=False),
    sa.Column("calendar_version", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("breached_at", sa.DateTime, nullable=True),
    sa.Column("met_at", sa.DateTime, nullable=True),
    sa.Column("late_seconds", sa.Float, nullable=True),
    sa.Index("ix_rm_deadlines_pending", "status", "breached_at", "due"),
    sa.Index("ix_rm_deadlines_case", "case_id"),
)

_EVENTS = frozenset({"DeadlineStarted", "DeadlineMet", "DeadlineBreached",
                     "DeadlineClosedUnmet", "DeadlineRescheduled",
                     # corrections by a fact registered late (domain/late.py): a breach or an
                     # expiry the tick observed is withdrawn; the row follows business time
                     "DeadlineBreachWithdrawn", "HuisverbodExpiryWithdrawn"})


_load = select_in(deadlines, deadlines.c.deadline_id)


class DeadlineIndexProjection(Projection):
    """Keeps ``rm_deadlines`` up to date from the deadline events of every case."""

    name: ClassVar[str] = "deadline_index"
    version: ClassVar[int] = 1
    metadata: ClassVar[sa.MetaData] = metadata
    event_names: ClassVar[frozenset[str] | None] = _EVENTS

    def apply_batch(self, conn: sa.Connection, events: Sequence[tuple[object, int]]) -> None:
        """Fold a batch into the deadline rows it touches: one load, one insert, one update."""
        rows = TableBuffer(deadlines)
        started: set[str] = set()
        needed: set[str] = set()
        for event, _ in events:
            ev: Any = event
            if type(event).__name__ == "DeadlineStarted":
                started.add(ev.deadline["deadline_id"])
            else:  # one started in this batch is not stored yet
                needed.update(i for i in _deadline_ids(event) if i not in started)
        rows.load_in(conn, _load, needed)
        for event, _ in events:
            _fold(rows, event)
        rows.flush(conn)


def _deadline_ids(event: object) -> tuple[str, ...]:
    """The deadlines an event other than ``DeadlineStarted`` changes."""
    ev: Any = event
    if type(event).__name__ == "HuisverbodExpiryWithdrawn":
        return tuple(ev.reopened_deadlines)
    return (ev.deadline_id,)


def _fold(rows: TableBuffer, event: object) -> None:
    """Fold one deadline event into the buffered rows."""
    ev: Any = event
    kind = type(event).__name__
    if kind == "HuisverbodExpiryWithdrawn":  # the deadlines the expiry ended run again
        for deadline_id in ev.reopened_deadlines:
            reopened = rows.rows.get(deadline_id)
            if reopened is not None:
                reopened.update(status="open", met_at=None, late_seconds=None)
        return
    if kind == "DeadlineStarted":
        d = ev.deadline
        rows.insert({
            "deadline_id": d["deadline_id"], "case_id": id_text(ev.originator_id),
            "rule_id": d["rule_id"], "rule_name": d["rule_name"], "rule_type": d["rule_type"],
            "checkpoint": d["checkpoint"], "subject_id": d["subject_id"],
            "start": naive_utc(d["start"]), "due": naive_utc(d["due"]),
            "calendar_version": d["calendar_version"], "status": "open", "breached_at": None,
            "met_at": None, "late_seconds": None})
        return
    row = rows.rows.get(ev.deadline_id)
    if row is None:  # a deadline never started: nothing to change
        return
    if kind == "DeadlineMet":
        row["status"] = "met" if ev.late_seconds is None else "met_late"
        row["met_at"] = naive_utc(ev.at)
        row["late_seconds"] = ev.late_seconds
    elif kind == "DeadlineBreached":
        row["breached_at"] = naive_utc(ev.detected_at)
    elif kind == "DeadlineBreachWithdrawn":
        row["breached_at"] = None
    elif kind == "DeadlineClosedUnmet":
        row["status"] = "closed_unmet"
        row["met_at"] = naive_utc(ev.at)
    elif kind == "DeadlineRescheduled":
        row["due"] = naive_utc(ev.new_due)
        row["calendar_version"] = ev.calendar_version
