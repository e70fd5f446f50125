"""Queries on the case index (``rm_cases``) and the household membership it links to.

The application's case list, the cases a person belongs to, and the activity a retention
period runs from — SQL beside the tables it reads, not in the application.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa

from hgkm_workflow.projections._util import aware_utc
from hgkm_workflow.projections.cases import cases
from hgkm_workflow.projections.person_index import household_members

__all__ = ["CaseSummary", "case_activity_of_person", "cases_of_person", "list_cases"]


@dataclass(frozen=True)
class CaseSummary:
    """A row of the case list."""

    case_id: UUID
    region: str
    gemeente: str
    phase: str
    opened_at: datetime
    phase_entered_at: datetime
    version: int
    meldingen: int
    loop_backs: int
    mda: str


def list_cases(engine: sa.Engine, *, regions: Collection[str] | None = None,
               phase: str | None = None, limit: int = 100, offset: int = 0
               ) -> list[CaseSummary]:
    """Cases from the case index, newest first.

    Args:
        engine: The read-model engine.
        regions: Only cases of these regions (None: all).
        phase: Only cases in this phase (empty or None: any).
        limit: At most this many rows.
        offset: Skip this many rows first.
    """
    query = sa.select(cases).order_by(cases.c.opened_at.desc(), cases.c.case_id)
    if regions is not None:
        query = query.where(cases.c.region.in_(sorted(regions)))
    if phase:
        query = query.where(cases.c.phase == phase)
    with engine.connect() as conn:
        rows = conn.execute(query.limit(limit).offset(offset)).all()
    return [
        CaseSummary(case_id=UUID(r.case_id), region=r.region, gemeente=r.gemeente,
                    phase=r.phase, opened_at=aware_utc(r.opened_at),
                    phase_entered_at=aware_utc(r.phase_entered_at), version=r.version,
                    meldingen=r.meldingen, loop_backs=r.loop_backs, mda=r.mda)
        for r in rows
    ]


def cases_of_person(engine: sa.Engine, person_id: UUID) -> list[UUID]:
    """The household cases a person belongs to, oldest membership first (read model)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(household_members.c.case_id)
            .where(household_members.c.person_id == str(person_id))
            .order_by(household_members.c.since, household_members.c.case_id)).scalars()
        return [UUID(r) for r in rows]


def case_activity_of_person(engine: sa.Engine, person_id: UUID
                            ) -> list[tuple[str, datetime]]:
    """``(phase, last_event_at)`` of every case the person belongs to (instants aware UTC)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(cases.c.phase, cases.c.last_event_at)
            .join(household_members, household_members.c.case_id == cases.c.case_id)
            .where(household_members.c.person_id == str(person_id))).all()
    return [(row.phase, aware_utc(row.last_event_at)) for row in rows]
