"""Point 10: the SQLite store, its side files, anchors and private files are mode 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import sqlalchemy as sa

from hgkm_workflow.adapters.files import open_private, write_private_text
from hgkm_workflow.adapters.store import parse_store_url
from hgkm_workflow.projections import make_engine


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_store_and_its_wal_are_0600_even_with_a_permissive_umask(
        tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        config = parse_store_url(f"sqlite:///{tmp_path / 'hgkm.db'}")
        engine = make_engine(config)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
            conn.execute(sa.text("INSERT INTO t VALUES (1)"))
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        files = [tmp_path / n for n in ("hgkm.db", "hgkm.db-wal", "hgkm.db-shm")]
        assert all(f.exists() for f in files)
        assert [_mode(f) for f in files] == [0o600] * 3
        engine.dispose()
    finally:
        os.umask(old)


def test_a_store_created_world_readable_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "hgkm.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    engine = make_engine(parse_store_url(f"sqlite:///{path}"))
    with engine.connect():
        pass
    engine.dispose()
    assert _mode(path) == 0o600


def test_private_writers_create_0600(tmp_path: Path) -> None:
    old = os.umask(0o000)
    try:
        write_private_text(tmp_path / "anchor.json", "{}")
        with open_private(tmp_path / "export.jsonl") as handle:
            handle.write("{}\n")
        assert _mode(tmp_path / "anchor.json") == 0o600
        assert _mode(tmp_path / "export.jsonl") == 0o600
    finally:
        os.umask(old)
