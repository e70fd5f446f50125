"""Point 1: the register's data keys are wrapped by a key-encryption key outside the data."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from hgkm_workflow.adapters.keys import (
    LocalKeyStore,
    RegisterKeyUnavailable,
    key_store_from_settings,
)
from hgkm_workflow.adapters.persons import (
    ErasedPerson,
    legacy_keys,
    rotate_kek,
    rotate_register_kek,
    wrapped_keys,
)
from hgkm_workflow.settings import SecuritySettings
from tests.security.helpers import FAKE, FAKE_NEEDLES, kek, opens_with_any_window, register
from tests.support import _psycopg_dsn


def _entries(url: str) -> list[tuple[str, bytes, bytes, list[bytes]]]:
    """(person id, nonce, ciphertext, every bytes value in the database) from a raw copy."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        copy = path.with_name("stolen.db")
        shutil.copy(path, copy)
        if Path(f"{path}-wal").exists():
            shutil.copy(f"{path}-wal", f"{copy}-wal")
        conn: object = sqlite3.connect(copy)
    else:
        conn = psycopg.connect(_psycopg_dsn(url))
    cur = conn.cursor()  # type: ignore[attr-defined]
    cur.execute("SELECT person_id, nonce, ciphertext FROM person_register_details")
    details = [(r[0], bytes(r[1]), bytes(r[2])) for r in cur.fetchall()]
    blobs: list[bytes] = []
    for table in ("person_register_wrapped_keys", "person_register_keys"):
        cur.execute(f"SELECT * FROM {table}")
        blobs += [bytes(v) for row in cur.fetchall() for v in row
                  if isinstance(v, bytes | memoryview)]
    conn.close()  # type: ignore[attr-defined]
    return [(pid, nonce, ct, blobs) for pid, nonce, ct in details]


def test_a_copy_of_the_database_alone_decrypts_nothing(store_url: str) -> None:
    engine, persons = register(store_url, kek())
    try:
        ids = [persons.register(FAKE), persons.register(FAKE)]
        assert all(persons.get(i) == FAKE for i in ids)
    finally:
        engine.dispose()
    entries = _entries(store_url)
    assert len(entries) == 2
    for pid, nonce, ciphertext, blobs in entries:
        assert not any(n in ciphertext for n in FAKE_NEEDLES)
        for blob in blobs:  # every stored value, tried as a key at every offset
            assert not opens_with_any_window(blob, nonce, ciphertext, pid.encode())


def test_wrapped_keys_name_their_kek_and_no_clear_key_is_stored(store_url: str) -> None:
    key = kek()
    engine, persons = register(store_url, key)
    try:
        persons.register(FAKE)
        with engine.connect() as conn:
            assert conn.execute(sa.select(wrapped_keys.c.kek_id)).scalars().all() == [key.kek_id]
            assert conn.execute(sa.select(legacy_keys)).all() == []
    finally:
        engine.dispose()


def test_a_register_without_its_kek_refuses_with_a_domain_error(store_url: str) -> None:
    engine, persons = register(store_url, kek())
    pid = persons.register(FAKE)
    engine.dispose()
    engine, locked = register(store_url, None)
    try:
        with pytest.raises(RegisterKeyUnavailable) as info:
            locked.get(pid)
        assert info.value.code == "REGISTER_KEY_UNAVAILABLE"
        with pytest.raises(RegisterKeyUnavailable):
            locked.register(FAKE)
        assert not any(n.decode() in str(info.value) for n in FAKE_NEEDLES)
    finally:
        engine.dispose()
    engine, wrong = register(store_url, kek())
    try:
        with pytest.raises(RegisterKeyUnavailable):
            wrong.get(pid)
    finally:
        engine.dispose()


def test_rotation_rewraps_every_entry_and_retires_the_old_kek(store_url: str) -> None:
    old, new = kek(), kek()
    engine, persons = register(store_url, old)
    try:
        ids = [persons.register(FAKE) for _ in range(3)]
        persons.erase(ids[0])
        result = rotate_kek(engine, LocalKeyStore(old), new)
        assert result.rewrapped == 2 and result.kek_id == new.kek_id
        with engine.connect() as conn:
            assert set(conn.execute(sa.select(wrapped_keys.c.kek_id)).scalars()) == {new.kek_id}
    finally:
        engine.dispose()
    engine, after = register(store_url, new)
    try:
        assert [after.get(i) for i in ids[1:]] == [FAKE, FAKE]
        assert isinstance(after.get(ids[0]), ErasedPerson)
    finally:
        engine.dispose()
    engine, stale = register(store_url, old)
    try:
        with pytest.raises(RegisterKeyUnavailable):
            stale.get(ids[1])
    finally:
        engine.dispose()


def test_rotation_with_a_missing_old_kek_changes_nothing(store_url: str) -> None:
    key = kek()
    engine, persons = register(store_url, key)
    try:
        pid = persons.register(FAKE)
        with pytest.raises(RegisterKeyUnavailable):
            rotate_kek(engine, LocalKeyStore(kek()), kek())
        assert persons.get(pid) == FAKE
    finally:
        engine.dispose()


def test_legacy_clear_keys_are_wrapped_by_the_cli_rotation(store_url: str) -> None:
    """A store made before wrapping: its clear keys are read, then wrapped and removed."""
    import base64

    from hgkm_workflow.adapters.keys import generate_kek, kek_from_text

    engine, persons = register(store_url, kek())
    try:
        pid = persons.register(FAKE)
        with engine.connect() as conn:  # simulate an old store's row
            data_key = persons._find_key(conn, pid)
        with engine.begin() as conn:
            conn.execute(wrapped_keys.delete())
            conn.execute(legacy_keys.insert().values(person_id=str(pid), key=data_key))
        assert persons.get(pid) == FAKE
    finally:
        engine.dispose()
    new_text = generate_kek()
    assert len(base64.b64decode(new_text)) == 32
    result = rotate_register_kek(store_url, None, new_text)
    assert result.legacy_wrapped == 1
    engine, after = register(store_url, kek_from_text(new_text))
    try:
        assert after.get(pid) == FAKE
        with engine.connect() as conn:
            assert conn.execute(sa.select(legacy_keys)).all() == []
    finally:
        engine.dispose()


def test_the_kek_comes_from_settings_and_without_one_the_register_is_locked(
        tmp_path: Path) -> None:
    text = "aGdrbS1mYWtlLWtlay1mb3ItdGVzdHMtb25seS0xMjM="
    assert key_store_from_settings(SecuritySettings(register_kek=text)).current().kek_id
    key_file = tmp_path / "kek"
    key_file.write_text(text)
    assert (key_store_from_settings(SecuritySettings(register_kek_file=str(key_file)))
            .current().kek_id
            == key_store_from_settings(SecuritySettings(register_kek=text)).current().kek_id)
    derived = key_store_from_settings(SecuritySettings(), cipher_key=text).current()
    assert derived.kek_id != key_store_from_settings(
        SecuritySettings(register_kek=text)).current().kek_id  # derived, not the cipher key
    with pytest.raises(RegisterKeyUnavailable):
        key_store_from_settings(SecuritySettings.from_env({})).current()
    dev = key_store_from_settings(
        SecuritySettings.from_env({"HGKM_INSECURE_DEV_REGISTER": "1"})).current()
    assert dev.kek_id == "insecure-dev"
