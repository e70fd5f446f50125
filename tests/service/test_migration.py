"""A projection version bump waits for ``migrate()``: refused meanwhile, never dropped early."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.cli import app as cli
from hgkm_workflow.projections.cases import CaseIndexProjection, cases
from hgkm_workflow.projections.migration import MigrationRequired
from hgkm_workflow.service.http import http_status
from tests.support import READ, Household


def _rows(app: HgkmApplication) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(cases)).scalar_one())


def test_a_version_bump_is_refused_until_migrated(
        store_url: str, clock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    first = HgkmApplication(store_url, clock=clock)
    house = Household(first, clock)
    house.melding()
    first.catch_up()
    first.close()

    monkeypatch.setattr(CaseIndexProjection, "version", CaseIndexProjection.version + 1)
    bumped = HgkmApplication(store_url, clock=clock)  # opens: nothing dropped here
    other = HgkmApplication(store_url, clock=clock)   # a second process, also not migrated
    try:
        assert [m.name for m in bumped.projections.pending_migrations] == ["case_index"]
        assert _rows(bumped) == 1  # the old rows are still there
        with pytest.raises(MigrationRequired) as refused:
            bumped.list_cases(access=READ)
        assert refused.value.code == "MIGRATION_REQUIRED"
        assert http_status(refused.value) == 503
        assert "case_index v2 → v3" in refused.value.message
        with pytest.raises(MigrationRequired):
            bumped.tick()
        report = bumped.health()
        assert report.ready and not report.ok
        assert "MIGRATION_REQUIRED" in report.problems
        assert report.pending_migrations == ("case_index",)

        done = bumped.migrate()
        assert [(m.name, m.code_version) for m in done] == [
            ("case_index", CaseIndexProjection.version)]
        assert [r.case_id for r in bumped.list_cases(access=READ)] == [house.case_id]
        assert bumped.health().pending_migrations == ()
        assert bumped.migrate() == []  # again: nothing to do
        # the other process sees the migration on its next read
        assert [r.case_id for r in other.list_cases(access=READ)] == [house.case_id]
    finally:
        bumped.close()
        other.close()


def test_hgkm_migrate_command(tmp_path: Path, clock: Any,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    app = HgkmApplication(url, clock=clock)
    Household(app, clock).melding()
    app.catch_up()
    app.close()
    monkeypatch.setattr(CaseIndexProjection, "version", CaseIndexProjection.version + 1)
    runner = CliRunner()
    listed = runner.invoke(cli, ["cases", "list", "--db", url])
    assert listed.exit_code != 0 and listed.stderr.startswith("MIGRATION_REQUIRED")
    done = runner.invoke(cli, ["migrate", "--db", url, "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["migrated"][0]["name"] == "case_index"
    assert runner.invoke(cli, ["cases", "list", "--db", url]).exit_code == 0
    again = runner.invoke(cli, ["migrate", "--db", url])
    assert "0 read model(s) migrated" in again.stdout
