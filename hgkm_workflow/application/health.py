"""``app.health()``: is the store reachable, how far behind are the read models, is the
statutory clock running, are messages stuck — as one typed value.

Cheap enough for a readiness probe (a few small queries, no replay). The scheduler part
has two sources: :class:`SchedulerStatus`, which the interruptible scheduler loop in *this*
process updates (:mod:`hgkm_workflow.service.loops`), and ``due_unrecorded``, the deadlines
the deadline index holds as due before now minus a grace period whose breach is not
recorded — which is wrong whichever process runs the scheduler, so a probe should alert on it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.application import Application
from pydantic import BaseModel, ConfigDict

from hgkm_workflow.errors import HgkmError
from hgkm_workflow.projections.deadline_queries import due_deadlines
from hgkm_workflow.projections.runner import ProjectionRunner
from hgkm_workflow.projections.tracking import TRACKING_TABLE_NAME, read_rows

__all__ = ["DUE_GRACE", "HealthReport", "OutboxHealth", "ProjectionHealth", "SchedulerHealth",
           "SchedulerStatus", "health_report"]

_log = logging.getLogger(__name__)

DUE_GRACE = timedelta(minutes=15)
"""A due deadline unrecorded for longer than this counts in ``due_unrecorded``."""


@dataclass
class SchedulerStatus:
    """What the scheduler loop of this process last did (thread-safe updates)."""

    last_run: datetime | None = None
    last_error: str | None = None
    ticks: int = 0
    failures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def ran(self, at: datetime) -> None:
        """Record a successful tick at ``at``."""
        with self._lock:
            self.last_run, self.last_error, self.ticks = at, None, self.ticks + 1

    def failed(self, code: str) -> None:
        """Record a failed tick by its error code (never a message: it could hold data)."""
        with self._lock:
            self.last_error, self.failures = code, self.failures + 1


class ProjectionHealth(BaseModel):
    """One read model: its position and how many notifications it is behind."""

    model_config = ConfigDict(frozen=True)

    name: str
    position: int
    lag: int


class SchedulerHealth(BaseModel):
    """The statutory clock."""

    model_config = ConfigDict(frozen=True)

    last_run: datetime | None
    last_error: str | None
    ticks: int
    failures: int
    due_unrecorded: int
    """Deadlines due more than :data:`DUE_GRACE` ago whose breach is not recorded."""


class OutboxHealth(BaseModel):
    """The outbox (:func:`hgkm_workflow.integration.outbox.health`)."""

    model_config = ConfigDict(frozen=True)

    pending: int
    dead_letters: int
    consumers: dict[str, dict[str, Any]]


class HealthReport(BaseModel):
    """The whole answer; ``ok`` is what a readiness probe checks."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    """No problems at all (a liveness or alerting check)."""
    ready: bool
    """The store answers: the service can take commands and reads (a readiness probe)."""
    store_reachable: bool
    store_error: str | None
    max_position: int
    projections: tuple[ProjectionHealth, ...]
    scheduler: SchedulerHealth
    outbox: OutboxHealth
    pending_migrations: tuple[str, ...] = ()
    """Read models waiting for ``hgkm migrate`` (reads and ticks are refused meanwhile)."""
    problems: tuple[str, ...]
    """Codes of what is wrong: ``STORE_UNREACHABLE``, ``MIGRATION_REQUIRED``, ``READ_MODEL_LAG``,
    ``DEADLINES_UNRECORDED``, ``SCHEDULER_FAILING``, ``DEAD_LETTERS``."""


def _store_error(engine: sa.Engine) -> str | None:
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        _log.warning("health: store unreachable", extra={"error_class": type(exc).__name__})
        return "STORE_UNREACHABLE"
    return None


def health_report(store: Application[UUID], engine: sa.Engine, runner: ProjectionRunner,
                  status: SchedulerStatus, now: Callable[[], datetime], *,
                  max_lag: int = 1000) -> HealthReport:
    """Build the report (see :meth:`~hgkm_workflow.application.HgkmApplication.health`).

    Args:
        store: The application (its recorder gives the newest notification id).
        engine: The store's engine (read models and outbox tables).
        runner: The projection runner (names and tracking rows).
        status: The scheduler status of this process.
        now: Business now (for ``due_unrecorded``).
        max_lag: Lag of a read model above which ``READ_MODEL_LAG`` is a problem.
    """
    from hgkm_workflow.integration.outbox import health as outbox_health

    error = _store_error(engine)
    empty_outbox = OutboxHealth(pending=0, dead_letters=0, consumers={})
    scheduler = SchedulerHealth(last_run=status.last_run, last_error=status.last_error,
                                ticks=status.ticks, failures=status.failures, due_unrecorded=0)
    if error is not None:
        return HealthReport(ok=False, ready=False, store_reachable=False, store_error=error,
                            max_position=0, projections=(), scheduler=scheduler,
                            outbox=empty_outbox,
                            problems=(error,))
    problems: list[str] = []
    pending = tuple(p.name for p in runner.pending_migrations)
    if pending:
        problems.append("MIGRATION_REQUIRED")
    top = store.recorder.max_notification_id() or 0
    names = [p.name for p in runner.projections]
    with engine.connect() as conn:
        has_tracking = sa.inspect(conn).has_table(TRACKING_TABLE_NAME)
        rows = read_rows(conn, names) if has_tracking else {}
    projections = tuple(
        ProjectionHealth(name=n, position=rows[n].position if n in rows else 0,
                         lag=max(0, top - (rows[n].position if n in rows else 0)))
        for n in names)
    if any(p.lag > max_lag for p in projections):
        problems.append("READ_MODEL_LAG")
    try:
        due = due_deadlines(engine, now() - DUE_GRACE)
        scheduler = scheduler.model_copy(
            update={"due_unrecorded": sum(len(ids) for ids in due.values())})
    except (sa.exc.SQLAlchemyError, HgkmError):
        _log.warning("health: deadline index unreadable")
    if scheduler.due_unrecorded:
        problems.append("DEADLINES_UNRECORDED")
    if scheduler.last_error is not None:
        problems.append("SCHEDULER_FAILING")
    box = outbox_health(engine)
    outbox = OutboxHealth(pending=int(box["pending"]), dead_letters=int(box["dead_letters"]),
                          consumers=dict(box["consumers"]))
    if outbox.dead_letters:
        problems.append("DEAD_LETTERS")
    return HealthReport(ok=not problems, ready=True, store_reachable=True, store_error=None,
                        max_position=top, projections=projections, scheduler=scheduler,
                        outbox=outbox, pending_migrations=pending, problems=tuple(problems))
