"""Catch projections up with the application's notification log, exactly once.

The runner pulls notifications batch by batch (never the whole log) and applies each
batch in ONE transaction per batch, in which it

1. locks the projections' tracking rows (``SELECT ... FOR UPDATE`` on PostgreSQL; the
   transaction starts with ``BEGIN IMMEDIATE`` on SQLite) and re-reads their positions,
2. decodes every notification newer than some projection's position once, if some
   projection wants its class name, and hands each projection the events it wants with
   one :meth:`~hgkm_workflow.projections.base.Projection.apply_batch` call,
3. writes the new positions.

View rows and positions are committed together, so a crash loses or doubles nothing, and
two runners on the same database never apply an event twice.

Ordering and gaps: eventsourcing 9.5.6 assigns notification ids in commit order. SQLite
has one writer at a time; the PostgreSQL recorder takes ``LOCK TABLE ... IN EXCLUSIVE
MODE`` in every inserting transaction, so a reader never sees id ``n + 1`` before id ``n``
commits. Ids of rolled-back inserts stay unused forever, so skipping them is safe. (The
optional ``POSTGRES_ENABLE_DB_FUNCTIONS`` insert path does not take that lock; do not
enable it.) Each catch-up is bounded by the maximum notification id read at its start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, cast

import sqlalchemy as sa
from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from hgkm_workflow.adapters.fast_decode import event_decoder
from hgkm_workflow.projections.base import Projection
from hgkm_workflow.projections.collect import SortedOut, sort_out
from hgkm_workflow.projections.dead_letters import (
    ProjectionStatus,
    apply_isolating,
    clear_dead_letters,
    create_dead_letter_table,
    projection_statuses,
    record_dead_letter,
)
from hgkm_workflow.projections.engine import config_of, make_engine, write_connection
from hgkm_workflow.projections.errors import (
    ProjectionDefinitionError,
    ProjectionNotSetUpError,
    UnknownProjectionError,
)
from hgkm_workflow.projections.fold_io import collector_paused
from hgkm_workflow.projections.migration import PendingMigration, pending_migrations, refusal
from hgkm_workflow.projections.parallel import (
    WorkerSpec,
    can_ship,
    open_reader,
    plan_groups,
    rebuild_in_workers,
    worker_spec,
)
from hgkm_workflow.projections.tracking import (
    TRACKING_TABLE_NAME,
    checked_row,
    create_tracking_table,
    read_rows,
    write_row,
)
from hgkm_workflow.projections.waiting import notification_waiter

DEFAULT_BATCH_SIZE = 500
"""Notifications per transaction when catching up (short transactions, prompt progress)."""

DEFAULT_REBUILD_BATCH_SIZE = 5000
"""Notifications per transaction when rebuilding: fewer loads, flushes and commits per event
(see ``docs/performance.md``); memory stays bounded by one batch."""

ProgressCallback = Callable[[int, int], None]
"""``progress(done, total)``: last notification id processed, and the maximum id."""

BeforeTrackingWrite = Callable[[sa.Connection, int], None]
"""Test hook ``hook(conn, position)``: runs after a batch's view rows, before its tracking."""



