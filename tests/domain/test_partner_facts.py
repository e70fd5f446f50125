"""The missing facts that start or meet a term (issue 14, point 5): T9 and T11.

T9 (help offered during a huisverbod, seed 001) is met only when both sides — the removed
person and someone who stayed at home — were offered help while the huisverbod was in force.
T11 (the stalking risk horizon, seed 001) starts on a recorded separation. Both are regional
and disabled nationally; a region enables them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hgkm_workflow.clock import SettableClock
from hgkm_workflow.domain.deadlines import default_rulebook
from hgkm_workflow.domain.rulebook import RuleOverride
from hgkm_workflow.errors import RuleViolation
from tests.domain.driver import BURGEMEESTER, LT, DomainCases, Household, refused


@pytest.fixture
def cases(clock: SettableClock) -> DomainCases:
    rules = default_rulebook().with_overrides(
        {"T9": RuleOverride(enabled=True), "T11": RuleOverride(enabled=True)},
        variant="region:test")
    return DomainCases(clock, rules=rules)


def deadline(h: Household, rule_id: str) -> dict[str, Any]:
    (d,) = [d for d in h.case.deadlines.values() if d["rule_id"] == rule_id]
    return d


def with_huisverbod(cases: DomainCases) -> Household:
    h = Household(cases)
    h.to_directe_veiligheid()
    h.advance(hours=4)
    r = cases.impose_huisverbod(h.cmd(actor=BURGEMEESTER, removed_person_id=str(h.perpetrator)))
    h.huisverbod_id = r.ids["huisverbod_id"]
    return h


def offer(cases: DomainCases, h: Household, person: object, **extra: Any) -> None:
    cases.record_huisverbod_help_offered(h.cmd(actor=LT, huisverbod_id=str(h.huisverbod_id),
                                               person_id=str(person), **extra))


def test_t9_is_met_only_when_both_sides_were_offered_help(cases: DomainCases) -> None:
    h = with_huisverbod(cases)
    assert deadline(h, "T9")["status"] == "open"
    h.advance(days=2)
    offer(cases, h, h.perpetrator)
    assert deadline(h, "T9")["status"] == "open"          # one side only
    h.advance(days=1)
    offer(cases, h, h.victim)
    d = deadline(h, "T9")
    assert d["status"] == "met" and d["met_at"] == cases.clock.now()
    h.advance(hours=1)
    offer(cases, h, h.child)                                  # a further offer changes nothing
    assert deadline(h, "T9")["met_at"] == cases.clock.now() - timedelta(hours=1)
    err = refused(cases, lambda: offer(cases, h, h.child), RuleViolation)
    assert isinstance(err, RuleViolation) and err.code == "HELP_ALREADY_OFFERED"
    assert cases.replayed(h.case_id).state_dict() == h.case.state_dict()


def test_help_is_offered_during_the_huisverbod_not_before_or_after(cases: DomainCases) -> None:
    h = with_huisverbod(cases)
    hv = h.case.huisverboden[str(h.huisverbod_id)]
    early = (hv["imposed_at"] - timedelta(hours=1)).isoformat()
    err = refused(cases, lambda: offer(cases, h, h.victim, occurred_at=early), RuleViolation)
    assert isinstance(err, RuleViolation) and err.code == "OCCURRED_BEFORE_HUISVERBOD"
    cases.clock.set(hv["ends_at"] + timedelta(days=1))
    late = (hv["ends_at"] + timedelta(hours=1)).isoformat()
    err = refused(cases, lambda: offer(cases, h, h.victim, occurred_at=late), RuleViolation)
    assert isinstance(err, RuleViolation) and err.code == "HUISVERBOD_EXPIRED"
    # dated inside the huisverbod, an offer registered afterwards is accepted
    offer(cases, h, h.victim, occurred_at=(hv["imposed_at"] + timedelta(days=8)).isoformat())
    assert h.case.huisverboden[str(h.huisverbod_id)]["help_offered_to"] == [str(h.victim)]


def test_a_recorded_separation_starts_the_stalking_horizon(cases: DomainCases) -> None:
    h = Household(cases)
    h.to_directe_veiligheid()
    assert [d for d in h.case.deadlines.values() if d["rule_id"] == "T11"] == []
    h.advance(days=3)
    cases.record_separation(h.cmd(actor=LT))
    d = deadline(h, "T11")
    assert d["start"] == cases.clock.now() and d["status"] == "open"
    assert d["due"] > cases.clock.now() + timedelta(days=2 * 365 - 2)
    assert h.case.separations == [{"at": cases.clock.now()}]
