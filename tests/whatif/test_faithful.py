"""The replay under a store's own rules reproduces every recorded deadline (a simulated store).

The simulation drives a fortnight of a region through the public API with a daily tick
(breaches, late facts, closures, huisverboden); replaying every case's facts under the same
rule book must give back, deadline by deadline, the due instant, status, lateness, calendar
version and breach the engine recorded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.simulation import SimulationConfig
from hgkm_workflow.simulation.driver import Simulation
from hgkm_workflow.whatif.replay import Side, keyed_deadlines, replay_case, tick_instants
from hgkm_workflow.whatif.source import read_selection

FIELDS = ("status", "due", "late_seconds", "calendar_version", "rule_version", "counting")


def test_replay_under_its_own_rules_reproduces_every_deadline(tmp_path: Path) -> None:
    clock = SettableClock(datetime(2026, 1, 1, tzinfo=UTC))
    app = HgkmApplication(f"sqlite:///{tmp_path / 'sim.db'}", clock=clock)
    try:
        Simulation(app, clock, SimulationConfig(
            region="hollands-midden", start=date(2026, 1, 5), until=date(2026, 1, 19),
            scale=1.0, seed=7, history=False)).run()
        recorded = read_selection(app, until=None)
        assert len(recorded.cases) > 30
        compared = breached = 0
        ticks = tick_instants(e for stream in recorded.cases.values() for e in stream)
        for case_id, events in recorded.cases.items():
            live = keyed_deadlines(app.repository.get(case_id))
            # every instant the scheduler recorded a breach anywhere, as what_if ticks
            replayed = replay_case(events, Side(app.rules), max(e.timestamp for e in events),
                                   ticks=ticks)
            again = keyed_deadlines(replayed.case)
            assert set(again) == set(live), case_id
            for key, d in live.items():
                assert {f: again[key][f] for f in FIELDS} == {f: d[f] for f in FIELDS}, key
                assert (again[key]["breached_at"] is None) == (d["breached_at"] is None), key
                compared += 1
                breached += d["breached_at"] is not None
        assert compared > 100 and breached > 0  # the store had breaches to reproduce
    finally:
        app.close()
