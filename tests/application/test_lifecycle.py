"""Complete lifecycles: a household through every phase, loop-backs, reopening."""

from __future__ import annotations

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.phases.lifecycle import CasePhase
from tests.support import LT, LT2, LT2_REGISSEUR, LT_REGISSEUR, MDA, READ, Household

MDA_REGISSEUR = {"actor_id": "zc-002", "organisation": "mda-rotterdam",
                 "organisation_type": "mda_kernteam"}


def test_household_through_every_phase_to_closure(app: HgkmApplication,
                                                  clock: SettableClock) -> None:
    h = Household(app, clock)
    h.melding()
    assert app.get_case(h.case_id, access=READ).phase is CasePhase.TRIAGE
    h.advance(days=1)
    h.assess("handover_local_team")
    view = app.get_case(h.case_id, access=READ)
    assert view.phase is CasePhase.DIRECTE_VEILIGHEID
    assert view.regisseur is not None and view.regisseur["organisation"] == "wijkteam-noord"
    assert view.veiligheidsplan is not None
    assert view.veiligheidsplan["voorwaarden"] == ["geen_geweld", "pleger_accepteert_hulp"]
    assert view.monitoring["state"] == "monitoring"
    app.inform_melder(h.cmd(melding_id=str(h.melding_id)))
    h.through_directe_veiligheid()
    assert app.get_case(h.case_id, access=READ).phase is CasePhase.RISICOGESTUURDE_ZORG
    h.through_risicogestuurde_zorg()
    assert app.get_case(h.case_id, access=READ).phase is CasePhase.HERSTEL
    h.through_herstel()
    assert app.get_case(h.case_id, access=READ).phase is CasePhase.WAAKVLAM
    app.record_waakvlam_contact(h.cmd(actor=LT))
    app.close_case(h.cmd(actor=LT, reason="waakvlam_completed"))
    view = app.get_case(h.case_id, access=READ)
    assert view.phase is CasePhase.CLOSED
    assert view.closure is not None and view.closure["reason"] == "waakvlam_completed"
    assert view.monitoring["state"] == "idle"
    assert not view.open_deadlines
    summary = app.list_cases(access=READ)[0]
    assert summary.phase == "closed" and summary.case_id == h.case_id


