"""Queries on the deadline index (``rm_deadlines``): open deadlines, what is due, what moves.

The scheduler's due query lives here (:func:`due_deadlines`), so the application's tick and a
scenario's own tick (limited to its cases) ask the index the same question.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa

from hgkm_workflow.clock import as_utc
from hgkm_workflow.projections._util import aware_utc, naive_utc
from hgkm_workflow.projections.cases import cases
from hgkm_workflow.projections.deadline_index import deadlines

__all__ = ["OpenDeadline", "cases_off_calendar", "due_deadlines", "open_deadlines"]


@dataclass(frozen=True)
class OpenDeadline:
    """A row of the deadline index."""

    deadline_id: str
    case_id: UUID
    rule_id: str
    rule_name: str
    rule_type: str
    due: datetime
    breached: bool
    checkpoint: int | None


def due_deadlines(engine: sa.Engine, at: datetime,
                  case_ids: Collection[UUID] | None = None) -> dict[UUID, list[str]]:
    """Open deadlines due by ``at`` whose breach is not recorded yet, grouped by case.

    Args:
        engine: The read-model engine (catch it up first).
        at: An aware instant.
        case_ids: Only these cases (None: every case in the store).

    Returns:
        ``{case_id: [deadline_id, ...]}``: cases in the order of their first due deadline,
        each case's deadlines by due instant, then id.
    """
    query = (sa.select(deadlines.c.case_id, deadlines.c.deadline_id)
             .where(deadlines.c.status == "open", deadlines.c.breached_at.is_(None),
                    deadlines.c.due <= naive_utc(as_utc(at)))
             .order_by(deadlines.c.due, deadlines.c.deadline_id))
    if case_ids is not None:
        query = query.where(deadlines.c.case_id.in_(sorted(str(c) for c in case_ids)))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    by_case: dict[UUID, list[str]] = {}
    for row in rows:
        by_case.setdefault(UUID(row.case_id), []).append(row.deadline_id)
    return by_case


def cases_off_calendar(engine: sa.Engine, calendar_version: str) -> list[UUID]:
    """Cases with an open deadline computed on another calendar version than this one."""
    with engine.connect() as conn:
        return [UUID(r.case_id) for r in conn.execute(
            sa.select(deadlines.c.case_id).distinct()
            .where(deadlines.c.status == "open",
                   deadlines.c.calendar_version != calendar_version))]


def open_deadlines(engine: sa.Engine, *, at: datetime | None = None,
                   case_id: UUID | None = None,
                   regions: Collection[str] | None = None) -> list[OpenDeadline]:
    """Open deadlines by due instant.

    Args:
        engine: The read-model engine.
        at: Only those due by this instant.
        case_id: Only those of this case.
        regions: Only those of cases in these regions (None: all).
    """
    query = sa.select(deadlines).where(deadlines.c.status == "open").order_by(
        deadlines.c.due, deadlines.c.deadline_id)
    if at is not None:
        query = query.where(deadlines.c.due <= naive_utc(as_utc(at)))
    if case_id is not None:
        query = query.where(deadlines.c.case_id == str(case_id))
    if regions is not None:
        query = query.where(deadlines.c.case_id.in_(
            sa.select(cases.c.case_id).where(cases.c.region.in_(sorted(regions)))))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        OpenDeadline(deadline_id=r.deadline_id, case_id=UUID(r.case_id), rule_id=r.rule_id,
                     rule_name=r.rule_name, rule_type=r.rule_type, due=aware_utc(r.due),
                     breached=r.breached_at is not None, checkpoint=r.checkpoint)
        for r in rows
    ]
