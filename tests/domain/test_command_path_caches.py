"""The caches of the command path (issue 17 item 2) never weaken a rule.

* The screen of codes and rationales remembers only texts it found clean: a suspect text is
  refused every time it is given, also right after a clean one and after the memo is full.
* The authority policy's ``rules_for`` memo answers what the policy's rules say, per command
  and region, and a new policy (a changed one) starts with an empty memo.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hgkm_workflow import commands_base
from hgkm_workflow.authority import default_policy
from hgkm_workflow.commands import InformMelder, validate_command
from hgkm_workflow.errors import PersonalDataSuspected

SUSPECT = ["gebeld met 0612345678 over de melding", "adres is Dorpsstraat 12 volgens melder",
           "besproken op 3 januari 2025 met betrokkenen", "bsn 111222333 staat in dossier"]


def _inform(rationale: str, actor_id: str = "vt-medewerker-1") -> dict[str, object]:
    return {"actor": {"actor_id": actor_id, "organisation": "vt-rotterdam-rijnmond",
                      "role": "vt_medewerker"},
            "rationale": rationale, "case_id": str(uuid4()), "melding_id": str(uuid4())}


@pytest.mark.parametrize("text", SUSPECT)
def test_a_suspect_rationale_is_refused_every_time(text: str) -> None:
    validate_command(InformMelder, _inform("melder teruggebeld over de afloop"))
    for _ in range(3):  # never remembered: refused again and again
        with pytest.raises(PersonalDataSuspected):
            validate_command(InformMelder, _inform(text))
    assert text not in commands_base._CLEAN_CODES


def test_a_suspect_code_is_refused_after_clean_codes() -> None:
    validate_command(InformMelder, _inform("melder teruggebeld", actor_id="vt-1"))
    with pytest.raises(PersonalDataSuspected):
        validate_command(InformMelder, _inform("melder teruggebeld", actor_id="0612345678"))
    assert "0612345678" not in commands_base._CLEAN_CODES
    assert "vt-1" in commands_base._CLEAN_CODES


def test_a_clean_rationale_is_never_kept() -> None:
    # free text about a case is screened afresh every time, never held by the process
    validate_command(InformMelder, _inform("melder teruggebeld over de afloop, week 12"))
    assert "melder teruggebeld over de afloop, week 12" not in commands_base._CLEAN_CODES


def test_the_memo_is_bounded_and_a_full_memo_still_screens(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commands_base, "_CLEAN_MAX", 3)
    commands_base._CLEAN_CODES.clear()
    for i in range(10):
        validate_command(InformMelder, _inform("melder teruggebeld", actor_id=f"vt-{i}"))
        assert len(commands_base._CLEAN_CODES) <= 3
    with pytest.raises(PersonalDataSuspected):
        validate_command(InformMelder, _inform("melder teruggebeld", actor_id="0612345678"))


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=3, max_size=60))
def test_the_screen_with_its_memo_decides_as_the_screen_alone(text: str) -> None:
    from hgkm_workflow.privacy import find_identifying_data

    for _ in range(2):  # the second time may come from the memo
        try:
            validate_command(InformMelder, _inform(text))
            refused = False
        except PersonalDataSuspected:
            refused = True
        except Exception:  # other validation (length after stripping): not the screen's
            return
        assert refused == bool(find_identifying_data(text.strip()))


@settings(max_examples=60, deadline=None)
@given(st.from_regex(r"[a-z0-9][a-z0-9_.:-]{0,20}", fullmatch=True))
def test_the_code_screen_with_its_memo_decides_as_the_screen_alone(code: str) -> None:
    from hgkm_workflow.privacy import find_identifying_data

    for _ in range(2):  # the second time may come from the memo
        try:
            validate_command(InformMelder, _inform("melder teruggebeld", actor_id=code))
            refused = False
        except PersonalDataSuspected:
            refused = True
        assert refused == bool(find_identifying_data(code))


def test_rules_for_answers_what_the_rules_say() -> None:
    policy = default_policy()
    regions = [None, *policy.overrides, "no-such-region"]
    for command in policy.commands:
        for region in regions:
            first = policy.rules_for(command, region)
            assert policy.rules_for(command, region) is first  # memoised
            assert first == policy._find_rules(command, region)  # = the rules, unmemoised
            removed = policy.overrides[region].removed if region in policy.overrides else ()
            assert all(command in r.commands and r.id not in removed
                       for r in first if r in policy.rules)


def test_a_changed_policy_does_not_reuse_the_old_memo() -> None:
    policy = default_policy()
    command = "InformMelder"
    before = policy.rules_for(command, None)
    assert before
    narrowed = dataclasses.replace(policy, rules=tuple(r for r in policy.rules
                                                       if command not in r.commands))
    assert narrowed.rules_for(command, None) == ()
    assert policy.rules_for(command, None) == before


def test_working_days_memo_follows_a_changed_calendar() -> None:
    """A decree added to the calendar (``apply_calendar``) changes the count at once."""
    from hgkm_workflow.domain.calendar import WorkingDayCalendar
    from hgkm_workflow.domain.calendar_data import Decree

    plain = WorkingDayCalendar("memo-test")
    start = date(2029, 6, 4)  # a Monday; Friday 8 June 2029 is an ordinary working day
    before = plain.add_working_days(start, 5)
    assert before[0] == date(2029, 6, 11) and [s.date for s in before[1]] == [
        date(2029, 6, 9), date(2029, 6, 10)]
    decreed = plain.with_decree(Decree("Besluit (test)", (date(2029, 6, 8),), (2029,)))
    after = decreed.add_working_days(start, 5)
    assert after[0] == date(2029, 6, 12)  # the decreed Friday no longer counts
    assert date(2029, 6, 8) in [s.date for s in after[1]]
    assert plain.add_working_days(start, 5) == before  # the old calendar keeps its answer


@settings(max_examples=80, deadline=None)
@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
       st.integers(min_value=0, max_value=40))
def test_working_days_memo_counts_as_the_calendar_says(start: date, n: int) -> None:
    from hgkm_workflow.domain.calendar import default_calendar

    cal = default_calendar()
    for _ in range(2):  # the second answer comes from the memo
        day, skipped = cal.add_working_days(start, n)
        between = [start + timedelta(days=i) for i in range(1, (day - start).days + 1)]
        assert sum(cal.is_working_day(x) for x in between) == n
        assert n == 0 or cal.is_working_day(day)
        assert [s.date for s in skipped] == [x for x in between if not cal.is_working_day(x)]
