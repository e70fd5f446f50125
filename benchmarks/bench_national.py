"""Benchmark: the national proxy — a tenth of the country, end to end (issue 17, item 5).

Builds about 2.5 regions x 10 years of events from the simulation (``--scale 1.0`` aims at
about 2M events), then on PostgreSQL: import, rebuild every read model, ``audit verify``
with workers, and the monitor. Every step runs in a fresh child process, so each peak RSS is
that step's own. Steps and their bare-eventsourcing baselines, measured in the same run:

1. simulate: three region streams (Rotterdam-Rijnmond, Hollands-Midden at full weight,
   Arnhem-Achterhoek at half), each over ten years at a volume chosen so the streams hold
   about 0.8M, 0.8M and 0.4M events at scale 1; one process per stream (separate SQLite
   stores under ``--workdir``, default ``/dev/shm``), then each store exported to JSON Lines;
2. merge: the exports merged by recording instant into one stream (each stream's order
   kept), as a national store would have recorded them;
3. import: ``import_jsonl`` (every check of the commands, then the bulk COPY) into an empty
   database; the import's own catch-up of the read models is timed separately.
   Baseline: the same stored rows inserted with eventsourcing's recorder
   (``insert_events``, 1,000 rows per call) into another empty database;
   ``--compare-import`` also times the per-event import path (``bulk=False``);
4. rebuild: ``app.projections.rebuild()`` (all read models, from zero).
   Baseline: bare read + decode of every event (``select_notifications`` +
   ``mapper.to_domain_event``);
5. verify: ``app.verify(workers=N)`` (replay every aggregate, rebuild and compare every read
   model); baseline: the same bare read + decode;
6. monitor: ``app.monitor()`` for the region with the most meldingen, as an auditor.

    python benchmarks/bench_national.py --postgres postgresql://postgres@127.0.0.1:55433/x
        [--scale 0.1] [--workers 2] [--workdir /dev/shm] [--compare-import] [--json FILE]
    python benchmarks/bench_national.py --postgres URL --from-export national.jsonl \
        [--sim-json national-sim.json] --keep   # simulate + merge made elsewhere
    python benchmarks/bench_national.py --postgres URL --reuse-proxy --keep \
        --skip bare_insert,rebuild --workers 1,2   # only some later steps again

The URL's database is only used to connect: the benchmark creates (and drops) ``<name>_proxy``
and ``<name>_bare`` beside it. Run it against a durable server (fsync on); it prints the
server's ``fsync`` and ``synchronous_commit``.
"""

from __future__ import annotations

import argparse
import heapq
import json
import multiprocessing
import os
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

AUDITOR = {"actor": {"actor_id": "bench-auditor", "organisation": "hgkm-bench",
                     "role": "auditor"}, "purpose": "audit"}
#: (region, share of the proxy's events, yearly meldingen of the profile).
STREAMS = (("rotterdam-rijnmond", 0.4, 12421), ("hollands-midden", 0.4, 4102),
           ("arnhem-achterhoek", 0.2, 3321))
PROXY_EVENTS = 2_000_000
YEARS = 10
#: Events per melding over ten years (history, adviezen included), to choose the volumes:
#: 27 aimed scale 0.1 at 200,000 and gave 303,946 events (2026-12-03), so 27 x 1.52 = 41.
EVENTS_PER_MELDING = 41.0
#: Rows per bare ``insert_events`` call (10,000 stalled in eventsourcing's pipelined insert).
BARE_CHUNK = 1_000


def _rss() -> float:
    usage = (resource.getrusage(w).ru_maxrss for w in (resource.RUSAGE_SELF,
                                                       resource.RUSAGE_CHILDREN))
    return max(usage) / 1024


def _timed(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``fn`` here; add its wall and CPU seconds and this process's peak RSS."""
    load = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args)
    out.update(seconds=time.perf_counter() - t0, cpu_seconds=time.process_time() - c0,
               peak_rss_mb=_rss(), load_before=load, load_after=os.getloadavg()[0])
    return out


