"""Refusals: every illegal transition and invalid command is refused and changes nothing.

Each scenario drives a household case into a state, then issues commands that the transition
tables (or a named domain predicate) do not allow there. Every refusal must

* raise a typed error (``TransitionNotAllowed`` naming the machine and state, or a
  ``RuleViolation``/``InvalidCommand`` with a specific stable ``code``), with a non-empty
  ``code`` and ``rule``;
* leave the database byte-for-byte unchanged: the events, the snapshots, the read models and
  the tracking table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import (
    CaseNotFound,
    HgkmError,
    InvalidCommand,
    PersonalDataSuspected,
    RuleViolation,
    TransitionNotAllowed,
)
from hgkm_workflow.phases import ALL_TABLES
from tests.support import (
    BURGEMEESTER,
    LT,
    LT2,
    LT2_REGISSEUR,
    LT_REGISSEUR,
    READ,
    VT,
    Household,
    stored_event_rows,
)

# ---------------------------------------------------------------------------------- helpers


def store_snapshot(app: HgkmApplication) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in the store (events, snapshots, read models, tracking)."""
    with app.engine.connect() as conn:
        names = sorted(sa.inspect(conn).get_table_names())
        return {
            name: sorted((tuple(r) for r in conn.execute(sa.text(f'SELECT * FROM "{name}"'))),
                         key=repr)
            for name in names
        }


def check_error_shape(exc: HgkmError) -> None:
    """Every refusal carries a stable code and the rule it enforces."""
    assert isinstance(exc.code, str) and exc.code.strip()
    assert isinstance(exc.rule, str) and exc.rule.strip()
    assert exc.as_dict()["code"] == exc.code
    assert f"[{exc.code}]" in str(exc)


@dataclass(frozen=True)
class Transition:
    """Expect ``TransitionNotAllowed`` from ``machine`` in ``state`` for ``trigger``."""

    machine: str
    trigger: str
    state: str


@dataclass(frozen=True)
class Rule:
    """Expect a ``RuleViolation`` with this code."""

    code: str


Expectation = Transition | Rule


def assert_refused(app: HgkmApplication, method: str, data: Any,
                   expect: Expectation | type[HgkmError]) -> HgkmError:
    """Issue the command, check the error, and check that nothing in the store changed."""
    app.catch_up()
    before_events = stored_event_rows(app)
    before = store_snapshot(app)
    with pytest.raises(HgkmError) as info:
        getattr(app, method)(data)
    exc = info.value
    check_error_shape(exc)
    if isinstance(expect, Transition):
        assert isinstance(exc, TransitionNotAllowed), (method, exc.code)
        assert (exc.machine, exc.trigger, exc.state) == (expect.machine, expect.trigger,
                                                         expect.state)
        assert exc.code == "TRANSITION_NOT_ALLOWED"
        assert expect.machine in exc.rule
    elif isinstance(expect, Rule):
        assert isinstance(exc, RuleViolation), (method, exc.code)
        assert exc.code == expect.code
    else:
        assert isinstance(exc, expect), (method, exc.code)
    assert stored_event_rows(app) == before_events
    assert store_snapshot(app) == before
    return exc


# ---------------------------------------------------------------------------------- scenarios

Ids = dict[str, Any]
Builder = Callable[[Household, Ids], dict[str, Any]]


@dataclass(frozen=True)
class Refusal:
    """One command that must be refused in a scenario's final state."""

    name: str
    method: str
    data: Builder
    expect: Expectation


def _melding_1(h: Household, ids: Ids) -> None:
    h.melding()
    ids["melding_1"] = h.melding_id


def _triage(h: Household, ids: Ids) -> None:
    _melding_1(h, ids)


def _dv_without_regisseur(h: Household, ids: Ids) -> None:
    # an onderzoek leads to directe veiligheid with no plan and no casusregisseur yet
    _melding_1(h, ids)
    h.assess("onderzoek")
    # a vervolgmelding arrives while the onderzoek runs
    h.melding()
    ids["melding_2"] = h.melding_id


def _dv_removed_without_regisseur(h: Household, ids: Ids) -> None:
    _melding_1(h, ids)
    h.assess("onderzoek")
    h.app.set_veiligheidsplan(h.cmd(voorwaarden=["geen_geweld"]))
    h.app.confirm_acute_unsafety_removed(h.cmd())


def _dv_with_regisseur(h: Household, ids: Ids) -> None:
    _melding_1(h, ids)
    h.assess("handover_local_team")


def _handover_offered(h: Household, ids: Ids) -> None:
    _dv_with_regisseur(h, ids)
    h.app.offer_handover(h.cmd(actor=LT, to=LT2_REGISSEUR))


def _rz_no_plan(h: Household, ids: Ids) -> None:
    _dv_with_regisseur(h, ids)
    h.through_directe_veiligheid()


def _rz_risk_factors_open(h: Household, ids: Ids) -> None:
    _rz_no_plan(h, ids)
    h.app.set_hulpverleningsplan(h.cmd(actor=LT, risk_factors=["verslaving", "schulden"]))
    h.app.resolve_risk_factor(h.cmd(actor=LT, factor="schulden"))


def _herstel_no_plan(h: Household, ids: Ids) -> None:
    _rz_no_plan(h, ids)
    h.through_risicogestuurde_zorg()


def _herstel_plan(h: Household, ids: Ids) -> None:
    _herstel_no_plan(h, ids)
    h.app.set_herstelplan(h.cmd(actor=LT, interventions=["systeemtherapie"]))


def _herstel_completed(h: Household, ids: Ids) -> None:
    _herstel_plan(h, ids)
    h.app.complete_herstelplan(h.cmd(actor=LT))


