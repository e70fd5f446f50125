"""Benchmark: commands per second for a realistic mix, against bare eventsourcing.

1. **Record a realistic mix.** A short simulated period of a region (``hgkm_workflow.simulation``)
   is run once; every command it sends (method, payload, clock instant) is recorded — meldingen,
   adviezen, assessments, huisverboden, VT services and monitoring, care phases, MDA++, closure.
2. **hgkm.** The recorded commands are replayed, timed, against a fresh store through
   ``HgkmApplication`` (validation, load, decide, save). The scheduler's ticks are replayed at
   their recorded instants too, so every command meets the state it met when recorded, but
   their time (the read models' catch-up) is not part of the figure. Each command's events
   are counted and their stored size measured.
3. **bare.** An ``eventsourcing.application.Application`` with a trivial aggregate replays the
   same shape: per command, get the same aggregate (if it exists) and save the same number of
   events with payloads of the same stored byte size, on the same backend. Two variants: bare
   with eventsourcing's defaults (no aggregate cache), and bare with the same aggregate cache as
   hgkm. The ratio hgkm / bare (cached) is the library's overhead; the target is at most 1.5x.

Runs alternate (bare, hgkm, bare, ...) and the medians are printed, each backend on its own
fresh database per run: SQLite (a file in a temporary directory, default durable settings) and
PostgreSQL when ``HGKM_TEST_POSTGRES_URL`` (or ``--pg``) answers.

    python benchmarks/bench_commands.py [--region rotterdam-rijnmond] [--scale 0.05]
        [--days 120] [--repeats 3] [--pg postgresql://...] [--no-pg] [--tmpdir DIR] [--cpu]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event

from hgkm_workflow import HgkmApplication, SettableClock
from hgkm_workflow.adapters.store import parse_store_url
from hgkm_workflow.projections import dispose_engines
from hgkm_workflow.simulation import SimulationConfig, run_simulation


#: The timer of every figure: wall time (``perf_counter``), or with ``--cpu`` this process's
#: CPU time (``process_time``), which a loaded, shared machine disturbs much less (SQLite runs
#: in-process, so on tmpfs its work is counted; PostgreSQL's server-side work is not).
class _Timer:
    now: Callable[[], float] = staticmethod(time.perf_counter)


TIMER = _Timer()

#: Application methods that are commands (everything the simulation sends except tick/get).
QUERIES = frozenset({"get_case", "catch_up", "load_case", "list_cases", "monitor",
                     "open_deadlines", "classification", "case_events", "get_advies"})


@dataclass(frozen=True)
class Recorded:
    """One recorded command."""

    method: str
    data: dict[str, Any]
    at: datetime


class RecordingApp:
    """Wraps an application: passes everything through, records each command sent."""

    def __init__(self, app: HgkmApplication, clock: SettableClock) -> None:
        self._app = app
        self._clock = clock
        self.log: list[Recorded] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._app, name)
        if name.startswith("_") or name in QUERIES or not callable(attr):
            return attr

        def record(data: Any = None) -> Any:
            self.log.append(Recorded(name, data, self._clock.now()))
            return attr(data)

        return record


def record_mix(region: str, scale: float, days: int, workdir: Path) -> list[Recorded]:
    """Run a simulation once and return the commands it sent, in order."""
    clock = SettableClock(datetime(2025, 1, 1, tzinfo=UTC))
    app = HgkmApplication(f"sqlite:///{workdir / 'record.db'}", clock=clock)
    recorder = RecordingApp(app, clock)
    start = date(2025, 3, 3)
    config = SimulationConfig(region=region, start=start, until=start + timedelta(days=days),
                              scale=scale, seed=42)
    run_simulation(recorder, clock, config)  # type: ignore[arg-type]
    app.close()
    dispose_engines()
    return recorder.log


# ------------------------------------------------------------------ hgkm replay

@dataclass
class Shape:
    """What one command stored: the aggregate index and the byte size of each event."""

    aggregate: int
    sizes: list[int]


def replay_hgkm(url: str, log: list[Recorded]) -> tuple[float, list[Shape], int]:
    """Replay the commands through HgkmApplication; return seconds, shapes and refusals."""
    from hgkm_workflow.errors import HgkmError

    clock = SettableClock(log[0].at)
    app = HgkmApplication(url, clock=clock)
    results: list[tuple[uuid.UUID, int, int]] = []
    refused = 0
    codes: dict[str, int] = {}
    t0 = TIMER.now()
    ticks = 0.0
    for rec in log:
        clock.set(rec.at)
        if rec.method == "tick":  # replayed as recorded, but not part of the figure
            t_tick = TIMER.now()
            app.tick(rec.at)
            ticks += TIMER.now() - t_tick
            continue
        try:
            result = getattr(app, rec.method)(rec.data)
        except HgkmError as exc:
            refused += 1
            codes[exc.code] = codes.get(exc.code, 0) + 1
            continue
        results.append((result.aggregate_id, result.version, len(result.events)))
    elapsed = TIMER.now() - t0 - ticks
    if codes:
        print(f"  refused in replay: {codes}")
    shapes = _shapes(app, results)
    app.close()
    dispose_engines()
    return elapsed, shapes, refused


def _shapes(app: HgkmApplication, results: list[tuple[uuid.UUID, int, int]]) -> list[Shape]:
    table = "stored_events" if app.config.kind.value == "sqlite" else "hgkm_events"
    sizes: dict[tuple[str, int], int] = {}
    with app.engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        if table not in names:
            table = next(n for n in names if n.endswith("events") and "snapshot" not in n
                         and not n.startswith("rm_"))
        for oid, version, size in conn.execute(sa.text(
                f"SELECT originator_id, originator_version, length(state) FROM {table}")):
            sizes[(str(oid).replace("-", ""), int(version))] = int(size)
    index: dict[uuid.UUID, int] = {}
    shapes: list[Shape] = []
    for aggregate_id, version, n in results:
        key = aggregate_id.hex
        shapes.append(Shape(index.setdefault(aggregate_id, len(index)),
                            [sizes.get((key, v), sizes.get((str(aggregate_id), v), 200))
                             for v in range(version - n + 1, version + 1)]))
    return shapes


# ------------------------------------------------------------------ bare replay

class Thing(Aggregate):
    """A trivial aggregate: one event type carrying an opaque payload."""

    @event("Created")
    def __init__(self, payload: str) -> None:
        self.count = 0

    @event("Happened")
    def happen(self, payload: str) -> None:
        self.count += 1


class BareApp(Application[uuid.UUID]):
    """eventsourcing's Application, nothing added."""

    name = "bare"


