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

__all__ = ["collector_paused", "execute_many"]

_Getter = Callable[[Mapping[str, Any]], Any]
_Plan = tuple[str, _Getter, tuple[tuple[int, Any], ...], tuple[str, ...] | None]
_SQLITE_DEFAULT_FORMAT = SQLITE_DATETIME._storage_format
_PLANS: dict[tuple[sa.Executable, str, str | None], _Plan] = {}


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
    sql, values_of, processors, names = plan
    params: list[Any]
    if processors:
        params = []
        for row in rows:
            values = list(values_of(row))
            for i, process in processors:
                values[i] = process(values[i])
            params.append(tuple(values))
    else:
        params = [values_of(row) for row in rows]
    if names is None:
        conn.exec_driver_sql(sql, params)
    else:
        conn.exec_driver_sql(sql, [dict(zip(names, p, strict=True)) for p in params])


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
    """Compile once: the SQL, a getter of a row's values in bind order, their processors."""
    compiled = stmt.compile(dialect=dialect)
    binds = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
    keys = [row_keys.get(name, name) for name in binds]
    values_of: _Getter
    if len(keys) == 1:
        only = keys[0]

        def values_of(row: Mapping[str, Any]) -> Any:
            return (row[only],)
    else:
        values_of = itemgetter(*keys)
    processors = []
    for i, name in enumerate(binds):
        impl = compiled.binds[name].type.dialect_impl(dialect)
        process = impl.bind_processor(dialect)
        if process is not None:
            processors.append((i, _sqlite_datetime(impl, process)))
    escaped = compiled.escaped_bind_names
    names = None if compiled.positional else tuple(escaped.get(n, n) for n in binds)
    return compiled.string, values_of, tuple(processors), names