def _waakvlam(h: Household, ids: Ids) -> None:
    _herstel_completed(h, ids)
    h.app.complete_herstel(h.cmd(actor=LT))


def _closed(h: Household, ids: Ids) -> None:
    _melding_1(h, ids)
    h.assess("no_further_action")


def _closed_with_melding_unassessed(h: Household, ids: Ids) -> None:
    _dv_with_regisseur(h, ids)
    h.melding()
    ids["melding_2"] = h.melding_id
    h.app.close_case(h.cmd(actor=LT, reason="household_not_reachable",
                           open_deadline_reason="the household left the region"))


def _closed_while_onderzoek_runs(h: Household, ids: Ids) -> None:
    _melding_1(h, ids)
    h.assess("onderzoek")
    h.app.assign_casusregisseur(h.cmd(actor=LT, regisseur=LT_REGISSEUR))
    h.app.close_case(h.cmd(actor=LT, reason="transferred_to_other_region",
                           open_deadline_reason="the household moved to another region"))


def _mda_escalated(h: Household, ids: Ids) -> None:
    h.melding(acute=True)
    ids["melding_1"] = h.melding_id
    h.assess("escalate_mda")


def _mda_returned(h: Household, ids: Ids) -> None:
    _mda_escalated(h, ids)
    h.app.return_to_local_team(h.cmd(actor=LT))


def _huisverbod_extended(h: Household, ids: Ids) -> None:
    _dv_with_regisseur(h, ids)
    result = h.app.impose_huisverbod(h.cmd(actor=BURGEMEESTER,
                                           removed_person_id=str(h.perpetrator)))
    ids["huisverbod"] = result.ids["huisverbod_id"]
    h.advance(days=3)
    imposed = h.app.get_case(h.case_id, access=READ).huisverboden[0]
    h.app.extend_huisverbod(h.cmd(actor=BURGEMEESTER, huisverbod_id=str(ids["huisverbod"]),
                                  new_end=(imposed.imposed_at + timedelta(days=20)).isoformat()))
    ids["max_end"] = imposed.max_end


def _huisverbod_revoked(h: Household, ids: Ids) -> None:
    _dv_with_regisseur(h, ids)
    result = h.app.impose_huisverbod(h.cmd(actor=BURGEMEESTER,
                                           removed_person_id=str(h.perpetrator)))
    ids["huisverbod"] = result.ids["huisverbod_id"]
    h.advance(hours=5)
    h.app.revoke_huisverbod(h.cmd(actor=BURGEMEESTER, huisverbod_id=str(ids["huisverbod"])))


def _lifecycle(trigger: str, state: str) -> Transition:
    return Transition("lifecycle", trigger, state)


def _cmd(actor: dict[str, str] = LT, **fields: Any) -> Builder:
    return lambda h, ids: h.cmd(actor=actor, **fields)


def _with_ids(actor: dict[str, str] = LT, **fields: Callable[[Household, Ids], Any]) -> Builder:
    return lambda h, ids: h.cmd(actor=actor, **{k: f(h, ids) for k, f in fields.items()})


def _phase_exits(state: str) -> list[Refusal]:
    """Phase-changing commands that the lifecycle refuses from ``state``."""
    rows = {
        "complete_directe_veiligheid": "complete_directe_veiligheid",
        "complete_risicogestuurde_zorg": "complete_risicogestuurde_zorg",
        "complete_herstel": "complete_herstel",
    }
    allowed = {"directe_veiligheid": "complete_directe_veiligheid",
               "risicogestuurde_zorg": "complete_risicogestuurde_zorg",
               "herstel": "complete_herstel"}.get(state)
    return [Refusal(f"{method} from {state}", method, _cmd(), _lifecycle(trigger, state))
            for method, trigger in rows.items() if method != allowed]


def _phase_artefacts(state: str) -> list[Refusal]:
    """Artefacts that belong to another phase than ``state``."""
    items = [
        ("set_veiligheidsplan", {"voorwaarden": ["geen_geweld"]}, "directe_veiligheid"),
        ("confirm_acute_unsafety_removed", {}, "directe_veiligheid"),
        ("set_hulpverleningsplan", {"risk_factors": ["ggz"]}, "risicogestuurde_zorg"),
        ("confirm_stable_safety", {}, "risicogestuurde_zorg"),
        ("set_herstelplan", {"interventions": ["herstelgesprek"]}, "herstel"),
        ("complete_herstelplan", {}, "herstel"),
        ("record_waakvlam_contact", {}, "waakvlam"),
    ]
    return [Refusal(f"{method} in {state}", method, _cmd(**fields), _lifecycle(method, state))
            for method, fields, phase in items if phase != state]


_HV: Callable[[Household, Ids], Any] = lambda h, ids: str(ids["huisverbod"])  # noqa: E731
_M1: Callable[[Household, Ids], Any] = lambda h, ids: str(ids["melding_1"])  # noqa: E731

