"""Shared helpers of the security tests: obviously fake persons, raw-file scans."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hgkm_workflow.adapters.keys import LocalKek, LocalKeyStore, generate_kek, kek_from_text
from hgkm_workflow.adapters.persons import PersonDetails, PersonRegister
from hgkm_workflow.adapters.store import parse_store_url
from hgkm_workflow.projections import make_engine

FAKE = PersonDetails(name="Testpersoon Kwikstaartje", bsn="999990019",
                     address="Nepstraat 1, Nergensdorp", phone="0612345678")
FAKE_NEEDLES = (b"Kwikstaartje", b"999990019", b"Nepstraat", b"0612345678")


def kek() -> LocalKek:
    """A fresh random key-encryption key."""
    return kek_from_text(generate_kek())


def register(url: str, key: LocalKek | None) -> tuple[sa.Engine, PersonRegister]:
    """A register on the store at ``url`` with ``key`` (``None``: no key configured)."""
    engine = make_engine(parse_store_url(url))
    persons = PersonRegister(engine, keys=LocalKeyStore(key))
    persons.setup()
    return engine, persons


def sqlite_files(url: str) -> list[Path]:
    """The database file and its side files that exist."""
    path = parse_store_url(url).sqlite_path
    assert path is not None
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def raw_bytes(url: str) -> bytes:
    """Everything in the SQLite files, as an attacker with a copy would read it."""
    return b"".join(p.read_bytes() for p in sqlite_files(url))


def opens_with_any_window(blob: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bool:
    """Whether any 32-byte window of ``blob`` decrypts the entry (the attacker's brute force)."""
    for i in range(len(blob) - 31):
        try:
            AESGCM(blob[i:i + 32]).decrypt(nonce, ciphertext, aad)
        except InvalidTag:
            continue
        return True
    return False
