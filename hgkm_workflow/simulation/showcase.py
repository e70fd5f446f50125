"""A few cases of a simulation run worth reading (for ``hgkm demo``), found in the read models."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["interesting_cases"]


def interesting_cases(engine: sa.Engine, case_ids: Iterable[UUID],
                      limit: int) -> list[tuple[str, UUID]]:
    """Cases of this run with an extended huisverbod, a hermelding and an onderzoek.

    Args:
        engine: The store's engine (the read models).
        case_ids: The cases of the run (other runs on the same store are left out).
        limit: At most this many.

    Returns:
        ``(title, case id)`` pairs, each case at most once.
    """
    import sqlalchemy as sa

    from hgkm_workflow.projections.monitor_tables import huisverboden, meldingen
    from hgkm_workflow.projections.person_index import melding_classification as mc

    ours = {str(case_id): case_id for case_id in case_ids}
    queries = [
        ("a huisverbod, extended", sa.select(huisverboden.c.case_id)
         .where(huisverboden.c.extended_at.is_not(None))),
        ("a hermelding: the household was known at VT before", sa.select(mc.c.case_id)
         .where(mc.c.classification == "hermelding")),
        ("an onderzoek by Veilig Thuis", sa.select(meldingen.c.case_id)
         .where(meldingen.c.outcome == "onderzoek")),
    ]
    chosen: list[tuple[str, UUID]] = []
    with engine.connect() as conn:
        for title, query in queries:
            for (case_id,) in conn.execute(query):
                if case_id in ours and all(c != ours[case_id] for _, c in chosen):
                    chosen.append((title, ours[case_id]))
                    break
    return chosen[:limit]
