"""The two sides in two processes (fork or spawn) report exactly what one process reports.

A simulated fortnight of a region (breaches, late facts, closures, huisverboden) is what-if'd
under ``examples/whatif/t3-from-receipt.yaml`` three ways: both sides in this process, in two
forked processes and in two spawned ones. The reports must be equal, field by field, and must
hold differences (so the comparison is not between two empty reports). On SQLite and
PostgreSQL (the live store; the scratch stores are SQLite).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.simulation import SimulationConfig
from hgkm_workflow.simulation.driver import Simulation
from hgkm_workflow.whatif import Selection, WhatIfInputs, live_settings, load_rules
from hgkm_workflow.whatif import sides as sides_module
from hgkm_workflow.whatif.run import run_what_if
from tests.support import READ

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "whatif"
REGION = "hollands-midden"


def _report(app: HgkmApplication, inputs: WhatIfInputs, **kw: Any) -> dict[str, Any]:
    return run_what_if(app, READ, inputs, Selection(region=REGION),
                       classification=live_settings(app), now=app.work.now(),
                       **kw).as_dict()


def test_two_processes_report_what_one_process_reports(
        make_app: Callable[..., HgkmApplication], store_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = SettableClock(datetime(2026, 1, 1, tzinfo=UTC))
    app = make_app(store_url, clock=clock)
    Simulation(app, clock, SimulationConfig(
        region=REGION, start=date(2026, 1, 5), until=date(2026, 1, 19), scale=1.0, seed=7,
        history=False)).run()
    rules, label = load_rules(EXAMPLES / "t3-from-receipt.yaml", app.rules)
    inputs = WhatIfInputs(rules=rules, rules_label=label)
    lines: list[str] = []
    here = _report(app, inputs, processes=False)
    forked = _report(app, inputs, processes=True, start_method="fork",
                     progress=lines.append)
    spawned = _report(app, inputs, processes=True, start_method="spawn")
    assert here["cases_replayed"] > 30
    assert here["deadlines"], "T3 from receipt moves deadlines in this store"
    assert {d["rule_id"] for d in here["deadlines"]} == {"T3"}
    assert forked == here
    assert spawned == here
    # progress from the sides' processes reaches the caller
    assert any(line.startswith("before side:") for line in lines)
    assert any(line.startswith("after side:") for line in lines)
    # by size: this small store runs in this process, a low threshold in processes; same report
    monkeypatch.setattr(sides_module, "PROCESS_MIN_EVENTS", 1)
    assert _report(app, inputs) == here
