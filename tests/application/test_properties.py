"""Property-based tests: random command sequences against the application.

A hypothesis ``RuleBasedStateMachine`` issues random but well-shaped commands of every kind to
one household case, moves the clock forward by random amounts and calls ``tick``. Commands may
be refused — the store must then be unchanged — and after every step:

* live equals replay: the state of the case the application just saved equals the case
  replayed by a second application on the same store (no snapshots, no cache) and the case
  as the first application (snapshots every 3 events, cache) loads it;
* a case that has had a casusregisseur never has none;
* at most one huisverbod is active per removed person;
* every working-day deadline (and every deadline with Atw run-on) is due at the end of a
  working day in Amsterdam, under the calendar version recorded on it;
* the phase is the last entry of the phase log, and the log is a chain;
* the deadline index (read model) agrees with the case.

A second property replays random command lists on fresh stores with different snapshot
intervals and compares replay with live.
"""

from __future__ import annotations

import copy
import itertools
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.commands import ADDITIONAL_MEASURES
from hgkm_workflow.domain.calendar import calendar_by_version, end_of_local_day, local_date
from hgkm_workflow.domain.case_deadlines import SURVIVES_CLOSURE
from hgkm_workflow.domain.deadline_rules import Unit
from hgkm_workflow.errors import HgkmError, InvalidCommand
from hgkm_workflow.phases.huisverbod import ACTIVE_STATES
from hgkm_workflow.projections._util import aware_utc
from hgkm_workflow.projections.cases import cases as rm_cases
from hgkm_workflow.projections.deadline_index import deadlines as rm_deadlines
from hgkm_workflow.vocabulary import (
    AssessmentOutcome,
    ClosureReason,
    CrisisMeasure,
    HerstelIntervention,
    LoopBackCause,
    PersonRole,
    RiskFactor,
    Voorwaarde,
    VtServiceResult,
)
from tests.support import (
    BURGEMEESTER,
    LT,
    LT2,
    LT2_REGISSEUR,
    LT_REGISSEUR,
    MDA,
    READ,
    VT,
    stored_event_rows,
)

START = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # the week before Easter 2026
ACTORS = [VT, LT, LT2, BURGEMEESTER, MDA]
REGISSEURS = [LT_REGISSEUR, LT2_REGISSEUR,
              {"actor_id": "vt-017", "organisation": "vt-rotterdam-rijnmond",
               "organisation_type": "veilig_thuis"}]
RATIONALES = ["decided in the team meeting", "agreed with the family",
              "after consultation with the gedragswetenschapper"]
ACTIVE = {s.value for s in ACTIVE_STATES}
CLOSURE_REASONS = [r.value for r in ClosureReason
                   if r is not ClosureReason.NO_FURTHER_ACTION_AFTER_ASSESSMENT]

Params = dict[str, Any]


