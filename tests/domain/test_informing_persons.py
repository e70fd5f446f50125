"""Informing the persons concerned that a melding was made (issue 14, part A; T12).

A protocol term (meldcode stap 3, seed 002; Handelingsprotocol Veilig Thuis, seed 001),
disabled nationally and enabled per region by its rule data; met by a recorded command naming
who was informed (ids and roles only); stopped without a breach by the recorded decision that
informing is itself unsafe (seed 004).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hgkm_workflow import commands_period as cp
from hgkm_workflow.adapters.region_rules import regional_rulebook, rulebook_from_data
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.commands import validate_command
from hgkm_workflow.domain.deadlines import default_rulebook
from hgkm_workflow.errors import RuleViolation
from tests.domain.driver import LT, DomainCases, Household, Result, refused

COMMANDS = {"record_persons_concerned_informed": cp.RecordPersonsConcernedInformed,
            "record_informing_withheld": cp.RecordInformingWithheld}


def run(cases: DomainCases, name: str, data: dict[str, Any]) -> Result:
    """Decide one of this part's commands at the aggregate, as the driver does for the others."""
    cmd = validate_command(COMMANDS[name], data)
    case = cases.cases[cmd.case_id]
    ctx = cases.context(cmd)
    _, names = cases._decide(case, ctx, lambda k: getattr(k, name)(cmd, ctx))
    return Result(case.id, case.version, names)


@pytest.fixture
def cases(clock: SettableClock) -> DomainCases:
    # the region's rule book as its data ships it: T12 enabled
    return DomainCases(clock, rules=regional_rulebook("rotterdam-rijnmond"))


def t12(h: Household) -> dict[str, Any]:
    (d,) = [d for d in h.case.deadlines.values() if d["rule_id"] == "T12"]
    return d


def test_t12_is_disabled_nationally_and_enabled_by_the_regions_data(
    clock: SettableClock,
) -> None:
    national = DomainCases(clock)
    h = Household(national)
    h.melding()
    assert not [d for d in h.case.deadlines.values() if d["rule_id"] == "T12"]
    assert not default_rulebook().get("T12").enabled
    rule = regional_rulebook("rotterdam-rijnmond").get("T12")
    assert rule.enabled and rule.variant == "region:rotterdam-rijnmond" and rule.version == 2
    assert not regional_rulebook("hollands-midden").get("T12").enabled


def test_informing_meets_t12_and_records_ids_and_roles_only(cases: DomainCases) -> None:
    h = Household(cases)
    h.melding()
    d = t12(h)
    assert d["status"] == "open" and d["rule_type"] == "P"
    h.advance(days=2)
    result = run(cases, "record_persons_concerned_informed",
                 h.cmd(melding_id=str(h.melding_id), person_ids=[str(h.victim),
                                                                  str(h.perpetrator)]))
    assert result.events[0] == "PersonsConcernedInformed" and "DeadlineMet" in result.events
    assert t12(h)["status"] == "met"
    event = cases.history[h.case_id][-2]
    assert [p for p in event.persons] == [
        {"person_id": str(h.victim), "role": "victim"},
        {"person_id": str(h.perpetrator), "role": "alleged_perpetrator"}]
    assert set(vars(event)) >= {"actor", "at", "rationale", "rule"} and "T12" in event.rule
    assert cases.replayed(h.case_id).state_dict() == h.case.state_dict()


def test_informing_late_is_recorded_as_late(cases: DomainCases) -> None:
    h = Household(cases)
    h.melding()
    h.advance(days=14)
    run(cases, "record_persons_concerned_informed",
        h.cmd(melding_id=str(h.melding_id), person_ids=[str(h.victim)]))
    assert t12(h)["status"] == "met_late" and t12(h)["late_seconds"] > 0


