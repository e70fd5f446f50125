"""Shared state and helpers of a simulation run: configuration, result, time, sending commands.

:class:`StepsBase` holds everything the simulation's steps share — the application and its
clock, the region profile and process assumptions, the seeded random streams, the calendar of
pending actions, the households and the pools of households VT is or was involved with — and
the helpers every step uses: scheduling an action, business hours and working days, sending a
command (counting refusals and resynchronising the household's mirror), and keeping the pools
of involved and formerly involved households in step. The steps themselves are mixins:
:mod:`~hgkm_workflow.simulation.intake`, :mod:`~hgkm_workflow.simulation.services` and
:mod:`~hgkm_workflow.simulation.care`; :mod:`~hgkm_workflow.simulation.driver` combines them.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from uuid import UUID

from hgkm_workflow.access.models import Access, system_access
from hgkm_workflow.application import CommandResult, HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.domain.calendar import amsterdam_zone
from hgkm_workflow.errors import HgkmError
from hgkm_workflow.simulation.households import (
    PARTNER_FORMS,
    Actors,
    Household,
    JsonDict,
    actor_of,
)
from hgkm_workflow.simulation.profiles import Municipality, RegionProfile, load_profile
from hgkm_workflow.simulation.sampling import Streams, pick, weighted
from hgkm_workflow.vocabulary import HerstelIntervention, RiskFactor

ProgressCallback = Callable[["Progress"], None]

_VOORWAARDEN = ("pleger_accepteert_hulp", "slachtoffer_accepteert_hulp", "kinderen_naar_school",
                "contactverbod_naleven", "middelengebruik_stoppen", "samenwerken_met_regisseur",
                "omgangsregeling_veilig")
_RISK_FACTORS = tuple(f.value for f in RiskFactor if f is not RiskFactor.OVERIG)
_HERSTEL = tuple(i.value for i in HerstelIntervention if i is not HerstelIntervention.OVERIG)
_HANDOVERS = ("handover_local_team", "handover_existing_care")
#: The simulation reads cases back as an internal auditor (logged in the access log).
SIMULATION_ACCESS: Access = system_access("simulation")
_SERVICES = ("onderzoek", "voorwaarden_en_vervolg")
_WHY_MELDING = {
    "politie": "police report after a call-out about violence at home",
    "gezondheidszorg": "melding by a health professional under the meldcode",
    "lokaal_veld": "melding by the local team under the meldcode",
    "onderwijs": "melding by the school under the meldcode",
    "kinderopvang": "melding by the childcare under the meldcode",
    "jeugdzorg": "melding by youth care under the meldcode",
}

_WHY_ASSESS = {
    "no_further_action": "no unsafety that needs action; existing help suffices",
    "handover_local_team": "local team takes it on with safety conditions",
    "handover_existing_care": "existing care takes it on with safety conditions",
    "voorwaarden_en_vervolg": "VT sets conditions and follows them up",
    "onderzoek": "facts unclear and risks serious: VT investigates",
    "crisis_intervention": "acute danger: crisis intervention",
    "rvdk_request": "child protection investigation requested",
    "inform_police_om": "criminal track informed",
    "escalate_mda": "severe and persistent: MDA++",
}
_WHY_SERVICE = {
    "handover_local_team": "investigation done; local team continues with conditions",
    "handover_existing_care": "investigation done; existing care continues with conditions",
    "no_further_action": "investigation done; no further action needed",
    "rvdk_request": "investigation done; child protection request",
    "escalate_mda": "investigation done; MDA++ needed",
}


@dataclass(frozen=True)
class SimulationConfig:
    """What to simulate.

    Attributes:
        region: Region profile id (``hgkm_workflow/data/regions/<id>.yaml``).
        start: First simulated day.
        until: Day after the last simulated day (exclusive).
        scale: Fraction of the region's yearly volumes to simulate (1.0: the real volume).
        seed: Seed of every random choice; the same seed gives the same store.
        history: Record the three-year history that hermeldingen need.
    """

    region: str
    start: date
    until: date
    scale: float = 1.0
    seed: int = 1
    history: bool = True

    @property
    def days(self) -> int:
        """Number of simulated days."""
        return (self.until - self.start).days


@dataclass(frozen=True)
class Progress:
    """Where a running simulation is (for progress bars)."""

    sim_date: date
    days_done: int
    days_total: int
    households: int
    meldingen: int
    commands: int
    elapsed: float


@dataclass
class SimulationResult:
    """What a simulation did."""

    config: SimulationConfig
    profile: RegionProfile
    households: int = 0
    history_households: int = 0
    meldingen: int = 0
    history_meldingen: int = 0
    adviezen: int = 0
    commands: int = 0
    ticks: int = 0
    tick_records: int = 0
    events: int = 0
    refusals: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    seconds_ticks: float = 0.0
    seconds_read_models: float = 0.0
    planned: dict[str, int] = field(default_factory=dict)
    case_ids: list[UUID] = field(default_factory=list)
    """The cases of every household this run created (history households included)."""


@dataclass(frozen=True)
class PlannedMelding:
    when: datetime
    melder: str
    crisis: bool
    huisverbod: bool
    extend: bool
    onderzoek: bool
    mda: bool
    via_advies: bool


Action = tuple[datetime, int, Callable[..., None], tuple[Any, ...]]


class Pool:
    """Households in insertion order with O(1) add, discard and random pick."""

    def __init__(self) -> None:
        self._items: list[Household] = []
        self._pos: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._items)

    def add(self, h: Household) -> None:
        if h.index not in self._pos:
            self._pos[h.index] = len(self._items)
            self._items.append(h)

    def discard(self, h: Household) -> None:
        i = self._pos.pop(h.index, None)
        if i is None:
            return
        last = self._items.pop()
        if i < len(self._items):
            self._items[i] = last
            self._pos[last.index] = i

    def pick(self, rng: Any) -> Household:
        h: Household = pick(rng, self._items)
        return h


class StepsBase:
    """State and helpers shared by the simulation's steps (see the module docstring)."""

    def __init__(self, app: HgkmApplication, clock: SettableClock, config: SimulationConfig,
                 progress: ProgressCallback | None = None) -> None:
        """Prepare a run of ``config`` on ``app``, driven by ``clock``."""
        if config.until <= config.start:
            raise ValueError("the period must end after it starts")
        if config.scale <= 0:
            raise ValueError("scale must be positive")
        self.app = app
        self.clock = clock
        self.config = config
        self.profile = load_profile(config.region)
        self.p = self.profile.process_settings()
        self.rng = Streams(config.seed)
        self.actors = Actors(self.profile.id)
        self.zone = amsterdam_zone()
        self.progress = progress
        self.result = SimulationResult(config=config, profile=self.profile)
        self._queue: list[Action] = []
        self._seq = 0
        self.households: list[Household] = []
        self._by_case: dict[UUID, Household] = {}
        self._active: Pool = Pool()
        self._ended: Pool = Pool()
        self._class_done: Counter[str] = Counter()
        self._backlog: Counter[str] = Counter()
        self._start_utc = self._local(config.start, dtime(0, 0))
        self._end_utc = self._local(config.until, dtime(0, 0))
        self._t0 = 0.0
        self._last_progress = 0.0
        self._running = False

    def _local(self, day: date, at: dtime) -> datetime:
        return datetime.combine(day, at, tzinfo=self.zone).astimezone(UTC)

    def _at(self, when: datetime, fn: Callable[..., None], *args: Any) -> None:
        if self._running and when < self.clock.now():
            when = self.clock.now()  # never schedule into the simulated past
        self._seq += 1
        heapq.heappush(self._queue, (when, self._seq, fn, args))

    def _now(self) -> datetime:
        return self.clock.now()

    def _business(self, day: date) -> datetime:
        """A business-hours instant on the first working day on or after ``day``."""
        cal = self.app.calendar
        while not cal.is_working_day(day):
            day += timedelta(days=1)
        minutes = self.rng.life.randrange(9 * 60, 17 * 60)
        return self._local(day, dtime(minutes // 60, minutes % 60))

    def _after_working_days(self, when: datetime, n: int) -> datetime:
        day = when.astimezone(self.zone).date()
        target, _ = self.app.calendar.add_working_days(day, n)
        return self._business(target)

    def _after_days(self, when: datetime, days: float) -> datetime:
        return self._business(when.astimezone(self.zone).date() + timedelta(days=round(days)))

    def _after_weeks(self, when: datetime, key: str) -> datetime:
        weeks = float(weighted(self.rng.life, self.p[key]))
        jitter = self.rng.life.uniform(-0.2, 0.2) * weeks
        return self._after_days(when, 7 * (weeks + jitter))

    def _municipality(self, day: date) -> Municipality:
        munis = self.profile.municipalities_on(day)
        weights = {i: m.population * (m.melding_rate or 1.0) for i, m in enumerate(munis)}
        return munis[weighted(self.rng.life, weights)]

    def _gemeente_now(self, h: Household) -> str:
        """The household's gemeente code on today's date (municipal mergers are dated)."""
        day = self._now().astimezone(self.zone).date()
        munis = self.profile.municipalities_on(day)
        if any(m.code == h.gemeente for m in munis):
            return h.gemeente
        h.gemeente = self._municipality(day).code  # merged away: take a current one
        return h.gemeente

    def _new_household(self, history: bool) -> Household:
        life, p = self.rng.life, self.p
        case_id = self.rng.new_id()
        muni = self._municipality(self._now().astimezone(self.zone).date())
        form = str(weighted(life, p["household"]["forms"]))
        persons: list[tuple[UUID, str]] = [(self.rng.new_id(), "alleged_perpetrator")]
        if form != "kindermishandeling" or life.random() < float(p["household"]["second_adult"]):
            persons.append((self.rng.new_id(), "victim" if form != "kindermishandeling"
                            else "other"))
        children = int(weighted(life, p["household"]["children"]))
        if form == "kindermishandeling":
            children = max(1, children)
        persons.extend((self.rng.new_id(), "child") for _ in range(children))
        h = Household(index=len(self.households), case_id=case_id, gemeente=muni.code,
                      persons=persons, form=form, history=history)
        self.households.append(h)
        self._by_case[case_id] = h
        self.result.households += 1
        self.result.case_ids.append(case_id)
        if history:
            self.result.history_households += 1
        return h

    def _forms(self, h: Household) -> list[str]:
        forms = [h.form]
        if h.has_children and h.form in PARTNER_FORMS:
            forms.append("getuige_huiselijk_geweld")
        return forms

    def _involvement(self, h: Household) -> None:
        """Keep the pools of involved and formerly involved households in step with the mirror."""
        active = h.vt_active()
        if active and not h.involved:
            h.involved = True
            self._ended.discard(h)
            self._active.add(h)
        elif not active and h.involved:
            h.involved = False
            h.ended_at = self._now()
            self._active.discard(h)
            self._ended.add(h)

    def _send(self, h: Household | None, method: Callable[[JsonDict], CommandResult],
              data: JsonDict) -> CommandResult | None:
        self.result.commands += 1
        try:
            return method(data)
        except HgkmError as exc:
            self.result.refusals[exc.code] += 1
            if h is not None and h.phase != "new":
                try:
                    h.resync(self.app.get_case(h.case_id, access=SIMULATION_ACCESS))
                except HgkmError:
                    return None
                self._involvement(h)
            return None

    def _cmd(self, h: Household, actor: JsonDict, why: str, **data: Any) -> JsonDict:
        return {"actor": actor, "rationale": why, "case_id": str(h.case_id), **data}

    def _regie_actor(self, h: Household) -> JsonDict:
        return actor_of(h.regisseur) if h.regisseur else self.actors.vt(h.index)

    def _default_regisseur(self, h: Household, outcome: str) -> JsonDict:
        if h.regisseur is not None:
            return h.regisseur
        if outcome == "handover_existing_care":
            return self.actors.existing_care(h.index)
        return self.actors.local_team(h.gemeente, h.index)

    # -- steps defined by the mixins, declared here for the type checker

    def _start_service(self, h: Household, kind: str, melding_id: UUID, melder: str) -> None:
        raise NotImplementedError

    def _start_monitoring(self, h: Household) -> None:
        raise NotImplementedError

    def _mda_return(self, h: Household) -> None:
        raise NotImplementedError

    def _handover(self, h: Household, to: JsonDict) -> None:
        raise NotImplementedError

    def _assign(self, h: Household, regisseur: JsonDict) -> None:
        raise NotImplementedError

    def _inform_melder_later(self, h: Household, melding_id: UUID, melder: str) -> None:
        raise NotImplementedError

    def _care(self, h: Household, epoch: int, stage: str, *args: Any) -> None:
        raise NotImplementedError

    def _close(self, h: Household, reason: str, why: str) -> None:
        raise NotImplementedError

    def _choose_household(self) -> Household:
        raise NotImplementedError

    def _report(self, day: date, force: bool = False) -> None:
        raise NotImplementedError