def in_child(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``fn(*args)`` in a fresh forked process (its own peak RSS)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        return pool.submit(_timed, fn, *args).result()


# ------------------------------------------------------------------------- the steps


def simulate_stream(index: int, region: str, volume: float, workdir: str) -> dict[str, Any]:
    """Simulate one region over ``YEARS`` years into its own SQLite store; export it."""
    from hgkm_workflow import HgkmApplication, SettableClock
    from hgkm_workflow.audit.exchange import write_export
    from hgkm_workflow.simulation import SimulationConfig
    from hgkm_workflow.simulation.driver import Simulation

    db, out = Path(workdir) / f"stream-{index}.db", Path(workdir) / f"stream-{index}.jsonl"
    start = date(2016, 1, 1)
    clock = SettableClock(datetime(start.year, 1, 1, tzinfo=UTC))
    app = HgkmApplication(f"sqlite:///{db}", clock=clock)
    config = SimulationConfig(region=region, start=start,
                              until=date(start.year + YEARS, 1, 1), scale=volume,
                              seed=2025 + index)
    t0 = time.perf_counter()
    result = Simulation(app, clock, config).run()
    simulated = time.perf_counter() - t0
    exported = write_export(app, out)
    app.close()
    db.unlink()
    return {"region": region, "volume": volume, "events": result.events,
            "meldingen": result.meldingen, "commands": result.commands,
            "simulate_seconds": simulated,
            "export_seconds": time.perf_counter() - t0 - simulated,
            "exported": exported.events, "file": str(out)}


def _recorded_at(line: str) -> str:
    at = line.index('"recorded_at":"') + 15
    return line[at:line.index('"', at)]


def merge(files: list[str], target: str) -> dict[str, Any]:
    """Merge the exports by recording instant, keeping each file's order."""
    count = 0
    with ExitStack() as stack:
        handles = [stack.enter_context(Path(f).open(encoding="utf-8")) for f in files]
        out = stack.enter_context(Path(target).open("w", encoding="utf-8"))
        for line in heapq.merge(*handles, key=_recorded_at):
            out.write(line if line.endswith("\n") else line + "\n")
            count += 1
    return {"events": count}


def _open(url: str) -> Any:
    from hgkm_workflow import HgkmApplication, SettableClock

    return HgkmApplication(url, clock=SettableClock(datetime(2026, 1, 1, tzinfo=UTC)),
                           snapshot_interval=0)


def import_step(url: str, source: str, bulk: bool) -> dict[str, Any]:
    """``import_jsonl`` into the empty store at ``url``, its parts timed."""
    from hgkm_workflow.audit import exchange

    app = _open(url)
    parts: dict[str, float] = {}
    real_insert = exchange._insert

    def insert(*args: Any) -> int:
        t = time.perf_counter()
        n = real_insert(*args)
        parts["insert_seconds"] = time.perf_counter() - t
        return n

    class Runner:  # the projection runner, its rebuild timed
        def rebuild(self) -> int:
            t = time.perf_counter()
            n: int = app.projections.rebuild()
            parts["read_models_seconds"] = time.perf_counter() - t
            return n

    class Target:  # the application, with the building of its read models timed
        recorder, mapper, engine, projections = app.recorder, app.mapper, app.engine, Runner()

        def catch_up(self) -> int:
            return int(app.catch_up())

    exchange._insert = insert  # type: ignore[assignment]
    try:
        result = exchange.import_jsonl(Target(), source, bulk=bulk)
    finally:
        exchange._insert = real_insert
    app.close()
    return {"events": result.events, "aggregates": result.aggregates, **parts}


def _notifications(app: Any) -> Iterator[Any]:
    start = 0
    while batch := app.recorder.select_notifications(start=start, limit=500,
                                                     inclusive_of_start=False):
        yield from batch
        start = batch[-1].id


def bare_insert(source_url: str, target_url: str) -> dict[str, Any]:
    """Insert the stored rows of ``source_url`` with the bare recorder into ``target_url``."""
    from eventsourcing.persistence import StoredEvent

    source, target = _open(source_url), _open(target_url)
    rows = [StoredEvent(originator_id=n.originator_id, originator_version=n.originator_version,
                        topic=n.topic, state=n.state) for n in _notifications(source)]
    source.close()
    t = time.perf_counter()
    for start in range(0, len(rows), BARE_CHUNK):
        target.recorder.insert_events(rows[start:start + BARE_CHUNK])
    seconds = time.perf_counter() - t
    target.close()
    return {"events": len(rows), "insert_seconds": seconds}


def bare_decode(url: str) -> dict[str, Any]:
    """Read and decode every event with eventsourcing's mapper."""
    app = _open(url)
    count = 0
    for n in _notifications(app):
        app.mapper.to_domain_event(n)
        count += 1
    app.close()
    return {"events": count}


def rebuild_step(url: str) -> dict[str, Any]:
    """Drop and rebuild every read model."""
    app = _open(url)
    count = app.projections.rebuild()
    app.close()
    return {"events": count}


def verify_step(url: str, workers: int) -> dict[str, Any]:
    """``audit verify`` with ``workers`` processes for the replay."""
    app = _open(url)
    events = app.recorder.max_notification_id() or 0
    report = app.verify(access=AUDITOR, workers=workers)
    app.close()
    return {"ok": bool(report.ok), "events": events}


def monitor_step(url: str, region: str, period: str) -> dict[str, Any]:
    """The monitor for ``region`` and ``period``, as an auditor."""
    app = _open(url)
    report = app.monitor(region=region, period=period, access=AUDITOR)
    app.close()
    return {"region": region, "period": period, "report": type(report).__name__}


def follow_cost(url: str, source: str, events: int, min_batch: int,
                chunk: int = 3, pause: float = 0.002) -> dict[str, Any]:
    """A follower's CPU per event while a writer inserts ``chunk`` events every ``pause`` s.

    The rows come from the export ``source`` (imported into ``url`` first, then copied out
    and the store emptied again), so the writer inserts real events through the recorder
    (NOTIFY on PostgreSQL); the follower runs in a thread with ``min_batch`` (and a 1 s
    maximum delay) and measures its own thread CPU time.
    """
    import threading

    import sqlalchemy as sa
    from eventsourcing.persistence import StoredEvent

    from hgkm_workflow.audit.exchange import import_jsonl

    (url,) = _databases(url, [str(sa.make_url(url).database)])
    app = _open(url)
    import_jsonl(app, source)
    rows = [StoredEvent(originator_id=n.originator_id, originator_version=n.originator_version,
                        topic=n.topic, state=n.state) for n in _notifications(app)][:events]
    app.close()
    (url,) = _databases(url, [str(sa.make_url(url).database)])  # empty again
    app = _open(url)
    app.projections.catch_up()
    stop, sizes, cpu = threading.Event(), [], [0.0]

    def run() -> None:
        c0 = time.thread_time()
        app.projections.follow(stop, 1.0, min_batch=min_batch, max_delay=1.0,
                               on_batch=sizes.append)
        cpu[0] = time.thread_time() - c0

    thread = threading.Thread(target=run)
    thread.start()
    for start in range(0, len(rows), chunk):
        app.recorder.insert_events(rows[start:start + chunk])
        time.sleep(pause)
    deadline = time.monotonic() + 120
    while app.projections.lag() and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join()
    app.close()
    return {"events": sum(sizes), "min_batch": min_batch, "batches": len(sizes),
            "follower_cpu_seconds": cpu[0],
            "cpu_us_per_event": 1e6 * cpu[0] / max(1, sum(sizes))}


# ------------------------------------------------------------------------- running


def _databases(url: str, names: list[str], drop_only: bool = False,
               keep: bool = False) -> list[str]:
    import psycopg
    import sqlalchemy as sa

    base = sa.make_url(url)
    admin = base.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False),
                         autocommit=True) as conn:
        for name in names if not keep else ():
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not drop_only:
                conn.execute(f'CREATE DATABASE "{name}"')
    return [base.set(database=n).render_as_string(hide_password=False) for n in names]


