"""Cheaper case loading: a projector without per-event checks, and a cache without copies.

Three costs dominated a profile of ordinary commands (``benchmarks/bench_commands.py``,
docs/performance.md):

* eventsourcing's default projector asserts ``isinstance(event, CanMutateProtocol)`` for every
  event it applies. The protocol is ``runtime_checkable``, so on Python 3.11 each check walks
  the protocol's members (about 45 µs per event): a third of the time spent loading a case.
  :func:`project_events` applies the events without that check (every stored event of ours is
  an eventsourcing aggregate event, so the check can never fail).
* reloading every case from the store for every command. :class:`AggregateCache` keeps the
  most recently used cases in memory.
* copying a cached case for every command (eventsourcing's cache ``deepcopy``-s each hit, about
  350 µs for a case of 25 events; even a structural copy costs about a tenth of a command).
  :class:`AggregateCache` is instead *taken from*: a command removes its case from the cache,
  owns it alone while it decides and saves, and puts it back only after a successful save. A
  refused command or a lost race simply drops the object, so no half-decided case stays in
  memory, and two threads never share one. Reads that must not disturb the cache use
  :func:`copy_aggregate`, a structural copy of the JSON-like state.
"""
from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

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


class AggregateCache:
    """The most recently used aggregates, each held by at most one user at a time.

    Thread-safe; nothing is ever handed out twice: :meth:`take` removes the aggregate, and
    :meth:`put` returns it (or a newer version) once a command has saved it.
    """

    def __init__(self, maxsize: int) -> None:
        """Keep at most ``maxsize`` aggregates (least recently used ones are dropped)."""
        self.maxsize = maxsize
        self._items: OrderedDict[UUID, Aggregate] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, aggregate_id: UUID) -> Aggregate | None:
        """Remove and return the cached aggregate, if any: the caller owns it now."""
        with self._lock:
            return self._items.pop(aggregate_id, None)

    def put(self, aggregate: Aggregate) -> None:
        """Cache ``aggregate`` (as the most recent) unless a newer version is already cached."""
        with self._lock:
            current = self._items.get(aggregate.id)
            if current is not None and current.version > aggregate.version:
                return
            self._items[aggregate.id] = aggregate
            self._items.move_to_end(aggregate.id)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        """Number of cached aggregates."""
        return len(self._items)

    def clear(self) -> None:
        """Forget every cached aggregate."""
        with self._lock:
            self._items.clear()
