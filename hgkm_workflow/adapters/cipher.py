"""Encryption at rest of event payloads: eventsourcing's AES-GCM cipher, keyed from outside.

The key is never in the repository or the database. :class:`~hgkm_workflow.HgkmApplication`
takes it from (first match wins):

1. its ``cipher_key=`` argument;
2. the environment variable ``HGKM_CIPHER_KEY`` (base64 of 16, 24 or 32 random bytes);
3. the file named by ``HGKM_CIPHER_KEY_FILE`` (the same text; e.g. a mounted secret).

With a key, every stored event and snapshot state is encrypted (AES-GCM with a fresh nonce per
record); ids, versions and topics stay in clear (so ids are never derived from personal data).
Without one, payloads are stored in clear. ``hgkm keygen`` prints a new key;
:func:`rotate_key` re-encrypts a store under a new key (docs/security.md).
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from hgkm_workflow.errors import StoreConfigurationError
from hgkm_workflow.settings import SecuritySettings

KEY_ENV = "HGKM_CIPHER_KEY"
KEY_FILE_ENV = "HGKM_CIPHER_KEY_FILE"
CIPHER_TOPIC = "eventsourcing.cryptography:AESCipher"
_KEY_SIZES = (16, 24, 32)
_RECORD_COLUMNS = frozenset({"originator_id", "originator_version", "topic", "state"})

__all__ = ["CIPHER_TOPIC", "KEY_ENV", "KEY_FILE_ENV", "RotationResult", "cipher_env",
           "generate_key", "resolve_cipher_key", "rotate_key"]


def generate_key(num_bytes: int = 32) -> str:
    """A new random AES key, base64-encoded (``hgkm keygen``)."""
    if num_bytes not in _KEY_SIZES:
        raise StoreConfigurationError("a cipher key has 16, 24 or 32 bytes", rule="cipher key")
    return base64.b64encode(os.urandom(num_bytes)).decode("ascii")


def _checked(key: str, where: str) -> str:
    text = key.strip()
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) not in _KEY_SIZES:
        # never echo the key, not even a wrong one
        raise StoreConfigurationError(
            f"the cipher key from {where} is not base64 of 16, 24 or 32 bytes "
            "(make one with `hgkm keygen`)", rule="cipher key")
    return text


def resolve_cipher_key(explicit: str | None = None,
                       environ: Mapping[str, str] | None = None) -> str | None:
    """The cipher key to use, or ``None`` for no encryption (see the module docstring).

    Raises:
        StoreConfigurationError: If a key is given but unusable, or the key file is unreadable.
    """
    if explicit:
        return _checked(explicit, "the cipher_key argument")
    settings = SecuritySettings.from_env(environ)
    if settings.cipher_key:
        return _checked(settings.cipher_key, KEY_ENV)
    path = settings.cipher_key_file
    if path:
        try:
            text = Path(path).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            raise StoreConfigurationError(f"cannot read the key file named by {KEY_FILE_ENV}",
                                          rule="cipher key") from None
        return _checked(text, KEY_FILE_ENV)
    return None


def cipher_env(key: str) -> dict[str, str]:
    """eventsourcing settings that switch the cipher on with ``key``.

    Both the plain and the application-prefixed names are set, so an ambient
    ``HGKM_CIPHER_KEY`` can never override an explicit key.
    """
    return {"CIPHER_TOPIC": CIPHER_TOPIC, "CIPHER_KEY": key,
            "HGKM_CIPHER_TOPIC": CIPHER_TOPIC, "HGKM_CIPHER_KEY": key}


@dataclass(frozen=True)
class RotationResult:
    """What :func:`rotate_key` re-encrypted: rows per table."""

    tables: dict[str, int]


def rotate_key(store_url: str | None, old_key: str | None, new_key: str | None
               ) -> RotationResult:
    """Re-encrypt every stored event and snapshot under ``new_key``, in one transaction.

    ``old_key`` ``None`` means the store is not yet encrypted; ``new_key`` ``None`` decrypts
    it. Run it with the application stopped. Read models, the access log and the person
    register are not encrypted by this cipher and are left as they are.

    Raises:
        StoreConfigurationError: If a key is unusable, or a record does not decrypt with
            ``old_key`` (nothing is changed then).
    """
    from eventsourcing.cryptography import AESCipher
    from eventsourcing.utils import Environment

    from hgkm_workflow.adapters.store import parse_store_url
    from hgkm_workflow.projections import make_engine

    def cipher(key: str | None, what: str) -> AESCipher | None:
        if key is None:
            return None
        return AESCipher(Environment("", {"CIPHER_KEY": _checked(key, what)}))

    old, new = cipher(old_key, "the old key"), cipher(new_key, "the new key")
    engine = make_engine(parse_store_url(store_url))
    counts: dict[str, int] = {}
    try:
        with engine.begin() as conn:
            inspector = sa.inspect(conn)
            for name in sorted(inspector.get_table_names()):
                columns = {c["name"] for c in inspector.get_columns(name)}
                if not columns >= _RECORD_COLUMNS:
                    continue  # not an event or snapshot table of eventsourcing
                table = sa.Table(name, sa.MetaData(), autoload_with=conn)
                key_cols = [table.c.originator_id, table.c.originator_version]
                rows = conn.execute(sa.select(*key_cols, table.c.state)).all()
                for oid, version, state in rows:
                    plain = bytes(state)
                    if old is not None:
                        try:
                            plain = old.decrypt(plain)
                        except ValueError:
                            raise StoreConfigurationError(
                                f"a record of {name} does not decrypt with the old key; "
                                "nothing was changed", rule="cipher key") from None
                    sealed = new.encrypt(plain) if new is not None else plain
                    conn.execute(table.update().where(table.c.originator_id == oid,
                                                      table.c.originator_version == version)
                                 .values(state=sealed))
                counts[name] = len(rows)
    finally:
        engine.dispose()
    return RotationResult(tables=counts)
