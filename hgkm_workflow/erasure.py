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

The service that decides a request (loads the record, computes the retention end, destroys
the key) is :class:`hgkm_workflow.application.erasure.ErasureService`; this module keeps the
aggregate, its events and its result, whose stored topics name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import event

from hgkm_workflow.commands import RequestErasure
from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.recording import ClockedAggregate
from hgkm_workflow.errors import ErasureRefused, RuleViolation
from hgkm_workflow.projections.case_queries import cases_of_person

__all__ = ["ErasureResult", "PersonRecord", "cases_of_person", "person_record_id"]

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
