"""The ``hgkm`` pytest plugin (entry point ``pytest11``): fixtures for a host's own tests.

* ``hgkm_clock``: a :class:`~hgkm_workflow.clock.SettableClock` on Monday 2 March 2026,
  09:00 UTC;
* ``hgkm_store_url``: a fresh store per test — a SQLite file under ``tmp_path``, or, with
  ``--hgkm-postgres-url URL`` (or the ini option ``hgkm_postgres_url``; from the environment
  through ``PYTEST_ADDOPTS``), a new database on that PostgreSQL server, dropped afterwards;
* ``hgkm_app``: an :class:`~hgkm_workflow.application.HgkmApplication` on that store with the
  clock and a person-register key of its own, closed after the test;
* ``hgkm_actors``: typical actors per role (:mod:`hgkm_workflow.testing.actors`);
* ``run_hgkm_scenario(path)``: runs a scenario file (straight and reloaded, on a temporary
  store of its own unless ``store_url=`` is given) and fails the test with its failures.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hgkm_workflow.clock import SettableClock
from hgkm_workflow.testing.actors import Actors, default_actors

__all__ = ["hgkm_actors", "hgkm_app", "hgkm_clock", "hgkm_store_url", "pytest_addoption",
           "run_hgkm_scenario"]

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--hgkm-postgres-url`` and the ini option ``hgkm_postgres_url``."""
    group = parser.getgroup("hgkm", "hgkm_workflow fixtures")
    group.addoption("--hgkm-postgres-url", dest="hgkm_postgres_url", default=None,
                    help="Run hgkm_app on a fresh database per test on this PostgreSQL server "
                         "(default: a SQLite file per test)")
    parser.addini("hgkm_postgres_url", "PostgreSQL server for hgkm_app (see "
                  "--hgkm-postgres-url)", default="")


def _postgres_url(config: pytest.Config) -> str | None:
    value = config.getoption("hgkm_postgres_url") or config.getini("hgkm_postgres_url")
    return str(value) if value else None


def _fresh_database(server_url: str) -> Iterator[str]:
    import psycopg
    import sqlalchemy as sa

    url = sa.make_url(server_url)
    name = f"hgkm_plugin_{uuid.uuid4().hex[:12]}"
    admin = url.set(drivername="postgresql", database="postgres")
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        from hgkm_workflow.projections import dispose_engines

        dispose_engines()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def hgkm_clock() -> SettableClock:
    """A settable clock on Monday 2 March 2026, 09:00 UTC (10:00 in Amsterdam)."""
    return SettableClock(START)


@pytest.fixture
def hgkm_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store URL: SQLite under ``tmp_path``, or a new PostgreSQL database."""
    server = _postgres_url(request.config)
    if server is None:
        yield f"sqlite:///{tmp_path / 'hgkm.db'}"
        return
    yield from _fresh_database(server)


@pytest.fixture
def hgkm_app(hgkm_store_url: str, hgkm_clock: SettableClock) -> Iterator[Any]:
    """An application on the fresh store, deciding with ``hgkm_clock``; closed afterwards."""
    from hgkm_workflow.adapters.keys import LocalKeyStore, generate_kek, kek_from_text
    from hgkm_workflow.application import HgkmApplication

    app = HgkmApplication(hgkm_store_url, clock=hgkm_clock,
                          register_keys=LocalKeyStore(kek_from_text(generate_kek())))
    try:
        yield app
    finally:
        app.close()
        from hgkm_workflow.projections import dispose_engines

        dispose_engines()


@pytest.fixture
def hgkm_actors() -> Actors:
    """Typical actors per role of ``rotterdam-rijnmond``, matching the shipped policies."""
    return default_actors()


@pytest.fixture
def run_hgkm_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``run_hgkm_scenario(path, store_url=None)``: run a scenario file; fail on its failures.

    Without ``store_url`` the scenario's temporary store (with a register key of its own) is
    made under ``tmp_path``. Returns the :class:`~hgkm_workflow.scenario.ScenarioResult` when
    every expectation holds.
    """
    import tempfile

    from hgkm_workflow.scenario import ScenarioFileError, run_scenario

    def run(path: str | Path, *, store_url: str | None = None) -> Any:
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        try:
            result = run_scenario(Path(path), store_url)
        except ScenarioFileError as exc:
            pytest.fail(f"{path}: not a valid scenario: {exc.message}", pytrace=False)
        if not result.ok:
            pytest.fail(result.report(), pytrace=False)
        return result

    return run
