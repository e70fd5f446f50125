"""Encryption at rest: event payloads sealed with eventsourcing's AES cipher, keyed from outside.

A case is driven with distinctive rationale texts. With a key, no payload text is in the
database in clear — not in the SQLite file (main file and write-ahead log) and not in any
column of any table on PostgreSQL; without a key the same texts are found, which shows the
check can fail. The key comes from the argument, ``HGKM_CIPHER_KEY`` or
``HGKM_CIPHER_KEY_FILE``, is never echoed, and can be rotated.
"""

from __future__ import annotations

import base64
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hgkm_workflow.adapters.cipher import KEY_ENV, KEY_FILE_ENV, generate_key, rotate_key
from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.cli import app as cli
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import StoreConfigurationError
from tests.application.test_privacy import table_contents
from tests.support import LT, READ, Household

NEEDLES = ("quail-lantern review of the household", "marigold threshold for the plan")


def drive(app: HgkmApplication, clock: SettableClock) -> Household:
    h = Household(app, clock)
    h.melding(rationale=NEEDLES[0])
    h.assess("handover_local_team")
    app.set_veiligheidsplan(h.cmd(actor=LT, rationale=NEEDLES[1], voorwaarden=["geen_geweld"]))
    app.take_snapshot(h.case_id)  # snapshots are sealed too  # type: ignore[arg-type]
    app.catch_up()
    return h


def stored_bytes(app: HgkmApplication) -> bytes:
    """Everything the database holds: the SQLite files, or every column of every table."""
    blob = b"".join(b"\x00" + v for v in table_contents(app).values())
    path = app.config.sqlite_path
    if path is not None:
        for suffix in ("", "-wal", "-shm"):
            file = Path(f"{path}{suffix}")
            if file.exists():
                blob += file.read_bytes()
    return blob


@pytest.mark.parametrize("encrypted", [True, False], ids=["with key", "without key"])
def test_no_payload_value_in_clear_with_a_key(make_app: Callable[..., HgkmApplication],
                                              store_url: str, clock: SettableClock,
                                              encrypted: bool) -> None:
    key = generate_key() if encrypted else None
    app = make_app(store_url, cipher_key=key)
    h = drive(app, clock)
    assert app.get_case(h.case_id, access=READ).veiligheidsplan is not None  # type: ignore[arg-type]
    found = [n for n in NEEDLES if n.encode() in stored_bytes(app)]
    if encrypted:
        assert found == []
        timeline = app.timeline(h.case_id, access=READ)  # type: ignore[arg-type]
        assert timeline[1].why == NEEDLES[0]  # readable through the application
    else:
        assert found == list(NEEDLES)  # the check finds clear text where there is some


def test_key_from_the_environment_or_a_key_file(make_app: Callable[..., HgkmApplication],
                                                sqlite_url: str, clock: SettableClock,
                                                tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    key = generate_key()
    key_file = tmp_path / "hgkm.key"
    key_file.write_text(key + "\n", encoding="ascii")
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv(KEY_FILE_ENV, str(key_file))
    app = make_app(sqlite_url)
    h = drive(app, clock)
    assert not any(n.encode() in stored_bytes(app) for n in NEEDLES)
    app.close()
    monkeypatch.delenv(KEY_FILE_ENV)
    monkeypatch.setenv(KEY_ENV, key)
    again = make_app(sqlite_url)
    assert again.timeline(h.case_id, access=READ)[1].why == NEEDLES[0]  # type: ignore[arg-type]
    # an unusable key is refused without being echoed
    monkeypatch.setenv(KEY_ENV, "not-a-key-" + "x" * 20)
    with pytest.raises(StoreConfigurationError) as info:
        HgkmApplication(sqlite_url, clock=clock)
    assert "not-a-key" not in str(info.value) and KEY_ENV in info.value.message
    monkeypatch.delenv(KEY_ENV)
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "missing.key"))
    with pytest.raises(StoreConfigurationError):
        HgkmApplication(sqlite_url, clock=clock)


def test_keygen_and_rotation(make_app: Callable[..., HgkmApplication], store_url: str,
                             clock: SettableClock, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    runner = CliRunner()
    printed = runner.invoke(cli, ["keygen"])
    assert printed.exit_code == 0
    assert len(base64.b64decode(printed.output.strip())) == 32
    new_file = tmp_path / "new.key"
    assert runner.invoke(cli, ["keygen", "--out", str(new_file)]).exit_code == 0
    assert stat.S_IMODE(new_file.stat().st_mode) == 0o600
    assert runner.invoke(cli, ["keygen", "--out", str(new_file)]).exit_code != 0  # no overwrite
    old_key = generate_key()
    app = make_app(store_url, cipher_key=old_key)
    h = drive(app, clock)
    app.close()
    old_file = tmp_path / "old.key"
    old_file.write_text(old_key, encoding="ascii")
    wrong = runner.invoke(cli, ["rotate-key", "--db", store_url, "--old-key-file",
                                str(new_file), "--new-key-file", str(new_file)])
    assert wrong.exit_code == 2 and "does not decrypt" in " ".join(wrong.output.split())
    rotated = runner.invoke(cli, ["rotate-key", "--db", store_url, "--old-key-file",
                                  str(old_file), "--new-key-file", str(new_file)])
    assert rotated.exit_code == 0, rotated.output
    reopened = make_app(store_url, cipher_key=new_file.read_text(encoding="ascii").strip())
    view = reopened.get_case(h.case_id, access=READ)  # type: ignore[arg-type]
    assert view.veiligheidsplan is not None
    assert not any(n.encode() in stored_bytes(reopened) for n in NEEDLES)
    # decrypting the store (no new key) puts the texts back in clear
    assert rotate_key(store_url, new_file.read_text(encoding="ascii"), None).tables