SCENARIOS: dict[str, tuple[Callable[[Household, Ids], None], list[Refusal]]] = {
    "triage": (_triage, [
        Refusal("close from triage", "close_case", _cmd(reason="other"),
                _lifecycle("close", "triage")),
        Refusal("loop_back from triage", "loop_back", _cmd(cause="new_incident"),
                _lifecycle("loop_back", "triage")),
        *_phase_exits("triage"),
        *_phase_artefacts("triage"),
        Refusal("open a risk factor in triage", "open_risk_factor",
                _cmd(factor="ggz"), _lifecycle("open_risk_factor", "triage")),
        Refusal("complete a VT service that never started", "complete_vt_service",
                _cmd(VT, result="no_further_action"),
                Transition("vt_service", "complete_vt_service", "idle")),
        Refusal("monitoring check without monitoring", "record_monitoring_check",
                _cmd(VT, safe=True),
                Transition("vt_monitoring", "record_monitoring_check", "idle")),
        Refusal("end monitoring without monitoring", "end_monitoring",
                _cmd(VT, stable_safety=True),
                Transition("vt_monitoring", "end_monitoring", "idle")),
        Refusal("offer handover without regisseur", "offer_handover", _cmd(to=LT2_REGISSEUR),
                Transition("casusregie", "offer_handover", "unassigned")),
        Refusal("accept handover without offer", "accept_handover", _cmd(LT2),
                Transition("casusregie", "accept_handover", "unassigned")),
        Refusal("decline handover without offer", "decline_handover", _cmd(LT2),
                Transition("casusregie", "decline_handover", "unassigned")),
        Refusal("withdraw handover without offer", "withdraw_handover", _cmd(),
                Transition("casusregie", "withdraw_handover", "unassigned")),
        Refusal("return from MDA++ without escalation", "return_to_local_team", _cmd(),
                Transition("mda", "return_to_local_team", "not_escalated")),
        Refusal("inform melder before the assessment", "inform_melder",
                _with_ids(VT, melding_id=_M1), Rule("MELDING_NOT_ASSESSED")),
        Refusal("assess an unknown melding", "complete_veiligheidsbeoordeling",
                _cmd(VT, melding_id=str(uuid4()), outcome="no_further_action"),
                Rule("MELDING_NOT_FOUND")),
        Refusal("impose huisverbod as VT", "impose_huisverbod",
                lambda h, ids: h.cmd(actor=VT, removed_person_id=str(h.perpetrator)),
                Rule("NOT_AUTHORISED")),
        Refusal("impose huisverbod on a stranger", "impose_huisverbod",
                _cmd(BURGEMEESTER, removed_person_id=str(uuid4())), Rule("PERSON_NOT_IN_CASE")),
        Refusal("extend an unknown huisverbod", "extend_huisverbod",
                _cmd(BURGEMEESTER, huisverbod_id=str(uuid4()),
                     new_end="2026-03-20T09:00:00+00:00"), Rule("HUISVERBOD_NOT_FOUND")),
        Refusal("respond to a plegeraanbod never offered", "respond_to_plegeraanbod",
                lambda h, ids: h.cmd(person_id=str(h.perpetrator), accepted=True),
                Rule("NO_OPEN_PLEGERAANBOD")),
        Refusal("add a person twice", "add_person",
                lambda h, ids: h.cmd(person_id=str(h.child), role="child"),
                Rule("PERSON_ALREADY_IN_CASE")),
        Refusal("correct the role of a stranger", "correct_person_role",
                _cmd(VT, person_id=str(uuid4()), role="victim"), Rule("PERSON_NOT_IN_CASE")),
        Refusal("reuse a melding id", "receive_melding",
                lambda h, ids: {"actor": VT, "rationale": "second report by the police",
                                "case_id": str(h.case_id), "melding_id": str(ids["melding_1"]),
                                "region": h.region, "gemeente": h.gemeente,
                                "melder_type": "politie", "persons": h.persons(),
                                "forms_of_violence": ["partnergeweld"]},
                Rule("DUPLICATE_MELDING")),
    ]),
    "directe veiligheid without regisseur": (_dv_without_regisseur, [
        Refusal("confirm without a veiligheidsplan", "confirm_acute_unsafety_removed", _cmd(VT),
                Transition("directe_veiligheid", "confirm_acute_unsafety_removed", "no_plan")),
        Refusal("leave directe veiligheid without a plan", "complete_directe_veiligheid",
                _cmd(VT), Transition("directe_veiligheid", "exit_phase", "no_plan")),
        Refusal("loop_back from directe veiligheid", "loop_back", _cmd(cause="acute_unsafety"),
                _lifecycle("loop_back", "directe_veiligheid")),
        Refusal("second assessment of the same melding", "complete_veiligheidsbeoordeling",
                _with_ids(VT, melding_id=_M1, outcome=lambda h, ids: "no_further_action"),
                Transition("triage", "complete_veiligheidsbeoordeling", "assessed")),
        Refusal("second VT service while the onderzoek runs", "complete_veiligheidsbeoordeling",
                _with_ids(VT, melding_id=lambda h, ids: str(ids["melding_2"]),
                          outcome=lambda h, ids: "voorwaarden_en_vervolg"),
                Transition("vt_service", "start_vt_service", "running")),
        Refusal("an onderzoek without conclusion", "complete_vt_service",
                _cmd(VT, result="no_further_action"), Rule("CONCLUSION_REQUIRED")),
        Refusal("offer handover without regisseur", "offer_handover", _cmd(to=LT2_REGISSEUR),
                Transition("casusregie", "offer_handover", "unassigned")),
        *_phase_exits("directe_veiligheid"),
        *_phase_artefacts("directe_veiligheid"),
    ]),
    "acute unsafety removed, no regisseur": (_dv_removed_without_regisseur, [
        Refusal("leave directe veiligheid without a regisseur", "complete_directe_veiligheid",
                _cmd(VT), Rule("REGISSEUR_REQUIRED")),
        Refusal("confirm twice", "confirm_acute_unsafety_removed", _cmd(VT),
                Transition("directe_veiligheid", "confirm_acute_unsafety_removed",
                           "acute_unsafety_removed")),
    ]),
    "directe veiligheid with regisseur": (_dv_with_regisseur, [
        Refusal("leave directe veiligheid before the exit criterion",
                "complete_directe_veiligheid", _cmd(),
                Transition("directe_veiligheid", "exit_phase", "plan_active")),
        Refusal("assign a second first regisseur", "assign_casusregisseur",
                _cmd(regisseur=LT2_REGISSEUR),
                Transition("casusregie", "assign_first_regisseur", "assigned")),
        Refusal("accept a handover never offered", "accept_handover", _cmd(LT2),
                Transition("casusregie", "accept_handover", "assigned")),
        Refusal("withdraw a handover never offered", "withdraw_handover", _cmd(),
                Transition("casusregie", "withdraw_handover", "assigned")),
        Refusal("hand over to oneself", "offer_handover", _cmd(to=LT_REGISSEUR),
                Rule("HANDOVER_TO_SELF")),
        Refusal("second assessment of the same melding", "complete_veiligheidsbeoordeling",
                _with_ids(VT, melding_id=_M1, outcome=lambda h, ids: "onderzoek"),
                Transition("triage", "complete_veiligheidsbeoordeling", "assessed")),
    ]),
    "handover offered": (_handover_offered, [
        Refusal("the sender accepts its own offer", "accept_handover", _cmd(LT),
                Rule("NOT_HANDOVER_RECEIVER")),
        Refusal("VT accepts an offer made to a wijkteam", "accept_handover", _cmd(VT),
                Rule("NOT_HANDOVER_RECEIVER")),
        Refusal("a third party declines", "decline_handover", _cmd(VT),
                Rule("NOT_HANDOVER_RECEIVER")),
        Refusal("offer again while an offer is open", "offer_handover", _cmd(to=LT2_REGISSEUR),
                Transition("casusregie", "offer_handover", "handover_offered")),
        Refusal("close while a handover is pending", "close_case", _cmd(reason="other"),
                Rule("HANDOVER_PENDING")),
    ]),
    "risicogestuurde zorg without plan": (_rz_no_plan, [
        Refusal("open a risk factor without plan", "open_risk_factor", _cmd(factor="ggz"),
                Transition("risicogestuurde_zorg", "open_risk_factor", "no_plan")),
        Refusal("resolve a risk factor without plan", "resolve_risk_factor", _cmd(factor="ggz"),
                Transition("risicogestuurde_zorg", "resolve_risk_factor", "no_plan")),
        Refusal("stable safety without plan", "confirm_stable_safety", _cmd(),
                Transition("risicogestuurde_zorg", "confirm_stable_safety", "no_plan")),
        Refusal("leave risicogestuurde zorg without plan", "complete_risicogestuurde_zorg",
                _cmd(), Transition("risicogestuurde_zorg", "exit_phase", "no_plan")),
        Refusal("crisis measure outside directe veiligheid", "take_crisis_measure",
                _cmd(measure="crisisopvang"),
                _lifecycle("take_crisis_measure", "risicogestuurde_zorg")),
        *_phase_exits("risicogestuurde_zorg"),
        *_phase_artefacts("risicogestuurde_zorg"),
    ]),
    "risk factors open": (_rz_risk_factors_open, [
        Refusal("stable safety with a risk factor open", "confirm_stable_safety", _cmd(),
                Rule("RISK_FACTORS_OPEN")),
        Refusal("leave risicogestuurde zorg with risk factors open",
                "complete_risicogestuurde_zorg", _cmd(),
                Transition("risicogestuurde_zorg", "exit_phase", "plan_active")),
        Refusal("resolve a factor that is not open", "resolve_risk_factor", _cmd(factor="ggz"),
                Rule("RISK_FACTOR_NOT_OPEN")),
        Refusal("resolve a factor twice", "resolve_risk_factor", _cmd(factor="schulden"),
                Rule("RISK_FACTOR_NOT_OPEN")),
        Refusal("open a factor that is open", "open_risk_factor", _cmd(factor="verslaving"),
                Rule("RISK_FACTOR_ALREADY_OPEN")),
    ]),
    "herstel without plan": (_herstel_no_plan, [
        Refusal("complete a herstelplan that does not exist", "complete_herstelplan", _cmd(),
                Transition("herstel", "complete_herstelplan", "no_plan")),
        Refusal("leave herstel without plan", "complete_herstel", _cmd(),
                Transition("herstel", "exit_phase", "no_plan")),
        *_phase_exits("herstel"),
        *_phase_artefacts("herstel"),
    ]),
    "herstelplan active": (_herstel_plan, [
        Refusal("leave herstel before the herstelplan is completed", "complete_herstel", _cmd(),
                Transition("herstel", "exit_phase", "plan_active")),
    ]),
    "herstelplan completed": (_herstel_completed, [
        Refusal("complete the herstelplan twice", "complete_herstelplan", _cmd(),
                Transition("herstel", "complete_herstelplan", "completed")),
        Refusal("revise a completed herstelplan", "set_herstelplan",
                _cmd(interventions=["herstelgesprek"]),
                Transition("herstel", "set_herstelplan", "completed")),
    ]),
    "waakvlam": (_waakvlam, [
        *_phase_exits("waakvlam"),
        *_phase_artefacts("waakvlam"),
    ]),
    "closed": (_closed, [
        Refusal("close twice", "close_case", _cmd(reason="other"), _lifecycle("close", "closed")),
        Refusal("loop_back from closed", "loop_back", _cmd(cause="new_incident"),
                _lifecycle("loop_back", "closed")),
        Refusal("assign a regisseur to a closed case", "assign_casusregisseur",
                _cmd(regisseur=LT_REGISSEUR), _lifecycle("assign_first_regisseur", "closed")),
        Refusal("impose a huisverbod in a closed case", "impose_huisverbod",
                lambda h, ids: h.cmd(actor=BURGEMEESTER, removed_person_id=str(h.perpetrator)),
                _lifecycle("impose_huisverbod", "closed")),
        Refusal("escalate a closed case", "escalate_to_mda", _cmd(),
                _lifecycle("escalate_to_mda", "closed")),
        Refusal("add a person to a closed case", "add_person",
                _cmd(person_id=str(uuid4()), role="other"), _lifecycle("add_person", "closed")),
        Refusal("assess the closed melding again", "complete_veiligheidsbeoordeling",
                _with_ids(VT, melding_id=_M1, outcome=lambda h, ids: "onderzoek"),
                Transition("triage", "complete_veiligheidsbeoordeling", "assessed")),
        *_phase_exits("closed"),
        *_phase_artefacts("closed"),
    ]),
    "closed with a melding unassessed": (_closed_with_melding_unassessed, [
        # assessing it now would close the closed case a second time
        Refusal("assess a melding of a closed case", "complete_veiligheidsbeoordeling",
                _with_ids(VT, melding_id=lambda h, ids: str(ids["melding_2"]),
                          outcome=lambda h, ids: "no_further_action"),
                _lifecycle("complete_veiligheidsbeoordeling", "closed")),
        Refusal("hand a closed case over by assessment", "complete_veiligheidsbeoordeling",
                _with_ids(VT, melding_id=lambda h, ids: str(ids["melding_2"]),
                          outcome=lambda h, ids: "handover_local_team",
                          veiligheidsvoorwaarden=lambda h, ids: ["geen_geweld"],
                          handover_to=lambda h, ids: LT2_REGISSEUR),
                _lifecycle("complete_veiligheidsbeoordeling", "closed")),
    ]),
    "closed while an onderzoek runs": (_closed_while_onderzoek_runs, [
        # the onderzoek ended with the case: completing it now would record a second closure
        # and start monitoring a closed case
        Refusal("complete the onderzoek of a closed case", "complete_vt_service",
                _cmd(VT, result="handover_local_team", conclusion="confirmed",
                     veiligheidsvoorwaarden=["geen_geweld"], handover_to=LT2_REGISSEUR),
                Transition("vt_service", "complete_vt_service", "idle")),
        Refusal("close the onderzoek of a closed case without action", "complete_vt_service",
                _cmd(VT, result="no_further_action", conclusion="not_confirmed"),
                Transition("vt_service", "complete_vt_service", "idle")),
    ]),
    "MDA++ escalated": (_mda_escalated, [
        Refusal("escalate twice", "escalate_to_mda", _cmd(),
                Transition("mda", "escalate_to_mda", "escalated")),
    ]),
    "MDA++ returned": (_mda_returned, [
        Refusal("return twice", "return_to_local_team", _cmd(),
                Transition("mda", "return_to_local_team", "returned")),
    ]),
    "huisverbod extended": (_huisverbod_extended, [
        Refusal("extend a second time", "extend_huisverbod",
                _with_ids(BURGEMEESTER, huisverbod_id=_HV,
                          new_end=lambda h, ids: ids["max_end"].isoformat()),
                Transition("huisverbod", "extend", "extended")),
        Refusal("extend as lokaal team", "extend_huisverbod",
                _with_ids(LT, huisverbod_id=_HV,
                          new_end=lambda h, ids: ids["max_end"].isoformat()),
                Rule("NOT_AUTHORISED")),
        Refusal("a second huisverbod for the same person", "impose_huisverbod",
                lambda h, ids: h.cmd(actor=BURGEMEESTER, removed_person_id=str(h.perpetrator)),
                Rule("HUISVERBOD_ALREADY_ACTIVE")),
        Refusal("reuse a huisverbod id", "impose_huisverbod",
                lambda h, ids: h.cmd(actor=BURGEMEESTER, removed_person_id=str(h.victim),
                                     huisverbod_id=str(ids["huisverbod"])),
                Rule("DUPLICATE_HUISVERBOD")),
        Refusal("expire before the end", "expire_huisverbod",
                _with_ids(BURGEMEESTER, huisverbod_id=_HV), Rule("HUISVERBOD_NOT_YET_EXPIRED")),
        Refusal("close while the huisverbod is in force", "close_case", _cmd(reason="other"),
                Rule("HUISVERBOD_IN_FORCE")),
    ]),
    "huisverbod revoked": (_huisverbod_revoked, [
        Refusal("revoke twice", "revoke_huisverbod", _with_ids(BURGEMEESTER, huisverbod_id=_HV),
                Transition("huisverbod", "revoke", "revoked")),
        Refusal("extend a revoked huisverbod", "extend_huisverbod",
                _with_ids(BURGEMEESTER, huisverbod_id=_HV,
                          new_end=lambda h, ids: "2026-03-20T09:00:00+00:00"),
                Transition("huisverbod", "extend", "revoked")),
        Refusal("contact address after revocation", "record_contact_address_given",
                _with_ids(BURGEMEESTER, huisverbod_id=_HV),
                Transition("huisverbod", "give_contact_address", "revoked")),
        Refusal("expire a revoked huisverbod", "expire_huisverbod",
                _with_ids(BURGEMEESTER, huisverbod_id=_HV),
                Transition("huisverbod", "expire", "revoked")),
    ]),
}

