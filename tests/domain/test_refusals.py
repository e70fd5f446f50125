"""Refusals at the aggregate: every illegal command raises its typed error and changes nothing.

Each scenario drives a household case into a state, then issues commands that the transition
tables (or a named domain predicate) do not allow there. Every refusal must raise a typed
error (``TransitionNotAllowed`` naming the machine and state, or a ``RuleViolation`` with its
stable ``code``) and leave the case exactly as it was: the same state, no event triggered —
the aggregate decides before it triggers. That the application then stores nothing is tested
in ``tests/application/test_refusals.py``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import HgkmError, RuleViolation, TransitionNotAllowed
from hgkm_workflow.phases import ALL_TABLES
from tests.domain.driver import DomainCases, Household
from tests.domain.refusal_cases import (
    SCENARIOS,
    UNREACHABLE_BY_COMMAND,
    Expectation,
    Ids,
    Rule,
    Transition,
    _describe,
    check_error_shape,
)


@pytest.fixture
def cases(clock: SettableClock) -> DomainCases:
    return DomainCases(clock)


def refused_by_case(h: Household, method: str, data: Any, expect: Expectation) -> HgkmError:
    """Issue the command on the aggregate; check the error and that the case did not change."""
    case = h.case
    before, version = case.state_dict(), case.version
    with pytest.raises(HgkmError) as info:
        getattr(h.app, method)(data)
    exc = info.value
    check_error_shape(exc)
    if isinstance(expect, Transition):
        assert isinstance(exc, TransitionNotAllowed), (method, exc.code)
        assert (exc.machine, exc.trigger, exc.state) == (expect.machine, expect.trigger,
                                                         expect.state)
        assert exc.code == "TRANSITION_NOT_ALLOWED"
        assert expect.machine in exc.rule
    else:
        assert isinstance(exc, RuleViolation), (method, exc.code)
        assert exc.code == expect.code
    assert case.version == version and case.collect_events() == []
    assert case.state_dict() == before
    return exc


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_illegal_commands_are_refused_and_change_nothing(
    cases: DomainCases, scenario: str
) -> None:
    build, refusals = SCENARIOS[scenario]
    h = Household(cases)
    ids: Ids = {}
    build(h, ids)
    h.advance(minutes=30)
    for refusal in refusals:
        try:
            refused_by_case(h, refusal.method, refusal.data(h, ids), refusal.expect)
        except (AssertionError, pytest.fail.Exception) as exc:
            raise AssertionError(f"{_describe(scenario, refusal)}: {exc}") from None


def test_a_refused_command_leaves_the_case_able_to_take_the_next_one(
    cases: DomainCases,
) -> None:
    h = Household(cases)
    h.to_directe_veiligheid()
    refused_by_case(h, "close_case", h.cmd(reason="no_further_action_after_assessment"),
                    Rule("CLOSURE_REASON_NOT_ALLOWED"))
    h.app.set_veiligheidsplan(h.cmd(voorwaarden=["geen_geweld"]))
    assert h.case.veiligheidsplan is not None and h.case.veiligheidsplan["version"] == 2


def test_expectations_match_the_tables() -> None:
    """Each expected TransitionNotAllowed is one that the table itself does not allow."""
    tables = {t.name: t for t in ALL_TABLES}
    for scenario, (_, refusals) in SCENARIOS.items():
        for r in refusals:
            if isinstance(r.expect, Transition) and r.expect.machine in tables:
                table = tables[r.expect.machine]
                if r.expect.trigger in table.triggers():
                    state = table.states(r.expect.state)
                    assert not table.allows(state, r.expect.trigger), _describe(scenario, r)


def test_every_transition_table_has_refusals_driven_through_a_case() -> None:
    covered = {r.expect.machine for _, refusals in SCENARIOS.values() for r in refusals
               if isinstance(r.expect, Transition)}
    covered.add("advies")  # tests/application/test_refusals.py: converting an advies twice
    names = {t.name for t in ALL_TABLES}
    assert names - covered == set(UNREACHABLE_BY_COMMAND)
    assert covered - names == set()


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.name)
def test_each_table_refuses_every_trigger_it_does_not_list(table: Any) -> None:
    for state in table.states:
        for trigger in [*table.triggers(), "no_such_trigger"]:
            listed = bool(table.machine.get_transitions(trigger=trigger, source=state.value))
            assert table.allows(state, trigger) is listed
            if listed:
                assert table.next_state(state, trigger) in set(table.states)
                assert trigger in table.triggers_from(state)
                continue
            with pytest.raises(TransitionNotAllowed) as info:
                table.next_state(state, trigger)
            exc = info.value
            check_error_shape(exc)
            assert (exc.machine, exc.trigger, exc.state) == (table.name, trigger, state.value)
            assert trigger not in table.triggers_from(state)


def test_an_assessment_dated_before_its_melding_is_refused(cases: DomainCases) -> None:
    """A decision about a melding cannot be dated before the melding was received."""
    h = Household(cases)
    h.melding()
    h.advance(days=1)
    h.melding(melder_type="burger")  # a vervolgmelding: the case is older than the melding
    received = h.clock.now()
    h.advance(hours=1)
    early = (received - timedelta(minutes=30)).isoformat()
    for command, extra in (("complete_veiligheidsbeoordeling", {"outcome": "no_further_action"}),
                           ("inform_school", {})):
        exc = refused_by_case(h, command, h.cmd(melding_id=str(h.melding_id),
                                                occurred_at=early, **extra),
                              Rule("OCCURRED_BEFORE_MELDING"))
        assert early not in str(exc)
    # one second after the receipt is fine
    h.app.complete_veiligheidsbeoordeling(h.cmd(
        melding_id=str(h.melding_id), outcome="no_further_action",
        occurred_at=(received + timedelta(seconds=1)).isoformat()))
    assert h.case.meldingen[str(h.melding_id)]["state"] == "assessed"


def test_refusal_messages_name_no_person_details(cases: DomainCases) -> None:
    """Errors about persons refer to them by pseudonymous id only."""
    h = Household(cases)
    h.melding()
    stranger = UUID("00000000-0000-4000-8000-00000000abcd")
    exc = refused_by_case(h, "correct_person_role", h.cmd(person_id=str(stranger), role="victim"),
                          Rule("PERSON_NOT_IN_CASE"))
    assert exc.message == f"person {stranger} is not part of this household case"
    assert "victim" not in str(exc)
