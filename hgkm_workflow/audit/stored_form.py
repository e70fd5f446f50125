"""The stored form of events: decode and encode a stored state as the application does, and
the JSON typing of values (instants, dates, ids) that export and import share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import Mapper

from hgkm_workflow.errors import HgkmError

__all__ = ["Coded", "ExchangeError", "decode_stored_state", "encode_state", "plain", "restore"]


class ExchangeError(HgkmError):
    """An export file cannot be imported (names the line)."""

    code = "INVALID_EXPORT"
    default_rule = "docs/export-format.md"


class Coded(Protocol):
    """Anything with the store's mapper (an eventsourcing application)."""

    @property
    def mapper(self) -> Mapper[Any]:
        """The store's mapper (transcoder, compressor, cipher)."""


def decode_stored_state(app: Coded, state: bytes) -> dict[str, Any]:
    """Decrypt, decompress and decode a stored event's state as the application stored it.

    No upcasting happens here: an old event keeps its ``class_version`` key (absent for 1).
    """
    mapper = app.mapper
    data = state
    if mapper.cipher:
        data = mapper.cipher.decrypt(data)
    if mapper.compressor:
        data = mapper.compressor.decompress(data)
    decoded: dict[str, Any] = mapper.transcoder.decode(data)
    return decoded


def encode_state(app: Coded, state: dict[str, Any]) -> bytes:
    """Encode, compress and encrypt an event state the way the application stores it."""
    mapper = app.mapper
    data = mapper.transcoder.encode(state)
    if mapper.compressor:
        data = mapper.compressor.compress(data)
    if mapper.cipher:
        data = mapper.cipher.encrypt(data)
    return data


def _pointer(path: tuple[str, ...]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path)


def _unpointer(pointer: str) -> list[str]:
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer: {pointer!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def plain(value: Any, path: tuple[str, ...], types: dict[str, str]) -> Any:
    """JSON-ready copy of ``value``; records non-JSON types in ``types``."""
    if isinstance(value, datetime):
        types[_pointer(path)] = "datetime"
        return value.isoformat()
    if isinstance(value, date):
        types[_pointer(path)] = "date"
        return value.isoformat()
    if isinstance(value, UUID):
        types[_pointer(path)] = "uuid"
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v, (*path, str(k)), types) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v, (*path, str(i)), types) for i, v in enumerate(value)]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ExchangeError(f"cannot export a value of type {type(value).__name__}")


_RESTORE: dict[str, Callable[[str], Any]] = {
    "datetime": datetime.fromisoformat, "date": date.fromisoformat, "uuid": UUID,
}


def restore(payload: dict[str, Any], types: dict[str, str]) -> dict[str, Any]:
    """Turn the values listed in ``types`` (JSON Pointer → type) back into their types.

    Raises:
        ValueError: An unknown type, or a value that does not parse as its type.
    """
    for pointer, kind in types.items():
        convert = _RESTORE.get(kind)
        if convert is None:
            raise ValueError(f"unknown type {kind!r}")
        parts = _unpointer(pointer)
        holder: Any = payload
        for part in parts[:-1]:
            holder = holder[int(part)] if isinstance(holder, list) else holder[part]
        last = parts[-1]
        if isinstance(holder, list):
            holder[int(last)] = convert(holder[int(last)])
        else:
            holder[last] = convert(holder[last])
    return payload

