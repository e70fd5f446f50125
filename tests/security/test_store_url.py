"""Point 7: a store URL's libpq parameters reach both connection pools; a short timeout."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from eventsourcing.persistence import PersistenceError
from eventsourcing.utils import Environment

from hgkm_workflow.adapters.pgfactory import HgkmPostgresFactory
from hgkm_workflow.adapters.store import DEFAULT_CONNECT_TIMEOUT, parse_store_url
from hgkm_workflow.errors import StoreConfigurationError
from hgkm_workflow.projections import make_engine
from tests.support import pg_admin_url, pg_available

URL = "postgresql://hgkm:secret@db.example:5433/hgkm?sslmode=require&connect_timeout=7"


def test_query_parameters_reach_the_eventsourcing_env_and_the_sqlalchemy_url() -> None:
    config = parse_store_url(URL)
    assert config.eventsourcing_env["POSTGRES_CONNECT_TIMEOUT"] == "7"
    assert '"sslmode": "require"' in config.eventsourcing_env["HGKM_POSTGRES_PARAMS"]
    url = sa.make_url(config.sqlalchemy_url)
    assert url.query == {"connect_timeout": "7", "sslmode": "require"}
    factory = HgkmPostgresFactory(Environment("HgkmApplication", config.eventsourcing_env))
    try:
        kwargs = factory.datastore.pool.kwargs
        assert isinstance(kwargs, dict)
        assert kwargs["sslmode"] == "require" and kwargs["connect_timeout"] == "7"
    finally:
        factory.close()


def test_a_default_connect_timeout_and_unknown_parameters_refused() -> None:
    config = parse_store_url("postgresql://hgkm@db.example/hgkm")
    assert sa.make_url(config.sqlalchemy_url).query == {
        "connect_timeout": str(DEFAULT_CONNECT_TIMEOUT)}
    for bad in ("?sslmod=require", "?connect_timeout=0", "?connect_timeout=x",
                "?sslmode=require&sslmode=disable"):
        with pytest.raises(StoreConfigurationError):
            parse_store_url(f"postgresql://hgkm@db.example/hgkm{bad}")


@pytest.mark.skipif(not pg_available(), reason="PostgreSQL not reachable")
def test_sslmode_require_is_enforced_on_both_pools() -> None:
    """The test server speaks no TLS: with sslmode=require neither pool may connect."""
    admin = sa.make_url(pg_admin_url())
    plain = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    config = parse_store_url(f"{plain}?sslmode=require&connect_timeout=2")
    engine = make_engine(config)
    try:
        with pytest.raises(sa.exc.OperationalError), engine.connect():
            pass
    finally:
        engine.dispose()
    factory = HgkmPostgresFactory(Environment("HgkmApplication", {
        **config.eventsourcing_env, "POSTGRES_CONNECT_TIMEOUT": "2"}))
    try:
        with pytest.raises(PersistenceError), factory.datastore.get_connection():
            pass
    finally:
        factory.close()
    control = HgkmPostgresFactory(Environment("HgkmApplication", parse_store_url(
        f"{plain}?sslmode=disable").eventsourcing_env))
    try:
        with control.datastore.get_connection() as conn:
            assert conn.execute("SELECT 1").fetchone() is not None
    finally:
        control.close()
    ok = make_engine(parse_store_url(f"{plain}?sslmode=disable"))  # control: plain works
    try:
        with ok.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        ok.dispose()
