"""The application's reads: one method per query, one line each over the read services.

:class:`ReadMethods` is a base of :class:`~hgkm_workflow.application.HgkmApplication`. Every
read is decided by the read gate (access policy, access log) inside
:class:`~hgkm_workflow.application.queries.Queries` or
:class:`~hgkm_workflow.application.audit.AuditReads`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal
from uuid import UUID

from hgkm_workflow.access.log import AccessLogEntry
from hgkm_workflow.access.log import VerifyResult as AccessLogCheck
from hgkm_workflow.adapters.persons import ErasedPerson, PersonDetails
from hgkm_workflow.advies import Advies
from hgkm_workflow.application.audit import AuditReads
from hgkm_workflow.application.queries import Queries
from hgkm_workflow.application.read_gate import AccessArg
from hgkm_workflow.audit.as_of import AsOfComparison, AsOfState
from hgkm_workflow.audit.entries import TimelineEntry
from hgkm_workflow.audit.exchange import ExportResult
from hgkm_workflow.audit.explain import EventExplanation
from hgkm_workflow.audit.verification import VerifyReport
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.monitor import MonitorReport
from hgkm_workflow.monitor.meldingen import ClassifiedMelding
from hgkm_workflow.projections.case_queries import CaseSummary
from hgkm_workflow.projections.deadline_queries import OpenDeadline
from hgkm_workflow.projections.person_index import MeldingClassification
from hgkm_workflow.views import CaseView
from hgkm_workflow.whatif import WhatIfInputs, WhatIfReport, what_if

__all__ = ["ReadMethods"]


class ReadMethods:
    """Queries, the access log and the audit reads of the application."""

    queries: Queries
    audit: AuditReads

    def get_case(self, case_id: UUID, *, access: AccessArg) -> CaseView:
        """The current state of a case as a typed view.

        Args:
            case_id: The case.
            access: Who reads and why (:class:`~hgkm_workflow.access.Access`); decided by
                the access policy and logged. An emergency access is recorded on the case.

        Raises:
            AccessDenied: If the policy refuses the read.
            CaseNotFound: If there is no such case.
        """
        return self.queries.get_case(case_id, access)

    def load_case(self, case_id: UUID, version: int | None = None, *,
                  access: AccessArg) -> HouseholdCase:
        """The case aggregate itself (optionally as it was at ``version``); access-checked."""
        return self.queries.load_case(case_id, version, access)

    def get_advies(self, advies_id: UUID, *, access: AccessArg) -> Advies:
        """An advies aggregate (no persons): Veilig Thuis of its region, or an auditor."""
        return self.queries.get_advies(advies_id, access)

    def read_person(self, person_id: UUID, *, access: AccessArg
                    ) -> PersonDetails | ErasedPerson:
        """A person's identifying details from the register, or :class:`ErasedPerson`.

        Decided through the cases the person belongs to (need to know: whoever may read one
        of them); a person in no case yet is read by Veilig Thuis or an auditor only. Logged.

        Raises:
            AccessDenied: If the policy refuses.
            PersonNotFound: If the register does not know the person.
        """
        return self.queries.read_person(person_id, access)

    def list_cases(self, *, access: AccessArg, region: str | None = None,
                   phase: str | None = None, limit: int = 100,
                   offset: int = 0) -> list[CaseSummary]:
        """Cases from the case index, newest first, optionally filtered.

        Veilig Thuis lists the cases of its own region(s); an auditor lists all. Logged.
        """
        return self.queries.list_cases(access, region, phase, limit, offset)

    def open_deadlines(self, *, access: AccessArg, at: datetime | None = None,
                       case_id: UUID | None = None,
                       region: str | None = None) -> list[OpenDeadline]:
        """Open deadlines by due instant (optionally only those due by ``at``).

        With ``case_id`` the read is decided on that case; otherwise it is a listing
        (Veilig Thuis of the region, or an auditor). Logged.
        """
        return self.queries.open_deadlines(access, at, case_id, region)

    def classification(self, melding_id: UUID, *, access: AccessArg) -> MeldingClassification:
        """How a melding was classified at receipt (CBS), with its explanation.

        Decided on the melding's case. Logged.

        Raises:
            MeldingNotClassified: If no melding with this id was received.
            AccessDenied: If the policy refuses.
        """
        return self.queries.classification(melding_id, access)

    def monitor(self, region: str | None = None, gemeente: str | None = None,
                period: str | None = None, *, access: AccessArg,
                as_known_at: datetime | None = None, min_cell: int | None = None,
                round_to: int = 1) -> MonitorReport:
        """The monitor figures for a region/gemeente and a period (default: this half-year).

        Aggregates only, and **safe by default**: small cells are suppressed (primary and
        secondary suppression; ``min_cell``, default ``HGKM_MIN_CELL`` or 10) unless the
        caller's role may see exact figures (an auditor; then exact unless ``min_cell`` is
        given); ``round_to`` rounds the published counts (e.g. 5, as CBS does). The read is
        in the access log. The report instant is the end of the period, or the clock's now
        if that is earlier. With ``as_known_at`` (a recording instant) the report carries a
        restatement: the period's classification counts as known then beside now, and the
        meldingen that moved and why (a period that has ended is restated as known at its
        end by default). See docs/monitor.md.
        """
        return self.queries.monitor(access, region, gemeente, period, as_known_at, min_cell,
                                    round_to)

    def melding_classifications(self, *, access: AccessArg, region: str | None = None,
                                gemeente: str | None = None, period: str | None = None,
                                as_known_at: datetime | None = None
                                ) -> list[ClassifiedMelding]:
        """Every melding's classification, with its basis, settings and changes (auditors).

        A listing across cases: decided by the access policy (an auditor, or Veilig Thuis
        for its own regions) and logged. See :mod:`hgkm_workflow.monitor.meldingen`.
        """
        return self.queries.melding_classifications(access, region, gemeente, period,
                                                    as_known_at)

    def case_events(self, case_id: UUID, *, access: AccessArg) -> list[Any]:
        """The stored events of a case, in order (for timelines and audits); logged."""
        return self.queries.case_events(case_id, access)

    def access_log(self, *, access: AccessArg, case_id: UUID | None = None,
                   actor_id: str | None = None, limit: int | None = None
                   ) -> list[AccessLogEntry]:
        """Entries of the access log (auditors; this read is logged too)."""
        return self.queries.access_log(access, case_id, actor_id, limit)

    def verify_access_log(self, *, access: AccessArg) -> AccessLogCheck:
        """Walk the access log's hash chain; report changed, removed or reordered entries."""
        return self.queries.verify_access_log(access)

    # ------------------------------------------------------------------ audit (hgkm_workflow.audit)

    def timeline(self, case_id: UUID, *, access: AccessArg) -> list[TimelineEntry]:
        """The case's history in plain language (see :func:`hgkm_workflow.audit.entries`).

        Persons whose details were erased are marked in the entries that name them.
        """
        return self.audit.timeline(case_id, access)

    def state_as_of(self, case_id: UUID, at: datetime,
                    basis: Literal["business", "recorded"] = "business", *,
                    access: AccessArg) -> AsOfState:
        """The case as it stood at ``at`` (see :func:`hgkm_workflow.audit.state_as_of`)."""
        return self.audit.state_as_of(case_id, at, basis, access)

    def compare_as_of(self, case_id: UUID, at: datetime, *, access: AccessArg) -> AsOfComparison:
        """True then versus known then (see :func:`hgkm_workflow.audit.compare_as_of`)."""
        return self.audit.compare_as_of(case_id, at, access)

    def explain_event(self, case_id: UUID, version: int, *,
                      access: AccessArg) -> EventExplanation:
        """One recorded decision explained (see :func:`hgkm_workflow.audit.explain_event`)."""
        return self.audit.explain_event(case_id, version, access)

    def verify(self, progress: Callable[[str, int, int], None] | None = None, *,
               access: AccessArg, workers: int = 1) -> VerifyReport:
        """Replay every case and rebuild every view elsewhere; compare (audit.verify).

        ``workers`` processes share the replay (the report is the same for any number).
        """
        return self.audit.verify(progress, access, workers)

    def export_jsonl(self, target: str | Path | IO[str], *, access: AccessArg) -> ExportResult:
        """Write the whole event stream as JSON Lines (see :mod:`hgkm_workflow.audit.exchange`).

        A store-wide read: auditors only (logged). The person register is never exported;
        lines naming an erased person say so (``erased_persons``).
        """
        return self.audit.export_jsonl(target, access)

    def what_if(self, *, access: AccessArg, inputs: WhatIfInputs | None = None,
                region: str | None = None, gemeente: str | None = None,
                start: datetime | None = None, until: datetime | None = None,
                case_ids: Collection[UUID] | None = None,
                progress: Callable[[str], None] | None = None,
                case_lists: bool | None = None) -> WhatIfReport:
        """Replay a selection under other rules, calendar or settings (docs/what-if.md).

        A read of the region's figures (decided by the access policy and logged); the store
        and its read models are never written: both sides are replayed into scratch stores.
        The per-case lists go only to a reader who sees exact cells unless ``case_lists``.
        """
        return what_if(self, access=access, inputs=inputs, region=region, gemeente=gemeente,
                       start=start, until=until, case_ids=case_ids, progress=progress,
                       case_lists=case_lists)
