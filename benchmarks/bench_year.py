"""Benchmark: a full simulated Rotterdam-Rijnmond year, end to end, on SQLite.

Runs ``hgkm_workflow.simulation`` for one year of the region at its real volume (about 12,400
meldingen and 12,300 adviezen, plus the three-year history hermeldingen need) on a fresh
SQLite store: the engine (every command), the scheduler (a tick every simulated morning, which
also keeps the read models current) and a final catch-up of the read models. Prints the wall
time, split into commands, ticks and the final catch-up, the events and commands per second,
the peak resident memory of the process and the calibration table.

    python benchmarks/bench_year.py [--region rotterdam-rijnmond] [--scale 1.0]
        [--from 2025-01-01] [--days 365] [--tmpdir DIR] [--json FILE]

``--tmpdir /dev/shm`` puts the store in memory-backed storage: the difference with the default
(durable, on disk) is the cost of the disk's fsync per committed transaction.
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
from hgkm_workflow.simulation import SimulationConfig
from hgkm_workflow.simulation.calibration import measure
from hgkm_workflow.simulation.driver import Progress, Simulation


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(region: str, scale: float, start: date, days: int, workdir: Path,
        progress: bool = True) -> dict[str, Any]:
    """Simulate and return the figures."""
    db = workdir / "year.db"
    clock = SettableClock(datetime(start.year, 1, 1, tzinfo=UTC))
    app = HgkmApplication(f"sqlite:///{db}", clock=clock)
    config = SimulationConfig(region=region, start=start, until=start + timedelta(days=days),
                              scale=scale, seed=2025)
    last = [0.0]

    def report(p: Progress) -> None:
        now = time.perf_counter()
        if progress and now - last[0] > 15:
            last[0] = now
            print(f"  {p.sim_date} {p.households:7,} households {p.commands:8,} commands "
                  f"{p.elapsed:7.0f} s", flush=True)

    t0 = time.perf_counter()
    result = Simulation(app, clock, config, progress=report).run()
    wall = time.perf_counter() - t0
    rows = measure(app.engine, result.profile, config.start, config.until, scale)
    size = sum(f.stat().st_size for f in workdir.iterdir())
    app.close()
    commands_s = wall - result.seconds_ticks - result.seconds_read_models
    return {
        "region": region, "scale": scale, "from": str(start), "days": days,
        "wall_seconds": round(wall, 1), "commands_seconds": round(commands_s, 1),
        "ticks_seconds": round(result.seconds_ticks, 1),
        "final_catch_up_seconds": round(result.seconds_read_models, 1),
        "households": result.households, "history_households": result.history_households,
        "meldingen": result.meldingen, "adviezen": result.adviezen,
        "commands": result.commands, "events": result.events, "ticks": result.ticks,
        "tick_records": result.tick_records, "refusals": dict(result.refusals),
        "events_per_second": round(result.events / wall),
        "commands_per_second": round(result.commands / wall),
        "peak_rss_mb": round(peak_rss_mb()), "store_mb": round(size / 2**20),
        "calibration": [r.as_dict() for r in rows],
    }


def main() -> None:
    """Run the year and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--region", default="rotterdam-rijnmond")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--from", dest="start", default="2025-01-01")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--tmpdir", default=None)
    parser.add_argument("--json", default=None, help="Also write the figures to this file")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    print(f"{platform.platform()}, Python {platform.python_version()}, SQLite "
          f"{sqlite3.sqlite_version}, {os.cpu_count()} CPUs, {datetime.now(UTC):%Y-%m-%d}",
          flush=True)
    with tempfile.TemporaryDirectory(dir=args.tmpdir) as tmp:
        out = run(args.region, args.scale, date.fromisoformat(args.start), args.days,
                  Path(tmp), progress=not args.quiet)
    print(f"{out['region']} x{out['scale']} for {out['days']} days: {out['households']:,} "
          f"households ({out['history_households']:,} history), {out['meldingen']:,} meldingen,"
          f" {out['adviezen']:,} adviezen, {out['commands']:,} commands, {out['events']:,} "
          f"events, {out['ticks']} ticks, refusals {out['refusals'] or 'none'}")
    print(f"wall {out['wall_seconds']:.0f} s = commands {out['commands_seconds']:.0f} s + "
          f"ticks (scheduler and read models) {out['ticks_seconds']:.0f} s + final catch-up "
          f"{out['final_catch_up_seconds']:.0f} s; {out['events_per_second']:,} events/s, "
          f"{out['commands_per_second']:,} commands/s; peak RSS {out['peak_rss_mb']} MiB; "
          f"store {out['store_mb']} MiB")
    for r in out["calibration"]:
        print(f"  {r['name']:26} target {r['target']:10.3f} simulated "
              f"{(r['simulated'] or 0):10.3f} {'ok' if r['within'] else 'OFF'}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
