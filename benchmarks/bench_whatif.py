"""Benchmark: a what-if on a simulated region (a year or a fraction) against a plain replay.

Simulates ``--region`` for ``--days`` at ``--scale`` on a fresh SQLite store (as
``bench_year.py`` does; the simulation itself is not timed here), then times on that store:

* **plain replay**: read the notification log, rebuild every case from its events, and build
  the default read models from those events in one scratch SQLite store — what any replay of
  the same cases costs (``hgkm audit verify`` does the same per case);
* **what-if** (``app.what_if``): the same read, every case replayed *twice* with the deadlines
  recomputed (the recorded rules and the alternative), two scratch stores with their read
  models, the classification and the monitor per half-year on both sides, and the diff.

The alternative is ``--rules`` (default ``examples/whatif/t3-from-receipt.yaml``) and/or
``--calendar``. Prints the times, the cases, events and differences, and the peak RSS.

    python benchmarks/bench_whatif.py [--region rotterdam-rijnmond] [--scale 1.0]
        [--from 2025-01-01] [--days 365] [--rules FILE] [--calendar FILE] [--tmpdir DIR]
        [--store FILE] [--json FILE]

``--store FILE`` keeps the simulated store (or reuses it), so the what-if can be measured again
without simulating again.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hgkm_workflow import HgkmApplication, SettableClock
from hgkm_workflow.settings import ClassificationSettings
from hgkm_workflow.simulation import SimulationConfig
from hgkm_workflow.simulation.driver import Simulation
from hgkm_workflow.whatif import WhatIfInputs, load_calendar, load_rules
from hgkm_workflow.whatif.source import ScratchStore, in_log_order, read_selection

ROOT = Path(__file__).resolve().parents[1]
AUDITOR = {"actor": {"actor_id": "bench-auditor", "organisation": "hgkm-audit",
                     "role": "auditor"}, "purpose": "audit"}


def plain_replay(app: HgkmApplication, now: datetime) -> dict[str, Any]:
    """Read the log, rebuild every case from its events, build the read models once."""
    t0 = time.perf_counter()
    recorded = read_selection(app, until=None)
    read = time.perf_counter() - t0
    t0 = time.perf_counter()
    streams = []
    for stream in (*recorded.cases.values(), *recorded.adviezen.values()):
        aggregate: Any = None
        for event in stream:
            aggregate = event.mutate(aggregate)
        streams.append((stream, [recorded.position(e) for e in stream]))
    replay = time.perf_counter() - t0
    t0 = time.perf_counter()
    store = ScratchStore(type(app), "plain", ClassificationSettings(), now)
    try:
        store.insert(in_log_order(streams))
    finally:
        store.close()
    models = time.perf_counter() - t0
    return {"read_seconds": round(read, 1), "replay_seconds": round(replay, 1),
            "read_models_seconds": round(models, 1),
            "total_seconds": round(read + replay + models, 1), "events": recorded.read,
            "cases": len(recorded.cases)}


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Simulate, then time the plain replay and the what-if."""
    start = date.fromisoformat(args.start)
    until = start + timedelta(days=args.days)
    db = Path(args.store) if args.store else workdir / "live.db"
    reuse = db.exists()
    clock = SettableClock(datetime(until.year, until.month, until.day, tzinfo=UTC) if reuse
                          else datetime(start.year, 1, 1, tzinfo=UTC))
    app = HgkmApplication(f"sqlite:///{db}", clock=clock)
    t0 = time.perf_counter()
    meldingen = events = 0
    if not reuse:
        result = Simulation(app, clock, SimulationConfig(region=args.region, start=start,
                                                         until=until, scale=args.scale,
                                                         seed=2025)).run()
        meldingen, events = result.meldingen, result.events
    simulated = time.perf_counter() - t0
    print(f"simulated {meldingen:,} meldingen, {events:,} events in {simulated:.0f} s"
          + (" (store reused)" if reuse else ""), flush=True)
    now = clock.now()
    plain = plain_replay(app, now)
    print(f"plain replay {plain['total_seconds']} s", flush=True)
    rules, label = load_rules(Path(args.rules), app.rules) if args.rules else (None, None)
    inputs = WhatIfInputs(rules=rules, rules_label=label,
                          calendar=load_calendar(Path(args.calendar)) if args.calendar else None)
    t0 = time.perf_counter()
    report = app.what_if(access=AUDITOR, inputs=inputs, region=args.region,
                         progress=lambda line: print(f"  {line}", flush=True)
                         if not args.quiet else None)
    what_if = time.perf_counter() - t0
    app.close()
    return {
        "region": args.region, "scale": args.scale, "from": args.start, "days": args.days,
        "meldingen": meldingen or None, "events": events or plain["events"],
        "simulation_seconds": round(simulated), "plain_replay": plain,
        "what_if_seconds": round(what_if, 1),
        "what_if_parts": {k: round(v, 1) for k, v in report.timings.items()},
        "ratio": round(what_if / plain["total_seconds"], 2) if plain["total_seconds"] else None,
        "cases_reported": report.cases, "deadline_diffs": len(report.deadlines),
        "class_diffs": len(report.classifications),
        "figures_moved": sum(len(p.moved) for p in report.periods),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--region", default="rotterdam-rijnmond")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--from", dest="start", default="2025-01-01")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rules", default=str(ROOT / "examples/whatif/t3-from-receipt.yaml"))
    parser.add_argument("--calendar", default=None)
    parser.add_argument("--tmpdir", default=None)
    parser.add_argument("--store", default=None,
                        help="Simulate into this SQLite file, or reuse it if it exists")
    parser.add_argument("--json", default=None, help="Also write the figures to this file")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    print(f"{platform.platform()}, Python {platform.python_version()}, SQLite "
          f"{sqlite3.sqlite_version}, {os.cpu_count()} CPUs, {datetime.now(UTC):%Y-%m-%d}",
          flush=True)
    with tempfile.TemporaryDirectory(dir=args.tmpdir) as tmp:
        out = run(args, Path(tmp))
    print(json.dumps(out, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