class Driver:
    """Issues commands to one case from drawn parameters and checks refusals store nothing."""

    def __init__(self, url: str, clock: SettableClock, snapshot_interval: int) -> None:
        self.url = url
        self.clock = clock
        self.app = HgkmApplication(url, clock=clock, snapshot_interval=snapshot_interval)
        self.saved: list[dict[str, Any]] = []
        real_save = self.app.work.save

        def save(*aggregates: Any) -> list[str]:
            result = real_save(*aggregates)
            for aggregate in aggregates:
                if isinstance(aggregate, HouseholdCase):
                    self.saved.append(copy.deepcopy(aggregate.state_dict()))
            return result

        self.app.work.save = save  # type: ignore[method-assign]
        self.case_id: UUID | None = None
        self.persons: list[UUID] = [uuid4(), uuid4(), uuid4()]
        self.meldingen: list[UUID] = []
        self.huisverboden: list[UUID] = []
        self.refusals: dict[str, int] = {}
        self.accepted: dict[str, int] = {}

    # ------------------------------------------------------------------ plumbing

    def issue(self, method: str, data: dict[str, Any]) -> Any:
        before = stored_event_rows(self.app)
        try:
            result = getattr(self.app, method)(data)
        except HgkmError as exc:
            assert not isinstance(exc, InvalidCommand), (method, exc.code, exc.fields)
            assert exc.code and exc.rule
            assert stored_event_rows(self.app) == before, (method, exc.code)
            self.refusals[exc.code] = self.refusals.get(exc.code, 0) + 1
            return None
        self.accepted[method] = self.accepted.get(method, 0) + 1
        return result

    def current(self) -> HouseholdCase:
        """The case as the application decides on it (snapshot, cache), without an access log."""
        assert self.case_id is not None
        return self.app.work.load(self.case_id, HouseholdCase)

    def cmd(self, p: Params, actor: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
        data: dict[str, Any] = {"actor": actor or ACTORS[p.get("actor", 0) % len(ACTORS)],
                                "rationale": RATIONALES[p.get("why", 0) % len(RATIONALES)],
                                "case_id": str(self.case_id), **fields}
        back = p.get("back")
        if back:
            data["occurred_at"] = (self.clock.now() - timedelta(minutes=back)).isoformat()
        return data

    def _pick(self, items: list[UUID], index: int) -> str:
        return str(items[index % len(items)]) if items else str(uuid4())

    # ------------------------------------------------------------------ operations

    def melding(self, p: Params) -> None:
        chosen = sorted({i % len(self.persons) for i in p["who"]})
        persons = [{"person_id": str(self.persons[i]), "role": p["roles"][n % len(p["roles"])]}
                   for n, i in enumerate(chosen)]
        data = {"actor": VT, "rationale": RATIONALES[0], "region": "rotterdam-rijnmond",
                "gemeente": "GM0599", "melder_type": p["melder"], "persons": persons,
                "forms_of_violence": p["forms"], "acute": p["acute"]}
        if self.case_id is not None:
            data["case_id"] = str(self.case_id)
        result = self.issue("receive_melding", data)
        if result is not None:
            self.case_id = result.case_id
            self.meldingen.append(result.ids["melding_id"])

    def progress(self, p: Params) -> None:
        """Take the next sensible step for the case's phase (keeps random runs deep)."""
        assert self.case_id is not None
        case = self.current()
        phase = case.phase
        pending = [UUID(m) for m, v in case.meldingen.items() if v["state"] == "received"]
        active = [UUID(h) for h, v in case.huisverboden.items() if v["state"] in ACTIVE]
        in_case = [i for i, pid in enumerate(self.persons) if str(pid) in case.persons]
        if phase != "closed" and p["choice"] == 9 and not active and in_case:
            who = in_case[p["reg"]["to"] % len(in_case)]  # never by random uuid order
            self.apply("impose_huisverbod", {**p["reg"], "actor": ACTORS.index(BURGEMEESTER),
                                             "who": who})
        elif active and p["choice"] >= 8:
            h = self.huisverboden.index(active[0])
            kind = ["record_contact_address_given", "extend_huisverbod", "revoke_huisverbod",
                    "expire_huisverbod"][p["reg"]["why"] % 3 + (p["choice"] == 9)]
            self.apply(kind, {**p["reg"], "h": h, "days": 3 + p["choice"], "hours": 0})
        elif phase == "closed":
            self.melding(p["melding"])
        elif pending and (phase == "triage" or p["choice"] < 3):
            self.apply("assess", {**p["assess"], "m": self.meldingen.index(pending[0])})
        elif case.vt_service["state"] == "running" and p["choice"] < 5:
            self.apply("complete_vt_service", p["vt"])
        elif phase == "directe_veiligheid":
            if case.regie["regisseur"] is None:
                self.apply("assign_casusregisseur", p["reg"])
            elif case.dv_state == "no_plan":
                self.apply("set_veiligheidsplan", {**p["reg"], "voorwaarden": []})
            elif case.dv_state == "plan_active":
                self.apply("confirm_acute_unsafety_removed", p["reg"])
            else:
                self.apply("complete_directe_veiligheid", {**p["reg"], **p["reason"]})
        elif phase == "risicogestuurde_zorg":
            if case.rz_state == "no_plan":
                self.apply("set_hulpverleningsplan", p["plan"])
            elif case.open_risk_factors:
                self.apply("resolve_risk_factor",
                           {**p["reg"], "factors": [case.open_risk_factors[0]]})
            elif case.rz_state == "plan_active":
                self.apply("confirm_stable_safety", p["reg"])
            else:
                self.apply("complete_risicogestuurde_zorg", {**p["reg"], **p["reason"]})
        elif phase == "herstel":
            if case.herstel_state == "no_plan":
                self.apply("set_herstelplan", p["herstel"])
            elif case.herstel_state == "plan_active":
                self.apply("complete_herstelplan", p["reg"])
            else:
                self.apply("complete_herstel", {**p["reg"], **p["reason"]})
        elif phase == "waakvlam":
            if p["choice"] < 6:
                self.apply("record_waakvlam_contact", p["reg"])
            else:
                self.apply("close_case", {**p["reg"], **p["reason"],
                                          "reason": "waakvlam_completed"})

    def apply(self, name: str, p: Params) -> None:
        if name == "progress":
            self.progress(p)
            return
        if name == "advance":
            self.clock.advance(timedelta(minutes=p["minutes"]))
            return
        if name == "tick":
            self.app.tick()
            return
        if name == "melding":
            self.melding(p)
            return
        built = BUILDERS[name](self, p)
        if name == "add_person" and built is not None:
            self.persons.append(UUID(built[1]["person_id"]))
        result = self.issue(*built)
        if name == "impose_huisverbod" and result is not None:
            self.huisverboden.append(result.ids["huisverbod_id"])

    def close(self) -> None:
        self.app.close()


def _handover(p: Params) -> dict[str, Any]:
    return REGISSEURS[p.get("to", 0) % len(REGISSEURS)]


def _assess(d: Driver, p: Params) -> tuple[str, dict[str, Any]]:
    outcome = p["outcome"]
    extra = sorted({m for m in p["measures"] if m != outcome})
    fields: dict[str, Any] = {"melding_id": d._pick(d.meldingen, p["m"]), "outcome": outcome,
                              "additional_measures": extra}
    if outcome in ("handover_local_team", "handover_existing_care") or p["voorwaarden"]:
        fields["veiligheidsvoorwaarden"] = p["voorwaarden"] or ["geen_geweld"]
    if outcome in ("handover_local_team", "handover_existing_care"):
        fields["handover_to"] = _handover(p)
    return "complete_veiligheidsbeoordeling", d.cmd(p, VT, **fields)


def _complete_vt_service(d: Driver, p: Params) -> tuple[str, dict[str, Any]]:
    fields: dict[str, Any] = {"result": p["result"]}
    if p["conclusion"] is not None:
        fields["conclusion"] = p["conclusion"]
    if p["result"] in ("handover_local_team", "handover_existing_care"):
        fields["handover_to"] = _handover(p)
        fields["veiligheidsvoorwaarden"] = p["voorwaarden"] or ["geen_geweld"]
    return "complete_vt_service", d.cmd(p, VT, **fields)


def _extend(d: Driver, p: Params) -> tuple[str, dict[str, Any]]:
    hid = d._pick(d.huisverboden, p["h"])
    imposed = None
    if d.case_id is not None and hid in d.current().huisverboden:
        imposed = d.current().huisverboden[hid]["imposed_at"]
    base = imposed or d.clock.now()
    new_end = base + timedelta(days=p["days"], hours=p["hours"])
    return "extend_huisverbod", d.cmd(p, BURGEMEESTER, huisverbod_id=hid,
                                      new_end=new_end.isoformat())


def _simple(method: str, actor: dict[str, str] | None = None, **fixed: Any
            ) -> Callable[[Driver, Params], tuple[str, dict[str, Any]]]:
    return lambda d, p: (method, d.cmd(p, actor, **fixed))


def _with(method: str, actor: dict[str, str] | None = None,
          **fields: Callable[[Driver, Params], Any]
          ) -> Callable[[Driver, Params], tuple[str, dict[str, Any]]]:
    return lambda d, p: (method, d.cmd(p, actor, **{k: f(d, p) for k, f in fields.items()}))


def _melding_id(d: Driver, p: Params) -> str:
    return d._pick(d.meldingen, p["m"])


def _person(d: Driver, p: Params) -> str:
    return d._pick(d.persons, p["who"])


def _huisverbod(d: Driver, p: Params) -> str:
    return d._pick(d.huisverboden, p["h"])


def _receiver(d: Driver, p: Params) -> dict[str, str] | None:
    """Mostly the party the case was offered to; sometimes someone else."""
    if d.case_id is None or p.get("actor", 0) == 0:
        return None
    offered = d.current().regie.get("offered_to")
    if not offered:
        return None
    return {"actor_id": offered["actor_id"], "organisation": offered["organisation"],
            "role": "lokaal_team"}


def _close(d: Driver, p: Params) -> tuple[str, dict[str, Any]]:
    fields: dict[str, Any] = {"reason": p["reason"]}
    if p["with_reason"]:
        fields["open_deadline_reason"] = "closed with the deadline open on purpose"
    return "close_case", d.cmd(p, LT, **fields)


def _leave(method: str) -> Callable[[Driver, Params], tuple[str, dict[str, Any]]]:
    def build(d: Driver, p: Params) -> tuple[str, dict[str, Any]]:
        extra = {"open_deadline_reason": "moving on with a deadline open"} if p["with_reason"] \
            else {}
        return method, d.cmd(p, LT, **extra)
    return build


BUILDERS: dict[str, Callable[[Driver, Params], tuple[str, dict[str, Any]]]] = {
    "assess": _assess,
    "complete_vt_service": _complete_vt_service,
    "inform_melder": _with("inform_melder", VT, melding_id=_melding_id),
    "inform_school": _with("inform_school", VT, melding_id=_melding_id),
    "set_veiligheidsplan": _with("set_veiligheidsplan", LT,
                                 voorwaarden=lambda d, p: p["voorwaarden"] or ["geen_geweld"]),
    "confirm_acute_unsafety_removed": _simple("confirm_acute_unsafety_removed", LT),
    "complete_directe_veiligheid": _leave("complete_directe_veiligheid"),
    "set_hulpverleningsplan": _with("set_hulpverleningsplan", LT,
                                    risk_factors=lambda d, p: p["factors"]),
    "open_risk_factor": _with("open_risk_factor", LT, factor=lambda d, p: p["factors"][0]),
    "resolve_risk_factor": _with("resolve_risk_factor", LT,
                                 factor=lambda d, p: p["factors"][0]),
    "confirm_stable_safety": _simple("confirm_stable_safety", LT),
    "complete_risicogestuurde_zorg": _leave("complete_risicogestuurde_zorg"),
    "set_herstelplan": _with("set_herstelplan", LT,
                             interventions=lambda d, p: p["interventions"]),
    "complete_herstelplan": _simple("complete_herstelplan", LT),
    "complete_herstel": _leave("complete_herstel"),
    "record_waakvlam_contact": _simple("record_waakvlam_contact", LT),
    "loop_back": _with("loop_back", LT, cause=lambda d, p: p["cause"]),
    "close_case": _close,
    "assign_casusregisseur": _with("assign_casusregisseur", LT,
                                   regisseur=lambda d, p: _handover(p)),
    "offer_handover": _with("offer_handover", LT, to=lambda d, p: _handover(p)),
    "accept_handover": lambda d, p: ("accept_handover", d.cmd(p, _receiver(d, p))),
    "decline_handover": lambda d, p: ("decline_handover", d.cmd(p, _receiver(d, p))),
    "withdraw_handover": _simple("withdraw_handover", LT),
    "escalate_to_mda": _simple("escalate_to_mda", LT),
    "return_to_local_team": _simple("return_to_local_team", MDA),
    "take_crisis_measure": _with("take_crisis_measure", LT, measure=lambda d, p: p["measure"]),
    "impose_huisverbod": _with("impose_huisverbod", None, removed_person_id=_person),
    "extend_huisverbod": _extend,
    "revoke_huisverbod": _with("revoke_huisverbod", BURGEMEESTER, huisverbod_id=_huisverbod),
    "expire_huisverbod": _with("expire_huisverbod", BURGEMEESTER, huisverbod_id=_huisverbod),
    "record_contact_address_given": _with("record_contact_address_given", BURGEMEESTER,
                                          huisverbod_id=_huisverbod),
    "record_monitoring_check": _with("record_monitoring_check", VT,
                                     safe=lambda d, p: p["flag"]),
    "end_monitoring": _with("end_monitoring", VT, stable_safety=lambda d, p: p["flag"]),
    "correct_person_role": _with("correct_person_role", VT, person_id=_person,
                                 role=lambda d, p: p["role"]),
    "add_person": _with("add_person", LT, person_id=lambda d, p: str(uuid4()),
                        role=lambda d, p: p["role"]),
    "offer_plegeraanbod": _with("offer_plegeraanbod", LT, person_id=_person),
    "respond_to_plegeraanbod": _with("respond_to_plegeraanbod", LT, person_id=_person,
                                     accepted=lambda d, p: p["flag"]),
    "involve_ervaringsdeskundige": _simple("involve_ervaringsdeskundige", LT),
}

# ---------------------------------------------------------------------------------- strategies


def _values(enum: Any) -> st.SearchStrategy[str]:
    return st.sampled_from([e.value for e in enum])


_common = {
    "actor": st.integers(0, len(ACTORS) - 1),
    "why": st.integers(0, 2),
    "back": st.one_of(st.none(), st.integers(1, 120)),
}
_index = st.integers(0, 7)


def _params(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Params]:
    return st.fixed_dictionaries({**_common, **fields})


_voorwaarden = st.lists(_values(Voorwaarde), max_size=3, unique=True)
_factors = st.lists(_values(RiskFactor), min_size=1, max_size=3, unique=True)
_with_reason = st.booleans()

OPS: dict[str, st.SearchStrategy[Params]] = {
    "advance": st.fixed_dictionaries({"minutes": st.one_of(
        st.integers(1, 180), st.integers(180, 60 * 24 * 3), st.integers(60 * 24, 60 * 24 * 40))}),
    "tick": st.just({}),
    "melding": st.fixed_dictionaries({
        "who": st.lists(_index, min_size=1, max_size=4),
        "roles": st.lists(_values(PersonRole), min_size=1, max_size=3),
        "melder": st.sampled_from(["politie", "onderwijs", "burger", "gezondheidszorg"]),
        "forms": st.lists(st.sampled_from(["partnergeweld", "kindermishandeling", "stalking"]),
                          min_size=1, max_size=2, unique=True),
        "acute": st.booleans(),
    }),
    "assess": _params(m=_index, outcome=_values(AssessmentOutcome),
                      measures=st.lists(_values(sorted(ADDITIONAL_MEASURES)), max_size=2),
                      voorwaarden=_voorwaarden, to=_index),
    "complete_vt_service": _params(result=_values(VtServiceResult),
                                   conclusion=st.one_of(st.none(), st.sampled_from(
                                       ["confirmed", "not_confirmed", "inconclusive"])),
                                   voorwaarden=_voorwaarden, to=_index),
    "inform_melder": _params(m=_index),
    "inform_school": _params(m=_index),
    "set_veiligheidsplan": _params(voorwaarden=_voorwaarden),
    "confirm_acute_unsafety_removed": _params(),
    "complete_directe_veiligheid": _params(with_reason=_with_reason),
    "set_hulpverleningsplan": _params(factors=_factors),
    "open_risk_factor": _params(factors=_factors),
    "resolve_risk_factor": _params(factors=_factors),
    "confirm_stable_safety": _params(),
    "complete_risicogestuurde_zorg": _params(with_reason=_with_reason),
    "set_herstelplan": _params(interventions=st.lists(_values(HerstelIntervention), min_size=1,
                                                      max_size=2, unique=True)),
    "complete_herstelplan": _params(),
    "complete_herstel": _params(with_reason=_with_reason),
    "record_waakvlam_contact": _params(),
    "loop_back": _params(cause=_values(LoopBackCause)),
    "close_case": _params(reason=st.sampled_from(CLOSURE_REASONS), with_reason=_with_reason),
    "assign_casusregisseur": _params(to=_index),
    "offer_handover": _params(to=_index),
    "accept_handover": _params(),
    "decline_handover": _params(),
    "withdraw_handover": _params(),
    "escalate_to_mda": _params(),
    "return_to_local_team": _params(),
    "take_crisis_measure": _params(measure=_values(CrisisMeasure)),
    "impose_huisverbod": _params(who=_index),
    "extend_huisverbod": _params(h=_index, days=st.integers(1, 30), hours=st.integers(-3, 3)),
    "revoke_huisverbod": _params(h=_index),
    "expire_huisverbod": _params(h=_index),
    "record_contact_address_given": _params(h=_index),
    "record_monitoring_check": _params(flag=st.booleans()),
    "end_monitoring": _params(flag=st.booleans()),
    "correct_person_role": _params(who=_index, role=_values(PersonRole)),
    "add_person": _params(role=_values(PersonRole)),
    "offer_plegeraanbod": _params(who=_index),
    "respond_to_plegeraanbod": _params(who=_index, flag=st.booleans()),
    "involve_ervaringsdeskundige": _params(),
}
assert set(OPS) == set(BUILDERS) | {"advance", "tick", "melding"}

PROGRESS: st.SearchStrategy[Params] = st.fixed_dictionaries({
    "melding": OPS["melding"], "assess": OPS["assess"], "vt": OPS["complete_vt_service"],
    "reg": _params(to=_index), "plan": OPS["set_hulpverleningsplan"],
    "herstel": OPS["set_herstelplan"], "choice": st.integers(0, 9),
    "reason": st.fixed_dictionaries({"with_reason": _with_reason}),
})


_OPEN = {"triage", "directe_veiligheid", "risicogestuurde_zorg", "herstel", "waakvlam"}


def _active_huisverbod(s: dict[str, Any]) -> bool:
    return any(h["state"] in ACTIVE for h in s["huisverboden"].values())


#: When a command kind makes sense, judged from the case state after the previous step. The
#: machine's per-kind rules fire only then; ``any_command`` fires any kind at any time.
GATES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "assess": lambda s: any(m["state"] == "received" for m in s["meldingen"].values()),
    "complete_vt_service": lambda s: s["vt_service"]["state"] == "running",
    "inform_melder": lambda s: any(m["state"] == "assessed" and not m["melder_informed"]
                                   for m in s["meldingen"].values()),
    "inform_school": lambda s: any(not m["school_informed"] for m in s["meldingen"].values()),
    "set_veiligheidsplan": lambda s: s["phase"] == "directe_veiligheid",
    "confirm_acute_unsafety_removed": lambda s: s["phase"] == "directe_veiligheid",
    "complete_directe_veiligheid": lambda s: s["phase"] == "directe_veiligheid",
    "set_hulpverleningsplan": lambda s: s["phase"] == "risicogestuurde_zorg",
    "open_risk_factor": lambda s: s["phase"] == "risicogestuurde_zorg",
    "resolve_risk_factor": lambda s: s["phase"] == "risicogestuurde_zorg",
    "confirm_stable_safety": lambda s: s["phase"] == "risicogestuurde_zorg",
    "complete_risicogestuurde_zorg": lambda s: s["phase"] == "risicogestuurde_zorg",
    "set_herstelplan": lambda s: s["phase"] == "herstel",
    "complete_herstelplan": lambda s: s["phase"] == "herstel",
    "complete_herstel": lambda s: s["phase"] == "herstel",
    "record_waakvlam_contact": lambda s: s["phase"] == "waakvlam",
    "loop_back": lambda s: s["phase"] in ("risicogestuurde_zorg", "herstel", "waakvlam"),
    "close_case": lambda s: s["phase"] in _OPEN - {"triage"},
    "assign_casusregisseur": lambda s: s["regie"]["state"] == "unassigned",
    "offer_handover": lambda s: s["regie"]["state"] == "assigned",
    "accept_handover": lambda s: s["regie"]["state"] == "handover_offered",
    "decline_handover": lambda s: s["regie"]["state"] == "handover_offered",
    "withdraw_handover": lambda s: s["regie"]["state"] == "handover_offered",
    "escalate_to_mda": lambda s: s["mda_state"] != "escalated" and s["phase"] in _OPEN,
    "return_to_local_team": lambda s: s["mda_state"] == "escalated",
    "take_crisis_measure": lambda s: s["phase"] in ("triage", "directe_veiligheid"),
    "impose_huisverbod": lambda s: s["phase"] in _OPEN,
    "extend_huisverbod": _active_huisverbod,
    "revoke_huisverbod": _active_huisverbod,
    "expire_huisverbod": _active_huisverbod,
    "record_contact_address_given": _active_huisverbod,
    "record_monitoring_check": lambda s: s["monitoring"]["state"] == "monitoring",
    "end_monitoring": lambda s: s["monitoring"]["state"] == "monitoring",
    "correct_person_role": lambda s: True,
    "add_person": lambda s: s["phase"] in _OPEN,
    "offer_plegeraanbod": lambda s: s["phase"] in _OPEN,
    "respond_to_plegeraanbod": lambda s: any(o["accepted"] is None
                                             for o in s["plegeraanbod"].values()),
    "involve_ervaringsdeskundige": lambda s: not s["ervaringsdeskundige_involved"],
}
assert set(GATES) == set(BUILDERS)