def test_withholding_in_time_stops_t12_without_a_breach(cases: DomainCases) -> None:
    h = Household(cases)
    h.melding()
    h.advance(days=1)
    run(cases, "record_informing_withheld",
        h.cmd(actor=LT, melding_id=str(h.melding_id),
              person_ids=[str(h.victim), str(h.perpetrator)],
              rationale="telling the alleged perpetrator now would endanger the victim"))
    d = t12(h)
    assert d["status"] == "closed_unmet" and d["breached_at"] is None
    assert "informing is itself unsafe" in d["closed_reason"]
    h.advance(days=30)
    assert not [t for t in cases.tick() if t.rule_id == "T12"]  # nothing left to breach
    withheld = h.case.meldingen[str(h.melding_id)]["informing_withheld"]
    assert {p["person_id"] for p in withheld} == {str(h.victim), str(h.perpetrator)}
    # once it is safe, a person withheld may still be informed
    run(cases, "record_persons_concerned_informed",
        h.cmd(melding_id=str(h.melding_id), person_ids=[str(h.victim)]))
    assert cases.replayed(h.case_id).state_dict() == h.case.state_dict()


def test_withholding_after_the_due_instant_keeps_the_breach(cases: DomainCases) -> None:
    h = Household(cases)
    h.melding()
    h.advance(days=14)
    run(cases, "record_informing_withheld",
        h.cmd(melding_id=str(h.melding_id), person_ids=[str(h.perpetrator)]))
    d = t12(h)
    assert d["status"] == "closed_unmet" and d["breached_at"] is not None


def test_withholding_after_someone_was_informed_leaves_t12_met(cases: DomainCases) -> None:
    h = Household(cases)
    h.melding()
    run(cases, "record_persons_concerned_informed",
        h.cmd(melding_id=str(h.melding_id), person_ids=[str(h.victim)]))
    run(cases, "record_informing_withheld",
        h.cmd(melding_id=str(h.melding_id), person_ids=[str(h.perpetrator)]))
    assert t12(h)["status"] == "met"


def test_refusals_store_nothing(cases: DomainCases) -> None:
    h = Household(cases)
    h.melding()
    run(cases, "record_persons_concerned_informed",
        h.cmd(melding_id=str(h.melding_id), person_ids=[str(h.victim)]))
    again = refused(cases, lambda: run(cases, "record_persons_concerned_informed", h.cmd(
        melding_id=str(h.melding_id), person_ids=[str(h.victim)])), RuleViolation)
    assert again.code == "PERSON_ALREADY_INFORMED"
    informed = refused(cases, lambda: run(cases, "record_informing_withheld", h.cmd(
        melding_id=str(h.melding_id), person_ids=[str(h.victim)])), RuleViolation)
    assert informed.code == "PERSON_ALREADY_INFORMED"
    stranger = refused(cases, lambda: run(cases, "record_persons_concerned_informed", h.cmd(
        melding_id=str(h.melding_id),
        person_ids=["0b7f6d1e-95c4-4d43-9a62-3b1a6b0e0f11"])), RuleViolation)
    assert stranger.code == "PERSON_NOT_IN_CASE"
    h.advance(days=1)
    h.melding()  # a vervolgmelding; informing about it cannot precede its receipt
    early = refused(cases, lambda: run(cases, "record_persons_concerned_informed", h.cmd(
        melding_id=str(h.melding_id), person_ids=[str(h.child)],
        occurred_at=(cases.clock.now() - timedelta(hours=1)).isoformat())), RuleViolation)
    assert early.code == "OCCURRED_BEFORE_MELDING"


def test_region_data_without_a_source_is_refused() -> None:
    with pytest.raises(RuleViolation) as info:
        rulebook_from_data({"region": "x", "overrides": {"T12": {"enabled": True}}})
    assert info.value.code == "INVALID_RULE"
    with pytest.raises(RuleViolation) as statutory:
        rulebook_from_data({"region": "x", "overrides": {"T1": {"length": 9, "source": "s"}}})
    assert statutory.value.code == "STATUTORY_RULE_NOT_OVERRIDABLE"


def test_every_shipped_region_file_loads_and_names_its_sources() -> None:
    from hgkm_workflow.adapters.region_rules import region_override_files

    files = region_override_files()
    assert "rotterdam-rijnmond" in files
    for region in files:
        book = regional_rulebook(region)
        changed = [r for r in book if r.variant != "national"]
        assert changed and all(r.variant == f"region:{region}" for r in changed)
