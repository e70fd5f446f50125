"""Benchmark: the scheduler's cost follows the number due, not the number open.

Two stores are prepared, one with 10,000 and one with 1,000,000 open deadlines that are not due,
and in each the same number of real household cases with a veiligheidsbeoordeling (T1) that
has come due. ``tick(now)`` is timed on both: an idle tick (nothing due) and a tick that records
the breaches. The figures printed are medians over repeats and the ratio big/small, which should
stay near 1 if the index does its job (a scan would make it ~100).

The not-due deadlines are bulk-inserted into the ``rm_deadlines`` index (a real engine would need
hours to open a million deadlines on a laptop); the due ones are real cases driven through the
engine, so every breach is decided and stored the normal way.

    python benchmarks/bench_tick.py [--small 10000] [--big 1000000] [--due 200] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from hgkm_workflow import HgkmApplication, SettableClock
from hgkm_workflow.projections.deadline_index import deadlines

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
VT = {"actor_id": "vt-bench", "organisation": "vt-bench", "role": "vt_medewerker"}


def fill_not_due(app: HgkmApplication, count: int) -> None:
    """Bulk-insert ``count`` open deadlines due far in the future into the index."""
    far = datetime(2030, 1, 1)
    batch = 50_000
    with app.engine.begin() as conn:
        for first in range(0, count, batch):
            rows = [
                {"deadline_id": str(uuid.uuid4()), "case_id": str(uuid.uuid4()), "rule_id": "T4",
                 "rule_name": "monitoring", "rule_type": "P", "checkpoint": None,
                 "subject_id": str(uuid.uuid4()), "start": datetime(2026, 1, 1),
                 "due": far + timedelta(minutes=i), "calendar_version": "atw-2",
                 "status": "open"}
                for i in range(first, min(first + batch, count))
            ]
            conn.execute(deadlines.insert(), rows)


def add_due_cases(app: HgkmApplication, clock: SettableClock, count: int) -> None:
    """Open ``count`` real cases whose T1 falls due a week later."""
    for _ in range(count):
        app.receive_melding({
            "actor": VT, "rationale": "benchmark melding", "region": "bench",
            "gemeente": "GM0599", "melder_type": "burger",
            "persons": [{"person_id": str(uuid.uuid4()), "role": "victim"}],
            "forms_of_violence": ["partnergeweld"],
        })


def measure(open_count: int, due: int, repeats: int, workdir: Path) -> dict[str, float]:
    """Median idle-tick and breach-tick times (seconds) on a store with ``open_count`` open."""
    clock = SettableClock(START)
    app = HgkmApplication(f"sqlite:///{workdir / f'tick-{open_count}.db'}", clock=clock,
                          snapshot_interval=0)
    fill_not_due(app, open_count)
    with app.engine.connect() as conn:
        n_open = conn.execute(sa.select(sa.func.count()).select_from(deadlines)).scalar_one()
    idle: list[float] = []
    busy: list[float] = []
    per_due: list[float] = []
    for _ in range(repeats):
        add_due_cases(app, clock, due)
        app.catch_up()
        t0 = time.perf_counter()
        app.tick(clock.now())  # nothing due yet
        idle.append(time.perf_counter() - t0)
        clock.advance(timedelta(days=14))
        t0 = time.perf_counter()
        records = app.tick(clock.now())
        elapsed = time.perf_counter() - t0
        busy.append(elapsed)
        breaches = [r for r in records if r.kind == "breach"]
        per_due.append(elapsed / max(1, len(breaches)))
    app.close()
    return {"open": float(n_open), "idle": statistics.median(idle),
            "busy": statistics.median(busy), "per_due": statistics.median(per_due)}


def main() -> None:
    """Run both sizes and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        small = measure(args.small, args.due, args.repeats, work)
        big = measure(args.big, args.due, args.repeats, work)
    print(f"due per tick: {args.due} (T1 breaches of real cases), repeats: {args.repeats}")
    for label, m in (("small", small), ("big", big)):
        print(f"{label:5}  open≈{int(m['open']):>9,}  idle tick {m['idle'] * 1e3:8.2f} ms  "
              f"breach tick {m['busy'] * 1e3:9.1f} ms  per breach {m['per_due'] * 1e3:6.2f} ms")
    print(f"ratio big/small: idle {big['idle'] / small['idle']:.2f}  "
          f"breach tick {big['busy'] / small['busy']:.2f}  "
          f"(open ratio {big['open'] / small['open']:.0f})")


if __name__ == "__main__":
    main()
