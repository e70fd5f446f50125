"""The insert of an import: the events and their original positions in one transaction.

An import (:func:`hgkm_workflow.audit.exchange.import_jsonl`) writes the checked events into
an empty store and replaces the recorded original positions
(:mod:`hgkm_workflow.audit.positions`). Both are written in the same transaction of the
events' recorder, so a refused insert (another writer filled the store, a duplicate key) or an
interrupted one leaves neither the events nor orphan positions, and the positions recorded
before are untouched:

* bulk (the default): :func:`~hgkm_workflow.adapters.bulk_insert.bulk_insert` writes the
  positions in its transaction, after finding the table empty and before the ``COPY`` (or the
  SQLite ``executemany``);
* per event (``bulk=False``): on PostgreSQL one transaction with the recorder's own lock
  statements, the positions, the recorder's insert of the events and its ``NOTIFY``; on
  SQLite one transaction of the recorder's datastore with the positions and the recorder's
  insert. The rows are the recorder's (the same statement), only not pipelined;
* any other recorder (no transaction to share): the positions first in their own transaction
  and removed again if the insert fails, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.persistence import ApplicationRecorder, StoredEvent

from hgkm_workflow.adapters.bulk_insert import bulk_insert, bulk_kind
from hgkm_workflow.audit.positions import (
    clear_origins,
    ensure_origins_table,
    record_origins,
    write_origins,
)

__all__ = ["insert_with_origins"]


def insert_with_origins(recorder: ApplicationRecorder, engine: sa.Engine,
                        events: Sequence[StoredEvent],
                        origins: Sequence[tuple[UUID, int, int]], *, bulk: bool = True) -> int:
    """Insert ``events`` and replace the original positions by ``origins``, all or nothing.

    Args:
        recorder: The store's application recorder.
        engine: The store's database (where the positions table is created if missing).
        events: The checked events, in order.
        origins: ``(case_id, version, original position)`` per imported event.
        bulk: ``COPY`` / ``executemany`` rather than the recorder's insert statement.

    Returns:
        The number of events inserted.

    Raises:
        eventsourcing.persistence.IntegrityError: A duplicate key, or (bulk) the table is
            not empty; nothing is written.
    """
    kind = bulk_kind(recorder)
    if kind == "recorder":
        record_origins(engine, origins)
        try:
            recorder.insert_events(list(events))
        except BaseException:
            clear_origins(engine)
            raise
        return len(events)
    ensure_origins_table(engine)
    also = partial(write_origins, origins=origins, postgres=kind == "copy")
    if bulk:
        return bulk_insert(recorder, events, also=also)
    if kind == "copy":
        _pg_per_event(recorder, events, also)
    else:
        with recorder.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
            also(cursor)
            recorder._insert_events(cursor, events)  # type: ignore[attr-defined]
    return len(events)


def _pg_per_event(recorder: Any, events: Sequence[StoredEvent], also: Any) -> None:
    from psycopg.sql import SQL, Identifier

    with recorder.datastore.get_connection() as conn, conn.transaction(), \
            conn.cursor() as curs:
        for lock in recorder.lock_table_statements:  # lock_timeout, LOCK TABLE EXCLUSIVE
            curs.execute(lock)
        also(curs)
        recorder._insert_stored_events(curs, events)
        curs.execute(SQL("NOTIFY {}").format(Identifier(recorder.channel_name)))
