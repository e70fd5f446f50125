"""Business time of stored events: when something happened in the case, not when it was recorded.

See :func:`business_times` for the rules; the timeline, the as-of replays and the export all
use them, so they agree on when things happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from hgkm_workflow.clock import as_utc

__all__ = ["DEADLINE_EVENTS", "Basis", "BusinessClock", "business_times"]

Basis = Literal["business", "recorded"]
"""``business``: what was true at the instant; ``recorded``: what the system knew then."""

#: The deadline bookkeeping events (they carry no provenance of their own).
DEADLINE_EVENTS = frozenset({"DeadlineStarted", "DeadlineMet", "DeadlineBreached",
                              "DeadlineClosedUnmet", "DeadlineRescheduled"})
_DEADLINE_EVENTS = DEADLINE_EVENTS


class BusinessClock:
    """Assigns business times to one aggregate's events, fed in version order.

    See :func:`business_times` for the rules. Keep one instance per aggregate when events of
    several aggregates are interleaved (as in the notification log).
    """

    def __init__(self) -> None:
        self._last_decision: datetime | None = None
        self._last_recorded: datetime | None = None

    def business_time(self, ev: Any) -> datetime:
        """The business time of ``ev``, the next event of this aggregate."""
        name = type(ev).__name__
        recorded: datetime = ev.timestamp
        at: datetime | None
        if name == "Opened":
            at = getattr(ev, "opened_at", None) or getattr(ev, "at", None)
        elif name == "DeadlineBreached":
            at = ev.due
        elif name in ("DeadlineStarted", "DeadlineRescheduled"):
            same_decision = self._last_decision is not None and recorded == self._last_recorded
            at = self._last_decision if same_decision else None
            if at is None and name == "DeadlineStarted":
                at = ev.deadline["start"]
        else:
            at = getattr(ev, "at", None)
        instant = as_utc(at) if isinstance(at, datetime) else as_utc(recorded)
        if name not in _DEADLINE_EVENTS:
            self._last_decision = instant
        self._last_recorded = recorded
        return instant


def business_times(events: Sequence[Any]) -> list[datetime]:
    """The business time of each of a case's events, in order.

    A decision's own ``at`` where it has one; the opening instant for ``Opened``; for a
    breach the due instant (the deadline was overdue from then on, whenever a tick recorded
    it); and for the deadline bookkeeping that a decision triggers (``DeadlineStarted``,
    ``DeadlineRescheduled``) the business time of that decision. Events without any of these
    fall back to their recording time.

    Args:
        events: A case's domain events in version order.

    Returns:
        One aware UTC instant per event.
    """
    clock = BusinessClock()
    return [clock.business_time(ev) for ev in events]