# ---------------------------------------------------------------------------------- invariants


def check_domain_invariants(d: Driver, case: HouseholdCase, had_regisseur: bool) -> None:
    # one regisseur: once assigned, never none again
    if had_regisseur:
        assert case.regie["regisseur"] is not None
    # at most one active huisverbod per removed person
    active: dict[str, int] = {}
    for h in case.huisverboden.values():
        if h["state"] in ACTIVE:
            active[h["removed_person_id"]] = active.get(h["removed_person_id"], 0) + 1
            assert h["ends_at"] <= h["max_end"]
    assert all(n == 1 for n in active.values()), active
    # working-day deadlines end at the end of a working day (Amsterdam, recorded calendar)
    for dl in case.deadlines.values():
        rule = d.app.rules.get(dl["rule_id"])
        if rule.unit is Unit.WORKING_DAYS or (rule.atw_extends and rule.end_of_day):
            cal = calendar_by_version(dl["calendar_version"])
            day = local_date(dl["due"])
            assert cal.is_working_day(day), (dl["rule_id"], day)
            assert dl["due"] == end_of_local_day(day)
        assert dl["status"] in ("open", "met", "met_late", "closed_unmet")
        if dl["status"] == "met":
            assert dl["late_seconds"] is None and dl["met_at"] <= dl["due"]
        if dl["status"] == "met_late":
            assert dl["late_seconds"] > 0 and dl["met_at"] > dl["due"]
        if dl["breached_at"] is not None:
            assert dl["breached_at"] > dl["due"]
    # a closed case is closed once per closure, and nothing in it still runs
    closures = sum(1 for entry in case.phase_log if entry["to"] == "closed")
    assert case.times_closed == closures
    assert (case.closure is not None) == (case.phase == "closed")
    if case.phase == "closed":
        # only the melder's feedback (T5, T5b) outlives the case
        assert [dl["rule_id"] for dl in case.deadlines.values()
                if dl["status"] == "open" and dl["rule_id"] not in SURVIVES_CLOSURE] == []
        assert not any(h["state"] in ACTIVE for h in case.huisverboden.values())
        assert case.monitoring["state"] == "idle"
        assert case.vt_service["state"] == "idle"
        assert case.regie["state"] != "handover_offered"
    # the phase is where the phase log ends, and the log is a chain
    log = case.phase_log
    assert log, "a case with a melding has entered triage"
    assert log[0]["from"] == "new"
    assert log[-1]["to"] == case.phase
    assert case.phase_entered_at == log[-1]["at"]
    for before, after in itertools.pairwise(log):
        assert before["to"] == after["from"]


