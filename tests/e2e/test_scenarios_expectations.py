"""The scenario language's newer expectations and inputs fail when they are wrong (issue 14, 6).

Each test takes a library scenario (examples/scenarios/45, 46, 50-54), changes one expectation or
input so that it is wrong, and checks that the run fails at that step with the expectation's
name, what was expected and what was found — in scenario names, never ids — or that the file
is refused with its line. The library itself (tests/e2e/test_scenarios.py) shows that the
right expectations hold on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from hgkm_workflow.scenario import (
    Failure,
    ScenarioFileError,
    ScenarioResult,
    parse_scenario,
    run_scenario,
)

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "examples" / "scenarios"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(autouse=True)
def _scratch_under_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A scenario run without a store URL makes a temporary store: under tmp_path here."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def _text(name: str) -> str:
    return next(SCENARIOS.glob(f"{name}-*.yaml")).read_text(encoding="utf-8")


def _changed(name: str, old: str, new: str) -> str:
    text = _text(name)
    assert old in text, old
    return text.replace(old, new, 1)


def _run(text: str, *, reload_run: bool = False) -> ScenarioResult:
    return run_scenario(parse_scenario(text, "changed.yaml"), reload_run=reload_run)


def _only(result: ScenarioResult) -> Failure:
    assert len(result.failures) == 1, result.report()
    failure = result.failures[0]
    assert not _UUID.search(result.report()), "a failure report shows an id"
    return failure


def _error(text: str, source: str = "bad.yaml") -> ScenarioFileError:
    with pytest.raises(ScenarioFileError) as info:
        parse_scenario(text, source)
    return info.value


def _line_of(text: str, fragment: str) -> int:
    return text[:text.index(fragment)].count("\n") + 1


# ------------------------------------------------------------------ history of the case


def test_a_wrong_partner_track_fails_naming_the_track_and_what_was_found() -> None:
    text = _changed(
        "46", "        - {kind: protection_order, state: ended, outcome: followed_outside_case}\n",
        "        - {kind: protection_order, state: open}\n")
    failure = _only(_run(text))
    assert failure.what == "partner_tracks[2] (protection_order).state"
    assert (failure.expected, failure.actual) == ("open", "ended")
    assert failure.command == "end_partner_track"


def test_a_wrong_procesregie_holder_fails() -> None:
    text = _changed("45", "      procesregie: null\n", "      procesregie: mda_kernteam\n")
    failure = _only(_run(text))
    assert (failure.what, failure.expected, failure.actual) == (
        "procesregie", "mda_kernteam", None)
    assert failure.command == "hand_back_procesregie"



def test_a_wrong_phase_history_fails_naming_the_step_and_what_was_found() -> None:
    text = _changed("50", "      phase_history: [triage, directe_veiligheid]\n",
                    "      phase_history: [triage, risicogestuurde_zorg]\n")
    failure = _only(_run(text))
    assert failure.what == "phase_history"
    assert failure.expected == ["triage", "risicogestuurde_zorg"]
    assert failure.actual == ["triage", "directe_veiligheid"]
    assert (failure.step, failure.command) == (4, "complete_vt_service")
    assert failure.line == _line_of(text, "      phase_history: [triage, risicogestuurde_zorg]")


def test_a_wrong_time_in_phase_or_way_in_fails_with_the_time_found() -> None:
    text = _changed("50", "        risicogestuurde_zorg: 10d\n      phase_history:",
                    "        risicogestuurde_zorg: 9d\n      phase_history:")
    text = text.replace("how: loop_back, time: 5d12h}", "how: phase_completed, time: 5d12h}")
    result = _run(text)
    found = {(f.what, f.expected, f.actual) for f in result.failures}
    assert found == {
        ("time_in_phase.risicogestuurde_zorg", "9d", "10d"),
        ("phase_history[3] (directe_veiligheid).how", "phase_completed", "loop_back"),
    }, result.report()


def test_a_wrong_role_history_fails_and_a_correction_is_not_a_melding() -> None:
    text = _changed("50", "          - {role: alleged_perpetrator, source: correction}",
                    "          - {role: alleged_perpetrator, source: melding}")
    failure = _only(_run(text))
    assert failure.what == "role_history.moeder[1]"
    assert failure.expected == {"role": "alleged_perpetrator", "source": "melding"}
    assert failure.actual == {"role": "alleged_perpetrator", "source": "correction"}


def test_the_role_recorded_at_a_later_melding_is_part_of_the_history() -> None:
    text = _changed("50", "        kind: [child, child]", "        kind: [child]")
    failure = _only(_run(text))
    assert (failure.what, failure.expected, failure.actual) == (
        "role_history.kind", ["child"], ["child", "child"])


def test_wrong_crisis_measures_and_plegeraanbod_fail() -> None:
    text = _changed("51", "      crisis_measures: [politie_inzet, huisverbod]\n",
                    "      crisis_measures: [politie_inzet]\n")
    text = text.replace("expect: {plegeraanbod: {vader: declined}}",
                        "expect: {plegeraanbod: {vader: accepted}}")
    result = _run(text)
    found = {(f.what, str(f.expected), str(f.actual)) for f in result.failures}
    assert found == {
        ("crisis_measures", "['politie_inzet']", "['politie_inzet', 'huisverbod']"),
        ("plegeraanbod.vader", "accepted", "declined"),
    }, result.report()


def test_the_instant_of_a_crisis_measure_is_compared() -> None:
    text = _changed("51", "at: 2026-10-02T23:50:00+02:00", "at: 2026-10-02T23:40:00+02:00")
    failure = _only(_run(text))
    assert failure.what == "crisis_measures[0] (politie_inzet).at"
    assert failure.actual == "2026-10-02T23:50+02:00"


# ------------------------------------------------------------------ matching and classification


def test_a_wrong_basis_of_a_hermelding_fails_in_scenario_names() -> None:
    text = _changed("52", "household: eerste,\n                  involvement: 1",
                    "household: derde,\n                  involvement: 1")
    failure = _only(_run(text))
    assert (failure.what, failure.expected, failure.actual) == (
        "classification.m2.basis.household", "derde", "eerste")


def test_the_engine_choosing_another_case_than_expected_fails() -> None:
    text = _changed("52", "      matched: tweede\n", "      matched: new\n")
    failure = _only(_run(text))
    assert (failure.what, failure.expected, failure.actual) == ("matched", "new", "tweede")


def test_a_household_whose_case_the_engine_does_not_choose_fails() -> None:
    # the melding about persons nobody knows is written for the household that has a case
    text = _changed("52", "  - household: derde\n    after: 1d\n",
                    "  - household: tweede\n    after: 1d\n")
    text = text.replace("      matched: new\n      meldingen: 1\n      classification: {m4",
                        "      classification: {m4")
    result = _run(text)
    assert [(f.what, f.actual) for f in result.failures] == [
        ("household", "the engine chose: new")], result.report()


@pytest.mark.parametrize(("old", "new", "words"), [
    ("      case: engine\n      melding: m1\n", "      melding: m1\n",
     "'matched' belongs to a melding with 'case: engine'"),
    ("    with: {melding: m1, outcome: no_further_action}",
     "    with: {melding: m1, outcome: no_further_action, case: engine}",
     "'case: engine' belongs to receive_melding"),
    ("      matched: tweede\n", "      matched: vierde\n", "unknown household 'vierde'"),
    ("basis: {person: vader, role", "basis: {person: opa, role", "unknown person 'opa'"),
    ("persons_counted: 2\n", "persons_count: 2\n", "unknown key(s): 'persons_count'"),
])
def test_misplaced_matching_and_basis_keys_are_refused_with_the_line(old: str, new: str,
                                                                    words: str) -> None:
    text = _changed("52", old, new)
    err = _error(text)
    assert words in err.message, err.message
    assert err.line is not None and err.message.startswith(f"bad.yaml:{err.line}: ")


# ------------------------------------------------------------------ regional rules, decree


def test_the_regional_rules_decide_the_due_instants() -> None:
    text = _changed("53", "  T5: {length: 3}\n", "")
    result = _run(text)
    t5 = [f for f in result.failures if f.what.startswith("deadlines[T5]")]
    assert {f.what for f in t5} == {"deadlines[T5].due", "deadlines[T5].rule_version"}
    assert next(f for f in t5 if f.what.endswith(".due")).actual.startswith("2026-11-12")


def test_a_statutory_rule_cannot_be_overridden_in_a_scenario() -> None:
    text = _changed("53", "  T5: {length: 3}\n", "  T5: {length: 3}\n  T1: {length: 10}\n")
    err = _error(text)
    assert "STATUTORY_RULE_NOT_OVERRIDABLE" in err.message
    assert err.line == _line_of(text, "  T1: {length: 10}")


@pytest.mark.parametrize(("override", "words"), [
    ("{colour: red}", "unknown key(s): 'colour'"),
    ("{}", "rules/T5"),
])
def test_a_bad_override_is_refused_with_the_line(override: str, words: str) -> None:
    text = _changed("53", "  T5: {length: 3}\n", f"  T5: {override}\n")
    err = _error(text)
    assert words in err.message and err.line == _line_of(text, f"  T5: {override}")


def test_a_regional_rules_file_beside_the_scenario(tmp_path: Path) -> None:
    rules = tmp_path / "regio.rules.yml"
    rules.write_text("region: rotterdam-rijnmond\nrules:\n  T5: {length: 3}\n", encoding="utf-8")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(_changed("53", "  T5: {length: 3}\n", "").replace(
        "rules:\n", "rules_file: regio.rules.yml\nrules:\n"), encoding="utf-8")
    result = run_scenario(scenario, reload_run=False)
    assert result.ok, result.report()
    rules.write_text("rules:\n  T5: {length: 3}\nextra: 1\n", encoding="utf-8")
    with pytest.raises(ScenarioFileError) as info:
        run_scenario(scenario, reload_run=False)
    assert info.value.message.startswith(f"{rules}:3: unknown key 'extra'")
    rules.write_text("rules:\n  T6: {length: 14}\n", encoding="utf-8")
    with pytest.raises(ScenarioFileError) as info:
        run_scenario(scenario, reload_run=False)
    assert f"{rules}:2:" in info.value.message
    assert "STATUTORY_RULE_NOT_OVERRIDABLE" in info.value.message


def test_a_wrong_expectation_of_what_the_decree_moved_fails() -> None:
    text = _changed("53", "        - {rule: T1, household: tweede}\n", "")
    failure = _only(_run(text))
    assert failure.what == "rescheduled"
    assert failure.expected == ["T1 (eerste)"]
    assert failure.actual == ["T1 (eerste)", "T1 (tweede)"]


def test_the_reloaded_run_keeps_the_published_calendar() -> None:
    assert _run(_text("53"), reload_run=True).ok


@pytest.mark.parametrize(("old", "new", "words"), [
    ("      dates: [2026-11-06]\n      years", "      dates: [2026-05-15]\n      years",
     "DECREE_ALREADY_PRESENT"),
    ("      dates: [2026-11-06]\n      years", "      dates: [2026-11-06]\n      day: 1\n"
     "      years", "publish_decree takes decree, dates and years"),
    ("      years: [2026]\n", "      years: [2027]\n", "INVALID_DECREE"),
])
def test_a_bad_decree_is_refused_with_the_line(old: str, new: str, words: str) -> None:
    err = _error(_changed("53", old, new))
    assert words in err.message and err.line is not None, err.message


# ------------------------------------------------------------------ monitor figures


def test_wrong_monitor_figures_fail_with_what_the_scenario_added() -> None:
    text = _changed("54", "          classification.hermelding: 1/3\n",
                    "          classification.hermelding: 2/3\n          meldingen.unknown: 1\n")
    text = text.replace("          meldingen: 3\n", "          meldingen: 4\n")
    result = _run(text)
    found = {(f.what, f.expected, f.actual) for f in result.failures}
    assert found == {("monitor.meldingen", 4, 3),
                     ("monitor.classification.hermelding", "2/3", "1/3"),
                     ("monitor.meldingen.unknown", 1, "no such figure in the monitor")}, (
        result.report())


def test_a_share_may_be_written_as_a_number() -> None:
    text = _changed("54", "          timeliness.T1.on_time: 2/3\n",
                    "          timeliness.T1.on_time: 0.5\n")
    failure = _only(_run(text))
    assert (failure.what, failure.actual) == ("monitor.timeliness.T1.on_time", "2/3")


def test_monitor_figures_count_this_run_only_in_a_shared_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    scenario = parse_scenario(_text("54"), "54.yaml")
    first = run_scenario(scenario, url)     # straight and reloaded: twice in the store
    second = run_scenario(scenario, url)    # and twice more
    assert first.ok and second.ok, second.report()


def test_a_bad_monitor_period_is_refused_with_the_line() -> None:
    text = _changed("54", "        period: 2026-03\n", "        period: maart\n")
    err = _error(text)
    assert "unknown period" in err.message and err.line == _line_of(text, "period: maart")


def test_the_command_line_reports_a_wrong_history_expectation_and_exits_1(
        tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hgkm_workflow.cli import app as cli

    path = tmp_path / "wrong.yaml"
    text = _changed("50", "      phase_history: [triage, directe_veiligheid]\n",
                    "      phase_history: [triage, herstel]\n")
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["scenario", "run", str(path)])
    assert result.exit_code == 1, result.output
    line = _line_of(text, "      phase_history: [triage, herstel]\n")
    assert f"step 4 (line {line}, complete_vt_service): phase_history" in result.output
    assert "expected: ['triage', 'herstel']" in result.output
    assert "actual:   ['triage', 'directe_veiligheid']" in result.output
    assert not _UUID.search(result.output)