def _server(url: str) -> dict[str, str]:
    import psycopg
    import sqlalchemy as sa

    plain = sa.make_url(url).set(drivername="postgresql")
    with psycopg.connect(plain.render_as_string(hide_password=False)) as conn:
        return {k: str(conn.execute(f"SHOW {k}").fetchone()[0])  # type: ignore[index]
                for k in ("server_version", "fsync", "synchronous_commit", "data_directory",
                          "shared_buffers")}


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """All steps; the figures."""
    base_name = str(__import__("sqlalchemy").make_url(args.postgres).database)
    steps: dict[str, Any] = {"server": _server(args.postgres), "cpus": os.cpu_count()}
    if args.from_export:  # simulate + merge done elsewhere: import this file, then the rest
        proxy, bare = _databases(args.postgres, [f"{base_name}_proxy", f"{base_name}_bare"])
        t0 = time.perf_counter()
        if args.sim_json:
            made = json.loads(Path(args.sim_json).read_text())
            steps["simulate"], steps["merge"] = made["simulate"], made["merge"]
            steps["simulate"].setdefault("peak_rss_mb", max(
                s.get("peak_rss_mb", 0) for s in steps["simulate"]["streams"]))
            steps["merge"].setdefault("peak_rss_mb", 0)
            _say("simulate+export (given)", steps["simulate"])
            _say("merge (given)", steps["merge"])
        steps["import"] = in_child(import_step, proxy, args.from_export, True)
        _say("import (bulk)", steps["import"])
        return _read_steps(args, steps, proxy, bare, base_name, t0, args.from_export)
    if args.reuse_proxy:  # the proxy database of an earlier run, imported already
        (proxy,) = _databases(args.postgres, [f"{base_name}_proxy"], drop_only=True,
                              keep=True)
        (bare,) = _databases(args.postgres, [f"{base_name}_bare"])
        return _read_steps(args, steps, proxy, bare, base_name, time.perf_counter())
    proxy, bare = _databases(args.postgres, [f"{base_name}_proxy", f"{base_name}_bare"])
    volumes = [(r, args.scale * PROXY_EVENTS * share / (EVENTS_PER_MELDING * YEARS * m))
               for r, share, m in STREAMS]
    print(f"server {steps['server']}; streams {[(r, round(v, 4)) for r, v in volumes]}",
          flush=True)
    t0, load = time.perf_counter(), os.getloadavg()[0]
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(len(volumes), args.sim_workers),
                             mp_context=ctx) as pool:
        futures = [pool.submit(_timed, simulate_stream, i, r, v, str(workdir))
                   for i, (r, v) in enumerate(volumes)]
        streams = [f.result() for f in futures]
    steps["simulate"] = {"seconds": time.perf_counter() - t0, "streams": streams,
                         "events": sum(s["events"] for s in streams), "load_before": load,
                         "load_after": os.getloadavg()[0],
                         "peak_rss_mb": max(s["peak_rss_mb"] for s in streams)}
    _say("simulate+export", steps["simulate"])
    merged = str(workdir / "national.jsonl")
    steps["merge"] = in_child(merge, [s["file"] for s in streams], merged)
    _say("merge", steps["merge"])
    for stream in streams:
        Path(stream["file"]).unlink()
    steps["import"] = in_child(import_step, proxy, merged, True)
    _say("import (bulk)", steps["import"])
    return _read_steps(args, steps, proxy, bare, base_name, t0, merged)


