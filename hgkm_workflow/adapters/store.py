"""One setting selects the store.

A store URL names where the events and the read models live:

* ``sqlite:///hgkm.db`` or a bare file path — the embedded default (SQLite file);
* ``postgresql://user:password@host:5432/dbname`` — PostgreSQL, the production store.

From the URL this module derives the environment for eventsourcing's persistence module
and the SQLAlchemy URL that the read models use in the same database. Nothing here runs at
import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import unquote, urlsplit

from hgkm_workflow.errors import StoreConfigurationError

DEFAULT_SQLITE_FILE = "hgkm.db"
ENV_VAR = "HGKM_DATABASE_URL"


class StoreKind(StrEnum):
    """Which database backs the store."""

    SQLITE = "sqlite"
    POSTGRES = "postgres"


@dataclass(frozen=True)
class StoreConfig:
    """A parsed store URL."""

    kind: StoreKind
    url: str
    eventsourcing_env: dict[str, str] = field(default_factory=dict)
    sqlalchemy_url: str = ""
    sqlite_path: Path | None = None

    def redacted(self) -> str:
        """The URL with any password replaced, safe to print."""
        parts = urlsplit(self.url)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            return parts._replace(netloc=netloc).geturl()
        return self.url


def default_url() -> str:
    """The store URL from ``HGKM_DATABASE_URL``, else the SQLite file ``hgkm.db`` here."""
    return os.environ.get(ENV_VAR) or f"sqlite:///{DEFAULT_SQLITE_FILE}"


def parse_store_url(url: str | None = None) -> StoreConfig:
    """Parse a store URL (or the default) into a :class:`StoreConfig`."""
    raw = url if url else default_url()
    if raw.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return _parse_postgres(raw)
    if raw.startswith("sqlite://"):
        path_part = raw[len("sqlite:///") :] if raw.startswith("sqlite:///") else ""
        if not path_part or path_part.startswith(":memory:"):
            raise StoreConfigurationError(
                "in-memory SQLite cannot be shared by events and read models; use a file"
            )
        return _sqlite(Path(path_part))
    if "://" in raw:
        raise StoreConfigurationError("unsupported store URL scheme; use sqlite:/// or postgresql://")
    return _sqlite(Path(raw))


def _sqlite(path: Path) -> StoreConfig:
    path = path.expanduser().resolve()
    return StoreConfig(
        kind=StoreKind.SQLITE,
        url=f"sqlite:///{path}",
        eventsourcing_env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": "30",
        },
        sqlalchemy_url=f"sqlite:///{path}",
        sqlite_path=path,
    )


def _parse_postgres(raw: str) -> StoreConfig:
    parts = urlsplit(raw)
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        raise StoreConfigurationError("PostgreSQL URL needs a database name")
    host = parts.hostname or "localhost"
    port = str(parts.port or 5432)
    user = unquote(parts.username or "postgres")
    password = unquote(parts.password or "")
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": port,
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": password,
        "POSTGRES_POOL_SIZE": "5",
        "POSTGRES_MAX_OVERFLOW": "10",
        "POSTGRES_LOCK_TIMEOUT": "5",
    }
    auth = user if not password else f"{user}:{parts.password}"
    sa_url = f"postgresql+psycopg://{auth}@{host}:{port}/{parts.path.lstrip('/')}"
    return StoreConfig(
        kind=StoreKind.POSTGRES,
        url=raw,
        eventsourcing_env=env,
        sqlalchemy_url=sa_url,
    )
