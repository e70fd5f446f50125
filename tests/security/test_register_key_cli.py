"""``hgkm keygen --register`` and ``hgkm rotate-register-key``: authorised, all or nothing."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from hgkm_workflow.adapters.keys import RegisterKeyUnavailable, kek_from_text
from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.cli import app as cli
from hgkm_workflow.clock import SettableClock
from tests.security.helpers import FAKE, FAKE_NEEDLES, kek, register


def _keygen(tmp_path: Path, name: str) -> tuple[Path, str]:
    path = tmp_path / name
    result = CliRunner().invoke(cli, ["keygen", "--register", "--out", str(path)])
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="ascii").strip()
    assert len(base64.b64decode(text)) == 32
    assert path.stat().st_mode & 0o777 == 0o600
    return path, text


def _refusals(app: HgkmApplication) -> list[tuple[Any, ...]]:
    with app.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT actor_id, verdict FROM hgkm_access_log WHERE resource = 'command' "
            "ORDER BY seq"))]


def test_the_cli_rotates_the_register_kek_only_for_an_authorised_operator(
    make_app: Callable[..., HgkmApplication], store_url: str, tmp_path: Path
) -> None:
    make_app(store_url).close()  # an initialised store with its access log
    old_path, old_text = _keygen(tmp_path, "old.kek")
    new_path, new_text = _keygen(tmp_path, "new.kek")
    assert old_text != new_text
    engine, persons = register(store_url, kek_from_text(old_text))
    try:
        ids = [persons.register(FAKE) for _ in range(2)]
    finally:
        engine.dispose()
    args = ["rotate-register-key", "--db", store_url, "--old-kek-file", str(old_path),
            "--new-kek-file", str(new_path)]

    refused = CliRunner().invoke(cli, [*args, "--actor", "vt-017", "--organisation",
                                       "vt-rotterdam-rijnmond", "--role", "vt_medewerker"])
    assert refused.exit_code == 1 and "NOT_AUTHORISED" in refused.output
    engine, still_old = register(store_url, kek_from_text(old_text))
    try:  # nothing re-wrapped: the old KEK still opens every entry
        assert [still_old.get(i) for i in ids] == [FAKE, FAKE]
    finally:
        engine.dispose()

    wrong = CliRunner().invoke(cli, ["rotate-register-key", "--db", store_url,
                                     "--old-kek-file", str(new_path),
                                     "--new-kek-file", str(old_path)])
    assert wrong.exit_code == 1 and "REGISTER_KEY_UNAVAILABLE" in wrong.output

    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert "re-wrapped 2 data keys" in done.output
    for result in (refused, wrong, done):  # no key and no person's details in any output
        assert old_text not in result.output and new_text not in result.output
        assert not any(n.decode() in result.output for n in FAKE_NEEDLES)
    engine, after = register(store_url, kek_from_text(new_text))
    try:
        assert [after.get(i) for i in ids] == [FAKE, FAKE]
    finally:
        engine.dispose()
    engine, stale = register(store_url, kek_from_text(old_text))
    try:
        with pytest.raises(RegisterKeyUnavailable):
            stale.get(ids[0])
    finally:
        engine.dispose()
    reopened = make_app(store_url)
    assert [actor for actor, _verdict in _refusals(reopened)] == ["vt-017"]


def test_an_unreadable_or_empty_kek_file_changes_nothing(
    make_app: Callable[..., HgkmApplication], sqlite_url: str, tmp_path: Path
) -> None:
    make_app(sqlite_url).close()
    key = kek()
    engine, persons = register(sqlite_url, key)
    try:
        pid = persons.register(FAKE)
    finally:
        engine.dispose()
    empty = tmp_path / "empty.kek"
    empty.write_text("\n", encoding="ascii")
    garbage = tmp_path / "garbage.kek"
    garbage.write_text("not a key", encoding="ascii")
    for new in (empty, garbage, tmp_path / "missing.kek"):
        result = CliRunner().invoke(cli, ["rotate-register-key", "--db", sqlite_url,
                                          "--new-kek-file", str(new)])
        assert result.exit_code != 0
        assert "not a key" not in result.output
    engine, same = register(sqlite_url, key)
    try:
        assert same.get(pid) == FAKE
    finally:
        engine.dispose()


def test_rotate_key_refuses_an_empty_new_key_file_and_changes_nothing(
    make_app: Callable[..., HgkmApplication], sqlite_url: str, tmp_path: Path,
    clock: SettableClock,
) -> None:
    from tests.support import Household, stored_event_rows

    store = make_app(sqlite_url)
    Household(store, clock).melding()
    before = stored_event_rows(store)
    assert before
    store.close()
    empty = tmp_path / "empty.key"
    empty.write_text("\n", encoding="ascii")
    result = CliRunner().invoke(cli, ["rotate-key", "--db", sqlite_url,
                                      "--new-key-file", str(empty)])
    assert result.exit_code != 0 and "holds no key" in result.output
    reopened = make_app(sqlite_url)
    assert stored_event_rows(reopened) == before
