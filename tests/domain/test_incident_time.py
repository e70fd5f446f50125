"""Handle with Care (T10) counted from the incident the melding reports (issue 14, part A).

Seed 001, footnote 14: "binnen 24 uur na een ingrijpend geweldsincident thuis". A melding may
give the incident's time; T10 then runs from it, and from the receipt only when it gives none.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.domain.deadlines import RuleOverride, default_rulebook
from hgkm_workflow.domain.incident import MAX_INCIDENT_AGE
from hgkm_workflow.errors import RuleViolation
from tests.domain.driver import DomainCases, Household, refused


@pytest.fixture
def cases(clock: SettableClock) -> DomainCases:
    return DomainCases(clock)


def t10(case: HouseholdCase) -> dict:
    (d,) = [d for d in case.deadlines.values() if d["rule_id"] == "T10"]
    return d


def test_t10_counts_from_the_incident_the_melding_gives(cases: DomainCases) -> None:
    h = Household(cases)
    received = cases.clock.now()
    incident = received - timedelta(hours=7)
    h.melding(incident_at=incident.isoformat())
    d = t10(h.case)
    assert d["start"] == incident
    assert d["due"] == incident + timedelta(hours=24)
    assert d["due"] < received + timedelta(hours=24)
    assert d["counting"].startswith("counted from the incident time given on the melding")
    assert h.case.meldingen[str(h.melding_id)]["incident_at"] == incident
    assert h.case.meldingen[str(h.melding_id)]["received_at"] == received
    # T1 still counts from the receipt: only T10 answers the incident
    (t1,) = [d for d in h.case.deadlines.values() if d["rule_id"] == "T1"]
    assert t1["start"] == received
    assert cases.replayed(h.case_id).state_dict() == h.case.state_dict()


def test_without_an_incident_time_t10_counts_from_the_receipt_and_says_so(
    cases: DomainCases,
) -> None:
    h = Household(cases)
    received = cases.clock.now()
    h.melding()
    d = t10(h.case)
    assert d["start"] == received and d["due"] == received + timedelta(hours=24)
    assert "receipt of the melding (it gives no incident time)" in d["counting"]
    assert h.case.meldingen[str(h.melding_id)]["incident_at"] is None


def test_an_incident_late_the_night_before_is_overdue_sooner(cases: DomainCases) -> None:
    h = Household(cases)
    incident = cases.clock.now() - timedelta(hours=23)
    h.melding(incident_at=incident.isoformat())
    h.advance(hours=2)
    (tick,) = [t for t in cases.tick() if t.rule_id == "T10"]
    assert tick.kind == "breach"
    assert tick.due == incident + timedelta(hours=24)


def test_an_incident_after_the_receipt_is_refused(cases: DomainCases) -> None:
    h = Household(cases)
    h.melding()  # an open case, so that the refusal can be seen to store nothing
    later = cases.clock.now() + timedelta(minutes=1)
    err = refused(cases, lambda: h.melding(incident_at=later.isoformat()), RuleViolation)
    assert err.code == "INCIDENT_AFTER_RECEIPT" and "T10" in err.rule


def test_the_receipt_is_business_time_not_the_clock(cases: DomainCases) -> None:
    # a melding registered late: received yesterday, the incident an hour after that receipt
    h = Household(cases)
    h.melding()
    received = cases.clock.now() - timedelta(days=1)
    incident = received + timedelta(hours=1)
    err = refused(cases, lambda: h.melding(occurred_at=received.isoformat(),
                                           incident_at=incident.isoformat()), RuleViolation)
    assert err.code == "INCIDENT_AFTER_RECEIPT"


def test_an_implausibly_old_incident_is_refused(cases: DomainCases) -> None:
    h = Household(cases)
    h.melding()
    old = cases.clock.now() - MAX_INCIDENT_AGE - timedelta(seconds=1)
    err = refused(cases, lambda: h.melding(incident_at=old.isoformat()), RuleViolation)
    assert err.code == "INCIDENT_TOO_OLD"
    # exactly at the bound is still accepted
    h.melding(incident_at=(cases.clock.now() - MAX_INCIDENT_AGE).isoformat())


def test_a_region_may_count_t10_from_the_receipt(clock: SettableClock) -> None:
    rules = default_rulebook().with_overrides(
        {"T10": RuleOverride(counts_from="MeldingReceived")}, variant="region:test")
    cases = DomainCases(clock, rules=rules)
    h = Household(cases)
    received = cases.clock.now()
    h.melding(incident_at=(received - timedelta(hours=5)).isoformat())
    d = t10(h.case)
    assert d["start"] == received and d["rule_variant"] == "region:test"
    assert "incident" not in d["counting"]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seconds=st.integers(min_value=0, max_value=int(MAX_INCIDENT_AGE.total_seconds())))
def test_t10_is_due_24_hours_after_any_plausible_incident(
    clock: SettableClock, seconds: int,
) -> None:
    cases = DomainCases(clock)
    h = Household(cases)
    incident = clock.now() - timedelta(seconds=seconds)
    h.melding(incident_at=incident.isoformat())
    d = t10(h.case)
    assert d["start"] == incident and d["due"] - d["start"] == timedelta(hours=24)
    assert cases.replayed(h.case_id).state_dict() == h.case.state_dict()


def test_a_version_1_melding_event_upcasts_to_no_incident_time() -> None:
    state = {"melding_id": "m", "reopened": False}
    HouseholdCase.MeldingReceived.upcast_v1_v2(state)
    assert state["incident_at"] is None
    assert HouseholdCase.MeldingReceived.class_version == 2
    assert HouseholdCase.MeldingReceived.__qualname__ == "HouseholdCase.MeldingReceived"
