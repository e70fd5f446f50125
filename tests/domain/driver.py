"""Drive household cases at the aggregate, with no database and no application.

:class:`DomainCases` takes the same command dicts as the application's command methods
(``receive_melding(data)``, ``close_case(data)``, …), validates them into commands, builds the
:class:`~hgkm_workflow.domain.context.DecisionContext` from a settable clock, and calls the
aggregate's decide method. What the application adds on top (loading, saving, retries, the
read models, the access gate) is tested in ``tests/application``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import DomainEventProtocol

from hgkm_workflow import commands as c
from hgkm_workflow import commands_period as cp
from hgkm_workflow import commands_tracks as ct
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.clock import SettableClock, as_utc
from hgkm_workflow.domain.calendar import WorkingDayCalendar, default_calendar
from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.deadlines import RuleBook, default_rulebook
from hgkm_workflow.domain.mandate import HuisverbodMandate
from hgkm_workflow.domain.outcomes import TickOutcome
from hgkm_workflow.domain.recording import recording_at
from hgkm_workflow.errors import HgkmError
from hgkm_workflow.views import CaseView

VT = {"actor_id": "vt-017", "organisation": "vt-rotterdam-rijnmond", "role": "vt_medewerker"}
LT = {"actor_id": "lt-003", "organisation": "wijkteam-noord", "role": "lokaal_team"}
LT2 = {"actor_id": "lt-044", "organisation": "wijkteam-zuid", "role": "lokaal_team"}
BURGEMEESTER = {"actor_id": "bm-001", "organisation": "gemeente-rotterdam", "role": "burgemeester"}
LT_REGISSEUR = {"actor_id": "lt-003", "organisation": "wijkteam-noord",
                "organisation_type": "lokaal_team"}
LT2_REGISSEUR = {"actor_id": "lt-044", "organisation": "wijkteam-zuid",
                 "organisation_type": "lokaal_team"}

#: The application's command methods that decide on one case, by their command class; each
#: calls the aggregate's method of the same name (``close_case`` calls ``close``).
CASE_COMMANDS: dict[str, type[Any]] = {
    "complete_veiligheidsbeoordeling": c.CompleteVeiligheidsbeoordeling,
    "complete_vt_service": c.CompleteVtService,
    "inform_melder": c.InformMelder,
    "inform_school": c.InformSchool,
    "correct_person_role": c.CorrectPersonRole,
    "add_person": c.AddPerson,
    "set_veiligheidsplan": c.SetVeiligheidsplan,
    "confirm_acute_unsafety_removed": c.ConfirmAcuteUnsafetyRemoved,
    "complete_directe_veiligheid": c.CompleteDirecteVeiligheid,
    "set_hulpverleningsplan": c.SetHulpverleningsplan,
    "open_risk_factor": c.OpenRiskFactor,
    "resolve_risk_factor": c.ResolveRiskFactor,
    "confirm_stable_safety": c.ConfirmStableSafety,
    "complete_risicogestuurde_zorg": c.CompleteRisicogestuurdeZorg,
    "set_herstelplan": c.SetHerstelplan,
    "complete_herstelplan": c.CompleteHerstelplan,
    "complete_herstel": c.CompleteHerstel,
    "record_waakvlam_contact": c.RecordWaakvlamContact,
    "loop_back": c.LoopBack,
    "close_case": c.CloseCase,
    "assign_casusregisseur": c.AssignCasusregisseur,
    "offer_handover": c.OfferHandover,
    "accept_handover": c.AcceptHandover,
    "decline_handover": c.DeclineHandover,
    "withdraw_handover": c.WithdrawHandover,
    "escalate_to_mda": c.EscalateToMda,
    "return_to_local_team": c.ReturnToLocalTeam,
    "take_crisis_measure": c.TakeCrisisMeasure,
    "involve_ervaringsdeskundige": c.InvolveErvaringsdeskundige,
    "offer_plegeraanbod": c.OfferPlegeraanbod,
    "respond_to_plegeraanbod": c.RespondToPlegeraanbod,
    "record_data_subjects_informed": c.RecordDataSubjectsInformed,
    "record_monitoring_check": c.RecordMonitoringCheck,
    "end_monitoring": c.EndMonitoring,
    "extend_huisverbod": c.ExtendHuisverbod,
    "revoke_huisverbod": c.RevokeHuisverbod,
    "expire_huisverbod": c.ExpireHuisverbod,
    "record_contact_address_given": c.RecordContactAddressGiven,
    "record_huisverbod_help_offered": c.RecordHuisverbodHelpOffered,
    "record_separation": c.RecordSeparation,
    "take_procesregie": ct.TakeProcesregie,
    "hand_back_procesregie": ct.HandBackProcesregie,
    "end_partner_track": ct.EndPartnerTrack,
    # issue 14, part A
    "record_persons_concerned_informed": cp.RecordPersonsConcernedInformed,
    "record_informing_withheld": cp.RecordInformingWithheld,
    "carry_over_into_period": cp.CarryOverIntoPeriod,
}


@dataclass(frozen=True)
class Result:
    """What a command did (the shape of the application's ``CommandResult``)."""

    case_id: UUID
    version: int
    events: tuple[str, ...]
    ids: dict[str, UUID] = field(default_factory=dict)


@dataclass(frozen=True)
class Tick:
    """What a tick recorded on one case (the shape of the application's ``TickRecord``)."""

    case_id: UUID
    outcome: TickOutcome

    @property
    def kind(self) -> str:
        return self.outcome.kind.value

    @property
    def rule_id(self) -> str:
        return self.outcome.rule_id

    @property
    def deadline_id(self) -> str:
        return self.outcome.deadline_id

    @property
    def due(self) -> datetime:
        return self.outcome.due

    @property
    def detail(self) -> dict[str, Any]:
        return self.outcome.detail()


class DomainCases:
    """Household cases held in memory; every decision is the aggregate's own."""

    def __init__(self, clock: SettableClock, rules: RuleBook | None = None,
                 calendar: WorkingDayCalendar | None = None) -> None:
        self.clock = clock
        self.rules = rules if rules is not None else default_rulebook()
        self.calendar = calendar if calendar is not None else default_calendar()
        self.cases: dict[UUID, HouseholdCase] = {}
        self.history: dict[UUID, list[DomainEventProtocol[Any]]] = {}

    def context(self, cmd: c.Command | None = None, now: datetime | None = None) -> DecisionContext:
        now = now if now is not None else self.clock.now()
        occurred = cmd.occurred_at if cmd is not None else None
        at = as_utc(occurred) if occurred is not None else now
        return DecisionContext(at=at, recorded_at=now, rules=self.rules, calendar=self.calendar)

    def _decide(self, case: HouseholdCase, ctx: DecisionContext,
                decide: Callable[[HouseholdCase], Any]) -> tuple[Any, tuple[str, ...]]:
        with recording_at(ctx.recorded_at):
            outcome = decide(case)
        events = case.collect_events()
        self.history.setdefault(case.id, []).extend(events)
        return outcome, tuple(type(e).__name__ for e in events)

    def receive_melding(self, data: dict[str, Any]) -> Result:
        cmd = c.validate_command(c.ReceiveMelding, data)
        melding_id = cmd.melding_id or uuid.uuid4()
        ctx = self.context(cmd)
        case = self.cases.get(cmd.case_id) if cmd.case_id is not None else None
        if case is None:
            with recording_at(ctx.recorded_at):
                case = HouseholdCase(id=cmd.case_id or uuid.uuid4(), region=cmd.region,
                                     gemeente=cmd.gemeente, opened_at=ctx.at)
            self.cases[case.id] = case
        _, names = self._decide(case, ctx, lambda k: k.receive_melding(cmd, melding_id, ctx))
        return Result(case.id, case.version, names, {"melding_id": melding_id})

    def impose_huisverbod(self, data: dict[str, Any],
                          mandate: HuisverbodMandate | None = None) -> Result:
        """Impose; ``mandate`` is what the authority policy resolved for a hulpofficier."""
        cmd = c.validate_command(c.ImposeHuisverbod, data)
        hid = cmd.huisverbod_id or uuid.uuid4()
        case = self.cases[cmd.case_id]
        ctx = self.context(cmd)
        _, names = self._decide(case, ctx,
                                lambda k: k.impose_huisverbod(cmd, hid, ctx, mandate))
        return Result(case.id, case.version, names, {"huisverbod_id": hid})

    def __getattr__(self, name: str) -> Callable[[dict[str, Any]], Result]:
        if name not in CASE_COMMANDS:
            raise AttributeError(name)
        command_type = CASE_COMMANDS[name]
        method = "close" if name == "close_case" else name

        def run(data: dict[str, Any]) -> Result:
            cmd = c.validate_command(command_type, data)
            case = self.cases[cmd.case_id]
            ctx = self.context(cmd)
            _, names = self._decide(case, ctx, lambda k: getattr(k, method)(cmd, ctx))
            return Result(case.id, case.version, names)

        return run

    def tick(self, now: datetime | None = None) -> list[Tick]:
        """Process every open, unbreached deadline due by ``now`` (the application's query)."""
        at = as_utc(now) if now is not None else self.clock.now()
        ticks: list[Tick] = []
        for case in self.cases.values():
            due = [d["deadline_id"] for d in case.open_deadlines()
                   if d["breached_at"] is None and d["due"] <= at]
            if not due:
                continue
            ctx = self.context(None, now=at)
            outcomes, _ = self._decide(
                case, ctx, lambda k, ctx=ctx, due=due: [o for i in due  # type: ignore[misc]
                                                        for o in k.process_due(ctx, i)])
            ticks.extend(Tick(case.id, o) for o in outcomes)
        return ticks

    def apply_calendar(self, calendar: WorkingDayCalendar, decree: str) -> list[dict[str, Any]]:
        """Move every case's open deadlines onto ``calendar`` (the application's shape)."""
        moved: list[dict[str, Any]] = []
        ctx = self.context()
        for case in self.cases.values():
            result, _ = self._decide(case, ctx, lambda k: k.reschedule(calendar, self.rules,
                                                                       decree))
            moved.extend({"case_id": str(case.id), **m.detail()} for m in result)
        self.calendar = calendar
        return moved

    def open_deadlines(self, *, case_id: UUID, access: Any = None) -> list[Any]:
        """The case's open deadlines as views, by due instant."""
        return sorted((d for d in self.view(case_id).deadlines if d.status == "open"),
                      key=lambda d: d.due)

    def view(self, case_id: UUID) -> CaseView:
        return CaseView.of(self.cases[case_id])

    def get_case(self, case_id: UUID, *, access: Any = None) -> CaseView:
        """The case as a typed view (the application's read; here nobody is asked)."""
        return self.view(case_id)

    def load_case(self, case_id: UUID, *, access: Any = None) -> HouseholdCase:
        return self.cases[case_id]

    def case_events(self, case_id: UUID, *, access: Any = None) -> list[Any]:
        """Every event the case has triggered, in order."""
        return list(self.history[case_id])

    def catch_up(self) -> None:
        """Nothing to catch up: there are no read models here."""

    def event_names(self, case_id: UUID) -> list[str]:
        return [type(e).__name__ for e in self.history[case_id]]

    def replayed(self, case_id: UUID) -> HouseholdCase:
        """The case rebuilt from its collected events alone."""
        case: HouseholdCase | None = None
        for e in self.history[case_id]:
            case = e.mutate(case)  # type: ignore[assignment]
        assert case is not None
        return case


def refused(cases: DomainCases, call: Callable[[], Any],
            kind: type[HgkmError] = HgkmError) -> HgkmError:
    """Run ``call``, expect a refusal of ``kind``, and check that no case changed at all."""
    before = {cid: (case.version, case.state_dict()) for cid, case in cases.cases.items()}
    with pytest.raises(kind) as info:
        call()
    assert {cid: (case.version, case.state_dict()) for cid, case in cases.cases.items()} == before
    assert all(case.collect_events() == [] for case in cases.cases.values())
    return info.value


class Household:
    """Drives one household case at the aggregate, with readable defaults."""

    def __init__(self, cases: DomainCases, clock: SettableClock | None = None, *,
                 region: str = "rotterdam-rijnmond", gemeente: str = "GM0599") -> None:
        assert clock is None or clock is cases.clock
        self.app = cases
        self.clock = cases.clock
        self.region = region
        self.gemeente = gemeente
        self.victim = uuid.uuid4()
        self.perpetrator = uuid.uuid4()
        self.child = uuid.uuid4()
        self.case_id: UUID | None = None
        self.melding_id: UUID | None = None
        self.huisverbod_id: UUID | None = None

    @property
    def case(self) -> HouseholdCase:
        assert self.case_id is not None
        return self.app.cases[self.case_id]

    def persons(self) -> list[dict[str, str]]:
        return [
            {"person_id": str(self.victim), "role": "victim"},
            {"person_id": str(self.perpetrator), "role": "alleged_perpetrator"},
            {"person_id": str(self.child), "role": "child"},
        ]

    def melding(self, *, acute: bool = False, melder_type: str = "politie",
                persons: list[dict[str, str]] | None = None, **extra: Any) -> Result:
        data: dict[str, Any] = {
            "actor": VT, "rationale": "melding received by phone from the police",
            "region": self.region, "gemeente": self.gemeente, "melder_type": melder_type,
            "persons": persons or self.persons(), "forms_of_violence": ["partnergeweld"],
            "acute": acute, **extra,
        }
        if self.case_id is not None:
            data["case_id"] = str(self.case_id)
        result = self.app.receive_melding(data)
        self.case_id = result.case_id
        self.melding_id = result.ids["melding_id"]
        return result

    def cmd(self, **data: Any) -> dict[str, Any]:
        base: dict[str, Any] = {"actor": VT, "rationale": "decided in the team meeting",
                                "case_id": str(self.case_id)}
        base.update(data)
        return base

    def assess(self, outcome: str, **extra: Any) -> Result:
        data = self.cmd(melding_id=str(self.melding_id), outcome=outcome, **extra)
        if outcome in ("handover_local_team", "handover_existing_care"):
            data.setdefault("veiligheidsvoorwaarden", ["geen_geweld", "pleger_accepteert_hulp"])
            data.setdefault("handover_to", LT_REGISSEUR)
        return self.app.complete_veiligheidsbeoordeling(data)

    def to_directe_veiligheid(self) -> None:
        self.melding()
        self.assess("handover_local_team")

    def through_directe_veiligheid(self) -> None:
        self.app.confirm_acute_unsafety_removed(self.cmd(actor=LT))
        self.app.complete_directe_veiligheid(self.cmd(actor=LT))

    def through_risicogestuurde_zorg(self) -> None:
        self.app.set_hulpverleningsplan(self.cmd(actor=LT, risk_factors=["verslaving"]))
        self.app.resolve_risk_factor(self.cmd(actor=LT, factor="verslaving"))
        self.app.confirm_stable_safety(self.cmd(actor=LT))
        self.app.complete_risicogestuurde_zorg(self.cmd(actor=LT))

    def through_herstel(self) -> None:
        self.app.set_herstelplan(self.cmd(actor=LT, interventions=["traumabehandeling_kind"]))
        self.app.complete_herstelplan(self.cmd(actor=LT))
        self.app.complete_herstel(self.cmd(actor=LT))

    def to_waakvlam(self) -> None:
        self.to_directe_veiligheid()
        self.through_directe_veiligheid()
        self.through_risicogestuurde_zorg()
        self.through_herstel()

    def advance(self, **kwargs: float) -> datetime:
        return self.clock.advance(timedelta(**kwargs))
