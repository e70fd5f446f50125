"""Original positions of imported events, so exports match across export and import.

An import writes the events of a file into an empty store; the store numbers them afresh
(its notification log), so the importing store's ``position`` differs from the exporting
store's. To let an auditor match an export made after an import with the first export (and
with anything that names the first store's positions), the import records, per event
``(case_id, version)``, the position it had in the first store: the line's
``original_position`` when it has one (an export of an imported store), else its
``position``. Every export writes ``original_position`` on every line: the recorded one for
an imported event, else the event's own position. So ``original_position`` is the same in
the first export and in every export after any number of imports.

The table ``hgkm_original_positions`` lives in the store's database beside the events. It is
not a read model (it cannot be derived from the events), so it is neither rebuilt nor
cleared by a rebuild; only an import (into an empty store) replaces it, in the transaction
that inserts the events (:func:`write_origins`, called by
:mod:`hgkm_workflow.audit.import_insert`): a refused or interrupted insert leaves the
recorded positions as they were.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

import sqlalchemy as sa

__all__ = ["ORIGINS", "clear_origins", "ensure_origins_table", "load_origins",
           "record_origins", "write_origins"]

_metadata = sa.MetaData()

ORIGINS = sa.Table(
    "hgkm_original_positions", _metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("original_position", sa.BigInteger, nullable=False),
)
"""Per imported event ``(case_id, version)``: its position in the store first exported."""

_BATCH = 1000


def ensure_origins_table(engine: sa.Engine) -> None:
    """Create the (empty) table of original positions if it is missing."""
    _metadata.create_all(engine, checkfirst=True)


def write_origins(cursor: Any, origins: Sequence[tuple[UUID, int, int]], *,
                  postgres: bool) -> None:
    """Replace the recorded original positions, on the events' own DB-API ``cursor``.

    Run inside the transaction that inserts the imported events (the table must exist:
    :func:`ensure_origins_table`). PostgreSQL: a ``COPY``; SQLite: an ``executemany``.
    """
    cursor.execute(f"DELETE FROM {ORIGINS.name}")
    if not origins:
        return
    if postgres:
        statement = (f"COPY {ORIGINS.name} (case_id, version, original_position) "
                     "FROM STDIN")
        with cursor.copy(statement) as copy:
            for case_id, version, position in origins:
                copy.write_row((str(case_id), version, position))
        return
    insert = f"INSERT INTO {ORIGINS.name} (case_id, version, original_position) VALUES (?, ?, ?)"
    for start in range(0, len(origins), _BATCH * 10):
        cursor.executemany(insert, [(str(c), v, p)
                                    for c, v, p in origins[start:start + _BATCH * 10]])


def record_origins(engine: sa.Engine, origins: Iterable[tuple[UUID, int, int]]) -> None:
    """Replace the recorded original positions by ``(case_id, version, position)`` rows.

    In a transaction of its own: only for a store whose recorder has no transaction an import
    can share (neither PostgreSQL nor SQLite; see :mod:`hgkm_workflow.audit.import_insert`).
    """
    _metadata.create_all(engine, checkfirst=True)
    rows = [{"case_id": str(c), "version": v, "original_position": p} for c, v, p in origins]
    with engine.begin() as conn:
        conn.execute(ORIGINS.delete())
        for start in range(0, len(rows), _BATCH):
            conn.execute(ORIGINS.insert(), rows[start:start + _BATCH])


def clear_origins(engine: sa.Engine) -> None:
    """Forget the recorded original positions (an import that failed after recording)."""
    if sa.inspect(engine).has_table(ORIGINS.name):
        with engine.begin() as conn:
            conn.execute(ORIGINS.delete())


def load_origins(engine: sa.Engine) -> dict[tuple[str, int], int]:
    """The recorded original positions by ``(case_id, version)`` (empty: never imported)."""
    if not sa.inspect(engine).has_table(ORIGINS.name):
        return {}
    with engine.connect() as conn:
        return {(str(r.case_id), int(r.version)): int(r.original_position)
                for r in conn.execute(sa.select(ORIGINS))}
