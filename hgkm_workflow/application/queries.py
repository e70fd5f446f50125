"""Queries: the state of a case, lists of cases and deadlines, classifications, the access log.

Every query is decided by the read gate (access policy, access log) before it answers, and
the read models are caught up first (*read-your-writes* in the embedded default: a query
after a command always sees that command). Arguments are validated first
(:mod:`~hgkm_workflow.application.query_args`: ``INVALID_QUERY``). The SQL lives beside the
read models' tables
(:mod:`hgkm_workflow.projections.case_queries`, :mod:`~hgkm_workflow.projections.deadline_queries`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.application import Application

from hgkm_workflow.access.guard import AccessGuard, as_access
from hgkm_workflow.access.log import AccessLogEntry
from hgkm_workflow.access.log import VerifyResult as AccessLogCheck
from hgkm_workflow.access.models import AccessDecision, Resource, Verdict
from hgkm_workflow.adapters.persons import ErasedPerson, PersonDetails, PersonRegister
from hgkm_workflow.advies import Advies
from hgkm_workflow.application import query_args as q
from hgkm_workflow.application.read_gate import AccessArg, ReadGate
from hgkm_workflow.application.unit_of_work import UnitOfWork
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.errors import CaseNotFound
from hgkm_workflow.monitor import MonitorReport, Period, min_cell_from_env, monitor_report
from hgkm_workflow.monitor.disclosure import exact_cell_rule, may_see_exact
from hgkm_workflow.monitor.meldingen import ClassifiedMelding, classified_meldingen
from hgkm_workflow.projections import case_queries, deadline_queries
from hgkm_workflow.projections._util import naive_utc
from hgkm_workflow.projections.case_queries import CaseSummary
from hgkm_workflow.projections.deadline_queries import OpenDeadline
from hgkm_workflow.projections.person_index import (
    MeldingClassification,
    MeldingNotClassified,
    get_classification,
)
from hgkm_workflow.settings import process_environment
from hgkm_workflow.views import CaseView

__all__ = ["Queries"]


class Queries:
    """The application's reads, each decided by the read gate."""

    def __init__(self, gate: ReadGate, work: UnitOfWork, store: Application[UUID],
                 persons: PersonRegister, guard: AccessGuard, engine: sa.Engine,
                 catch_up: Callable[[], int]) -> None:
        """Read through ``gate``; the event store of ``store``; read models behind ``engine``."""
        self.gate = gate
        self.work = work
        self.store = store
        self.persons = persons
        self.guard = guard
        self.engine = engine
        self.catch_up = catch_up

    def get_case(self, case_id: UUID, access: AccessArg) -> CaseView:
        """The current state of a case as a typed view (erased persons marked)."""
        view = CaseView.of(self.gate.case(q.ident(case_id), access, Resource.CASE))
        erased = self.persons.erased_among(view.persons)
        return dataclasses.replace(view, erased_persons=erased) if erased else view

    def load_case(self, case_id: UUID, version: int | None, access: AccessArg) -> HouseholdCase:
        """The case aggregate itself (optionally as it was at ``version``)."""
        case_id = q.ident(case_id)
        version = None if version is None else q.version(version)
        case = self.gate.case(case_id, access, Resource.CASE, version)
        return case if version is None else self.work.load_version(case_id, version)

    def get_advies(self, advies_id: UUID, access: AccessArg) -> Advies:
        """An advies aggregate (no persons)."""
        return self.gate.advies(q.ident(advies_id, "advies_id"), access)

    def read_person(self, person_id: UUID, access: AccessArg) -> PersonDetails | ErasedPerson:
        """A person's identifying details from the register, or :class:`ErasedPerson`."""
        person_id = q.ident(person_id, "person_id")
        self.gate.person(person_id, access, Resource.PERSON_REGISTER)
        return self.persons.get(person_id)

    def list_cases(self, access: AccessArg, region: str | None, phase: str | None,
                   limit: int, offset: int) -> list[CaseSummary]:
        """Cases from the case index, newest first, limited to the regions the reader may list."""
        region, phase = q.code(region, "region"), q.phase(phase)
        limit, offset = q.count(limit, "limit"), q.count(offset, "offset")
        scope = self.gate.listing(access, Resource.CASE_LIST, region)
        self.catch_up()
        return case_queries.list_cases(self.engine, regions=scope, phase=phase, limit=limit,
                                       offset=offset)

    def open_deadlines(self, access: AccessArg, at: datetime | None, case_id: UUID | None,
                       region: str | None) -> list[OpenDeadline]:
        """Open deadlines by due instant: of one case, or a listing."""
        at, case_id = q.optional_instant(at, "at"), q.optional_ident(case_id, "case_id")
        region = q.code(region, "region")
        scope: frozenset[str] | None = None
        if case_id is not None:
            self.gate.case(case_id, access, Resource.DEADLINES)
        else:
            scope = self.gate.listing(access, Resource.DEADLINES, region)
        self.catch_up()
        return deadline_queries.open_deadlines(self.engine, at=at, case_id=case_id,
                                               regions=scope)

    def classification(self, melding_id: UUID, access: AccessArg) -> MeldingClassification:
        """How a melding was classified at receipt, decided on the melding's case."""
        melding_id = q.ident(melding_id, "melding_id")
        self.catch_up()
        try:
            result = get_classification(self.engine, melding_id)
        except MeldingNotClassified:  # logged like a read of an unknown case
            self.gate.unknown(access, Resource.CLASSIFICATION, str(melding_id))
            raise
        self.gate.case(result.case_id, access, Resource.CLASSIFICATION)
        return result

    def monitor(self, access: AccessArg, region: str | None, gemeente: str | None,
                period: str | None, as_known_at: datetime | None = None,
                min_cell: int | None = None, round_to: int = 1) -> MonitorReport:
        """The monitor figures as of the clock's now, safe by default (logged).

        Small cells are suppressed (``min_cell``, default ``HGKM_MIN_CELL`` or 10) unless
        the caller's role may see exact figures (:mod:`hgkm_workflow.monitor.disclosure`);
        such a caller gets exact figures unless ``min_cell`` is given. Counts are then
        rounded to ``round_to``.
        """
        region, gemeente = q.code(region, "region"), q.code(gemeente, "gemeente")
        period = q.period(period)
        acc = as_access(access)
        exact = may_see_exact(acc.actor.role.value, self.guard.policy)
        floor = min_cell_from_env(process_environment())
        threshold = (min_cell or 0) if exact else max(floor, min_cell or 0)
        rule = exact_cell_rule(self.guard.policy, floor)
        self.guard.record(self.work.now(), acc, Resource.CLASSIFICATION, None,
                          AccessDecision(verdict=Verdict.GRANTED, rule=rule),
                          note=f"monitor, cells under {threshold} suppressed")
        self.catch_up()
        report = monitor_report(self.engine, region, gemeente, period, as_of=self.work.now(),
                                as_known_at=as_known_at)
        report = report.suppress_small_cells(threshold)
        return report.round_counts(round_to) if round_to != 1 else report

    def melding_classifications(self, access: AccessArg, region: str | None,
                                gemeente: str | None, period: str | None,
                                as_known_at: datetime | None) -> list[ClassifiedMelding]:
        """Every melding's classification (a listing: decided by the policy and logged)."""
        scope = self.gate.listing(access, Resource.CLASSIFICATION, region)
        self.catch_up()
        chosen = Period.parse(period) if period else None
        with self.engine.connect() as conn:
            return classified_meldingen(
                conn, region=region, gemeente=gemeente,
                start=naive_utc(chosen.start) if chosen else None,
                end=naive_utc(chosen.end) if chosen else None, regions=scope,
                as_known_at=naive_utc(as_known_at) if as_known_at else None)

    def case_events(self, case_id: UUID, access: AccessArg) -> list[Any]:
        """The stored events of a case, in order."""
        case_id = q.ident(case_id)
        _, bound = self.gate.case_and_bound(case_id, access, Resource.EVENTS)
        return self.events_of(case_id)[:bound]  # a grant through an ended period: up to it

    def events_of(self, case_id: UUID) -> list[Any]:
        """The stored events of a case (no access check: the caller has decided it).

        Raises:
            CaseNotFound: The case has no events.
        """
        events = list(self.store.events.get(case_id))
        if not events:
            raise CaseNotFound(f"no case {case_id}")
        return events

    def access_log(self, access: AccessArg, case_id: UUID | None, actor_id: str | None,
                   limit: int | None) -> list[AccessLogEntry]:
        """Entries of the access log (auditors; this read is logged too)."""
        case_id, actor_id = q.optional_ident(case_id, "case_id"), q.code(actor_id, "actor_id")
        limit = None if limit is None else q.count(limit, "limit")
        self.gate.store(access, Resource.ACCESS_LOG)
        return self.guard.log.entries(case_id=str(case_id) if case_id else None,
                                      actor_id=actor_id, limit=limit)

    def verify_access_log(self, access: AccessArg) -> AccessLogCheck:
        """Walk the access log's hash chain (auditors; logged)."""
        self.gate.store(access, Resource.ACCESS_LOG)
        return self.guard.log.verify()
