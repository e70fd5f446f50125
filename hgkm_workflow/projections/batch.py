"""Helpers for batched projections: load the rows a batch touches, fold events, write in bulk.

A projection's :meth:`~hgkm_workflow.projections.base.Projection.apply_batch` typically

1. scans the batch once to collect the keys of the rows its events will read or change,
2. loads those rows with a few prebuilt ``SELECT ... WHERE key IN (...)`` queries
   (:func:`select_in`) into a :class:`TableBuffer` per table,
3. folds the events, in order, over the rows in memory (the same decisions the per-event
   :meth:`~hgkm_workflow.projections.base.Projection.apply` takes against the database),
4. writes back with :meth:`TableBuffer.flush`: one ``executemany`` ``INSERT`` of the new rows
   and one ``executemany`` ``UPDATE`` (by primary key) of the loaded rows that changed, each
   straight through the driver (:func:`~hgkm_workflow.projections.fold_io.execute_many`).

New rows are inserted with their final values, so a row created and changed within one batch
costs one insert; new rows are inserted in the order they were made (SQLite's rowid order,
which a reader without ``ORDER BY`` sees: inserting in key order was about 20 % cheaper for
SQLite but changed the order in which a decree reschedules deadlines, so it is not done).
An insert whose key already exists (in the database or earlier in the batch) fails at flush
with the database's integrity error, as the per-event path fails.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from hgkm_workflow.projections.fold_io import execute_many, insert_rows

Row = dict[str, Any]
"""A row as a mutable mapping of column name to value."""

IN_CHUNK = 500
"""At most this many values per ``IN (...)`` list (well below every backend's limit)."""


def chunks(values: Collection[Any], size: int = IN_CHUNK) -> Iterator[list[Any]]:
    """``values`` in sorted lists of at most ``size`` (sorted: stable SQL, stable order)."""
    ordered = sorted(values)
    for i in range(0, len(ordered), size):
        yield ordered[i : i + size]


class TableBuffer:
    """The rows of one table that a batch reads or writes, held in memory until flushed.

    Rows are keyed by primary key: the value itself for a one-column key, else a tuple in
    key column order. Rows are plain dicts with every column (loaded rows in table column
    order); change them in place, but never their key columns.

    Args:
        table: The table (it must have a primary key; its columns are never changed).
    """

    def __init__(self, table: sa.Table) -> None:
        self.table = table
        self._names = tuple(c.name for c in table.columns)
        self._keys = tuple(c.name for c in table.primary_key.columns)
        self._single = len(self._keys) == 1
        self._width = len(self._names)
        self.rows: dict[Any, Row] = {}
        self._loaded: dict[Any, tuple[Any, ...]] = {}
        self._new: list[Row] = []

    def key_of(self, row: Row) -> Any:
        """The buffer key of a row."""
        if self._single:
            return row[self._keys[0]]
        return tuple(row[k] for k in self._keys)

    def get(self, key: Any) -> Row | None:
        """The row with this key, if loaded or inserted in this batch."""
        return self.rows.get(key)

    def load(
        self, conn: sa.Connection, stmt: sa.Executable, params: dict[str, Any] | None = None
    ) -> list[Row]:
        """Run a ``SELECT`` of whole rows of the table and buffer them.

        Rows already buffered are not replaced (they may hold changes of this batch).

        Returns:
            The buffered rows the statement matched, in result order.
        """
        found: list[Row] = []
        result = conn.execute(stmt, params or {})
        names = self._names
        if tuple(result.keys()) == names:  # whole rows in column order: no mapping per row
            rows: Iterator[Row] = (dict(zip(names, r, strict=True)) for r in result)
        else:
            rows = ({name: m[name] for name in names} for m in result.mappings())
        for row in rows:
            key = self.key_of(row)
            buffered = self.rows.get(key)
            if buffered is None:
                self.rows[key] = row
                self._loaded[key] = tuple(row.values())
                buffered = row
            found.append(buffered)
        return found

    def load_in(
        self, conn: sa.Connection, stmt: sa.Select[Any], values: Collection[Any]
    ) -> list[Row]:
        """Load rows with a statement from :func:`select_in`, for each chunk of ``values``.

        Returns:
            The buffered rows found, chunk by chunk.
        """
        found: list[Row] = []
        for chunk in chunks(values):
            found.extend(self.load(conn, stmt, {"keys": chunk}))
        return found

    def insert(self, row: Row) -> Row:
        """Add a new row and return it (the buffered dict itself).

        Raises:
            ValueError: If the row does not have exactly the table's columns.
        """
        if len(row) != self._width:
            raise ValueError(f"a row of {self.table.name} needs the columns {self._names}")
        self.rows[row[self._keys[0]] if self._single else self.key_of(row)] = row
        self._new.append(row)
        return row

    def flush(self, conn: sa.Connection) -> None:
        """Insert the new rows and update the loaded rows that changed, in bulk.

        Both go through :func:`execute_many`: the driver's ``executemany`` with the column
        types' own bind processing, without SQLAlchemy's per-row parameter processing.
        """
        if self._new:  # in insertion order: readers without ORDER BY see SQLite's rowid order
            insert_rows(conn, self.table, self._new)
            self._new = []
        changed: list[Row] = []
        for key, before in self._loaded.items():
            row = self.rows[key]
            values = tuple(row.values())
            if values != before:
                changed.append(row)
                self._loaded[key] = values
        if changed:
            execute_many(conn, _update_statement(self.table), changed,
                         row_keys=_update_row_keys(self.table))


def select_in(
    table: sa.Table, column: sa.ColumnElement[Any], *criteria: sa.ColumnElement[bool]
) -> sa.Select[Any]:
    """A prebuilt ``SELECT`` of whole rows ``WHERE column IN :keys AND criteria``.

    Build it once (at import) and pass it to :meth:`TableBuffer.load_in`; ``keys`` is an
    expanding parameter, so SQLAlchemy compiles the statement once.
    """
    return sa.select(table).where(column.in_(sa.bindparam("keys", expanding=True)), *criteria)


_UPDATES: dict[sa.Table, sa.Update] = {}


def _update_statement(table: sa.Table) -> sa.Update:
    """``UPDATE table SET every non-key column WHERE primary key`` (built once per table)."""
    stmt = _UPDATES.get(table)
    if stmt is None:
        keys = list(table.primary_key.columns)
        stmt = (
            table.update()
            .where(*(c == sa.bindparam(f"k_{c.name}") for c in keys))
            .values({c.name: sa.bindparam(f"v_{c.name}") for c in table.columns if c not in keys})
        )
        _UPDATES[table] = stmt
    return stmt


_UPDATE_ROW_KEYS: dict[sa.Table, dict[str, str]] = {}


def _update_row_keys(table: sa.Table) -> dict[str, str]:
    """The update statement's bind names (``k_``/``v_`` + column) → the row's column names."""
    keys = _UPDATE_ROW_KEYS.get(table)
    if keys is None:
        names = [c.name for c in table.columns]
        keys = _UPDATE_ROW_KEYS[table] = {
            **{f"k_{n}": n for n in names}, **{f"v_{n}": n for n in names}}
    return keys


_CLASS_NAMES: dict[type, tuple[str, str]] = {}


def owner_and_kind(event: object) -> tuple[str, str]:
    """The aggregate class name and the event class name of a domain event.

    ``HouseholdCase.MeldingReceived`` gives ``("HouseholdCase", "MeldingReceived")``.
    """
    cls = type(event)
    names = _CLASS_NAMES.get(cls)
    if names is None:
        names = _CLASS_NAMES[cls] = (cls.__qualname__.partition(".")[0], cls.__name__)
    return names


_ID_TEXT: dict[int, str] = {}
_ID_TEXT_LIMIT = 100_000


def id_text(value: object) -> str:
    """``str(value)``: for a ``UUID`` (an event's originator id) remembered by its integer.

    A case's events come in runs, and ``UUID.__str__`` is Python code that formats the
    integer anew each time; this is one dict lookup. At most ``_ID_TEXT_LIMIT`` ids are
    remembered (then forgotten at once).
    """
    if type(value) is UUID:
        key = value.int
        text = _ID_TEXT.get(key)
        if text is None:
            if len(_ID_TEXT) >= _ID_TEXT_LIMIT:
                _ID_TEXT.clear()
            text = _ID_TEXT[key] = str(value)
        return text
    return str(value)
