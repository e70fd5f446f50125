"""The fold path's plumbing: bulk writes store what SQLAlchemy stores; the collector pause.

``execute_many`` bypasses SQLAlchemy's per-row parameter processing, so it must give the same
rows (same stored text on SQLite, same values on PostgreSQL) for every column type the read
models use, and the same errors; SQLite's datetime text is made by ``isoformat`` for naive
datetimes and must equal SQLAlchemy's for every instant.
"""

from __future__ import annotations

import gc
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.sqlite import DATETIME

from hgkm_workflow.adapters.store import parse_store_url
from hgkm_workflow.projections.engine import engine_for, write_connection
from hgkm_workflow.projections.fold_io import _sqlite_datetime, collector_paused, execute_many

_DIALECT = sqlite.dialect()
_IMPL = DATETIME()
_SA = _IMPL.bind_processor(_DIALECT)
_FAST = _sqlite_datetime(_IMPL, _SA)  # type: ignore[arg-type]


@settings(max_examples=2000)
@given(value=st.datetimes() | st.dates() | st.none()
       | st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))])))
def test_sqlite_datetime_text_is_sqlalchemys(value: Any) -> None:
    assert _FAST(value) == _SA(value)  # type: ignore[misc]


def test_a_value_sqlite_datetime_refuses_is_refused_alike() -> None:
    with pytest.raises(TypeError):
        _FAST("2024-01-01")


def _tables(metadata: sa.MetaData, name: str) -> sa.Table:
    return sa.Table(
        name, metadata,
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("n", sa.Integer, nullable=True),
        sa.Column("big", sa.BigInteger, nullable=True),
        sa.Column("flag", sa.Boolean, nullable=True),
        sa.Column("day", sa.Date, nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("naive", sa.DateTime, nullable=True),
        sa.Column("x", sa.Float, nullable=True),
        sa.Column("text", sa.Text, nullable=True),
    )


_ROW = st.fixed_dictionaries({
    "n": st.none() | st.integers(-2**31, 2**31 - 1),
    "big": st.none() | st.integers(-2**63, 2**63 - 1),
    "flag": st.none() | st.booleans(),
    "day": st.none() | st.dates(min_value=date(1900, 1, 1)),
    "at": st.none() | st.datetimes(min_value=datetime(1900, 1, 1), timezones=st.just(UTC)),
    "naive": st.none() | st.datetimes(min_value=datetime(1900, 1, 1)),
    "x": st.none() | st.floats(allow_nan=False, allow_infinity=False, width=32),
    "text": st.none() | st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                                        blacklist_characters="\x00")),
})


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=st.lists(_ROW, min_size=1, max_size=40))
def test_bulk_writes_store_exactly_what_sqlalchemy_stores(
        store_url: str, generated: list[dict[str, Any]]) -> None:
    engine = engine_for(parse_store_url(store_url))
    metadata = sa.MetaData()
    suffix = uuid4().hex[:8]
    by_sa = _tables(metadata, f"rm_t_sa_{suffix}")
    by_driver = _tables(metadata, f"rm_t_driver_{suffix}")
    with write_connection(engine) as conn:
        metadata.create_all(conn)
    rows = [{"id": f"r{i:03d}", **r} for i, r in enumerate(generated)]
    changed = [{**r, "n": (r["n"] or 0) // 2, "text": "changed"} for r in rows[::3]]
    update = {t: t.update().where(t.c.id == sa.bindparam("k_id")).values(
        {c.name: sa.bindparam(f"v_{c.name}") for c in t.columns if c.name != "id"})
        for t in (by_sa, by_driver)}
    keys = {f"k_{c}": c for c in rows[0]} | {f"v_{c}": c for c in rows[0]}
    with write_connection(engine) as conn:
        conn.execute(by_sa.insert(), rows)
        conn.execute(update[by_sa], [{k: r[c] for k, c in keys.items()} for r in changed])
        execute_many(conn, by_driver.insert(), rows)
        execute_many(conn, update[by_driver], changed, row_keys=keys)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":  # the stored text itself, not parsed values
            raw = [conn.exec_driver_sql(f"SELECT * FROM {t.name} ORDER BY id").all()
                   for t in (by_sa, by_driver)]
        else:
            raw = [conn.execute(sa.select(t).order_by(t.c.id)).all() for t in (by_sa, by_driver)]
    assert len(raw[0]) == len(rows)
    assert raw[0] == raw[1]
    with write_connection(engine) as conn:
        metadata.drop_all(conn)


def test_a_refused_bulk_insert_raises_sqlalchemys_integrity_error(store_url: str) -> None:
    engine = engine_for(parse_store_url(store_url))
    metadata = sa.MetaData()
    table = _tables(metadata, "rm_t_dup")
    with write_connection(engine) as conn:
        metadata.create_all(conn)
    row = {c.name: None for c in table.columns} | {"id": "same"}
    with pytest.raises(sa.exc.IntegrityError), write_connection(engine) as conn:
        execute_many(conn, table.insert(), [row, dict(row)])
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0


def test_the_collector_is_paused_inside_and_restored_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the caller's choice is kept
    finally:
        gc.enable()
