"""``audit verify`` with workers: both halves in one pool of worker processes.

The serial verify replays every aggregate, then rebuilds every read model into a scratch
SQLite store and compares it with the live one. The read-model half was the larger part once
the replay got cheap (:mod:`hgkm_workflow.audit.stream_replay`), and one process did it. Here
one pool of ``workers`` processes (``spawn``, each opening the store read-only as
:mod:`hgkm_workflow.audit.parallel_replay` describes) takes two kinds of task:

* a *group* of projections (:func:`hgkm_workflow.projections.parallel.plan_groups`: about
  equal rebuild cost; projections write disjoint tables) rebuilt with the public
  :meth:`ProjectionRunner.rebuild <hgkm_workflow.projections.ProjectionRunner.rebuild>` into a
  scratch SQLite file of the group's own (no writer waits for another), then each of the
  group's tables compared with the live table (:func:`~hgkm_workflow.audit.table_compare.
  compare_table`, the live engine made again from its configuration);
* a *range* of aggregate ids replayed and compared (:func:`~hgkm_workflow.audit.
  stream_replay.replay_range`).

The groups are submitted first (they are the longer tasks), then the ranges. Before that this
process catches the live read models up and fixes the position, as the serial verify does.
The report is the serial one: replay differences in notification-log order, then the live
catch-up's error if any, then either the first failed rebuild's error (no table compared, as
serially) or the tables' differences in the runner's projection and table order.
"""

from __future__ import annotations

import multiprocessing
import pickle
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.application import Application

from hgkm_workflow.audit.aggregate_check import Difference, VerifyReport
from hgkm_workflow.audit.parallel_replay import (
    ReplayStoreSpec,
    _open_worker_store,
    _replay_range,
    _worker,
    can_replay_in_workers,
)
from hgkm_workflow.audit.stream_replay import RangeResult, count_aggregates, id_ranges
from hgkm_workflow.audit.table_compare import compare_table, scratch_pragmas

if TYPE_CHECKING:
    from hgkm_workflow.adapters.store import StoreConfig
    from hgkm_workflow.projections import ProjectionRunner
    from hgkm_workflow.projections.base import Projection

__all__ = ["can_verify_in_workers", "verify_in_workers"]


@dataclass
class GroupResult:
    """One group's outcome: the rebuild's error, or per table its rows and differences."""

    error: str | None = None
    tables: dict[str, tuple[int | None, list[tuple[str, str, str]]]] = field(
        default_factory=dict)


def can_verify_in_workers(store: Application[UUID], live: sa.Engine,
                          runner: ProjectionRunner) -> bool:
    """Whether workers can open the store and the live read models and take the projections."""
    from hgkm_workflow.projections.engine import config_of

    if not can_replay_in_workers(store) or config_of(live) is None:
        return False
    try:
        pickle.dumps(list(runner.projections))
    except Exception:  # a projection holding a lock, a connection or a closure: serial
        return False
    return True


def verify_in_workers(store: Application[UUID], live: sa.Engine, runner: ProjectionRunner,
                      workers: int,
                      progress: Callable[[str, int, int], None] | None = None) -> VerifyReport:
    """Verify the store with ``workers`` processes (see the module); the serial report."""
    from hgkm_workflow.projections.engine import config_of
    from hgkm_workflow.projections.parallel import plan_groups

    def say(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    report = VerifyReport()
    total = count_aggregates(store)
    before: list[Difference] = []
    try:
        runner.catch_up()
    except Exception as exc:  # verify reports every failure, it never stops
        before.append(Difference("error", "read models (live catch-up)",
                                 f"{type(exc).__name__}: {exc}"))
    report.position = min((runner.position(p.name) for p in runner.projections), default=0)
    groups = plan_groups(list(runner.projections), workers)
    folder = Path(tempfile.mkdtemp(prefix="hgkm-verify-"))
    report.scratch = str(folder / "scratch-0.db")
    live_config = config_of(live)
    if live_config is None:  # pragma: no cover - can_verify_in_workers said it is known
        raise ValueError("the live read models' engine cannot be made in a worker")
    found: list[tuple[int, str, str, str]] = []
    outcomes: list[GroupResult] = []
    context = multiprocessing.get_context("spawn")  # no inherited connections or threads
    try:
        with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=context,
                                 initializer=_open_worker_store,
                                 initargs=(ReplayStoreSpec.of(store),)) as pool:
            models = [pool.submit(_group_task, g, str(folder / f"scratch-{i}.db"), live_config)
                      for i, g in enumerate(groups)]
            say("read models", 0, report.position)
            ranges: list[Future[RangeResult]] = [pool.submit(_replay_range, b)
                                                 for b in id_ranges()]
            done = 0
            for future in as_completed(ranges):
                part = future.result()
                report.aggregates += part.aggregates
                report.events += part.events
                found.extend(part.differences)
                done += part.visited
                say("replay", done, total)
            outcomes = [m.result() for m in models]
            say("read models", report.position, report.position)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    found.sort(key=lambda d: d[0])  # stable: a case's differences keep their order
    report.differences.extend(Difference(k, w, d) for _, k, w, d in found)
    report.differences.extend(before)
    failed = next((o.error for o in outcomes if o.error is not None), None)
    if failed is not None:
        report.differences.append(Difference("error", "read models (rebuild)", failed))
        return report
    compared = {name: result for o in outcomes for name, result in o.tables.items()}
    for projection in runner.projections:
        for table in projection.tables():
            rows, differences = compared[table.name]
            if rows is not None:
                report.tables[table.name] = rows
            report.differences.extend(Difference(*d) for d in differences)
    return report


# ---------------------------------------------------------------------- in the workers


def _group_task(group: list[Projection], scratch: str,
                live_config: StoreConfig) -> GroupResult:
    """Rebuild ``group`` into the scratch file ``scratch``; compare its tables with live."""
    from hgkm_workflow.adapters.store import parse_store_url
    from hgkm_workflow.projections import ProjectionRunner, make_engine

    store = _worker.get("store")
    if store is None:  # pragma: no cover - the initializer always ran
        raise RuntimeError("the verify worker has no store")
    engine = make_engine(parse_store_url(f"sqlite:///{scratch}"))
    sa.event.listen(engine, "connect", scratch_pragmas)
    live = None
    try:
        try:
            ProjectionRunner(store, engine, group).rebuild()
        except Exception as exc:  # an event no read model can take: reported, not raised
            return GroupResult(error=f"{type(exc).__name__}: {exc}")
        live = make_engine(live_config)
        result = GroupResult()
        for projection in group:
            for table in projection.tables():
                part = VerifyReport()
                compare_table(live, engine, table, part)
                result.tables[table.name] = (part.tables.get(table.name), [
                    (d.kind, d.where, d.detail) for d in part.differences])
        return result
    finally:
        engine.dispose()
        if live is not None:
            live.dispose()

