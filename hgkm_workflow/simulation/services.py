"""VT steps of the simulation: onderzoek and Voorwaarden en Vervolg, monitoring, MDA++."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from hgkm_workflow.simulation.base import _HANDOVERS, _VOORWAARDEN, _WHY_SERVICE, StepsBase
from hgkm_workflow.simulation.households import Household, JsonDict, actor_of
from hgkm_workflow.simulation.sampling import weighted


class ServiceSteps(StepsBase):
    """VT services, VT monitoring, MDA++ escalation and return."""

    def _start_service(self, h: Household, kind: str, melding_id: UUID, melder: str) -> None:
        self._seq += 1
        h.service, h.service_kind, h.service_melding = self._seq, kind, melding_id
        h.service_melder = melder
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
            self._inform_melder_later(h, h.service_melding, h.service_melder)
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
