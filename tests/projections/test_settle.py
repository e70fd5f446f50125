"""``Projection.settle``: deferred work finished after a rebuild and after a catch-up that
applied events, in a transaction of its own, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import pytest
import sqlalchemy as sa

from hgkm_workflow.projections import Projection
from tests.projections import test_projection_runner as runner_tests
from tests.projections.test_projection_runner import CountsProjection, Harness

store = runner_tests.store  # the runner tests' fixtures: a fresh store on each backend
harness = runner_tests.harness


class TotalledCounts(CountsProjection):
    """The counts, plus one derived total that only :meth:`settle` writes."""

    name = "test_totalled"
    metadata = sa.MetaData()
    table: ClassVar[sa.Table] = sa.Table(
        "rm_test_totalled",
        metadata,
        sa.Column("aggregate_id", sa.String(36), primary_key=True),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("last_position", sa.BigInteger, nullable=False),
    )
    total: ClassVar[sa.Table] = sa.Table(
        "rm_test_total", metadata, sa.Column("events", sa.Integer, nullable=False)
    )

    def __init__(self, fail: bool = False) -> None:
        self.settled = 0
        self.fail = fail

    def apply_batch(self, conn: sa.Connection, events: Sequence[tuple[object, int]]) -> None:
        for ev, position in events:
            self._count(conn, ev, position)

    def settle(self, conn: sa.Connection) -> None:
        self.settled += 1
        conn.execute(sa.delete(self.total))
        conn.execute(sa.insert(self.total).from_select(
            ["events"], sa.select(sa.func.coalesce(sa.func.sum(self.table.c.events), 0))))
        if self.fail:
            raise RuntimeError("settle failed")


@pytest.fixture
def h(harness: Harness) -> Harness:
    """A fresh store's harness."""
    return harness


def _total(h: Harness) -> list[int]:
    with h.engine.connect() as conn:
        return [row.events for row in conn.execute(sa.select(TotalledCounts.total))]


def _counted(h: Harness) -> int:
    with h.engine.connect() as conn:
        value = conn.execute(sa.select(sa.func.sum(TotalledCounts.table.c.events))).scalar()
    return int(value or 0)


def test_only_overriding_projections_settle() -> None:
    assert TotalledCounts.settles()
    assert not CountsProjection.settles()
    assert not Projection.settles()


def test_rebuild_settles_once_after_every_batch(h: Harness) -> None:
    h.write(40)
    projection = TotalledCounts()
    runner = h.runner(projection, batch_size=7)
    runner.rebuild()
    assert projection.settled == 1
    assert _total(h) == [40] == [_counted(h)]


def test_catch_up_settles_only_when_it_applied_events(h: Harness) -> None:
    h.write(10)
    projection = TotalledCounts()
    runner = h.runner(projection, batch_size=3)
    assert runner.catch_up() == 10
    assert projection.settled == 1 and _total(h) == [10]
    assert runner.catch_up() == 0
    assert projection.settled == 1  # nothing applied: no settling transaction
    h.write(5)
    assert runner.catch_up() == 5
    assert projection.settled == 2 and _total(h) == [15]


def test_a_failed_settle_rolls_back_alone_and_the_next_catch_up_settles(
    h: Harness,
) -> None:
    h.write(12)
    failing = TotalledCounts(fail=True)
    with pytest.raises(RuntimeError, match="settle failed"):
        h.runner(failing).rebuild()
    # The batches were committed; the settling transaction was not.
    assert _counted(h) == 12
    assert _total(h) == []
    assert h.runner(failing).position("test_totalled") == h.max_id()
    h.write(3)
    healthy = TotalledCounts()
    assert h.runner(healthy).catch_up() == 3
    assert _total(h) == [15]
