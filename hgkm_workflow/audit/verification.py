"""Verification of a store: replay every aggregate, rebuild every read model, compare.

Part of the audit API (:func:`hgkm_workflow.audit.verification` re-exports :func:`verify`).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.application import Application

if TYPE_CHECKING:
    from hgkm_workflow.access.models import Access
    from hgkm_workflow.projections import ProjectionRunner

__all__ = ["Difference", "Verifies", "VerifyProgress", "VerifyReport", "run_verify", "verify"]

VerifyProgress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; stages ``"replay"`` and ``"read models"``."""


@dataclass(frozen=True)
class Difference:
    """One thing that differs between the live store and a replay.

    Attributes:
        kind: ``case_state`` (replay differs from the loaded state), ``snapshot`` (the
            snapshot-based load differs from the replay), ``row_missing`` / ``row_extra``
            (a read-model row only in the rebuild / only live), ``row_differs``,
            ``table_missing``, or ``error`` (an aggregate or event could not be read).
        where: The aggregate id, or ``table`` / ``table[primary key]``.
        detail: What differs: field names and values (pseudonymous ids and codes only).
    """

    kind: str
    where: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"kind": self.kind, "where": self.where, "detail": self.detail}


@dataclass
class VerifyReport:
    """The outcome of :func:`verify`.

    Attributes:
        aggregates: Aggregates replayed (cases and adviezen).
        events: Events replayed.
        position: The notification id up to which the read models were compared.
        tables: Rows compared per read-model table.
        differences: Everything that differs; empty when the store verifies.
        scratch: Where the read models were rebuilt (a temporary SQLite file, removed).
    """

    aggregates: int = 0
    events: int = 0
    position: int = 0
    tables: dict[str, int] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)
    scratch: str = ""

    @property
    def ok(self) -> bool:
        """True when nothing differs."""
        return not self.differences

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"ok": self.ok, "aggregates": self.aggregates, "events": self.events,
                "position": self.position, "tables": dict(self.tables),
                "differences": [d.as_dict() for d in self.differences],
                "scratch": self.scratch}


class Verifies(Protocol):
    """Anything that verifies its store access-checked (the application does)."""

    def verify(self, progress: VerifyProgress | None = None, *,
               access: Access | dict[str, Any]) -> VerifyReport:
        """Verify the store; a store-wide read decided by the access policy and logged."""


def verify(app: Verifies, progress: VerifyProgress | None = None, *,
           access: Access | dict[str, Any]) -> VerifyReport:
    """Verify the store (see :func:`run_verify`); a store-wide read: auditors only, logged."""
    return app.verify(progress, access=access)


def run_verify(store: Application[UUID], engine: sa.Engine, runner: ProjectionRunner,
               progress: VerifyProgress | None = None) -> VerifyReport:
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

    Returns:
        The report; ``report.ok`` is True when nothing differs.
    """
    report = VerifyReport()
    ids = _aggregate_ids(store)
    total = len(ids)
    for done, aggregate_id in enumerate(ids, start=1):
        _verify_aggregate(store, aggregate_id, report)
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


def _public_state(aggregate: Any) -> dict[str, Any]:
    if hasattr(aggregate, "state_dict"):
        return dict(aggregate.state_dict())
    state = {k: v for k, v in vars(aggregate).items() if not k.startswith("_")}
    state["id"] = str(aggregate.id)
    state["version"] = aggregate.version
    return state


def _verify_aggregate(app: Application[UUID], aggregate_id: UUID, report: VerifyReport) -> None:
    from hgkm_workflow.adapters.loading import project_events

    where = str(aggregate_id)
    try:
        events = list(app.events.get(aggregate_id))
        replayed = project_events(None, events)
        report.aggregates += 1
        report.events += len(events)
        if replayed is None:
            report.differences.append(Difference("error", where, "no events"))
            return
        expected = _public_state(replayed)
        loaded = app.repository.get(aggregate_id)
        from_snapshot = app.repository.get(aggregate_id, version=replayed.version,
                                           projector_func=project_events)
    except Exception as exc:  # verify reports every failure, it never stops
        report.differences.append(Difference("error", where, f"{type(exc).__name__}: {exc}"))
        return
    for kind, other in (("case_state", loaded), ("snapshot", from_snapshot)):
        diff = _dict_diff(expected, _public_state(other))
        if diff:
            report.differences.append(Difference(kind, where, diff))


def _dict_diff(expected: dict[str, Any], actual: dict[str, Any]) -> str:
    from hgkm_workflow.audit.json_form import jsonable as _jsonable

    parts = []
    for key in sorted(set(expected) | set(actual)):
        a, b = _jsonable(expected.get(key)), _jsonable(actual.get(key))
        if a != b:
            parts.append(f"{key}: replay {a!r} != loaded {b!r}")
    return "; ".join(parts)


def _verify_read_models(store: Application[UUID], live: sa.Engine, runner: ProjectionRunner,
                        report: VerifyReport, progress: VerifyProgress | None) -> None:
    from hgkm_workflow.adapters.store import parse_store_url
    from hgkm_workflow.projections import ProjectionRunner, make_engine

    runner.catch_up()
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

        scratch.rebuild(progress=step)
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
