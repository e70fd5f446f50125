"""Snapshots taken from the case just saved, instead of reading and replaying it again.

eventsourcing takes a snapshot after a save by loading the aggregate again at the event's
version (a snapshot read plus the newer events, then a replay). When the aggregate saved is
itself at that version — one event crossed the interval, the usual case — it *is* that state:
the snapshot is taken from it directly. When a save crossed the interval with more events
after it, the snapshot is taken at the interval's version from the store as before.

The state in memory equals the replayed state at the same version: that is the replay
invariant, tested with snapshots from memory against snapshots from a replay
(``tests/application/test_snapshots_from_memory.py``) and by the replay properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eventsourcing.application import Application, ProcessingEvent, project_aggregate


def take_snapshots(app: Application[Any], processing_event: ProcessingEvent[Any],
                   intervals: Mapping[type[Any], int],
                   projectors: Mapping[type[Any], Any]) -> int:
    """Take the snapshots that the saved events call for; return how many came from memory."""
    snapshots = app.snapshots
    if snapshots is None or not intervals:
        return 0
    from_memory = 0
    for event in processing_event.events:
        aggregate = processing_event.aggregates.get(event.originator_id)
        if aggregate is None:
            continue
        interval = intervals.get(type(aggregate))
        if interval is None or event.originator_version % interval != 0:
            continue
        if aggregate.version == event.originator_version:
            snapshot_class = getattr(type(aggregate), "Snapshot", type(app).snapshot_class)
            if snapshot_class is None:  # eventsourcing's own take_snapshot explains this
                app.take_snapshot(event.originator_id, version=event.originator_version)
                continue
            snapshots.put([snapshot_class.take(aggregate)])
            from_memory += 1
        else:
            app.take_snapshot(event.originator_id, version=event.originator_version,
                              projector_func=projectors.get(type(aggregate),
                                                            project_aggregate))
    return from_memory
