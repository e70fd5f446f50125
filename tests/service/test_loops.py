"""The long-running loops stop promptly, survive failures with back-off, and obey signals."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import pytest

from hgkm_workflow.errors import ConcurrentModification
from hgkm_workflow.service.loops import (
    Backoff,
    StopOnSignal,
    error_code,
    follow_projections,
    run_scheduler,
)
from tests.support import Household


def test_backoff_doubles_up_to_the_maximum() -> None:
    b = Backoff(initial=1, maximum=10)
    assert [b.after(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 10]


def test_scheduler_loop_survives_a_failure_and_reports_status(sqlite_app: Any) -> None:
    app = sqlite_app
    stop = threading.Event()
    calls: list[str] = []
    real_tick = app.tick

    def flaky_tick(now: Any = None) -> Any:
        calls.append("tick")
        if len(calls) == 1:
            raise ConcurrentModification("busy")
        if len(calls) >= 3:
            stop.set()
        return real_tick(now)

    app.tick = flaky_tick
    rounds = run_scheduler(app, stop, interval=0.0, backoff=Backoff(initial=0.01))
    assert rounds == 3
    status = app.scheduler_status
    assert status.failures == 1 and status.ticks == 2 and status.last_error is None
    assert status.last_run == app.clock.now()


def test_scheduler_loop_records_breaches_and_hands_them_over(sqlite_app: Any) -> None:
    app = sqlite_app
    Household(app, app.clock).melding()
    app.clock.advance(__import__("datetime").timedelta(days=30))
    stop = threading.Event()
    seen: list[Any] = []

    def got(records: list[Any]) -> None:
        seen.extend(records)
        stop.set()

    run_scheduler(app, stop, interval=0.0, on_records=got)
    assert seen and all(r.kind for r in seen)
    assert app.health().scheduler.due_unrecorded == 0


def test_a_set_stop_interrupts_a_long_wait(sqlite_app: Any) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=run_scheduler, args=(sqlite_app, stop),
                              kwargs={"interval": 3600.0})
    started = time.monotonic()
    thread.start()
    time.sleep(0.2)
    stop.set()
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - started < 5


def test_follow_projections_stops_and_catches_up(sqlite_app: Any) -> None:
    app = sqlite_app
    stop = threading.Event()
    thread = threading.Thread(target=follow_projections, args=(app, stop),
                              kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        Household(app, app.clock).melding()
        deadline = time.monotonic() + 5
        while app.projections.lag() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert app.projections.lag() == 0
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


def test_sigterm_sets_the_stop_event_and_handlers_are_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    stopper = StopOnSignal()
    with stopper.installed() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.wait(2)
    assert stopper.received is signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) == before


def test_error_code_never_is_the_message() -> None:
    assert error_code(ConcurrentModification("case abc")) == "CONCURRENT_MODIFICATION"
    assert error_code(ValueError("secret text")) == "ValueError"


@pytest.mark.parametrize("bad", [0])
def test_backoff_of_zero_failures_is_initial(bad: int) -> None:
    assert Backoff(initial=2).after(bad) == 2
