"""Recording time from the injected clock.

eventsourcing stamps each event with the wall clock when it is triggered. Our applications
have an injected :class:`~hgkm_workflow.clock.Clock` (a settable one in tests and simulation),
so the *recording time* — what the system knew when — must come from that clock too. The
application sets :data:`RECORDING_TIME` around each decision; aggregates derived from
:class:`ClockedAggregate` stamp their events with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

RECORDING_TIME: ContextVar[datetime | None] = ContextVar("hgkm_recording_time", default=None)


@contextmanager
def recording_at(instant: datetime) -> Iterator[None]:
    """Stamp events triggered inside the block with ``instant`` as their recording time."""
    token = RECORDING_TIME.set(instant)
    try:
        yield
    finally:
        RECORDING_TIME.reset(token)


class ClockedAggregate(Aggregate):
    """An aggregate whose events carry the injected clock's time as ``timestamp``."""

    @classmethod
    def _create(cls, event_class: Any, *, id: Any = None, **kwargs: Any) -> Any:
        stamp = RECORDING_TIME.get()
        if stamp is not None and kwargs.get("timestamp") is None:
            kwargs["timestamp"] = stamp
        return super()._create(event_class, id=id, **kwargs)

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        """Trigger an event, stamped with the recording time when one is set."""
        stamp = RECORDING_TIME.get()
        if stamp is not None and kwargs.get("timestamp") is None:
            kwargs["timestamp"] = stamp
        super().trigger_event(event_class, **kwargs)
