"""The application: the one object a host service embeds.

``HgkmApplication(store_url, clock=...)`` opens the event store (SQLite file or PostgreSQL),
the read models in the same database and the person register. It has a method per command,
queries for a case's state and for listing cases, and :meth:`HgkmApplication.tick` for the
statutory clock.

This module is the composition root: it wires the parts and each public method is one line
over one of them —

* :mod:`~hgkm_workflow.application.unit_of_work`: take, decide, save, with the one bounded
  optimistic-concurrency retry loop (then :class:`~hgkm_workflow.errors.ConcurrentModification`);
* :mod:`~hgkm_workflow.application.handlers`: the command handler table and its dispatcher
  (``app.commands.handle(command)`` for any validated command);
* :mod:`~hgkm_workflow.application.intake`: adviezen and meldingen, with the per-person lock;
* :mod:`~hgkm_workflow.application.scheduler`: ``tick``, the scheduler loop, calendar changes;
* :mod:`~hgkm_workflow.application.read_gate`: access decisions, emergency access, the log;
* :mod:`~hgkm_workflow.application.queries` and :mod:`~hgkm_workflow.application.audit`: reads;
* :mod:`~hgkm_workflow.application.erasure`: erasure requests;
* :mod:`~hgkm_workflow.application.command_methods` and
  :mod:`~hgkm_workflow.application.read_methods`: the one-line case-command and read methods,
  bases of :class:`HgkmApplication` (so this module stays a wiring page).

Read models are caught up before any query answers (*read-your-writes* in the embedded
default): a query after a command always sees that command.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, ClassVar
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.persistence import JSONTranscoder, Recording

from hgkm_workflow import commands as c
from hgkm_workflow.access.guard import AccessGuard
from hgkm_workflow.access.policy import AccessPolicy
from hgkm_workflow.adapters.cipher import cipher_env, resolve_cipher_key
from hgkm_workflow.adapters.keys import KeyStore, key_store_from_settings
from hgkm_workflow.adapters.loading import AggregateCache, project_events
from hgkm_workflow.adapters.persons import PersonRegister
from hgkm_workflow.adapters.schema_lock import schema_lock
from hgkm_workflow.adapters.snapshotting import take_snapshots
from hgkm_workflow.adapters.store import StoreConfig, StoreKind, parse_store_url
from hgkm_workflow.adapters.transcoding import DateAsIso, SubclassAwareTranscoder
from hgkm_workflow.advies import Advies
from hgkm_workflow.application.audit import AuditReads
from hgkm_workflow.application.authorise import CommandGate, InvolvementSource
from hgkm_workflow.application.command_methods import CommandMethods
from hgkm_workflow.application.erasure import ErasureService
from hgkm_workflow.application.feed import EventFeed, FeedPage
from hgkm_workflow.application.handlers import HANDLERS, CommandBus, CommandHandler
from hgkm_workflow.application.health import HealthReport, SchedulerStatus, health_report
from hgkm_workflow.application.intake import Intake
from hgkm_workflow.application.queries import Queries
from hgkm_workflow.application.read_gate import AccessArg, ReadGate
from hgkm_workflow.application.read_methods import ReadMethods
from hgkm_workflow.application.results import CommandResult, TickRecord
from hgkm_workflow.application.scheduler import Scheduler
from hgkm_workflow.application.unit_of_work import UnitOfWork
from hgkm_workflow.audit.exchange import ImportResult, import_jsonl
from hgkm_workflow.authority import AuthorityPolicy
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.clock import Clock, SystemClock
from hgkm_workflow.domain.calendar import WorkingDayCalendar, default_calendar
from hgkm_workflow.domain.deadlines import RuleBook, default_rulebook
from hgkm_workflow.erasure import ErasureResult, PersonRecord
from hgkm_workflow.errors import StoreConfigurationError
from hgkm_workflow.projections import Projection, ProjectionRunner, engine_for
from hgkm_workflow.projections.case_queries import CaseSummary
from hgkm_workflow.projections.deadline_queries import OpenDeadline
from hgkm_workflow.projections.migration import PendingMigration
from hgkm_workflow.projections.registry import default_projections
from hgkm_workflow.settings import RetentionSettings, retention_from_environment

_log = logging.getLogger(__name__)

#: Aggregates whose ids may be logged (a person record's id is derived from a person id).
_LOGGED_AGGREGATES = frozenset({"HouseholdCase", "Advies"})

__all__ = ["HANDLERS", "CaseSummary", "CommandHandler", "CommandResult", "HgkmApplication",
           "OpenDeadline", "TickRecord"]


def _require_driver(config: StoreConfig) -> None:
    """Refuse a PostgreSQL URL clearly when the ``postgres`` extra is not installed."""
    from importlib.util import find_spec

    if config.kind is StoreKind.POSTGRES and find_spec("psycopg") is None:
        raise StoreConfigurationError("a PostgreSQL store needs the 'postgres' extra: "
                                      "pip install 'hgkm_workflow[postgres]'")


class HgkmApplication(CommandMethods, ReadMethods, Application[UUID]):
    """The embeddable engine: commands, queries and the statutory clock over one store."""

    name = "hgkm"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {}
    #: Snapshots replay with the cheap projector too (see :mod:`hgkm_workflow.adapters.loading`).
    snapshotting_projectors: ClassVar[dict[type[Any], Any]] = {
        HouseholdCase: project_events, Advies: project_events, PersonRecord: project_events}

    def __init__(
        self,
        store_url: str | None = None,
        *,
        clock: Clock | None = None,
        rules: RuleBook | None = None,
        calendar: WorkingDayCalendar | None = None,
        snapshot_interval: int = 50,
        max_retries: int = 3,
        cache_size: int = 2000,
        env: dict[str, str] | None = None,
        extra_projections: list[Projection] | None = None,
        policy: AccessPolicy | None = None,
        retention: RetentionSettings | None = None,
        cipher_key: str | None = None,
        register_keys: KeyStore | None = None,
        authority: AuthorityPolicy | None = None,
        involvements: InvolvementSource | None = None,
    ) -> None:
        """Open the store.

        Args:
            store_url: ``sqlite:///path.db``, a file path, or ``postgresql://…``; default
                ``HGKM_DATABASE_URL`` or ``sqlite:///hgkm.db``.
            clock: Source of business time (default: the system clock).
            rules: Time-limit rules in force (default: the national rule book).
            calendar: Working-day calendar (default: the newest version).
            snapshot_interval: Take a snapshot of a case every N events (0 disables).
            max_retries: Retries of a command that lost a race with another writer.
            cache_size: Cases kept in memory between commands (0 disables). A cached case is
                brought up to date with the store before each command (the events other
                processes saved since), so several processes may write to the same store. A
                command owns its case alone and returns it to the cache only after a
                successful save (:class:`~hgkm_workflow.adapters.loading.AggregateCache`).
            env: Extra eventsourcing settings.
            extra_projections: More read models to keep in step (monitor, classification).
            policy: The access policy (default: the shipped, documented one).
            retention: Retention of the person register (default: ``HGKM_RETENTION_YEARS``
                or twenty years).
            cipher_key: Encrypt event payloads at rest with this key (base64 AES key); default
                ``HGKM_CIPHER_KEY`` or the file named by ``HGKM_CIPHER_KEY_FILE``; without
                any of them payloads are stored in clear (:mod:`hgkm_workflow.adapters.cipher`).
            register_keys: Where the person register's key-encryption key comes from (a KMS
                or Vault behind :class:`~hgkm_workflow.adapters.keys.KeyStore`); default
                from the settings (``HGKM_REGISTER_KEK``, its file, the cipher key, or the
                explicit insecure development key), else the register is locked
                (docs/security.md).
            authority: Who may give which command (default: the shipped policy,
                docs/authority.md); every command is authorised by it.
            involvements: ``involved(case_id)`` → the organisations the host records as
                having an open involvement in a case; the authority policy counts them as
                involved (relation ``involved``). They give no read access.
        """
        self.config: StoreConfig = parse_store_url(store_url)
        _require_driver(self.config)
        self.snapshotting_intervals = (  # type: ignore[misc]
            {HouseholdCase: snapshot_interval} if snapshot_interval > 0 else {}
        )
        app_env = dict(self.config.eventsourcing_env)
        if snapshot_interval > 0:
            app_env["IS_SNAPSHOTTING_ENABLED"] = "y"
        key = resolve_cipher_key(cipher_key)
        if key is not None:
            app_env.update(cipher_env(key))
        app_env.update(env or {})
        super().__init__(env=app_env)
        self.work = UnitOfWork(self, clock=clock or SystemClock(),
                               rules=rules or default_rulebook(),
                               calendar=calendar or default_calendar(), max_retries=max_retries,
                               cache=AggregateCache(cache_size) if cache_size > 0 else None)
        self.retention = retention or retention_from_environment()
        self.engine = engine_for(self.config)
        self.persons = PersonRegister(
            self.engine, now=self.work.now,
            keys=register_keys or key_store_from_settings(cipher_key=key))
        self.guard = AccessGuard(self.engine, policy)
        projections: list[Projection] = default_projections()
        projections.extend(extra_projections or [])
        self.projections = ProjectionRunner(self, self.engine, projections)
        self.gate = ReadGate(self.guard, self.work, self.persons, self.engine, self.catch_up)
        self.authority = CommandGate(self.guard, self.work.now, authority, involvements)
        self.intake = Intake(self.work, self.engine, self.catch_up, self.authority)
        with schema_lock(self.engine):  # processes opening one store together (docs/scaling.md)
            self.persons.setup()
            self.guard.setup()
            self.projections.setup(migrate=False)  # a version bump waits for migrate()
            self.intake.unique.setup(strict=False)  # before any command: a refusal changes nothing
        self.erasure = ErasureService(self.work, self.gate, self.persons, self.engine,
                                      self.retention, self.catch_up, self.authority)
        self.erasure.complete_pending()  # a crash between PersonErased and the key's end
        self.commands = CommandBus(self.work, self.intake, self.erasure, self.authority)
        self.scheduler = Scheduler(self.work, self.engine, self.catch_up, self.authority)
        self.queries = Queries(self.gate, self.work, self, self.persons, self.guard,
                               self.engine, self.catch_up)
        self.audit = AuditReads(self.gate, self.queries, self.work, self, self.persons,
                                self.engine, self.projections)
        self.feed = EventFeed(self, self.gate, self.work, self.engine, self.catch_up)
        self.scheduler_status = SchedulerStatus()

    # ------------------------------------------------------------------ infrastructure

    def construct_transcoder(self) -> JSONTranscoder:
        """A JSON transcoder that also handles dates and datetime subclasses."""
        transcoder = SubclassAwareTranscoder()
        self.register_transcodings(transcoder)
        transcoder.register(DateAsIso())
        return transcoder

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save as eventsourcing does; log what was recorded (ids, types, positions only)."""
        recordings = super().save(*objs, **kwargs)
        for r in recordings if _log.isEnabledFor(logging.INFO) else ():
            kind, _, name = type(r.domain_event).__qualname__.partition(".")
            ident = str(r.domain_event.originator_id) if kind in _LOGGED_AGGREGATES else None
            _log.info("recorded %s.%s", kind, name, extra={
                "aggregate": kind, "event_type": name, "aggregate_id": ident,
                "version": r.domain_event.originator_version, "position": r.notification.id})
        return recordings

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        # From the case just saved when it is at the snapshot's version (adapters/snapshotting).
        take_snapshots(self, processing_event, self.snapshotting_intervals,
                       self.snapshotting_projectors)

    def close(self) -> None:
        """Witness the access log's head outside the database; release the connections."""
        self.guard.log.close()
        super().close()

    @property
    def clock(self) -> Clock:
        """The source of business time."""
        return self.work.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self.work.clock = clock

    @property
    def rules(self) -> RuleBook:
        """The time-limit rules in force."""
        return self.work.rules

    @rules.setter
    def rules(self, rules: RuleBook) -> None:
        self.work.rules = rules

    @property
    def calendar(self) -> WorkingDayCalendar:
        """The working-day calendar in force (:meth:`apply_calendar` replaces it)."""
        return self.work.calendar

    @calendar.setter
    def calendar(self, calendar: WorkingDayCalendar) -> None:
        self.work.calendar = calendar

    @property
    def max_retries(self) -> int:
        """Retries of a command that lost a race with another writer."""
        return self.work.max_retries

    @max_retries.setter
    def max_retries(self, max_retries: int) -> None:
        self.work.max_retries = max_retries

    @contextmanager
    def using_clock(self, clock: Clock) -> Iterator[None]:
        """Temporarily decide with another clock (simulation, replays)."""
        saved, self.clock = self.clock, clock
        try:
            yield
        finally:
            self.clock = saved

    # ------------------------------------------------------------------ commands

    def record_advies(self, command: c.RecordAdvies | dict[str, Any]) -> CommandResult:
        """Record an advice request (no persons)."""
        return self.intake.record_advies(command)

    def receive_melding(self, command: c.ReceiveMelding | dict[str, Any]) -> CommandResult:
        """Receive a melding; opens a new case, reopens a closed one, or adds a vervolgmelding."""
        return self.intake.receive_melding(command)

    def convert_advies_to_melding(
        self, command: c.ConvertAdviesToMelding | dict[str, Any]
    ) -> CommandResult:
        """Turn an advies into a melding about a household."""
        return self.intake.convert_advies_to_melding(command)

    def request_erasure(self, command: c.RequestErasure | dict[str, Any]) -> ErasureResult:
        """Request erasure of a person's details (see :mod:`hgkm_workflow.erasure`).

        Decided like a read of the person with purpose ``erasure_request`` (logged). Refused
        while the retention period runs unless a legal ground is given (storing nothing); a
        granted request is recorded with the erasure, and the person's key is destroyed.

        Raises:
            ErasureRefused: The retention period runs and no legal ground was given.
            AccessDenied: The actor may not ask for this person's erasure.
        """
        return self.erasure.request(command)

    # ------------------------------------------------------------------ statutory clock

    def tick(self, now: datetime | None = None, *, actor: c.Actor | None = None,
             case_ids: Collection[UUID] | None = None) -> list[TickRecord]:
        """Record every deadline that has come due: breaches (once) and huisverbod expiries.

        Finds due deadlines through the ``rm_deadlines`` index, so the cost follows the
        number due, not the number open. Safe to call from several processes at once: a
        breach is recorded exactly once (optimistic concurrency on the case).

        Args:
            now: The instant to tick at (default: the clock's now).
            actor: Who ticks (default: the scheduler, ``hgkm-scheduler/hgkm/scheduler``).
            case_ids: Only these cases (a scenario or a test sharing a store); default all.

        Returns:
            What was recorded, so the host can notify people.
        """
        return self.scheduler.tick(now, actor=actor, case_ids=case_ids)

    def run_scheduler(self, interval: timedelta, stop: Callable[[], bool],
                      on_records: Callable[[list[TickRecord]], None] | None = None,
                      sleep: Callable[[float], None] | None = None) -> int:
        """Call :meth:`tick` every ``interval`` until ``stop()`` is true; return ticks run.

        Sleeps uninterruptibly and stops at the first exception; a service should use
        :func:`hgkm_workflow.service.loops.run_scheduler` (interruptible, with back-off).
        """
        return self.scheduler.run(self.tick, interval, stop, on_records, sleep)

    def apply_calendar(self, calendar: WorkingDayCalendar, decree: str, *,
                       actor: c.Actor | None = None) -> list[dict[str, Any]]:
        """Move open deadlines onto a new calendar version, recording old and new due instants.

        Args:
            calendar: The new calendar version (for example with a new decree added).
            decree: The name of the decree that caused the change (recorded on each event).
            actor: The operator (default ``hgkm-operator/hgkm/system``).

        Returns:
            One entry per deadline that moved.
        """
        return self.scheduler.apply_calendar(calendar, decree, actor)

    # ------------------------------------------------------------------ queries

    def catch_up(self) -> int:
        """Bring every read model up to date with the event store; return events applied."""
        return self.projections.catch_up()

    def health(self, *, max_lag: int = 1000) -> HealthReport:
        """Store reachable, read-model lag, the statutory clock, dead letters (typed; cheap)."""
        return health_report(self, self.engine, self.projections, self.scheduler_status,
                             self.work.now, max_lag=max_lag)

    def migrate(self) -> list[PendingMigration]:
        """Rebuild read models of another version (``hgkm migrate``); return what was done."""
        return self.projections.migrate()

    def events_since(self, position: int, *, access: AccessArg, limit: int = 100) -> FeedPage:
        """Case events after ``position`` as personal-data-free integration events (logged).

        See :mod:`hgkm_workflow.application.feed`: a listing decided by the access policy.
        """
        return self.feed.since(position, access, limit)

    def import_jsonl(self, source: str | Path | IO[str]) -> ImportResult:
        """Import an export into this (empty) store (see :mod:`hgkm_workflow.audit.exchange`)."""
        return import_jsonl(self, source)
