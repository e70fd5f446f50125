"""What came first: a decision may not be dated before the fact it answers (issue 14, point 1).

A contact address (T8) or an extension dated before the huisverbod was imposed, an acceptance
dated before the offer, a response dated before the plegeraanbod, a resolved risk factor
dated before it was opened, leaving a phase dated before it was entered: each is refused with
``OCCURRED_BEFORE_<FACT>`` (rule ``business-time``) and changes nothing. The same decision
dated at or after the fact is accepted — the check is the business-time order, nothing else.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hgkm_workflow import commands as c
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.domain.antecedents import ANTECEDENTS, Fact
from hgkm_workflow.errors import RuleViolation
from tests.domain.driver import (
    BURGEMEESTER,
    CASE_COMMANDS,
    LT,
    LT2_REGISSEUR,
    DomainCases,
    Household,
    refused,
)


@pytest.fixture
def cases(clock: SettableClock) -> DomainCases:
    return DomainCases(clock)


def iso(at: datetime) -> str:
    return at.isoformat()


def before_code(cases: DomainCases, method: str, data: dict[str, object]) -> str:
    err = refused(cases, lambda: getattr(cases, method)(data), RuleViolation)
    assert isinstance(err, RuleViolation)
    assert err.rule == "business-time"
    return err.code


def with_huisverbod(cases: DomainCases) -> tuple[Household, datetime]:
    h = Household(cases)
    h.to_directe_veiligheid()
    h.advance(hours=2)
    imposed = cases.clock.now()
    r = cases.impose_huisverbod(h.cmd(actor=BURGEMEESTER, removed_person_id=str(h.perpetrator)))
    h.huisverbod_id = r.ids["huisverbod_id"]
    h.advance(days=1)
    return h, imposed


def test_contact_address_dated_before_the_imposition_is_refused(cases: DomainCases) -> None:
    h, imposed = with_huisverbod(cases)
    hv = {"huisverbod_id": str(h.huisverbod_id)}
    early = iso(imposed - timedelta(minutes=30))
    assert before_code(cases, "record_contact_address_given",
                       h.cmd(actor=BURGEMEESTER, occurred_at=early, **hv)) \
        == "OCCURRED_BEFORE_HUISVERBOD"
    t8 = next(d for d in h.case.deadlines.values() if d["rule_id"] == "T8")
    assert t8["status"] == "open"               # T8 is not met before it started
    cases.record_contact_address_given(h.cmd(actor=BURGEMEESTER, occurred_at=iso(imposed), **hv))
    t8 = next(d for d in h.case.deadlines.values() if d["rule_id"] == "T8")
    assert t8["status"] == "met" and t8["met_at"] == imposed


def test_extension_and_revocation_dated_before_the_imposition_are_refused(
    cases: DomainCases,
) -> None:
    h, imposed = with_huisverbod(cases)
    hv = {"huisverbod_id": str(h.huisverbod_id)}
    early = iso(imposed - timedelta(hours=1))
    new_end = iso(imposed + timedelta(days=20))
    assert before_code(cases, "extend_huisverbod", h.cmd(
        actor=BURGEMEESTER, occurred_at=early, new_end=new_end, **hv)) \
        == "OCCURRED_BEFORE_HUISVERBOD"
    assert before_code(cases, "revoke_huisverbod", h.cmd(
        actor=BURGEMEESTER, occurred_at=early, **hv)) == "OCCURRED_BEFORE_HUISVERBOD"
    cases.extend_huisverbod(h.cmd(actor=BURGEMEESTER, new_end=new_end, **hv))
    assert h.case.huisverboden[str(h.huisverbod_id)]["state"] == "extended"


def test_accepting_a_handover_dated_before_the_offer_is_refused(cases: DomainCases) -> None:
    h = Household(cases)
    h.to_directe_veiligheid()
    h.advance(days=2)
    offered = cases.clock.now()
    cases.offer_handover(h.cmd(actor=LT, to=LT2_REGISSEUR))
    h.advance(hours=3)
    early = iso(offered - timedelta(hours=1))
    lt2 = {"actor_id": "lt-044", "organisation": "wijkteam-zuid", "role": "lokaal_team"}
    for method in ("accept_handover", "decline_handover"):
        assert before_code(cases, method, h.cmd(actor=lt2, occurred_at=early)) \
            == "OCCURRED_BEFORE_OFFER"
    assert before_code(cases, "withdraw_handover", h.cmd(actor=LT, occurred_at=early)) \
        == "OCCURRED_BEFORE_OFFER"
    cases.accept_handover(h.cmd(actor=lt2, occurred_at=iso(offered + timedelta(hours=1))))
    assert h.case.regie["regisseur"]["organisation"] == "wijkteam-zuid"


def test_a_response_before_the_plegeraanbod_and_a_return_before_the_escalation_are_refused(
    cases: DomainCases,
) -> None:
    h = Household(cases)
    h.to_directe_veiligheid()
    h.advance(days=1)
    offered = cases.clock.now()
    cases.offer_plegeraanbod(h.cmd(actor=LT, person_id=str(h.perpetrator)))
    cases.escalate_to_mda(h.cmd(actor=LT))
    h.advance(days=1)
    early = iso(offered - timedelta(minutes=1))
    assert before_code(cases, "respond_to_plegeraanbod", h.cmd(
        actor=LT, person_id=str(h.perpetrator), accepted=True, occurred_at=early)) \
        == "OCCURRED_BEFORE_PLEGERAANBOD"
    assert before_code(cases, "return_to_local_team", h.cmd(actor=LT, occurred_at=early)) \
        == "OCCURRED_BEFORE_ESCALATION"
    cases.respond_to_plegeraanbod(h.cmd(actor=LT, person_id=str(h.perpetrator), accepted=True,
                                        occurred_at=iso(offered)))
    assert h.case.plegeraanbod[str(h.perpetrator)]["accepted"] is True


def test_a_risk_factor_cannot_be_resolved_before_it_was_opened(cases: DomainCases) -> None:
    h = Household(cases)
    h.to_directe_veiligheid()
    h.through_directe_veiligheid()
    h.advance(days=3)
    cases.set_hulpverleningsplan(h.cmd(actor=LT, risk_factors=["verslaving"]))
    h.advance(days=3)
    opened = cases.clock.now()
    cases.open_risk_factor(h.cmd(actor=LT, factor="schulden"))
    h.advance(days=3)
    early = iso(opened - timedelta(days=1))
    assert before_code(cases, "resolve_risk_factor",
                       h.cmd(actor=LT, factor="schulden", occurred_at=early)) \
        == "OCCURRED_BEFORE_RISK_FACTOR"
    # the factor of the plan was open since the plan: resolving it on that day is fine
    cases.resolve_risk_factor(h.cmd(actor=LT, factor="verslaving", occurred_at=early))
    assert h.case.open_risk_factors == ["schulden"]


def test_leaving_a_phase_dated_before_it_was_entered_is_refused(cases: DomainCases) -> None:
    h = Household(cases)
    h.melding()
    h.advance(days=1)
    h.assess("handover_local_team")
    entered = h.case.phase_entered_at
    h.advance(days=2)
    cases.confirm_acute_unsafety_removed(h.cmd(actor=LT))
    early = iso(entered - timedelta(minutes=5))
    assert before_code(cases, "complete_directe_veiligheid",
                       h.cmd(actor=LT, occurred_at=early)) == "OCCURRED_BEFORE_PHASE"
    assert before_code(cases, "take_crisis_measure", h.cmd(
        actor=LT, measure="crisisopvang",
        occurred_at=iso(h.case.opened_at - timedelta(days=1)))) == "OCCURRED_BEFORE_CASE"
    cases.complete_directe_veiligheid(h.cmd(actor=LT, occurred_at=iso(entered)))
    assert h.case.phase == "risicogestuurde_zorg"


def test_every_declared_command_is_a_case_decision_and_every_fact_has_a_code() -> None:
    decided = set(CASE_COMMANDS.values())
    assert set(ANTECEDENTS) <= decided
    assert {f.code for f in Fact} >= {"OCCURRED_BEFORE_HUISVERBOD", "OCCURRED_BEFORE_OFFER",
                                      "OCCURRED_BEFORE_CASE", "OCCURRED_BEFORE_MELDING",
                                      "OCCURRED_BEFORE_PLAN", "OCCURRED_BEFORE_PHASE"}
    # the guard wraps every public decision once (the mechanism is written once)
    for method in ("extend_huisverbod", "accept_handover", "close", "impose_huisverbod"):
        assert getattr(getattr(HouseholdCase, method), "__answers_antecedents__", False)
    assert c.ExtendHuisverbod in ANTECEDENTS and c.AcceptHandover in ANTECEDENTS
