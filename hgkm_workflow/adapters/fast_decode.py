"""Decoding stored events fast: orjson plus one walk that restores the transcoded values.

eventsourcing's mapper decodes a stored event's state with ``json.JSONDecoder`` and an
``object_hook`` that is called for every JSON object (a Python call per dict), which made
JSON decoding the third largest cost of a read-model rebuild (docs/performance.md).
:class:`FastEventDecoder` gives exactly the mapper's event objects, faster:

1. the cipher decrypts and the compressor decompresses, as in the mapper (encrypted stores
   are decoded on this path too);
2. ``orjson.loads`` parses the JSON;
3. one bottom-up walk over the parsed dicts and lists replaces each ``{"_type_": name,
   "_data_": data}`` object by ``transcoder.names[name].decode(data)`` — what the object hook
   does, in the same order (inner objects first), with the transcoder's own transcodings
   (dates, datetimes, UUIDs, decimals and any registered later);
4. the originator id, version, class-version upcasts and the object are made as in
   ``Mapper.to_domain_event``.

When the fast path cannot be sure to give the mapper's result it is not used: a transcoder
whose decoding is not eventsourcing's ``JSONTranscoder`` decoding gives the mapper's method
itself, any error on the fast path (JSON that orjson refuses but ``json`` accepts, such as ``NaN``,
``1e400`` or a lone surrogate; an unknown transcoding) decodes that event again with the
mapper, which then returns the same value or raises its own error. The one silent difference
found, orjson reading an integer beyond 64 bits as a float, is avoided by giving the mapper
every state that holds a float and a run of 19 digits (the walk notes the floats it meets).
``tests/adapters/test_fast_decode.py`` compares every event of a varied store both ways.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

import orjson
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    Transcoding,
    UUIDAsHex,
    find_id_convertor,
)
from eventsourcing.utils import resolve_topic

from hgkm_workflow.adapters.transcoding import DateAsIso

__all__ = ["FastEventDecoder", "event_decoder"]

_LONG_NUMBER = re.compile(rb"[0-9]{19}").search
"""A run of 19 digits: maybe an integer orjson read as a float where ``json`` reads an int
(searched only in states holding a float; digits in strings only cost the fast path)."""

Decode = Callable[[StoredEvent], object]
"""A stored event (or notification) → its domain event."""


def _uses_json_decoding(transcoder: object) -> bool:
    """Whether the transcoder decodes exactly as eventsourcing's ``JSONTranscoder``."""
    kind: Any = type(transcoder)
    return (
        isinstance(transcoder, JSONTranscoder)
        and kind.decode is JSONTranscoder.decode
        and getattr(kind, "_decode_obj", None) is JSONTranscoder._decode_obj
    )


_SAME_AS_DECODE: dict[type, Callable[[str], object]] = {
    DatetimeAsISO: datetime.fromisoformat, DateAsIso: date.fromisoformat, UUIDAsHex: UUID,
    DecimalAsStr: Decimal}
"""Transcodings whose ``decode`` of a string is exactly this call (one frame less per value;
for anything but a string they are not used)."""


def _leaf_decoder(transcoding: Transcoding) -> Callable[[str], object]:
    """What decodes a transcoded string: the call its ``decode`` makes, or ``decode`` itself."""
    same = _SAME_AS_DECODE.get(type(transcoding))
    return same if same is not None else transcoding.decode


class FastEventDecoder:
    """A drop-in for ``mapper.to_domain_event`` over a ``JSONTranscoder`` mapper.

    Args:
        mapper: The application's mapper (its cipher, compressor and transcoder are used).
    """

    def __init__(self, mapper: Mapper[Any]) -> None:
        transcoder = mapper.transcoder
        if not _uses_json_decoding(transcoder):
            raise TypeError("the mapper's transcoder does not decode as JSONTranscoder")
        self._mapper = mapper
        self._names: dict[str, Transcoding] = cast(JSONTranscoder, transcoder).names
        self._leaf = {name: _leaf_decoder(t) for name, t in self._names.items()}
        self._cipher = mapper.cipher
        self._compressor = mapper.compressor
        self._classes: dict[str, tuple[type, int]] = {}
        self._convertors: dict[tuple[type, type], Callable[[Any], Any]] = {}

    def __call__(self, stored: StoredEvent) -> object:
        """The domain event of a stored event, equal to ``mapper.to_domain_event(stored)``."""
        try:
            return self._decode(stored)
        except Exception:  # the mapper decides: the same value, or its own error
            return self._mapper.to_domain_event(stored)

    def _decode(self, stored: StoredEvent) -> object:
        topic = stored.topic
        known = self._classes.get(topic)
        if known is None:
            cls = resolve_topic(topic)
            known = self._classes[topic] = (cls, getattr(cls, "class_version", 1))
        cls, class_version = known
        data = stored.state
        if self._cipher:
            data = self._cipher.decrypt(data)
        if self._compressor:
            data = self._compressor.decompress(data)
        state = orjson.loads(data)
        if type(state) is not dict:
            raise TypeError("a stored event's state is a JSON object")
        floats: list[bool] = []
        state = self._restore_dict(state, floats)
        if floats and _LONG_NUMBER(data) is not None:  # maybe a long integer read as a float
            return self._mapper.to_domain_event(stored)
        originator_id = stored.originator_id
        id_type: Any = type(originator_id)
        convert = self._convertors.get((cls, id_type))
        if convert is None:
            convert = self._convertors[cls, id_type] = find_id_convertor(cls, id_type)
        state["originator_id"] = convert(originator_id)
        state["originator_version"] = stored.originator_version
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        event: object = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return event

    def _restore_dict(self, obj: dict[str, Any], floats: list[bool]) -> Any:
        """The object hook, bottom-up: children first, then this dict itself.

        Appends to ``floats`` when a float is met (it may be an integer orjson read so).
        """
        for key, value in obj.items():
            kind = type(value)
            if kind is dict:
                if len(value) == 2 and type(value.get("_data_")) is str and "_type_" in value:
                    obj[key] = self._leaf[value["_type_"]](value["_data_"])  # the usual case
                else:
                    obj[key] = self._restore_dict(value, floats)
            elif kind is list:
                self._restore_list(value, floats)
            elif kind is float:
                floats.append(True)
        if len(obj) == 2 and "_type_" in obj and "_data_" in obj:
            return self._names[obj["_type_"]].decode(obj["_data_"])
        return obj

    def _restore_list(self, items: list[Any], floats: list[bool]) -> None:
        for i, value in enumerate(items):
            kind = type(value)
            if kind is dict:
                items[i] = self._restore_dict(value, floats)
            elif kind is list:
                self._restore_list(value, floats)
            elif kind is float:
                floats.append(True)


def event_decoder(mapper: Mapper[Any]) -> Decode:
    """The fastest decoder that gives exactly ``mapper.to_domain_event``'s results.

    :class:`FastEventDecoder` for a mapper with eventsourcing's JSON decoding (with or
    without cipher and compressor), else the mapper's own method.
    """
    if _uses_json_decoding(mapper.transcoder):
        return FastEventDecoder(mapper)
    return mapper.to_domain_event
