"""The bulk import path (PostgreSQL COPY, SQLite executemany) against the per-event path.

Both paths import the same export into fresh stores of the same backend; the stored-events
tables must be identical row for row (notification id, originator id and version, topic,
state bytes), and so must the rebuilt read models. A bad line or a duplicate still refuses
the import and stores nothing.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hgkm_workflow.adapters.bulk_insert import bulk_insert, bulk_kind
from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.audit import verify
from hgkm_workflow.audit.exchange import ExchangeError, export_jsonl, import_jsonl
from hgkm_workflow.audit.positions import load_origins
from hgkm_workflow.clock import SettableClock
from tests.e2e.test_exchange import _fill, _rm_rows
from tests.support import READ, fresh_pg_database


@contextmanager
def _sibling(store_url: str, tmp_path: Path, name: str) -> Iterator[str]:
    """Another fresh, empty store of the same backend as ``store_url``."""
    if store_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / f'{name}.db'}"
        return
    with fresh_pg_database() as url:
        yield url


def _stored_rows(app: HgkmApplication) -> list[tuple[Any, ...]]:
    """The stored-events table as the recorder reads it (notification order, raw bytes)."""
    rows = []
    start = 0
    while batch := app.recorder.select_notifications(start=start, limit=1000,
                                                     inclusive_of_start=False):
        rows += [(n.id, str(n.originator_id), n.originator_version, n.topic, bytes(n.state))
                 for n in batch]
        start = batch[-1].id
    return rows


def _export(app: HgkmApplication) -> str:
    buffer = io.StringIO()
    export_jsonl(app, buffer, access=READ)
    return buffer.getvalue()


def test_bulk_and_per_event_imports_store_identical_rows_and_views(
    app: HgkmApplication, make_app: Callable[..., HgkmApplication], clock: SettableClock,
    store_url: str, tmp_path: Path,
) -> None:
    _fill(app, clock)
    text = _export(app)
    with _sibling(store_url, tmp_path, "old") as old_url, \
            _sibling(store_url, tmp_path, "new") as new_url:
        old, new = make_app(old_url), make_app(new_url)
        assert bulk_kind(new.recorder) == ("copy" if store_url.startswith("postgres")
                                           else "executemany")
        per_event = import_jsonl(old, io.StringIO(text), bulk=False)
        bulk = import_jsonl(new, io.StringIO(text), bulk=True)
        assert bulk == per_event and bulk.events == len(text.splitlines())
        rows = _stored_rows(new)
        assert rows == _stored_rows(old)
        assert [r[0] for r in rows] == list(range(1, len(rows) + 1))  # ids as the recorder's
        assert _rm_rows(new) == _rm_rows(old) == _rm_rows(app)
        new.projections.rebuild()
        assert _rm_rows(new) == _rm_rows(old)
        assert load_origins(new.engine) == load_origins(old.engine)
        assert verify(new, access=READ).ok
        assert _export(new) == _export(old)


def test_a_bad_line_refuses_the_bulk_import_and_stores_nothing(
    app: HgkmApplication, make_app: Callable[..., HgkmApplication], clock: SettableClock,
    store_url: str, tmp_path: Path,
) -> None:
    _fill(app, clock)
    lines = _export(app).splitlines()
    broken = json.loads(lines[-1])
    broken["topic"] = "hgkm_workflow.case:HouseholdCase.NoSuchEvent"
    bad = [*lines[:-1], json.dumps(broken)]
    with _sibling(store_url, tmp_path, "target") as url:
        target = make_app(url)
        with pytest.raises(ExchangeError) as info:
            import_jsonl(target, io.StringIO("\n".join(bad)), bulk=True)
        assert f"line {len(lines)}" in info.value.message
        assert not target.recorder.max_notification_id()
        assert load_origins(target.engine) == {}
        import_jsonl(target, io.StringIO("\n".join(lines)), bulk=True)  # the corrected file
        assert len(_stored_rows(target)) == len(lines)


def test_bulk_insert_is_all_or_nothing_on_a_duplicate(
    app: HgkmApplication, make_app: Callable[..., HgkmApplication], clock: SettableClock,
    store_url: str, tmp_path: Path,
) -> None:
    _fill(app, clock)
    events = [app.mapper.to_stored_event(app.mapper.to_domain_event(n))
              for n in app.recorder.select_notifications(start=None, limit=10_000)]
    with _sibling(store_url, tmp_path, "dup") as url:
        target = make_app(url)
        from eventsourcing.persistence import IntegrityError

        with pytest.raises(IntegrityError):
            bulk_insert(target.recorder, [*events, events[3]])
        assert not target.recorder.max_notification_id()
        assert bulk_insert(target.recorder, events) == len(events)
        assert target.recorder.max_notification_id() == len(events)


def test_bulk_insert_refuses_a_store_another_writer_filled(
    app: HgkmApplication, make_app: Callable[..., HgkmApplication], clock: SettableClock,
    store_url: str, tmp_path: Path,
) -> None:
    # The import checks the store empty before it reads the file; a writer that records an
    # event of another aggregate meanwhile (no duplicate key) must still fail the insert.
    from eventsourcing.persistence import IntegrityError

    from hgkm_workflow.audit.exchange import StoreNotEmpty

    _fill(app, clock)
    text = _export(app)
    events = [app.mapper.to_stored_event(app.mapper.to_domain_event(n))
              for n in app.recorder.select_notifications(start=None, limit=10_000)]
    with _sibling(store_url, tmp_path, "raced") as url:
        target = make_app(url)
        target.recorder.insert_events(events[:1])  # the other writer
        with pytest.raises(IntegrityError):
            bulk_insert(target.recorder, events[1:])
        assert target.recorder.max_notification_id() == 1  # nothing of the bulk stored
        with pytest.raises(StoreNotEmpty):
            import_jsonl(target, io.StringIO(text), bulk=True)
        assert target.recorder.max_notification_id() == 1


def test_an_import_forgets_the_texts_it_screened(
    app: HgkmApplication, make_app: Callable[..., HgkmApplication], clock: SettableClock,
    store_url: str, tmp_path: Path,
) -> None:
    from hgkm_workflow.audit import import_checks

    _fill(app, clock)
    text = _export(app)
    with _sibling(store_url, tmp_path, "forget") as url:
        import_jsonl(make_app(url), io.StringIO(text), bulk=True)
    assert import_checks._identifying.cache_info().currsize == 0
    assert import_checks._code_refusal.cache_info().currsize == 0


def test_bulk_import_wakes_a_listener(app: HgkmApplication,
                                      make_app: Callable[..., HgkmApplication],
                                      clock: SettableClock, store_url: str,
                                      tmp_path: Path) -> None:
    """On PostgreSQL the COPY transaction NOTIFYs the recorder's channel, as inserts do."""
    if not store_url.startswith("postgres"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    import psycopg
    from psycopg import sql

    _fill(app, clock)
    text = _export(app)
    with _sibling(store_url, tmp_path, "listened") as url:
        target = make_app(url)
        channel = target.recorder.channel_name  # type: ignore[attr-defined]
        pg_url = sa.make_url(url).set(drivername="postgresql")
        with psycopg.connect(pg_url.render_as_string(hide_password=False),
                             autocommit=True) as pg:
            pg.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            import_jsonl(target, io.StringIO(text), bulk=True)
            got = list(pg.notifies(timeout=5, stop_after=1))
        assert [n.channel for n in got] == [channel]


def test_cli_import_per_event_and_bulk_store_the_same_rows(
    sqlite_app: HgkmApplication, make_app: Callable[..., HgkmApplication],
    clock: SettableClock, tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from hgkm_workflow.cli import app as cli

    _fill(sqlite_app, clock)
    path = tmp_path / "events.jsonl"
    path.write_text(_export(sqlite_app), encoding="utf-8")
    urls = [f"sqlite:///{tmp_path / f'{name}.db'}" for name in ("bulk", "per-event")]
    runner = CliRunner()
    for url, extra in zip(urls, ([], ["--per-event"]), strict=True):
        done = runner.invoke(cli, ["import", "--jsonl", str(path), "--db", url, *extra])
        assert done.exit_code == 0, done.output
    bulk, per_event = (make_app(url) for url in urls)
    assert _stored_rows(bulk) == _stored_rows(per_event)
    assert len(_stored_rows(bulk)) == len(_stored_rows(sqlite_app))


def test_cli_follow_refuses_a_batch_below_one(sqlite_url: str) -> None:
    from typer.testing import CliRunner

    from hgkm_workflow.cli import app as cli

    out = CliRunner().invoke(cli, ["projections", "follow", "--db", sqlite_url,
                                   "--min-batch", "0"])
    assert out.exit_code == 2 and "--min-batch" in out.output
