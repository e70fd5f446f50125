"""``hgkm whatif`` on a small store: JSON, HTML, tables, progress on stderr, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.cli import app as cli
from hgkm_workflow.clock import SettableClock
from tests.support import Household
from tests.whatif.test_whatif import EXAMPLES, ONDERZOEK_DONE, _live_tables

runner = CliRunner()
AUDITOR = ["--actor", "au-1", "--organisation", "hgkm-audit", "--role", "auditor",
           "--purpose", "audit"]


def _store(make_app: Callable[..., HgkmApplication], url: str,
           clock: SettableClock) -> HgkmApplication:
    # as in test_t3_counted_from_receipt: T3 due 18 May (from the start) or 11 May (receipt)
    app = make_app(url)
    h = Household(app, clock)
    h.melding()
    clock.set(datetime(2026, 3, 9, 9, tzinfo=UTC))
    h.assess("onderzoek")
    clock.set(datetime(2026, 5, 13, 10, tzinfo=UTC))
    app.complete_vt_service(h.cmd(**ONDERZOEK_DONE))
    return app


def test_whatif_json_and_html(make_app: Callable[..., HgkmApplication], sqlite_url: str,
                              clock: SettableClock, tmp_path: Path) -> None:
    app = _store(make_app, sqlite_url, clock)
    before = _live_tables(app)
    args = ["whatif", "--db", sqlite_url, "--rules", str(EXAMPLES / "t3-from-receipt.yaml"),
            "--region", "rotterdam-rijnmond", "--until", "2026-07-01T00:00+02:00", *AUDITOR]
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # progress is on stderr only, each step as it ends
    assert "before side: monitor computed" in result.stderr
    assert "after side: monitor computed" in result.stderr
    [t3] = data["deadlines"]
    assert (t3["rule_id"], t3["before"]["status"], t3["after"]["status"]) == \
        ("T3", "met", "met_late")
    assert data["after"]["rule_changes"] == [
        {"rule_id": "T3", "before": "v1 (national)", "after": "v2 (whatif:t3-from-receipt)"}]
    page = tmp_path / "whatif.html"
    result = runner.invoke(cli, [*args, "--html", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "http" not in html.split("<main>")[1]
    assert "2026-05-11T21:59:59.999999+00:00" in html and "met_late" in html
    table = runner.invoke(cli, args)
    assert table.exit_code == 0 and "Deadlines that differ (1)" in table.stdout
    assert _live_tables(app) == before


def test_whatif_bad_input_exits_2(sqlite_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("overrides:\n  T1: {length: 10}\n", encoding="utf-8")  # statutory: refused
    result = runner.invoke(cli, ["whatif", "--db", sqlite_url, "--rules", str(bad), *AUDITOR])
    assert result.exit_code == 2
    assert "STATUTORY_RULE_NOT_OVERRIDABLE" in result.output
    result = runner.invoke(cli, ["whatif", "--db", sqlite_url, "--roles", "nobody", *AUDITOR])
    assert result.exit_code == 2 and "INVALID_WHATIF_INPUT" in result.output


def test_whatif_base_rules(make_app: Callable[..., HgkmApplication], sqlite_url: str,
                           clock: SettableClock, tmp_path: Path) -> None:
    # As test_monitoring_checkpoints_3_6_12, through the command line: the store was recorded
    # under a rules file with check-points 6 and 12 (--base-rules).
    from hgkm_workflow.domain.rulebook import default_rulebook
    from hgkm_workflow.whatif import load_rules

    regional = tmp_path / "regional.yaml"
    regional.write_text('variant: "region:test"\noverrides:\n  T4: {checkpoints: [6, 12]}\n',
                        encoding="utf-8")
    app = make_app(sqlite_url, rules=load_rules(regional, default_rulebook())[0])
    h = Household(app, clock)
    h.melding()
    clock.set(datetime(2026, 3, 3, 9, tzinfo=UTC))
    h.assess("handover_local_team")
    clock.set(datetime(2026, 7, 1, 9, tzinfo=UTC))
    app.record_monitoring_check(h.cmd(safe=True))
    result = runner.invoke(cli, [
        "whatif", "--db", sqlite_url, "--base-rules", str(regional),
        "--rules", str(EXAMPLES / "monitoring-3-6-12.yaml"),
        "--until", "2026-10-01T00:00+02:00", "--json", *AUDITOR])
    assert result.exit_code == 0, result.output
    diffs = {(d["rule_id"], d["checkpoint"]): d for d in json.loads(result.stdout)["deadlines"]}
    assert set(diffs) == {("T4", 3), ("T4", 6)}
    assert diffs[("T4", 6)]["before"]["rule"] == "T4 v2 (region:test)"


def test_whatif_never_creates_a_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none.db'}"
    result = runner.invoke(cli, ["whatif", "--db", url, *AUDITOR])
    assert result.exit_code == 2 and "NO_STORE" in result.output
    assert list(tmp_path.iterdir()) == []
