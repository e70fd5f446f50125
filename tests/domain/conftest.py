"""Domain tests run without a database: opening one here is an error."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def no_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test of the domain that tries to open SQLite, PostgreSQL or an engine."""
    import sqlite3

    import psycopg
    import sqlalchemy

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a domain test opened a database")

    monkeypatch.setattr(sqlite3, "connect", refuse)
    monkeypatch.setattr(psycopg, "connect", refuse)
    monkeypatch.setattr(sqlalchemy, "create_engine", refuse)
