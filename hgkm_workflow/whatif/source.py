"""Where a what-if reads and writes: the live store (read only) and two scratch stores.

:func:`read_selection` reads the notification log of the live store page by page (never a read
model, so nothing is caught up and nothing is written there) and groups the recorded events of
the selected cases and adviezen. :class:`ScratchStore` is a throwaway SQLite store in a
temporary directory with the default read models under chosen classification settings; the
replayed events are inserted in the live store's order and the projections and the monitor
run on it exactly as on a live store.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from hgkm_workflow.clock import SettableClock
from hgkm_workflow.projections import ProjectionRunner
from hgkm_workflow.projections.registry import default_projections
from hgkm_workflow.settings import ClassificationSettings

__all__ = ["Recorded", "ScratchStore", "in_log_order", "read_selection"]

_CASE_TOPIC = "hgkm_workflow.case:HouseholdCase"
_ADVIES_TOPIC = "hgkm_workflow.advies:Advies"
_PAGE = 1000


class _LiveStore(Protocol):
    recorder: Any
    mapper: Any


@dataclass
class Recorded:
    """The recorded events of the selection, grouped per aggregate, with their log positions."""

    cases: dict[UUID, list[Any]] = field(default_factory=dict)
    adviezen: dict[UUID, list[Any]] = field(default_factory=dict)
    positions: dict[tuple[UUID, int], int] = field(default_factory=dict)
    read: int = 0
    """Events read from the live notification log."""

    def position(self, event: Any) -> int:
        """The live notification id of a recorded event."""
        return self.positions[(event.originator_id, event.originator_version)]


def read_selection(live: _LiveStore, *, until: datetime | None,
                   regions: frozenset[str] | None = None,
                   progress: Callable[[str], None] | None = None) -> Recorded:
    """Every case and advies event of the live store recorded before ``until``.

    With ``regions``, aggregates whose first event names another region are skipped (the
    caller still checks each replayed case's region). The gemeente is chosen later, so the
    classification sees the history of the persons in the region.
    """
    out = Recorded()
    skipped: set[UUID] = set()
    start = pages = 1
    while True:
        notes = live.recorder.select_notifications(start, _PAGE)
        if not notes:
            break
        for note in notes:
            is_case = note.topic.startswith(_CASE_TOPIC)
            if not is_case and not note.topic.startswith(_ADVIES_TOPIC):
                continue
            if note.originator_id in skipped:
                continue
            event = live.mapper.to_domain_event(note)
            if until is not None and event.timestamp >= until:
                continue
            region = getattr(event, "region", None)
            if regions is not None and event.originator_version == 1 \
                    and isinstance(region, str) and region not in regions:
                skipped.add(event.originator_id)
                continue
            target = out.cases if is_case else out.adviezen
            target.setdefault(event.originator_id, []).append(event)
            out.positions[(event.originator_id, event.originator_version)] = note.id
            out.read += 1
        start = notes[-1].id + 1
        pages += 1
        if progress is not None and pages % 10 == 0:
            progress(f"read {out.read} events")
    if progress is not None:
        progress(f"read {out.read} events")
    return out


class ScratchStore:
    """A throwaway SQLite store with the default read models under chosen settings."""

    def __init__(self, factory: Callable[..., Any], label: str,
                 classification: ClassificationSettings, now: datetime,
                 skip: Collection[type] = ()) -> None:
        """Create the store in a new temporary directory (removed by :meth:`close`).

        Args:
            factory: The application class (that of the live store), called with a URL.
            label: Part of the directory name (``before``, ``after``).
            classification: The person index's classification settings.
            now: The scratch application's clock.
            skip: Projection classes not to build (read models nothing will read).
        """
        self._dir = tempfile.TemporaryDirectory(prefix=f"hgkm-whatif-{label}-")
        url = f"sqlite:///{Path(self._dir.name) / 'scratch.db'}"
        self.app = factory(url, clock=SettableClock(now), snapshot_interval=0, cache_size=0)
        projections = [p for p in default_projections(classification)
                       if not isinstance(p, tuple(skip))]
        self.app.projections = ProjectionRunner(self.app, self.app.engine, projections)
        self.app.projections.setup()

    def insert(self, events: Sequence[Any], batch: int = 2000,
               progress: Callable[[int], None] | None = None) -> None:
        """Insert events (already in the order to keep) and build the read models.

        The read models are built as a rebuild (large batches, docs/performance.md), which on
        a fresh store gives what catching up gives.
        """
        for i in range(0, len(events), batch):
            self.app.events.put(list(events[i:i + batch]))
            if progress is not None and (i // batch) % 50 == 49:
                progress(i + batch)
        self.app.projections.rebuild()  # rm_case_facts is indexed by melding (the monitor's join)

    def close(self) -> None:
        """Release the connections and delete the store."""
        try:
            self.app.close()
        finally:
            self._dir.cleanup()


def in_log_order(streams: Iterable[tuple[Sequence[Any], Sequence[int]]]) -> list[Any]:
    """Merge per-aggregate event lists into one list by the live position each follows.

    Args:
        streams: Per aggregate, its events and for each the live position it follows (events
            after the last recorded one carry a position past every live one).
    """
    keyed: list[tuple[int, int, int, Any]] = []
    for n, (events, positions) in enumerate(streams):
        keyed.extend((pos, n, i, e) for i, (e, pos) in enumerate(zip(events, positions,
                                                                      strict=True)))
    keyed.sort(key=lambda t: (t[0], t[1], t[2]))
    return [t[3] for t in keyed]
