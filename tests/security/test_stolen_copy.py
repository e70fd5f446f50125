"""Issue 12, done-when: a copy of the application's database alone decrypts nothing.

The attacker of the issue: with the raw SQLite files (main file and WAL) of a store the
application used — events, read models, access log, register — try every 32-byte window of
every file as a key on every register entry. Before key wrapping this recovered every
person in a fraction of a second.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

from hgkm_workflow.application import HgkmApplication
from tests.security.helpers import FAKE, FAKE_NEEDLES, opens_with_any_window, raw_bytes


def test_the_raw_sqlite_files_of_an_application_store_open_no_register_entry(
        make_app: Callable[..., HgkmApplication], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hgkm.db'}"
    app = make_app(url)
    ids = [app.persons.register(FAKE) for _ in range(2)]
    assert all(app.persons.get(i) == FAKE for i in ids)
    raw = raw_bytes(url)
    stolen = tmp_path / "stolen.db"
    shutil.copy(tmp_path / "hgkm.db", stolen)
    if (tmp_path / "hgkm.db-wal").exists():
        shutil.copy(tmp_path / "hgkm.db-wal", f"{stolen}-wal")
    with sqlite3.connect(stolen) as conn:
        entries = conn.execute(
            "SELECT person_id, nonce, ciphertext FROM person_register_details").fetchall()
    assert len(entries) == 2 and not any(n in raw for n in FAKE_NEEDLES)
    for pid, nonce, ciphertext in entries[:1]:  # one is enough (and the scan is slow)
        assert not opens_with_any_window(raw, bytes(nonce), bytes(ciphertext), pid.encode())
