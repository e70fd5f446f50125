"""SQLAlchemy engines for the read models, in the same database as the events.

SQLite: WAL journal, ``secure_delete`` (deleted rows are overwritten with zeros, so an
erased person's wrapped key does not linger in free pages), the database file and its side
files mode 0600, a 30 s busy timeout, and transactions that SQLAlchemy (not pysqlite)
begins, so DDL is transactional and a writer can ask for ``BEGIN IMMEDIATE`` (see
:func:`write_connection`). PostgreSQL: psycopg 3 (``postgresql+psycopg://``).

Nothing is created at import time; :func:`engine_for` creates engines on first use.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import ConnectionPoolEntry

from hgkm_workflow.adapters.files import create_private, restrict_sqlite_files
from hgkm_workflow.adapters.store import StoreConfig, StoreKind

SQLITE_BUSY_TIMEOUT_MS = 30_000
_SQLITE_BEGIN_OPTION = "hgkm_sqlite_begin"

#: Connections the intake locks of one process may hold at once (:func:`lock_engine_for`).
LOCK_POOL_SIZE = 4
LOCK_POOL_OVERFLOW = 12

_engines: dict[str, sa.Engine] = {}
_lock_engines: dict[str, sa.Engine] = {}
_engines_lock = threading.Lock()
_configs: weakref.WeakKeyDictionary[sa.Engine, StoreConfig] = weakref.WeakKeyDictionary()


def make_engine(config: StoreConfig) -> sa.Engine:
    """Create a new engine for the read models of the given store.

    The caller owns the engine and should ``dispose()`` it when done.

    Args:
        config: The parsed store URL.

    Returns:
        A new SQLAlchemy engine on the same database as the events.
    """
    if config.kind is StoreKind.SQLITE:
        if config.sqlite_path is not None:
            create_private(config.sqlite_path)
        engine = _make_sqlite_engine(config.sqlalchemy_url, config.sqlite_path)
    else:
        engine = sa.create_engine(config.sqlalchemy_url, pool_pre_ping=True)
    _configs[engine] = config
    return engine


def config_of(engine: sa.Engine) -> StoreConfig | None:
    """The store an engine made by :func:`make_engine` (or :func:`engine_for`) is for.

    Another process makes an equal engine from it (the parallel rebuild's workers);
    ``None`` for an engine made elsewhere.
    """
    return _configs.get(engine)


def engine_for(config: StoreConfig) -> sa.Engine:
    """The shared engine for the given store, created on first use (one per URL).

    Args:
        config: The parsed store URL.

    Returns:
        The cached SQLAlchemy engine for ``config.sqlalchemy_url``.
    """
    with _engines_lock:
        engine = _engines.get(config.sqlalchemy_url)
        if engine is None:
            engine = make_engine(config)
            _engines[config.sqlalchemy_url] = engine
        return engine


def lock_engine_for(engine: sa.Engine) -> sa.Engine:
    """A separate engine on ``engine``'s PostgreSQL database, for session advisory locks.

    A connection that holds an advisory lock is held for the whole locked work, and that
    work needs connections of its own (catch-up, lookups, reservations). Taking the lock
    from the same pool lets N lockers hold every connection while each waits for one more:
    a pool timeout for all of them. Lock connections come from this pool instead (one per
    application and URL, :data:`LOCK_POOL_SIZE` + :data:`LOCK_POOL_OVERFLOW`); a thread
    waiting for one holds nothing else, so it only queues.

    Args:
        engine: The read models' engine (PostgreSQL).

    Returns:
        The cached lock engine for that URL.
    """
    key = engine.url.render_as_string(hide_password=False)
    with _engines_lock:
        found = _lock_engines.get(key)
        if found is None:
            found = sa.create_engine(engine.url, pool_pre_ping=True, pool_size=LOCK_POOL_SIZE,
                                     max_overflow=LOCK_POOL_OVERFLOW, pool_timeout=120)
            _lock_engines[key] = found
        return found


def dispose_engines() -> None:
    """Dispose of and forget every engine created by :func:`engine_for`."""
    with _engines_lock:
        engines = [*_engines.values(), *_lock_engines.values()]
        _engines.clear()
        _lock_engines.clear()
    for engine in engines:
        engine.dispose()


@contextmanager
def write_connection(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection in a transaction that takes the write lock at once.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE``, so two writers serialise at
    the start (no upgrade deadlock, and rows read inside are current). On PostgreSQL it is
    an ordinary transaction; lock rows with ``SELECT ... FOR UPDATE``. Commits on success,
    rolls back on error.

    Args:
        engine: An engine made by :func:`make_engine` or :func:`engine_for`.

    Yields:
        The connection, inside its transaction.
    """
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execution_options(**{_SQLITE_BEGIN_OPTION: "BEGIN IMMEDIATE"})
        with conn.begin():
            yield conn


def _make_sqlite_engine(url: str, path: Path | None = None) -> sa.Engine:
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        assert isinstance(dbapi_connection, sqlite3.Connection)
        # Let SQLAlchemy emit BEGIN itself (pysqlite's own begin is disabled), so DDL is
        # transactional and BEGIN IMMEDIATE is possible.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA secure_delete = ON")
        finally:
            cursor.close()
        if path is not None:
            restrict_sqlite_files(path)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        begin = conn.get_execution_options().get(_SQLITE_BEGIN_OPTION, "BEGIN")
        conn.exec_driver_sql(str(begin))

    return engine
