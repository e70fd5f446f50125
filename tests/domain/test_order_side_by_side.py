"""Phases as goal-states: plans run side by side (issue 14, point 3).

Seed 000: interventions run "naast elkaar en in aanvulling op elkaar, in plaats van na elkaar";
seed 001: partners work "gelijktijdig en niet volgordelijk". A hulpverleningsplan or a
herstelplan may be set while directe veiligheid is the goal; the phase stays the goal and its
exit criteria stay. Outside the care phases (triage, waakvlam) plans are still refused.
"""

from __future__ import annotations

import pytest

from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import TransitionNotAllowed
from tests.domain.driver import LT, DomainCases, Household, refused


@pytest.fixture
def cases(clock: SettableClock) -> DomainCases:
    return DomainCases(clock)


def test_plans_of_later_phases_are_set_during_directe_veiligheid(cases: DomainCases) -> None:
    h = Household(cases)
    h.to_directe_veiligheid()
    dv_before = h.case.dv_state
    cases.set_hulpverleningsplan(h.cmd(actor=LT, risk_factors=["verslaving"]))
    cases.set_herstelplan(h.cmd(actor=LT, interventions=["traumabehandeling_kind"]))
    case = h.case
    assert case.phase == "directe_veiligheid"            # the goal is still directe veiligheid
    assert case.dv_state == dv_before != "acute_unsafety_removed"   # its own progress stays
    assert case.hulpverleningsplan is not None and case.open_risk_factors == ["verslaving"]
    # the exit criterion of directe veiligheid is unchanged: no leaving before it is met
    refused(cases, lambda: cases.complete_directe_veiligheid(h.cmd(actor=LT)),
            TransitionNotAllowed)
    h.through_directe_veiligheid()
    # entering risicogestuurde zorg, the plan set beside it counts
    assert h.case.phase == "risicogestuurde_zorg" and h.case.rz_state == "plan_active"
    refused(cases, lambda: cases.complete_risicogestuurde_zorg(h.cmd(actor=LT)),
            TransitionNotAllowed)
    cases.resolve_risk_factor(h.cmd(actor=LT, factor="verslaving"))
    cases.confirm_stable_safety(h.cmd(actor=LT))
    cases.complete_risicogestuurde_zorg(h.cmd(actor=LT))
    assert h.case.phase == "herstel" and h.case.herstel_state == "plan_active"
    assert cases.replayed(h.case_id).state_dict() == h.case.state_dict()


def test_plans_stay_refused_outside_the_care_phases(cases: DomainCases) -> None:
    h = Household(cases)
    h.melding()                                           # triage
    for method, data in (("set_hulpverleningsplan", {"risk_factors": ["ggz"]}),
                         ("set_herstelplan", {"interventions": ["herstelgesprek"]})):
        err = refused(cases, lambda m=method, d=data: getattr(cases, m)(  # type: ignore[misc]
            h.cmd(actor=LT, **d)), TransitionNotAllowed)
        assert isinstance(err, TransitionNotAllowed) and err.code == "TRANSITION_NOT_ALLOWED"


def test_a_completed_herstelplan_is_still_not_revised_within_herstel(cases: DomainCases) -> None:
    h = Household(cases)
    h.to_directe_veiligheid()
    h.through_directe_veiligheid()
    h.through_risicogestuurde_zorg()
    cases.set_herstelplan(h.cmd(actor=LT, interventions=["systeemtherapie"]))
    cases.complete_herstelplan(h.cmd(actor=LT))
    refused(cases, lambda: cases.set_herstelplan(h.cmd(actor=LT, interventions=["herstelgesprek"])),
            TransitionNotAllowed)
