"""Sorting a batch of notifications out per projection, each decoded at most once.

Used by :class:`~hgkm_workflow.projections.runner.ProjectionRunner` for every batch. A
notification is decoded only if a projection that has not applied it yet wants its event
class; one whose stored bytes no longer decode is given to no projection and reported, so the
runner records it as a dead letter (``UNDECODABLE``) and the rest of the store goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from eventsourcing.persistence import Notification

from hgkm_workflow.projections.base import Projection, event_name

__all__ = ["SortedOut", "collect_batch", "sort_out"]

_UNDECODABLE = object()  # what decode() returns for an event that does not decode

SortedOut = tuple[dict[str, int], list[Projection], int, list[list[tuple[object, int]]],
                  list[tuple[str, int, str, str]]]
"""A batch sorted out for given positions: the positions, the eligible projections, the
lowest of their positions, each one's events, the undecodable notifications."""


def sort_out(
    raw_decode: Callable[[Notification], object],
    projections: list[Projection],
    positions: dict[str, int],
    start: int,
    batch: Sequence[Notification],
) -> SortedOut | None:
    """Decode a batch for these positions and sort it out (``None``: nothing to apply).

    Only projections whose position lies within the batch's range are eligible; one reset
    (rebuilt) meanwhile below ``start`` waits for the next batch.
    """
    last = batch[-1].id
    eligible = [p for p in projections if start <= positions[p.name] < last]
    if not eligible:
        return None
    lowest = min(positions[p.name] for p in eligible)
    undecodable: list[tuple[str, int, str, str]] = []
    pending = collect_batch(raw_decode, eligible, positions, lowest, batch, undecodable)
    return positions, eligible, lowest, pending, undecodable


def collect_batch(
    raw_decode: Callable[[Notification], object],
    eligible: list[Projection],
    positions: dict[str, int],
    lowest: int,
    batch: Sequence[Notification],
    undecodable: list[tuple[str, int, str, str]],
) -> list[list[tuple[object, int]]]:
    """Decode the batch's notifications and sort them out per eligible projection.

    A notification is decoded once, and only if a projection that has not applied it
    yet wants its event class; every projection gets the same decoded object. One that
    cannot be decoded is given to none and added to ``undecodable`` as
    ``(projection, position, event name, error class)`` for each projection wanting it.

    Returns:
        Per eligible projection (in order), its ``(event, notification id)`` pairs.
    """
    pending: list[list[tuple[object, int]]] = [[] for _ in eligible]

    def decode(notification: Notification, wanting: Sequence[str]) -> object:
        try:
            return raw_decode(notification)
        except Exception as exc:  # a damaged event must not stop every read model
            name = event_name(notification.topic)
            undecodable.extend((p, notification.id, name, type(exc).__name__)
                               for p in wanting)
            return _UNDECODABLE

    if all(positions[p.name] == lowest for p in eligible):
        # The usual case: every projection is at the same position.
        appenders: dict[str, list[Callable[[tuple[object, int]], None]]] = {}
        wanted_by: dict[str, list[str]] = {}
        for notification in batch:
            position = notification.id
            if position <= lowest:
                continue
            append_to = appenders.get(notification.topic)
            if append_to is None:
                name = event_name(notification.topic)
                wanting = [(p, events) for p, events in zip(eligible, pending, strict=True)
                           if p.wants(name)]
                append_to = appenders[notification.topic] = [e.append for _, e in wanting]
                wanted_by[notification.topic] = [p.name for p, _ in wanting]
            if append_to:
                event = decode(notification, wanted_by[notification.topic])
                if event is _UNDECODABLE:
                    continue
                item = (event, position)
                for append in append_to:
                    append(item)
        return pending
    sinks_of: dict[str, list[tuple[str, int, list[tuple[object, int]]]]] = {}
    for notification in batch:
        position = notification.id
        sinks = sinks_of.get(notification.topic)
        if sinks is None:
            name = event_name(notification.topic)
            sinks = sinks_of[notification.topic] = [
                (p.name, positions[p.name], events)
                for p, events in zip(eligible, pending, strict=True)
                if p.wants(name)
            ]
        late = [(p, events) for p, after, events in sinks if after < position]
        if not late:
            continue
        event = decode(notification, [p for p, _ in late])
        if event is _UNDECODABLE:
            continue
        decoded = (event, position)
        for _, events in late:
            events.append(decoded)
    return pending
