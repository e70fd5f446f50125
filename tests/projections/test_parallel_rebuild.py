"""A parallel rebuild (``rebuild(workers=N)``) gives the serial rebuild's rows, on both backends.

Workers are spawn processes with their own reader of the log and their own connections; a
failed worker leaves its projections at the position of their last committed batch (behind,
so marked by their lag) and the others complete; a catch-up then completes it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import ClassVar

import pytest
import sqlalchemy as sa

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.projections import Projection, ProjectionRunner
from hgkm_workflow.projections.cases import CaseIndexProjection
from hgkm_workflow.projections.parallel import ParallelRebuildError, can_ship, plan_groups
from hgkm_workflow.projections.person_fold import PersonIndexProjection
from hgkm_workflow.projections.registry import default_projections
from tests.projections.test_projection_rebuild import Rows, busy_history, rm_rows


class FailingCaseIndex(CaseIndexProjection):
    """The case index, failing in a worker once it reaches ``fail_beyond`` (an instance
    attribute, so a spawn worker gets it with the pickled projection)."""

    name: ClassVar[str] = "case_index"

    def __init__(self, fail_beyond: int | None) -> None:
        self.fail_beyond = fail_beyond

    def apply_batch(self, conn: sa.Connection, events: Sequence[tuple[object, int]]) -> None:
        if self.fail_beyond is not None and events and events[-1][1] > self.fail_beyond:
            raise RuntimeError("simulated worker failure")
        super().apply_batch(conn, events)


class FailingPersonIndex(PersonIndexProjection):
    """The person index, failing once it reaches ``fail_beyond`` (the first group: it runs
    in the coordinating process)."""

    def __init__(self, fail_beyond: int | None) -> None:
        super().__init__()
        self.fail_beyond = fail_beyond

    def apply_batch(self, conn: sa.Connection, events: Sequence[tuple[object, int]]) -> None:
        if self.fail_beyond is not None and events and events[-1][1] > self.fail_beyond:
            raise RuntimeError("simulated worker failure")
        super().apply_batch(conn, events)


def _failing(name: str, fail_beyond: int | None) -> Projection:
    if name == "case_index":
        return FailingCaseIndex(fail_beyond)
    return FailingPersonIndex(fail_beyond)


@pytest.fixture
def history(app: HgkmApplication, clock: SettableClock) -> tuple[HgkmApplication, Rows]:
    busy_history(app, clock)
    app.projections.rebuild()
    return app, rm_rows(app)


def test_plan_groups_balances_by_weight_and_keeps_the_runner_order() -> None:
    projections = default_projections()
    names = [p.name for p in projections]
    for workers in (1, 2, 3, 10):
        groups = plan_groups(projections, workers)
        assert len(groups) == min(workers, len(projections))
        assert sorted(p.name for g in groups for p in g) == sorted(names)  # each exactly once
        for group in groups:
            assert [p.name for p in group] == [n for n in names if n in {p.name for p in group}]
        weights = [sum(p.rebuild_weight for p in g) for g in groups]
        assert max(weights) - min(weights) <= max(p.rebuild_weight for p in projections)
    two = plan_groups(projections, 2)
    person = next(g for g in two if "person_index" in {p.name for p in g})
    assert {p.name for p in person} <= {"person_index", "deadline_history"}  # weight 3 of 7


@pytest.mark.parametrize("workers", [2, 3])
def test_a_parallel_rebuild_equals_the_serial_rebuild(
    history: tuple[HgkmApplication, Rows], workers: int
) -> None:
    app, serial = history
    assert all(serial[t] for t in ("rm_cases", "rm_deadlines", "rm_melding_classification"))
    seen: list[tuple[int, int]] = []
    app.projections.parallel_on_sqlite = True  # one writer: serial unless asked (measured)
    count = app.projections.rebuild(progress=lambda d, t: seen.append((d, t)), workers=workers)
    top = app.recorder.max_notification_id() or 0
    assert count == top
    assert seen[0] == (0, top) and seen[-1] == (top, top)
    assert rm_rows(app) == serial
    assert all(app.projections.position(p.name) == top for p in app.projections.projections)
    assert app.projections.lag() == 0


def test_events_after_the_start_are_caught_up_by_the_coordinator(
    history: tuple[HgkmApplication, Rows], clock: SettableClock
) -> None:
    app, _ = history
    busy_history(app, clock)  # more events; the workers stop at the maximum of the start
    app.projections.rebuild()
    serial = rm_rows(app)
    runner = ProjectionRunner(app, app.engine, default_projections(), rebuild_batch_size=7)
    runner.parallel_on_sqlite = True
    runner.rebuild(workers=2)
    assert rm_rows(app) == serial


@pytest.mark.parametrize("failing", ["case_index", "person_index"])  # a spawn worker; this process
def test_a_failed_worker_leaves_its_projection_behind_and_marked_the_others_complete(
    history: tuple[HgkmApplication, Rows], failing: str
) -> None:
    app, serial = history
    top = app.recorder.max_notification_id() or 0
    fail_beyond = top // 2
    projections = [_failing(p.name, fail_beyond) if p.name == failing else p
                   for p in default_projections()]
    runner = ProjectionRunner(app, app.engine, projections, rebuild_batch_size=5)
    runner.parallel_on_sqlite = True
    groups = plan_groups(runner.projections, 2)
    failing_group = next(g for g in groups if failing in {p.name for p in g})
    assert (failing_group is groups[0]) == (failing == "person_index")
    behind_names = {p.name for p in failing_group}
    assert behind_names != {p.name for p in runner.projections}  # another group exists
    with pytest.raises(ParallelRebuildError) as raised:
        runner.rebuild(workers=2)
    message = str(raised.value)
    assert all(n in message for n in behind_names) and "RuntimeError" in message
    assert all(p.name not in message for g in groups if g is not failing_group for p in g)
    assert raised.value.code == "PROJECTION_ERROR"
    behind = runner.position(failing)
    # its last committed batch: not zero, and before the batch it failed in (batches of 5)
    assert 0 < behind < fail_beyond + 5 < top
    assert runner.lag() == top - behind
    status = {s.name: s for s in runner.status()}
    for projection in runner.projections:  # the failed group is behind, together
        expected_position = behind if projection.name in behind_names else top
        assert status[projection.name].position == expected_position, projection.name
    rows = rm_rows(app)
    complete = {t.name for p in runner.projections if p.name not in behind_names
                for t in p.tables()}
    assert complete
    for table in complete:  # the other groups completed
        assert rows[table] == serial[table], table
    if failing == "case_index":
        with app.engine.connect() as conn:  # what it holds is a consistent prefix
            query = sa.text("SELECT case_id, version FROM rm_cases")
            versions: dict[str, int] = {r[0]: r[1] for r in conn.execute(query)}
        full = {r[0]: r[7] for r in serial["rm_cases"]}
        assert versions and set(versions) <= set(full)
        assert all(versions[c] <= full[c] for c in versions)
    fixed = ProjectionRunner(app, app.engine, [_failing(p.name, None) if p.name == failing
                                               else p for p in default_projections()])
    fixed.catch_up()  # continues from its position
    assert rm_rows(app) == serial


def test_the_cli_rebuilds_with_workers(
    history: tuple[HgkmApplication, Rows], store_url: str
) -> None:
    from typer.testing import CliRunner

    from hgkm_workflow.cli import app as cli

    app, serial = history
    with app.engine.begin() as conn:  # spoil a row: the rebuild must restore it
        conn.execute(sa.text("UPDATE rm_cases SET phase = 'spoiled'"))
    result = CliRunner().invoke(cli, ["projections", "rebuild", "--db", store_url,
                                      "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert f"applied {app.recorder.max_notification_id()} events" in result.output
    assert rm_rows(app) == serial
    refused = CliRunner().invoke(cli, ["projections", "rebuild", "--db", store_url,
                                       "--workers", "0"])
    assert refused.exit_code != 0


def test_on_sqlite_workers_fall_back_to_the_serial_rebuild_unless_asked(
    history: tuple[HgkmApplication, Rows], store_url: str
) -> None:
    app, _ = history
    if not store_url.startswith("sqlite"):
        pytest.skip("the fallback is SQLite's")
    projections = [FailingCaseIndex(1) if p.name == "case_index" else p
                   for p in default_projections()]
    runner = ProjectionRunner(app, app.engine, projections)
    with pytest.raises(RuntimeError, match="simulated"):  # serial: the error itself, here
        runner.rebuild(workers=2)
    runner.parallel_on_sqlite = True
    with pytest.raises(ParallelRebuildError):
        runner.rebuild(workers=2)


class LockedCaseIndex(CaseIndexProjection):
    """The case index holding a lock: it cannot be sent to a spawn worker."""

    def __init__(self) -> None:
        self.lock = threading.Lock()


def test_projections_that_do_not_pickle_are_rebuilt_serially(
    history: tuple[HgkmApplication, Rows],
) -> None:
    app, serial = history
    projections = [LockedCaseIndex() if p.name == "case_index" else p
                   for p in default_projections()]
    assert not can_ship(plan_groups(projections, 2))
    assert can_ship(plan_groups(default_projections(), 2))
    runner = ProjectionRunner(app, app.engine, projections)
    runner.parallel_on_sqlite = True
    assert runner.rebuild(workers=2) == app.recorder.max_notification_id()
    assert rm_rows(app) == serial
