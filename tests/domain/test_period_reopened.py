"""A reopened case starts a new period (issue 14, point 4).

A case closed after the waakvlam and reopened months later by a new melding does not inherit
the closed period's casusregisseur, plans or open risk factors: ``PeriodStarted`` archives them
and the new period starts empty, so VT's handover assigns the new team as the first regisseur
rather than offering the case on behalf of a team that closed it.
"""

from __future__ import annotations

import pytest

from hgkm_workflow.clock import SettableClock
from tests.domain.driver import LT, LT2_REGISSEUR, LT_REGISSEUR, DomainCases, Household


@pytest.fixture
def cases(clock: SettableClock) -> DomainCases:
    return DomainCases(clock)


def closed_case(cases: DomainCases) -> Household:
    h = Household(cases)
    h.to_waakvlam()
    h.advance(days=30)
    cases.close_case(h.cmd(actor=LT, reason="waakvlam_completed"))
    assert h.case.phase == "closed"
    return h


def test_a_reopened_case_carries_no_regisseur_plan_or_risk_factor(cases: DomainCases) -> None:
    h = closed_case(cases)
    old = h.case
    assert old.regie["regisseur"]["organisation"] == "wijkteam-noord"
    assert old.hulpverleningsplan is not None and old.herstelplan is not None
    h.advance(days=120)
    h.melding()
    case = h.case
    names = cases.event_names(h.case_id)
    assert names.count("PeriodStarted") == 1 and names.index("PeriodStarted") < names.index(
        "MeldingReceived", names.index("PeriodStarted"))
    assert case.regie == {"state": "unassigned", "regisseur": None, "offered_to": None}
    assert case.veiligheidsplan is None and case.hulpverleningsplan is None
    assert case.herstelplan is None and case.open_risk_factors == []
    (previous,) = case.periods
    assert previous["number"] == 1 and previous["regisseur"]["organisation"] == "wijkteam-noord"
    assert previous["hulpverleningsplan_version"] == 1 and previous["closed_at"] is not None
    assert case.period_opened_at == cases.clock.now()
    assert cases.replayed(h.case_id).state_dict() == case.state_dict()


def test_vt_hands_the_new_period_to_the_new_team_as_its_first_regisseur(
    cases: DomainCases,
) -> None:
    h = closed_case(cases)
    h.advance(days=120)
    h.melding()
    h.assess("handover_local_team", handover_to=LT2_REGISSEUR)
    names = cases.event_names(h.case_id)
    tail = names[names.index("PeriodStarted"):]
    assert "CasusregisseurAssigned" in tail and "HandoverOffered" not in tail
    assert h.case.regie["regisseur"] == LT2_REGISSEUR
    assert h.case.regie["regisseur"] != LT_REGISSEUR
    # directe veiligheid starts on the new period's plan, not on the closed period's
    assert h.case.phase == "directe_veiligheid"
    plan = h.case.veiligheidsplan
    assert plan is None or plan["set_at"] >= h.case.period_opened_at


def test_a_second_reopening_archives_both_periods(cases: DomainCases) -> None:
    h = closed_case(cases)
    h.advance(days=60)
    h.melding()
    h.assess("handover_local_team")
    h.through_directe_veiligheid()
    cases.set_hulpverleningsplan(h.cmd(actor=LT, risk_factors=["schulden"]))
    h.advance(days=1)
    cases.loop_back(h.cmd(actor=LT, cause="new_incident"))
    cases.confirm_acute_unsafety_removed(h.cmd(actor=LT))
    cases.complete_directe_veiligheid(h.cmd(actor=LT))
    cases.close_case(h.cmd(actor=LT, reason="other", open_deadline_reason="moved away"))
    h.advance(days=60)
    h.melding()
    assert [p["number"] for p in h.case.periods] == [1, 2]
    assert h.case.periods[1]["open_risk_factors"] == ["schulden"]
    assert h.case.open_risk_factors == []
