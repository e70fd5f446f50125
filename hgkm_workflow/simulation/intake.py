"""Intake steps of the simulation: adviezen, meldingen, crisis and huisverbod, the assessment.

Also the compact history recorded before the period (a melding, its veiligheidsbeoordeling and
the closure), which gives hermeldingen their past.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from hgkm_workflow.simulation.base import (
    _HANDOVERS,
    _SERVICES,
    _VOORWAARDEN,
    _WHY_ASSESS,
    _WHY_MELDING,
    SIMULATION_ACCESS,
    PlannedMelding,
    StepsBase,
)
from hgkm_workflow.simulation.households import LATER_PHASES, Household, JsonDict, actor_of
from hgkm_workflow.simulation.sampling import weighted


class IntakeSteps(StepsBase):
    """Adviezen, meldingen, crisis, huisverbod, veiligheidsbeoordeling, history."""

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

    def _melding(self, m: PlannedMelding, advies_id: UUID | None) -> None:
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
        if h.phase == "closed":  # a new period: no regisseur or plan carried over (PeriodStarted)
            h.regisseur, h.offered_to, h.plan_ever = None, None, False
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
            h, self.actors.school_teller(h.index),
            "Handle with Care: school told the child needs extra care",
            melding_id=str(melding_id)))

    def _crisis(self, h: Household, m: PlannedMelding) -> None:
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
        h.huisverbod, h.huisverbod_ends = hid, view_end
        h.t8_open.append(hid)
        life, now = self.rng.life, self._now()
        if life.random() < float(self.p["huisverbod_contact_address"]):
            self._at(now + timedelta(hours=life.uniform(1, 20)), self._contact_address, h, hid)
        if extend:
            self._at(now + timedelta(days=life.uniform(7, 9.5)), self._extend_huisverbod, h, hid)

    def _contact_address(self, h: Household, hid: UUID) -> None:
        if h.huisverbod != hid:
            return
        if self._send(h, self.app.record_contact_address_given, self._cmd(
                h, self.actors.burgemeester(h.gemeente), "contact address received and registered",
                huisverbod_id=str(hid))) is not None and hid in h.t8_open:
            h.t8_open.remove(hid)

    def _extend_huisverbod(self, h: Household, hid: UUID) -> None:
        if h.huisverbod != hid:
            return
        max_end = self.app.get_case(h.case_id, access=SIMULATION_ACCESS)
        bound = next(v.max_end for v in max_end.huisverboden if v.huisverbod_id == str(hid))
        if self._send(h, self.app.extend_huisverbod, self._cmd(
                h, self.actors.burgemeester(h.gemeente), "risk persists; help has just started",
                huisverbod_id=str(hid), new_end=bound.isoformat())) is not None:
            h.huisverbod_ends = bound

    def _outcome(self, h: Household, melding_id: UUID, m: PlannedMelding) -> str:
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

    def _assess(self, h: Household, melding_id: UUID, m: PlannedMelding) -> None:
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
        action = outcome != "no_further_action" or bool(additional)
        if h.phase == "triage":
            if action:
                h.enter_directe_veiligheid()
                entered_dv = True
            elif not h.pending:  # no other melding awaits its assessment
                h.closed()
        elif h.phase in LATER_PHASES and action:
            h.enter_directe_veiligheid()
            entered_dv = True
        if outcome != "no_further_action":
            h.plan_set()
        if outcome in _SERVICES:
            self._start_service(h, outcome, melding_id, m.melder)
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
        # Veilig Thuis hands the case to its first casusregisseur; only the MDA++ kernteam
        # takes casusregie of an escalated case itself (authority policy, P-rules)
        actor = actor_of(regisseur) if regisseur["organisation_type"] == "mda_kernteam" \
            else self.actors.vt(h.index)
        if self._send(h, self.app.assign_casusregisseur, self._cmd(
                h, actor, "casusregie taken on after the assessment",
                regisseur=regisseur)) is not None:
            h.regisseur = regisseur

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
        self._at(at, self._history_assess, h, melding_id, melder)

    def _history_assess(self, h: Household, melding_id: UUID, melder: str) -> None:
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
        if melder != "anoniem":  # the melder is told (T5), also after the case closed
            self._at(self._after_working_days(self._now(), life.randrange(1, 5)),
                     self._inform_melder, h, melding_id)
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
