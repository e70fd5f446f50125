"""The ordered, ranged replay of ``audit verify`` (hgkm_workflow.audit.stream_replay).

The loads it skips (repository, snapshot) are made wherever they can differ from the replay:
a stored snapshot, an entry in the repository's cache. These tests damage exactly those and
check that verify still finds it, serially and in workers, with the same report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.application import LRUCache
from hypothesis import given
from hypothesis import strategies as st

from hgkm_workflow import HgkmApplication, SettableClock
from hgkm_workflow.audit.stream_replay import count_aggregates, id_ranges
from hgkm_workflow.audit.verification import verify
from tests.support import READ, Household


@given(st.uuids(), st.integers(min_value=1, max_value=256))
def test_every_id_lies_in_exactly_one_range(aggregate_id: UUID, parts: int) -> None:
    ranges = id_ranges(parts)
    assert len(ranges) == parts
    inside = [(lo, hi) for lo, hi in ranges
              if (lo is None or aggregate_id >= lo) and (hi is None or aggregate_id < hi)]
    assert len(inside) == 1
    # as the stores compare them: PostgreSQL by the 16 bytes, SQLite by the lowercase hex
    cuts = [hi for _, hi in ranges[:-1]]
    assert [c.bytes for c in cuts if c] == sorted(c.bytes for c in cuts if c)
    assert [c.hex for c in cuts if c] == sorted(c.hex for c in cuts if c)


def _damage_snapshot(app: HgkmApplication, case_id: UUID) -> None:
    with app.engine.begin() as conn:
        table = next(t for t in sa.inspect(conn).get_table_names() if "snapshot" in t)
        postgres = conn.dialect.name == "postgresql"
        ident = "CAST(:id AS uuid)" if postgres else ":id"
        changed = conn.execute(sa.text(
            f"UPDATE {table} SET state = :bad WHERE originator_id = {ident}"),
            {"bad": b"\x00 not a snapshot", "id": str(case_id) if postgres else case_id.hex})
        assert changed.rowcount >= 1


def test_a_damaged_snapshot_is_found_serially_and_in_workers(
        make_app: Callable[..., HgkmApplication], store_url: str,
        clock: SettableClock) -> None:
    app = make_app(store_url, snapshot_interval=5)
    households = [Household(app, clock) for _ in range(4)]
    for h in households:
        h.to_waakvlam()
    assert verify(app, access=READ).ok and verify(app, access=READ, workers=2).ok
    damaged = households[2].case_id
    assert damaged is not None
    _damage_snapshot(app, damaged)
    serial = verify(app, access=READ)
    parallel = verify(app, access=READ, workers=2)
    assert [(d.kind, d.where) for d in serial.differences] == [("error", str(damaged))]
    assert [d.as_dict() for d in parallel.differences] == [d.as_dict() for d in serial.differences]
    # the replay itself succeeded: the case and its events are counted
    assert serial.aggregates == parallel.aggregates == count_aggregates(app) == 4


def test_a_cached_case_that_differs_from_its_events_is_found(
        make_app: Callable[..., HgkmApplication], sqlite_url: str,
        clock: SettableClock) -> None:
    app = make_app(sqlite_url, snapshot_interval=0)
    households = [Household(app, clock) for _ in range(3)]
    for h in households:
        h.to_directe_veiligheid()
    case_id = households[1].case_id
    assert case_id is not None
    app.repository.cache = LRUCache(maxsize=10)
    app.repository.get(case_id)  # now in the cache
    assert verify(app, access=READ).ok
    cast(Any, app.repository.cache.get(case_id)).phase = "herstel"  # not what its events say
    report = verify(app, access=READ)
    assert [(d.kind, d.where) for d in report.differences] == [("case_state", str(case_id))]
    assert "phase: replay 'directe_veiligheid' != loaded 'herstel'" in report.differences[0].detail
