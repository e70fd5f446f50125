"""Intake: adviezen and meldingen, with the lock that serialises a melding per person.

A melding without ``case_id`` is looked up through the person index (persons already in an
open case: that household's history) and saved under a lock per person on PostgreSQL, so two
simultaneous meldingen about one household open one case (:meth:`Intake.intake_lock`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from uuid import UUID, uuid4

import sqlalchemy as sa
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from hgkm_workflow import commands as c
from hgkm_workflow.advies import Advies
from hgkm_workflow.application.authorise import CommandGate
from hgkm_workflow.application.reservations import UniqueIds
from hgkm_workflow.application.results import CommandResult
from hgkm_workflow.application.unit_of_work import UnitOfWork, require_after_opening
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.clock import as_utc
from hgkm_workflow.domain.case_found import CaseFoundBy
from hgkm_workflow.domain.recording import recording_at
from hgkm_workflow.errors import CaseAlreadyExists, CaseNotFound
from hgkm_workflow.phases.lifecycle import CasePhase
from hgkm_workflow.projections.engine import lock_engine_for
from hgkm_workflow.projections.person_index import open_case_for_persons

__all__ = ["Intake", "PersonLocks"]


class PersonLocks:
    """In-process locks per person key, taken in ascending order, dropped when unused."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[int, tuple[threading.Lock, int]] = {}

    @contextmanager
    def holding(self, keys: Sequence[int]) -> Iterator[None]:
        """Hold the lock of every key in ``keys`` (ascending, no duplicates) for the body."""
        held: list[int] = []
        try:
            for key in keys:
                lock = self._use(key)
                try:
                    lock.acquire()
                except BaseException:
                    self._unuse(key)
                    raise
                held.append(key)
            yield
        finally:
            for key in reversed(held):
                self._unuse(key).release()

    def _use(self, key: int) -> threading.Lock:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
            return lock

    def _unuse(self, key: int) -> threading.Lock:
        with self._guard:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
            return lock