def _envelope(app: BareApp) -> int:
    """Bytes a stored bare event takes besides its payload (timestamp, key names, ...)."""
    thing = Thing(payload="")
    thing.happen(payload="")
    return len(app.mapper.to_stored_event(thing.collect_events()[-1]).state)


def _payload(size: int, envelope: int) -> str:
    return "x" * max(1, size - envelope)


def replay_bare(url: str, shapes: list[Shape], cache: bool) -> float:
    """Save the same numbers of events of the same sizes with a bare Application."""
    env = dict(parse_store_url(url).eventsourcing_env)
    if cache:
        env["AGGREGATE_CACHE_MAXSIZE"] = "2000"
    app = BareApp(env=env)
    envelope = _envelope(app)
    ids: dict[int, uuid.UUID] = {}
    t0 = TIMER.now()
    for shape in shapes:
        oid = ids.get(shape.aggregate)
        sizes = list(shape.sizes)
        thing: Thing
        if oid is None:
            thing = Thing(payload=_payload(sizes.pop(0), envelope))
            ids[shape.aggregate] = thing.id
        else:
            try:
                thing = app.repository.get(oid)
            except AggregateNotFoundError:  # pragma: no cover - never: ids come from saves
                raise
        for size in sizes:
            thing.happen(payload=_payload(size, envelope))
        app.save(thing)
    elapsed = TIMER.now() - t0
    app.close()
    return elapsed


# ------------------------------------------------------------------ databases

