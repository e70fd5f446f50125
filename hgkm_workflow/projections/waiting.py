"""Waiting for new notifications while following the log: LISTEN on PostgreSQL, else polling.

A follower (:meth:`~hgkm_workflow.projections.runner.ProjectionRunner.follow`) waits between
catch-ups. On PostgreSQL, eventsourcing's recorder notifies a channel on every insert, so the
wait ends as soon as something was recorded; on SQLite (no notifications) it polls. The wait
is cut into short slices, so that setting the stop event is noticed promptly. A wait may be
given a shorter timeout than the poll interval (a follower filling a batch,
:mod:`hgkm_workflow.projections.batching`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import sqlalchemy as sa
from eventsourcing.application import Application

_STOP_CHECK = 0.1  # seconds between checks of the stop event while listening


class Wait(Protocol):
    """Wait for a notification, at most ``timeout`` seconds (default: the poll interval)."""

    def __call__(self, timeout: float | None = None) -> None:
        """Return on a notification, after the timeout, or when the stop event is set."""


@contextmanager
def notification_waiter(app: Application[Any], engine: sa.Engine,
                        stop_event: threading.Event, poll_interval: float
                        ) -> Iterator[Wait]:
    """A ``wait()`` that returns on a new notification, after ``poll_interval``, or on stop.

    ``wait(timeout)`` waits at most ``timeout`` seconds instead (never longer than
    ``poll_interval``).

    Args:
        app: The application whose recorder's channel is listened to (PostgreSQL).
        engine: The store's engine (its URL opens the listening connection).
        stop_event: Set to end the wait early.
        poll_interval: The longest wait, in seconds.
    """
    channel = getattr(app.recorder, "channel_name", None)
    if engine.dialect.name != "postgresql" or not isinstance(channel, str):

        def sleep(timeout: float | None = None) -> None:
            stop_event.wait(_bounded(timeout, poll_interval))

        yield sleep
        return
    import psycopg
    from psycopg import sql

    url = engine.url.set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as pg:
        pg.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))

        def wait(timeout: float | None = None) -> None:
            deadline = time.monotonic() + _bounded(timeout, poll_interval)
            while not stop_event.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                for _ in pg.notifies(timeout=min(remaining, _STOP_CHECK), stop_after=1):
                    return

        yield wait


def _bounded(timeout: float | None, poll_interval: float) -> float:
    return poll_interval if timeout is None else max(0.0, min(timeout, poll_interval))
