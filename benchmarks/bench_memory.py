"""Benchmark: peak memory of a simulated year, and of ten times as many events.

Runs ``bench_year.py`` in a fresh process per size (so each peak belongs to that run alone) and
prints, per size, the events stored, the peak resident set size (``ru_maxrss``) and the store's
size on disk, then the ratio of the peaks against the ratio of the events. Memory that followed
the number of events would grow tenfold; what should grow is only the simulation's own
bookkeeping (one small record per household and the calendar of pending actions) — the engine
keeps at most ``cache_size`` cases in memory (default 2,000) and the read models are caught up
in batches of 500 notifications.

    python benchmarks/bench_memory.py [--scales 1 10] [--region rotterdam-rijnmond]
        [--days 365] [--tmpdir DIR]

The default compares the real Rotterdam-Rijnmond year (scale 1) with ten times its volume
(scale 10); ``--scales 0.1 1`` makes the same comparison one order of magnitude smaller.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Run each size in its own process and compare the peaks."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--region", default="rotterdam-rijnmond")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--tmpdir", default=None)
    args = parser.parse_args()
    print(f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"{datetime.now(UTC):%Y-%m-%d}", flush=True)
    results = []
    with tempfile.TemporaryDirectory() as out_dir:
        for scale in args.scales:
            out = Path(out_dir) / f"year-{scale}.json"
            cmd = [sys.executable, str(HERE / "bench_year.py"), "--region", args.region,
                   "--scale", str(scale), "--days", str(args.days), "--quiet", "--json",
                   str(out)]
            if args.tmpdir:
                cmd += ["--tmpdir", args.tmpdir]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            r = json.loads(out.read_text())
            results.append(r)
            print(f"scale {scale:6g}: {r['events']:>10,} events, {r['households']:>8,} "
                  f"households, peak RSS {r['peak_rss_mb']:6,} MiB, store {r['store_mb']:6,} "
                  f"MiB, wall {r['wall_seconds']:7.0f} s (commands {r['commands_seconds']:.0f} s,"
                  f" ticks {r['ticks_seconds']:.0f} s; {r['commands']:,} commands, "
                  f"refusals {r['refusals'] or 'none'})", flush=True)
    if len(results) >= 2:
        first, last = results[0], results[-1]
        print(f"events x{last['events'] / first['events']:.1f} -> peak RSS "
              f"x{last['peak_rss_mb'] / first['peak_rss_mb']:.2f} "
              f"(store x{last['store_mb'] / max(1, first['store_mb']):.1f})")


if __name__ == "__main__":
    main()
