"""The outbox: checkpoints, at-least-once with keys, back-off, dead letter in case order."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hgkm_workflow.adapters.cipher import generate_key
from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.integration.outbox import (
    Consumer,
    Message,
    Outbox,
    Outgoing,
    PermanentDeliveryError,
    RetryableDeliveryError,
    RetryPolicy,
    health,
    message_key,
    run_loop,
    run_once,
)
from tests.support import Household


class WallClock:
    """The outbox's injected clock (separate from business time)."""

    def __init__(self) -> None:
        self.at = datetime(2026, 3, 2, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class Receiver:
    """Records deliveries; fails the way it is told to."""

    def __init__(self) -> None:
        self.delivered: list[str] = []
        self.fail: dict[str, Exception] = {}

    def __call__(self, message: Message) -> None:
        error = self.fail.get(message.case_id)
        if error is not None:
            raise error
        self.delivered.append(message.key)


def phase_consumer(receiver: Receiver, name: str = "test") -> Consumer:
    """One message per phase change, carrying only codes."""

    def translate(event: Any) -> list[Outgoing]:
        if type(event).__name__ != "PhaseChanged":
            return []
        return [Outgoing({"to": str(event.to_phase)})]

    return Consumer(name=name, translate=translate, deliver=receiver)


@pytest.fixture
def wall() -> WallClock:
    return WallClock()


@pytest.fixture
def outbox(app: HgkmApplication, wall: WallClock) -> Outbox:
    box = Outbox(app.engine, now=wall, policy=RetryPolicy(base=timedelta(seconds=2),
                                                         max_attempts=4))
    box.setup()
    return box


def _cases(app: HgkmApplication, clock: SettableClock, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        h = Household(app, clock)
        h.to_directe_veiligheid()
        ids.append(str(h.case_id))
    return ids


def test_each_event_is_handed_over_once_and_delivered_with_its_key(
        app: HgkmApplication, clock: SettableClock, outbox: Outbox) -> None:
    a, _ = _cases(app, clock, 2)
    receiver = Receiver()
    consumer = phase_consumer(receiver)
    result = outbox.run_once(app, consumer, limit=1000)
    assert result.staged == 4 and result.delivered == 4
    assert len(receiver.delivered) == len(set(receiver.delivered)) == 4
    assert message_key(a, 3, "test", 0) in receiver.delivered
    assert outbox.checkpoint("test") == app.recorder.max_notification_id()
    assert outbox.run_once(app, consumer).staged == 0  # nothing handed over twice


def test_a_failure_is_retried_with_exponential_back_off(
        app: HgkmApplication, clock: SettableClock, outbox: Outbox, wall: WallClock) -> None:
    (a,) = _cases(app, clock, 1)
    receiver = Receiver()
    receiver.fail[a] = RetryableDeliveryError("http-503")
    consumer = phase_consumer(receiver)
    assert outbox.run_once(app, consumer).failed == 1
    assert outbox.deliver_due(consumer).failed == 0  # not due yet: waits 2 s
    wall.advance(2)
    assert outbox.deliver_due(consumer).failed == 1
    wall.advance(3)
    assert outbox.deliver_due(consumer).failed == 0  # second wait is 4 s
    wall.advance(1)
    del receiver.fail[a]
    assert outbox.deliver_due(consumer).delivered == 2  # and the case's next one
    assert RetryPolicy(base=timedelta(seconds=2)).delay(3) == timedelta(seconds=8)


def test_a_dead_letter_holds_back_its_case_and_other_cases_go_on(
        app: HgkmApplication, clock: SettableClock, outbox: Outbox, wall: WallClock) -> None:
    a, b = _cases(app, clock, 2)
    receiver = Receiver()
    receiver.fail[a] = PermanentDeliveryError("http-400:invalid")
    consumer = phase_consumer(receiver)
    for _ in range(4):
        outbox.run_once(app, consumer)
        wall.advance(60)
    assert [m.split(":")[0] for m in receiver.delivered] == [b, b]
    dead = outbox.dead_letters("test")
    assert [(d["case_id"], d["version"], d["last_error"]) for d in dead] == [
        (a, 3, "http-400:invalid")]
    counts = health(app.engine)["consumers"]["test"]
    assert counts["dead_letters"] == 1 and counts["pending"] == 1  # a's later message waits
    del receiver.fail[a]
    assert outbox.requeue(dead[0]["key"])
    outbox.run_once(app, consumer)
    outbox.run_once(app, consumer)
    of_a = [int(m.split(":")[1]) for m in receiver.delivered if m.startswith(a)]
    assert of_a[0] == 3 and len(of_a) == 2 and of_a == sorted(of_a)  # in case order
    assert health(app.engine)["dead_letters"] == 0


def test_too_many_attempts_end_in_the_dead_letter(
        app: HgkmApplication, clock: SettableClock, outbox: Outbox, wall: WallClock) -> None:
    (a,) = _cases(app, clock, 1)
    receiver = Receiver()
    receiver.fail[a] = RetryableDeliveryError("timeout")
    consumer = phase_consumer(receiver)
    for _ in range(6):
        outbox.run_once(app, consumer)
        wall.advance(3600)
    (dead,) = outbox.dead_letters("test")
    assert dead["attempts"] == 4 and dead["last_error"] == "timeout"


def test_consumers_have_their_own_checkpoints(app: HgkmApplication, clock: SettableClock,
                                              wall: WallClock) -> None:
    _cases(app, clock, 1)
    first, second = Receiver(), Receiver()
    run_once(app, phase_consumer(first, "one"))
    assert list(health(app.engine)["consumers"]) == ["one"]
    assert health(app.engine)["consumers"]["one"]["delivered"] == 2
    run_once(app, phase_consumer(second, "two"))
    assert [k.replace(":one#", ":two#") for k in first.delivered] == second.delivered


def test_the_loop_stops_when_told_and_waits_on_the_stop_event(
        app: HgkmApplication, clock: SettableClock, outbox: Outbox) -> None:
    _cases(app, clock, 1)
    receiver = Receiver()
    stop = threading.Event()
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            stop.set()

    rounds = run_loop(app, outbox, [phase_consumer(receiver)], stop, interval=7, wait=wait)
    assert len(receiver.delivered) == 2 and waits == [7, 7] and rounds >= 3


def test_health_of_a_store_without_an_outbox(sqlite_app: HgkmApplication) -> None:
    assert health(sqlite_app.engine) == {"consumers": {}, "pending": 0, "dead_letters": 0}



def test_an_encrypted_store_is_read_through_the_mapper(
        make_app: Callable[..., HgkmApplication], sqlite_url: str, clock: SettableClock) -> None:
    app = make_app(sqlite_url, cipher_key=generate_key())
    _cases(app, clock, 1)
    receiver = Receiver()
    assert run_once(app, phase_consumer(receiver)).delivered == 2
