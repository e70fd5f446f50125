"""The rules an imported line must meet: the same as a command's, checked before any write.

:func:`~hgkm_workflow.audit.exchange.import_jsonl` reads the whole file first and checks each
line here; only a file of which every line passes is written (in one transaction). A line is
refused, with its number and the rule, never a value, when

* it is longer than :data:`MAX_LINE` characters, or a text in it is longer than a command
  admits (free text :data:`MAX_FREE_TEXT`, any other text :data:`MAX_TEXT`);
* free text (``rationale``, ``open_deadline_reason``, ``reason_not_informed``,
  ``legal_ground``) looks like identifying data
  (:func:`~hgkm_workflow.privacy.find_identifying_data`);
* a code (``actor_id``, ``organisation``, ``region``, ``gemeente``) is not one
  (:func:`~hgkm_workflow.privacy.validate_code`);
* an instant is naive or outside 2000..2100;
* the payload does not match its event class at the current class version: exactly the
  fields of the ``@event`` method's signature (the event class's dataclass fields), each of
  its annotated type (pydantic, strict);
* the events do not replay: every aggregate is rebuilt in memory, event by event, through
  the same ``mutate`` a load uses (:class:`Replay`), so the store stays replayable;
* a melding or huisverbod id is used by two cases (:meth:`Replay.finish`).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator
from datetime import datetime
from functools import cache, lru_cache
from typing import Any
from uuid import UUID

import pydantic
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Mapper, StoredEvent

from hgkm_workflow.audit.stored_form import ExchangeError
from hgkm_workflow.clock import as_utc
from hgkm_workflow.commands import EARLIEST, LATEST
from hgkm_workflow.privacy import InvalidCode, find_identifying_data, validate_code

__all__ = ["MAX_FREE_TEXT", "MAX_LINE", "MAX_TEXT", "Replay", "aware_instant",
           "check_line_size", "check_payload", "forget_screened", "whole"]

MAX_LINE = 256 * 1024
"""Characters per line at most (the largest event a command can make is far smaller)."""

MAX_FREE_TEXT = 500
"""Characters of a free-text field at most (as ``Rationale`` in the command models)."""

MAX_TEXT = 1000
"""Characters of any other text at most (codes, rule names, enum values are much shorter)."""

FREE_TEXT = frozenset({"rationale", "open_deadline_reason", "reason_not_informed",
                       "legal_ground"})
CODES = {"actor_id": "actor_id", "organisation": "organisation", "region": "region",
         "gemeente": "gemeente"}
_BOOKKEEPING = frozenset({"originator_id", "originator_version"})


def bad(number: int, why: str) -> ExchangeError:
    """The refusal of line ``number`` (``why`` names fields and rules, never values)."""
    return ExchangeError(f"line {number}: {why}")


def check_line_size(text: str, number: int) -> None:
    """Refuse a line longer than :data:`MAX_LINE`."""
    if len(text) > MAX_LINE:
        raise bad(number, f"line longer than {MAX_LINE} characters")


def _walk(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    yield key, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)


#: Distinct texts and codes whose screening is remembered during one import (codes, and the
#: free texts an export repeats, recur on many lines; the checks are pure functions of the
#: text, so a remembered answer is the answer).
SCREEN_CACHE = 65_536


@lru_cache(maxsize=SCREEN_CACHE)
def _identifying(text: str) -> tuple[str, ...]:
    return tuple(find_identifying_data(text))


@lru_cache(maxsize=SCREEN_CACHE)
def _code_refusal(value: str, kind: str) -> str | None:
    try:
        validate_code(value, kind)
    except InvalidCode as exc:
        return exc.message
    return None


def forget_screened() -> None:
    """Drop the remembered screenings: called when an import ends, so no text it screened
    (personal data among them, in a refused line) outlives the import in the process."""
    _identifying.cache_clear()
    _code_refusal.cache_clear()


def _check_values(state: dict[str, Any], number: int) -> None:
    for key, value in _walk(state):
        if isinstance(value, str):
            limit = MAX_FREE_TEXT if key in FREE_TEXT else MAX_TEXT
            if len(value) > limit:
                raise bad(number, f"{key or 'a text'} is longer than {limit} characters")
            if key in FREE_TEXT:
                kinds = _identifying(value)
                if kinds:
                    raise bad(number, f"{key} seems to contain identifying data "
                                      f"({', '.join(kinds)})")
            elif key in CODES:
                refusal = _code_refusal(value, str(CODES[key]))
                if refusal is not None:
                    raise bad(number, refusal)
        elif isinstance(value, datetime):
            if value.tzinfo is None:
                raise bad(number, f"{key or 'an instant'} has no UTC offset")
            if not EARLIEST <= as_utc(value) <= LATEST:
                raise bad(number, f"{key or 'an instant'} lies outside 2000..2100")


@cache
def _schema(cls: type) -> dict[str, pydantic.TypeAdapter[Any]] | None:
    """The event class's fields and their types (``None``: not a dataclass event)."""
    if not dataclasses.is_dataclass(cls):
        return None
    hints = typing.get_type_hints(cls)
    out: dict[str, pydantic.TypeAdapter[Any]] = {}
    for f in dataclasses.fields(cls):
        if f.name in _BOOKKEEPING:
            continue
        hint = hints.get(f.name, Any)
        out[f.name] = pydantic.TypeAdapter(Any if isinstance(hint, typing.TypeVar) else hint)
    return out