class Intake:
    """Records adviezen and receives meldingen (new case, reopened case or vervolgmelding)."""

    def __init__(self, work: UnitOfWork, engine: sa.Engine, catch_up: Callable[[], int],
                 gate: CommandGate | None = None) -> None:
        """Write through ``work``; look persons up in the read models behind ``engine``.

        ``gate`` authorises each command from its own region and gemeente, before the intake
        lock and the person lookup (which would reveal whether the persons are known).
        """
        self.work = work
        self.engine = engine
        self.catch_up = catch_up
        self.gate = gate
        self.unique = UniqueIds(engine, catch_up)
        self.local = PersonLocks()

    def _authorise(self, cmd: c.RecordAdvies | c._MeldingFields,
                   case_id: UUID | None = None) -> None:
        if self.gate is not None:
            self.gate.intake(cmd.actor, type(cmd).__name__, cmd.region,
                             cmd.gemeente, case_id)

    def record_advies(self, command: c.RecordAdvies | dict[str, object]) -> CommandResult:
        """Record an advice request (no persons).

        Raises:
            CaseAlreadyExists: The advies id is in use.
        """
        cmd = c.validate_command(c.RecordAdvies, command)
        self._authorise(cmd)
        advies_id = cmd.advies_id or uuid4()
        ctx = self.work.context(cmd)
        with recording_at(ctx.recorded_at):
            advies = Advies.record(advies_id, cmd, ctx)
        try:  # an id in use fails the save (version 1 exists): no read before every advies
            names = self.work.save(advies)
        except IntegrityError:
            raise CaseAlreadyExists(f"advies {advies_id} already exists") from None
        return CommandResult(advies_id, advies.version, tuple(names))

    def receive_melding(self, command: c.ReceiveMelding | dict[str, object]) -> CommandResult:
        """Receive a melding (see :meth:`receive`)."""
        cmd = c.validate_command(c.ReceiveMelding, command)
        self._authorise(cmd, cmd.case_id)
        return self.receive(cmd, cmd.case_id, None)

    def convert_advies_to_melding(
        self, command: c.ConvertAdviesToMelding | dict[str, object]
    ) -> CommandResult:
        """Turn an advies into a melding about a household (see :meth:`receive`)."""
        cmd = c.validate_command(c.ConvertAdviesToMelding, command)
        self._authorise(cmd, cmd.case_id)
        return self.receive(cmd, cmd.case_id, cmd.advies_id)

    def receive(self, cmd: c._MeldingFields, case_id: UUID | None,
                advies_id: UUID | None) -> CommandResult:
        """Receive a melding into ``case_id``, or into the case its persons are in, or a new one."""
        if case_id is not None:
            return self._receive_locked(cmd, case_id, advies_id)
        with self.intake_lock(p.person_id for p in cmd.persons):
            return self._receive_locked(cmd, case_id, advies_id)

    @contextmanager
    def intake_lock(self, person_ids: Iterable[UUID]) -> Iterator[None]:
        """Serialise lookup and save of a melding without case id, per person, across processes.

        First per process (:class:`PersonLocks`: a thread waiting for another thread's
        intake holds no connection), then on PostgreSQL across processes: session advisory
        locks on a connection of the separate lock pool
        (:func:`~hgkm_workflow.projections.engine.lock_engine_for`), so the lookup and the
        save never wait for a connection the lock holders hold. Both are taken in a fixed
        order, so two intakes cannot deadlock; a second melding about the same persons
        waits, then finds the first one's case. SQLite stores serve one process.
        """
        keys = sorted({int.from_bytes(p.bytes[:8], "big", signed=True) for p in person_ids})
        with self.local.holding(keys):
            if self.engine.dialect.name != "postgresql":
                yield
                return
            with lock_engine_for(self.engine).connect() as conn:
                for key in keys:
                    conn.execute(sa.select(sa.func.pg_advisory_lock(key)))
                conn.commit()
                try:
                    yield
                finally:
                    for key in reversed(keys):
                        conn.execute(sa.select(sa.func.pg_advisory_unlock(key)))
                    conn.commit()

    def _receive_locked(self, cmd: c._MeldingFields, case_id: UUID | None,
                        advies_id: UUID | None) -> CommandResult:
        melding_id = cmd.melding_id or uuid4()
        looked_up = case_id is None
        if case_id is None:  # persons already in an open case: that household's history
            self.catch_up()
            late = as_utc(cmd.occurred_at) if cmd.occurred_at is not None else None
            case_id = open_case_for_persons(self.engine, (p.person_id for p in cmd.persons),
                                            at=late)
        target = case_id

        def attempt() -> tuple[HouseholdCase, Sequence[Aggregate]]:
            nonlocal target
            ctx = self.work.context(cmd)
            advies = self.work.load(advies_id, Advies) if advies_id else None
            cid = target or uuid4()
            with recording_at(ctx.recorded_at):
                found = self.work.take(target) if target is not None else None
                if looked_up and isinstance(found, HouseholdCase) \
                        and found.case_phase is CasePhase.CLOSED:
                    # closed by another process since the lookup: persons of a closed case
                    # get a new case unless the caller names the case to reopen
                    found, target, cid = None, None, uuid4()
                found_by = (CaseFoundBy.GIVEN if not looked_up else
                            CaseFoundBy.MATCHED if found is not None else CaseFoundBy.NEW)
                if found is None:
                    case = HouseholdCase(id=cid, region=cmd.region, gemeente=cmd.gemeente,
                                         opened_at=ctx.at)
                elif isinstance(found, HouseholdCase):
                    case = found
                    if not looked_up and self.gate is not None:
                        # the caller named the case: Veilig Thuis of *its* region receives
                        self.gate.on_case(cmd.actor, type(cmd).__name__, case, case.id)
                    require_after_opening(cmd, ctx, case)
                else:
                    raise CaseNotFound(f"no case {target}")
                case.receive_melding(cmd, melding_id, ctx, from_advies=advies_id)
                case.record_case_found(cmd, melding_id, ctx, found_by)
                to_save: list[Aggregate] = [case]
                if advies is not None:
                    advies.convert(cmd, cid, melding_id, ctx)
                    to_save.append(advies)
            return case, to_save

        with self.unique.reserving("melding", cmd.melding_id, case_id):
            case, names = self.work.retrying(f"case {case_id or 'new'}", attempt)
        return CommandResult(case.id, case.version, tuple(names), {"melding_id": melding_id})
