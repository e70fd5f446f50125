"""The replay half of ``audit verify`` in ordered passes over the stored events.

The earlier replay loaded every aggregate three times (its events alone, the repository with
its snapshot, a snapshot-based load up to the same version), each a ``select_events`` of its
own and a decode with eventsourcing's mapper: about 155 µs per event on one core. Here:

1. The aggregates' ids are split into :data:`RANGES` ranges of the id space (by the first
   byte of the UUID); each range is read in one query ordered by ``(originator_id,
   originator_version)`` (the events table's primary key, so an index scan), in batches of
   :data:`BATCH` rows, so the events of one aggregate arrive together and only one aggregate
   is held at a time (memory does not grow with the store).
2. Each aggregate's events are decoded with :func:`hgkm_workflow.adapters.fast_decode.
   event_decoder` (exactly the mapper's values) — all of them first, then projected with
   :func:`~hgkm_workflow.adapters.loading.project_events`, so a damaged event is reported
   before a broken mutation, as before.
3. The repository load and the snapshot load are made (as before, with the application's
   own repository) only where they can differ from the replay: for an aggregate with a stored
   snapshot, and for one the repository's cache holds. Without a snapshot and a cache entry
   both loads read the same rows of the same table and decode them with the same values
   (the mapper's), so they are the replay; nothing is left unchecked by not repeating them.

Ranges are independent, so :mod:`hgkm_workflow.audit.parallel_replay` hands them to worker
processes; the serial path runs them here. Differences carry the notification id of the
aggregate's first event, so the report orders them as the notification log does (the order in
which the earlier replay visited the aggregates), whatever the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent

__all__ = ["BATCH", "RANGES", "RangeResult", "count_aggregates", "id_ranges", "replay_range"]

RANGES = 64
"""Ranges of the id space (aggregate ids are random UUIDs: about equal shares)."""
BATCH = 5000
"""Rows fetched per round trip."""

Bound = tuple[UUID | None, UUID | None]
"""``[low, high)`` of aggregate ids; ``None``: open."""


@dataclass
class RangeResult:
    """What one range's replay found.

    Attributes:
        aggregates: Aggregates replayed (as before: not those whose replay failed).
        events: Their events.
        differences: ``(first notification id, kind, where, detail)`` per difference.
        visited: Aggregates met (replayed or not), for progress.
    """

    aggregates: int = 0
    events: int = 0
    differences: list[tuple[int, str, str, str]] = field(default_factory=list)
    visited: int = 0


def id_ranges(parts: int = RANGES) -> list[Bound]:
    """``parts`` consecutive ranges covering every UUID (``parts`` at most 256)."""
    parts = max(1, min(256, parts))
    cuts = [UUID(bytes=bytes([256 * k // parts]) + bytes(15)) for k in range(1, parts)]
    lows: list[UUID | None] = [None, *cuts]
    highs: list[UUID | None] = [*cuts, None]
    return list(zip(lows, highs, strict=True))


def _is_postgres(datastore: object) -> bool:
    return any(c.__module__.startswith("eventsourcing.postgres")
               for c in type(datastore).__mro__)


def _table(store: Application[UUID]) -> tuple[Any, str, str]:
    recorder: Any = store.recorder
    dialect = "postgresql" if _is_postgres(recorder.datastore) else "sqlite"
    return recorder, dialect, recorder.events_table_name


def count_aggregates(store: Application[UUID]) -> int:
    """How many aggregates have events (one index scan)."""
    recorder, dialect, table = _table(store)
    if dialect == "postgresql":
        from psycopg.sql import SQL, Identifier

        statement: Any = SQL("SELECT COUNT(DISTINCT originator_id) AS n FROM {}.{}").format(
            Identifier(recorder.datastore.schema), Identifier(table))
    else:
        statement = f"SELECT COUNT(DISTINCT originator_id) AS n FROM {table}"
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(statement)
        row = cursor.fetchone()
    return int(row["n"] if row is not None else 0)


def _sqlite_key(bound: UUID | None) -> str | None:
    return None if bound is None else bound.hex


def _rows(store: Application[UUID], bound: Bound) -> Iterator[tuple[UUID, int, str, bytes, int]]:
    """``(originator_id, version, topic, state, notification id)`` in key order."""
    recorder, dialect, table = _table(store)
    low, high = bound
    if dialect == "postgresql":
        yield from _pg_rows(recorder, table, low, high)
        return
    convert = recorder.convert_originator_id
    after: tuple[str, int] | None = None  # keyset pages: no read transaction held between
    while True:
        where: list[str] = []
        params: list[Any] = []
        for op, value in ((">=", _sqlite_key(low)), ("<", _sqlite_key(high))):
            if value is not None:
                where.append(f"originator_id {op} ?")
                params.append(value)
        if after is not None:
            where.append("(originator_id, originator_version) > (?, ?)")
            params.extend(after)
        statement = (f"SELECT originator_id, originator_version, topic, state, rowid AS nid "
                     f"FROM {table} {'WHERE ' + ' AND '.join(where) if where else ''} "
                     f"ORDER BY originator_id, originator_version LIMIT {BATCH}")
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, params)
            batch = cursor.fetchall()
        for row in batch:
            yield (convert(row["originator_id"]), row["originator_version"], row["topic"],
                   row["state"], row["nid"])
        if len(batch) < BATCH:
            return
        after = (batch[-1]["originator_id"], batch[-1]["originator_version"])


def _pg_rows(recorder: Any, table: str, low: UUID | None,
             high: UUID | None) -> Iterator[tuple[UUID, int, str, bytes, int]]:
    from psycopg.sql import SQL, Identifier

    datastore = recorder.datastore
    where, params = [], []
    for op, value in ((">=", low), ("<", high)):
        if value is not None:
            where.append(f"originator_id {op} %s")
            params.append(value if str(datastore.originator_id_type) != "text" else str(value))
    statement = SQL("SELECT originator_id, originator_version, topic, state, notification_id "
                    "FROM {}.{} " + ("WHERE " + " AND ".join(where) if where else "") +
                    " ORDER BY originator_id, originator_version").format(
                        Identifier(datastore.schema), Identifier(table))
    with datastore.get_connection() as conn, conn.transaction(), \
            conn.cursor(name="hgkm_verify_replay") as cursor:
        cursor.itersize = BATCH
        cursor.execute(statement, params)
        while batch := cursor.fetchmany(BATCH):
            for row in batch:
                oid = row["originator_id"]
                yield (oid if isinstance(oid, UUID) else UUID(str(oid)),
                       row["originator_version"], row["topic"], bytes(row["state"]),
                       row["notification_id"])


def _snapshotted(store: Application[UUID], bound: Bound) -> set[UUID]:
    """The ids in ``bound`` with at least one stored snapshot."""
    snapshots: Any = getattr(store, "snapshots", None)
    if snapshots is None:
        return set()
    recorder = snapshots.recorder
    low, high = bound
    found: set[UUID] = set()
    if _is_postgres(recorder.datastore):
        from psycopg.sql import SQL, Identifier

        where, params = [], []
        for op, value in ((">=", low), ("<", high)):
            if value is not None:
                where.append(f"originator_id {op} %s")
                params.append(value if str(recorder.datastore.originator_id_type) != "text"
                              else str(value))
        statement: Any = SQL("SELECT DISTINCT originator_id FROM {}.{} " + (
            "WHERE " + " AND ".join(where) if where else "")).format(
                Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
    else:
        where, params = [], []
        for op, key in ((">=", _sqlite_key(low)), ("<", _sqlite_key(high))):
            if key is not None:
                where.append(f"originator_id {op} ?")
                params.append(key)
        statement = (f"SELECT DISTINCT originator_id FROM {recorder.events_table_name} "
                     + ("WHERE " + " AND ".join(where) if where else ""))
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(statement, params)
        for row in cursor.fetchall():
            oid = row["originator_id"]
            found.add(oid if isinstance(oid, UUID) else UUID(str(oid)))
    return found


def _cached(store: Application[UUID], aggregate_id: UUID) -> bool:
    cache: Any = getattr(store.repository, "cache", None)
    if not cache:
        return False
    try:
        cache.get(aggregate_id)
    except KeyError:
        return False
    return True


def replay_range(store: Application[UUID], bound: Bound,
                 progress: Callable[[int], None] | None = None) -> RangeResult:
    """Replay and compare every aggregate whose id lies in ``bound``.

    Args:
        store: The event store's application (its repository makes the snapshot loads).
        bound: The range of ids.
        progress: Optional ``progress(aggregates visited so far in this range)``.
    """
    from hgkm_workflow.adapters.fast_decode import event_decoder

    decode = event_decoder(store.mapper)
    snapshotted = _snapshotted(store, bound)
    result = RangeResult()
    current: UUID | None = None
    first = 0
    stored: list[StoredEvent] = []
    for oid, version, topic, state, nid in _rows(store, bound):
        if oid != current:
            if current is not None:
                _check(store, current, first, stored, decode, current in snapshotted, result)
                if progress is not None:
                    progress(result.visited)
            current, first, stored = oid, nid, []
        stored.append(StoredEvent(originator_id=oid, originator_version=version, topic=topic,
                                  state=state))
    if current is not None:
        _check(store, current, first, stored, decode, current in snapshotted, result)
        if progress is not None:
            progress(result.visited)
    return result


def _check(store: Application[UUID], aggregate_id: UUID, first: int,
           stored: list[StoredEvent], decode: Callable[[StoredEvent], object],
           snapshotted: bool, result: RangeResult) -> None:
    """One aggregate: the checks of :func:`~hgkm_workflow.audit.aggregate_check.
    verify_aggregate`, its loads made only where they can differ (see the module)."""
    from hgkm_workflow.adapters.loading import project_events
    from hgkm_workflow.audit.aggregate_check import compare_loads

    where = str(aggregate_id)
    result.visited += 1
    try:
        events = [decode(s) for s in stored]
        replayed: Any = project_events(None, events)
        result.aggregates += 1
        result.events += len(events)
        if replayed is None:  # pragma: no cover - an aggregate has at least one event here
            result.differences.append((first, "error", where, "no events"))
            return
        if not (snapshotted or _cached(store, aggregate_id)):
            return
        found = compare_loads(store, aggregate_id, replayed)
    except Exception as exc:  # verify reports every failure, it never stops
        result.differences.append((first, "error", where, f"{type(exc).__name__}: {exc}"))
        return
    result.differences.extend((first, kind, where, detail) for kind, detail in found)