class ProjectionRunner:
    """Applies an application's events to read-model projections, exactly once.

    Args:
        app: The eventsourcing application whose notification log is projected.
        engine: The SQLAlchemy engine on the same database (see ``engine_for``).
        projections: The projections to run; names and table names must be unique.
        batch_size: Notifications per batch and per transaction (default
            :data:`DEFAULT_BATCH_SIZE`; if given, also for rebuilds unless
            ``rebuild_batch_size`` is given).
        rebuild_batch_size: Notifications per batch during :meth:`rebuild` (default
            ``batch_size`` if given, else :data:`DEFAULT_REBUILD_BATCH_SIZE`).
        before_tracking_write: Test hook called in each batch transaction after the view
            rows are written and before the tracking rows are; raise to simulate a crash.

    Raises:
        ProjectionDefinitionError: If a projection is ill-formed or names collide.
    """

    def __init__(
        self,
        app: Application[Any],
        engine: sa.Engine,
        projections: Sequence[Projection],
        batch_size: int | None = None,
        *,
        rebuild_batch_size: int | None = None,
        before_tracking_write: BeforeTrackingWrite | None = None,
    ) -> None:
        for size in (batch_size, rebuild_batch_size):
            if size is not None and size < 1:
                raise ProjectionDefinitionError("batch sizes must be at least 1")
        self._app = app
        self._engine = engine
        self._decoder: tuple[object, Callable[[Notification], object]] | None = None
        self._batch_size = DEFAULT_BATCH_SIZE if batch_size is None else batch_size
        self._rebuild_batch_size = (
            rebuild_batch_size
            if rebuild_batch_size is not None
            else batch_size
            if batch_size is not None
            else DEFAULT_REBUILD_BATCH_SIZE
        )
        self._before_tracking_write = before_tracking_write
        self._projections: dict[str, Projection] = {}
        tables: set[str] = set()
        for projection in projections:
            type(projection).validate()
            if projection.name in self._projections:
                raise ProjectionDefinitionError(f"duplicate projection name '{projection.name}'")
            self._projections[projection.name] = projection
            for table in projection.tables():
                if table.name in tables:
                    raise ProjectionDefinitionError(f"table '{table.name}' has two owners")
                tables.add(table.name)
        self._is_set_up = False
        #: Whether ``rebuild(workers=N)`` runs in parallel on SQLite too (off: one writer,
        #: measured slower than serial; docs/performance.md).
        self.parallel_on_sqlite = False
        #: Projections waiting for :meth:`migrate` (empty once migrated, here or elsewhere).
        self.pending_migrations: tuple[PendingMigration, ...] = ()

    @property
    def projections(self) -> tuple[Projection, ...]:
        """The projections this runner runs, in the order given."""
        return tuple(self._projections.values())

    def setup(self, *, migrate: bool = True) -> None:
        """Create the tracking table and the projections' tables (if missing).

        A projection whose stored version differs from its class version (or whose
        tables are missing while its position is not zero) is reset: its tables are
        dropped and recreated and its position set to 0; the next catch-up rebuilds it.
        Tables of an older version that the new version no longer declares are not
        dropped. With ``migrate=False`` (the application's constructor) nothing is reset: they
        are :attr:`pending_migrations`; catch-ups are refused until :meth:`migrate`.
        """
        if not migrate:
            with self._engine.connect() as conn:
                self.pending_migrations = tuple(pending_migrations(conn, self.projections))
            if self.pending_migrations:
                return
        with write_connection(self._engine) as conn:
            create_tracking_table(conn)
            create_dead_letter_table(conn)
            rows = read_rows(conn, self._projections, for_update=True)
            existing = set(sa.inspect(conn).get_table_names())
            for projection in self._projections.values():
                row = rows.get(projection.name)
                missing = any(t.name not in existing for t in projection.tables())
                if row is None:
                    projection.metadata.create_all(conn, checkfirst=True)
                    write_row(conn, projection.name, 0, projection.version)
                elif row.version != projection.version or (missing and row.position > 0):
                    _reset(conn, projection)
                elif missing:
                    projection.metadata.create_all(conn, checkfirst=True)
        self._is_set_up, self.pending_migrations = True, ()

    def migrate(self) -> list[PendingMigration]:
        """Rebuild every projection of another version, then catch up; return what was done."""
        with self._engine.connect() as conn:
            done = pending_migrations(conn, self._projections.values())
        self.setup()
        self.catch_up()
        return done

    def catch_up(self, until: int | None = None) -> int:
        """Apply all notifications not yet applied, batch by batch.

        Calls :meth:`setup` first if this runner has not done so yet.

        Args:
            until: Stop at this notification id (inclusive); by default at the maximum
                notification id read when the catch-up starts.

        Returns:
            The number of notifications this call applied to at least one projection
            (those already applied by another runner are not counted).
        """
        self._ensure_set_up()
        return self._catch_up(list(self._projections.values()), until, None, self._batch_size)

    def rebuild(
        self,
        names: Sequence[str] | None = None,
        progress: ProgressCallback | None = None,
        *,
        workers: int = 1,
    ) -> int:
        """Drop and recreate projections' tables and tracking, then catch up from zero.

        Batches hold ``rebuild_batch_size`` notifications (see the constructor).

        With ``workers`` > 1: groups of projections of about equal cost, each rebuilt up to
        the start's maximum id, the first here and each other in a spawn process (see
        :mod:`hgkm_workflow.projections.parallel`), then one catch-up here. Serial on SQLite
        (unless :attr:`parallel_on_sqlite`), for one group, for projections that do not
        pickle, or an application or engine that cannot be opened again elsewhere.

        Args:
            names: The projections to rebuild; all of this runner's by default.
            progress: Called with ``(0, total)`` first and then after each batch with
                ``(done, total)``: the last notification id processed and the maximum
                notification id (``total`` grows if events arrive during the rebuild); in a
                parallel rebuild at the start, at the workers' end and during the catch-up.
            workers: Processes to rebuild in (default 1: this process only).

        Returns:
            The number of notifications processed (in a parallel rebuild: the maximum id of
            the start, plus those of the final catch-up).

        Raises:
            UnknownProjectionError: If a name is not one of this runner's projections.
            ParallelRebuildError: If a worker failed; its projections stay at the position
                of their last committed batch (the others are complete).
        """
        if self.pending_migrations and names is None:  # rebuilding everything is the migration
            self.setup(migrate=True)
        self._ensure_set_up()
        selected = [self._get(name) for name in names] if names is not None else None
        projections = selected if selected is not None else list(self._projections.values())
        with write_connection(self._engine) as conn:
            read_rows(conn, (p.name for p in projections), for_update=True)
            for projection in projections:
                _reset(conn, projection)
        groups = plan_groups(projections, workers)
        config = config_of(self._engine)
        template = worker_spec(self._app, config) if config is not None else None
        parallel = self.parallel_on_sqlite or self._engine.dialect.name != "sqlite"
        if len(groups) > 1 and template is not None and parallel and can_ship(groups):
            until = self._app.recorder.max_notification_id() or 0
            rebuild_in_workers(_rebuild_group, template, groups, until,
                               self._rebuild_batch_size, progress)
            return until + self._catch_up(projections, None, progress,
                                          self._rebuild_batch_size, report_start=False,
                                          rebuilding=True)
        return self._catch_up(projections, None, progress, self._rebuild_batch_size,
                              rebuilding=True)

    def position(self, name: str) -> int:
        """The notification id up to which the named projection has been applied.

        Raises:
            UnknownProjectionError: If the name is not one of this runner's projections.
            ProjectionNotSetUpError: If the projection has no tracking row yet.
        """
        self._get(name)
        with self._engine.connect() as conn:
            row = read_rows(conn, [name]).get(name) if self._has_tracking(conn) else None
        if row is None:
            raise ProjectionNotSetUpError(f"projection '{name}' has no tracking row")
        return row.position

    def lag(self) -> int:
        """Maximum notification id minus the lowest position of this runner's projections.

        Projections not set up yet count as position 0.
        """
        max_id = self._app.recorder.max_notification_id() or 0
        with self._engine.connect() as conn:
            rows = read_rows(conn, self._projections) if self._has_tracking(conn) else {}
        lowest = min((rows[n].position if n in rows else 0 for n in self._projections), default=0)
        return max(0, max_id - lowest)

    def status(self) -> list[ProjectionStatus]:
        """Position, lag and dead letters of each projection (see ``hgkm projections status``)."""
        max_id = self._app.recorder.max_notification_id() or 0
        with self._engine.connect() as conn:
            tracked = self._has_tracking(conn)
        return projection_statuses(self._engine, list(self._projections), max_id, tracked)

    def follow(self, stop_event: threading.Event, poll_interval: float = 0.5, *,
               min_batch: int = 1, max_delay: float = 1.0,
               on_batch: Callable[[int], None] | None = None) -> None:
        """Keep catching up until ``stop_event`` is set (in the calling thread).

        On PostgreSQL it LISTENs on the channel the recorder NOTIFYs on each insert, and
        still catches up at least every ``poll_interval`` seconds; on SQLite it polls. A
        wake-up only runs :meth:`catch_up`, so the tracking table stays the single source of
        the position. With ``min_batch`` above 1 a wake-up catches up only once ``min_batch``
        notifications wait or one has waited ``max_delay`` seconds
        (:mod:`hgkm_workflow.projections.batching`); it always catches up once at the start,
        and a stop does not flush a partial batch. ``on_batch`` is called with the number
        each catch-up applied. Errors propagate.
        """
        from hgkm_workflow.projections.batching import BatchPolicy, follow_log

        self._ensure_set_up()
        with notification_waiter(self._app, self._engine, stop_event, poll_interval) as wait:
            follow_log(BatchPolicy(min_batch, max_delay), self.catch_up, self.lag, wait,
                       stop_event, on_batch)

    # Internals.

    def _ensure_set_up(self) -> None:
        if self.pending_migrations:  # another process may have migrated meanwhile
            self.setup(migrate=False)
            if self.pending_migrations:
                raise refusal(self.pending_migrations)
        if not self._is_set_up:
            self.setup()

    def _has_tracking(self, conn: sa.Connection) -> bool:
        return self._is_set_up or sa.inspect(conn).has_table(TRACKING_TABLE_NAME)

    def _get(self, name: str) -> Projection:
        try:
            return self._projections[name]
        except KeyError:
            raise UnknownProjectionError(f"no projection named '{name}'") from None

    def _catch_up(
        self,
        projections: list[Projection],
        until: int | None,
        progress: ProgressCallback | None,
        batch_size: int,
        *,
        report_start: bool = True,
        rebuilding: bool = False,
    ) -> int:
        if not projections:
            return 0
        max_id = self._app.recorder.max_notification_id() or 0
        stop = max_id if until is None else until
        names = [p.name for p in projections]
        if progress is not None and report_start:
            progress(0, max_id)
        processed = 0
        while True:
            with self._engine.connect() as conn:
                rows = read_rows(conn, names)
            positions = {p.name: checked_row(rows, p).position for p in projections}
            start = min(positions.values())
            if start >= stop:
                break
            with collector_paused():  # one batch's objects die by reference counting
                batch = self._app.recorder.select_notifications(
                    start=start, limit=batch_size, stop=stop, inclusive_of_start=False
                )
                if not batch:
                    break
                # Decoded before the write lock; used if the locked positions are the same.
                early = sort_out(self._decoder_of_mapper(), projections, positions, start, batch)
                processed += self._apply_batch(projections, start, batch, early)
            if progress is not None:
                progress(batch[-1].id, max(max_id, batch[-1].id))
        # Deferred work is finished after a rebuild, or once a catch-up applied anything.
        settling = [p for p in projections if p.settles()] if rebuilding or processed else []
        if settling:
            with write_connection(self._engine) as conn:
                for projection in settling:
                    projection.settle(conn)
        return processed

    def _apply_batch(
        self,
        projections: list[Projection],
        start: int,
        batch: Sequence[Notification],
        early: SortedOut | None,
    ) -> int:
        last = batch[-1].id
        with write_connection(self._engine) as conn:
            rows = read_rows(conn, (p.name for p in projections), for_update=True)
            positions = {p.name: checked_row(rows, p).position for p in projections}
            if early is None or early[0] != positions:  # another runner moved meanwhile
                early = sort_out(self._decoder_of_mapper(), projections, positions, start, batch)
            if early is None:
                return 0
            _, eligible, lowest, pending, undecodable = early
            applied = sum(1 for n in batch if n.id > lowest)
            # An event whose stored bytes no longer decode is a dead letter of every
            # projection that wants it; the rest of the store goes on.
            for name, position, event, error in undecodable:
                record_dead_letter(conn, name, position, event, "UNDECODABLE", error)
            # Each projection gets its events of this batch at once; projections own
            # disjoint tables, so applying them one after another gives the same rows as
            # interleaving them event by event.
            # An event the database refuses becomes a dead letter; the rest is applied.
            for projection, events in zip(eligible, pending, strict=True):
                if events:
                    apply_isolating(conn, projection, events)
            if self._before_tracking_write is not None:
                self._before_tracking_write(conn, last)
            for projection in eligible:
                write_row(conn, projection.name, last, projection.version)
        return applied

    def _decoder_of_mapper(self) -> Callable[[Notification], object]:
        """Exactly the application's ``mapper.to_domain_event``, faster (``fast_decode``)."""
        mapper = self._app.mapper
        if self._decoder is None or self._decoder[0] is not mapper:
            self._decoder = (mapper, event_decoder(mapper))
        return self._decoder[1]


def _rebuild_group(spec: WorkerSpec) -> int:
    """A parallel rebuild's worker: catch one group up to ``spec.until`` (its tables are
    reset already), with a reader and an engine of its own."""
    reader = open_reader(spec)
    engine = make_engine(spec.config)
    try:
        runner = ProjectionRunner(cast(Application[Any], reader), engine, spec.projections,
                                  rebuild_batch_size=spec.batch_size)
        runner._is_set_up = True  # the coordinator made the tables and tracking rows
        return runner._catch_up(list(spec.projections), spec.until, None, spec.batch_size,
                                rebuilding=True)
    finally:
        engine.dispose()
        reader.close()


def _reset(conn: sa.Connection, projection: Projection) -> None:
    """Drop and recreate the projection's tables and set its position to 0."""
    projection.metadata.drop_all(conn, checkfirst=True)
    projection.metadata.create_all(conn)
    clear_dead_letters(conn, projection.name)
    write_row(conn, projection.name, 0, projection.version)
