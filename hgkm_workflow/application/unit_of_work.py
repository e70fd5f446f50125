"""The unit of work: take an aggregate, decide, save — with the one bounded retry loop.

Every write of the application goes through :class:`UnitOfWork`. It takes the aggregate out
of the cache (or loads it: snapshot plus newer events, :mod:`hgkm_workflow.adapters.loading`),
builds the :class:`~hgkm_workflow.domain.context.DecisionContext` from the injected clock, the
rule book and the calendar, lets the caller decide, and saves. A save that loses a race with
another writer (eventsourcing's ``IntegrityError``: optimistic concurrency) is retried on a
freshly loaded aggregate, at most ``max_retries`` times, then refused with
:class:`~hgkm_workflow.errors.ConcurrentModification` — nothing of the lost attempts is stored
(:meth:`UnitOfWork.retrying`, the only retry loop of the package).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from hgkm_workflow import commands as c
from hgkm_workflow.adapters.loading import AggregateCache, copy_aggregate, project_events
from hgkm_workflow.advies import Advies
from hgkm_workflow.application.results import CommandResult
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.clock import Clock, as_utc
from hgkm_workflow.domain.calendar import WorkingDayCalendar
from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.deadlines import RuleBook
from hgkm_workflow.domain.recording import recording_at
from hgkm_workflow.errors import AdviesNotFound, CaseNotFound, ConcurrentModification, RuleViolation

__all__ = ["Attempt", "UnitOfWork", "require_after_opening"]

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")

Attempt = Callable[[], tuple[R, Sequence[Aggregate]]]
"""One try of a command: decide on freshly taken aggregates; return the outcome and what to save."""

#: How far a command's business time may lie ahead of the clock (clock skew between hosts).
FUTURE_TOLERANCE = timedelta(minutes=5)


def require_after_opening(command: c.Command | None, ctx: DecisionContext,
                          case: HouseholdCase) -> None:
    """A command dated back (``occurred_at``) cannot be dated before its case was opened.

    Raises:
        RuleViolation: ``OCCURRED_BEFORE_CASE``.
    """
    if command is not None and command.occurred_at is not None and ctx.at < case.opened_at:
        raise RuleViolation("business time lies before the case was opened",
                            code="OCCURRED_BEFORE_CASE", rule="business-time")


class UnitOfWork:
    """Take, decide, save over one event store, with one bounded optimistic-concurrency retry.

    Attributes:
        clock: Source of business time (the application's ``using_clock`` swaps it).
        rules: Time-limit rules in force.
        calendar: Working-day calendar in force (``apply_calendar`` replaces it).
        max_retries: Retries of a command that lost a race with another writer.
    """

    def __init__(self, store: Application[UUID], *, clock: Clock, rules: RuleBook,
                 calendar: WorkingDayCalendar, max_retries: int,
                 cache: AggregateCache | None) -> None:
        """Work on ``store`` (its repository, event store and ``save``)."""
        self.store = store
        self.clock = clock
        self.rules = rules
        self.calendar = calendar
        self.max_retries = max_retries
        self.cache = cache

    def now(self) -> datetime:
        """The clock's now (aware UTC)."""
        return self.clock.now()

    def context(self, command: c.Command | None, now: datetime | None = None) -> DecisionContext:
        """The decision context of ``command``: business time, recording time, rules, calendar.

        Raises:
            RuleViolation: ``OCCURRED_IN_FUTURE`` when the business time lies ahead of the clock.
        """
        now = now if now is not None else self.clock.now()
        occurred = command.occurred_at if command is not None else None
        at = as_utc(occurred) if occurred is not None else now
        if at > now + FUTURE_TOLERANCE:
            raise RuleViolation("business time lies in the future of the clock",
                                code="OCCURRED_IN_FUTURE", rule="business-time")
        return DecisionContext(at=at, recorded_at=now, rules=self.rules, calendar=self.calendar)

    # ------------------------------------------------------------------ take, find, save

    def take(self, aggregate_id: UUID) -> Aggregate | None:
        """For a command: the aggregate, up to date with the store, owned by the caller alone.

        It is taken out of the cache; :meth:`save` puts it back after a successful save.
        """
        cached = self.cache.take(aggregate_id) if self.cache is not None else None
        if cached is not None:
            newer = self.store.events.get(aggregate_id, gt=cached.version)  # saved by others
            return project_events(cached, newer)
        try:
            aggregate: Aggregate = self.store.repository.get(aggregate_id,
                                                             projector_func=project_events)
        except AggregateNotFoundError:
            return None
        return aggregate

    def find(self, aggregate_id: UUID) -> Aggregate | None:
        """For a read: a private copy of the aggregate (the cache keeps the original)."""
        aggregate = self.take(aggregate_id)
        if aggregate is None or self.cache is None:
            return aggregate
        clone = copy_aggregate(aggregate)
        self.cache.put(aggregate)
        return clone

    def load(self, aggregate_id: UUID, kind: type[A]) -> A:
        """:meth:`take` an aggregate of a known kind.

        Raises:
            CaseNotFound: No such case (or the id is not a ``kind``).
            AdviesNotFound: No such advies (``kind`` is :class:`~hgkm_workflow.advies.Advies`).
        """
        aggregate = self.take(aggregate_id)
        if aggregate is None:
            if kind is Advies:
                raise AdviesNotFound(f"no advies {aggregate_id}") from None
            raise CaseNotFound(f"no case {aggregate_id}") from None
        if not isinstance(aggregate, kind):
            raise CaseNotFound(f"no {kind.__name__} {aggregate_id}")
        return aggregate

    def load_version(self, case_id: UUID, version: int) -> HouseholdCase:
        """The case as it was at ``version`` (no cache).

        Raises:
            CaseNotFound: No such case.
        """
        try:
            case: Aggregate = self.store.repository.get(case_id, version=version,
                                                        projector_func=project_events)
        except AggregateNotFoundError:
            raise CaseNotFound(f"no case {case_id}") from None
        if not isinstance(case, HouseholdCase):
            raise CaseNotFound(f"no case {case_id}")
        return case

    def save(self, *aggregates: Aggregate) -> list[str]:
        """Save the aggregates' pending events atomically; return the event names.

        Raises:
            IntegrityError: A concurrent writer saved first (see :meth:`retrying`).
        """
        names = [type(e).__name__ for a in aggregates for e in a.pending_events]
        self.store.save(*aggregates)
        if self.cache is not None:  # the saved state is the newest: no re-read next time
            for aggregate in aggregates:
                self.cache.put(aggregate)
        return names

    # ------------------------------------------------------------------ the retry loop

    def retrying(self, what: str, attempt: Attempt[R]) -> tuple[R, list[str]]:
        """Run ``attempt`` and save what it returns; on a lost race, run it again.

        ``attempt`` must take its aggregates afresh (:meth:`take`, :meth:`load`) each time.

        Args:
            what: Names the aggregate in the refusal (an id, never personal data).
            attempt: One try of the command.

        Returns:
            The attempt's outcome and the names of the events saved.

        Raises:
            ConcurrentModification: ``max_retries + 1`` attempts all lost the race.
        """
        for number in range(1, self.max_retries + 2):
            outcome, aggregates = attempt()
            try:
                return outcome, self.save(*aggregates)
            except IntegrityError:
                if number > self.max_retries:
                    raise ConcurrentModification(
                        f"{what} kept changing; gave up after {number} attempts") from None
        raise ConcurrentModification(what)  # pragma: no cover - the loop returns or raises

    def on_case(self, case_id: UUID, command: c.Command | None,
                decide: Callable[[HouseholdCase, DecisionContext], R],
                now: datetime | None = None) -> tuple[R, CommandResult]:
        """Load the case, decide on it (recording at the clock's now) and save, retrying.

        Args:
            case_id: The case.
            command: The command decided (its business time), or None for the system.
            decide: Calls the aggregate; returns whatever the caller needs back.
            now: Decide at this instant instead of the clock's now (the scheduler).

        Raises:
            CaseNotFound: No such case.
            ConcurrentModification: The case kept changing.
        """
        def attempt() -> tuple[tuple[R, HouseholdCase], Sequence[Aggregate]]:
            case = self.load(case_id, HouseholdCase)
            ctx = self.context(command, now)
            require_after_opening(command, ctx, case)
            with recording_at(ctx.recorded_at):
                outcome = decide(case, ctx)
            return (outcome, case), (case,)

        (outcome, case), names = self.retrying(f"case {case_id}", attempt)
        return outcome, CommandResult(case_id, case.version, tuple(names))
