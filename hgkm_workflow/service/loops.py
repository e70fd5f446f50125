"""The long-running parts of a service: the statutory clock, the read models, the outbox.

Each loop runs in the calling thread until a :class:`threading.Event` is set, waits on that
event (so setting it ends the wait at once: no uninterruptible ``sleep``), and survives
errors: a failed round is logged by its error code (never its message, which could quote
data) and retried with exponential back-off (:class:`Backoff`). :class:`StopOnSignal`
sets the event on SIGTERM and SIGINT, for the CLI's ``hgkm scheduler run``,
``hgkm projections follow`` and ``hgkm outbox run``, and for a host's own main.

The scheduler loop updates ``app.scheduler_status``, which ``app.health()`` reports.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from hgkm_workflow.application import HgkmApplication, TickRecord
from hgkm_workflow.errors import HgkmError

__all__ = ["Backoff", "StopOnSignal", "error_code", "follow_projections", "run_outbox",
           "run_scheduler"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Waits after consecutive failures: ``initial * 2**(n-1)`` seconds, at most ``maximum``."""

    initial: float = 1.0
    maximum: float = 300.0

    def after(self, failures: int) -> float:
        """The wait after ``failures`` consecutive failures (at least 1)."""
        return float(min(self.maximum, self.initial * 2 ** max(0, failures - 1)))


def error_code(error: BaseException) -> str:
    """A loggable name of an error: its stable code, or its class name (never its message)."""
    return error.code if isinstance(error, HgkmError) else type(error).__name__


class StopOnSignal:
    """A stop event that SIGTERM and SIGINT set (while installed, in the main thread only)."""

    def __init__(self, stop: threading.Event | None = None,
                 signals: Iterable[signal.Signals] = (signal.SIGTERM, signal.SIGINT)) -> None:
        """Set ``stop`` (default: a new event) on each of ``signals``."""
        self.stop = stop or threading.Event()
        self.signals = tuple(signals)
        self.received: signal.Signals | None = None

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.received = signal.Signals(signum)
        _log.info("stop requested", extra={"signal": self.received.name})
        self.stop.set()

    @contextmanager
    def installed(self) -> Iterator[threading.Event]:
        """Install the handlers for the block, then restore the previous ones."""
        if threading.current_thread() is not threading.main_thread():
            yield self.stop  # signals reach the main thread only; the host sets the event
            return
        previous: dict[signal.Signals, Any] = {}
        for sig in self.signals:
            previous[sig] = signal.signal(sig, self._handle)
        try:
            yield self.stop
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _rounds(name: str, stop: threading.Event, body: Callable[[], float],
            backoff: Backoff, on_error: Callable[[BaseException], None] | None = None) -> int:
    """Run ``body`` (returns the wait before the next round) until ``stop``; count rounds."""
    rounds = failures = 0
    while not stop.is_set():
        rounds += 1
        try:
            wait = body()
            failures = 0
        except Exception as exc:  # a long-running loop must outlive any one failure
            failures += 1
            wait = backoff.after(failures)
            if on_error is not None:
                on_error(exc)
            _log.error("%s round failed; retrying", name,
                       extra={"code": error_code(exc), "failures": failures, "wait": wait})
        stop.wait(wait)
    _log.info("%s stopped", name, extra={"rounds": rounds})
    return rounds


def run_scheduler(app: HgkmApplication, stop: threading.Event, *, interval: float = 60.0,
                  on_records: Callable[[list[TickRecord]], None] | None = None,
                  backoff: Backoff = Backoff()) -> int:
    """Tick every ``interval`` seconds until ``stop`` is set; return the rounds run.

    Each tick records breaches and huisverbod expiries (exactly once, also with several
    schedulers); ``on_records`` gets what a tick recorded (to notify people). A failing tick
    (store down, a case that kept changing) is logged and retried after a back-off.
    """
    status = app.scheduler_status

    def tick() -> float:
        records = app.tick()
        status.ran(app.clock.now())
        if records:
            _log.info("tick recorded", extra={
                "records": len(records), "kinds": sorted({r.kind for r in records})})
            if on_records is not None:
                on_records(records)
        return interval

    return _rounds("scheduler", stop, tick, backoff,
                   lambda exc: status.failed(error_code(exc)))


def follow_projections(app: HgkmApplication, stop: threading.Event, *,
                       poll_interval: float = 0.5, backoff: Backoff = Backoff(),
                       min_batch: int = 1, max_delay: float = 1.0) -> int:
    """Keep the read models caught up until ``stop`` is set (LISTEN on PostgreSQL).

    :meth:`~hgkm_workflow.projections.runner.ProjectionRunner.follow` raises on a failure;
    here the failure is logged and following resumes after a back-off. ``min_batch`` and
    ``max_delay`` are the follower's (:mod:`hgkm_workflow.projections.batching`): catch up
    once that many notifications wait or the oldest waited that long (default: on every
    wake-up). Each catch-up is logged at DEBUG with its size.
    """
    def batch(applied: int) -> None:
        _log.debug("projections caught up", extra={"events": applied})

    def follow() -> float:
        app.projections.follow(stop, poll_interval, min_batch=min_batch,
                               max_delay=max_delay, on_batch=batch)
        return 0.0

    return _rounds("projections", stop, follow, backoff)


def run_outbox(app: HgkmApplication, consumers: Iterable[Any], stop: threading.Event, *,
               interval: float = 5.0, limit: int = 100, once: bool = False,
               totals: Any | None = None, backoff: Backoff = Backoff()) -> int:
    """Deliver the outbox to ``consumers`` until ``stop`` is set; return the rounds run.

    A round stages new events and tries the due messages of every consumer
    (:meth:`~hgkm_workflow.integration.outbox.Outbox.run_once`); a busy round is followed at
    once by the next, an idle one waits ``interval`` seconds on ``stop`` (setting it ends
    the wait). A stop requested during a round takes effect after it: messages being
    delivered are finished and recorded. A failed round is logged by its code and retried
    after a back-off.

    Args:
        app: The application (its store and engine).
        consumers: The outbox consumers to run.
        stop: Ends the loop.
        interval: Seconds to wait after an idle round.
        limit: Events staged and attempts made per consumer and round.
        once: Stop after the first idle round instead (everything due was delivered).
        totals: A :class:`~hgkm_workflow.integration.outbox.RunResult` to add each round's
            counts to (staged, delivered, failed, dead).
    """
    from hgkm_workflow.integration.outbox import Outbox

    box = Outbox(app.engine)
    box.setup()
    chosen = list(consumers)

    def deliver() -> float:
        busy = False
        for consumer in chosen:
            if stop.is_set():
                return 0.0
            result = box.run_once(app, consumer, limit)
            if totals is not None:
                totals.staged += result.staged
                totals.delivered += result.delivered
                totals.failed += result.failed
                totals.dead += result.dead
            if result.staged or result.delivered or result.failed:
                _log.info("outbox round", extra={
                    "consumer": consumer.name, "staged": result.staged,
                    "delivered": result.delivered, "failed": result.failed,
                    "dead": result.dead})
            busy = busy or result.staged > 0 or result.delivered > 0
        if once and not busy:
            stop.set()
        return 0.0 if busy else interval

    return _rounds("outbox", stop, deliver, backoff)
