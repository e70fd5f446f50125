"""Contract tests of the projection runner, on SQLite and on PostgreSQL.

Each test gets a fresh store: a SQLite file in ``tmp_path``, or a fresh PostgreSQL
database (created and dropped around the test; the server is named by
``HGKM_TEST_POSTGRES_URL``, default ``postgresql://postgres@127.0.0.1:55432/hgkm_test``).
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import psycopg
import pytest
import sqlalchemy as sa
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Notification
from psycopg import sql

from hgkm_workflow.adapters.fast_decode import FastEventDecoder
from hgkm_workflow.adapters.store import StoreConfig, StoreKind, parse_store_url
from hgkm_workflow.projections import (
    Projection,
    ProjectionDefinitionError,
    ProjectionNotSetUpError,
    ProjectionRunner,
    ProjectionVersionMismatchError,
    UnknownProjectionError,
    event_name,
    make_engine,
)

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:55432/hgkm_test"


# A tiny domain.


class Counter(Aggregate):
    """A counter that can be incremented and labelled."""

    @event("Created")
    def __init__(self) -> None:
        self.count = 0
        self.label = ""

    @event("Incremented")
    def increment(self) -> None:
        self.count += 1

    @event("Labelled")
    def relabel(self, label: str) -> None:
        self.label = label


class CounterApp(Application[UUID]):
    """The application whose notification log the tests project."""


# Tiny projections.


class CountsProjection(Projection):
    """Counts all events per aggregate."""

    name = "test_counts"
    version = 1
    metadata = sa.MetaData()
    table: ClassVar[sa.Table] = sa.Table(
        "rm_test_counts",
        metadata,
        sa.Column("aggregate_id", sa.String(36), primary_key=True),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("last_position", sa.BigInteger, nullable=False),
    )

    def apply_batch(self, conn: sa.Connection, events: Sequence[tuple[object, int]]) -> None:
        for ev, position in events:
            self._count(conn, ev, position)

    def _count(self, conn: sa.Connection, event: object, position: int) -> None:
        aggregate_id = str(getattr(event, "originator_id"))  # noqa: B009
        table = self.table
        updated = conn.execute(
            sa.update(table)
            .where(table.c.aggregate_id == aggregate_id)
            .values(events=table.c.events + 1, last_position=position)
        )
        if updated.rowcount == 0:
            conn.execute(
                sa.insert(table).values(aggregate_id=aggregate_id, events=1, last_position=position)
            )


class IncrementsOnlyCounts(CountsProjection):
    """Version 2 of the counts: only increments count (a logic change)."""

    version = 2
    event_names = frozenset({"Incremented"})


class LabelsProjection(Projection):
    """The latest label per aggregate; wants only ``Labelled`` events."""

    name = "test_labels"
    metadata = sa.MetaData()
    event_names = frozenset({"Labelled"})
    table: ClassVar[sa.Table] = sa.Table(
        "rm_test_labels",
        metadata,
        sa.Column("aggregate_id", sa.String(36), primary_key=True),
        sa.Column("label", sa.Text, nullable=False),
    )

    def apply_batch(self, conn: sa.Connection, events: Sequence[tuple[object, int]]) -> None:
        for ev, _ in events:
            aggregate_id = str(getattr(ev, "originator_id"))  # noqa: B009
            label = str(getattr(ev, "label"))  # noqa: B009
            conn.execute(sa.delete(self.table).where(self.table.c.aggregate_id == aggregate_id))
            conn.execute(sa.insert(self.table).values(aggregate_id=aggregate_id, label=label))


class SimulatedCrashError(Exception):
    """Raised by the test hook between the view update and the tracking write."""


# Fixtures and helpers.


def _pg_admin_url() -> str:
    return os.environ.get("HGKM_TEST_POSTGRES_URL", DEFAULT_PG_URL)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[StoreConfig]:
    """A fresh, empty store on each backend."""
    if request.param == "sqlite":
        yield parse_store_url(f"sqlite:///{tmp_path / 'store.db'}")
        return
    admin_url = _pg_admin_url()
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError:
        if os.environ.get("HGKM_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required (HGKM_REQUIRE_POSTGRES=1) but does not answer")
        pytest.skip("PostgreSQL is not reachable (bash .ci/start-postgres.sh starts it)")
    dbname = f"hgkm_t_{uuid4().hex[:16]}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    try:
        yield parse_store_url(urlsplit(admin_url)._replace(path=f"/{dbname}").geturl())
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )


class Harness:
    """Makes applications, engines and runners on one store, and closes them all."""

    def __init__(self, store: StoreConfig) -> None:
        self.store = store
        self._apps: list[CounterApp] = []
        self._engines: list[sa.Engine] = []
        self.app = self.new_app()
        self.engine = self.new_engine()
        self._counters: list[Counter] = []

    def new_app(self) -> CounterApp:
        app = CounterApp(env=self.store.eventsourcing_env)
        self._apps.append(app)
        return app

    def new_engine(self) -> sa.Engine:
        engine = make_engine(self.store)
        self._engines.append(engine)
        return engine

    def runner(
        self,
        *projections: Projection,
        batch_size: int = 500,
        app: CounterApp | None = None,
        engine: sa.Engine | None = None,
        before_tracking_write: Callable[[sa.Connection, int], None] | None = None,
    ) -> ProjectionRunner:
        return ProjectionRunner(
            app or self.app,
            engine or self.engine,
            projections or (CountsProjection(),),
            batch_size=batch_size,
            before_tracking_write=before_tracking_write,
        )

    def write(self, n: int, *, counters: int = 5) -> None:
        """Record ``n`` events: creations, then increments and relabellings in turn."""
        for i in range(n):
            if len(self._counters) < counters:
                counter = Counter()
                self._counters.append(counter)
            else:
                counter = self._counters[i % counters]
                if i % 3 == 0:
                    counter.relabel(f"label-{i}")
                else:
                    counter.increment()
            self.app.save(counter)

    def notifications(self, upto: int | None = None) -> list[Notification]:
        """All notifications (fine for the small logs of these tests)."""
        found = self.app.recorder.select_notifications(start=1, limit=1_000_000, stop=upto)
        return list(found)

    def expected_counts(self, upto: int | None = None) -> dict[str, tuple[int, int]]:
        """``{aggregate id: (events, last position)}`` computed straight from the log."""
        tally: Tally[str] = Tally()
        last: dict[str, int] = {}
        for n in self.notifications(upto):
            key = str(n.originator_id)
            tally[key] += 1
            last[key] = n.id
        return {key: (tally[key], last[key]) for key in tally}

    def counts(self) -> dict[str, tuple[int, int]]:
        table = CountsProjection.table
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(table.c.aggregate_id, table.c.events, table.c.last_position)
            )
            return {row.aggregate_id: (row.events, row.last_position) for row in rows}

    def labels(self) -> dict[str, str]:
        table = LabelsProjection.table
        with self.engine.connect() as conn:
            return {row.aggregate_id: row.label for row in conn.execute(sa.select(table))}

    def max_id(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def close(self) -> None:
        for engine in self._engines:
            engine.dispose()
        for app in self._apps:
            app.close()


@pytest.fixture
def harness(store: StoreConfig) -> Iterator[Harness]:
    """A harness on a fresh store; closes its applications and engines afterwards."""
    h = Harness(store)
    try:
        yield h
    finally:
        h.close()


def _spy(
    monkeypatch: pytest.MonkeyPatch, obj: object, method: str
) -> list[tuple[tuple[Any, ...], dict[str, Any], Any]]:
    """Record the calls (args, kwargs, result) of ``obj.method``."""
    calls: list[tuple[tuple[Any, ...], dict[str, Any], Any]] = []
    original = getattr(obj, method)

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        calls.append((args, kwargs, result))
        return result

    monkeypatch.setattr(obj, method, spy)
    return calls


# Tests.


def test_event_name_is_the_last_component_of_the_topic() -> None:
    assert event_name("hgkm_workflow.case:HouseholdCase.MeldingReceived") == "MeldingReceived"
    assert event_name("tests.test_x:Counter.Created") == "Created"


def test_catch_up_applies_each_event_exactly_once(harness: Harness) -> None:
    harness.write(30)
    runner = harness.runner()

    assert runner.catch_up() == 30
    assert harness.counts() == harness.expected_counts()
    assert runner.position("test_counts") == harness.max_id()
    assert runner.lag() == 0

    assert runner.catch_up() == 0
    assert harness.counts() == harness.expected_counts()

    harness.write(12)
    assert runner.lag() == 12
    assert runner.catch_up() == 12
    assert harness.counts() == harness.expected_counts()
    assert sum(events for events, _ in harness.counts().values()) == 42


def test_catch_up_until_stops_at_the_given_position(harness: Harness) -> None:
    harness.write(20)
    runner = harness.runner(batch_size=3)
    until = harness.notifications()[9].id

    assert runner.catch_up(until=until) == 10
    assert runner.position("test_counts") == until
    assert harness.counts() == harness.expected_counts(upto=until)

    assert runner.catch_up() == 10
    assert harness.counts() == harness.expected_counts()


def test_catch_up_on_an_empty_log_does_nothing(harness: Harness) -> None:
    runner = harness.runner()
    assert runner.catch_up() == 0
    assert runner.position("test_counts") == 0
    assert runner.lag() == 0
    assert harness.counts() == {}


def test_rebuild_gives_the_same_rows_as_incremental_processing(harness: Harness) -> None:
    runner = harness.runner(CountsProjection(), LabelsProjection(), batch_size=4)
    for _ in range(4):
        harness.write(9)
        runner.catch_up()
    incremental = (harness.counts(), harness.labels())
    assert incremental[0] == harness.expected_counts()
    progress: list[tuple[int, int]] = []

    processed = runner.rebuild(progress=lambda done, total: progress.append((done, total)))

    assert processed == 36
    assert (harness.counts(), harness.labels()) == incremental
    assert progress[0] == (0, harness.max_id())
    assert progress[-1] == (harness.max_id(), harness.max_id())
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    assert len(progress) == 1 + 9  # the start, then ceil(36 / 4) batches


def test_rebuild_of_one_projection_leaves_the_others_alone(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.write(20)
    runner = harness.runner(CountsProjection(), LabelsProjection())
    runner.catch_up()
    labels = harness.labels()
    calls = _spy(monkeypatch, LabelsProjection, "apply")

    assert runner.rebuild(["test_counts"]) == 20

    assert calls == []
    assert harness.labels() == labels
    assert harness.counts() == harness.expected_counts()
    with pytest.raises(UnknownProjectionError):
        runner.rebuild(["no_such_projection"])


def test_a_crash_between_view_update_and_tracking_write_loses_and_doubles_nothing(
    harness: Harness,
) -> None:
    harness.write(35)
    batches: list[int] = []

    def crash_on_second_batch(conn: sa.Connection, position: int) -> None:
        batches.append(position)
        if len(batches) == 2:
            # The view rows of this batch are written (visible inside the transaction).
            inside = conn.execute(sa.select(sa.func.sum(CountsProjection.table.c.events)))
            assert inside.scalar_one() == 20
            raise SimulatedCrashError

    crashing = harness.runner(batch_size=10, before_tracking_write=crash_on_second_batch)
    with pytest.raises(SimulatedCrashError):
        crashing.catch_up()

    first_batch_end = batches[0]
    assert crashing.position("test_counts") == first_batch_end
    assert harness.counts() == harness.expected_counts(upto=first_batch_end)

    restarted = harness.runner(CountsProjection(), engine=harness.new_engine(), batch_size=10)
    assert restarted.catch_up() == 25
    assert harness.counts() == harness.expected_counts()
    assert restarted.catch_up() == 0


def test_a_version_bump_rebuilds_the_projection(harness: Harness) -> None:
    harness.write(30)
    v1 = harness.runner(CountsProjection())
    v1.catch_up()
    assert harness.counts() == harness.expected_counts()

    v2 = harness.runner(IncrementsOnlyCounts(), engine=harness.new_engine())
    v2.setup()
    assert v2.position("test_counts") == 0
    assert harness.counts() == {}
    with pytest.raises(ProjectionVersionMismatchError):
        v1.catch_up()  # the old code refuses to write into the new version's tables

    assert v2.catch_up() == 30
    increments = {
        str(n.originator_id): n.id
        for n in harness.notifications()
        if event_name(n.topic) == "Incremented"
    }
    tally = Tally(
        str(n.originator_id)
        for n in harness.notifications()
        if event_name(n.topic) == "Incremented"
    )
    assert harness.counts() == {key: (tally[key], increments[key]) for key in tally}

    again = harness.runner(IncrementsOnlyCounts(), engine=harness.new_engine())
    again.setup()  # same version: nothing is rebuilt
    assert again.position("test_counts") == harness.max_id()


def test_concurrent_runners_do_not_double_apply(harness: Harness) -> None:
    harness.write(120)
    barrier = threading.Barrier(3, timeout=30)
    results: list[int] = []
    errors: list[BaseException] = []
    # Like two processes: each runner has its own application and engine. Neither has
    # run setup() yet, so the two setups race too.
    runners = [
        harness.runner(
            CountsProjection(),
            LabelsProjection(),
            app=harness.new_app(),
            engine=harness.new_engine(),
            batch_size=7,
        )
        for _ in range(2)
    ]

    def run_runner(runner: ProjectionRunner) -> None:
        try:
            barrier.wait()
            total = 0
            for _ in range(5):
                total += runner.catch_up()
            results.append(total)
        except BaseException as e:
            errors.append(e)

    def run_writer() -> None:
        try:
            barrier.wait()
            harness.write(60)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run_runner, args=(runner,)) for runner in runners]
    threads.append(threading.Thread(target=run_writer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert not any(thread.is_alive() for thread in threads)

    final = harness.runner(CountsProjection(), LabelsProjection())
    results.append(final.catch_up())

    assert sum(results) == 180  # every notification applied by exactly one runner
    assert harness.counts() == harness.expected_counts()
    assert sum(events for events, _ in harness.counts().values()) == 180


def test_small_batches_stream_the_log_and_give_the_same_rows(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.write(100)
    selects = _spy(monkeypatch, harness.app.recorder, "select_notifications")
    runner = harness.runner(CountsProjection(), batch_size=7)

    assert runner.catch_up() == 100
    runner_selects = list(selects)

    sizes = [len(result) for _, _, result in runner_selects]
    assert max(sizes) <= 7
    assert sum(sizes) == 100
    assert all(kwargs["limit"] == 7 for _, kwargs, _ in runner_selects)
    assert harness.counts() == harness.expected_counts()


def test_events_no_projection_wants_are_not_decoded(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.write(40)
    # The runner decodes with the fast decoder (exactly the mapper's events, see
    # tests/adapters/test_fast_decode.py): count its calls.
    decoded = _spy(monkeypatch, FastEventDecoder, "__call__")
    runner = harness.runner(LabelsProjection(), batch_size=9)

    assert runner.catch_up() == 40

    labelled = [n for n in harness.notifications() if event_name(n.topic) == "Labelled"]
    assert len(decoded) == len(labelled) > 0
    assert runner.position("test_labels") == harness.max_id()
    decode = harness.app.mapper.to_domain_event
    expected = {str(n.originator_id): str(getattr(decode(n), "label")) for n in labelled}  # noqa: B009
    assert harness.labels() == expected


def test_follow_keeps_catching_up_until_stopped(harness: Harness) -> None:
    runner = harness.runner(CountsProjection(), engine=harness.new_engine())
    runner.setup()
    stop = threading.Event()
    errors: list[BaseException] = []
    # PostgreSQL wakes the runner by LISTEN/NOTIFY, so a long poll interval must not
    # delay it; SQLite can only poll.
    poll_interval = 60.0 if harness.store.kind is StoreKind.POSTGRES else 0.05

    def follow() -> None:
        try:
            runner.follow(stop, poll_interval=poll_interval)
        except BaseException as e:
            errors.append(e)

    thread = threading.Thread(target=follow)
    thread.start()
    try:
        for _ in range(3):
            harness.write(5)
            deadline = time.monotonic() + 10
            while runner.position("test_counts") < harness.max_id():
                assert time.monotonic() < deadline, "follow did not catch up"
                time.sleep(0.01)
            assert harness.counts() == harness.expected_counts()
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert errors == []


def test_position_and_definition_errors(harness: Harness) -> None:
    runner = harness.runner(CountsProjection())
    with pytest.raises(UnknownProjectionError):
        runner.position("nope")
    with pytest.raises(ProjectionNotSetUpError):
        runner.position("test_counts")

    class BadPrefix(Projection):
        name = "bad"
        metadata = sa.MetaData()
        table: ClassVar[sa.Table] = sa.Table("counts", metadata, sa.Column("x", sa.Integer))

        def apply_batch(
            self, conn: sa.Connection, events: Sequence[tuple[object, int]]
        ) -> None:
            return None

    with pytest.raises(ProjectionDefinitionError):
        harness.runner(BadPrefix())
    with pytest.raises(ProjectionDefinitionError):
        harness.runner(CountsProjection(), IncrementsOnlyCounts())  # same name twice
    with pytest.raises(ProjectionDefinitionError):
        harness.runner(batch_size=0)


def test_setup_recreates_missing_tables_and_rebuilds(harness: Harness) -> None:
    harness.write(10)
    runner = harness.runner()
    runner.catch_up()
    with harness.engine.begin() as conn:
        CountsProjection.metadata.drop_all(conn)

    fresh = harness.runner(engine=harness.new_engine())
    fresh.setup()
    assert fresh.position("test_counts") == 0
    assert fresh.catch_up() == 10
    assert harness.counts() == harness.expected_counts()
