"""``adapters.saving.collect`` builds the processing event eventsourcing's own save builds."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate, CollectEventsProtocol, DomainEventProtocol, event

from hgkm_workflow.adapters.saving import collect


class Thing(Aggregate):
    """An aggregate with one event method."""

    @event("Created")
    def __init__(self, n: int) -> None:
        self.n = n

    @event("Bumped")
    def bump(self) -> None:
        self.n += 1


def _reference(objs: tuple[Any, ...], kwargs: dict[str, Any]) -> ProcessingEvent[Any]:
    pe: ProcessingEvent[Any] = ProcessingEvent()
    pe.collect_events(*objs, **kwargs)
    return pe


@pytest.mark.parametrize("shape", ["aggregates", "event", "mixed"])
def test_collect_gives_eventsourcings_processing_event(shape: str) -> None:
    def objs() -> tuple[Any, ...]:
        a, b = Thing(1), Thing(2)
        a.bump()
        b.bump()
        b.bump()
        lone = Thing(3).collect_events()[0]
        if shape == "aggregates":
            return (a, b)
        if shape == "event":
            return (lone,)
        return (a, None, lone, b)

    mine, ref = objs(), objs()
    got, want = collect(mine, {"k": 1}), _reference(ref, {"k": 1})
    assert [(type(e), e.originator_version) for e in got.events] == \
        [(type(e), e.originator_version) for e in want.events]
    assert [type(a) for a in got.aggregates.values()] == [type(a) for a in want.aggregates.values()]
    assert got.saved_kwargs == want.saved_kwargs == {"k": 1}
    for aggregate in [o for o in mine if isinstance(o, Aggregate)]:
        assert aggregate.pending_events == []  # collected, as eventsourcing collects
        assert got.aggregates[aggregate.id] is aggregate


def test_an_aggregate_is_what_the_shortcut_assumes() -> None:
    thing = Thing(1)
    assert not isinstance(thing, DomainEventProtocol)
    assert isinstance(thing, CollectEventsProtocol)
    assert isinstance(thing.collect_events()[0], DomainEventProtocol)
