"""The application: the one object a host service embeds.

``HgkmApplication(store_url, clock=...)`` opens the event store (SQLite file or PostgreSQL),
the read models in the same database and the person register. It has a method per command,
queries for a case's state and for listing cases, and :meth:`HgkmApplication.tick` for the
statutory clock.

Every command follows the same path: validate at the boundary (pydantic), load the case,
decide (the aggregate refuses with a typed error, storing nothing), save. A save that loses a
race with another writer (optimistic concurrency) is retried on a freshly loaded case a
bounded number of times, then refused with :class:`~hgkm_workflow.errors.ConcurrentModification`.

Read models are caught up before any query answers (*read-your-writes* in the embedded
default): a query after a command always sees that command.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import IO, TYPE_CHECKING, Any, ClassVar, Literal, TypeVar
from uuid import UUID, uuid4

import sqlalchemy as sa
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from hgkm_workflow import commands as c
from hgkm_workflow.access.guard import AccessGuard, as_access, case_facts, refuse
from hgkm_workflow.access.log import AccessLogEntry
from hgkm_workflow.access.log import VerifyResult as AccessLogCheck
from hgkm_workflow.access.models import Access, AccessDecision, Purpose, Resource, Verdict
from hgkm_workflow.access.policy import AccessPolicy
from hgkm_workflow.adapters.cipher import cipher_env, resolve_cipher_key
from hgkm_workflow.adapters.loading import AggregateCache, copy_aggregate, project_events
from hgkm_workflow.adapters.persons import ErasedPerson, PersonDetails, PersonRegister
from hgkm_workflow.adapters.store import StoreConfig, parse_store_url
from hgkm_workflow.advies import Advies
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.clock import Clock, SystemClock, as_utc
from hgkm_workflow.domain.calendar import WorkingDayCalendar, default_calendar
from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.deadlines import RuleBook, default_rulebook
from hgkm_workflow.domain.outcomes import TickOutcome
from hgkm_workflow.domain.recording import recording_at
from hgkm_workflow.erasure import ErasureResult, PersonRecord, cases_of_person
from hgkm_workflow.errors import (
    AdviesNotFound,
    CaseAlreadyExists,
    CaseNotFound,
    ConcurrentModification,
    RuleViolation,
)
from hgkm_workflow.monitor import MonitorReport, monitor_report
from hgkm_workflow.phases.lifecycle import CasePhase
from hgkm_workflow.projections import Projection, ProjectionRunner, engine_for
from hgkm_workflow.projections._util import aware_utc, naive_utc
from hgkm_workflow.projections.cases import cases
from hgkm_workflow.projections.deadline_index import deadlines
from hgkm_workflow.projections.person_index import (
    MeldingClassification,
    MeldingNotClassified,
    get_classification,
    open_case_for_persons,
)
from hgkm_workflow.projections.registry import default_projections
from hgkm_workflow.settings import RetentionSettings
from hgkm_workflow.views import CaseView

if TYPE_CHECKING:
    from pathlib import Path

    from hgkm_workflow.audit import AsOfComparison, AsOfState, EventExplanation
    from hgkm_workflow.audit.entries import TimelineEntry
    from hgkm_workflow.audit.exchange import ExportResult, ImportResult
    from hgkm_workflow.audit.verification import VerifyReport

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")
Cmd = TypeVar("Cmd", bound=c.Command)


class _DateAsIso(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class _SubclassAwareTranscoder(JSONTranscoder):
    """Looks up transcodings along the MRO, so datetime subclasses (freezegun) are stored."""

    def _encode_obj(self, o: Any) -> dict[str, Any]:
        for klass in type(o).__mro__:
            transcoding = self.types.get(klass)
            if transcoding is not None:
                return {"_type_": transcoding.name, "_data_": transcoding.encode(o)}
        return super()._encode_obj(o)


_log = logging.getLogger(__name__)


def _require_after_opening(command: c.Command | None, ctx: DecisionContext,
                           case: HouseholdCase) -> None:
    # A command dated back (``occurred_at``) cannot be dated before its case was opened.
    if command is not None and command.occurred_at is not None and ctx.at < case.opened_at:
        raise RuleViolation("business time lies before the case was opened",
                            code="OCCURRED_BEFORE_CASE", rule="business-time")


@dataclass(frozen=True)
class CommandResult:
    """What a command did: the case (or advies), its new version and the events recorded."""

    aggregate_id: UUID
    version: int
    events: tuple[str, ...]
    ids: dict[str, UUID] = field(default_factory=dict)

    @property
    def case_id(self) -> UUID:
        """The case the command was applied to (alias of ``aggregate_id``)."""
        return self.aggregate_id


@dataclass(frozen=True)
class TickRecord:
    """One thing the scheduler recorded: a breach or the end of a huisverbod."""

    case_id: UUID
    kind: str
    deadline_id: str
    rule_id: str
    due: datetime | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class CaseSummary:
    """A row of the case list."""

    case_id: UUID
    region: str
    gemeente: str
    phase: str
    opened_at: datetime
    phase_entered_at: datetime
    version: int
    meldingen: int
    loop_backs: int
    mda: str


@dataclass(frozen=True)
class OpenDeadline:
    """A row of the deadline index."""

    deadline_id: str
    case_id: UUID
    rule_id: str
    rule_name: str
    rule_type: str
    due: datetime
    breached: bool
    checkpoint: int | None


class HgkmApplication(Application[UUID]):
    """The embeddable engine: commands, queries and the statutory clock over one store."""

    name = "hgkm"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {}
    #: Snapshots replay with the cheap projector too (see :mod:`hgkm_workflow.adapters.loading`).
    snapshotting_projectors: ClassVar[dict[type[Any], Any]] = {
        HouseholdCase: project_events, Advies: project_events, PersonRecord: project_events}

    def __init__(
        self,
        store_url: str | None = None,
        *,
        clock: Clock | None = None,
        rules: RuleBook | None = None,
        calendar: WorkingDayCalendar | None = None,
        snapshot_interval: int = 50,
        max_retries: int = 3,
        cache_size: int = 2000,
        env: dict[str, str] | None = None,
        extra_projections: list[Projection] | None = None,
        policy: AccessPolicy | None = None,
        retention: RetentionSettings | None = None,
        cipher_key: str | None = None,
    ) -> None:
        """Open the store.

        Args:
            store_url: ``sqlite:///path.db``, a file path, or ``postgresql://…``; default
                ``HGKM_DATABASE_URL`` or ``sqlite:///hgkm.db``.
            clock: Source of business time (default: the system clock).
            rules: Time-limit rules in force (default: the national rule book).
            calendar: Working-day calendar (default: the newest version).
            snapshot_interval: Take a snapshot of a case every N events (0 disables).
            max_retries: Retries of a command that lost a race with another writer.
            cache_size: Cases kept in memory between commands (0 disables). A cached case is
                brought up to date with the store before each command (the events other
                processes saved since), so several processes may write to the same store. A
                command owns its case alone and returns it to the cache only after a
                successful save (:class:`~hgkm_workflow.adapters.loading.AggregateCache`).
            env: Extra eventsourcing settings.
            extra_projections: More read models to keep in step (monitor, classification).
            policy: The access policy (default: the shipped, documented one).
            retention: Retention of the person register (default: ``HGKM_RETENTION_YEARS``
                or twenty years).
            cipher_key: Encrypt event payloads at rest with this key (base64 AES key); default
                ``HGKM_CIPHER_KEY`` or the file named by ``HGKM_CIPHER_KEY_FILE``; without
                any of them payloads are stored in clear (:mod:`hgkm_workflow.adapters.cipher`).
        """
        self.config: StoreConfig = parse_store_url(store_url)
        self.clock: Clock = clock or SystemClock()
        self.rules = rules or default_rulebook()
        self.calendar = calendar or default_calendar()
        self.max_retries = max_retries
        self.snapshotting_intervals = (  # type: ignore[misc]
            {HouseholdCase: snapshot_interval} if snapshot_interval > 0 else {}
        )
        app_env = dict(self.config.eventsourcing_env)
        if snapshot_interval > 0:
            app_env["IS_SNAPSHOTTING_ENABLED"] = "y"
        self._cache = AggregateCache(cache_size) if cache_size > 0 else None
        key = resolve_cipher_key(cipher_key)
        if key is not None:
            app_env.update(cipher_env(key))
        app_env.update(env or {})
        super().__init__(env=app_env)
        self.retention = retention or RetentionSettings.from_env(os.environ)
        self.engine = engine_for(self.config)
        self.persons = PersonRegister(self.engine, now=self._now)
        self.persons.setup()
        self.guard = AccessGuard(self.engine, policy)
        self.guard.setup()
        projections: list[Projection] = default_projections()
        projections.extend(extra_projections or [])
        self.projections = ProjectionRunner(self, self.engine, projections)
        self.projections.setup()

    # ------------------------------------------------------------------ infrastructure

    def construct_transcoder(self) -> JSONTranscoder:
        """A JSON transcoder that also handles dates and datetime subclasses."""
        transcoder = _SubclassAwareTranscoder()
        self.register_transcodings(transcoder)
        transcoder.register(_DateAsIso())
        return transcoder

    def _now(self) -> datetime:
        return self.clock.now()

    def close(self) -> None:
        """Release the store's connections."""
        super().close()

    def _context(self, command: c.Command | None, now: datetime | None = None) -> DecisionContext:
        now = now if now is not None else self.clock.now()
        occurred = command.occurred_at if command is not None else None
        at = as_utc(occurred) if occurred is not None else now
        if at > now + timedelta(minutes=5):
            raise RuleViolation("business time lies in the future of the clock",
                                code="OCCURRED_IN_FUTURE", rule="business-time")
        return DecisionContext(at=at, recorded_at=now, rules=self.rules, calendar=self.calendar)

    def _take(self, aggregate_id: UUID) -> Aggregate | None:
        # For a command: the aggregate, up to date with the store and owned by the caller
        # alone (taken out of the cache; _save puts it back after a successful save).
        cached = self._cache.take(aggregate_id) if self._cache is not None else None
        if cached is not None:
            newer = self.events.get(aggregate_id, gt=cached.version)  # saved by others since
            return project_events(cached, newer)
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id,
                                                       projector_func=project_events)
        except AggregateNotFoundError:
            return None
        return aggregate

    def _find(self, aggregate_id: UUID) -> Aggregate | None:
        # For a read: a private copy; the cache keeps the original.
        aggregate = self._take(aggregate_id)
        if aggregate is None or self._cache is None:
            return aggregate
        clone = copy_aggregate(aggregate)
        self._cache.put(aggregate)
        return clone

    def _load(self, aggregate_id: UUID, kind: type[A]) -> A:
        aggregate = self._take(aggregate_id)
        if aggregate is None:
            if kind is Advies:
                raise AdviesNotFound(f"no advies {aggregate_id}") from None
            raise CaseNotFound(f"no case {aggregate_id}") from None
        if not isinstance(aggregate, kind):
            raise CaseNotFound(f"no {kind.__name__} {aggregate_id}")
        return aggregate

    def _save(self, *aggregates: Aggregate) -> list[str]:
        names = [type(e).__name__ for a in aggregates for e in a.pending_events]
        self.save(*aggregates)
        if self._cache is not None:  # the saved state is the newest: no re-read next time
            for aggregate in aggregates:
                self._cache.put(aggregate)
        return names

    def _on_case(
        self, case_id: UUID, command: c.Command | None,
        decide: Callable[[HouseholdCase, DecisionContext], R], now: datetime | None = None,
    ) -> tuple[R, CommandResult]:
        for attempt in range(self.max_retries + 1):
            case = self._load(case_id, HouseholdCase)
            ctx = self._context(command, now)
            _require_after_opening(command, ctx, case)
            with recording_at(ctx.recorded_at):
                outcome = decide(case, ctx)
            try:
                names = self._save(case)
            except IntegrityError:
                if attempt == self.max_retries:
                    raise ConcurrentModification(
                        f"case {case_id} kept changing; gave up after {attempt + 1} attempts"
                    ) from None
                continue
            return outcome, CommandResult(case_id, case.version, tuple(names))
        raise ConcurrentModification(f"case {case_id}")  # pragma: no cover

    def _run(self, command_type: type[Cmd], command: Cmd | dict[str, Any],
             method: Callable[[HouseholdCase, Cmd, DecisionContext], None]) -> CommandResult:
        cmd = c.validate_command(command_type, command)
        case_id: UUID = getattr(cmd, "case_id")  # noqa: B009 - every case command has one
        _, result = self._on_case(case_id, cmd, lambda case, ctx: method(case, cmd, ctx))
        return result

    # ------------------------------------------------------------------ intake commands

    def record_advies(self, command: c.RecordAdvies | dict[str, Any]) -> CommandResult:
        """Record an advice request (no persons)."""
        cmd = c.validate_command(c.RecordAdvies, command)
        advies_id = cmd.advies_id or uuid4()
        ctx = self._context(cmd)
        with recording_at(ctx.recorded_at):
            advies = Advies.record(advies_id, cmd, ctx)
        try:  # an id in use fails the save (version 1 exists): no read before every advies
            names = self._save(advies)
        except IntegrityError:
            raise CaseAlreadyExists(f"advies {advies_id} already exists") from None
        return CommandResult(advies_id, advies.version, tuple(names))

    def receive_melding(self, command: c.ReceiveMelding | dict[str, Any]) -> CommandResult:
        """Receive a melding; opens a new case, reopens a closed one, or adds a vervolgmelding."""
        cmd = c.validate_command(c.ReceiveMelding, command)
        return self._receive(cmd, cmd.case_id, None)

    def convert_advies_to_melding(
        self, command: c.ConvertAdviesToMelding | dict[str, Any]
    ) -> CommandResult:
        """Turn an advies into a melding about a household."""
        cmd = c.validate_command(c.ConvertAdviesToMelding, command)
        return self._receive(cmd, cmd.case_id, cmd.advies_id)

    def _receive(self, cmd: c._MeldingFields, case_id: UUID | None,
                 advies_id: UUID | None) -> CommandResult:
        if case_id is not None:
            return self._receive_locked(cmd, case_id, advies_id)
        with self._intake_lock(p.person_id for p in cmd.persons):
            return self._receive_locked(cmd, case_id, advies_id)

    @contextmanager
    def _intake_lock(self, person_ids: Iterable[UUID]) -> Iterator[None]:
        # Lookup and save of a melding without case_id, serialised per person across processes
        # on PostgreSQL (session advisory locks, taken in a fixed order so two intakes cannot
        # deadlock): a second melding about the same persons waits, then finds the first one's
        # case. SQLite stores serve one process; there the lookup runs as before.
        if self.engine.dialect.name != "postgresql":
            yield
            return
        keys = sorted({int.from_bytes(p.bytes[:8], "big", signed=True) for p in person_ids})
        with self.engine.connect() as conn:
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
        for attempt in range(self.max_retries + 1):
            ctx = self._context(cmd)
            advies = self._load(advies_id, Advies) if advies_id else None
            cid = case_id or uuid4()
            with recording_at(ctx.recorded_at):
                found = self._take(case_id) if case_id is not None else None
                if looked_up and isinstance(found, HouseholdCase) \
                        and found.case_phase is CasePhase.CLOSED:
                    # closed by another process since the lookup: persons of a closed case
                    # get a new case unless the caller names the case to reopen
                    found, case_id, cid = None, None, uuid4()
                if found is None:
                    case = HouseholdCase(id=cid, region=cmd.region, gemeente=cmd.gemeente,
                                         opened_at=ctx.at)
                elif isinstance(found, HouseholdCase):
                    case = found
                    _require_after_opening(cmd, ctx, case)
                else:
                    raise CaseNotFound(f"no case {case_id}")
                case.receive_melding(cmd, melding_id, ctx, from_advies=advies_id)
                to_save: list[Aggregate] = [case]
                if advies is not None:
                    advies.convert(cmd, cid, melding_id, ctx)
                    to_save.append(advies)
            try:
                names = self._save(*to_save)
            except IntegrityError:
                if attempt == self.max_retries:
                    raise ConcurrentModification(f"case {cid} kept changing") from None
                continue
            return CommandResult(cid, case.version, tuple(names), {"melding_id": melding_id})
        raise ConcurrentModification("melding")  # pragma: no cover

    def complete_veiligheidsbeoordeling(
        self, command: c.CompleteVeiligheidsbeoordeling | dict[str, Any]
    ) -> CommandResult:
        """Record the outcome of the veiligheidsbeoordeling of a melding."""
        return self._run(c.CompleteVeiligheidsbeoordeling, command,
                         HouseholdCase.complete_veiligheidsbeoordeling)

    def complete_vt_service(self, command: c.CompleteVtService | dict[str, Any]) -> CommandResult:
        """Complete the running onderzoek or Voorwaarden en Vervolg."""
        return self._run(c.CompleteVtService, command, HouseholdCase.complete_vt_service)

    def inform_melder(self, command: c.InformMelder | dict[str, Any]) -> CommandResult:
        """Record feedback to the melder (T5)."""
        return self._run(c.InformMelder, command, HouseholdCase.inform_melder)

    def inform_school(self, command: c.InformSchool | dict[str, Any]) -> CommandResult:
        """Record that the school was informed (Handle with Care, T10)."""
        return self._run(c.InformSchool, command, HouseholdCase.inform_school)

    # ------------------------------------------------------------------ persons

    def correct_person_role(self, command: c.CorrectPersonRole | dict[str, Any]) -> CommandResult:
        """Record a corrected role (the original stays)."""
        return self._run(c.CorrectPersonRole, command, HouseholdCase.correct_person_role)

    def add_person(self, command: c.AddPerson | dict[str, Any]) -> CommandResult:
        """Add a person to the household."""
        return self._run(c.AddPerson, command, HouseholdCase.add_person)

    # ------------------------------------------------------------------ phases

    def set_veiligheidsplan(self, command: c.SetVeiligheidsplan | dict[str, Any]) -> CommandResult:
        """Set or revise the veiligheidsplan."""
        return self._run(c.SetVeiligheidsplan, command, HouseholdCase.set_veiligheidsplan)

    def confirm_acute_unsafety_removed(
        self, command: c.ConfirmAcuteUnsafetyRemoved | dict[str, Any]
    ) -> CommandResult:
        """Confirm that the acute unsafety is removed."""
        return self._run(c.ConfirmAcuteUnsafetyRemoved, command,
                         HouseholdCase.confirm_acute_unsafety_removed)

    def complete_directe_veiligheid(
        self, command: c.CompleteDirecteVeiligheid | dict[str, Any]
    ) -> CommandResult:
        """Move on to risicogestuurde zorg."""
        return self._run(c.CompleteDirecteVeiligheid, command,
                         HouseholdCase.complete_directe_veiligheid)

    def set_hulpverleningsplan(
        self, command: c.SetHulpverleningsplan | dict[str, Any]
    ) -> CommandResult:
        """Set or revise the hulpverleningsplan."""
        return self._run(c.SetHulpverleningsplan, command, HouseholdCase.set_hulpverleningsplan)

    def open_risk_factor(self, command: c.OpenRiskFactor | dict[str, Any]) -> CommandResult:
        """Open a risk factor."""
        return self._run(c.OpenRiskFactor, command, HouseholdCase.open_risk_factor)

    def resolve_risk_factor(self, command: c.ResolveRiskFactor | dict[str, Any]) -> CommandResult:
        """Resolve a risk factor."""
        return self._run(c.ResolveRiskFactor, command, HouseholdCase.resolve_risk_factor)

    def confirm_stable_safety(
        self, command: c.ConfirmStableSafety | dict[str, Any]
    ) -> CommandResult:
        """Confirm stabiele veiligheid."""
        return self._run(c.ConfirmStableSafety, command, HouseholdCase.confirm_stable_safety)

    def complete_risicogestuurde_zorg(
        self, command: c.CompleteRisicogestuurdeZorg | dict[str, Any]
    ) -> CommandResult:
        """Move on to herstel."""
        return self._run(c.CompleteRisicogestuurdeZorg, command,
                         HouseholdCase.complete_risicogestuurde_zorg)

    def set_herstelplan(self, command: c.SetHerstelplan | dict[str, Any]) -> CommandResult:
        """Set or revise the herstelplan."""
        return self._run(c.SetHerstelplan, command, HouseholdCase.set_herstelplan)

    def complete_herstelplan(
        self, command: c.CompleteHerstelplan | dict[str, Any]
    ) -> CommandResult:
        """Record that the herstelplan was carried out."""
        return self._run(c.CompleteHerstelplan, command, HouseholdCase.complete_herstelplan)

    def complete_herstel(self, command: c.CompleteHerstel | dict[str, Any]) -> CommandResult:
        """Move on to the waakvlam."""
        return self._run(c.CompleteHerstel, command, HouseholdCase.complete_herstel)

    def record_waakvlam_contact(
        self, command: c.RecordWaakvlamContact | dict[str, Any]
    ) -> CommandResult:
        """Record a waakvlam contact."""
        return self._run(c.RecordWaakvlamContact, command, HouseholdCase.record_waakvlam_contact)

    def loop_back(self, command: c.LoopBack | dict[str, Any]) -> CommandResult:
        """Return the case to directe veiligheid."""
        return self._run(c.LoopBack, command, HouseholdCase.loop_back)

    def close_case(self, command: c.CloseCase | dict[str, Any]) -> CommandResult:
        """Close the case with a reason."""
        return self._run(c.CloseCase, command, HouseholdCase.close)

    # ------------------------------------------------------------------ casusregie

    def assign_casusregisseur(
        self, command: c.AssignCasusregisseur | dict[str, Any]
    ) -> CommandResult:
        """Assign the first casusregisseur."""
        return self._run(c.AssignCasusregisseur, command, HouseholdCase.assign_casusregisseur)

    def offer_handover(self, command: c.OfferHandover | dict[str, Any]) -> CommandResult:
        """Offer the casusregie to another party (warm handover)."""
        return self._run(c.OfferHandover, command, HouseholdCase.offer_handover)

    def accept_handover(self, command: c.AcceptHandover | dict[str, Any]) -> CommandResult:
        """Accept an offered casusregie."""
        return self._run(c.AcceptHandover, command, HouseholdCase.accept_handover)

    def decline_handover(self, command: c.DeclineHandover | dict[str, Any]) -> CommandResult:
        """Decline an offered casusregie."""
        return self._run(c.DeclineHandover, command, HouseholdCase.decline_handover)

    def withdraw_handover(self, command: c.WithdrawHandover | dict[str, Any]) -> CommandResult:
        """Withdraw an offer of casusregie."""
        return self._run(c.WithdrawHandover, command, HouseholdCase.withdraw_handover)

    # ------------------------------------------------------------------ MDA++, crisis, extras

    def escalate_to_mda(self, command: c.EscalateToMda | dict[str, Any]) -> CommandResult:
        """Escalate to MDA++."""
        return self._run(c.EscalateToMda, command, HouseholdCase.escalate_to_mda)

    def return_to_local_team(
        self, command: c.ReturnToLocalTeam | dict[str, Any]
    ) -> CommandResult:
        """Return from MDA++ to the local team."""
        return self._run(c.ReturnToLocalTeam, command, HouseholdCase.return_to_local_team)

    def take_crisis_measure(self, command: c.TakeCrisisMeasure | dict[str, Any]) -> CommandResult:
        """Record a crisis measure."""
        return self._run(c.TakeCrisisMeasure, command, HouseholdCase.take_crisis_measure)

    def involve_ervaringsdeskundige(
        self, command: c.InvolveErvaringsdeskundige | dict[str, Any]
    ) -> CommandResult:
        """Record the involvement of an ervaringsdeskundige."""
        return self._run(c.InvolveErvaringsdeskundige, command,
                         HouseholdCase.involve_ervaringsdeskundige)

    def offer_plegeraanbod(self, command: c.OfferPlegeraanbod | dict[str, Any]) -> CommandResult:
        """Record offender help offered."""
        return self._run(c.OfferPlegeraanbod, command, HouseholdCase.offer_plegeraanbod)

    def respond_to_plegeraanbod(
        self, command: c.RespondToPlegeraanbod | dict[str, Any]
    ) -> CommandResult:
        """Record the response to a plegeraanbod."""
        return self._run(c.RespondToPlegeraanbod, command, HouseholdCase.respond_to_plegeraanbod)

    def record_data_subjects_informed(
        self, command: c.RecordDataSubjectsInformed | dict[str, Any]
    ) -> CommandResult:
        """Record whether the persons concerned are told of an emergency access (not: why)."""
        return self._run(c.RecordDataSubjectsInformed, command,
                         HouseholdCase.record_data_subjects_informed)

    # ------------------------------------------------------------------ VT monitoring

    def record_monitoring_check(
        self, command: c.RecordMonitoringCheck | dict[str, Any]
    ) -> CommandResult:
        """Record a VT monitoring check-point."""
        return self._run(c.RecordMonitoringCheck, command, HouseholdCase.record_monitoring_check)

    def end_monitoring(self, command: c.EndMonitoring | dict[str, Any]) -> CommandResult:
        """End VT monitoring."""
        return self._run(c.EndMonitoring, command, HouseholdCase.end_monitoring)

    # ------------------------------------------------------------------ huisverbod

    def impose_huisverbod(self, command: c.ImposeHuisverbod | dict[str, Any]) -> CommandResult:
        """Impose a tijdelijk huisverbod (burgemeester)."""
        cmd = c.validate_command(c.ImposeHuisverbod, command)
        hid = cmd.huisverbod_id or uuid4()
        _, result = self._on_case(cmd.case_id, cmd,
                                  lambda case, ctx: case.impose_huisverbod(cmd, hid, ctx))
        return CommandResult(result.aggregate_id, result.version, result.events,
                             {"huisverbod_id": hid})

    def extend_huisverbod(self, command: c.ExtendHuisverbod | dict[str, Any]) -> CommandResult:
        """Extend an active huisverbod (at most 28 days after imposition)."""
        return self._run(c.ExtendHuisverbod, command, HouseholdCase.extend_huisverbod)

    def revoke_huisverbod(self, command: c.RevokeHuisverbod | dict[str, Any]) -> CommandResult:
        """Revoke an active huisverbod."""
        return self._run(c.RevokeHuisverbod, command, HouseholdCase.revoke_huisverbod)

    def expire_huisverbod(self, command: c.ExpireHuisverbod | dict[str, Any]) -> CommandResult:
        """Record that a huisverbod ran out."""
        return self._run(c.ExpireHuisverbod, command, HouseholdCase.expire_huisverbod)

    def record_contact_address_given(
        self, command: c.RecordContactAddressGiven | dict[str, Any]
    ) -> CommandResult:
        """Record that the removed person gave a contact address (T8)."""
        return self._run(c.RecordContactAddressGiven, command,
                         HouseholdCase.record_contact_address_given)

    # ------------------------------------------------------------------ statutory clock

    def tick(self, now: datetime | None = None) -> list[TickRecord]:
        """Record every deadline that has come due: breaches (once) and huisverbod expiries.

        Finds due deadlines through the ``rm_deadlines`` index, so the cost follows the
        number due, not the number open. Safe to call from several processes at once: a
        breach is recorded exactly once (optimistic concurrency on the case).

        Args:
            now: The instant to tick at (default: the clock's now).

        Returns:
            What was recorded, so the host can notify people.
        """
        at = as_utc(now) if now is not None else self.clock.now()
        self.catch_up()
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(deadlines.c.case_id, deadlines.c.deadline_id)
                .where(deadlines.c.status == "open", deadlines.c.breached_at.is_(None),
                       deadlines.c.due <= naive_utc(at))
                .order_by(deadlines.c.due)
            ).all()
        by_case: dict[str, list[str]] = {}
        for row in rows:
            by_case.setdefault(row.case_id, []).append(row.deadline_id)
        records: list[TickRecord] = []
        for case_id, ids in by_case.items():
            try:
                records.extend(self._tick_case(UUID(case_id), ids, at))
            except ConcurrentModification:
                # a busy case: nothing of it was saved, so the next tick finds it again; the
                # breaches already saved for other cases are still returned to the host
                _log.warning("tick deferred case %s: it kept changing", case_id)
        if records:
            self.catch_up()
        return records

    def _tick_case(self, case_id: UUID, deadline_ids: list[str], at: datetime) -> list[TickRecord]:
        def decide(case: HouseholdCase, ctx: DecisionContext) -> list[TickOutcome]:
            done: list[TickOutcome] = []
            for deadline_id in deadline_ids:
                done.extend(case.process_due(ctx, deadline_id))
            return done

        done, _ = self._on_case(case_id, None, decide, now=at)
        return [
            TickRecord(case_id=case_id, kind=o.kind.value, deadline_id=o.deadline_id,
                       rule_id=o.rule_id, due=o.due, detail=o.detail())
            for o in done
        ]

    def run_scheduler(self, interval: timedelta, stop: Callable[[], bool],
                      on_records: Callable[[list[TickRecord]], None] | None = None,
                      sleep: Callable[[float], None] | None = None) -> int:
        """Call :meth:`tick` every ``interval`` until ``stop()`` is true; return ticks run."""
        import time

        pause = sleep or time.sleep
        ticks = 0
        while not stop():
            records = self.tick()
            ticks += 1
            if on_records is not None and records:
                on_records(records)
            pause(interval.total_seconds())
        return ticks

    def apply_calendar(self, calendar: WorkingDayCalendar, decree: str) -> list[dict[str, Any]]:
        """Move open deadlines onto a new calendar version, recording old and new due instants.

        Args:
            calendar: The new calendar version (for example with a new decree added).
            decree: The name of the decree that caused the change (recorded on each event).

        Returns:
            One entry per deadline that moved.
        """
        self.catch_up()
        with self.engine.connect() as conn:
            case_ids = [r.case_id for r in conn.execute(
                sa.select(deadlines.c.case_id).distinct()
                .where(deadlines.c.status == "open",
                       deadlines.c.calendar_version != calendar.version))]
        moved: list[dict[str, Any]] = []
        for case_id in case_ids:
            result, _ = self._on_case(
                UUID(case_id), None,
                lambda case, ctx: case.reschedule(calendar, self.rules, decree))
            moved.extend({"case_id": case_id, **m.detail()} for m in result)
        self.calendar = calendar
        self.catch_up()
        return moved

    # ------------------------------------------------------------------ access (need to know)

    def _authorized(self, case_id: UUID, access: Access | dict[str, Any],
                    resource: Resource) -> HouseholdCase:
        """Decide and log a read of one case; record an emergency access; return the case.

        Raises:
            InvalidCommand: If ``access`` is malformed.
            CaseNotFound: If there is no such case (the attempt is logged as refused).
            AccessDenied: If the policy refuses (logged).
        """
        acc = as_access(access)
        found = self._find(case_id)
        case = found if isinstance(found, HouseholdCase) else None
        decision = self.guard.on_case(acc, case_facts(case) if case is not None else None)
        note = None
        if case is not None and decision.verdict is Verdict.EMERGENCY:
            recorded, note = self._record_emergency(case_id, acc, resource, decision)
            case = copy_aggregate(recorded)  # the cache keeps the original
        self.guard.record(self.clock.now(), acc, resource, str(case_id), decision, note)
        if case is None:
            raise CaseNotFound(f"no case {case_id}")
        if not decision.allowed:
            refuse(acc, resource, str(case_id), decision)
        return case

    def _record_emergency(self, case_id: UUID, access: Access, resource: Resource,
                          decision: AccessDecision) -> tuple[HouseholdCase, str]:
        access_id = uuid4()
        actor = access.actor.model_dump(mode="json")

        def record(case: HouseholdCase, ctx: DecisionContext) -> HouseholdCase:
            case.record_emergency_access(actor, access.safety_reason or "", decision.rule,
                                         access_id, resource.value, ctx)
            return case

        case, result = self._on_case(case_id, None, record)
        return case, (f"safety reason recorded on case {case_id} as EmergencyAccessRecorded "
                      f"v{result.version} (access {access_id})")

    def _authorized_store(self, access: Access | dict[str, Any], resource: Resource) -> Access:
        acc = as_access(access)
        self.guard.settle(self.clock.now(), acc, resource, None, self.guard.store_wide(acc))
        return acc

    def _authorized_listing(self, access: Access | dict[str, Any], resource: Resource,
                            region: str | None) -> frozenset[str] | None:
        acc = as_access(access)
        decision, scope = self.guard.listing(acc, region)
        self.guard.settle(self.clock.now(), acc, resource, None, decision)
        return scope

    def _authorized_person(self, person_id: UUID, access: Access | dict[str, Any],
                           resource: Resource) -> None:
        """Decide a read about a person through the cases the person belongs to."""
        acc = as_access(access)
        self.catch_up()
        case_ids = cases_of_person(self.engine, person_id)
        if not case_ids:
            self.persons.registered_at(person_id)  # PersonNotFound for an unknown person
            self.guard.settle(self.clock.now(), acc, resource, None,
                              self.guard.without_case(acc, None))
            return
        decisions: list[tuple[UUID, AccessDecision]] = []
        for cid in case_ids:
            case = self._find(cid)
            if isinstance(case, HouseholdCase):
                decisions.append((cid, self.guard.on_case(acc, case_facts(case))))
        granted = [(cid, d) for cid, d in decisions if d.verdict is Verdict.GRANTED]
        emergency = [(cid, d) for cid, d in decisions if d.verdict is Verdict.EMERGENCY]
        chosen = (granted or emergency or decisions or [(case_ids[-1], AccessDecision(
            verdict=Verdict.REFUSED, rule="no such case"))])[-1]
        note = None
        if chosen[1].verdict is Verdict.EMERGENCY:
            _, note = self._record_emergency(chosen[0], acc, resource, chosen[1])
        self.guard.settle(self.clock.now(), acc, resource, str(chosen[0]), chosen[1], note)

    def _mark_erased(self, view: CaseView) -> CaseView:
        erased = self.persons.erased_among(view.persons)
        return dataclasses.replace(view, erased_persons=erased) if erased else view

    # ------------------------------------------------------------------ queries

    def catch_up(self) -> int:
        """Bring every read model up to date with the event store; return events applied."""
        return self.projections.catch_up()

    def get_case(self, case_id: UUID, *, access: Access | dict[str, Any]) -> CaseView:
        """The current state of a case as a typed view.

        Args:
            case_id: The case.
            access: Who reads and why (:class:`~hgkm_workflow.access.Access`); decided by
                the access policy and logged. An emergency access is recorded on the case.

        Raises:
            AccessDenied: If the policy refuses the read.
            CaseNotFound: If there is no such case.
        """
        return self._mark_erased(CaseView.of(self._authorized(case_id, access, Resource.CASE)))

    def load_case(self, case_id: UUID, version: int | None = None, *,
                  access: Access | dict[str, Any]) -> HouseholdCase:
        """The case aggregate itself (optionally as it was at ``version``); access-checked."""
        case = self._authorized(case_id, access, Resource.CASE)
        return case if version is None else self._load_version(case_id, version)

    def _load_version(self, case_id: UUID, version: int) -> HouseholdCase:
        try:
            case: Aggregate = self.repository.get(case_id, version=version,
                                                  projector_func=project_events)
        except AggregateNotFoundError:
            raise CaseNotFound(f"no case {case_id}") from None
        if not isinstance(case, HouseholdCase):
            raise CaseNotFound(f"no case {case_id}")
        return case

    def get_advies(self, advies_id: UUID, *, access: Access | dict[str, Any]) -> Advies:
        """An advies aggregate (no persons): Veilig Thuis of its region, or an auditor."""
        acc = as_access(access)
        advies = self._find(advies_id)
        if not isinstance(advies, Advies):
            self.guard.record(self.clock.now(), acc, Resource.ADVIES, str(advies_id),
                              self.guard.on_case(acc, None))
            raise AdviesNotFound(f"no advies {advies_id}")
        decision = self.guard.without_case(acc, advies.region)
        self.guard.settle(self.clock.now(), acc, Resource.ADVIES, str(advies_id), decision)
        return advies

    def read_person(self, person_id: UUID, *, access: Access | dict[str, Any]
                    ) -> PersonDetails | ErasedPerson:
        """A person's identifying details from the register, or :class:`ErasedPerson`.

        Decided through the cases the person belongs to (need to know: whoever may read one
        of them); a person in no case yet is read by Veilig Thuis or an auditor only. Logged.

        Raises:
            AccessDenied: If the policy refuses.
            PersonNotFound: If the register does not know the person.
        """
        self._authorized_person(person_id, access, Resource.PERSON_REGISTER)
        return self.persons.get(person_id)

    def list_cases(self, *, access: Access | dict[str, Any], region: str | None = None,
                   phase: str | None = None, limit: int = 100,
                   offset: int = 0) -> list[CaseSummary]:
        """Cases from the case index, newest first, optionally filtered.

        Veilig Thuis lists the cases of its own region(s); an auditor lists all. Logged.
        """
        scope = self._authorized_listing(access, Resource.CASE_LIST, region)
        self.catch_up()
        query = sa.select(cases).order_by(cases.c.opened_at.desc(), cases.c.case_id)
        if scope is not None:
            query = query.where(cases.c.region.in_(sorted(scope)))
        if phase:
            query = query.where(cases.c.phase == phase)
        with self.engine.connect() as conn:
            rows = conn.execute(query.limit(limit).offset(offset)).all()
        return [
            CaseSummary(case_id=UUID(r.case_id), region=r.region, gemeente=r.gemeente,
                        phase=r.phase, opened_at=aware_utc(r.opened_at),
                        phase_entered_at=aware_utc(r.phase_entered_at), version=r.version,
                        meldingen=r.meldingen, loop_backs=r.loop_backs, mda=r.mda)
            for r in rows
        ]

    def open_deadlines(self, *, access: Access | dict[str, Any], at: datetime | None = None,
                       case_id: UUID | None = None,
                       region: str | None = None) -> list[OpenDeadline]:
        """Open deadlines by due instant (optionally only those due by ``at``).

        With ``case_id`` the read is decided on that case; otherwise it is a listing
        (Veilig Thuis of the region, or an auditor). Logged.
        """
        scope: frozenset[str] | None = None
        if case_id is not None:
            self._authorized(case_id, access, Resource.DEADLINES)
        else:
            scope = self._authorized_listing(access, Resource.DEADLINES, region)
        self.catch_up()
        query = sa.select(deadlines).where(deadlines.c.status == "open").order_by(
            deadlines.c.due, deadlines.c.deadline_id)
        if at is not None:
            query = query.where(deadlines.c.due <= naive_utc(as_utc(at)))
        if case_id is not None:
            query = query.where(deadlines.c.case_id == str(case_id))
        if scope is not None:
            query = query.where(deadlines.c.case_id.in_(
                sa.select(cases.c.case_id).where(cases.c.region.in_(sorted(scope)))))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            OpenDeadline(deadline_id=r.deadline_id, case_id=UUID(r.case_id), rule_id=r.rule_id,
                         rule_name=r.rule_name, rule_type=r.rule_type, due=aware_utc(r.due),
                         breached=r.breached_at is not None, checkpoint=r.checkpoint)
            for r in rows
        ]

    def classification(self, melding_id: UUID, *,
                       access: Access | dict[str, Any]) -> MeldingClassification:
        """How a melding was classified at receipt (CBS), with its explanation.

        Decided on the melding's case. Logged.

        Raises:
            MeldingNotClassified: If no melding with this id was received.
            AccessDenied: If the policy refuses.
        """
        self.catch_up()
        try:
            result = get_classification(self.engine, melding_id)
        except MeldingNotClassified:  # logged like a read of an unknown case
            acc = as_access(access)
            self.guard.record(self.clock.now(), acc, Resource.CLASSIFICATION, str(melding_id),
                              self.guard.on_case(acc, None), None)
            raise
        self._authorized(result.case_id, access, Resource.CLASSIFICATION)
        return result

    def monitor(self, region: str | None = None, gemeente: str | None = None,
                period: str | None = None) -> MonitorReport:
        """The monitor figures for a region/gemeente and a period (default: this half-year).

        Aggregates only: no case is read, so no access request is needed. Small cells are
        suppressed where the report is shown or exported (:mod:`hgkm_workflow.monitor`).
        The report instant is the end of the period, or the clock's now if that is earlier.
        """
        self.catch_up()
        return monitor_report(self, region, gemeente, period, as_of=self.clock.now())

    def case_events(self, case_id: UUID, *, access: Access | dict[str, Any]) -> list[Any]:
        """The stored events of a case, in order (for timelines and audits); logged."""
        self._authorized(case_id, access, Resource.EVENTS)
        return self._events_of(case_id)

    def _events_of(self, case_id: UUID) -> list[Any]:
        events = list(self.events.get(case_id))
        if not events:
            raise CaseNotFound(f"no case {case_id}")
        return events

    # ------------------------------------------------------------------ access log

    def access_log(self, *, access: Access | dict[str, Any], case_id: UUID | None = None,
                   actor_id: str | None = None, limit: int | None = None
                   ) -> list[AccessLogEntry]:
        """Entries of the access log (auditors; this read is logged too)."""
        self._authorized_store(access, Resource.ACCESS_LOG)
        return self.guard.log.entries(case_id=str(case_id) if case_id else None,
                                      actor_id=actor_id, limit=limit)

    def verify_access_log(self, *, access: Access | dict[str, Any]) -> AccessLogCheck:
        """Walk the access log's hash chain; report changed, removed or reordered entries."""
        self._authorized_store(access, Resource.ACCESS_LOG)
        return self.guard.log.verify()

    # ------------------------------------------------------------------ erasure

    def request_erasure(self, command: c.RequestErasure | dict[str, Any]) -> ErasureResult:
        """Request erasure of a person's details (see :mod:`hgkm_workflow.erasure`).

        Decided like a read of the person with purpose ``erasure_request`` (logged). Refused
        while the retention period runs unless a legal ground is given (storing nothing); a
        granted request is recorded with the erasure, and the person's key is destroyed.

        Raises:
            ErasureRefused: The retention period runs and no legal ground was given.
            AccessDenied: The actor may not ask for this person's erasure.
        """
        from hgkm_workflow import erasure

        cmd = c.validate_command(c.RequestErasure, command)
        self._authorized_person(cmd.person_id, Access(actor=cmd.actor,
                                                      purpose=Purpose.ERASURE_REQUEST),
                                Resource.PERSON_REGISTER)
        return erasure.request_erasure(self, cmd, self.retention)

    # ------------------------------------------------------------------ audit (hgkm_workflow.audit)

    def timeline(self, case_id: UUID, *, access: Access | dict[str, Any]
                 ) -> list[TimelineEntry]:
        """The case's history in plain language (see :func:`hgkm_workflow.audit.entries`).

        Persons whose details were erased are marked in the entries that name them.
        """
        from hgkm_workflow import audit

        case = self._authorized(case_id, access, Resource.TIMELINE)
        entries = audit.timeline_of(self._events_of(case_id))
        return audit.mark_erased(entries, self.persons.erased_among(case.persons))

    def state_as_of(self, case_id: UUID, at: datetime,
                    basis: Literal["business", "recorded"] = "business", *,
                    access: Access | dict[str, Any]) -> AsOfState:
        """The case as it stood at ``at`` (see :func:`hgkm_workflow.audit.state_as_of`)."""
        from hgkm_workflow import audit

        self._authorized(case_id, access, Resource.AS_OF)
        return audit.state_of_events(self._events_of(case_id), case_id, at, basis)

    def compare_as_of(self, case_id: UUID, at: datetime, *,
                      access: Access | dict[str, Any]) -> AsOfComparison:
        """True then versus known then (see :func:`hgkm_workflow.audit.compare_as_of`)."""
        from hgkm_workflow import audit

        self._authorized(case_id, access, Resource.AS_OF)
        return audit.compare_events(self._events_of(case_id), case_id, at)

    def explain_event(self, case_id: UUID, version: int, *,
                      access: Access | dict[str, Any]) -> EventExplanation:
        """One recorded decision explained (see :func:`hgkm_workflow.audit.explain_event`)."""
        from hgkm_workflow import audit

        self._authorized(case_id, access, Resource.EXPLAIN)
        return audit.explain_events(self, self._events_of(case_id), case_id, version)

    def verify(self, progress: Callable[[str, int, int], None] | None = None, *,
               access: Access | dict[str, Any]) -> VerifyReport:
        """Replay every case and rebuild every view elsewhere; compare (audit.verify)."""
        from hgkm_workflow.audit import verification as audit_verify
        self._authorized_store(access, Resource.VERIFY)
        return audit_verify.run_verify(self, progress)

    def export_jsonl(self, target: str | Path | IO[str], *,
                     access: Access | dict[str, Any]) -> ExportResult:
        """Write the whole event stream as JSON Lines (see :mod:`hgkm_workflow.audit.exchange`).

        A store-wide read: auditors only (logged). The person register is never exported;
        lines naming an erased person say so (``erased_persons``).
        """
        from hgkm_workflow.audit import exchange
        return exchange.export_jsonl(self, target, access=access)

    def import_jsonl(self, source: str | Path | IO[str]) -> ImportResult:
        """Import an export into this (empty) store (see :mod:`hgkm_workflow.audit.exchange`)."""
        from hgkm_workflow.audit import exchange
        return exchange.import_jsonl(self, source)

    @contextmanager
    def using_clock(self, clock: Clock) -> Iterator[None]:
        """Temporarily decide with another clock (simulation, replays)."""
        saved, self.clock = self.clock, clock
        try:
            yield
        finally:
            self.clock = saved

