"""Carry-over into a reopened case's new period only by a recorded decision (issue 14, part A).

A reopened case starts a new period with no regisseur, plan or open risk factor carried over
(``PeriodStarted``) — unless a decision in the new period, by an authorised actor, names what
is carried (regisseur, veiligheidsplan, risk factors) with its rationale.
"""

from __future__ import annotations

from typing import Any

import pytest

from hgkm_workflow import commands_period as cp
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.commands import validate_command
from hgkm_workflow.errors import HgkmError, InvalidCommand, RuleViolation
from tests.domain.driver import LT, LT_REGISSEUR, VT, DomainCases, Household, Result, refused


def carry(cases: DomainCases, data: dict[str, Any]) -> Result:
    cmd = validate_command(cp.CarryOverIntoPeriod, data)
    case = cases.cases[cmd.case_id]
    ctx = cases.context(cmd)
    _, names = cases._decide(case, ctx, lambda k: k.carry_over_into_period(cmd, ctx))
    return Result(case.id, case.version, names)


@pytest.fixture
def cases(clock: SettableClock) -> DomainCases:
    return DomainCases(clock)


def reopened(cases: DomainCases) -> Household:
    """A case closed in risicogestuurde zorg with an open risk factor, reopened 60 days later."""
    h = Household(cases)
    h.to_directe_veiligheid()
    cases.set_veiligheidsplan(h.cmd(actor=LT, voorwaarden=["geen_geweld", "contactverbod_naleven"]))
    h.through_directe_veiligheid()
    cases.set_hulpverleningsplan(h.cmd(actor=LT, risk_factors=["verslaving", "schulden"]))
    cases.close_case(h.cmd(actor=LT, reason="other", open_deadline_reason="moved away"))
    h.advance(days=60)
    h.melding()
    assert h.case.regie["regisseur"] is None and h.case.veiligheidsplan is None
    return h


def test_nothing_is_carried_without_a_decision(cases: DomainCases) -> None:
    h = reopened(cases)
    (previous,) = h.case.periods
    assert previous["regisseur"] == LT_REGISSEUR
    assert previous["open_risk_factors"] == ["schulden", "verslaving"]
    assert previous["veiligheidsplan"]["voorwaarden"] == ["contactverbod_naleven", "geen_geweld"]
    assert previous["last_version"] < h.case.version
    assert h.case.open_risk_factors == [] and h.case.regie["state"] == "unassigned"


def test_a_recorded_decision_carries_the_regisseur_plan_and_named_risk_factors(
    cases: DomainCases,
) -> None:
    h = reopened(cases)
    h.advance(hours=2)
    result = carry(cases, h.cmd(actor=VT, regisseur=True, veiligheidsplan=True,
                                risk_factors=["verslaving"],
                                rationale="same team, same conditions; the addiction persists"))
    assert result.events == ("PeriodCarryOverDecided",)
    event = cases.history[h.case_id][-1]
    assert event.from_period == 1 and event.regisseur == LT_REGISSEUR
    assert event.risk_factors == ["verslaving"] and event.actor == VT
    assert "recorded decision" in event.rule
    case = h.case
    assert case.regie["regisseur"] == LT_REGISSEUR and case.regie["state"] == "assigned"
    assert case.veiligheidsplan["voorwaarden"] == ["contactverbod_naleven", "geen_geweld"]
    assert case.veiligheidsplan["set_at"] == cases.clock.now()
    assert case.open_risk_factors == ["verslaving"]  # schulden was not named: not carried
    assert cases.replayed(h.case_id).state_dict() == case.state_dict()
    # the carried regisseur now holds casusregie: VT's handover becomes an offer to the new team
    h.assess("handover_local_team")
    assert case.phase == "directe_veiligheid" and case.dv_state == "plan_active"


def test_a_carried_risk_factor_can_be_resolved_in_the_new_period(cases: DomainCases) -> None:
    h = reopened(cases)
    carry(cases, h.cmd(actor=VT, regisseur=True, risk_factors=["schulden"]))
    h.assess("handover_local_team")
    h.advance(days=1)
    h.through_directe_veiligheid()
    assert h.case.phase == "risicogestuurde_zorg" and h.case.open_risk_factors == ["schulden"]
    # the new period's hulpverleningsplan keeps the carried factor beside its own
    cases.set_hulpverleningsplan(h.cmd(actor=LT, risk_factors=["verslaving"]))
    assert h.case.open_risk_factors == ["schulden", "verslaving"]
    cases.resolve_risk_factor(h.cmd(actor=LT, factor="schulden"))
    assert h.case.open_risk_factors == ["verslaving"]
    assert h.case.resolved_risk_factors == ["schulden"]


@pytest.mark.parametrize(("data", "code"), [
    ({"risk_factors": ["huisvesting"]}, "NOT_IN_PREVIOUS_PERIOD"),
])
def test_only_what_the_previous_period_ended_with_is_carried(
    cases: DomainCases, data: dict[str, Any], code: str,
) -> None:
    h = reopened(cases)
    err = refused(cases, lambda: carry(cases, h.cmd(**data)), RuleViolation)
    assert err.code == code and "recorded decision" in err.rule


def test_what_the_new_period_has_of_its_own_is_not_overwritten(cases: DomainCases) -> None:
    h = reopened(cases)
    h.assess("handover_local_team")  # the new period's own first regisseur
    cases.set_veiligheidsplan(h.cmd(actor=LT, voorwaarden=["geen_geweld"]))
    cases.set_hulpverleningsplan(h.cmd(actor=LT, risk_factors=["verslaving"]))
    for data, code in (({"regisseur": True}, "REGIE_ALREADY_IN_PERIOD"),
                       ({"veiligheidsplan": True}, "PLAN_ALREADY_IN_PERIOD"),
                       ({"risk_factors": ["verslaving"]}, "RISK_FACTOR_ALREADY_OPEN")):
        err = refused(cases, lambda data=data: carry(cases, h.cmd(**data)), RuleViolation)
        assert err.code == code


def test_a_case_never_reopened_has_nothing_to_carry(cases: DomainCases) -> None:
    h = Household(cases)
    h.to_directe_veiligheid()
    err = refused(cases, lambda: carry(cases, h.cmd(regisseur=True)), RuleViolation)
    assert err.code == "NO_PREVIOUS_PERIOD"


def test_the_decision_belongs_to_the_new_period(cases: DomainCases) -> None:
    h = reopened(cases)
    before = h.case.periods[0]["closed_at"]
    err = refused(cases, lambda: carry(cases, h.cmd(regisseur=True,
                                                    occurred_at=before.isoformat())),
                  HgkmError)
    assert err.code in ("OCCURRED_BEFORE_PERIOD", "OCCURRED_BEFORE_CASE")
    assert err.code == "OCCURRED_BEFORE_PERIOD"


def test_a_carry_over_names_something() -> None:
    with pytest.raises(InvalidCommand):
        validate_command(cp.CarryOverIntoPeriod, {
            "actor": VT, "rationale": "nothing", "case_id": "0b7f6d1e-95c4-4d43-9a62-3b1a6b0e0f11"})
