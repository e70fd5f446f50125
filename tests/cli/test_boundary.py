"""The CLI's one boundary: one line on stderr per error, documented exit codes, no traceback.

Every test runs at 80 and at 200 columns: no error line may depend on the terminal's width.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from hgkm_workflow import HgkmApplication, SettableClock
from hgkm_workflow.cli import app as cli
from hgkm_workflow.cli import package_version
from hgkm_workflow.cli.boundary import hide_password
from hgkm_workflow.cli.simulate import try_block
from hgkm_workflow.phases.lifecycle import CasePhase
from tests.support import Household

runner = CliRunner()

WIDTHS = ("80", "200")


@pytest.fixture(params=WIDTHS)
def columns(request: pytest.FixtureRequest) -> str:
    """The terminal width the command runs in."""
    return str(request.param)


def run(args: list[str], columns: str) -> Result:
    return runner.invoke(cli, args, env={"COLUMNS": columns})


def one_error_line(result: Result, code: str) -> str:
    """The result's stderr: exactly one line, starting with the code, and no traceback."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{code}: "), lines[0]
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HGKM_DATABASE_URL", raising=False)
    return tmp_path


@pytest.fixture
def store(tmp_path: Path) -> tuple[str, Household]:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    clock = SettableClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    app = HgkmApplication(url, clock=clock)
    h = Household(app, clock)
    h.melding()
    app.close()
    return url, h


# ---------------------------------------------------------------------------- no store


@pytest.mark.parametrize("args", [["cases", "list"], ["deadlines", "due"], ["monitor"],
                                  ["tick"], ["access-log"], ["audit", "verify"],
                                  ["projections", "rebuild"]])
def test_a_read_command_in_an_empty_folder_creates_no_store(
        empty_folder: Path, columns: str, args: list[str]) -> None:
    result = run(args, columns)
    assert result.exit_code == 2
    line = one_error_line(result, "NO_STORE")
    assert "hgkm init" in line and "hgkm.db" in line
    assert result.stdout == ""
    assert list(empty_folder.iterdir()) == []


def test_init_creates_the_store_and_then_reads_work(empty_folder: Path, columns: str) -> None:
    assert run(["init"], columns).exit_code == 0
    assert (empty_folder / "hgkm.db").is_file()
    listed = run(["cases", "list", "--json"], columns)
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == []


def test_a_file_that_is_no_store_is_refused(empty_folder: Path, columns: str) -> None:
    (empty_folder / "notes.db").write_text("not a database", encoding="utf-8")
    result = run(["cases", "list", "--db", "sqlite:///notes.db"], columns)
    assert result.exit_code == 2
    assert "not a database" in one_error_line(result, "STORE_UNUSABLE")


# ---------------------------------------------------------------------------- bad URLs


def test_an_unreachable_postgres_is_one_line_without_the_password(columns: str) -> None:
    url = "postgresql://hgkm:s3cret-pw@127.0.0.1:1/hgkm"
    result = run(["cases", "list", "--db", url, "--json"], columns)
    assert result.exit_code == 3
    line = one_error_line(result, "STORE_UNREACHABLE")
    assert "s3cret-pw" not in result.output
    assert "postgresql://hgkm:***@127.0.0.1:1/hgkm" in line
    assert result.stdout == ""


def test_a_sqlite_file_in_a_missing_folder_is_a_configuration_error(tmp_path: Path,
                                                                    columns: str) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'x.db'}"
    result = run(["init", "--db", url], columns)
    assert result.exit_code == 2
    line = one_error_line(result, "STORE_CONFIGURATION")
    assert "x.db" in line
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("url", ["mysql://root:hunter22@db/hgkm", "sqlite://",
                                 "sqlite:///:memory:"])
def test_an_unusable_url_is_a_configuration_error(url: str, columns: str) -> None:
    result = run(["cases", "list", "--db", url], columns)
    assert result.exit_code == 2
    one_error_line(result, "STORE_CONFIGURATION")
    assert "hunter22" not in result.output


def test_hide_password() -> None:
    assert hide_password("postgresql://u:p%40ss@h:5432/d") == "postgresql://u:***@h:5432/d"
    assert hide_password("mysql://root:pw@db/x") == "mysql://root:***@db/x"
    assert hide_password("hgkm.db") == "hgkm.db"


# ---------------------------------------------------------------------------- refusals


def test_a_refusal_is_exit_1_on_stderr_even_with_json(store: tuple[str, Household],
                                                      columns: str) -> None:
    url, h = store
    result = run(["audit", "timeline", str(h.case_id), "--db", url, "--json", "--actor",
                  "pol-881", "--organisation", "politie-rotterdam", "--role", "politie",
                  "--purpose", "case_work"], columns)
    assert result.exit_code == 1
    line = one_error_line(result, "ACCESS_DENIED")
    assert url.removeprefix("sqlite:///") in line
    assert result.stdout == ""


