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
    data = json.loads(result.stdout)
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
