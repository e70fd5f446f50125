"""Verification of a store: replay every aggregate, rebuild every read model, compare.

Part of the audit API (:func:`hgkm_workflow.audit.verification` re-exports :func:`verify`).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.application import Application

from hgkm_workflow.audit.aggregate_check import Difference, VerifyReport
from hgkm_workflow.audit.parallel_verify import can_verify_in_workers, verify_in_workers
from hgkm_workflow.audit.stream_replay import count_aggregates, id_ranges, replay_range
from hgkm_workflow.audit.table_compare import compare_table, scratch_pragmas

if TYPE_CHECKING:
    from hgkm_workflow.access.models import Access
    from hgkm_workflow.projections import ProjectionRunner

__all__ = ["Difference", "Verifies", "VerifyProgress", "VerifyReport", "run_verify", "verify"]

VerifyProgress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; stages ``"replay"`` and ``"read models"``."""


class Verifies(Protocol):
    """Anything that verifies its store access-checked (the application does)."""

    def verify(self, progress: VerifyProgress | None = None, *,
               access: Access | dict[str, Any], workers: int = 1) -> VerifyReport:
        """Verify the store; a store-wide read decided by the access policy and logged."""


def verify(app: Verifies, progress: VerifyProgress | None = None, *,
           access: Access | dict[str, Any], workers: int = 1) -> VerifyReport:
    """Verify the store (see :func:`run_verify`); a store-wide read: auditors only, logged."""
    return app.verify(progress, access=access, workers=workers)


def run_verify(store: Application[UUID], engine: sa.Engine, runner: ProjectionRunner,
               progress: VerifyProgress | None = None, *, workers: int = 1) -> VerifyReport:
    """Replay every aggregate and rebuild every read model into a scratch database; compare.

    1. Every aggregate in the events table is replayed from its events alone (no snapshot,
       no cache) and compared with the state the repository loads (snapshot, cache) and with
       a snapshot-based load up to the same version, where those can differ from the replay
       (:mod:`hgkm_workflow.audit.stream_replay`: ordered passes over ranges of ids).
    2. The read models kept by ``runner`` are caught up; then every one of its projections is
       rebuilt from the same notification log into a temporary SQLite database, up to the
       same position, and each ``rm_*`` table is compared row by row (instants as UTC,
       whatever the backend). The scratch database is removed afterwards.

    Run it on a quiet store: events written while it runs show up as differences.

    Args:
        store: The event store's application (SQLite or PostgreSQL).
        engine: The live read models' engine.
        runner: The projections that keep those read models (rebuilt in the scratch store).
        progress: Optional ``progress(stage, done, total)`` callback.
        workers: Processes; 1 does both steps in this process. With more, a pool of that
            many processes replays ranges of aggregates and rebuilds and compares groups of
            read models (:mod:`hgkm_workflow.audit.parallel_verify`). A store or engine no
            other process can open (in-memory SQLite, an engine the host made) is verified
            here, serially. The report is the same whatever the number.

    Returns:
        The report; ``report.ok`` is True when nothing differs.
    """
    if workers > 1 and can_verify_in_workers(store, engine, runner):
        return verify_in_workers(store, engine, runner, workers, progress)
    report = VerifyReport()
    total = count_aggregates(store)

    def step(stage: str, done: int, of: int) -> None:
        if progress is not None:
            progress(stage, done, of)

    found: list[tuple[int, str, str, str]] = []
    visited = 0
    for bound in id_ranges():
        def replayed(n: int, base: int = visited) -> None:
            step("replay", base + n, total)

        part = replay_range(store, bound, replayed)
        visited += part.visited
        report.aggregates += part.aggregates
        report.events += part.events
        found.extend(part.differences)
    found.sort(key=lambda d: d[0])
    report.differences.extend(Difference(kind, where, detail) for _, kind, where, detail in found)
    _verify_read_models(store, engine, runner, report, progress)
    return report


def _verify_read_models(store: Application[UUID], live: sa.Engine, runner: ProjectionRunner,
                        report: VerifyReport, progress: VerifyProgress | None) -> None:
    from hgkm_workflow.adapters.store import parse_store_url
    from hgkm_workflow.projections import ProjectionRunner, make_engine

    try:
        runner.catch_up()
    except Exception as exc:  # verify reports every failure, it never stops
        report.differences.append(Difference("error", "read models (live catch-up)",
                                             f"{type(exc).__name__}: {exc}"))
    position = min((runner.position(p.name) for p in runner.projections), default=0)
    report.position = position
    folder = Path(tempfile.mkdtemp(prefix="hgkm-verify-"))
    report.scratch = str(folder / "scratch.db")
    engine = make_engine(parse_store_url(f"sqlite:///{folder / 'scratch.db'}"))
    sa.event.listen(engine, "connect", scratch_pragmas)
    try:
        scratch = ProjectionRunner(store, engine, runner.projections)

        def step(done: int, total: int) -> None:
            if progress is not None:
                progress("read models", done, total)

        try:
            scratch.rebuild(progress=step)
        except Exception as exc:  # an event no read model can take: reported, not raised
            report.differences.append(Difference("error", "read models (rebuild)",
                                                 f"{type(exc).__name__}: {exc}"))
            return
        for projection in runner.projections:
            for table in projection.tables():
                compare_table(live, engine, table, report)
    finally:
        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


