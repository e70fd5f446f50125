"""Erasure requests: decide with retention, record on the person's record, destroy the key.

The :class:`~hgkm_workflow.erasure.PersonRecord` aggregate and its events stay in
:mod:`hgkm_workflow.erasure` (their stored topics name that module); this is the service that
loads it, decides through the unit of work and crypto-shreds the person's register entry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.domain import Aggregate

from hgkm_workflow.access.models import Access, Purpose, Resource
from hgkm_workflow.adapters.persons import PersonRegister
from hgkm_workflow.application.authorise import CommandGate
from hgkm_workflow.application.read_gate import ReadGate
from hgkm_workflow.application.unit_of_work import UnitOfWork
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.commands import RequestErasure, validate_command
from hgkm_workflow.domain.recording import recording_at
from hgkm_workflow.erasure import ErasureResult, PersonRecord, person_record_id
from hgkm_workflow.errors import PersonNotFound
from hgkm_workflow.projections.case_queries import case_activity_of_person, cases_of_person
from hgkm_workflow.settings import RetentionSettings

__all__ = ["ErasureService", "retention_end"]

_log = logging.getLogger(__name__)


def retention_end(engine: sa.Engine, persons: PersonRegister, person_id: UUID, now: datetime,
                  settings: RetentionSettings) -> datetime:
    """When the retention period of a person's details ends.

    It runs from the latest of the registration and the last recorded activity on a case the
    person belongs to (the case index's ``last_event_at``); while such a case is open it has
    not started to run (it would end ``years`` after now).

    Raises:
        PersonNotFound: If the register does not know the person.
    """
    start = persons.registered_at(person_id)
    for phase, last_event_at in case_activity_of_person(engine, person_id):
        start = max(start, now if phase != "closed" else last_event_at)
    return settings.ends(start)


class ErasureService:
    """Decides erasure requests and crypto-shreds the person's details when granted."""

    def __init__(self, work: UnitOfWork, gate: ReadGate, persons: PersonRegister,
                 engine: sa.Engine, retention: RetentionSettings,
                 catch_up: Callable[[], int], authority: CommandGate | None = None) -> None:
        """Record through ``work``; decide access at ``gate``; erase in ``persons``.

        ``authority`` authorises the request first: granted if the policy grants it on any
        case of the person (a person in no case: decided without a case).
        """
        self.authority = authority
        self.work = work
        self.gate = gate
        self.persons = persons
        self.engine = engine
        self.retention = retention
        self.catch_up = catch_up

    def request(self, command: RequestErasure | dict[str, Any]) -> ErasureResult:
        """Decide an erasure request; when granted, record it and destroy the person's key.

        The request is first decided like a read of the person with purpose
        ``erasure_request`` (logged). Like every refusal, a refused request stores nothing.

        Raises:
            InvalidCommand: The request does not validate.
            AccessDenied: The actor may not ask for this person's erasure.
            PersonNotFound: If the register does not know the person.
            ErasureRefused: If the retention period runs and no legal ground was given.
            RuleViolation: ``PERSON_ALREADY_ERASED`` when the person was erased before and
                the key is gone. A retry after a crash that came between the recorded
                erasure and the key's destruction completes the destruction instead and
                returns the recorded erasure's result (with no new events).
            ConcurrentModification: The person's record kept changing.
        """
        cmd = validate_command(RequestErasure, command)
        self.authorise(cmd)
        self.gate.person(cmd.person_id, Access(actor=cmd.actor, purpose=Purpose.ERASURE_REQUEST),
                         Resource.PERSON_REGISTER)
        self.catch_up()
        person_id = cmd.person_id
        record_id = person_record_id(person_id)
        registered = self.persons.registered_at(person_id)

        def attempt() -> tuple[tuple[PersonRecord, str, datetime, datetime],
                               Sequence[Aggregate]]:
            ctx = self.work.context(cmd)
            ends = retention_end(self.engine, self.persons, person_id, ctx.at, self.retention)
            found = self.work.find(record_id)
            with recording_at(ctx.recorded_at):
                record = found if isinstance(found, PersonRecord) else PersonRecord(
                    id=record_id, person_id=str(person_id), registered_at=registered)
                basis = record.request_erasure(cmd, ctx, ends, self.retention.legal_source)
            return (record, basis, ctx.at, ends), (record,)

        found = self.work.find(record_id)
        if isinstance(found, PersonRecord) and found.erased_at is not None \
                and not self.persons.erased_among([person_id]):
            return self._complete(found)  # a crash came between the events and the key
        (record, basis, at, ends), names = self.work.retrying(f"person record {record_id}",
                                                              attempt)
        self.persons.destroy_key(person_id)
        return ErasureResult(person_id=person_id, erased_at=at, retention_ends=ends,
                             basis=basis, record_version=record.version, events=tuple(names))

    def authorise(self, cmd: RequestErasure) -> None:
        """Authorise the request on the person's cases (NotAuthorised, logged, when refused)."""
        if self.authority is None:
            return
        self.catch_up()
        cases = [(str(cid), case) for cid in cases_of_person(self.engine, cmd.person_id)
                 if isinstance(case := self.work.find(cid), HouseholdCase)]
        self.authority.on_any_case(cmd.actor, type(cmd).__name__, cases)

    def complete_pending(self) -> list[UUID]:
        """Destroy the keys of persons whose erasure is recorded but whose key survived.

        Run on application start: a process that died between saving ``PersonErased`` and
        destroying the key left such a person. Finds them through the stored
        ``PersonErased`` events (notification log, filtered by topic) and the register.

        Returns:
            The persons whose erasure was completed now.
        """
        recorder = self.work.store.recorder
        topic = f"{PersonRecord.__module__}:{PersonRecord.__qualname__}.PersonErased"
        record_ids: set[UUID] = set()
        start = 0
        while True:
            batch = recorder.select_notifications(start=start, limit=1000, topics=[topic],
                                                  inclusive_of_start=False)
            if not batch:
                break
            record_ids.update(n.originator_id for n in batch)  # type: ignore[misc]
            start = batch[-1].id
        persons: list[UUID] = []
        for record_id in sorted(record_ids, key=str):
            record = self.work.find(record_id)
            if isinstance(record, PersonRecord) and record.erased_at is not None:
                persons.append(UUID(record.person_id))
        done = self.persons.erased_among(persons)
        completed: list[UUID] = []
        for person_id in persons:
            if str(person_id) in done:
                continue
            try:
                self.persons.destroy_key(person_id)
            except PersonNotFound:  # not in this register (an imported store)
                continue
            _log.warning("a recorded erasure was completed on start (the key had survived)")
            completed.append(person_id)
        return completed

    def _complete(self, record: PersonRecord) -> ErasureResult:
        """The result of a recorded erasure whose key destruction is completed now."""
        person_id = UUID(record.person_id)
        self.persons.destroy_key(person_id)
        last = record.requests[-1] if record.requests else {}
        erased_at = record.erased_at
        if erased_at is None:  # only called for a recorded erasure
            raise ValueError("no erasure recorded")
        ends = last.get("retention_ends", erased_at)
        return ErasureResult(person_id=person_id, erased_at=erased_at,
                             retention_ends=ends if isinstance(ends, datetime) else erased_at,
                             basis=str(last.get("basis", "")), record_version=record.version,
                             events=())