def check_read_models(d: Driver, case: HouseholdCase) -> None:
    assert d.case_id is not None
    # read straight from the read-model tables (the public queries are access-logged, which
    # would dominate the run time here; test_replay_equals_live uses them)
    d.app.catch_up()
    with d.app.engine.connect() as conn:
        rows = {(r.deadline_id, aware_utc(r.due), r.breached_at is not None)
                for r in conn.execute(sa.select(rm_deadlines).where(
                    rm_deadlines.c.case_id == str(d.case_id), rm_deadlines.c.status == "open"))}
        summary = conn.execute(sa.select(rm_cases).where(
            rm_cases.c.case_id == str(d.case_id))).one()
    live = {(k, v["due"], v["breached_at"] is not None)
            for k, v in case.deadlines.items() if v["status"] == "open"}
    assert rows == live
    assert (summary.phase, summary.version, summary.meldingen) == (
        case.phase, case.version, len(case.meldingen))
    regie = case.regie
    assert (summary.regie_organisation, summary.regie_offered_to, summary.mda,
            summary.loop_backs, summary.closure_reason) == (
        (regie.get("regisseur") or {}).get("organisation"),
        (regie.get("offered_to") or {}).get("organisation"),
        case.mda_state, case.loop_backs, (case.closure or {}).get("reason"))


