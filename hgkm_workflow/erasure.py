"""Erasure with retention: a person's record of erasure requests, and crypto-shredding.

Identifying details live only in the person register, encrypted with a key per person
(:mod:`hgkm_workflow.adapters.persons`). Erasing a person destroys that key: the case history still
replays (events hold pseudonymous ids only), monitor figures stay the same (read models hold
no details), and the person's details read as erased everywhere.

The law keeps files for a retention period (:class:`~hgkm_workflow.settings.RetentionSettings`,
twenty years by default). A request to erase before the period ends is refused unless a legal
ground is recorded with it (a refusal stores nothing, like every refusal; the access log holds
the attempt). A granted request and the erasure are events of their own on a
:class:`PersonRecord` — one small aggregate per person, keyed by an id derived from the
pseudonymous person id (never from personal data) — so who asked, when, on what ground and
with which outcome is part of the audit trail. The record holds no personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

import sqlalchemy as sa
from eventsourcing.domain import event
from eventsourcing.persistence import IntegrityError

from hgkm_workflow.commands import RequestErasure
from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.recording import ClockedAggregate, recording_at
from hgkm_workflow.errors import ConcurrentModification, ErasureRefused, RuleViolation
from hgkm_workflow.projections._util import aware_utc
from hgkm_workflow.projections.cases import cases
from hgkm_workflow.projections.person_index import household_members
from hgkm_workflow.settings import RetentionSettings

if TYPE_CHECKING:
    from hgkm_workflow.application import HgkmApplication

__all__ = ["ErasureResult", "PersonRecord", "cases_of_person", "person_record_id",
           "request_erasure", "retention_end"]

JsonDict = dict[str, Any]

_NAMESPACE = UUID("5f0c3a4e-6d0b-4f53-9a57-6b8a2f1e4c11")
RULE_ERASED = "crypto-shredding: the person's key is destroyed (domain brief section 6)"


def person_record_id(person_id: UUID) -> UUID:
    """The id of a person's record: derived from the (random, pseudonymous) person id."""
    return uuid5(_NAMESPACE, f"person-record:{person_id}")


class PersonRecord(ClockedAggregate):
    """Erasure requests about one person and whether the details were erased."""

    @event("PersonRecordOpened")
    def __init__(self, id: UUID, person_id: str, registered_at: datetime) -> None:
        self.person_id = person_id
        self.registered_at = registered_at
        self.requests: list[JsonDict] = []
        self.erased_at: datetime | None = None

    def request_erasure(self, cmd: RequestErasure, ctx: DecisionContext,
                        retention_ends: datetime, legal_source: str) -> str:
        """Decide an erasure request; record it and the erasure, or refuse storing nothing.

        Granted when the retention period has ended or a legal ground is given.

        Returns:
            The basis: ``retention period ended`` or ``legal ground given``.

        Raises:
            ErasureRefused: If the retention period runs and no legal ground was given.
            RuleViolation: If the person was already erased (``PERSON_ALREADY_ERASED``).
        """
        if self.erased_at is not None:
            raise RuleViolation("the person's details were already erased",
                                code="PERSON_ALREADY_ERASED", rule=RULE_ERASED)
        if ctx.at >= retention_ends:
            basis = "retention period ended"
        elif cmd.legal_ground is not None:
            basis = "legal ground given"
        else:
            raise ErasureRefused(
                f"person {self.person_id}: the retention period runs until "
                f"{retention_ends.date().isoformat()}; erasing earlier needs a legal ground",
                rule=legal_source)
        self._erasure_requested(**ctx.provenance(cmd, rule=legal_source),
                                legal_ground=cmd.legal_ground, retention_ends=retention_ends,
                                basis=basis)
        self._person_erased(**ctx.provenance(cmd, rule=RULE_ERASED))
        return basis

    @event("ErasureRequested")
    def _erasure_requested(self, actor: JsonDict, at: datetime, rationale: str, rule: str,
                           legal_ground: str | None, retention_ends: datetime,
                           basis: str) -> None:
        self.requests.append({"at": at, "actor": actor, "basis": basis,
                              "retention_ends": retention_ends})

    @event("PersonErased")
    def _person_erased(self, actor: JsonDict, at: datetime, rationale: str, rule: str) -> None:
        self.erased_at = at


@dataclass(frozen=True)
class ErasureResult:
    """The outcome of a granted erasure request.

    Attributes:
        person_id: The person.
        erased_at: When the erasure was recorded (business time).
        retention_ends: When the retention period ends (or ended).
        basis: ``retention period ended`` or ``legal ground given``.
        record_version: The version of the person's record after the request.
        events: The events recorded (as in a command result).
    """

    person_id: UUID
    erased_at: datetime
    retention_ends: datetime
    basis: str
    record_version: int
    events: tuple[str, ...] = ()


def cases_of_person(engine: sa.Engine, person_id: UUID) -> list[UUID]:
    """The household cases a person belongs to, oldest membership first (read model)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(household_members.c.case_id)
            .where(household_members.c.person_id == str(person_id))
            .order_by(household_members.c.since, household_members.c.case_id)).scalars()
        return [UUID(r) for r in rows]


def retention_end(app: HgkmApplication, person_id: UUID, now: datetime,
                  settings: RetentionSettings) -> datetime:
    """When the retention period of a person's details ends.

    It runs from the latest of the registration and the last recorded activity on a case the
    person belongs to (the case index's ``last_event_at``); while such a case is open it has
    not started to run (it would end ``years`` after now).
    """
    start = app.persons.registered_at(person_id)
    with app.engine.connect() as conn:
        rows = conn.execute(
            sa.select(cases.c.phase, cases.c.last_event_at)
            .join(household_members, household_members.c.case_id == cases.c.case_id)
            .where(household_members.c.person_id == str(person_id))).all()
    for row in rows:
        last = now if row.phase != "closed" else aware_utc(row.last_event_at)
        start = max(start, last)
    return settings.ends(start)


def request_erasure(app: HgkmApplication, cmd: RequestErasure,
                    settings: RetentionSettings) -> ErasureResult:
    """Decide an erasure request; when granted, record it and destroy the person's key.

    Like every refusal, a refused request stores nothing (the access log has the attempt).

    Raises:
        PersonNotFound: If the register does not know the person.
        ErasureRefused: If the retention period runs and no legal ground was given.
        RuleViolation: ``PERSON_ALREADY_ERASED`` when the person was erased before.
    """
    app.catch_up()
    person_id = cmd.person_id
    record_id = person_record_id(person_id)
    registered = app.persons.registered_at(person_id)
    for attempt in range(app.max_retries + 1):
        ctx = app._context(cmd)
        ends = retention_end(app, person_id, ctx.at, settings)
        found = app._find(record_id)
        with recording_at(ctx.recorded_at):
            record = found if isinstance(found, PersonRecord) else PersonRecord(
                id=record_id, person_id=str(person_id), registered_at=registered)
            if record.erased_at is not None and not app.persons.is_erased(person_id):
                app.persons.erase(person_id)  # a crash came between the events and the key
            basis = record.request_erasure(cmd, ctx, ends, settings.legal_source)
        try:
            names = app._save(record)
        except IntegrityError:
            if attempt == app.max_retries:
                raise ConcurrentModification(f"person record {record_id} kept changing") from None
            continue
        app.persons.erase(person_id)
        return ErasureResult(person_id=person_id, erased_at=ctx.at, retention_ends=ends,
                             basis=basis, record_version=record.version,
                             events=tuple(names))
    raise ConcurrentModification(f"person record {record_id}")  # pragma: no cover
