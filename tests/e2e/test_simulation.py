"""The synthetic-region simulation: calibrated, deterministic, and built from data files.

The calibration test simulates Rotterdam-Rijnmond for a year at 2% of its volume (about 250
meldingen, 250 adviezen and a history of 130 households) through the real engine and measures
every calibrated figure from the read models — the CBS classification from the person index,
the rest from the monitor tables — against the region profile, within the tolerances stated in
``hgkm_workflow/simulation/calibration.py`` (docs/simulation.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.cli import app as cli_app
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.simulation import (
    SimulationConfig,
    SimulationResult,
    UnknownRegion,
    load_profile,
    region_ids,
    run_simulation,
)
from hgkm_workflow.simulation.calibration import CalibrationRow, measure


def _simulate(url: str, config: SimulationConfig) -> tuple[HgkmApplication, SimulationResult]:
    clock = SettableClock(datetime(config.start.year, 1, 1, tzinfo=UTC))
    app = HgkmApplication(url, clock=clock)
    return app, run_simulation(app, clock, config)


@pytest.fixture
def dispose() -> Iterator[None]:
    """Forget cached engines after the test (each test uses its own files)."""
    yield
    from hgkm_workflow.projections import dispose_engines

    dispose_engines()


def _events(app: HgkmApplication) -> list[tuple[object, ...]]:
    with app.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"))]


def test_region_profiles_are_data_with_sources() -> None:
    assert {"rotterdam-rijnmond", "hollands-midden", "arnhem-achterhoek"} <= set(region_ids())
    for region in region_ids():
        profile = load_profile(region)
        assert profile.id == region
        today = date(2025, 6, 1)
        codes = [m.code for m in profile.municipalities_on(today)]
        assert len(codes) == len(set(codes)), f"{region}: a code twice on one date"
        assert profile.volumes.meldingen.value > 0
        assert abs(sum(profile.shares.melder_types.value.values()) - 1) < 0.005
    rr = load_profile("rotterdam-rijnmond")
    assert rr.volumes.meldingen.value == 12421 and rr.volumes.meldingen.source == "000"
    assert rr.shares.classification.value["hermelding"] == pytest.approx(0.404)
    # Municipal mergers are dated: Voorne aan Zee from 2023, its predecessors before.
    names_2022 = {m.name for m in rr.municipalities_on(date(2022, 6, 1))}
    names_2024 = {m.name for m in rr.municipalities_on(date(2024, 6, 1))}
    assert "Brielle" in names_2022 and "Voorne aan Zee" not in names_2022
    assert "Voorne aan Zee" in names_2024 and "Brielle" not in names_2024


def test_unknown_region_is_refused() -> None:
    with pytest.raises(UnknownRegion):
        load_profile("atlantis")


def test_calibration_rotterdam_rijnmond_small_scale(tmp_path: Path, dispose: None) -> None:
    config = SimulationConfig(region="rotterdam-rijnmond", start=date(2025, 1, 1),
                              until=date(2026, 1, 1), scale=0.02, seed=11)
    app, result = _simulate(f"sqlite:///{tmp_path / 'rr.db'}", config)
    try:
        assert result.refusals == {}, "the simulation sends only commands the engine accepts"
        assert result.meldingen == result.planned["meldingen"]
        assert result.ticks == 365 and result.tick_records > 0
        rows = measure(app.engine, result.profile, config.start, config.until, config.scale)
        off = [_describe(r) for r in rows if not r.within]
        assert off == [], off
        by_name = {r.name: r for r in rows}
        # measured from the person index, not from the generator's intent
        assert by_name["hermelding_share"].denominator == result.meldingen
        assert app.projections.lag() == 0, "the read models are up to date"
    finally:
        app.close()


def _describe(row: CalibrationRow) -> str:
    return f"{row.name}: target {row.target}, simulated {row.simulated}, tol {row.tolerance}"


def test_same_seed_gives_the_same_event_store(tmp_path: Path, dispose: None) -> None:
    config = SimulationConfig(region="hollands-midden", start=date(2025, 3, 1),
                              until=date(2025, 5, 1), scale=0.05, seed=3)
    stores = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        cfg = SimulationConfig(config.region, config.start, config.until, config.scale, seed)
        app, result = _simulate(f"sqlite:///{tmp_path / name}.db", cfg)
        assert result.refusals == {}
        stores.append(_events(app))
        app.close()
    first, again, other = stores
    assert len(first) > 500
    assert first == again, "same seed: identical events (ids, versions, topics, payloads)"
    assert first != other


def test_simulate_help_explains_every_parameter() -> None:
    result = CliRunner().invoke(cli_app, ["simulate", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--region", "--from", "--until", "--scale", "--seed", "--db", "--history",
                   "--json"):
        assert option in result.output
    assert "same event store" in result.output and "real volume" in result.output


def test_simulate_command_runs_and_refuses_a_seed_twice(tmp_path: Path, dispose: None) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    args = ["simulate", "--region", "arnhem-achterhoek", "--from", "2025-02-01", "--until",
            "2025-03-01", "--scale", "0.1", "--seed", "5", "--db", db, "--json"]
    first = CliRunner().invoke(cli_app, args)
    assert first.exit_code == 0, first.output
    import json

    summary = json.loads(first.output)
    assert summary["meldingen"] > 0 and summary["refusals"] == {}
    assert {r["name"] for r in summary["calibration"]} >= {"hermelding_share", "police_share"}
    again = CliRunner().invoke(cli_app, args)
    assert again.exit_code == 2 and "SEED_ALREADY_RUN" in again.output