def _read_steps(args: argparse.Namespace, steps: dict[str, Any], proxy: str, bare: str,
                base_name: str, t0: float, merged: str | None = None) -> dict[str, Any]:
    """The steps after the import: baselines, rebuild, verify, monitor (less ``--skip``)."""
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if "bare_insert" not in skip:
        steps["bare_insert"] = in_child(bare_insert, proxy, bare)
        _say("bare recorder insert", steps["bare_insert"])
    if args.compare_import and merged is not None:
        (old,) = _databases(args.postgres, [f"{base_name}_old"])
        steps["import_per_event"] = in_child(import_step, old, merged, False)
        _say("import (per-event)", steps["import_per_event"])
        _databases(args.postgres, [f"{base_name}_old"], drop_only=True)
    _databases(args.postgres, [f"{base_name}_bare"], drop_only=True)
    decodes, rebuilds = [], []
    for _ in range(args.repeat):  # interleaved: bare, rebuild, bare, rebuild ...
        decodes.append(in_child(bare_decode, proxy))
        _say("bare read+decode", decodes[-1])
        if "rebuild" not in skip:
            rebuilds.append(in_child(rebuild_step, proxy))
            _say("rebuild", rebuilds[-1])
    steps["bare_decode"] = min(decodes, key=lambda r: r["seconds"]) | {"runs": decodes}
    if rebuilds:
        steps["rebuild"] = min(rebuilds, key=lambda r: r["seconds"]) | {"runs": rebuilds}
    if "verify" not in skip:
        for workers in [int(w) for w in str(args.workers).split(",")]:
            key = "verify" if workers == int(str(args.workers).split(",")[0]) else \
                f"verify_{workers}"
            steps[key] = in_child(verify_step, proxy, workers) | {"workers": workers}
            _say(f"audit verify --workers {workers}", steps[key])
    if "monitor" not in skip:
        steps["monitor"] = in_child(monitor_step, proxy, STREAMS[0][0], str(2016 + YEARS - 1))
        _say("monitor", steps["monitor"])
    steps["total_seconds"] = time.perf_counter() - t0
    if not args.keep:
        _databases(args.postgres, [f"{base_name}_proxy"], drop_only=True)
    return steps


