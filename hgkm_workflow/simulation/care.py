"""Care steps of the simulation: the phases driven by the casusregisseur, and closure.

Each household's care runs as a chain of stages (``dv_start`` … ``close``), every one scheduled
with the household's *epoch*: a loop-back, a reopening or a closure starts a new epoch, and
stages of an older epoch are dropped when their time comes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hgkm_workflow.simulation.base import _HERSTEL, _RISK_FACTORS, _VOORWAARDEN, StepsBase
from hgkm_workflow.simulation.households import PARTNER_FORMS, Household
from hgkm_workflow.simulation.sampling import weighted


class CareSteps(StepsBase):
    """Directe veiligheid, risicogestuurde zorg, herstel, waakvlam and closure."""

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
