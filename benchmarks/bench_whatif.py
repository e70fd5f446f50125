"""Benchmark: a what-if on a simulated region (a year or a fraction) against a plain replay.

Simulates ``--region`` for ``--days`` at ``--scale`` on a fresh SQLite store (as
``bench_year.py`` does; the simulation itself is not timed here), then times on that store:

* **plain replay**: read the notification log, rebuild every case from its events, and build
  the default read models from those events in one scratch SQLite store — what any replay of
  the same cases costs (``hgkm audit verify`` does the same per case);
* **what-if** (``app.what_if``): the same read, every case replayed *twice* with the deadlines
  recomputed (the recorded rules and the alternative), two scratch stores with their read
  models, the classification and the monitor per half-year on both sides, and the diff. On a
  large selection the two sides run in two processes (``hgkm_workflow/whatif/sides.py``).

The alternative is ``--rules`` (default ``examples/whatif/t3-from-receipt.yaml``) and/or
``--calendar``. With ``--repeat N`` the plain replay and the what-if run interleaved N times
(medians, and the ratio of each pair). Prints the times with their parts, the ratio, the
cases, events and differences, the load average before and after each run, and the peak RSS
of this process and of the largest side process. The scratch stores go to ``--tmpdir`` too.

    python benchmarks/bench_whatif.py [--region rotterdam-rijnmond] [--scale 1.0]
        [--from 2025-01-01] [--days 365] [--rules FILE] [--calendar FILE] [--tmpdir DIR]
        [--store FILE] [--json FILE] [--repeat N]

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
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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
    # A reused store's clock is where the simulation left it: local midnight of ``until``
    # (the what-if's horizon, so a reused store gives the report its simulation gave).
    end = datetime.combine(until, dtime(0, 0), tzinfo=ZoneInfo("Europe/Amsterdam")).astimezone(UTC)
    clock = SettableClock(end if reuse else datetime(start.year, 1, 1, tzinfo=UTC))
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
    rules, label = load_rules(Path(args.rules), app.rules) if args.rules else (None, None)
    inputs = WhatIfInputs(rules=rules, rules_label=label,
                          calendar=load_calendar(Path(args.calendar)) if args.calendar else None)
    plains: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    report: Any = None
    for n in range(args.repeat):  # interleaved: plain, what-if, plain, what-if, ...
        load, cpu = os.getloadavg(), _cpu()
        plains.append({**plain_replay(app, now), "cpu_seconds": round(_cpu() - cpu, 1),
                       "load_before": _load(load), "load_after": _load(os.getloadavg())})
        print(f"run {n + 1}: plain replay {plains[-1]['total_seconds']} s, load "
              f"{plains[-1]['load_before']} -> {plains[-1]['load_after']}", flush=True)
        load, cpu = os.getloadavg(), _cpu()
        t0 = time.perf_counter()
        report = app.what_if(access=AUDITOR, inputs=inputs, region=args.region,
                             progress=None if args.quiet
                             else lambda line: print(f"  {line}", flush=True))
        runs.append({"seconds": round(time.perf_counter() - t0, 1),
                     "cpu_seconds": round(_cpu() - cpu, 1),
                     "parts": {k: round(v, 1) for k, v in report.timings.items()},
                     "deadline_diffs": len(report.deadlines),
                     "class_diffs": len(report.classifications),
                     "figures_moved": sum(len(p.moved) for p in report.periods),
                     "load_before": _load(load), "load_after": _load(os.getloadavg())})
        print(f"run {n + 1}: what-if {runs[-1]['seconds']} s, load {runs[-1]['load_before']} "
              f"-> {runs[-1]['load_after']}", flush=True)
    app.close()
    plain_s = statistics.median(p["total_seconds"] for p in plains)
    what_if = statistics.median(r["seconds"] for r in runs)
    return {
        "region": args.region, "scale": args.scale, "from": args.start, "days": args.days,
        "meldingen": meldingen or None, "events": events or plains[0]["events"],
        "simulation_seconds": round(simulated), "plain_replay": plains,
        "what_if": runs, "plain_replay_median_seconds": plain_s,
        "what_if_median_seconds": what_if,
        "ratio": round(what_if / plain_s, 2) if plain_s else None,
        "cpu_ratio": round(statistics.median(r["cpu_seconds"] for r in runs)
                           / statistics.median(p["cpu_seconds"] for p in plains), 2),
        "ratios_per_run": [round(r["seconds"] / p["total_seconds"], 2)
                           for p, r in zip(plains, runs, strict=True)],
        "cases_reported": report.cases,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "peak_rss_side_process_mb": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }


def _cpu() -> float:
    # CPU seconds of this process and of its ended children (the what-if's side processes):
    # what a run costs whatever else the machine is doing.
    own, kids = resource.getrusage(resource.RUSAGE_SELF), \
        resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _load(load: tuple[float, float, float]) -> str:
    return "/".join(f"{x:.1f}" for x in load)


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
    parser.add_argument("--repeat", type=int, default=1,
                        help="Interleaved runs of each (medians and per-run ratios)")
    args = parser.parse_args()
    print(f"{platform.platform()}, Python {platform.python_version()}, SQLite "
          f"{sqlite3.sqlite_version}, {os.cpu_count()} CPUs, {datetime.now(UTC):%Y-%m-%d}",
          flush=True)
    if args.tmpdir:  # the scratch stores too (and the side processes: TMPDIR)
        os.environ["TMPDIR"] = args.tmpdir
        tempfile.tempdir = args.tmpdir
    with tempfile.TemporaryDirectory(dir=args.tmpdir) as tmp:
        out = run(args, Path(tmp))
    print(json.dumps(out, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
