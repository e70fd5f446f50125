"""The pytest plugin works in a host's own project (a throwaway one made by pytester)."""

from __future__ import annotations

import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from hgkm_workflow.testing import default_actors

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "examples" / "scenarios" / "02-geen-verdere-actie.yaml"
#: Each host run is a subprocess: an in-process run would unload the modules it imported
#: (psycopg among them) and leave later tests with a second copy of their classes.
#: The plugin loads by its ``pytest11`` entry point once the package is installed; from a
#: source tree without the entry point it is named with ``-p`` (naming it twice would
#: register it twice).
_INSTALLED = any(ep.name == "hgkm" and ep.value == "hgkm_workflow.testing.plugin"
                 for ep in entry_points(group="pytest11"))
PLUGIN = (() if _INSTALLED else ("-p", "hgkm_workflow.testing.plugin")) + (
    "-p", "no:cacheprovider")

HOST_TESTS = '''
from datetime import timedelta

def test_lifecycle(hgkm_app, hgkm_clock, hgkm_actors):
    a = hgkm_actors
    result = hgkm_app.receive_melding({
        "actor": a.vt, "rationale": "melding received by phone from the police",
        "region": a.region, "gemeente": a.gemeente, "melder_type": "politie",
        "persons": [{"person_id": "7b0c3a52-1d7e-4a43-9c55-2a8e0f0a1b01", "role": "victim"}],
        "forms_of_violence": ["partnergeweld"], "acute": False})
    hgkm_clock.advance(timedelta(days=30))
    records = hgkm_app.tick()
    assert records and records[0].rule_id
    case = hgkm_app.get_case(result.case_id, access=a.read)
    assert case.region == a.region
    assert hgkm_app.list_cases(access=a.access(a.vt))

def test_fresh_store_per_test(hgkm_app, hgkm_actors):
    assert hgkm_app.list_cases(access=hgkm_actors.read) == []

def test_my_own_app_fixture_is_untouched(app):
    assert app == "mine"
'''

HOST_CONFTEST = '''
import pytest

@pytest.fixture
def app():
    return "mine"
'''


def test_fixtures_in_a_host_project(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(HOST_CONFTEST)
    pytester.makepyfile(test_host=HOST_TESTS)
    result = pytester.runpytest_subprocess(*PLUGIN)
    result.assert_outcomes(passed=3)


def test_run_hgkm_scenario_passes_and_fails_with_the_scenarios_failures(
        pytester: pytest.Pytester) -> None:
    good = SCENARIO.read_text(encoding="utf-8")
    (pytester.path / "good.yaml").write_text(good, encoding="utf-8")
    bad = good.replace("expect: {refused: TRANSITION_NOT_ALLOWED}",
                       "expect: {refused: CASE_NOT_FOUND}")
    assert bad != good
    (pytester.path / "bad.yaml").write_text(bad, encoding="utf-8")
    pytester.makepyfile(test_scen='''
from pathlib import Path

def test_good(run_hgkm_scenario):
    result = run_hgkm_scenario(Path(__file__).parent / "good.yaml")
    assert result.ok

def test_bad(run_hgkm_scenario):
    run_hgkm_scenario(Path(__file__).parent / "bad.yaml")
''')
    result = pytester.runpytest_subprocess(*PLUGIN)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*FAIL*bad.yaml*", "*CASE_NOT_FOUND*"])


def test_postgres_option_is_offered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(*PLUGIN, "--help")
    result.stdout.fnmatch_lines(["*--hgkm-postgres-url*"])


def test_entry_point_is_registered_in_pyproject() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["entry-points"]["pytest11"]["hgkm"] == "hgkm_workflow.testing.plugin"


def test_actors_match_the_shipped_policies() -> None:
    from hgkm_workflow.access.policy import default_policy, vt_regions

    actors = default_actors()
    assert actors.region in vt_regions(actors.vt["organisation"], default_policy())
    assert actors.burgemeester["organisation"].startswith("gemeente-")


def test_hgkm_app_on_postgres_gets_a_fresh_database_per_test(pytester: pytest.Pytester) -> None:
    from tests.support import pg_admin_url, pg_available

    if not pg_available():
        pytest.skip("PostgreSQL not reachable")
    pytester.makepyfile(test_pg='''
def test_one(hgkm_app, hgkm_store_url, hgkm_actors):
    assert hgkm_store_url.startswith("postgresql")
    assert hgkm_app.list_cases(access=hgkm_actors.read) == []
    hgkm_app.receive_melding({
        "actor": hgkm_actors.vt, "rationale": "melding received by phone from the police",
        "region": hgkm_actors.region, "gemeente": hgkm_actors.gemeente,
        "melder_type": "politie", "forms_of_violence": ["partnergeweld"],
        "persons": [{"person_id": "7b0c3a52-1d7e-4a43-9c55-2a8e0f0a1b02", "role": "victim"}]})

def test_two(hgkm_app, hgkm_actors):
    assert hgkm_app.list_cases(access=hgkm_actors.read) == []
''')
    result = pytester.runpytest_subprocess(*PLUGIN, f"--hgkm-postgres-url={pg_admin_url()}")
    result.assert_outcomes(passed=2)
