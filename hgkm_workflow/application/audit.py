"""The application's audit reads: timeline, as-of, explain, verify, export and import.

Each read is decided by the read gate, then handed to :mod:`hgkm_workflow.audit` with only the
parts it needs (the case's events, the event store, the rules, the read-model engine).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.application import Application

from hgkm_workflow.access.models import Resource
from hgkm_workflow.adapters.persons import PersonRegister
from hgkm_workflow.application import query_args as q
from hgkm_workflow.application.queries import Queries
from hgkm_workflow.application.read_gate import AccessArg, ReadGate
from hgkm_workflow.application.unit_of_work import UnitOfWork
from hgkm_workflow.audit import exchange, verification
from hgkm_workflow.audit.as_of import AsOfComparison, AsOfState, compare_events, state_of_events
from hgkm_workflow.audit.business_time import Basis
from hgkm_workflow.audit.entries import TimelineEntry
from hgkm_workflow.audit.explain import EventExplanation, explain_events
from hgkm_workflow.audit.positions import load_origins
from hgkm_workflow.audit.timeline import mark_erased, timeline_of
from hgkm_workflow.projections import ProjectionRunner

__all__ = ["AuditReads"]


class AuditReads:
    """Access-checked audit reads over one store."""

    def __init__(self, gate: ReadGate, queries: Queries, work: UnitOfWork,
                 store: Application[UUID], persons: PersonRegister, engine: sa.Engine,
                 runner: ProjectionRunner) -> None:
        """Decide through ``gate``; read events through ``queries``; rules from ``work``."""
        self.gate = gate
        self.queries = queries
        self.work = work
        self.store = store
        self.persons = persons
        self.engine = engine
        self.runner = runner

    def timeline(self, case_id: UUID, access: AccessArg) -> list[TimelineEntry]:
        """The case's history in plain language; erased persons marked."""
        case_id = q.ident(case_id)
        case, bound = self.gate.case_and_bound(case_id, access, Resource.TIMELINE)
        entries = timeline_of(self.queries.events_of(case_id)[:bound])
        return mark_erased(entries, self.persons.erased_among(case.persons))

    def state_as_of(self, case_id: UUID, at: datetime, basis: Basis,
                    access: AccessArg) -> AsOfState:
        """The case as it stood at ``at`` on ``basis``."""
        case_id, at, basis = q.ident(case_id), q.instant(at), q.basis(basis)
        _, bound = self.gate.case_and_bound(case_id, access, Resource.AS_OF)
        return state_of_events(self.queries.events_of(case_id)[:bound], case_id, at, basis)

    def compare_as_of(self, case_id: UUID, at: datetime, access: AccessArg) -> AsOfComparison:
        """True then versus known then."""
        case_id, at = q.ident(case_id), q.instant(at)
        _, bound = self.gate.case_and_bound(case_id, access, Resource.AS_OF)
        return compare_events(self.queries.events_of(case_id)[:bound], case_id, at)

    def explain_event(self, case_id: UUID, version: int, access: AccessArg) -> EventExplanation:
        """One recorded decision explained."""
        case_id, version = q.ident(case_id), q.version(version)
        _, bound = self.gate.case_and_bound(case_id, access, Resource.EXPLAIN, version)
        return explain_events(self.store, self.queries.events_of(case_id)[:bound], case_id,
                              version, rules=self.work.rules)

    def verify(self, progress: Callable[[str, int, int], None] | None,
               access: AccessArg, workers: int = 1) -> verification.VerifyReport:
        """Replay every case and rebuild every view elsewhere; compare (auditors)."""
        self.gate.store(access, Resource.VERIFY)
        workers = max(1, q.count(workers, "workers", maximum=64))
        return verification.run_verify(self.store, self.engine, self.runner, progress,
                                       workers=workers)

    def export_jsonl(self, target: str | Path | IO[str],
                     access: AccessArg) -> exchange.ExportResult:
        """Write the whole event stream as JSON Lines (auditors)."""
        self.gate.store(access, Resource.EXPORT)
        return exchange.write_export(self.store, target, erased=self.persons.erased_ids(),
                                     origins=load_origins(self.engine))
