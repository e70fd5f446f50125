"""Refusal scenarios: a household case driven into a state, then commands it must refuse.

Shared by the aggregate-level refusal tests (``tests/domain/test_refusals.py``: the typed error
and an unchanged case) and the application's (``tests/application/test_refusals.py``: nothing
stored). The builders drive any ``Household`` whose ``app`` takes the application's command
dicts: :class:`tests.domain.driver.Household` or :class:`tests.support.Household`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import uuid4

from hgkm_workflow.errors import HgkmError
from tests.domain.driver import BURGEMEESTER, LT, LT2, LT2_REGISSEUR, LT_REGISSEUR, VT

#: Who reads (the application's access policy lets an auditor read every case).
READ = {"actor": {"actor_id": "test-auditor", "organisation": "hgkm-test", "role": "auditor"},
        "purpose": "audit"}

Household = Any


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
    h.app.assign_casusregisseur(h.cmd(actor=VT, regisseur=LT_REGISSEUR))
    h.app.close_case(h.cmd(actor=LT, reason="transferred_to_other_region",
                           open_deadline_reason="the household moved to another region"))


def _mda_escalated(h: Household, ids: Ids) -> None:
    h.melding(acute=True)
    ids["melding_1"] = h.melding_id
    h.assess("escalate_mda")


MDA = {"actor_id": "zc-002", "organisation": "mda-rotterdam", "role": "zorgcoordinator_mda"}
MDA_REGISSEUR = {"actor_id": "zc-002", "organisation": "mda-rotterdam",
                 "organisation_type": "mda_kernteam"}


def _mda_returned(h: Household, ids: Ids) -> None:
    # the kernteam holds casusregie, hands it warmly to the local team, then returns the case
    _mda_escalated(h, ids)
    h.app.assign_casusregisseur(h.cmd(actor=MDA, regisseur=MDA_REGISSEUR))
    h.app.offer_handover(h.cmd(actor=MDA, to=LT_REGISSEUR))
    h.app.accept_handover(h.cmd(actor=LT))
    h.app.return_to_local_team(h.cmd(actor=MDA))


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
    # plans are set beside the current goal in every care phase (issue 14.3, seeds 000, 001)
    side_by_side = {"set_hulpverleningsplan", "set_herstelplan"}
    care = {"directe_veiligheid", "risicogestuurde_zorg", "herstel"}
    return [Refusal(f"{method} in {state}", method, _cmd(**fields), _lifecycle(method, state))
            for method, fields, phase in items if phase != state
            and not (method in side_by_side and state in care)]


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
        Refusal("the receiver withdraws the sender's offer", "withdraw_handover", _cmd(LT2),
                Rule("NOT_HANDOVER_SENDER")),
        Refusal("a third party withdraws", "withdraw_handover", _cmd(VT),
                Rule("NOT_HANDOVER_SENDER")),
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

