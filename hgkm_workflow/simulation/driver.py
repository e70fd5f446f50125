"""The simulation loop: a calendar of actions driven through the real engine in simulated time.

:class:`Simulation` plans the period's meldingen and adviezen from a region profile, then works
through a time-ordered calendar of actions. Each action sets the :class:`SettableClock` to its
instant and sends the commands a service would send — with actors and a rationale — through
the public API of :class:`~hgkm_workflow.application.HgkmApplication`: meldingen, crisis measures
and huisverboden, veiligheidsbeoordelingen, VT services and monitoring, the care phases driven
by the casusregisseur, MDA++ escalations, waakvlam and closure. A tick action calls
``app.tick()`` every simulated morning (06:00 Amsterdam), so breaches and the end of
huisverboden are recorded by the scheduler, as in production. At the end the read models are
brought up to date.

Calibration: the period's totals (meldingen, adviezen, huisverboden) and the shares of melder
types, crisis meldingen, extended huisverboden, onderzoeken and MDA++ escalations are planned
as quotas, so the figures measured afterwards follow the process, not sampling noise. The CBS
class of each melding is aimed at by choosing *whose* melding it is: a new household, one VT is
involved with now (vervolgmelding) or one whose involvement ended within three years
(hermelding). Hermeldingen need a past: a compact history (melding, veiligheidsbeoordeling,
closure) is recorded for a pool of households in the three years before the period.
"""

from __future__ import annotations

import heapq
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from uuid import UUID

from hgkm_workflow.application import CommandResult, HgkmApplication
from hgkm_workflow.calendar import amsterdam_zone
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import HgkmError
from hgkm_workflow.simulation.households import (
    LATER_PHASES,
    PARTNER_FORMS,
    Actors,
    Household,
    JsonDict,
    actor_of,
)
from hgkm_workflow.simulation.profiles import Municipality, RegionProfile, load_profile
from hgkm_workflow.simulation.sampling import Streams, flags, pick, quota, weighted
from hgkm_workflow.vocabulary import HerstelIntervention, RiskFactor

ProgressCallback = Callable[["Progress"], None]

_VOORWAARDEN = ("pleger_accepteert_hulp", "slachtoffer_accepteert_hulp", "kinderen_naar_school",
                "contactverbod_naleven", "middelengebruik_stoppen", "samenwerken_met_regisseur",
                "omgangsregeling_veilig")
