"""The session-6 cuts of the rebuild's fold path give exactly the rows of the plain paths.

* ``persons_text`` builds the ``persons`` column of ``rm_case_facts`` without ``json.dumps``
  for plain ids and roles: it must be ``json.dumps``'s text for every input (hypothesis,
  any text, so the fallback is exercised as well as the direct path);
* ``TableBuffer.flush`` must store the rows SQLAlchemy stores, and in insertion order (on
  SQLite the rowid order, which readers without ``ORDER BY`` see — the golden export of the
  scenarios depends on it: inserting in key order, tried in session 6, changed it);
* ``execute_many``'s parameter builder (shared with the ``COPY`` path): a bind name that is
  not a plain identifier (quotes, spaces, backslashes) must reach the right column, and a
  value a bind processor refuses must be refused as before;
* ``insert_rows`` writes with ``COPY`` on PostgreSQL: the values stored must be those of
  SQLAlchemy's ``INSERT`` for every column type (and COPY's special characters), and a
  duplicate key must raise SQLAlchemy's ``IntegrityError`` (dead letters depend on it).
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from typing import Any
from uuid import uuid4

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hgkm_workflow.adapters.store import parse_store_url
from hgkm_workflow.projections.batch import TableBuffer
from hgkm_workflow.projections.engine import engine_for, write_connection
from hgkm_workflow.projections.fold_io import execute_many, insert_rows
from hgkm_workflow.projections.person_classify import persons_text
from tests.projections.test_fold_io import _ROW, _tables

_PLAIN = st.text(alphabet="abcdef0123456789-_.:ABZ", max_size=40)
_ANY = st.text(max_size=12)


@settings(max_examples=500)
@given(persons=st.lists(st.tuples(_PLAIN | _ANY, _PLAIN | _ANY), max_size=6))
def test_persons_text_is_json_dumps(persons: list[tuple[str, str]]) -> None:
    assert persons_text(tuple(persons)) == json.dumps([list(p) for p in persons])


def test_persons_text_of_uuids_takes_the_direct_path_and_equals_json_dumps() -> None:
    persons = tuple((str(uuid4()), role) for role in ("victim", "alleged_perpetrator", "child"))
    assert persons_text(persons) == json.dumps([list(p) for p in persons])


def _table(metadata: sa.MetaData, name: str) -> sa.Table:
    return sa.Table(
        name, metadata,
        sa.Column("case_id", sa.String(36), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=True),
        sa.Column("text", sa.Text, nullable=True),
        sa.Index(f"ix_{name}_at", "at"),
    )


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 60))
def test_flushed_rows_are_sqlalchemys_in_insertion_order(store_url: str, seed: int,
                                                         size: int) -> None:
    rng = random.Random(seed)
    rows = [{"case_id": str(uuid4()), "number": rng.randint(1, 3),
             "at": None if rng.random() < 0.2 else datetime(2024, 1, 1, rng.randint(0, 23),
                                                              microsecond=rng.randint(0, 999)),
             "text": rng.choice([None, "", "x", "ü"])} for _ in range(size)]
    engine = engine_for(parse_store_url(store_url))
    metadata = sa.MetaData()
    suffix = uuid4().hex[:8]
    plain, buffered = _table(metadata, f"rm_t_plain_{suffix}"), _table(metadata, f"rm_t_s_{suffix}")
    with write_connection(engine) as conn:
        metadata.create_all(conn)
    buffer = TableBuffer(buffered)
    for row in rows:
        buffer.insert(dict(row))
    with write_connection(engine) as conn:
        conn.execute(plain.insert(), rows)
        buffer.flush(conn)
    with engine.connect() as conn:
        stored = [conn.execute(sa.select(t).order_by(t.c.case_id, t.c.number)).all()
                  for t in (plain, buffered)]
        if engine.dialect.name == "sqlite":
            in_rowid_order = [conn.exec_driver_sql(f"SELECT case_id, number FROM {t.name} "
                                                   "ORDER BY rowid").all()
                              for t in (plain, buffered)]
    with write_connection(engine) as conn:
        metadata.drop_all(conn)
    assert len(stored[0]) == size
    assert stored[0] == stored[1]
    if engine.dialect.name == "sqlite":
        assert in_rowid_order[0] == in_rowid_order[1]
        assert [tuple(r) for r in in_rowid_order[1]] == [(r["case_id"], r["number"])
                                                        for r in rows]


def test_generated_parameters_follow_keys_that_are_not_identifiers(store_url: str) -> None:
    engine = engine_for(parse_store_url(store_url))
    metadata = sa.MetaData()
    table = sa.Table(f"rm_t_keys_{uuid4().hex[:8]}", metadata,
                     sa.Column("id", sa.String(8), primary_key=True),
                     sa.Column("a", sa.Text), sa.Column("b", sa.DateTime))
    odd = {"k": "id", "v'a\\ \"x": "a", "}{": "b"}  # bind name -> row key
    stmt = table.insert().values(id=sa.bindparam("k"), a=sa.bindparam("v'a\\ \"x"),
                                 b=sa.bindparam("}{"))
    with write_connection(engine) as conn:
        metadata.create_all(conn)
    at = datetime(2024, 2, 29, 13, 5, 7, 123)
    with write_connection(engine) as conn:
        execute_many(conn, stmt, [{"id": "r1", "a": "one", "b": at},
                                  {"id": "r2", "a": None, "b": None}], row_keys=odd)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(table).order_by(table.c.id)).all()
    with write_connection(engine) as conn:
        metadata.drop_all(conn)
    assert [tuple(r) for r in stored] == [("r1", "one", at), ("r2", None, None)]


def test_a_value_the_bind_processor_refuses_is_refused(store_url: str) -> None:
    engine = engine_for(parse_store_url(store_url))
    metadata = sa.MetaData()
    table = sa.Table(f"rm_t_refuse_{uuid4().hex[:8]}", metadata,
                     sa.Column("id", sa.String(8), primary_key=True),
                     sa.Column("b", sa.DateTime))
    with write_connection(engine) as conn:
        metadata.create_all(conn)
    bad: Any = "2024-01-01"  # text, not a datetime
    try:
        if engine.dialect.name == "sqlite":  # SQLAlchemy's SQLite processor refuses text
            with pytest.raises(TypeError), write_connection(engine) as conn:
                execute_many(conn, table.insert(), [{"id": "r1", "b": bad}])
            with engine.connect() as conn:
                assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0
    finally:
        with write_connection(engine) as conn:
            metadata.drop_all(conn)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=st.lists(_ROW, min_size=1, max_size=40))
def test_insert_rows_stores_exactly_what_sqlalchemy_stores(
        store_url: str, generated: list[dict[str, Any]]) -> None:
    """``COPY`` on PostgreSQL (``executemany`` on SQLite): the same values, every type."""
    engine = engine_for(parse_store_url(store_url))
    metadata = sa.MetaData()
    suffix = uuid4().hex[:8]
    by_sa, by_copy = _tables(metadata, f"rm_t_sa_{suffix}"), _tables(metadata, f"rm_t_cp_{suffix}")
    with write_connection(engine) as conn:
        metadata.create_all(conn)
    rows = [{"id": f"r{i:03d}", **r} for i, r in enumerate(generated)]
    rows[0]["text"] = "tab\tnew\nline \\N back\\slash \"q\" 'q' é"  # COPY's special characters
    statements: list[str] = []

    def log(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with write_connection(engine) as conn:
        conn.execute(by_sa.insert(), rows)
        sa.event.listen(engine, "before_cursor_execute", log)
        try:
            insert_rows(conn, by_copy, rows)
        finally:
            sa.event.remove(engine, "before_cursor_execute", log)
    # PostgreSQL: COPY, not one INSERT per row through the cursor
    assert bool(statements) == (engine.dialect.name == "sqlite")
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":  # the stored text itself, not parsed values
            raw = [conn.exec_driver_sql(f"SELECT * FROM {t.name} ORDER BY id").all()
                   for t in (by_sa, by_copy)]
        else:
            raw = [conn.execute(sa.select(t).order_by(t.c.id)).all() for t in (by_sa, by_copy)]
    with write_connection(engine) as conn:
        metadata.drop_all(conn)
    assert len(raw[0]) == len(rows)
    assert raw[0] == raw[1]


def test_a_duplicate_row_raises_sqlalchemys_integrity_error_and_stores_nothing(
        store_url: str) -> None:
    engine = engine_for(parse_store_url(store_url))
    metadata = sa.MetaData()
    table = _tables(metadata, f"rm_t_dup_{uuid4().hex[:8]}")
    with write_connection(engine) as conn:
        metadata.create_all(conn)
    row = {c.name: None for c in table.columns} | {"id": "same"}
    try:
        with write_connection(engine) as conn:
            with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
                insert_rows(conn, table, [row, dict(row)])
            insert_rows(conn, table, [row | {"id": "other"}])  # the batch goes on
        with engine.connect() as conn:
            ids = conn.execute(sa.select(table.c.id)).scalars().all()
        assert ids == ["other"]
    finally:
        with write_connection(engine) as conn:
            metadata.drop_all(conn)
