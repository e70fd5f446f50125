"""A scenario's tick: record what is due on the scenario's own cases only.

The scheduler of a shared store would also act on other scenarios' cases; a scenario's tick acts
on its own households only, so results never depend on what else the store holds.

Note: this repeats the application's due query restricted to some cases and calls its private
``_tick_case``; it is to use the application's public due-deadlines query and a public
``tick(now, case_ids=…)`` once they exist (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from hgkm_workflow.application import HgkmApplication, TickRecord

__all__ = ["tick_cases"]


def tick_cases(app: HgkmApplication, case_ids: Iterable[UUID], at: datetime) -> list[TickRecord]:
    """Record the breaches and expiries due at ``at`` on the given cases, nothing else.

    Args:
        app: The application of the run.
        case_ids: The scenario's cases.
        at: The instant to tick at.

    Returns:
        What was recorded.
    """
    import sqlalchemy as sa

    from hgkm_workflow.projections._util import naive_utc
    from hgkm_workflow.projections.deadline_index import deadlines

    app.catch_up()
    ids = [str(cid) for cid in case_ids]
    with app.engine.connect() as conn:
        rows = conn.execute(
            sa.select(deadlines.c.case_id, deadlines.c.deadline_id)
            .where(deadlines.c.status == "open", deadlines.c.breached_at.is_(None),
                   deadlines.c.due <= naive_utc(at), deadlines.c.case_id.in_(ids))
            .order_by(deadlines.c.due, deadlines.c.deadline_id)).all()
    by_case: dict[str, list[str]] = {}
    for row in rows:
        by_case.setdefault(row.case_id, []).append(row.deadline_id)
    records: list[TickRecord] = []
    for case_id, deadline_ids in by_case.items():
        records.extend(app._tick_case(UUID(case_id), deadline_ids, at))
    app.catch_up()
    return records