def _say(name: str, r: dict[str, Any]) -> None:
    events = r.get("events") or 0
    rate = f"{events / r['seconds']:10,.0f} events/s" if events else " " * 19
    extra = {k: round(v, 1) for k, v in r.items() if k.endswith("_seconds")
             and k not in ("cpu_seconds",)}
    print(f"{name:28} {r['seconds']:8.1f} s {rate}  peak RSS {r['peak_rss_mb']:6.0f} MiB  "
          f"load {r['load_before']:.1f}->{r['load_after']:.1f}  {events:,} events {extra}",
          flush=True)


def main() -> None:
    """Parse the options, run, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", required=True)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--workers", default="2",
                        help="Verify's workers; a comma-separated list runs verify once each")
    parser.add_argument("--sim-workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--workdir", default="/dev/shm")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--compare-import", action="store_true",
                        help="Also time the per-event import (recorder.insert_events of the "
                             "whole file in one call; it stalled on PostgreSQL above ~10k "
                             "events in this session, see docs/performance.md)")
    parser.add_argument("--keep", action="store_true", help="Keep the proxy database")
    parser.add_argument("--reuse-proxy", action="store_true",
                        help="Skip simulate, merge and import: run the later steps on the "
                             "proxy database an earlier run (killed, or --keep) left")
    parser.add_argument("--json", default=None)
    parser.add_argument("--from-export", default=None, metavar="EXPORT",
                        help="Skip simulate and merge: import this merged export, then run "
                             "the later steps")
    parser.add_argument("--sim-json", default=None, metavar="FILE",
                        help="With --from-export: the simulate/merge figures of the run that "
                             "made the export ({'simulate': ..., 'merge': ...})")
    parser.add_argument("--skip", default="", metavar="STEPS",
                        help="Comma-separated later steps not to run: bare_insert, rebuild, "
                             "verify, monitor (with --reuse-proxy, to re-run only some)")
    parser.add_argument("--import-file", default=None, metavar="EXPORT",
                        help="Only time the import of this export into a fresh database")
    parser.add_argument("--follow-cost", default=None, metavar="EXPORT",
                        help="Only measure a follower's CPU per event (min batch 1 against "
                             "200), inserting the first 3,000 events of this export")
    args = parser.parse_args()
    if args.import_file:  # only the import step, into a fresh proxy database
        name = str(__import__("sqlalchemy").make_url(args.postgres).database)
        (url,) = _databases(args.postgres, [f"{name}_proxy"])
        _say("import (bulk)", in_child(import_step, url, args.import_file, True))
        return
    if args.follow_cost:
        name = str(__import__("sqlalchemy").make_url(args.postgres).database)
        (url,) = _databases(args.postgres, [f"{name}_follow"])
        for _ in range(args.repeat):
            for batch in (1, 200):
                r = in_child(follow_cost, url, args.follow_cost, 3000, batch)
                print(f"min_batch {batch:4}: {r['events']:,} events in {r['batches']:,} "
                      f"catch-ups, follower CPU {r['follower_cpu_seconds']:.2f} s = "
                      f"{r['cpu_us_per_event']:.0f} us/event; load {r['load_before']:.1f}",
                      flush=True)
        _databases(args.postgres, [f"{name}_follow"], drop_only=True)
        return
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="hgkm-national-") as tmp:
        steps = run(args, Path(tmp))
    d = steps["bare_decode"]
    parts: list[str] = []
    if "rebuild" in steps:
        parts.append(f"rebuild {d['seconds'] / steps['rebuild']['seconds']:.3f}x the bare "
                     "read+decode rate")
    for key in (k for k in steps if k.startswith("verify")):
        parts.append(f"{key} (--workers {steps[key]['workers']}) "
                     f"{d['seconds'] / steps[key]['seconds']:.3f}x, "
                     f"{1e6 * steps[key]['seconds'] / max(1, steps[key]['events']):.0f} us/event")
    if "import" in steps and "bare_insert" in steps:
        i, b = steps["import"], steps["bare_insert"]
        parts.append(f"import insert (COPY) {b['insert_seconds'] / i['insert_seconds']:.2f}x "
                     f"the bare recorder's rate; whole import (checks, insert, read models) "
                     f"{b['insert_seconds'] / i['seconds']:.3f}x")
    print(f"ratios to bare eventsourcing: {'; '.join(parts)}; total "
          f"{steps['total_seconds']:.0f} s", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(steps, indent=2, default=str))


if __name__ == "__main__":
    main()