def test_bad_input_is_exit_2_on_one_line(store: tuple[str, Household], columns: str) -> None:
    url, _ = store
    result = run(["audit", "timeline", "not-a-uuid", "--db", url], columns)
    assert result.exit_code == 2
    one_error_line(result, "BAD_INPUT")


def test_unknown_filter_values_are_refused_with_the_allowed_values(
        store: tuple[str, Household], columns: str) -> None:
    url, _ = store
    phase = run(["cases", "list", "--db", url, "--phase", "limbo"], columns)
    assert phase.exit_code == 2
    line = one_error_line(phase, "BAD_INPUT")
    assert all(p.value in line for p in CasePhase)
    region = run(["cases", "list", "--db", url, "--region", "atlantis"], columns)
    assert region.exit_code == 2
    assert "rotterdam-rijnmond" in one_error_line(region, "BAD_INPUT")
    ok = run(["cases", "list", "--db", url, "--phase", "triage", "--region",
              "rotterdam-rijnmond", "--json"], columns)
    assert ok.exit_code == 0, ok.output
    assert len(json.loads(ok.stdout)) == 1


def test_the_exit_codes_are_in_the_help(columns: str) -> None:
    result = run(["--help"], columns)
    text = " ".join(result.stdout.split())
    assert "Exit codes:" in text and "3 the store is unreachable" in text


def test_version_comes_from_the_package_metadata(columns: str) -> None:
    from importlib.metadata import version

    result = run(["--version"], columns)
    assert result.exit_code == 0
    assert result.stdout.strip() == f"hgkm_workflow {version('hgkm_workflow')}"
    assert package_version() == version("hgkm_workflow")


# ---------------------------------------------------------------------------- tick


def _events(url: str) -> int:
    app = HgkmApplication(url)
    try:
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def test_a_future_tick_is_refused_unless_simulated(store: tuple[str, Household],
                                                   columns: str) -> None:
    url, _ = store
    before = _events(url)
    future = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    refused = run(["tick", "--db", url, "--at", future], columns)
    assert refused.exit_code == 2
    one_error_line(refused, "FUTURE_TICK")
    assert _events(url) == before
    dry = run(["tick", "--db", url, "--at", future, "--dry-run", "--json"], columns)
    assert dry.exit_code == 0, dry.output
    due = json.loads(dry.stdout)
    assert {d["rule_id"] for d in due} >= {"T1"}
    assert _events(url) == before
    simulated = run(["tick", "--db", url, "--at", future, "--simulate", "--json"], columns)
    assert simulated.exit_code == 0, simulated.output
    assert {r["rule_id"] for r in json.loads(simulated.stdout)} >= {"T1"}
    assert _events(url) > before


# ---------------------------------------------------------------------------- demo


def test_the_demo_try_block_never_shows_a_password() -> None:
    text = try_block("postgresql://hgkm:s3cret@db:5432/hgkm", "rotterdam-rijnmond", "c-1")
    assert "s3cret" not in text and "postgresql://hgkm:***@db:5432/hgkm" in text
    assert "HGKM_DATABASE_URL" in text
    plain = try_block("sqlite:///demo.db", "rotterdam-rijnmond", "c-1")
    assert "--db sqlite:///demo.db" in plain and "hidden" not in plain


# ---------------------------------------------------------------------------- validation

BAD_ENUM = """\
scenario: bad enum
start: 2026-03-02T09:00:00+01:00
actors:
  vt: {actor_id: vt-1, organisation: vt-rotterdam-rijnmond, role: vt_medewerker}
persons: [kind]
steps:
  - do: receive_melding
    as: vt
    with: {melding: m1, melder_type: buurman, persons: {kind: child}}
"""


def test_a_validation_error_lists_the_allowed_values(tmp_path: Path, columns: str) -> None:
    from hgkm_workflow.vocabulary import MelderType

    path = tmp_path / "enum.yaml"
    path.write_text(BAD_ENUM, encoding="utf-8")
    result = run(["scenario", "run", str(path)], columns)
    assert result.exit_code == 2
    line = one_error_line(result, "INVALID_SCENARIO")
    assert "enum.yaml:9" in line and "melder_type" in line
    assert all(f"'{m.value}'" in line for m in MelderType)
    assert "buurman" not in line  # the value given is never repeated


@pytest.mark.parametrize("args", [["--bogus"], ["nope"], ["cases", "list", "--bogus"],
                                  ["deadlines", "explain", "T1", "--start", "yesterday"]])
def test_a_usage_error_is_one_line(args: list[str], columns: str) -> None:
    result = run(args, columns)
    assert result.exit_code == 2
    one_error_line(result, "BAD_INPUT")
    assert "╭" not in result.output  # no rich panel, which wraps at the terminal's width


def test_scenario_run_names_a_store_in_a_missing_folder(tmp_path: Path, columns: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(BAD_ENUM.replace("melder_type: buurman", "melder_type: politie"),
                    encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'missing' / 's.db'}"
    result = run(["scenario", "run", str(path), "--db", url], columns)
    assert result.exit_code == 2
    assert "missing" in one_error_line(result, "STORE_CONFIGURATION")