#: Tables whose refusals no command can reach; they are checked as tables below.
UNREACHABLE_BY_COMMAND = {
    "waakvlam": "its one trigger is allowed from its one state: it refuses nothing (the "
                "waakvlam ends by closing the case, which the lifecycle table decides)",
}


def _describe(scenario: str, refusal: Refusal) -> str:
    return f"{scenario}: {refusal.name} ({refusal.method})"


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_illegal_commands_are_refused_and_store_nothing(
    app: HgkmApplication, clock: SettableClock, scenario: str
) -> None:
    build, refusals = SCENARIOS[scenario]
    h = Household(app, clock)
    ids: Ids = {}
    build(h, ids)
    h.advance(minutes=30)
    assert h.case_id is not None
    state = app.load_case(h.case_id, access=READ).state_dict()
    for refusal in refusals:
        try:
            assert_refused(app, refusal.method, refusal.data(h, ids), refusal.expect)
        except (AssertionError, pytest.fail.Exception) as exc:
            raise AssertionError(f"{_describe(scenario, refusal)}: {exc}") from None
    assert app.load_case(h.case_id, access=READ).state_dict() == state


def test_expectations_match_the_tables() -> None:
    """Each expected TransitionNotAllowed is one that the table itself does not allow."""
    tables = {t.name: t for t in ALL_TABLES}
    for scenario, (_, refusals) in SCENARIOS.items():
        for r in refusals:
            if isinstance(r.expect, Transition) and r.expect.machine in tables:
                table = tables[r.expect.machine]
                if r.expect.trigger in table.triggers():
                    state = table.states(r.expect.state)
                    assert not table.allows(state, r.expect.trigger), _describe(scenario, r)


