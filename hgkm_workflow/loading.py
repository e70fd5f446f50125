"""Cheaper case loading: a projector without per-event protocol checks, and a fast copy.

Two costs dominated a profile of ordinary commands (``benchmarks/bench_commands.py``,
docs/performance.md):

* eventsourcing's default projector asserts ``isinstance(event, CanMutateProtocol)`` for every
  event it applies. The protocol is ``runtime_checkable``, so on Python 3.11 each check walks
  the protocol's members (about 45 µs per event): a third of the time spent loading a case.
  :func:`project_events` applies the events without that check (every stored event of ours is
  an eventsourcing aggregate event, so the check can never fail).
* with eventsourcing's aggregate cache, every hit is ``copy.deepcopy``-ed (about 350 µs for a
  case of 25 events). A case's state is JSON-like — dicts, lists, strings, numbers and
  immutable instants — so :func:`copy_aggregate` copies it structurally, falling back to
  ``deepcopy`` for anything else.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

T = TypeVar("T")

_IMMUTABLE: frozenset[type[Any]] = frozenset(
    {str, int, float, bool, type(None), datetime, date, timedelta, UUID, Decimal, bytes}
)


def project_events(aggregate: T | None, events: Iterable[Any]) -> T | None:
    """Apply ``events`` in order to ``aggregate`` (``None`` for a new one) and return it."""
    for domain_event in events:
        aggregate = domain_event.mutate(aggregate)
    return aggregate


def _copy_value(value: Any) -> Any:
    kind = type(value)
    if kind in _IMMUTABLE:
        return value
    if kind is dict:
        return {k: _copy_value(v) for k, v in value.items()}
    if kind is list:
        return [_copy_value(v) for v in value]
    if kind is tuple:
        return tuple(_copy_value(v) for v in value)
    return copy.deepcopy(value)


def copy_aggregate(aggregate: T) -> T:
    """An independent copy of an aggregate whose state is JSON-like (see module docstring)."""
    clone = object.__new__(type(aggregate))
    clone.__dict__.update({k: _copy_value(v) for k, v in aggregate.__dict__.items()})
    return clone
