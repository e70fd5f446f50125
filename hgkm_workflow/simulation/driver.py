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
from datetime import date, datetime, timedelta
from datetime import time as dtime
from uuid import UUID

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.simulation.base import (
    PlannedMelding,
    Progress,
    ProgressCallback,
    SimulationConfig,
    SimulationResult,
)
from hgkm_workflow.simulation.care import CareSteps
from hgkm_workflow.simulation.households import Household
from hgkm_workflow.simulation.intake import IntakeSteps
from hgkm_workflow.simulation.sampling import Streams, flags, quota, weighted
from hgkm_workflow.simulation.services import ServiceSteps

__all__ = ["Progress", "Simulation", "SimulationConfig", "SimulationResult", "run_simulation"]


class Simulation(IntakeSteps, ServiceSteps, CareSteps):
    """One simulation run over an application (use :func:`run_simulation`)."""

    # ------------------------------------------------------------------ public

    def first_id(self) -> UUID:
        """The first id this seed generates (an advies or a case; stored by every run)."""
        return Streams(self.config.seed).new_id()

    def run(self) -> SimulationResult:
        """Plan, run every action in time order, catch the read models up; return the result."""
        self._t0 = time.perf_counter()
        first_id = self.app.recorder.max_notification_id() or 0
        self._plan()
        self._running = True
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
            m = PlannedMelding(times[i], melders[i], crisis[i], huisverbod[i], extend[i],
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


def run_simulation(app: HgkmApplication, clock: SettableClock, config: SimulationConfig,
                   progress: ProgressCallback | None = None) -> SimulationResult:
    """Simulate ``config`` on ``app`` (driven by ``clock``) and return what happened."""
    return Simulation(app, clock, config, progress).run()
