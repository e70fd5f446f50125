"""One lock around schema creation, so processes that start together do not collide.

Opening a store creates its tables when they are missing: eventsourcing's event table (and
its functions and types) and the read models, the person register, the access log and the
reservations. On PostgreSQL, ``CREATE … IF NOT EXISTS`` and SQLAlchemy's ``checkfirst`` are
not safe against a second session doing the same at the same moment: one of them fails with
"tuple concurrently updated", a duplicate ``pg_type`` key or "relation already exists", even
when the tables already exist. Two schedulers and a writer started by one deployment would
hit exactly that.

:func:`schema_lock` serialises it. Within a process a lock is taken first (so threads wait in
Python, holding no database connection); across processes a PostgreSQL session advisory lock
(:data:`SCHEMA_LOCK_KEY`) is held for the block. A thread that already holds it passes
straight through, so setup code may nest. On SQLite only the process lock is taken: the
database file's own lock serialises DDL between processes.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import sqlalchemy as sa

# Key of the session advisory lock held while a store creates its tables.
SCHEMA_LOCK_KEY = zlib.crc32(b"hgkm_event_store_schema")

_process_lock = threading.RLock()
_held = threading.local()


@contextmanager
def schema_lock(engine: sa.Engine) -> Iterator[None]:
    """Hold the schema lock for the block, using a connection of ``engine``.

    Args:
        engine: The read models' engine (PostgreSQL takes the advisory lock through it).
    """
    def acquire() -> AbstractContextManager[None]:
        return _sqlalchemy_advisory_lock(engine)

    with _locked(acquire if engine.dialect.name == "postgresql" else None):
        yield


@contextmanager
def psycopg_schema_lock(connect_kwargs: dict[str, Any]) -> Iterator[None]:
    """Hold the schema lock for the block, on a dedicated psycopg connection.

    For eventsourcing's recorders, which create their tables through their own pool: the
    lock's connection is opened apart so that pool's connections stay free.

    Args:
        connect_kwargs: Keyword arguments for :func:`psycopg.connect`.
    """
    def acquire() -> AbstractContextManager[None]:
        return _psycopg_advisory_lock(connect_kwargs)

    with _locked(acquire):
        yield


@contextmanager
def _locked(acquire: Callable[[], AbstractContextManager[None]] | None) -> Iterator[None]:
    if getattr(_held, "depth", 0) > 0:
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    with _process_lock:
        _held.depth = 1
        try:
            if acquire is None:
                yield
            else:
                with acquire():
                    yield
        finally:
            _held.depth = 0


@contextmanager
def _sqlalchemy_advisory_lock(engine: sa.Engine) -> Iterator[None]:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.select(sa.func.pg_advisory_lock(SCHEMA_LOCK_KEY)))
        try:
            yield
        finally:
            conn.execute(sa.select(sa.func.pg_advisory_unlock(SCHEMA_LOCK_KEY)))


@contextmanager
def _psycopg_advisory_lock(connect_kwargs: dict[str, Any]) -> Iterator[None]:
    import psycopg

    with psycopg.connect(autocommit=True, **connect_kwargs) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))
