"""A follower's minimum batch and maximum delay: catch up for many events, not a handful.

Catching up costs a fixed amount per batch (queries, a transaction, the tracking write: about
6.9 ms on PostgreSQL, issue 17) plus a little per event, so a follower woken by every insert
spends most of its time on the fixed part when events trickle in. With ``min_batch = N`` and
``max_delay = S`` (:meth:`~hgkm_workflow.projections.runner.ProjectionRunner.follow`), after
a wake-up the follower counts what is waiting (the runner's lag: the highest notification id
minus the lowest position) and catches up only when at least N notifications wait, or S
seconds have passed since it first saw one waiting, or its stop event is set — whichever
comes first. ``min_batch = 1`` (the default) catches up on every wake-up, as before.

The delay is counted from the moment the follower first *saw* a waiting notification (after
a NOTIFY on PostgreSQL, so promptly; after a poll on SQLite, so up to one poll interval
late), not from the event's recording time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from hgkm_workflow.projections.waiting import Wait

__all__ = ["BatchPolicy", "gather"]


@dataclass(frozen=True)
class BatchPolicy:
    """When a woken follower catches up.

    Attributes:
        min_batch: Notifications that must wait before a catch-up (1: always).
        max_delay: Seconds a waiting notification may wait for the batch to fill.
    """

    min_batch: int = 1
    max_delay: float = 1.0

    def __post_init__(self) -> None:
        """Refuse a batch below 1 or a negative delay."""
        if self.min_batch < 1:
            raise ValueError("min_batch must be at least 1")
        if self.max_delay < 0:
            raise ValueError("max_delay must not be negative")

    @property
    def batching(self) -> bool:
        """Whether the follower holds back for a batch at all."""
        return self.min_batch > 1


def gather(policy: BatchPolicy, pending: Callable[[], int],
           wait: Callable[[float], None], stop: threading.Event,
           now: Callable[[], float] = time.monotonic) -> bool:
    """After a wake-up: wait until the batch is full or old enough; return whether to catch up.

    Args:
        policy: The minimum batch and maximum delay.
        pending: How many notifications wait (the runner's lag).
        wait: Waits at most the given seconds (returns early on a notification or on stop).
        stop: The follower's stop event.
        now: A monotonic clock (seconds).

    Returns:
        True to catch up now; False when nothing waits or the stop event was set (the follower
        then goes back to waiting, or ends).
    """
    if not policy.batching:
        return not stop.is_set()
    first_seen: float | None = None
    while not stop.is_set():
        waiting = pending()
        if waiting <= 0:
            return False
        if waiting >= policy.min_batch:
            return True
        t = now()
        if first_seen is None:
            first_seen = t
        remaining = policy.max_delay - (t - first_seen)
        if remaining <= 0:
            return True
        wait(remaining)
    return False


def follow_log(policy: BatchPolicy, catch_up: Callable[[], int], pending: Callable[[], int],
               wait: Wait, stop_event: threading.Event,
               on_batch: Callable[[int], None] | None = None) -> None:
    """The follower's loop: catch up, then wait and gather until a batch is due or a stop.

    Args:
        policy: The minimum batch and maximum delay.
        catch_up: Applies what waits; returns the number of notifications applied.
        pending: The number of notifications waiting (the runner's lag).
        wait: Returns on a new notification, after the poll interval (or the seconds
            given), or on stop.
        stop_event: Ends the loop (a partial batch is left for the next catch-up).
        on_batch: Called with each non-empty catch-up's count.
    """
    go = not stop_event.is_set()
    while go:
        applied = catch_up()
        if applied and on_batch is not None:
            on_batch(applied)
        go = False
        while not go and not stop_event.is_set():
            wait()
            go = gather(policy, pending, wait, stop_event)
