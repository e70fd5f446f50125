"""Key-encryption keys (KEK) for the person register, kept outside the database.

Each person's details are sealed with a data key of their own; that data key is stored only
*wrapped* (AES-256-GCM, the person id as associated data) by a key-encryption key that never
lives in the database. The KEK comes from a :class:`KeyStore`:

* :class:`LocalKeyStore` — a 32-byte key from ``HGKM_REGISTER_KEK`` or the file named by
  ``HGKM_REGISTER_KEK_FILE``, or derived (HKDF) from the event cipher key
  ``HGKM_CIPHER_KEY``/``HGKM_CIPHER_KEY_FILE`` when no register key is given
  (:func:`key_store_from_settings`);
* a host's own implementation of the :class:`KeyStore` / :class:`KeyEncryptionKey` protocols
  for a KMS or Vault (wrap and unwrap calls go to the service; the KEK never leaves it).

Without any key the register is *locked*: registering or reading details raises
:class:`RegisterKeyUnavailable`, unless ``HGKM_INSECURE_DEV_REGISTER=1`` asks for the fixed,
public development key (no protection; ids ``insecure-dev``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hgkm_workflow.errors import HgkmError
from hgkm_workflow.settings import SecuritySettings

KEK_BYTES = 32
INSECURE_DEV_KEK_ID = "insecure-dev"
_DEV_KEK = hashlib.sha256(b"hgkm insecure development KEK - public, protects nothing").digest()
_NONCE_BYTES = 12


class RegisterKeyUnavailable(HgkmError):
    """The register's key-encryption key is not configured (or not the one that wrapped)."""

    code = "REGISTER_KEY_UNAVAILABLE"
    default_rule = ("person register: data keys are wrapped by a key-encryption key kept "
                    "outside the database (HGKM_REGISTER_KEK, docs/security.md)")


class KeyConfigurationError(HgkmError):
    """A configured key-encryption key is unusable (the key itself is never echoed)."""

    code = "STORE_CONFIGURATION"
    default_rule = "register key-encryption key"


@runtime_checkable
class KeyEncryptionKey(Protocol):
    """A key that wraps and unwraps data keys; a KMS or Vault implementation keeps it inside."""

    @property
    def kek_id(self) -> str:
        """A stable, non-secret id of this key (at most 64 characters), stored per entry."""
        ...

    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        """Encrypt ``data_key``, binding it to ``context`` (authenticated, not secret)."""
        ...

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        """Decrypt a wrapped key; raise :class:`RegisterKeyUnavailable` if it does not open."""
        ...


@runtime_checkable
class KeyStore(Protocol):
    """Where the register finds its key-encryption keys."""

    def current(self) -> KeyEncryptionKey:
        """The key new entries are wrapped with (raise :class:`RegisterKeyUnavailable`)."""
        ...

    def find(self, kek_id: str) -> KeyEncryptionKey | None:
        """The key with this id, if this store holds it (old keys during a rotation)."""
        ...


class LocalKek:
    """A key-encryption key held in this process (from the environment or a file)."""

    def __init__(self, key: bytes, kek_id: str | None = None) -> None:
        """Use ``key`` (32 bytes); its id is derived from it (an HMAC, not the key)."""
        if len(key) != KEK_BYTES:
            raise KeyConfigurationError("a register key-encryption key has 32 bytes")
        self._aead = AESGCM(key)
        self._id = kek_id or "local-" + hmac.new(key, b"hgkm kek id", "sha256").hexdigest()[:24]

    @property
    def kek_id(self) -> str:
        """The key's id (``local-`` and 24 hex digits of an HMAC of a constant)."""
        return self._id

    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        """AES-256-GCM of ``data_key`` with a fresh nonce: ``nonce || ciphertext || tag``."""
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, data_key, context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        """The data key; :class:`RegisterKeyUnavailable` if the blob does not open."""
        try:
            return self._aead.decrypt(wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], context)
        except (InvalidTag, ValueError):
            raise RegisterKeyUnavailable(
                f"a wrapped key does not open with key-encryption key {self._id}") from None

    def __repr__(self) -> str:
        return f"LocalKek({self._id})"


