"""Collecting an aggregate's pending events for a save without runtime protocol checks.

eventsourcing's ``Application.save`` hands its arguments to ``ProcessingEvent.collect_events``,
which asks ``isinstance(obj, DomainEventProtocol)`` and then ``isinstance(obj,
CollectEventsProtocol)`` of each. Both protocols are ``runtime_checkable``; on Python 3.11 each
check walks the protocol's members, about 65 µs per saved aggregate together (3–4% of a
command, ``benchmarks/bench_commands.py``). An eventsourcing aggregate (``BaseAggregate``,
a plain class check) is never a domain event and always collects events, so for aggregates
:func:`collect` takes the answer the protocols would give; anything else (a bare domain event,
``None``) goes through eventsourcing's own ``collect_events`` unchanged.
:func:`save_collected` is the rest of ``Application.save``, step for step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import Recording


def collect(objs: Iterable[Any], kwargs: Mapping[str, Any]) -> ProcessingEvent[Any]:
    """The processing event ``ProcessingEvent.collect_events(*objs, **kwargs)`` would build."""
    processing_event: ProcessingEvent[Any] = ProcessingEvent()
    for obj in objs:
        if isinstance(obj, BaseAggregate):
            processing_event.events.extend(obj.collect_events())
            processing_event.aggregates[obj.id] = obj
        else:
            processing_event.collect_events(obj)
    processing_event.saved_kwargs.update(kwargs)
    return processing_event


def save_collected(app: Application[Any],
                   processing_event: ProcessingEvent[Any]) -> list[Recording[Any]]:
    """Record, snapshot and notify as ``Application.save`` does after collecting."""
    recordings = app._record(processing_event)
    app._take_snapshots(processing_event)
    app._notify(recordings)
    app.notify(processing_event.events)  # deprecated in eventsourcing, still called by it
    return recordings
