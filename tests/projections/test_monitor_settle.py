"""The monitor's counts are derived once after a rebuild (``settle``) and moved live after.

A rebuild folds the fact rows alone; ``settle`` derives every count from them and marks them
valid. The counts after a rebuild equal those the live fold moved; a rebuild killed after
some batches leaves them not valid (the monitor recomputes, with the same figures) until a
later catch-up settles them, again to the same counts. On SQLite and PostgreSQL (the
``app`` fixture).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.monitor.counted import recomputing
from hgkm_workflow.monitor.report import monitor_report
from hgkm_workflow.projections import ProjectionRunner
from hgkm_workflow.projections.monitor_settle import counts_valid
from hgkm_workflow.projections.registry import default_projections
from tests.projections.test_projection_rebuild import busy_history
from tests.support import Household

_COUNTS = "SELECT metric, res, b1, region, gemeente, b2, dim, n, total_us FROM rm_monitor_counts"


class Interrupted(Exception):
    """Raised from the progress callback: the rebuild dies after some committed batches."""


def counts(app: HgkmApplication) -> list[tuple[Any, ...]]:
    """The maintained counts and the open months of the ended stays."""
    with app.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.text(_COUNTS))) + sorted(
            tuple(r) for r in conn.execute(sa.text(
                "SELECT month, stay_id, case_id FROM rm_monitor_open_months")))


def valid(app: HgkmApplication) -> bool:
    with app.engine.connect() as conn:
        return counts_valid(conn)


def report(app: HgkmApplication, period: str) -> dict[str, Any]:
    return monitor_report(app.engine, period=period).as_dict()


@pytest.fixture
def live(app: HgkmApplication, clock: SettableClock) -> HgkmApplication:
    """A busy history folded live, catch-up after catch-up."""
    busy_history(app, clock)
    app.catch_up()
    return app


def _period(app: HgkmApplication) -> str:
    with app.engine.connect() as conn:
        first = conn.execute(sa.text("SELECT min(received_at) FROM rm_meldingen")).scalar()
    return str(first)[:4]


def test_live_counts_are_valid_and_a_rebuild_derives_the_same(live: HgkmApplication) -> None:
    moved = counts(live)
    assert valid(live) and len(moved) > 50
    period = _period(live)
    before = report(live, period)
    assert before["figures_from"] == "counts"
    live.projections.rebuild(["monitor_facts"])
    assert valid(live)
    assert counts(live) == moved
    assert report(live, period) == before


def test_a_rebuild_moves_no_counts_until_it_settles(live: HgkmApplication) -> None:
    """Batch by batch the rebuild writes fact rows only; the counts appear at the settle."""
    seen: list[tuple[bool, int]] = []
    runner = ProjectionRunner(live, live.engine, default_projections(), batch_size=25)

    def progress(done: int, total: int) -> None:
        if done:
            seen.append((valid(live), len(counts(live))))

    runner.rebuild(["monitor_facts"], progress)
    assert len(seen) > 3
    assert all(state == (False, 0) for state in seen)
    assert valid(live)


def test_an_interrupted_rebuild_recomputes_then_a_catch_up_settles(
    live: HgkmApplication, clock: SettableClock
) -> None:
    moved = counts(live)
    period = _period(live)
    before = report(live, period)
    runner = ProjectionRunner(live, live.engine, default_projections(), batch_size=20)
    batches = 0

    def progress(done: int, total: int) -> None:
        nonlocal batches
        batches += 1 if done else 0
        if batches == 4:
            raise Interrupted

    with pytest.raises(Interrupted):
        runner.rebuild(progress=progress)
    assert not valid(live)
    # Not valid: the monitor recomputes, from the rows folded so far, and says so.
    partial = report(live, period)
    assert partial["figures_from"] == "recomputed"
    with recomputing():
        assert report(live, period) == partial
    # The catch-up folds the rest (without counts) and settles once: the live counts.
    assert runner.catch_up() > 0
    assert valid(live)
    assert counts(live) == moved
    assert report(live, period) == before
    # After settling, the live fold moves counts again.
    Household(live, clock).melding()
    clock.advance(timedelta(hours=1))
    live.catch_up()
    after = counts(live)
    assert after != moved
    runner.rebuild(["monitor_facts"])
    assert counts(live) == after
