"""Insert many stored events at once: PostgreSQL ``COPY``, SQLite one ``executemany``.

eventsourcing's recorders insert a list of events in one transaction, but on PostgreSQL they
build one composite array (``unnest``) with an id returned per row, and on SQLite they run
one ``INSERT`` per event to learn each row id. An import (:func:`hgkm_workflow.audit.exchange.
import_jsonl`) needs neither: it writes an already-checked stream into an empty store. This
module writes the same rows in the same single transaction, faster:

* **PostgreSQL**: within one transaction, exactly what the recorder does first —
  ``SET LOCAL lock_timeout``, ``LOCK TABLE … IN EXCLUSIVE MODE`` (so insert order is commit
  order and a concurrent writer waits, or fails with its lock timeout, and readers are not
  blocked) and ``NOTIFY`` on the recorder's channel (delivered at commit, so followers wake) —
  then one binary ``COPY … FROM STDIN`` of ``(originator_id, originator_version, topic,
  state)``. ``notification_id`` is the table's ``bigserial`` default, drawn by ``COPY`` row by
  row in input order, so the ids are those the recorder would have assigned. A sequence is
  not rolled back with a failed transaction, so a retry after a refused insert would start
  past 1; when the table is empty (checked under the lock) the sequence is reset first, so an
  import into an empty store always gets ids 1..N. A duplicate ``(originator_id,
  originator_version)`` aborts the whole ``COPY``.
* **SQLite**: one ``executemany`` of the recorder's own ``INSERT`` per chunk, all chunks in
  one transaction of the recorder's datastore (its writer lock); row ids (the notification
  ids) follow the input order.
* Any other recorder: its own ``insert_events``.

All-or-nothing per call: a failure rolls the whole transaction back and raises
:class:`eventsourcing.persistence.IntegrityError` for a duplicate key, as the recorder does.
``also(cursor)`` (optional) writes other rows in that same transaction, after the table is
found empty and before the events (the import's original positions); it is not called for
the recorder's own ``insert_events``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, IntegrityError, StoredEvent

__all__ = ["SQLITE_CHUNK", "bulk_insert", "bulk_kind"]

#: Rows per SQLite ``executemany`` (bounds the parameter list held at once).
SQLITE_CHUNK = 10_000
_NOT_EMPTY = "the events table is not empty: a bulk insert writes into an empty store"


def bulk_kind(recorder: ApplicationRecorder) -> str:
    """``"copy"``, ``"executemany"`` or ``"recorder"``: how :func:`bulk_insert` writes."""
    from eventsourcing.postgres import PostgresApplicationRecorder
    from eventsourcing.sqlite import SQLiteApplicationRecorder

    if isinstance(recorder, PostgresApplicationRecorder):
        return "copy"
    if isinstance(recorder, SQLiteApplicationRecorder):
        return "executemany"
    return "recorder"


def bulk_insert(recorder: ApplicationRecorder, events: Sequence[StoredEvent],
                also: Callable[[Any], None] | None = None) -> int:
    """Insert ``events`` into an empty events table in one transaction, in order.

    Returns how many were inserted. The table is checked empty inside the insert's own
    transaction (under the lock on PostgreSQL), so a writer that filled the store after the
    import's first check makes it fail instead of mixing the two.

    Raises:
        IntegrityError: The table is not empty, or an event's ``(originator_id,
            originator_version)`` is stored twice (nothing is inserted).
    """
    if not events:
        return 0
    kind = bulk_kind(recorder)
    if kind == "copy":
        _copy(recorder, events, also)
    elif kind == "executemany":
        _executemany(recorder, events, also)
    else:
        if recorder.max_notification_id():
            raise IntegrityError(_NOT_EMPTY)
        recorder.insert_events(events)
    return len(events)


def _copy(recorder: Any, events: Sequence[StoredEvent],
          also: Callable[[Any], None] | None) -> None:
    from psycopg.sql import SQL, Identifier

    datastore = recorder.datastore
    schema, table = Identifier(datastore.schema), Identifier(recorder.events_table_name)
    id_type = str(datastore.originator_id_type)
    statement = SQL("COPY {}.{} (originator_id, originator_version, topic, state) "
                    "FROM STDIN (FORMAT BINARY)").format(schema, table)
    # The datastore's connection turns psycopg's errors into eventsourcing's (IntegrityError).
    with datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
        for lock in recorder.lock_table_statements:  # lock_timeout, LOCK TABLE EXCLUSIVE
            curs.execute(lock)
        curs.execute(SQL("NOTIFY {}").format(Identifier(recorder.channel_name)))
        curs.execute(SQL("SELECT EXISTS (SELECT 1 FROM {}.{})").format(schema, table))
        row = curs.fetchone()
        if row is None or next(iter(row.values())):
            raise IntegrityError(_NOT_EMPTY)
        # empty: ids from 1 again (a failed earlier import advanced the sequence)
        qualified = SQL("{}.{}").format(schema, table).as_string(conn)
        curs.execute(SQL("SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), "
                         "1, false)"), (qualified,))
        if also is not None:
            also(curs)
        with curs.copy(statement) as copy:
            copy.set_types([id_type, "int8", "text", "bytea"])
            for e in events:
                oid = str(e.originator_id) if id_type == "text" else e.originator_id
                copy.write_row((oid, e.originator_version, e.topic, e.state))


def _executemany(recorder: Any, events: Sequence[StoredEvent],
                 also: Callable[[Any], None] | None) -> None:
    statement = recorder.insert_events_statement
    # The datastore's transaction rolls back on any error and raises eventsourcing's errors.
    with recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute(f"SELECT 1 FROM {recorder.events_table_name} LIMIT 1")
        if cursor.fetchone() is not None:
            raise IntegrityError(_NOT_EMPTY)
        if also is not None:
            also(cursor)
        for start in range(0, len(events), SQLITE_CHUNK):
            cursor.executemany(statement, [
                (e.originator_id.hex if isinstance(e.originator_id, UUID)
                 else e.originator_id, e.originator_version, e.topic, e.state)
                for e in events[start:start + SQLITE_CHUNK]])