_RISK_FACTORS = tuple(f.value for f in RiskFactor if f is not RiskFactor.OVERIG)
_HERSTEL = tuple(i.value for i in HerstelIntervention if i is not HerstelIntervention.OVERIG)
_HANDOVERS = ("handover_local_team", "handover_existing_care")
_SERVICES = ("onderzoek", "voorwaarden_en_vervolg")
_WHY_MELDING = {
    "politie": "police report after a call-out about violence at home",
    "gezondheidszorg": "melding by a health professional under the meldcode",
    "lokaal_veld": "melding by the local team under the meldcode",
    "onderwijs": "melding by the school under the meldcode",
    "kinderopvang": "melding by the childcare under the meldcode",
    "jeugdzorg": "melding by youth care under the meldcode",
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


@dataclass(frozen=True)
class _PlannedMelding:
    when: datetime
    melder: str
    crisis: bool
    huisverbod: bool
    extend: bool
    onderzoek: bool
    mda: bool
    via_advies: bool


Action = tuple[datetime, int, Callable[..., None], tuple[Any, ...]]


class Simulation:
    """One simulation run over an application (use :func:`run_simulation`)."""

    def __init__(self, app: HgkmApplication, clock: SettableClock, config: SimulationConfig,
                 progress: ProgressCallback | None = None) -> None:
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
        self._active: _Pool = _Pool()
        self._ended: _Pool = _Pool()
        self._class_done: Counter[str] = Counter()
        self._backlog: Counter[str] = Counter()
        self._start_utc = self._local(config.start, dtime(0, 0))
        self._end_utc = self._local(config.until, dtime(0, 0))
        self._t0 = 0.0
        self._last_progress = 0.0

    # ------------------------------------------------------------------ public

    def first_id(self) -> UUID:
        """The first id this seed generates (an advies or a case; stored by every run)."""
        return Streams(self.config.seed).new_id()

    def run(self) -> SimulationResult:
        """Plan, run every action in time order, catch the read models up; return the result."""
        self._t0 = time.perf_counter()
        first_id = self.app.recorder.max_notification_id() or 0
        self._plan()
        while self._queue:
            when, _, fn, args = heapq.heappop(self._queue)
            if when >= self._end_utc:
                break
            self.clock.set(when)
            fn(*args)
        self.clock.set(self._end_utc)
        t_rm = time.perf_counter()
        self.app.catch_up()
        self.result.seconds_read_models += time.perf_counter() - t_rm
        self.result.events = (self.app.recorder.max_notification_id() or 0) - first_id
        self.result.seconds = time.perf_counter() - self._t0
        self._report(self.config.until, force=True)
        return self.result

    # ------------------------------------------------------------------ time helpers

    def _local(self, day: date, at: dtime) -> datetime:
        return datetime.combine(day, at, tzinfo=self.zone).astimezone(UTC)

    def _at(self, when: datetime, fn: Callable[..., None], *args: Any) -> None:
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

    # ------------------------------------------------------------------ planning

    def _plan(self) -> None:
        cfg, prof, plan = self.config, self.profile, self.rng.plan
        years = cfg.days / 365.25
        n_meld = max(1, round(prof.volumes.meldingen.value * cfg.scale * years))
        n_adv = round(prof.volumes.adviezen.value * cfg.scale * years)
        n_hv = round(prof.volumes.huisverboden.value * cfg.scale * years)
        n_crisis = max(n_hv, round(prof.shares.crisis.value * n_meld))
        n_ext = round(prof.shares.huisverbod_extended.value * n_hv)
        n_onderzoek = round(prof.shares.onderzoek.value * n_meld)
        n_advies_melding = min(n_adv, round(float(self.p["advies_converted_share"]) * n_meld))
        melders = quota(plan, prof.shares.melder_types.value, n_meld)
        crisis = flags(plan, n_meld, n_crisis)
        crisis_idx = [i for i, c in enumerate(crisis) if c]
        hv_of_crisis = flags(plan, len(crisis_idx), n_hv)
        ext_of_hv = flags(plan, n_hv, n_ext)
        huisverbod = [False] * n_meld
        extend = [False] * n_meld
        k = 0
        for j, i in enumerate(crisis_idx):
            if hv_of_crisis[j]:
                huisverbod[i] = True
                extend[i] = ext_of_hv[k]
                k += 1
        onderzoek = flags(plan, n_meld, n_onderzoek)
        severe = [i for i in range(n_meld) if crisis[i] or onderzoek[i]]
        mda_flags = flags(plan, len(severe), round(prof.shares.mda_of_severe.value * len(severe)))
        mda = [False] * n_meld
        for j, i in enumerate(severe):
            mda[i] = mda_flags[j]
        via_advies = flags(plan, n_meld, n_advies_melding)
        times = sorted(self._melding_instant(melders[i] == "politie") for i in range(n_meld))
        # Times are sorted independently of the attributes, which stay randomly ordered.
        for i in range(n_meld):
            m = _PlannedMelding(times[i], melders[i], crisis[i], huisverbod[i], extend[i],
                                onderzoek[i], mda[i], via_advies[i])
            if m.via_advies:
                advies_id = self.rng.new_id()
                before = max(self._start_utc, m.when - timedelta(days=plan.randrange(1, 10)))
                self._at(before, self._advies, advies_id, m.melder)
                self._at(m.when, self._melding, m, advies_id)
            else:
                self._at(m.when, self._melding, m, None)
        for _ in range(n_adv - n_advies_melding):
            when = self._business(cfg.start + timedelta(days=plan.randrange(cfg.days)))
            self._at(when, self._advies, None, None)
        day = cfg.start
        while day < cfg.until:
            self._at(self._local(day, dtime(6, 0)), self._tick, day)
            day += timedelta(days=1)
        if cfg.history:
            self._plan_history(n_meld)
        self.result.planned = {"meldingen": n_meld, "adviezen": n_adv, "huisverboden": n_hv,
                               "crisis": n_crisis, "extended": n_ext, "onderzoeken": n_onderzoek,
                               "severe": len(severe), "mda": sum(mda_flags)}

    def _melding_instant(self, police: bool) -> datetime:
        plan, cfg = self.rng.plan, self.config
        day = cfg.start + timedelta(days=plan.randrange(cfg.days))
        if police:  # police reports come at any hour, more in the evening and at night
            hour = weighted(plan, {0: 4, 2: 2, 4: 1, 8: 3, 12: 4, 16: 5, 19: 6, 21: 6})
            minutes = hour * 60 + plan.randrange(120)
            return self._local(day, dtime(minutes // 60 % 24, minutes % 60))
        return self._business(day)

    def _plan_history(self, n_meld: int) -> None:
        share = self.profile.shares.classification.value["hermelding"]
        pool = round(n_meld * share * float(self.p["history_pool_factor"]))
        years = int(self.p["history_years"])
        first = self.config.start - timedelta(days=365 * years - 30)
        span = (self.config.start - timedelta(days=45) - first).days
        for _ in range(pool):
            day = first + timedelta(days=self.rng.plan.randrange(max(1, span)))
            self._at(self._business(day), self._history_melding)

    # ------------------------------------------------------------------ households

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
        if history:
            self.result.history_households += 1
        return h

    def _forms(self, h: Household) -> list[str]:
        forms = [h.form]
        if h.has_children and h.form in PARTNER_FORMS:
            forms.append("getuige_huiselijk_geweld")
        return forms

    def _choose_household(self) -> Household:
        """Whose melding this is: aims at the profile's nieuw/vervolg/hermelding shares."""
        targets = self.profile.shares.classification.value
        now = self._now()
        cutoff = now - timedelta(days=365 * 3 - 2)
        feasible = {"nieuw": True, "vervolg": len(self._active) > 0,
                    "hermelding": len(self._ended) > 0}
        n = sum(self._class_done.values()) + 1
        weights = {c: max(0.0, targets[c] * n - self._class_done[c]) + 0.25 * targets[c]
                   for c in ("nieuw", "vervolg", "hermelding") if feasible[c]}
        chosen = str(weighted(self.rng.life, weights))
        self._class_done[chosen] += 1
        if chosen == "vervolg":
            return self._active.pick(self.rng.life)
        if chosen == "hermelding":
            while len(self._ended) > 1:
                h = self._ended.pick(self.rng.life)
                if h.ended_at is not None and h.ended_at >= cutoff:
                    return h
                self._ended.discard(h)  # ended more than three years ago: no longer counts
            if len(self._ended) == 1:
                return self._ended.pick(self.rng.life)
            return self._new_household(history=False)
        return self._new_household(history=False)

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

    # ------------------------------------------------------------------ sending commands

    def _send(self, h: Household | None, method: Callable[[JsonDict], CommandResult],
              data: JsonDict) -> CommandResult | None:
        self.result.commands += 1
        try:
            return method(data)
        except HgkmError as exc:
            self.result.refusals[exc.code] += 1
            if h is not None and h.phase != "new":
                try:
                    h.resync(self.app.get_case(h.case_id))
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

    # ------------------------------------------------------------------ intake

    def _advies(self, advies_id: UUID | None, melder: str | None) -> None:
        life = self.rng.life
        aid = advies_id or self.rng.new_id()
        muni = self._municipality(self._now().astimezone(self.zone).date())
        melder_type = melder or str(weighted(life, self.p["advies_melder_types"]))
        self.result.adviezen += 1
        self._send(None, self.app.record_advies, {
            "actor": self.actors.vt(life.randrange(40)), "rationale": "advice asked by phone",
            "advies_id": str(aid), "region": self.profile.id, "gemeente": muni.code,
            "melder_type": melder_type, "forms_of_violence": [str(weighted(
                life, self.p["household"]["forms"]))]})

    def _melding(self, m: _PlannedMelding, advies_id: UUID | None) -> None:
        h = self._choose_household()
        melding_id = self.rng.new_id()
        data: JsonDict = {
            "actor": self.actors.vt(h.index),
            "rationale": _WHY_MELDING.get(m.melder, "melding received by phone"),
            "region": self.profile.id, "gemeente": self._gemeente_now(h),
            "melder_type": m.melder,
            "persons": [{"person_id": str(pid), "role": role} for pid, role in h.persons],
            "forms_of_violence": self._forms(h), "acute": m.crisis,
            "melding_id": str(melding_id), "case_id": str(h.case_id)}
        if advies_id is not None:
            result = self._send(h, self.app.convert_advies_to_melding,
                                {**data, "advies_id": str(advies_id)})
        else:
            result = self._send(h, self.app.receive_melding, data)
        self.result.meldingen += 1
        if result is None:
            return
        if h.phase in ("new", "closed"):
            h.phase = "triage"
            h.dv_state = "no_plan"
            h.herstel_done = False
            h.epoch += 1
        h.pending.append(melding_id)
        self._involvement(h)
        now = self._now()
        life = self.rng.life
        if m.melder == "politie" and h.has_children and life.random() < float(
                self.p["school_informed"]):
            hours = float(weighted(life, self.p["school_informed_hours"]))
            self._at(now + timedelta(hours=hours * life.uniform(0.6, 1.0)), self._inform_school,
                     h, melding_id)
        if m.crisis:
            self._at(now + timedelta(minutes=life.randrange(20, 120)), self._crisis, h, m)
        days = int(weighted(life, self.p["assessment_working_days"]))
        self._at(self._after_working_days(now, days), self._assess, h, melding_id, m)
        self._report(now.astimezone(self.zone).date())

    def _inform_school(self, h: Household, melding_id: UUID) -> None:
        self._send(h, self.app.inform_school, self._cmd(
            h, self.actors.politie(), "Handle with Care: school told the child needs extra care",
            melding_id=str(melding_id)))

    def _crisis(self, h: Household, m: _PlannedMelding) -> None:
        now = self._now()
        if h.phase in LATER_PHASES:
            if self._send(h, self.app.loop_back, self._cmd(
                    h, self._regie_actor(h), "acute unsafety reported: back to safety first",
                    cause="acute_unsafety")) is None:
                return
            h.enter_directe_veiligheid()
            self._at(self._after_days(now, 2), self._care, h, h.epoch, "dv_start")
        huisverbod, extend = m.huisverbod, m.extend
        if not huisverbod and self._backlog["huisverbod"] > 0 and h.huisverbod is None:
            self._backlog["huisverbod"] -= 1
            huisverbod = True
            if self._backlog["extend"] > 0:
                self._backlog["extend"] -= 1
                extend = True
        measure = "politie_inzet" if huisverbod else str(
            weighted(self.rng.life, self.p["crisis_measures"]))
        self._send(h, self.app.take_crisis_measure, self._cmd(
            h, self.actors.politie() if huisverbod else self.actors.vt(h.index),
            "acute danger: first safety measure taken", measure=measure))
        if huisverbod:
            self._impose_huisverbod(h, extend)

    def _impose_huisverbod(self, h: Household, extend: bool) -> None:
        if h.huisverbod is not None:
            self._backlog["huisverbod"] += 1
            self._backlog["extend"] += int(extend)
            return
        hid = self.rng.new_id()
        result = self._send(h, self.app.impose_huisverbod, self._cmd(
            h, self.actors.burgemeester(h.gemeente), "risk assessment shows acute danger",
            huisverbod_id=str(hid), removed_person_id=str(h.perpetrator)))
        if result is None:
            return
        view_end = self._now() + timedelta(days=10)
        h.huisverbod, h.huisverbod_ends, h.t8_open = hid, view_end, True
        life, now = self.rng.life, self._now()
        if life.random() < float(self.p["huisverbod_contact_address"]):
            self._at(now + timedelta(hours=life.uniform(1, 20)), self._contact_address, h, hid)
        if extend:
            self._at(now + timedelta(days=life.uniform(7, 9.5)), self._extend_huisverbod, h, hid)

    def _contact_address(self, h: Household, hid: UUID) -> None:
        if h.huisverbod != hid:
            return
        if self._send(h, self.app.record_contact_address_given, self._cmd(
                h, self.actors.politie(), "contact address received and registered",
                huisverbod_id=str(hid))) is not None:
            h.t8_open = False

    def _extend_huisverbod(self, h: Household, hid: UUID) -> None:
        if h.huisverbod != hid:
            return
        max_end = self.app.get_case(h.case_id)
        bound = next(v.max_end for v in max_end.huisverboden if v.huisverbod_id == str(hid))
        if self._send(h, self.app.extend_huisverbod, self._cmd(
                h, self.actors.burgemeester(h.gemeente), "risk persists; help has just started",
                huisverbod_id=str(hid), new_end=bound.isoformat())) is not None:
            h.huisverbod_ends = bound

    # ------------------------------------------------------------------ veiligheidsbeoordeling

    def _outcome(self, h: Household, melding_id: UUID, m: _PlannedMelding) -> str:
        life = self.rng.life
        service_free = h.service == 0
        want_onderzoek = m.onderzoek or self._backlog["onderzoek"] > 0
        if want_onderzoek and service_free:
            if not m.onderzoek:
                self._backlog["onderzoek"] -= 1
            return "onderzoek"
        if m.onderzoek:
            self._backlog["onderzoek"] += 1
        table = self.p["acute_outcomes"] if m.crisis else self.p["assessment_outcomes"]
        outcome = str(weighted(life, table))
        others_pending = [p for p in h.pending if p != melding_id]
        if outcome == "no_further_action" and h.phase == "triage" and (
                others_pending or h.huisverbod is not None or h.t8_open):
            outcome = "handover_local_team"
        if outcome in _SERVICES and not service_free:
            outcome = "handover_local_team"
        return outcome

    def _assess(self, h: Household, melding_id: UUID, m: _PlannedMelding) -> None:
        life, now = self.rng.life, self._now()
        outcome = self._outcome(h, melding_id, m)
        additional: list[str] = []
        escalate = (m.mda or self._backlog["mda"] > 0) and h.mda in ("not_escalated", "returned")
        if escalate and not m.mda:
            self._backlog["mda"] -= 1
        elif m.mda and not escalate:
            self._backlog["mda"] += 1
        if escalate:
            additional.append("escalate_mda")
        if m.melder == "politie" and life.random() < float(self.p["inform_police_om"]):
            additional.append("inform_police_om")
        data = self._cmd(h, self.actors.vt(h.index + 1), _WHY_ASSESS[outcome],
                         melding_id=str(melding_id), outcome=outcome,
                         additional_measures=additional)
        handover_to: JsonDict | None = None
        if outcome != "no_further_action":
            data["veiligheidsvoorwaarden"] = ["geen_geweld", *life.sample(_VOORWAARDEN, 2)]
        if outcome in _HANDOVERS:
            handover_to = self._default_regisseur(h, outcome)
            data["handover_to"] = handover_to
        if self._send(h, self.app.complete_veiligheidsbeoordeling, data) is None:
            return
        if melding_id in h.pending:
            h.pending.remove(melding_id)
        entered_dv = False
        if h.phase == "triage":
            if outcome == "no_further_action" and not additional:
                h.closed()
            else:
                h.enter_directe_veiligheid()
                entered_dv = True
        elif h.phase in LATER_PHASES and outcome != "no_further_action":
            h.enter_directe_veiligheid()
            entered_dv = True
        if outcome != "no_further_action":
            h.plan_set()
        if outcome in _SERVICES:
            self._start_service(h, outcome, melding_id)
        if handover_to is not None:
            self._handover(h, handover_to)
        if escalate:
            h.mda = "escalated"
            if h.regisseur is None:
                self._at(self._after_days(now, 2), self._assign, h, self.actors.mda())
            self._at(self._after_weeks(now, "mda_weeks"), self._mda_return, h)
        if h.phase == "directe_veiligheid" and h.regisseur is None and h.service == 0 \
                and not escalate:
            self._at(self._after_days(now, life.randrange(3, 10)), self._assign, h,
                     self.actors.local_team(h.gemeente, h.index))
        if entered_dv:
            self._at(self._after_days(now, 3), self._care, h, h.epoch, "dv_start")
        self._inform_melder_later(h, melding_id, m.melder)
        self._involvement(h)

    def _inform_melder_later(self, h: Household, melding_id: UUID, melder: str) -> None:
        life = self.rng.life
        if melder == "anoniem" or life.random() >= float(self.p["melder_informed"]):
            return
        days = int(weighted(life, self.p["melder_informed_working_days"]))
        self._at(self._after_working_days(self._now(), days), self._inform_melder, h,
                 melding_id)

    def _inform_melder(self, h: Household, melding_id: UUID) -> None:
        self._send(h, self.app.inform_melder, self._cmd(
            h, self.actors.vt(h.index), "melder told the outcome", melding_id=str(melding_id)))

    def _handover(self, h: Household, to: JsonDict) -> None:
        if h.regisseur is None:
            h.regisseur = to
        if h.monitoring == 0:
            self._start_monitoring(h)

    def _assign(self, h: Household, regisseur: JsonDict) -> None:
        if h.regisseur is not None or not h.is_open:
            return
        if self._send(h, self.app.assign_casusregisseur, self._cmd(
                h, actor_of(regisseur), "casusregie taken on after the assessment",
                regisseur=regisseur)) is not None:
            h.regisseur = regisseur

    # ------------------------------------------------------------------ VT service, monitoring

    def _start_service(self, h: Household, kind: str, melding_id: UUID) -> None:
        self._seq += 1
        h.service, h.service_kind, h.service_melding = self._seq, kind, melding_id
        self._at(self._after_weeks(self._now(), "service_weeks"), self._complete_service, h,
                 h.service)

    def _complete_service(self, h: Household, token: int) -> None:
        if h.service != token:
            return
        life, now = self.rng.life, self._now()
        result = str(weighted(life, self.p["service_results"]))
        if result == "no_further_action" and h.regisseur is None and (
                h.huisverbod is not None or h.pending or h.t8_open):
            result = "handover_local_team"
        data = self._cmd(h, self.actors.vt(h.index + 2), _WHY_SERVICE[result], result=result)
        if h.service_kind == "onderzoek":
            data["conclusion"] = str(weighted(life, self.p["onderzoek_conclusions"]))
        to: JsonDict | None = None
        if result in _HANDOVERS:
            to = self._default_regisseur(h, result)
            data["handover_to"] = to
            data["veiligheidsvoorwaarden"] = ["geen_geweld", *life.sample(_VOORWAARDEN, 2)]
        if self._send(h, self.app.complete_vt_service, data) is None:
            return
        h.service = 0
        if result == "no_further_action" and h.phase == "directe_veiligheid" \
                and h.regisseur is None:
            h.closed()
        if to is not None:
            h.plan_set()
            self._handover(h, to)
        if result == "rvdk_request" and h.regisseur is None:
            self._at(self._after_days(now, life.randrange(3, 10)), self._assign, h,
                     self.actors.local_team(h.gemeente, h.index))
        if h.service_melding is not None:
            self._inform_melder_later(h, h.service_melding, "_service")
        self._involvement(h)

    def _start_monitoring(self, h: Household) -> None:
        self._seq += 1
        h.monitoring = self._seq
        now, life = self._now(), self.rng.life
        months = float(weighted(life, self.p["monitoring_months"]))
        end = self._after_days(now, months * 30.4)
        for cp in (3, 6, 12):
            at = self._after_days(now, cp * 30.4 - (0 if life.random() < float(
                self.p["monitoring_check_on_time"]) else -20))
            if at < end:
                self._at(at, self._monitoring_check, h, h.monitoring)
        self._at(end, self._end_monitoring, h, h.monitoring)

    def _monitoring_check(self, h: Household, token: int) -> None:
        if h.monitoring == token:
            self._send(h, self.app.record_monitoring_check, self._cmd(
                h, self.actors.vt(h.index), "check-point call with the regisseur",
                safe=self.rng.life.random() < 0.9))

    def _end_monitoring(self, h: Household, token: int) -> None:
        if h.monitoring != token:
            return
        if self._send(h, self.app.end_monitoring, self._cmd(
                h, self.actors.vt(h.index), "monitoring period concluded",
                stable_safety=self.rng.life.random() < 0.85)) is not None:
            h.monitoring = 0
            self._involvement(h)

    # ------------------------------------------------------------------ MDA++

    def _mda_return(self, h: Household) -> None:
        if h.mda != "escalated":
            return
        mda = self.actors.mda()
        if h.regisseur == mda and h.is_open and h.offered_to is None:
            to = self.actors.local_team(h.gemeente, h.index)
            if self._send(h, self.app.offer_handover, self._cmd(
                    h, actor_of(mda), "acute phase under control; local team continues",
                    to=to)) is None:
                return
            h.offered_to = to
            self._at(self._now() + timedelta(days=1), self._accept_handover, h, to)
            return
        if self._send(h, self.app.return_to_local_team, self._cmd(
                h, actor_of(mda), "kernteam returns the case to the local team")) is not None:
            h.mda = "returned"

    def _accept_handover(self, h: Household, to: JsonDict) -> None:
        if h.offered_to != to:
            return
        if self._send(h, self.app.accept_handover, self._cmd(
                h, actor_of(to), "local team accepts after the joint meeting")) is None:
            return
        h.regisseur, h.offered_to = to, None
        self._mda_return(h)

    # ------------------------------------------------------------------ care phases

    def _blocked(self, h: Household) -> bool:
        """Whether the regisseur waits before leaving a phase or closing."""
        return h.service != 0 or h.huisverbod is not None or h.offered_to is not None \
            or bool(h.pending)

    def _reason(self, h: Household) -> dict[str, str]:
        if h.statutory_open():
            return {"open_deadline_reason": "statutory term still running; handled in parallel"}
        return {}

    def _care(self, h: Household, epoch: int, stage: str, *args: Any) -> None:
        if h.epoch != epoch:
            return
        getattr(self, f"_care_{stage}")(h, *args)

    def _later(self, h: Household, when: datetime, stage: str, *args: Any) -> None:
        self._at(when, self._care, h, h.epoch, stage, *args)

    def _care_dv_start(self, h: Household) -> None:
        if h.phase != "directe_veiligheid":
            return
        now = self._now()
        if h.regisseur is None:
            self._later(h, self._after_days(now, 7), "dv_start")
            return
        if h.dv_state == "no_plan":
            if self._send(h, self.app.set_veiligheidsplan, self._cmd(
                    h, self._regie_actor(h), "plan agreed with the adults of the household",
                    voorwaarden=["geen_geweld", *self.rng.life.sample(_VOORWAARDEN, 2)])) is None:
                return
            h.plan_set()
        self._later(h, self._after_weeks(now, "directe_veiligheid_weeks"), "dv_exit")

    def _care_dv_exit(self, h: Household) -> None:
        now = self._now()
        if self._blocked(h) or h.regisseur is None:
            self._later(h, self._after_days(now, 7), "dv_exit")
            return
        actor = self._regie_actor(h)
        if h.dv_state == "plan_active":
            if self._send(h, self.app.confirm_acute_unsafety_removed, self._cmd(
                    h, actor, "no incidents since the plan was agreed")) is None:
                return
            h.dv_state = "acute_unsafety_removed"
        if self._send(h, self.app.complete_directe_veiligheid, self._cmd(
                h, actor, "acute unsafety removed; work on the risks", **self._reason(h))) \
                is None:
            return
        h.phase = "risicogestuurde_zorg"
        self._later(h, self._after_days(now, 2), "rz_start")

    def _care_rz_start(self, h: Household) -> None:
        life, now = self.rng.life, self._now()
        k = int(weighted(life, self.p["risk_factors_per_plan"]))
        factors = life.sample(_RISK_FACTORS, k)
        if self._send(h, self.app.set_hulpverleningsplan, self._cmd(
                h, self._regie_actor(h), "hulpverleningsplan agreed with the household",
                risk_factors=factors)) is None:
            return
        for f in factors:
            if f not in h.risk_resolved and f not in h.risk_open:
                h.risk_open.append(f)
        last = now
        for f in list(h.risk_open):
            at = self._after_weeks(now, "risk_factor_weeks")
            last = max(last, at)
            self._later(h, at, "resolve", f)
        if h.form in PARTNER_FORMS and life.random() < float(self.p["plegeraanbod"]):
            self._later(h, self._after_days(now, life.randrange(3, 20)), "plegeraanbod")
        if not h.ervaringsdeskundige and life.random() < float(self.p["ervaringsdeskundige"]):
            self._later(h, self._after_days(now, life.randrange(5, 40)), "ervaringsdeskundige")
        self._later(h, self._after_days(last, 7), "rz_exit")

    def _care_resolve(self, h: Household, factor: str) -> None:
        if factor not in h.risk_open or h.phase != "risicogestuurde_zorg":
            return
        if self._send(h, self.app.resolve_risk_factor, self._cmd(
                h, self._regie_actor(h), "risk factor no longer affects safety",
                factor=factor)) is not None:
            h.risk_open.remove(factor)
            h.risk_resolved.append(factor)

    def _care_plegeraanbod(self, h: Household) -> None:
        if not h.is_open or h.plegeraanbod_open:
            return
        if self._send(h, self.app.offer_plegeraanbod, self._cmd(
                h, self._regie_actor(h), "offender programme offered",
                person_id=str(h.perpetrator))) is None:
            return
        h.plegeraanbod_open = True
        self._at(self._after_days(self._now(), self.rng.life.randrange(5, 21)),
                 self._plegeraanbod_response, h)

    def _plegeraanbod_response(self, h: Household) -> None:
        if not h.plegeraanbod_open:
            return
        accepted = self.rng.life.random() < float(self.p["plegeraanbod_accepted"])
        if self._send(h, self.app.respond_to_plegeraanbod, self._cmd(
                h, self._regie_actor(h), "response to the offender programme recorded",
                person_id=str(h.perpetrator), accepted=accepted)) is not None:
            h.plegeraanbod_open = False

    def _care_ervaringsdeskundige(self, h: Household) -> None:
        if h.ervaringsdeskundige or not h.is_open:
            return
        if self._send(h, self.app.involve_ervaringsdeskundige, self._cmd(
                h, self._regie_actor(h), "expert by experience supports the household")) \
                is not None:
            h.ervaringsdeskundige = True

    def _care_rz_exit(self, h: Household) -> None:
        now = self._now()
        if h.risk_open or self._blocked(h):
            self._later(h, self._after_days(now, 14), "rz_exit")
            return
        actor = self._regie_actor(h)
        if self._send(h, self.app.confirm_stable_safety, self._cmd(
                h, actor, "no risk factor affects safety any more")) is None:
            return
        if self.rng.life.random() < float(self.p["close_after_risicogestuurde_zorg"]):
            self._close(h, "stable_safety_reached", "stabiele veiligheid; no herstel needed")
            return
        if self._send(h, self.app.complete_risicogestuurde_zorg, self._cmd(
                h, actor, "stabiele veiligheid reached", **self._reason(h))) is None:
            return
        h.phase = "herstel"
        self._later(h, self._after_days(now, 5), "herstel_start")

    def _care_herstel_start(self, h: Household) -> None:
        interventions = self.rng.life.sample(_HERSTEL, self.rng.life.randrange(1, 3))
        if self._send(h, self.app.set_herstelplan, self._cmd(
                h, self._regie_actor(h), "herstelplan agreed with the household",
                interventions=interventions)) is None:
            return
        self._later(h, self._after_weeks(self._now(), "herstel_weeks"), "herstel_exit")

    def _care_herstel_exit(self, h: Household) -> None:
        now = self._now()
        if self._blocked(h):
            self._later(h, self._after_days(now, 14), "herstel_exit")
            return
        actor = self._regie_actor(h)
        if self._send(h, self.app.complete_herstelplan, self._cmd(
                h, actor, "herstelplan carried out")) is None:
            return
        if self._send(h, self.app.complete_herstel, self._cmd(
                h, actor, "harm repaired as far as possible", **self._reason(h))) is None:
            return
        h.phase = "waakvlam"
        at = now
        for _ in range(int(weighted(self.rng.life, self.p["waakvlam_contacts"]))):
            at = self._after_weeks(at, "waakvlam_interval_weeks")
            self._later(h, at, "waakvlam_contact")
        self._later(h, self._after_days(at, 7), "close", "waakvlam_completed")

    def _care_waakvlam_contact(self, h: Household) -> None:
        if h.phase == "waakvlam":
            self._send(h, self.app.record_waakvlam_contact, self._cmd(
                h, self._regie_actor(h), "periodic check-in, all well"))

    def _care_close(self, h: Household, reason: str) -> None:
        if self._blocked(h):
            self._later(h, self._after_days(self._now(), 14), "close", reason)
            return
        self._close(h, reason, "waakvlam period completed without incidents")

    def _close(self, h: Household, reason: str, why: str) -> None:
        if self._send(h, self.app.close_case, self._cmd(
                h, self._regie_actor(h), why, reason=reason, **self._reason(h))) is None:
            return
        h.closed()
        self._involvement(h)

    # ------------------------------------------------------------------ history

    def _history_melding(self) -> None:
        life = self.rng.life
        h = self._new_household(history=True)
        melding_id = self.rng.new_id()
        melder = str(weighted(life, self.profile.shares.melder_types.value))
        if self._send(h, self.app.receive_melding, {
                "actor": self.actors.vt(h.index), "rationale": _WHY_MELDING.get(
                    melder, "melding received by phone"),
                "region": self.profile.id, "gemeente": h.gemeente, "melder_type": melder,
                "persons": [{"person_id": str(pid), "role": role} for pid, role in h.persons],
                "forms_of_violence": self._forms(h), "melding_id": str(melding_id),
                "case_id": str(h.case_id)}) is None:
            return
        self.result.history_meldingen += 1
        h.phase = "triage"
        h.pending.append(melding_id)
        self._involvement(h)
        at = self._after_working_days(self._now(), life.randrange(1, 6))
        self._at(at, self._history_assess, h, melding_id)

    def _history_assess(self, h: Household, melding_id: UUID) -> None:
        life = self.rng.life
        nfa = life.random() < 0.5
        data = self._cmd(h, self.actors.vt(h.index + 1),
                         _WHY_ASSESS["no_further_action" if nfa else "handover_local_team"],
                         melding_id=str(melding_id),
                         outcome="no_further_action" if nfa else "handover_local_team")
        if not nfa:
            to = self.actors.local_team(h.gemeente, h.index)
            data.update(veiligheidsvoorwaarden=["geen_geweld", "samenwerken_met_regisseur"],
                        handover_to=to)
        if self._send(h, self.app.complete_veiligheidsbeoordeling, data) is None:
            return
        h.pending.remove(melding_id)
        if nfa:
            h.closed()
            self._involvement(h)
            return
        h.enter_directe_veiligheid()
        h.plan_set()
        h.regisseur = data["handover_to"]
        self._seq += 1
        h.monitoring = self._seq
        close_at = self._after_days(self._now(), life.randrange(60, 300))
        close_at = min(close_at, self._start_utc - timedelta(days=2))
        self._at(close_at, self._history_close, h)

    def _history_close(self, h: Household) -> None:
        self._close(h, "stable_safety_reached", "stable safety reached after monitoring")

    # ------------------------------------------------------------------ scheduler, progress

    def _tick(self, day: date) -> None:
        t0 = time.perf_counter()
        records = self.app.tick(self._now())
        self.result.seconds_ticks += time.perf_counter() - t0
        self.result.ticks += 1
        self.result.tick_records += len(records)
        for r in records:
            if r.kind == "huisverbod_expired":
                h = self._by_case.get(r.case_id)
                if h is not None:
                    h.huisverbod = None
                    h.huisverbod_ends = None
        self._report(day)

    def _report(self, day: date, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.perf_counter()
        if not force and now - self._last_progress < 0.2:
            return
        self._last_progress = now
        done = max(0, min(self.config.days, (day - self.config.start).days))
        self.progress(Progress(sim_date=day, days_done=done, days_total=self.config.days,
                               households=self.result.households,
                               meldingen=self.result.meldingen, commands=self.result.commands,
                               elapsed=now - self._t0))


class _Pool:
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


def run_simulation(app: HgkmApplication, clock: SettableClock, config: SimulationConfig,
                   progress: ProgressCallback | None = None) -> SimulationResult:
    """Simulate ``config`` on ``app`` (driven by ``clock``) and return what happened."""
    return Simulation(app, clock, config, progress).run()