def test_loop_back_from_each_later_phase(app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    h.through_directe_veiligheid()
    app.loop_back(h.cmd(actor=LT, cause="acute_unsafety"))
    view = app.get_case(h.case_id, access=READ)
    assert view.phase is CasePhase.DIRECTE_VEILIGHEID and view.loop_backs == 1
    # the veiligheidsplan is kept but must be confirmed again before leaving
    assert view.sub_state == "plan_active"
    h.through_directe_veiligheid()
    h.through_risicogestuurde_zorg()
    app.loop_back(h.cmd(actor=LT, cause="new_incident"))
    assert app.get_case(h.case_id, access=READ).loop_backs == 2
    h.through_directe_veiligheid()
    # risk factors resolved earlier stay resolved; the plan is active again
    app.confirm_stable_safety(h.cmd(actor=LT))
    app.complete_risicogestuurde_zorg(h.cmd(actor=LT))
    h.through_herstel()
    app.loop_back(h.cmd(actor=LT, cause="new_incident"))
    view = app.get_case(h.case_id, access=READ)
    assert view.phase is CasePhase.DIRECTE_VEILIGHEID and view.loop_backs == 3
    assert app.list_cases(access=READ)[0].loop_backs == 3


def test_new_melding_in_later_phase_loops_back_after_assessment(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.to_waakvlam()
    h.advance(days=30)
    h.melding()
    assert app.get_case(h.case_id, access=READ).phase is CasePhase.WAAKVLAM
    h.assess("handover_local_team")
    view = app.get_case(h.case_id, access=READ)
    assert view.phase is CasePhase.DIRECTE_VEILIGHEID
    assert view.loop_backs == 1
    assert view.meldingen == 2


def test_new_melding_reopens_closed_case_with_same_history(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    h.assess("no_further_action")
    first = app.get_case(h.case_id, access=READ)
    assert first.phase is CasePhase.CLOSED
    h.advance(days=200)
    h.melding()
    again = app.get_case(h.case_id, access=READ)
    assert again.case_id == first.case_id
    assert again.phase is CasePhase.TRIAGE
    assert again.meldingen == 2
    assert again.version > first.version


def test_onderzoek_then_handover(app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.melding()
    h.assess("onderzoek")
    view = app.get_case(h.case_id, access=READ)
    assert view.phase is CasePhase.DIRECTE_VEILIGHEID
    assert view.vt_service["state"] == "running" and view.vt_service["service"] == "onderzoek"
    assert view.deadline("onderzoek").status == "open"
    h.advance(days=40)
    app.complete_vt_service(h.cmd(result="handover_local_team", conclusion="confirmed",
                                  veiligheidsvoorwaarden=["geen_geweld"],
                                  handover_to=LT2_REGISSEUR))
    view = app.get_case(h.case_id, access=READ)
    assert view.deadline("onderzoek").status == "met"
    assert view.regisseur is not None and view.regisseur["organisation"] == "wijkteam-zuid"
    assert view.monitoring["state"] == "monitoring"


def test_warm_handover_sender_stays_responsible_until_acceptance(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    app.offer_handover(h.cmd(actor=LT, to=LT2_REGISSEUR))
    view = app.get_case(h.case_id, access=READ)
    assert view.regisseur is not None and view.regisseur["actor_id"] == "lt-003"
    assert view.handover_offered_to == LT2_REGISSEUR
    app.accept_handover(h.cmd(actor=LT2))
    view = app.get_case(h.case_id, access=READ)
    assert view.regisseur == LT2_REGISSEUR and view.handover_offered_to is None


def test_mda_escalation_and_return(app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.melding(acute=True)
    h.assess("escalate_mda", additional_measures=["inform_police_om"])
    view = app.get_case(h.case_id, access=READ)
    assert view.phase is CasePhase.DIRECTE_VEILIGHEID and view.mda == "escalated"
    # the kernteam takes casusregie, hands it warmly to the local team, then returns the case
    app.assign_casusregisseur(h.cmd(actor=MDA, regisseur=MDA_REGISSEUR))
    app.offer_handover(h.cmd(actor=MDA, to=LT_REGISSEUR))
    app.accept_handover(h.cmd(actor=LT))
    app.return_to_local_team(h.cmd(actor=MDA))
    assert app.get_case(h.case_id, access=READ).mda == "returned"
    app.escalate_to_mda(h.cmd(actor=LT))
    assert app.get_case(h.case_id, access=READ).mda == "escalated"


def test_roles_at_melding_are_kept_and_corrections_are_new_facts(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    app.correct_person_role(h.cmd(person_id=str(h.victim), role="alleged_perpetrator"))
    case = app.load_case(h.case_id, access=READ)
    record = case.persons[str(h.victim)]
    assert record["role_at_melding"] == "victim"
    assert record["corrections"][-1]["role"] == "alleged_perpetrator"
    assert app.get_case(h.case_id, access=READ).persons[str(h.victim)] == "alleged_perpetrator"


def test_feedback_to_the_melder_is_still_owed_after_closure(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    h.assess("no_further_action")
    view = app.get_case(h.case_id, access=READ)
    assert view.phase is CasePhase.CLOSED
    assert [d.rule_id for d in view.open_deadlines] == ["T5"]
    app.inform_melder(h.cmd(melding_id=str(h.melding_id)))
    assert app.get_case(h.case_id, access=READ).deadline("T5").status == "met"


def test_no_further_action_waits_for_other_pending_meldingen(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    first = h.melding_id
    h.melding(melder_type="onderwijs")
    second = h.melding_id
    h.melding_id = first
    h.assess("no_further_action")
    assert app.get_case(h.case_id, access=READ).phase is CasePhase.TRIAGE
    h.melding_id = second
    h.assess("no_further_action")
    assert app.get_case(h.case_id, access=READ).phase is CasePhase.CLOSED
