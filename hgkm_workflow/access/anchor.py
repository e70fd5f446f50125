"""The access log's witnesses outside the database: the chain key and the anchor.

A chain key (``HGKM_ACCESS_LOG_KEY`` / ``HGKM_ACCESS_LOG_KEY_FILE``) makes every entry's hash
an HMAC, so the chain cannot be recomputed without it; an anchor (the file named by
``HGKM_ACCESS_LOG_ANCHOR``, or a host's :class:`AnchorSink`) witnesses the head, so a
shortened or wiped log is found (:mod:`hgkm_workflow.access.log`, docs/security.md).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from hgkm_workflow.adapters.files import write_private_text
from hgkm_workflow.errors import HgkmError
from hgkm_workflow.settings import SecuritySettings


class AccessLogConfigurationError(HgkmError):
    """The access log's chain key or anchor is unusable (a key is never echoed)."""

    code = "STORE_CONFIGURATION"
    default_rule = "access log chain key and anchor"


@dataclass(frozen=True)
class Anchor:
    """The log's head as witnessed outside the database."""

    entries: int
    last_hash: str
    at: str
    mac: str = ""

    def body(self) -> bytes:
        """The canonical bytes the ``mac`` covers."""
        return f"{self.entries}:{self.last_hash}:{self.at}".encode()


@runtime_checkable
class AnchorSink(Protocol):
    """Where the head is witnessed: a file, write-once storage, a log shipper, a notary."""

    def write(self, anchor: Anchor) -> None:
        """Record ``anchor`` (the newest head)."""
        ...

    def read(self) -> Anchor | None:
        """The newest recorded head, or ``None`` if none was recorded yet."""
        ...


class FileAnchor:
    """An :class:`AnchorSink` in a file (JSON, replaced atomically, mode 0600).

    Put it where the database's users cannot write: another volume, another host's mount.
    """

    def __init__(self, path: str | Path) -> None:
        """Witness the head in the file at ``path``."""
        self.path = Path(path)

    def write(self, anchor: Anchor) -> None:
        """Replace the file with ``anchor``."""
        write_private_text(self.path, json.dumps(
            {"entries": anchor.entries, "last_hash": anchor.last_hash, "at": anchor.at,
             "mac": anchor.mac}, sort_keys=True) + "\n")

    def read(self) -> Anchor | None:
        """The anchor in the file (``None`` if there is no file).

        Raises:
            AccessLogConfigurationError: If the file exists but is not an anchor.
        """
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return Anchor(entries=int(data["entries"]), last_hash=str(data["last_hash"]),
                          at=str(data["at"]), mac=str(data.get("mac", "")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            raise AccessLogConfigurationError("the access-log anchor file is unreadable"
                                              ) from None


def chain_key_from_settings(settings: SecuritySettings | None = None) -> bytes | None:
    """The chain key from ``HGKM_ACCESS_LOG_KEY`` or ``HGKM_ACCESS_LOG_KEY_FILE`` (or None)."""
    s = settings if settings is not None else SecuritySettings.from_env()
    text = s.access_log_key
    if text is None and s.access_log_key_file:
        try:
            text = Path(s.access_log_key_file).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            raise AccessLogConfigurationError(
                "cannot read the file named by HGKM_ACCESS_LOG_KEY_FILE") from None
    if text is None:
        return None
    try:
        key = base64.b64decode(text.strip().encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        key = b""
    if len(key) < 16:
        raise AccessLogConfigurationError("the access-log chain key is not base64 of at least "
                                          "16 bytes")
    return key


def anchor_from_settings(settings: SecuritySettings | None = None) -> AnchorSink | None:
    """A :class:`FileAnchor` at ``HGKM_ACCESS_LOG_ANCHOR`` (or None)."""
    s = settings if settings is not None else SecuritySettings.from_env()
    return FileAnchor(s.access_log_anchor) if s.access_log_anchor else None


