"""Fixtures: every store-backed test runs against SQLite and PostgreSQL.

PostgreSQL is used when it answers (``bash .ci/start-postgres.sh`` starts a local server); CI
sets ``HGKM_REQUIRE_POSTGRES=1`` so a missing server fails instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from tests.support import fresh_pg_database, require_postgres

#: The person register is locked without a key-encryption key (docs/security.md). Tests (and
#: the CLI processes they start) use this fixed, obviously fake key; tests/security set their
#: own keys explicitly.
os.environ.setdefault("HGKM_REGISTER_KEK", "aGdrbS10ZXN0LXJlZ2lzdGVyLWtlay1ub3QtcmVhbCE=")


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hgkm.db'}"
        return
    require_postgres()
    with fresh_pg_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite store (for tests that are about the domain, not the backend)."""
    return f"sqlite:///{tmp_path / 'hgkm.db'}"


@pytest.fixture
def clock() -> SettableClock:
    """A clock standing on Monday 2 March 2026, 09:00 UTC (10:00 in Amsterdam)."""
    return SettableClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def make_app(clock: SettableClock) -> Iterator[Callable[..., HgkmApplication]]:
    """Factory for applications that are closed after the test."""
    apps: list[HgkmApplication] = []

    def make(url: str, **kwargs: Any) -> HgkmApplication:
        kwargs.setdefault("clock", clock)
        app = HgkmApplication(url, **kwargs)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()
    from hgkm_workflow.projections import dispose_engines

    dispose_engines()


@pytest.fixture
def app(make_app: Callable[..., HgkmApplication], store_url: str) -> HgkmApplication:
    """An application on a fresh store of each backend."""
    return make_app(store_url)


@pytest.fixture
def sqlite_app(make_app: Callable[..., HgkmApplication], sqlite_url: str) -> HgkmApplication:
    """An application on a fresh SQLite store."""
    return make_app(sqlite_url)
