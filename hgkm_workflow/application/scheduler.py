"""The statutory clock: tick (record what came due), the scheduler loop, calendar changes.

The host calls :meth:`Scheduler.tick` (a service loop, the CLI, a test); nothing here runs on
its own timer. Due deadlines are found through the deadline index
(:func:`~hgkm_workflow.projections.deadline_queries.due_deadlines`), so the cost follows the
number due, not the number open; each case is decided through the unit of work, so a breach
is recorded exactly once even with several schedulers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing import persistence as es_persistence

from hgkm_workflow.application.authorise import OPERATOR_ACTOR, SCHEDULER_ACTOR, CommandGate
from hgkm_workflow.application.results import TickRecord
from hgkm_workflow.application.unit_of_work import UnitOfWork
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.clock import as_utc
from hgkm_workflow.commands import Actor
from hgkm_workflow.domain.calendar import WorkingDayCalendar
from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.outcomes import TickOutcome
from hgkm_workflow.errors import ConcurrentModification
from hgkm_workflow.projections.deadline_queries import cases_off_calendar, due_deadlines

__all__ = ["Scheduler", "TickCase"]

_log = logging.getLogger(__name__)

STORE_UNREACHABLE: tuple[type[Exception], ...] = (
    sa.exc.OperationalError, sa.exc.InterfaceError, es_persistence.OperationalError,
    es_persistence.InterfaceError)
"""Errors that mean the store itself is gone: they stop the tick instead of skipping a case."""

TickCase = Callable[[UUID, list[str], datetime], list[TickRecord]]
"""``tick_case(case_id, deadline_ids, at)``: record what came due on one case."""


class Scheduler:
    """Records breaches and huisverbod expiries; moves deadlines onto a new calendar."""

    def __init__(self, work: UnitOfWork, engine: sa.Engine, catch_up: Callable[[], int],
                 gate: CommandGate | None = None) -> None:
        """Decide through ``work``; find what is due in the read models behind ``engine``.

        ``gate`` authorises ``Tick`` and ``ApplyCalendar`` (administrative commands).
        """
        self.work = work
        self.engine = engine
        self.catch_up = catch_up
        self.gate = gate
        self.skipped: dict[UUID, str] = {}
        """Cases the last tick could not decide, with the error's class name (no message)."""

    def tick(self, now: datetime | None = None, *, tick_case: TickCase | None = None,
             actor: Actor | None = None,
             case_ids: Collection[UUID] | None = None) -> list[TickRecord]:
        """Record every deadline that has come due: breaches (once) and huisverbod expiries.

        Args:
            now: The instant to tick at (default: the clock's now).
            tick_case: Decides one case (default :meth:`tick_case`).
            case_ids: Only these cases (default: every case with something due).
            actor: Who ticks (default: the library's scheduler, ``hgkm-scheduler``).

        Raises:
            NotAuthorised: The actor may not tick (logged; nothing recorded).

        Returns:
            What was recorded, so the host can notify people. A case that kept changing is
            left for the next tick (nothing of it was saved); the others are still returned.
            A case that cannot be decided at all (an event that no longer decodes, a bug)
            is skipped and logged, and listed in :attr:`skipped` until a tick decides it:
            one damaged case never stops the statutory clock of every other case. Losing the
            store itself still stops the tick.
        """
        if self.gate is not None:
            self.gate.without_case(actor or SCHEDULER_ACTOR, "Tick")
        at = as_utc(now) if now is not None else self.work.now()
        per_case = tick_case or self.tick_case
        self.catch_up()
        records: list[TickRecord] = []
        skipped: dict[UUID, str] = {}
        for case_id, ids in due_deadlines(self.engine, at, case_ids).items():
            try:
                records.extend(per_case(case_id, ids, at))
            except ConcurrentModification:
                _log.warning("tick deferred case %s: it kept changing", case_id)
            except STORE_UNREACHABLE:
                raise
            except Exception as exc:  # one case must not stop the clock for the others
                skipped[case_id] = type(exc).__name__
                _log.error("tick skipped case %s: %s", case_id, type(exc).__name__)
        self.skipped = skipped
        if records:
            self.catch_up()
        return records

    def tick_case(self, case_id: UUID, deadline_ids: list[str], at: datetime
                  ) -> list[TickRecord]:
        """Record what came due by ``at`` among ``deadline_ids`` of one case.

        Raises:
            ConcurrentModification: The case kept changing (nothing of it was saved).
        """
        def decide(case: HouseholdCase, ctx: DecisionContext) -> list[TickOutcome]:
            done: list[TickOutcome] = []
            for deadline_id in deadline_ids:
                done.extend(case.process_due(ctx, deadline_id))
            return done

        done, _ = self.work.on_case(case_id, None, decide, now=at)
        return [
            TickRecord(case_id=case_id, kind=o.kind.value, deadline_id=o.deadline_id,
                       rule_id=o.rule_id, due=o.due, detail=o.detail())
            for o in done
        ]

    def run(self, tick: Callable[[], list[TickRecord]], interval: timedelta,
            stop: Callable[[], bool],
            on_records: Callable[[list[TickRecord]], None] | None = None,
            sleep: Callable[[float], None] | None = None) -> int:
        """Call ``tick`` every ``interval`` until ``stop()`` is true; return ticks run."""
        pause = sleep or time.sleep
        ticks = 0
        while not stop():
            records = tick()
            ticks += 1
            if on_records is not None and records:
                on_records(records)
            pause(interval.total_seconds())
        return ticks

    def apply_calendar(self, calendar: WorkingDayCalendar, decree: str,
                       actor: Actor | None = None) -> list[dict[str, Any]]:
        """Move open deadlines onto a new calendar version; then decide with that calendar.

        Args:
            calendar: The new calendar version.
            decree: The decree that caused the change.
            actor: The operator applying it (default ``hgkm-operator``, role system).

        Returns:
            One entry per deadline that moved (``case_id`` plus the old and new due instants).

        Raises:
            NotAuthorised: The actor may not change the calendar (logged; nothing moved).
        """
        if self.gate is not None:
            self.gate.without_case(actor or OPERATOR_ACTOR, "ApplyCalendar")
        self.catch_up()
        moved: list[dict[str, Any]] = []
        for case_id in cases_off_calendar(self.engine, calendar.version):
            result, _ = self.work.on_case(
                case_id, None,
                lambda case, ctx: case.reschedule(calendar, self.work.rules, decree))
            moved.extend({"case_id": str(case_id), **m.detail()} for m in result)
        self.work.calendar = calendar
        self.catch_up()
        return moved
