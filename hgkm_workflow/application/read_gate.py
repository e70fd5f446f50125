"""The read gate: every read is decided by the access policy and logged before data leaves.

:class:`ReadGate` loads what the policy needs (the case's facts), asks the
:class:`~hgkm_workflow.access.guard.AccessGuard`, records an emergency access on the case
when the verdict is *emergency* (through the unit of work: an event like any other), appends
the access-log entry, and only then returns the data or raises
:class:`~hgkm_workflow.errors.AccessDenied`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

import sqlalchemy as sa

from hgkm_workflow.access.guard import AccessGuard, as_access, case_facts, refuse
from hgkm_workflow.access.models import Access, AccessDecision, Resource, Verdict
from hgkm_workflow.adapters.loading import copy_aggregate
from hgkm_workflow.adapters.persons import PersonRegister
from hgkm_workflow.advies import Advies
from hgkm_workflow.application.unit_of_work import UnitOfWork
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.errors import AdviesNotFound, CaseNotFound, InvalidCommand
from hgkm_workflow.projections.case_queries import cases_of_person

__all__ = ["AccessArg", "ReadGate"]

_log = logging.getLogger(__name__)

_INVALID_REQUEST = "access request invalid (safety reason or fields refused)"
_EMERGENCY_NOT_RECORDED = "emergency access refused: it could not be recorded on the case"

AccessArg = Access | dict[str, Any]
"""An access request as a model or as a dict (validated: InvalidCommand naming fields)."""


class ReadGate:
    """Decides, records and logs reads: of a case, a person, an advies, a listing, the store."""

    def __init__(self, guard: AccessGuard, work: UnitOfWork, persons: PersonRegister,
                 engine: sa.Engine, catch_up: Callable[[], int]) -> None:
        """Decide with ``guard``; load through ``work``; find a person's cases behind ``engine``."""
        self.guard = guard
        self.work = work
        self.persons = persons
        self.engine = engine
        self.catch_up = catch_up

    def case(self, case_id: UUID, access: AccessArg, resource: Resource,
             version: int | None = None) -> HouseholdCase:
        """Decide and log a read of one case; record an emergency access; return the case.

        A grant through an involvement that ended with an earlier period (the old casusregisseur
        of a reopened case) returns the case as it stood at that period's last version.
        ``version``: the version the caller will read, refused when it lies after that period.

        Raises:
            InvalidCommand: If ``access`` is malformed.
            CaseNotFound: If there is no such case (the attempt is logged as refused).
            AccessDenied: If the policy refuses (logged).
        """
        return self.case_and_bound(case_id, access, resource, version)[0]

    def case_and_bound(self, case_id: UUID, access: AccessArg, resource: Resource,
                       version: int | None = None) -> tuple[HouseholdCase, int | None]:
        """As :meth:`case`, with the last event version the reader may see (None: all).

        A caller reading the case's events reads ``events[:bound]``: a grant through an ended
        period covers what was recorded in that period, not the new period.

        Raises:
            InvalidCommand: If ``access`` is malformed.
            CaseNotFound: If there is no such case (the attempt is logged as refused).
            AccessDenied: If the policy refuses (logged).
        """
        acc = self._access(access, resource, str(case_id))
        found = self.work.find(case_id)
        case = found if isinstance(found, HouseholdCase) else None
        decision = self.guard.on_case(acc, case_facts(case) if case is not None else None,
                                      resource, version)
        note = None
        if case is not None and decision.verdict is Verdict.EMERGENCY:
            recorded, note = self._emergency_or_refuse(case_id, acc, resource, decision)
            case = copy_aggregate(recorded)  # the cache keeps the original
        self.guard.record(self.work.now(), acc, resource, str(case_id), decision, note)
        if case is None:
            raise CaseNotFound(f"no case {case_id}")
        if not decision.allowed:
            refuse(acc, resource, str(case_id), decision)
        bound = decision.until_version
        if bound is not None:  # what was recorded in the ended period only
            return self.work.load_version(case_id, bound), bound
        return case, None

    def _access(self, access: AccessArg, resource: Resource, key: str | None) -> Access:
        """Validate the request; a malformed emergency request is logged as refused.

        An emergency request whose safety reason does not validate (identifying data, too
        long) is still a refused emergency read: when its actor and purpose validate, it is
        written to the access log as refused before the error is raised. Other malformed
        requests are not logged (nothing was read, and there is no emergency to account for).
        """
        try:
            return as_access(access)
        except InvalidCommand:
            if isinstance(access, dict) and access.get("purpose") == "emergency":
                try:
                    bare = as_access({k: v for k, v in access.items()
                                      if k in ("actor", "purpose")})
                except InvalidCommand:
                    _log.warning("refused read of %s: the access request does not validate",
                                 resource.value)
                    raise
                self.guard.record(self.work.now(), bare, resource, key, AccessDecision(
                    verdict=Verdict.REFUSED, rule=_INVALID_REQUEST))
            raise

    def _emergency_or_refuse(self, case_id: UUID, access: Access, resource: Resource,
                             decision: AccessDecision) -> tuple[HouseholdCase, str]:
        """Record the emergency access; if that fails, log the read as refused and raise."""
        try:
            return self._record_emergency(case_id, access, resource, decision)
        except Exception:
            self.guard.record(self.work.now(), access, resource, str(case_id), AccessDecision(
                verdict=Verdict.REFUSED, rule=_EMERGENCY_NOT_RECORDED))
            raise

    def _record_emergency(self, case_id: UUID, access: Access, resource: Resource,
                          decision: AccessDecision) -> tuple[HouseholdCase, str]:
        access_id = uuid4()
        actor = access.actor.model_dump(mode="json")

        def record(case: HouseholdCase, ctx: DecisionContext) -> HouseholdCase:
            case.record_emergency_access(actor, access.safety_reason or "", decision.rule,
                                         access_id, resource.value, ctx)
            return case

        case, result = self.work.on_case(case_id, None, record)
        return case, (f"safety reason recorded on case {case_id} as EmergencyAccessRecorded "
                      f"v{result.version} (access {access_id})")

    def store(self, access: AccessArg, resource: Resource) -> Access:
        """Decide and log a read of the whole store (export, verification, access log).

        Raises:
            AccessDenied: If the policy refuses (logged).
        """
        acc = self._access(access, resource, None)
        self.guard.settle(self.work.now(), acc, resource, None, self.guard.store_wide(acc))
        return acc

    def listing(self, access: AccessArg, resource: Resource,
                region: str | None) -> frozenset[str] | None:
        """Decide and log a listing across cases; return the regions it is limited to (None: all).

        Raises:
            AccessDenied: If the policy refuses (logged).
        """
        acc = self._access(access, resource, None)
        decision, scope = self.guard.listing(acc, region)
        self.guard.settle(self.work.now(), acc, resource, None, decision)
        return scope

    def advies(self, advies_id: UUID, access: AccessArg) -> Advies:
        """Decide and log a read of an advies (no persons): VT of its region, or an auditor.

        Raises:
            AdviesNotFound: No such advies (logged as refused).
            AccessDenied: If the policy refuses (logged).
        """
        acc = as_access(access)
        advies = self.work.find(advies_id)
        if not isinstance(advies, Advies):
            self.guard.record(self.work.now(), acc, Resource.ADVIES, str(advies_id),
                              self.guard.on_case(acc, None))
            raise AdviesNotFound(f"no advies {advies_id}")
        decision = self.guard.without_case(acc, advies.region)
        self.guard.settle(self.work.now(), acc, Resource.ADVIES, str(advies_id), decision)
        return advies

    def unknown(self, access: AccessArg, resource: Resource, key: str) -> None:
        """Log a read of something that does not exist as refused (like an unknown case)."""
        acc = as_access(access)
        self.guard.record(self.work.now(), acc, resource, key, self.guard.on_case(acc, None),
                          None)

    def person(self, person_id: UUID, access: AccessArg, resource: Resource) -> None:
        """Decide and log a read about a person through the cases the person belongs to.

        Raises:
            PersonNotFound: The register does not know a person who is in no case.
            AccessDenied: If the policy refuses (logged).
        """
        acc = self._access(access, resource, None)
        self.catch_up()
        case_ids = cases_of_person(self.engine, person_id)
        if not case_ids:
            self.persons.registered_at(person_id)  # PersonNotFound for an unknown person
            self.guard.settle(self.work.now(), acc, resource, None,
                              self.guard.without_case(acc, None))
            return
        decisions: list[tuple[UUID, AccessDecision]] = []
        for cid in case_ids:
            case = self.work.find(cid)
            if isinstance(case, HouseholdCase):
                decisions.append((cid, self.guard.on_case(acc, case_facts(case))))
        granted = [(cid, d) for cid, d in decisions if d.verdict is Verdict.GRANTED]
        emergency = [(cid, d) for cid, d in decisions if d.verdict is Verdict.EMERGENCY]
        chosen = (granted or emergency or decisions or [(case_ids[-1], AccessDecision(
            verdict=Verdict.REFUSED, rule="no such case"))])[-1]
        note = None
        if chosen[1].verdict is Verdict.EMERGENCY:
            _, note = self._emergency_or_refuse(chosen[0], acc, resource, chosen[1])
        self.guard.settle(self.work.now(), acc, resource, str(chosen[0]), chosen[1], note)