@contextmanager
def fresh_sqlite(workdir: Path, name: str) -> Iterator[str]:
    """A new SQLite file."""
    path = workdir / f"{name}-{uuid.uuid4().hex[:8]}.db"
    yield f"sqlite:///{path}"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def fresh_pg(admin_url: str) -> Iterator[str]:
    """A new PostgreSQL database on the server of ``admin_url``, dropped afterwards."""
    import psycopg

    name = f"hgkm_bench_{uuid.uuid4().hex[:10]}"
    dsn = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        dispose_engines()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_answers(url: str) -> bool:
    """Whether a PostgreSQL server answers at ``url``."""
    import psycopg

    try:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                             connect_timeout=2):
            return True
    except psycopg.Error:
        return False


# ------------------------------------------------------------------ main

def measure(backend: str, fresh: Callable[[str], Any], log: list[Recorded],
            repeats: int) -> dict[str, Any]:
    """Alternate bare and hgkm runs on fresh databases; return medians."""
    hgkm: list[float] = []
    bare: list[float] = []
    bare_cached: list[float] = []
    shapes: list[Shape] = []
    refused = 0
    for _ in range(repeats):
        with fresh("hgkm") as url:
            elapsed, shapes, refused = replay_hgkm(url, log)
            hgkm.append(elapsed)
        with fresh("bare") as url:
            bare.append(replay_bare(url, shapes, cache=False))
        with fresh("barec") as url:
            bare_cached.append(replay_bare(url, shapes, cache=True))
    n = len(shapes)
    events = sum(len(s.sizes) for s in shapes)
    size = statistics.mean(x for s in shapes for x in s.sizes)
    out = {"backend": backend, "commands": n, "events": events, "mean_event_bytes": size,
           "refused": refused, "hgkm": statistics.median(hgkm),
           "bare": statistics.median(bare), "bare_cached": statistics.median(bare_cached)}
    print(f"{backend:10} {n:6} commands {events:7} events (mean {size:4.0f} B) | "
          f"hgkm {n / out['hgkm']:7.0f} cmd/s {events / out['hgkm']:7.0f} ev/s | "
          f"bare {n / out['bare']:7.0f} cmd/s | bare+cache {n / out['bare_cached']:7.0f} cmd/s"
          f" | hgkm/bare {out['hgkm'] / out['bare']:4.2f}x, "
          f"hgkm/bare+cache {out['hgkm'] / out['bare_cached']:4.2f}x"
          + (f" | {refused} refused in replay" if refused else ""))
    return out


def main() -> None:
    """Record the mix once, then measure each backend."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--region", default="rotterdam-rijnmond")
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pg", default=os.environ.get("HGKM_TEST_POSTGRES_URL",
                                                       "postgresql://postgres@127.0.0.1:55432/"
                                                       "hgkm_test"))
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--tmpdir", default=None, help="Where the SQLite files go")
    parser.add_argument("--cpu", action="store_true",
                        help="Time with this process's CPU time instead of wall time")
    args = parser.parse_args()
    if args.cpu:
        TIMER.now = time.process_time
    print(f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"{datetime.now(UTC):%Y-%m-%d}, load average {os.getloadavg()[0]:.2f}, timer "
          + ("process CPU" if args.cpu else "wall"))
    with tempfile.TemporaryDirectory(dir=args.tmpdir) as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        log = record_mix(args.region, args.scale, args.days, work)
        kinds: dict[str, int] = {}
        for rec in log:
            if rec.method == "tick":
                continue
            kinds[rec.method] = kinds.get(rec.method, 0) + 1
        top = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])[:8])
        n_cmd = sum(kinds.values())
        print(f"mix: {n_cmd} commands from {args.region} x{args.scale} over {args.days} "
              f"days (recorded in {time.perf_counter() - t0:.1f} s): {top}, ...")

        def sqlite(name: str) -> Any:
            return fresh_sqlite(work, name)

        measure("sqlite", sqlite, log, args.repeats)
        if not args.no_pg and pg_answers(args.pg):
            measure("postgresql", lambda name: fresh_pg(args.pg), log, args.repeats)
        elif not args.no_pg:
            print(f"postgresql: no server answers at {args.pg}; skipped")


if __name__ == "__main__":
    main()