def test_every_transition_table_has_refusals_driven_through_a_case() -> None:
    covered = {r.expect.machine for _, refusals in SCENARIOS.values() for r in refusals
               if isinstance(r.expect, Transition)}
    covered.add("advies")  # test_converting_an_advies_twice_is_refused
    names = {t.name for t in ALL_TABLES}
    assert names - covered == set(UNREACHABLE_BY_COMMAND)
    assert covered - names == set()


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.name)
def test_each_table_refuses_every_trigger_it_does_not_list(table: Any) -> None:
    for state in table.states:
        for trigger in [*table.triggers(), "no_such_trigger"]:
            listed = bool(table.machine.get_transitions(trigger=trigger, source=state.value))
            assert table.allows(state, trigger) is listed
            if listed:
                assert table.next_state(state, trigger) in set(table.states)
                assert trigger in table.triggers_from(state)
                continue
            with pytest.raises(TransitionNotAllowed) as info:
                table.next_state(state, trigger)
            exc = info.value
            check_error_shape(exc)
            assert (exc.machine, exc.trigger, exc.state) == (table.name, trigger, state.value)
            assert trigger not in table.triggers_from(state)


def test_converting_an_advies_twice_is_refused(app: HgkmApplication, clock: SettableClock) -> None:
    advies = app.record_advies({"actor": VT, "rationale": "advice asked by a school",
                                "region": "rotterdam-rijnmond", "gemeente": "GM0599",
                                "melder_type": "onderwijs"})
    h = Household(app, clock)

    def convert() -> dict[str, Any]:
        return {"actor": VT, "rationale": "the advice becomes a melding",
                "advies_id": str(advies.aggregate_id), "region": h.region,
                "gemeente": h.gemeente, "melder_type": "onderwijs", "persons": h.persons(),
                "forms_of_violence": ["kindermishandeling"]}

    first = app.convert_advies_to_melding(convert())
    assert app.get_advies(advies.aggregate_id, access=READ).state == "converted"
    exc = assert_refused(app, "convert_advies_to_melding", convert(),
                         Transition("advies", "convert_to_melding", "converted"))
    assert isinstance(exc, TransitionNotAllowed)
    # the refused conversion did not open a second case either
    assert [s.case_id for s in app.list_cases(access=READ)] == [first.case_id]


