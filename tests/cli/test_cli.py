"""The command-line contract (also used by acceptance checks): keep these shapes stable."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hgkm_workflow import HgkmApplication, SettableClock
from hgkm_workflow.cli import app as cli
from tests.support import Household

runner = CliRunner()


def test_deadlines_explain_json_contract() -> None:
    result = runner.invoke(cli, ["deadlines", "explain", "veiligheidsbeoordeling",
                                 "--start", "2026-04-23T23:10:00+02:00", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in ("rule", "start", "due", "counting", "calendar_version", "skipped"):
        assert key in data
    assert data["rule"] == "veiligheidsbeoordeling"
    # Thursday before Koningsdag: Sat, Sun and Koningsdag (Mon 27 April) are skipped,
    # the 5th working day after the 23rd is Friday 1 May 2026.
    assert datetime.fromisoformat(data["due"]) == datetime(2026, 5, 1, 21, 59, 59, 999999,
                                                           tzinfo=UTC)
    assert [s["date"] for s in data["skipped"]] == ["2026-04-25", "2026-04-26", "2026-04-27"]
    assert "Koningsdag" in data["skipped"][2]["reason"]


def test_deadlines_explain_names_onderzoek_and_huisverbod() -> None:
    for rule in ("onderzoek", "huisverbod"):
        result = runner.invoke(cli, ["deadlines", "explain", rule, "--start",
                                     "2026-12-20T10:00:00Z", "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["rule"] == rule
        assert datetime.fromisoformat(data["due"]) > datetime(2026, 12, 20, 10, tzinfo=UTC)
    huisverbod = json.loads(runner.invoke(cli, ["deadlines", "explain", "huisverbod", "--start",
                                                "2026-12-20T10:00:00Z", "--json"]).output)
    assert datetime.fromisoformat(huisverbod["due"]) == datetime(2026, 12, 30, 10, tzinfo=UTC)


def test_explain_refuses_naive_instant_and_unknown_rule() -> None:
    naive = runner.invoke(cli, ["deadlines", "explain", "T1", "--start", "2026-04-23T23:10:00"])
    assert naive.exit_code != 0
    unknown = runner.invoke(cli, ["deadlines", "explain", "no_such_rule", "--start",
                                  "2026-04-23T23:10:00Z"])
    assert unknown.exit_code == 2
    assert "UNKNOWN_RULE" in unknown.output


def test_deadlines_due_lists_open_deadlines_by_due(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    clock = SettableClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    app = HgkmApplication(url, clock=clock)
    h = Household(app, clock)
    h.melding()
    app.close()
    result = runner.invoke(cli, ["deadlines", "due", "--db", url, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    # police melding with a child: Handle with Care (24 h) is due before T1 (5 working days)
    assert [r["rule_id"] for r in rows] == ["T10", "T1"]
    dues = [r["due"] for r in rows]
    assert dues == sorted(dues)
    assert all(r["case_id"] == str(h.case_id) for r in rows)
    later = runner.invoke(cli, ["deadlines", "due", "--db", url, "--json",
                                "--at", "2026-03-03T12:00:00Z"])
    assert [r["rule_id"] for r in json.loads(later.output)] == ["T10"]
    first = runner.invoke(cli, ["deadlines", "due", "--db", url, "--json", "--limit", "1"])
    assert [r["rule_id"] for r in json.loads(first.output)] == ["T10"]  # the soonest due


def test_tick_command_records_breach_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tick.db'}"
    clock = SettableClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    app = HgkmApplication(url, clock=clock)
    Household(app, clock).melding(melder_type="burger")
    app.close()
    at = (clock.now() + timedelta(days=30)).isoformat()
    first = runner.invoke(cli, ["tick", "--db", url, "--at", at, "--json"])
    second = runner.invoke(cli, ["tick", "--db", url, "--at", at, "--json"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert [r["rule_id"] for r in json.loads(first.output)] == ["T1"]
    assert json.loads(second.output) == []


def test_demo_runs_twice_in_the_same_directory(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the report goes to the working directory by default
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    elsewhere = tmp_path / "out" / "report.html"
    elsewhere.parent.mkdir()
    for extra in ([], ["--report", str(elsewhere)]):
        result = runner.invoke(cli, ["demo", "--db", url, "--scale", "0.05", *extra])
        assert result.exit_code == 0, result.output
        assert "waakvlam" in result.output and "huisverbod" in result.output
    assert (tmp_path / "hgkm-report.html").is_file() and elsewhere.is_file()


def test_init_creates_the_schema_once_and_keeps_what_is_there(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'init.db'}"
    first = runner.invoke(cli, ["init", "--db", db])
    assert first.exit_code == 0, first.output
    for table in ("stored_events", "person_register_keys", "hgkm_access_log", "rm_cases",
                  "rm_deadlines", "rm_melding_classification", "hgkm_projection_tracking"):
        assert table in first.output
    clock = SettableClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    app = HgkmApplication(db, clock=clock)
    Household(app, clock).melding()
    app.close()
    app = HgkmApplication(db, clock=clock)
    stored = app.recorder.select_notifications(start=1, limit=1000)
    app.close()
    again = runner.invoke(cli, ["init", "--db", db])
    assert again.exit_code == 0, again.output
    def tables(output: str) -> str:  # every line but the last (the read models' lag)
        return "".join(output.splitlines()[:-1])

    assert tables(again.output) == tables(first.output)  # the same tables, none added or lost
    app = HgkmApplication(db, clock=clock)
    assert app.recorder.select_notifications(start=1, limit=1000) == stored  # events kept
    app.close()