def check_payload(cls: type, state: dict[str, Any], class_version: int, number: int) -> None:
    """Check a restored event state against the rules and its class's schema.

    An event of an older class version is checked by its replay (it is upcast when read).

    Raises:
        ExchangeError: The first rule the line breaks (naming the line and the field).
    """
    _check_values(state, number)
    if class_version != (getattr(cls, "class_version", None) or 1):
        return
    schema = _schema(cls)
    if schema is None:
        return
    given = set(state) - {"class_version"}
    missing, extra = sorted(set(schema) - given), sorted(given - set(schema))
    if missing:
        raise bad(number, f"payload lacks {', '.join(missing)} of {cls.__qualname__}")
    if extra:
        raise bad(number, f"payload has fields {cls.__qualname__} does not: "
                          f"{', '.join(extra)}")
    for name, adapter in schema.items():
        try:
            adapter.validate_python(state[name], strict=True)
        except pydantic.ValidationError:
            raise bad(number, f"{name} is not of the type {cls.__qualname__} needs") from None


class Replay:
    """Rebuilds every imported aggregate in memory, so a file that does not replay is refused.

    Args:
        mapper: The importing store's mapper (it decodes and upcasts as a load does).
    """

    def __init__(self, mapper: Mapper[Any]) -> None:
        self._mapper = mapper
        self._aggregates: dict[UUID, Aggregate | None] = {}
        self._first_line: dict[UUID, int] = {}

    def feed(self, stored: StoredEvent, number: int) -> None:
        """Apply one stored event to its aggregate.

        Raises:
            ExchangeError: The event does not decode or does not apply.
        """
        aggregate_id = UUID(str(stored.originator_id))
        self._first_line.setdefault(aggregate_id, number)
        try:
            event = self._mapper.to_domain_event(stored)
            aggregate = event.mutate(self._aggregates.get(aggregate_id))  # type: ignore[attr-defined]
        except Exception as exc:
            raise bad(number, f"the event does not replay ({type(exc).__name__})") from None
        if aggregate is None:
            raise bad(number, "the event does not replay (no aggregate)")
        self._aggregates[aggregate_id] = aggregate

    def finish(self) -> int:
        """Check ids unique across cases; return the number of aggregates.

        Raises:
            ExchangeError: Two cases hold the same melding or huisverbod id.
        """
        seen: dict[tuple[str, str], UUID] = {}
        for aggregate_id, aggregate in self._aggregates.items():
            for kind, name in (("meldingen", "melding"), ("huisverboden", "huisverbod")):
                for value in getattr(aggregate, kind, None) or {}:
                    other = seen.setdefault((kind, str(value)), aggregate_id)
                    if other != aggregate_id:
                        raise bad(self._first_line[aggregate_id],
                                  f"a {name} id is used by two cases (unique across cases)")
        return len(self._aggregates)


def whole(value: Any) -> int:
    """A whole number of 1..2**31 (``ValueError`` otherwise; floats only if whole)."""
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("not whole")
    number = int(value)
    if number < 1 or number > 2**31:
        raise ValueError("out of range")
    return number


def aware_instant(value: Any) -> datetime:
    """An ISO 8601 instant with a UTC offset in 2000..2100, as UTC (else raises)."""
    if not isinstance(value, str) or len(value) > 40:
        raise TypeError("not an instant")
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise ValueError("naive")
    instant = as_utc(instant)
    if not EARLIEST <= instant <= LATEST:
        raise ValueError("out of range")
    return instant
