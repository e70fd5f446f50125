"""The fold path's plumbing: the cyclic collector paused per batch, and bulk writes.

A rebuild holds a batch of a few thousand decoded events and the rows they touch; each of
those allocations counts towards the cyclic garbage collector's thresholds, so it ran many
times per batch and walked every live container each time (6.9 µs per event in the profile of
issue 17: more than decoding JSON). The batch's objects are freed by reference counting when
the batch ends; none of them needs the collector while the batch is folded.
:func:`collector_paused` switches the collector off for one batch and back on after it
(only if it was on), so garbage with cycles waits at most one batch.

Writing a batch's rows with ``conn.execute(statement, rows)`` made SQLAlchemy process every
row's parameters in Python (5.2 µs per event). :func:`execute_many` compiles the statement
once per dialect, applies each column type's own bind processor (the same conversion
SQLAlchemy applies, e.g. SQLite's datetime text) and hands the driver's ``executemany`` plain
tuples (or dicts, for a driver with named parameters) through ``exec_driver_sql``, so the
rows stored are the same, errors are wrapped the same (``IntegrityError`` → dead letters)
and connection events still fire.

:func:`insert_rows` inserts whole new rows: on PostgreSQL (psycopg) with one ``COPY ... FROM
STDIN`` per table and batch instead of a pipelined ``executemany`` of single-row inserts
(errors wrapped as SQLAlchemy wraps them; no cursor-execute events for the ``COPY``),
elsewhere with :func:`execute_many`.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME

__all__ = ["collector_paused", "execute_many", "insert_rows"]

_Build = Callable[[Sequence[Mapping[str, Any]]], list[Any]]
_Plan = tuple[str, _Build]
_SQLITE_DEFAULT_FORMAT = SQLITE_DATETIME._storage_format
_PLANS: dict[tuple[sa.Executable, str, str | None], _Plan] = {}
_COPIES: dict[tuple[sa.Table, str], _Plan] = {}


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the ``with`` block.

    Re-enables it afterwards (also on an error) only if it was enabled on entry, so a caller
    that switched it off itself keeps it off.
    """
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def execute_many(
    conn: sa.Connection,
    stmt: sa.Insert | sa.Update,
    rows: Sequence[Mapping[str, Any]],
    *,
    row_keys: Mapping[str, str] | None = None,
) -> None:
    """Execute ``stmt`` once per row with the driver's ``executemany``.

    Args:
        conn: The connection (inside the caller's transaction).
        stmt: An ``INSERT`` or ``UPDATE`` whose bind parameters the rows fill; build it once
            (the compiled form is cached per statement object and dialect).
        rows: The rows, as mappings.
        row_keys: Bind parameter name → the row's key, for binds not named after the key.
    """
    if not rows:
        return
    dialect = conn.dialect
    plan_key = (stmt, dialect.name, dialect.driver)
    plan = _PLANS.get(plan_key)
    if plan is None:
        plan = _PLANS[plan_key] = _plan(stmt, dialect, row_keys or {})
    sql, build = plan
    conn.exec_driver_sql(sql, build(rows))