class LocalKeyStore:
    """A current key and, during a rotation, older keys that may still be found."""

    def __init__(self, current: KeyEncryptionKey | None,
                 previous: Iterable[KeyEncryptionKey] = ()) -> None:
        """Args: current: the wrapping key (``None``: locked); previous: keys to unwrap."""
        self._current = current
        self._all = {k.kek_id: k for k in previous}
        if current is not None:
            self._all[current.kek_id] = current

    def current(self) -> KeyEncryptionKey:
        """The current key, or :class:`RegisterKeyUnavailable` when none is configured."""
        if self._current is None:
            raise RegisterKeyUnavailable(
                "no key-encryption key is configured for the person register: set "
                "HGKM_REGISTER_KEK or HGKM_REGISTER_KEK_FILE (or HGKM_INSECURE_DEV_REGISTER=1 "
                "for a development store without protection)")
        return self._current

    def find(self, kek_id: str) -> KeyEncryptionKey | None:
        """The key with this id, if held."""
        return self._all.get(kek_id)


def generate_kek() -> str:
    """A new register key-encryption key, base64 of 32 random bytes."""
    return base64.b64encode(os.urandom(KEK_BYTES)).decode("ascii")


def kek_from_text(text: str, where: str = "the key-encryption key") -> LocalKek:
    """A :class:`LocalKek` from base64 text (never echoed in errors)."""
    try:
        raw = base64.b64decode(text.strip().encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) != KEK_BYTES:
        raise KeyConfigurationError(f"{where} is not base64 of 32 bytes "
                                    "(make one with hgkm_workflow.adapters.keys.generate_kek)")
    return LocalKek(raw)


def kek_from_file(path: str | Path, where: str = "the key file") -> LocalKek:
    """A :class:`LocalKek` from a file holding base64 text."""
    try:
        text = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        raise KeyConfigurationError(f"cannot read {where}") from None
    return kek_from_text(text, where)


def kek_from_cipher_key(cipher_key: str) -> LocalKek:
    """A KEK derived (HKDF-SHA256) from the event cipher key, distinct from it."""
    try:
        raw = base64.b64decode(cipher_key.strip().encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise KeyConfigurationError("the cipher key is not base64") from None
    derived = HKDF(algorithm=hashes.SHA256(), length=KEK_BYTES, salt=None,
                   info=b"hgkm person register key-encryption key").derive(raw)
    return LocalKek(derived)


def insecure_dev_kek() -> LocalKek:
    """The fixed, public development key (``HGKM_INSECURE_DEV_REGISTER=1``): no protection."""
    return LocalKek(_DEV_KEK, kek_id=INSECURE_DEV_KEK_ID)


def key_store_from_settings(settings: SecuritySettings | None = None, *,
                            cipher_key: str | None = None) -> LocalKeyStore:
    """The register's key store from the settings (first match wins).

    1. ``HGKM_REGISTER_KEK``; 2. ``HGKM_REGISTER_KEK_FILE``; 3. derived from ``cipher_key``
    (the application's resolved event cipher key) or ``HGKM_CIPHER_KEY``/``_FILE``;
    4. ``HGKM_INSECURE_DEV_REGISTER=1``: the public development key; else locked.
    The development key is always findable, so a store made in development can be rotated
    to a real key.
    """
    s = settings if settings is not None else SecuritySettings.from_env()
    current: KeyEncryptionKey | None = None
    if s.register_kek:
        current = kek_from_text(s.register_kek, "HGKM_REGISTER_KEK")
    elif s.register_kek_file:
        current = kek_from_file(s.register_kek_file, "the file named by HGKM_REGISTER_KEK_FILE")
    elif cipher_key or s.cipher_key:
        current = kek_from_cipher_key(cipher_key or s.cipher_key or "")
    elif s.cipher_key_file:
        try:
            text = Path(s.cipher_key_file).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            raise KeyConfigurationError("cannot read the file named by HGKM_CIPHER_KEY_FILE"
                                        ) from None
        current = kek_from_cipher_key(text)
    elif s.insecure_dev_register:
        current = insecure_dev_kek()
    return LocalKeyStore(current, previous=[insecure_dev_kek()])
