"""Property: a case rebuilt from its events equals the live case; a refusal changes nothing.

Hypothesis draws a sequence of commands (meldingen, assessments, VT services, plans, regie,
huisverboden, closure, time passing, ticks) for one household. Commands the case refuses are
part of the test: each must leave the case exactly as it was. After every sequence, the case
replayed from the events it triggered (each event's ``mutate``, no store) has the same
``state_dict()`` as the live aggregate.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import HgkmError, InvalidCommand
from tests.domain.driver import (
    BURGEMEESTER,
    LT,
    LT2,
    LT2_REGISSEUR,
    LT_REGISSEUR,
    DomainCases,
    Household,
)

Step = Callable[[Household], Any]
REASON = {"open_deadline_reason": "recorded in the case file by the team"}


def _latest_huisverbod(h: Household) -> str:
    # before any imposition: an id the case does not know (refused: HUISVERBOD_NOT_FOUND)
    return str(h.huisverbod_id or UUID(int=1))


#: One command each, or a few in a row (by name) to reach the later phases more often.
STEPS: dict[str, Step | tuple[str, ...]] = {
    "melding": lambda h: h.melding(),
    "acute melding": lambda h: h.melding(acute=True),
    "anonymous melding": lambda h: h.melding(melder_type="anoniem"),
    "assess: handover": lambda h: h.assess("handover_local_team"),
    "assess: onderzoek": lambda h: h.assess("onderzoek"),
    "assess: voorwaarden en vervolg": lambda h: h.assess("voorwaarden_en_vervolg"),
    "assess: no further action": lambda h: h.assess("no_further_action"),
    "assess: escalate mda": lambda h: h.assess("escalate_mda"),
    "vt service: no further action": lambda h: h.app.complete_vt_service(
        h.cmd(result="no_further_action", conclusion="not_confirmed")),
    "vt service: handover": lambda h: h.app.complete_vt_service(
        h.cmd(result="handover_local_team", conclusion="confirmed",
              veiligheidsvoorwaarden=["geen_geweld"], handover_to=LT_REGISSEUR)),
    "inform melder": lambda h: h.app.inform_melder(h.cmd(melding_id=str(h.melding_id))),
    "inform school": lambda h: h.app.inform_school(h.cmd(melding_id=str(h.melding_id))),
    "veiligheidsplan": lambda h: h.app.set_veiligheidsplan(
        h.cmd(actor=LT, voorwaarden=["geen_geweld"])),
    "acute unsafety removed": lambda h: h.app.confirm_acute_unsafety_removed(h.cmd(actor=LT)),
    "complete directe veiligheid": lambda h: h.app.complete_directe_veiligheid(
        h.cmd(actor=LT, **REASON)),
    "hulpverleningsplan": lambda h: h.app.set_hulpverleningsplan(
        h.cmd(actor=LT, risk_factors=["verslaving"])),
    "resolve risk factor": lambda h: h.app.resolve_risk_factor(
        h.cmd(actor=LT, factor="verslaving")),
    "stable safety": lambda h: h.app.confirm_stable_safety(h.cmd(actor=LT)),
    "complete risicogestuurde zorg": lambda h: h.app.complete_risicogestuurde_zorg(
        h.cmd(actor=LT, **REASON)),
    "herstelplan": lambda h: h.app.set_herstelplan(
        h.cmd(actor=LT, interventions=["systeemtherapie"])),
    "complete herstelplan": lambda h: h.app.complete_herstelplan(h.cmd(actor=LT)),
    "complete herstel": lambda h: h.app.complete_herstel(h.cmd(actor=LT, **REASON)),
    "waakvlam contact": lambda h: h.app.record_waakvlam_contact(h.cmd(actor=LT)),
    "loop back": lambda h: h.app.loop_back(h.cmd(actor=LT, cause="new_incident")),
    "close": lambda h: h.app.close_case(h.cmd(actor=LT, reason="other", **REASON)),
    "assign regisseur": lambda h: h.app.assign_casusregisseur(
        h.cmd(actor=LT, regisseur=LT_REGISSEUR)),
    "offer handover": lambda h: h.app.offer_handover(h.cmd(actor=LT, to=LT2_REGISSEUR)),
    "accept handover": lambda h: h.app.accept_handover(h.cmd(actor=LT2)),
    "withdraw handover": lambda h: h.app.withdraw_handover(h.cmd(actor=LT)),
    "escalate to mda": lambda h: h.app.escalate_to_mda(h.cmd(actor=LT)),
    "return to local team": lambda h: h.app.return_to_local_team(h.cmd(actor=LT)),
    "crisis measure": lambda h: h.app.take_crisis_measure(h.cmd(actor=LT,
                                                                measure="crisisopvang")),
    "impose huisverbod": lambda h: setattr(h, "huisverbod_id", h.app.impose_huisverbod(
        h.cmd(actor=BURGEMEESTER, removed_person_id=str(h.perpetrator))).ids["huisverbod_id"]),
    "extend huisverbod": lambda h: h.app.extend_huisverbod(h.cmd(
        actor=BURGEMEESTER, huisverbod_id=_latest_huisverbod(h),
        new_end=(h.clock.now() + timedelta(days=12)).isoformat())),
    "revoke huisverbod": lambda h: h.app.revoke_huisverbod(
        h.cmd(actor=BURGEMEESTER, huisverbod_id=_latest_huisverbod(h))),
    "contact address": lambda h: h.app.record_contact_address_given(
        h.cmd(actor=BURGEMEESTER, huisverbod_id=_latest_huisverbod(h))),
    "through directe veiligheid": (
        "assign regisseur", "veiligheidsplan", "acute unsafety removed",
        "complete directe veiligheid"),
    "through risicogestuurde zorg": (
        "hulpverleningsplan", "resolve risk factor", "stable safety",
        "complete risicogestuurde zorg"),
    "through herstel": ("herstelplan", "complete herstelplan", "complete herstel"),
    "through the phases": (
        "assess: handover", "veiligheidsplan", "acute unsafety removed",
        "complete directe veiligheid", "hulpverleningsplan", "resolve risk factor",
        "stable safety", "complete risicogestuurde zorg", "herstelplan", "complete herstelplan",
        "complete herstel"),
    "a few hours pass": lambda h: h.advance(hours=5),
    "days pass": lambda h: h.advance(days=4),
    "a huisverbod runs out": lambda h: h.advance(days=11),
    "tick": lambda h: h.app.tick(),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=40))
def test_replay_equals_live_and_refusals_change_nothing(steps: list[str]) -> None:
    cases = DomainCases(SettableClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))
    h = Household(cases)
    h.melding()
    commands = [c for name in steps for c in (
        STEPS[name] if isinstance(STEPS[name], tuple) else (name,))]
    for name in commands:
        step = STEPS[name]
        assert callable(step)
        before = (h.case.version, h.case.state_dict())
        try:
            step(h)
        except InvalidCommand:
            raise  # the steps are well-formed: only the case may refuse them
        except HgkmError:
            assert (h.case.version, h.case.state_dict()) == before, name
            assert h.case.collect_events() == [], name
    assert h.case_id is not None
    assert cases.replayed(h.case_id).state_dict() == h.case.state_dict()
    assert len(cases.history[h.case_id]) == h.case.version
