"""The follower's minimum batch and maximum delay (``follow(min_batch=…, max_delay=…)``).

The first tests drive :func:`~hgkm_workflow.projections.batching.gather` with a fake clock
and counter; the others follow a real store (SQLite polling, PostgreSQL LISTEN) while the
test writes meldingen, and check lower bounds only (batch sizes, delays), never tight upper
bounds, so a slow machine does not fail them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.projections.batching import BatchPolicy, gather
from tests.support import Household

DEADLINE = 60.0  # seconds a test waits for the follower before it fails


class FakeTime:
    """A monotonic clock that a wait advances (by at most ``step``: a notification came)."""

    def __init__(self, step: float = 1.0) -> None:
        self.t = 100.0
        self.step = step
        self.waits: list[float] = []

    def now(self) -> float:
        return self.t

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.t += min(seconds, self.step)


def test_gather_waits_for_the_minimum_batch() -> None:
    clock, stop = FakeTime(), threading.Event()
    counts = iter([2, 3, 7, 9])
    assert gather(BatchPolicy(7, 10.0), lambda: next(counts), clock.wait, stop, clock.now)
    assert clock.waits == [10.0, 9.0]  # at 2 and at 3 it waited, the rest of the delay


def test_gather_goes_after_the_maximum_delay_since_first_seen() -> None:
    clock, stop = FakeTime(step=1.0), threading.Event()
    assert gather(BatchPolicy(50, 2.5), lambda: 1, clock.wait, stop, clock.now)
    assert clock.waits == [2.5, 1.5, 0.5]
    assert clock.t - 100.0 == pytest.approx(2.5)


def test_gather_declines_when_nothing_waits_or_on_stop() -> None:
    clock, stop = FakeTime(), threading.Event()
    assert not gather(BatchPolicy(5, 1.0), lambda: 0, clock.wait, stop, clock.now)
    stop.set()
    assert not gather(BatchPolicy(5, 1.0), lambda: 3, clock.wait, stop, clock.now)
    assert not gather(BatchPolicy(), lambda: 3, clock.wait, stop, clock.now)
    assert clock.waits == []


def test_without_a_minimum_every_wake_up_catches_up() -> None:
    clock, stop = FakeTime(), threading.Event()
    calls: list[int] = []
    assert gather(BatchPolicy(), lambda: calls.append(1) or 0, clock.wait, stop, clock.now)
    assert calls == []  # no lag query either: the behaviour before the option


@pytest.mark.parametrize(("min_batch", "max_delay"), [(0, 1.0), (2, -1.0)])
def test_policy_refuses_nonsense(min_batch: int, max_delay: float) -> None:
    with pytest.raises(ValueError, match=r"min_batch|max_delay"):
        BatchPolicy(min_batch, max_delay)


@pytest.fixture
def donor_events(make_app: Callable[..., HgkmApplication], clock: SettableClock,
                 tmp_path: Path) -> list[StoredEvent]:
    """The stored events of a few meldingen, from a store of their own, in order.

    The tests insert them into the followed store through its recorder: commands would
    catch the read models up themselves, leaving the follower nothing to do.
    """
    donor = make_app(f"sqlite:///{tmp_path / 'donor.db'}")
    for _ in range(10):
        Household(donor, clock).melding()
    return [StoredEvent(originator_id=UUID(str(n.originator_id)),
                        originator_version=n.originator_version, topic=n.topic, state=n.state)
            for n in donor.recorder.select_notifications(start=None, limit=10_000)]


@contextmanager
def _following(app: HgkmApplication, first: list[StoredEvent],
               **options: float) -> Iterator[list[tuple[float, int]]]:
    """Follow ``app`` in a thread; yield the (monotonic time, size) of each catch-up.

    ``first`` is inserted before the follower starts and is applied by its start-up
    catch-up (the first batch); the context is entered once that has happened, so the
    test's own inserts all reach a follower that is already waiting.
    """
    batches: list[tuple[float, int]] = []
    errors: list[BaseException] = []
    stop = threading.Event()
    postgres = app.engine.dialect.name == "postgresql"

    def run() -> None:
        try:
            app.projections.follow(stop, 60.0 if postgres else 0.05,
                                   on_batch=lambda n: batches.append((time.monotonic(), n)),
                                   **options)  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    app.projections.catch_up()  # set up before following
    app.recorder.insert_events(first)
    thread = threading.Thread(target=run)
    thread.start()
    try:
        _until(lambda: bool(batches) or not thread.is_alive(), "the follower did not start")
        assert [size for _, size in batches] == [len(first)]
        yield batches
    finally:
        stop.set()
        thread.join(timeout=DEADLINE)
    assert not thread.is_alive() and errors == []


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def _position(app: HgkmApplication) -> int:
    return (app.recorder.max_notification_id() or 0) - app.projections.lag()


CHUNK = 3  # events per insert


def test_follower_applies_only_full_batches(app: HgkmApplication,
                                            donor_events: list[StoredEvent]) -> None:
    min_batch = 4 * CHUNK - 1
    first, rest = donor_events[:CHUNK], donor_events[CHUNK:]
    with _following(app, first, min_batch=min_batch, max_delay=3600.0) as batches:
        for start in range(0, len(rest), CHUNK):
            app.recorder.insert_events(rest[start:start + CHUNK])
            time.sleep(0.03)
        _until(lambda: len(batches) > 1, "the follower applied no batch")
        _until(lambda: app.projections.lag() < min_batch, "the follower fell behind")
    assert len(rest) >= 2 * min_batch  # enough for two batches at least
    after_start = [size for _, size in batches[1:]]
    assert all(size >= min_batch for size in after_start), batches
    assert sum(after_start) == _position(app) - CHUNK
    assert len(after_start) < len(rest) / CHUNK  # fewer catch-ups than inserts


def test_follower_holds_a_small_batch_at_most_until_the_delay(
        app: HgkmApplication, donor_events: list[StoredEvent]) -> None:
    delay = 0.6
    with _following(app, donor_events[:1], min_batch=10_000, max_delay=delay) as batches:
        before = time.monotonic()
        app.recorder.insert_events(donor_events[1:1 + CHUNK])
        _until(lambda: app.projections.lag() == 0, "the delay never released the batch")
    assert [size for _, size in batches] == [1, CHUNK]
    assert batches[1][0] - before >= delay  # held back at least the delay


def test_default_follower_catches_up_each_insert(app: HgkmApplication,
                                                 donor_events: list[StoredEvent]) -> None:
    with _following(app, donor_events[:1]) as batches:
        for n in range(3):
            app.recorder.insert_events(donor_events[1 + n * CHUNK:1 + (n + 1) * CHUNK])
            _until(lambda: app.projections.lag() == 0, "the follower did not catch up")
        # on_batch is called after the batch commits: lag 0 can be seen just before it
        _until(lambda: len(batches) >= 4, "the follower did not report its last batch")
        assert [size for _, size in batches] == [1] + [CHUNK] * 3
