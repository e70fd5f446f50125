"""Clock port: where business time comes from.

The domain never calls ``datetime.now()``. The application is given a :class:`Clock`;
tests and the simulation use a :class:`SettableClock` that only moves when told to.
All instants handed out are timezone-aware UTC ``datetime`` objects.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Source of business time."""

    def now(self) -> datetime:
        """Return the current instant as an aware UTC datetime."""
        ...


def as_utc(instant: datetime) -> datetime:
    """Normalise an aware instant to UTC; refuse naive datetimes.

    The result is always a plain :class:`datetime.datetime` (never a subclass such as
    freezegun's ``FakeDatetime``), so it can be stored by the event transcoder.
    """
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must be timezone-aware")
    u = instant.astimezone(UTC)
    return _REAL_DATETIME(
        u.year, u.month, u.day, u.hour, u.minute, u.second, u.microsecond, tzinfo=UTC
    )


_REAL_DATETIME = datetime


class SystemClock:
    """The wall clock (UTC)."""

    def now(self) -> datetime:
        """Return the current wall-clock instant in UTC."""
        return as_utc(_REAL_DATETIME.fromtimestamp(time.time(), tz=UTC))


class SettableClock:
    """A clock that stands still until moved; for tests, simulation and replays."""

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)

    def now(self) -> datetime:
        """Return the instant the clock was last set to."""
        return self._now

    def set(self, instant: datetime) -> None:
        """Move the clock to ``instant`` (forward or backward)."""
        self._now = as_utc(instant)

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` and return the new instant."""
        self._now = as_utc(self._now + delta)
        return self._now
