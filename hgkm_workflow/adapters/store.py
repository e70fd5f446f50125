"""One setting selects the store.

A store URL names where the events and the read models live:

* ``sqlite:///hgkm.db`` or a bare file path — the embedded default (SQLite file);
* ``postgresql://user:password@host:5432/dbname`` — PostgreSQL, the production store.
  Query parameters are libpq connection parameters and are kept: ``?sslmode=verify-full&
  sslrootcert=/etc/ca.pem&connect_timeout=5`` reach both psycopg connection pools (the event
  store's, through :class:`~hgkm_workflow.adapters.pgfactory.HgkmPostgresFactory`, and the
  read models' SQLAlchemy engine). Without ``connect_timeout`` a short default
  (:data:`DEFAULT_CONNECT_TIMEOUT` seconds) applies, so a dead server fails fast.

From the URL this module derives the environment for eventsourcing's persistence module
and the SQLAlchemy URL that the read models use in the same database. Nothing here runs at
import time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from hgkm_workflow.errors import StoreConfigurationError
from hgkm_workflow.settings import database_url_from_env

DEFAULT_SQLITE_FILE = "hgkm.db"
ENV_VAR = "HGKM_DATABASE_URL"
#: Seconds libpq waits for a PostgreSQL connection unless the URL says ``connect_timeout``.
DEFAULT_CONNECT_TIMEOUT = 5
#: The eventsourcing setting that carries the URL's libpq parameters (JSON) to the factory.
POSTGRES_PARAMS_ENV = "HGKM_POSTGRES_PARAMS"
POSTGRES_FACTORY_TOPIC = "hgkm_workflow.adapters.pgfactory:HgkmPostgresFactory"
#: libpq parameters a store URL may carry (anything else is refused, never silently dropped).
LIBPQ_PARAMETERS = frozenset({
    "sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "sslcrl", "sslcrldir",
    "sslsni", "sslnegotiation", "sslcompression", "ssl_min_protocol_version",
    "ssl_max_protocol_version", "requirepeer", "channel_binding", "gssencmode", "krbsrvname",
    "gsslib", "connect_timeout", "application_name", "target_session_attrs", "options",
    "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
    "tcp_user_timeout", "load_balance_hosts", "hostaddr", "passfile", "service",
})


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
    return database_url_from_env() or f"sqlite:///{DEFAULT_SQLITE_FILE}"


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
    params = _libpq_params(parts.query)
    env = {
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": port,
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": password,
        "POSTGRES_POOL_SIZE": "5",
        "POSTGRES_MAX_OVERFLOW": "10",
        "POSTGRES_LOCK_TIMEOUT": "5",
        "POSTGRES_CONNECT_TIMEOUT": params["connect_timeout"],
        POSTGRES_PARAMS_ENV: json.dumps(params, sort_keys=True),
        "PERSISTENCE_MODULE": POSTGRES_FACTORY_TOPIC,
    }
    auth = user if not password else f"{user}:{parts.password}"
    query = urlencode(sorted(params.items()), quote_via=quote)
    sa_url = f"postgresql+psycopg://{auth}@{host}:{port}/{parts.path.lstrip('/')}?{query}"
    return StoreConfig(
        kind=StoreKind.POSTGRES,
        url=raw,
        eventsourcing_env=env,
        sqlalchemy_url=sa_url,
    )


def _libpq_params(query: str) -> dict[str, str]:
    """The URL's libpq parameters, with a short default ``connect_timeout``.

    Raises:
        StoreConfigurationError: For an unknown parameter, a repeated one, or a
            ``connect_timeout`` that is not a whole number of seconds from 1 to 300.
    """
    params: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True, strict_parsing=False):
        if name not in LIBPQ_PARAMETERS:
            raise StoreConfigurationError(
                "unknown PostgreSQL URL parameter (allowed: libpq connection parameters "
                "such as sslmode, sslrootcert, connect_timeout)", rule="store URL")
        if name in params:
            raise StoreConfigurationError("a PostgreSQL URL parameter is repeated",
                                          rule="store URL")
        params[name] = value
    timeout = params.setdefault("connect_timeout", str(DEFAULT_CONNECT_TIMEOUT))
    if not timeout.isdigit() or not 1 <= int(timeout) <= 300:
        raise StoreConfigurationError("connect_timeout must be whole seconds from 1 to 300",
                                      rule="store URL")
    return params