# ---------------------------------------------------------------------------------- invalid input


@dataclass(frozen=True)
class Invalid:
    """A command made invalid by ``change``; ``leak`` must not appear in the error."""

    name: str
    method: str
    change: Callable[[dict[str, Any]], Any]
    error: type[HgkmError]
    loc: str
    leak: str | None = field(default=None, repr=False)


def _drop(key: str) -> Callable[[dict[str, Any]], Any]:
    def change(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if k != key}
    return change


def _set(**values: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda d: {**d, **values}


FAKE_EMAIL = "zwaluw.testpersoon@example.org"

INVALID: list[Invalid] = [
    Invalid("missing rationale", "set_veiligheidsplan", _drop("rationale"), InvalidCommand,
            "rationale"),
    Invalid("missing actor", "set_veiligheidsplan", _drop("actor"), InvalidCommand, "actor"),
    Invalid("missing case id", "set_veiligheidsplan", _drop("case_id"), InvalidCommand,
            "case_id"),
    Invalid("missing voorwaarden", "set_veiligheidsplan", _drop("voorwaarden"), InvalidCommand,
            "voorwaarden"),
    Invalid("empty voorwaarden", "set_veiligheidsplan", _set(voorwaarden=[]), InvalidCommand,
            "voorwaarden"),
    Invalid("naive occurred_at text", "set_veiligheidsplan",
            _set(occurred_at="2026-03-02T08:30:00"), InvalidCommand, "occurred_at",
            "2026-03-02T08:30:00"),
    Invalid("naive occurred_at datetime", "set_veiligheidsplan",
            _set(occurred_at=datetime(2026, 3, 2, 8, 30)), InvalidCommand, "occurred_at"),
    Invalid("occurred_at before 2000", "set_veiligheidsplan",
            _set(occurred_at="1999-12-31T08:30:00+00:00"), InvalidCommand, "occurred_at",
            "1999-12-31"),
    Invalid("unknown voorwaarde", "set_veiligheidsplan",
            _set(voorwaarden=["zzz_onbekende_voorwaarde"]), InvalidCommand, "voorwaarden.0",
            "zzz_onbekende_voorwaarde"),
    Invalid("unknown actor role", "set_veiligheidsplan",
            _set(actor={**LT, "role": "zzz_koning"}), InvalidCommand, "actor.role", "zzz_koning"),
    Invalid("unknown closure reason", "close_case",
            _set(reason="zzz_geen_zin_meer"), InvalidCommand, "reason", "zzz_geen_zin_meer"),
    Invalid("case id not a uuid", "set_veiligheidsplan", _set(case_id="zzz-not-a-uuid"),
            InvalidCommand, "case_id", "zzz-not-a-uuid"),
    Invalid("unexpected field", "set_veiligheidsplan", _set(**{"naam Zzz Onbekend": "Zzz"}),
            InvalidCommand, "<unknown field>", "Zzz Onbekend"),
    Invalid("rationale too short", "set_veiligheidsplan", _set(rationale="ok"), InvalidCommand,
            "rationale"),
    Invalid("handover without veiligheidsvoorwaarden", "complete_veiligheidsbeoordeling",
            _set(outcome="handover_local_team", handover_to=LT2_REGISSEUR), InvalidCommand,
            "<command>"),
    Invalid("gemeente not a CBS code", "receive_melding", _set(gemeente="Zzzdam"),
            InvalidCommand, "gemeente", "Zzzdam"),
    Invalid("a person twice in a melding", "receive_melding",
            lambda d: {**d, "persons": [*d["persons"], d["persons"][0]]}, InvalidCommand,
            "persons"),
    Invalid("not a mapping at all", "set_veiligheidsplan", lambda d: ["zzz", "list"],
            InvalidCommand, "<command>", "zzz"),
    Invalid("rationale with a BSN-like number", "set_veiligheidsplan",
            _set(rationale="plan besproken, nummer 123456782 genoteerd"),
            PersonalDataSuspected, "rationale", "123456782"),
    Invalid("rationale with an e-mail address", "set_veiligheidsplan",
            _set(rationale=f"afspraak bevestigd via {FAKE_EMAIL}"), PersonalDataSuspected,
            "rationale", FAKE_EMAIL),
    Invalid("rationale with a phone number", "set_veiligheidsplan",
            _set(rationale="teruggebeld op 06-12345678 na overleg"), PersonalDataSuspected,
            "rationale", "06-12345678"),
    Invalid("rationale with a postcode", "set_veiligheidsplan",
            _set(rationale="huisbezoek in 3011 ZW afgerond"), PersonalDataSuspected,
            "rationale", "3011 ZW"),
    Invalid("rationale with a street address", "set_veiligheidsplan",
            _set(rationale="huisbezoek Voorbeeldstraat 99 gedaan"), PersonalDataSuspected,
            "rationale", "Voorbeeldstraat 99"),
    Invalid("rationale with a grouped BSN", "set_veiligheidsplan",
            _set(rationale="plan besproken, BSN 1234.56.782 genoteerd"), PersonalDataSuspected,
            "rationale", "1234.56.782"),
    Invalid("rationale with a spaced BSN", "set_veiligheidsplan",
            _set(rationale="plan besproken, nummer 123 456 782"), PersonalDataSuspected,
            "rationale", "123 456 782"),
    Invalid("rationale with a spaced phone number", "set_veiligheidsplan",
            _set(rationale="teruggebeld op 010 - 123 45 67"), PersonalDataSuspected,
            "rationale", "123 45 67"),
    Invalid("rationale with a date in words", "set_veiligheidsplan",
            _set(rationale="moeder geboren 3 januari 1990, plan gemaakt"), PersonalDataSuspected,
            "rationale", "januari 1990"),
    Invalid("rationale with a date", "set_veiligheidsplan",
            _set(rationale="geboren 03-02-1980, plan gemaakt"), PersonalDataSuspected,
            "rationale", "03-02-1980"),
    Invalid("open_deadline_reason with an e-mail address", "close_case",
            _set(open_deadline_reason=f"zie bericht van {FAKE_EMAIL}"), PersonalDataSuspected,
            "open_deadline_reason", FAKE_EMAIL),
]


def _valid_base(h: Household, method: str) -> dict[str, Any]:
    if method == "set_veiligheidsplan":
        return h.cmd(actor=LT, voorwaarden=["geen_geweld"])
    if method == "close_case":
        return h.cmd(actor=LT, reason="other")
    if method == "complete_veiligheidsbeoordeling":
        return h.cmd(actor=VT, melding_id=str(h.melding_id), outcome="onderzoek")
    assert method == "receive_melding"
    return {"actor": VT, "rationale": "melding from the police", "region": h.region,
            "gemeente": h.gemeente, "melder_type": "politie", "persons": h.persons(),
            "forms_of_violence": ["partnergeweld"], "case_id": str(h.case_id)}


def test_invalid_commands_are_refused_without_echoing_input(
    app: HgkmApplication, clock: SettableClock
) -> None:
    import traceback

    h = Household(app, clock)
    h.melding()
    h.assess("handover_local_team")
    h.melding()  # a second melding, still to be assessed
    for case in INVALID:
        base = _valid_base(h, case.method)
        try:
            exc = assert_refused(app, case.method, case.change(base), case.error)
            assert type(exc) is case.error
            assert isinstance(exc, InvalidCommand)
            assert case.loc in exc.fields, exc.fields
            if case.leak is not None:
                shown = "".join(traceback.format_exception(exc))
                assert case.leak not in str(exc)
                assert case.leak not in repr(exc.as_dict())
                assert case.leak not in shown
        except (AssertionError, pytest.fail.Exception) as err:
            raise AssertionError(f"{case.name}: {err}") from None
    # and the valid forms of the same commands are accepted (the changes made them invalid)
    app.set_veiligheidsplan(_valid_base(h, "set_veiligheidsplan"))
    app.complete_veiligheidsbeoordeling(_valid_base(h, "complete_veiligheidsbeoordeling"))


def test_pydantic_command_objects_screen_rationale_on_construction() -> None:
    from hgkm_workflow.commands import SetVeiligheidsplan

    with pytest.raises(PersonalDataSuspected) as info:
        SetVeiligheidsplan(actor=LT, rationale=f"mail {FAKE_EMAIL}", case_id=uuid4(),
                           voorwaarden=["geen_geweld"])
    assert FAKE_EMAIL not in str(info.value)
    check_error_shape(info.value)


def test_business_time_in_the_future_is_refused(app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    future = clock.now() + timedelta(hours=1)
    exc = assert_refused(app, "take_crisis_measure",
                         h.cmd(actor=LT, measure="crisisopvang", occurred_at=future.isoformat()),
                         Rule("OCCURRED_IN_FUTURE"))
    assert future.isoformat() not in str(exc)
    # a melding dated tomorrow opens no case
    data = _valid_base(h, "receive_melding")
    del data["case_id"]
    data["occurred_at"] = (clock.now() + timedelta(days=1)).isoformat()
    assert_refused(app, "receive_melding", data, Rule("OCCURRED_IN_FUTURE"))
    assert len(app.list_cases(access=READ)) == 1
    # the same command dated in the past (but not before the case was opened) is fine
    opened = app.get_case(h.case_id, access=READ).opened_at
    h.advance(hours=2)
    past = clock.now() - timedelta(hours=1)
    assert opened < past
    app.take_crisis_measure(h.cmd(actor=LT, measure="crisisopvang",
                                  occurred_at=past.isoformat()))


def test_commands_for_an_unknown_case_are_refused(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    unknown = uuid4()
    for method, data in [
        ("set_veiligheidsplan", {"voorwaarden": ["geen_geweld"]}),
        ("take_crisis_measure", {"measure": "crisisopvang"}),
        ("close_case", {"reason": "other"}),
        ("impose_huisverbod", {"removed_person_id": str(h.perpetrator), "actor": BURGEMEESTER}),
        ("accept_handover", {"actor": LT2}),
    ]:
        cmd = {**h.cmd(actor=LT), **data, "case_id": str(unknown)}
        exc = assert_refused(app, method, cmd, CaseNotFound)
        assert exc.code == "CASE_NOT_FOUND"
    for query in (app.get_case, app.load_case, app.case_events):
        with pytest.raises(CaseNotFound):
            query(unknown, access=READ)
    # an advies is not a case
    advies = app.record_advies({"actor": VT, "rationale": "advice asked by a GP",
                                "region": "rotterdam-rijnmond", "gemeente": "GM0599",
                                "melder_type": "gezondheidszorg"})
    cmd = {**h.cmd(actor=LT, voorwaarden=["geen_geweld"]), "case_id": str(advies.aggregate_id)}
    assert_refused(app, "set_veiligheidsplan", cmd, CaseNotFound)
    with pytest.raises(CaseNotFound):
        app.get_case(advies.aggregate_id, access=READ)


def test_an_assessment_dated_before_its_melding_is_refused(
    app: HgkmApplication, clock: SettableClock
) -> None:
    """A decision about a melding cannot be dated before the melding was received."""
    h = Household(app, clock)
    h.melding()
    h.advance(days=1)
    h.melding(melder_type="burger")  # a vervolgmelding: the case is older than the melding
    received = clock.now()
    h.advance(hours=1)
    early = (received - timedelta(minutes=30)).isoformat()
    for command, extra in (("complete_veiligheidsbeoordeling", {"outcome": "no_further_action"}),
                           ("inform_school", {})):
        exc = assert_refused(app, command, h.cmd(melding_id=str(h.melding_id),
                                                 occurred_at=early, **extra),
                             Rule("OCCURRED_BEFORE_MELDING"))
        assert early not in str(exc)
    # one second after the receipt is fine
    app.complete_veiligheidsbeoordeling(h.cmd(
        melding_id=str(h.melding_id), outcome="no_further_action",
        occurred_at=(received + timedelta(seconds=1)).isoformat()))


def test_a_decision_dated_before_its_case_was_opened_is_refused(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    opened = app.get_case(h.case_id, access=READ).opened_at
    before = (opened - timedelta(days=1)).isoformat()
    assert_refused(app, "take_crisis_measure",
                   h.cmd(actor=LT, measure="crisisopvang", occurred_at=before),
                   Rule("OCCURRED_BEFORE_CASE"))
    # nor can a vervolgmelding be dated before the case it joins was opened
    melding = {**_valid_base(h, "receive_melding"), "occurred_at": before}
    assert_refused(app, "receive_melding", melding, Rule("OCCURRED_BEFORE_CASE"))
    app.take_crisis_measure(h.cmd(actor=LT, measure="crisisopvang",
                                  occurred_at=opened.isoformat()))


def test_refusal_messages_name_no_person_details(
    app: HgkmApplication, clock: SettableClock
) -> None:
    """Errors about persons refer to them by pseudonymous id only."""
    h = Household(app, clock)
    h.melding()
    stranger = UUID("00000000-0000-4000-8000-00000000abcd")
    exc = assert_refused(app, "correct_person_role",
                         h.cmd(person_id=str(stranger), role="victim"),
                         Rule("PERSON_NOT_IN_CASE"))
    assert exc.message == f"person {stranger} is not part of this household case"
    assert "victim" not in str(exc)


def test_clock_reading_is_the_only_time_source_for_refusals(
    make_app: Callable[..., HgkmApplication], sqlite_url: str
) -> None:
    """OCCURRED_IN_FUTURE is measured against the injected clock, not the wall clock."""
    early = SettableClock(datetime(2001, 1, 1, 12, 0, tzinfo=UTC))
    app = make_app(sqlite_url, clock=early)
    h = Household(app, early)
    data = _valid_base(h, "receive_melding")
    del data["case_id"]
    data["occurred_at"] = "2002-01-01T12:00:00+00:00"  # long past by the wall clock
    assert_refused(app, "receive_melding", data, Rule("OCCURRED_IN_FUTURE"))