class HouseholdCaseMachine(RuleBasedStateMachine):
    """Random commands to one case; refusals store nothing; invariants after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.mkdtemp(prefix="hgkm-props-")
        url = f"sqlite:///{self.dir}/hgkm.db"
        self.clock = SettableClock(START)
        self.driver = Driver(url, self.clock, snapshot_interval=3)
        self.replay = HgkmApplication(url, clock=self.clock, snapshot_interval=0, cache_size=0)
        self.had_regisseur = False
        self.state: dict[str, Any] = {}
        self.steps = 0

    def _refresh(self) -> HouseholdCase | None:
        d = self.driver
        if d.case_id is None:
            return None
        case = d.current()
        self.state = copy.deepcopy(case.state_dict())
        return case

    @initialize(p=OPS["melding"])
    def first_melding(self, p: Params) -> None:
        self.driver.melding(p)
        assert self.driver.case_id is not None
        self._refresh()

    @rule(op=st.sampled_from(sorted(BUILDERS)).flatmap(
        lambda name: st.tuples(st.just(name), OPS[name])))
    def any_command(self, op: tuple[str, Params]) -> None:
        """Any command kind at any moment: mostly refusals, which must store nothing."""
        self.driver.apply(*op)

    @rule(p=OPS["advance"])
    def advance(self, p: Params) -> None:
        self.driver.apply("advance", p)

    @rule()
    def tick(self) -> None:
        self.driver.apply("tick", {})

    @rule(p=OPS["melding"])
    def melding(self, p: Params) -> None:
        self.driver.apply("melding", p)

    @invariant()
    def live_equals_replay_and_snapshots(self) -> None:
        d = self.driver
        if d.case_id is None:
            return
        replayed_case = self.replay.repository.get(d.case_id)  # events only: no snapshot, cache
        assert isinstance(replayed_case, HouseholdCase)
        replayed = replayed_case.state_dict()
        assert d.current().state_dict() == replayed
        if d.saved:
            assert d.saved[-1] == replayed
            d.saved.clear()

    @invariant()
    def domain_invariants(self) -> None:
        d = self.driver
        if d.case_id is None:
            return
        case = self._refresh()
        assert case is not None
        # one regisseur per period: a reopened case starts a new period without one (issue 14)
        period = len(case.__dict__.get("periods", []))
        if period != getattr(self, "period", 0):
            self.period, self.had_regisseur = period, False
        self.had_regisseur = self.had_regisseur or case.regie["regisseur"] is not None
        check_domain_invariants(d, case, self.had_regisseur)
        self.steps += 1
        if self.steps % 4 == 0:  # catching the read models up is the slow part of a step
            check_read_models(d, case)

    def teardown(self) -> None:
        try:
            if self.driver.case_id is not None:
                check_read_models(self.driver, self.driver.current())
        finally:
            self.driver.close()
            self.replay.close()
            from hgkm_workflow.projections import dispose_engines

            dispose_engines()
            shutil.rmtree(self.dir, ignore_errors=True)


def _make_rule(name: str) -> Callable[[HouseholdCaseMachine, Params], None]:
    def run(self: HouseholdCaseMachine, p: Params) -> None:
        self.driver.apply(name, p)

    run.__name__ = name
    return run


def _progress(self: HouseholdCaseMachine, p: Params) -> None:
    """The next sensible step for the phase; several copies so that runs get deep."""
    self.driver.apply("progress", p)


for _copy in range(8):
    setattr(HouseholdCaseMachine, f"progress_{_copy}", rule(p=PROGRESS)(_progress))


def _gate(name: str) -> Callable[[HouseholdCaseMachine], bool]:
    return lambda self: bool(self.state) and GATES[name](self.state)


for _name in BUILDERS:
    setattr(HouseholdCaseMachine, _name,
            precondition(_gate(_name))(rule(p=OPS[_name])(_make_rule(_name))))

TestHouseholdCaseMachine = HouseholdCaseMachine.TestCase
TestHouseholdCaseMachine.settings = settings(
    max_examples=20, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# ---------------------------------------------------------------------------------- replay


_op = st.one_of(
    st.tuples(st.just("progress"), PROGRESS),
    st.tuples(st.just("advance"), OPS["advance"]),
    st.sampled_from(sorted(OPS)).flatmap(lambda name: st.tuples(st.just(name), OPS[name])),
)


def _snapshots_equal_replays(app: HgkmApplication, replay: HgkmApplication,
                             case_id: UUID) -> None:
    # Every stored snapshot (most taken from the case in memory just saved, some from the
    # store: adapters/snapshotting.py) holds exactly the state of a replay to its version.
    assert app.snapshots is not None
    for snapshot in app.snapshots.get(case_id):
        replayed = replay.repository.get(case_id, version=snapshot.originator_version)
        expected = type(snapshot).take(replayed)
        stored, recomputed = (app.mapper.to_stored_event(s) for s in (snapshot, expected))
        assert app.mapper.to_domain_event(stored).state == \
            app.mapper.to_domain_event(recomputed).state


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=OPS["melding"], ops=st.lists(_op, max_size=30),
       snapshot_interval=st.sampled_from([1, 2, 7, 50]))
def test_replay_equals_live(tmp_path_factory: pytest.TempPathFactory, first: Params,
                            ops: list[tuple[str, Params]], snapshot_interval: int) -> None:
    url = f"sqlite:///{tmp_path_factory.mktemp('props') / 'hgkm.db'}"
    clock = SettableClock(START)
    driver = Driver(url, clock, snapshot_interval=snapshot_interval)
    replay: HgkmApplication | None = None
    try:
        driver.melding(first)
        for name, p in ops:
            driver.apply(name, p)
        assert driver.case_id is not None
        live = driver.app.load_case(driver.case_id, access=READ).state_dict()
        replay = HgkmApplication(url, clock=clock, snapshot_interval=0, cache_size=0)
        assert replay.load_case(driver.case_id, access=READ).state_dict() == live
        _snapshots_equal_replays(driver.app, replay, driver.case_id)
        if driver.saved:
            assert driver.saved[-1] == live
        # and replay up to every earlier version agrees with the events' count
        version = live["version"]
        half = max(1, version // 2)
        assert replay.load_case(driver.case_id, version=half, access=READ).version == half
    finally:
        driver.close()
        if replay is not None:
            replay.close()
        from hgkm_workflow.projections import dispose_engines

        dispose_engines()