def insert_rows(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert whole rows (every column) of ``table``, in order.

    On PostgreSQL through psycopg this is one ``COPY table (columns) FROM STDIN`` (one round
    trip; the server parses the text of each value as ``INSERT`` would its parameter, with
    each column type's bind processor applied first); a refused row raises SQLAlchemy's
    wrapped error (``IntegrityError`` for a duplicate key: dead letters as before) and the
    rows stored are the same (``tests/projections/test_rebuild_fast_paths.py``). Elsewhere it
    is :func:`execute_many` of ``table.insert()``.

    Args:
        conn: The connection (inside the caller's transaction).
        table: The table; each row has a value for every column.
        rows: The rows, as mappings of column name to value.
    """
    if not rows:
        return
    dialect = conn.dialect
    if dialect.driver != "psycopg":
        execute_many(conn, _insert_of(table), rows)
        return
    plan = _COPIES.get((table, dialect.name))
    if plan is None:
        plan = _COPIES[table, dialect.name] = _copy_plan(table, dialect)
    sql, build = plan
    dbapi_connection: Any = conn.connection.dbapi_connection
    try:
        with dbapi_connection.cursor() as cursor, cursor.copy(sql) as copy:
            write = copy.write_row
            for values in build(rows):
                write(values)
    except dialect.loaded_dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(
            sql, None, exc, dialect.loaded_dbapi.Error, dialect=dialect) from exc


_INSERTS: dict[sa.Table, sa.Insert] = {}


def _insert_of(table: sa.Table) -> sa.Insert:
    stmt = _INSERTS.get(table)
    if stmt is None:
        stmt = _INSERTS[table] = table.insert()
    return stmt


def _copy_plan(table: sa.Table, dialect: sa.Dialect) -> _Plan:
    """``COPY`` of every column, and a builder of value tuples in column order."""
    quote = dialect.identifier_preparer.quote
    names = [c.name for c in table.columns]
    processors: dict[int, Callable[[Any], Any]] = {}
    for i, column in enumerate(table.columns):
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors[i] = process
    target = dialect.identifier_preparer.format_table(table)
    sql = f"COPY {target} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    return sql, _builder(names, processors, None)


def _sqlite_datetime(impl: Any, process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """SQLite's datetime text, for a naive ``datetime``, by ``isoformat`` (the same text).

    SQLAlchemy's SQLite ``DATETIME`` stores ``YYYY-MM-DD HH:MM:SS.ffffff`` by formatting a
    dict of the fields; ``isoformat(" ", "microseconds")`` of a naive ``datetime`` is that
    text, in one C call. Anything else (aware, a subclass, a ``date``, another storage format)
    goes through SQLAlchemy's own processor.
    """
    if type(impl) is not SQLITE_DATETIME or impl._storage_format != _SQLITE_DEFAULT_FORMAT:
        return process

    def fast(value: Any) -> Any:
        if type(value) is datetime and value.tzinfo is None:
            return value.isoformat(" ", "microseconds")
        return process(value)

    return fast


def _plan(stmt: sa.Insert | sa.Update, dialect: sa.Dialect, row_keys: Mapping[str, str]) -> _Plan:
    """Compile once: the SQL, and a function that turns rows into the driver's parameters."""
    compiled = stmt.compile(dialect=dialect)
    binds = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
    keys = [row_keys.get(name, name) for name in binds]
    processors: dict[int, Callable[[Any], Any]] = {}
    for i, name in enumerate(binds):
        impl = compiled.binds[name].type.dialect_impl(dialect)
        process = impl.bind_processor(dialect)
        if process is not None:
            processors[i] = _sqlite_datetime(impl, process)
    escaped = compiled.escaped_bind_names
    names = None if compiled.positional else tuple(escaped.get(n, n) for n in binds)
    return compiled.string, _builder(keys, processors, names)


def _builder(
    keys: Sequence[str],
    processors: Mapping[int, Callable[[Any], Any]],
    names: Sequence[str] | None,
) -> _Build:
    """Rows → tuples of their values in ``keys`` order, each bind processor applied.

    With ``names`` (a driver with named parameters) each tuple becomes a dict of those names.
    """
    values_of: Callable[[Mapping[str, Any]], Any]
    if len(keys) == 1:
        only = keys[0]

        def values_of(row: Mapping[str, Any]) -> Any:
            return (row[only],)
    else:
        values_of = itemgetter(*keys)
    steps = tuple(sorted(processors.items()))

    def build(rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        params: list[Any]
        if steps:
            params = []
            for row in rows:
                values = list(values_of(row))
                for i, process in steps:
                    values[i] = process(values[i])
                params.append(tuple(values))
        else:
            params = [values_of(row) for row in rows]
        if names is None:
            return params
        return [dict(zip(names, p, strict=True)) for p in params]

    return build
