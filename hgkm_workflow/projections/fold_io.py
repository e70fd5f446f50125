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
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME

__all__ = ["collector_paused", "execute_many"]

_Build = Callable[[Sequence[Mapping[str, Any]]], list[Any]]
_Plan = tuple[str, _Build]
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
    sql, build = plan
    conn.exec_driver_sql(sql, build(rows))


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
    fast_text: set[int] = set()
    for i, name in enumerate(binds):
        impl = compiled.binds[name].type.dialect_impl(dialect)
        process = impl.bind_processor(dialect)
        if process is not None:
            processors[i] = process
            if _sqlite_datetime(impl, process) is not process:
                fast_text.add(i)
    escaped = compiled.escaped_bind_names
    names = None if compiled.positional else tuple(escaped.get(n, n) for n in binds)
    return compiled.string, _builder(keys, processors, fast_text, names)


def _builder(
    keys: Sequence[str],
    processors: Mapping[int, Callable[[Any], Any]],
    fast_text: set[int],
    names: Sequence[str] | None,
) -> _Build:
    """A function made for one statement: rows → tuples (or dicts) of processed values.

    It is generated as one comprehension, so a row costs one tuple and no Python call per
    plain value: ``row[key]`` for a value without a bind processor, ``p(row[key])`` for one
    with, and for SQLite's default datetime text the expression of :func:`_sqlite_datetime`
    inline (``isoformat`` for a naive ``datetime``, else SQLAlchemy's processor). The keys
    and names enter the source only as ``repr`` literals.
    """
    scope: dict[str, Any] = {"_datetime": datetime}
    parts: list[str] = []
    for i, key in enumerate(keys):
        value = f"r[{key!r}]"
        if i in processors:
            scope[f"_p{i}"] = processors[i]
            if i in fast_text:
                value = (f"(_v.isoformat(' ', 'microseconds') if type(_v := {value}) is "
                         f"_datetime and _v.tzinfo is None else _p{i}(_v))")
            else:
                value = f"_p{i}({value})"
        parts.append(value)
    if names is None:
        item = "(" + "".join(f"{v}, " for v in parts) + ")"
    else:
        item = "{" + ", ".join(f"{n!r}: {v}" for n, v in zip(names, parts, strict=True)) + "}"
    source = f"def build(rows):\n    return [{item} for r in rows]\n"
    exec(compile(source, "<fold_io.execute_many>", "exec"), scope)
    build: _Build = scope["build"]
    return build
