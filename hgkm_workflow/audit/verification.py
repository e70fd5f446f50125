"""Verification of a store: replay every aggregate, rebuild every read model, compare.

Part of the audit API (:func:`hgkm_workflow.audit.verification` re-exports :func:`verify`).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.application import Application

from hgkm_workflow.audit.aggregate_check import Difference, VerifyReport, verify_aggregate
from hgkm_workflow.audit.parallel_replay import can_replay_in_workers, replay_in_workers

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

    1. Every aggregate in the notification log is replayed from its events alone (no
       snapshot, no cache) and compared with the state the repository loads (snapshot
       included) and with a snapshot-based load up to the same version.
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
        workers: Processes for the replay (step 1); 1 replays in this process. An in-memory
            SQLite store is always replayed here (no other process can open it). The report is
            the same whatever the number (:mod:`hgkm_workflow.audit.parallel_replay`).

    Returns:
        The report; ``report.ok`` is True when nothing differs.
    """
    report = VerifyReport()
    ids = _aggregate_ids(store)
    total = len(ids)
    if workers > 1 and total > 1 and can_replay_in_workers(store):
        def step(done: int, total: int) -> None:
            if progress is not None:
                progress("replay", done, total)

        totals = replay_in_workers(store, ids, workers, step)
        report.aggregates, report.events = totals.aggregates, totals.events
        report.differences.extend(Difference(*d) for d in totals.differences)
    else:
        for done, aggregate_id in enumerate(ids, start=1):
            verify_aggregate(store, aggregate_id, report)
            if progress is not None:
                progress("replay", done, total)
    _verify_read_models(store, engine, runner, report, progress)
    return report


def _aggregate_ids(app: Application[UUID]) -> list[UUID]:
    seen: dict[UUID, None] = {}
    start = 0
    while True:
        batch = app.recorder.select_notifications(start=start, limit=1000,
                                                  inclusive_of_start=False)
        if not batch:
            return list(seen)
        for n in batch:
            seen.setdefault(UUID(str(n.originator_id)), None)
        start = batch[-1].id


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
                _compare_table(live, engine, table, report)
    finally:
        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def _compare_table(live: sa.Engine, scratch: sa.Engine, table: sa.Table,
                   report: VerifyReport) -> None:
    try:
        with live.connect() as conn:
            live_rows = _rows(conn, table)
    except sa.exc.SQLAlchemyError:
        report.differences.append(Difference("table_missing", table.name,
                                             "the table cannot be read in the live store"))
        return
    with scratch.connect() as conn:
        rebuilt = _rows(conn, table)
    report.tables[table.name] = len(rebuilt)
    for key in sorted(set(live_rows) | set(rebuilt), key=repr):
        where = f"{table.name}[{', '.join(str(k) for k in key)}]"
        if key not in live_rows:
            report.differences.append(Difference("row_missing", where,
                                                 "in the rebuild but not in the live view"))
        elif key not in rebuilt:
            report.differences.append(Difference("row_extra", where,
                                                 "in the live view but not in the rebuild"))
        elif live_rows[key] != rebuilt[key]:
            cols = [f"{c}: live {live_rows[key].get(c)!r} != rebuilt {rebuilt[key].get(c)!r}"
                    for c in sorted(set(live_rows[key]) | set(rebuilt[key]))
                    if live_rows[key].get(c) != rebuilt[key].get(c)]
            report.differences.append(Difference("row_differs", where, "; ".join(cols)))


def _rows(conn: sa.Connection, table: sa.Table) -> dict[tuple[Any, ...], dict[str, Any]]:
    pk = [c.name for c in table.primary_key.columns]
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    counts: dict[tuple[Any, ...], int] = {}
    for row in conn.execute(sa.select(table)):
        values = {k: _normal(v) for k, v in row._mapping.items()}
        if pk:
            key = tuple(values[c] for c in pk)
        else:  # no primary key: compare as a multiset of rows
            base = tuple(sorted((k, repr(v)) for k, v in values.items()))
            counts[base] = counts.get(base, 0) + 1
            key = (*base, counts[base])
        out[key] = values
    return out


def _normal(value: Any) -> Any:
    if isinstance(value, datetime):
        from hgkm_workflow.projections._util import aware_utc

        return aware_utc(value).isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value
