"""Benchmark: loading a long-lived case (about 500 events) with and without snapshots.

A household case is driven through the application to ``--events`` events (default 525): a
melding handed over to the local team, then rounds of vervolgmeldingen, veiligheidsbeoordelingen
and feedback to the melder — each round about 8 events, as a case that keeps being reported
collects them. The store is written by an application that snapshots every 50 events.

Then the case is loaded ``--repeats`` times, each time from the store (aggregate cache off):

* **without snapshots**: an application with snapshotting disabled replays every event;
* **with snapshots**: the newest snapshot (at event 500) plus the events after it.

The same is done for a bare ``eventsourcing`` aggregate with the same number of events of the
same stored sizes (its own baseline from the same run), and the latency of one more command on
the long-lived case is measured with the aggregate cache off and on.

    python benchmarks/bench_snapshots.py [--events 525] [--repeats 50] [--pg URL] [--tmpdir DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hgkm_workflow import HgkmApplication, SettableClock
from hgkm_workflow.access import system_access
from hgkm_workflow.adapters.store import parse_store_url
from hgkm_workflow.projections import dispose_engines

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
VT = {"actor_id": "vt-bench", "organisation": "vt-bench", "role": "vt_medewerker"}
LT = {"actor_id": "lt-bench", "organisation": "lt-bench", "organisation_type": "lokaal_team"}


def build_case(url: str, target: int) -> tuple[uuid.UUID, list[int]]:
    """Drive one case to ``target`` events through the application; return id and sizes."""
    clock = SettableClock(START)
    app = HgkmApplication(url, clock=clock, snapshot_interval=50)
    persons = [{"person_id": str(uuid.uuid4()), "role": r}
               for r in ("victim", "alleged_perpetrator", "child")]
    base = {"actor": VT, "rationale": "melding received by phone", "region": "bench",
            "gemeente": "GM0599", "persons": persons, "forms_of_violence": ["partnergeweld"]}
    first = app.receive_melding({**base, "melder_type": "politie"})
    case_id = first.case_id
    cmd = {"actor": VT, "rationale": "decided in the team meeting", "case_id": str(case_id)}
    app.complete_veiligheidsbeoordeling({
        **cmd, "melding_id": str(first.ids["melding_id"]), "outcome": "handover_local_team",
        "veiligheidsvoorwaarden": ["geen_geweld"], "handover_to": LT})
    version = 0
    while version < target:
        clock.advance(timedelta(days=3))
        m = app.receive_melding({**base, "melder_type": "burger", "case_id": str(case_id)})
        clock.advance(timedelta(days=2))
        app.complete_veiligheidsbeoordeling({**cmd, "melding_id": str(m.ids["melding_id"]),
                                             "outcome": "no_further_action"})
        clock.advance(timedelta(days=1))
        version = app.inform_melder({**cmd, "melding_id": str(m.ids["melding_id"])}).version
    table = "stored_events" if app.config.kind.value == "sqlite" else "hgkm_events"
    with app.engine.connect() as conn:
        sizes = [int(s) for (s,) in conn.execute(sa.text(
            f"SELECT length(state) FROM {table} ORDER BY originator_version"))]
    app.close()
    dispose_engines()
    return case_id, sizes


def time_loads(url: str, case_id: uuid.UUID, snapshots: bool, repeats: int) -> float:
    """Median seconds to load the case from the store (cache off)."""
    app = HgkmApplication(url, clock=SettableClock(START), cache_size=0,
                          snapshot_interval=50 if snapshots else 0)
    app.load_case(case_id, access=system_access("benchmark"))  # warm up connections
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        app.load_case(case_id, access=system_access("benchmark"))
        times.append(time.perf_counter() - t0)
    app.close()
    dispose_engines()
    return statistics.median(times)


def time_command(url: str, case_id: uuid.UUID, cache: bool, repeats: int) -> float:
    """Median seconds of one more command (a vervolgmelding) on the long-lived case."""
    clock = SettableClock(START + timedelta(days=4000))
    app = HgkmApplication(url, clock=clock, cache_size=100 if cache else 0)
    persons = [{"person_id": str(uuid.uuid4()), "role": "victim"}]
    times = []
    for _ in range(repeats + 1):
        clock.advance(timedelta(hours=1))
        t0 = time.perf_counter()
        app.receive_melding({"actor": VT, "rationale": "melding received by phone",
                             "region": "bench", "gemeente": "GM0599", "melder_type": "burger",
                             "persons": persons, "forms_of_violence": ["partnergeweld"],
                             "case_id": str(case_id)})
        times.append(time.perf_counter() - t0)
    app.close()
    dispose_engines()
    return statistics.median(times[1:])


def bare_loads(url: str, sizes: list[int], repeats: int) -> tuple[float, float]:
    """Bare eventsourcing: median load seconds without and with snapshots (every 50)."""
    from bench_commands import BareApp, Thing, _envelope, _payload

    env = dict(parse_store_url(url).eventsourcing_env)

    class Bare(BareApp):
        snapshotting_intervals = {Thing: 50}  # noqa: RUF012

    writer = Bare(env={**env, "IS_SNAPSHOTTING_ENABLED": "y"})
    envelope = _envelope(writer)
    thing = Thing(payload=_payload(sizes[0], envelope))
    writer.save(thing)
    for size in sizes[1:]:
        thing.happen(payload=_payload(size, envelope))
        writer.save(thing)
    writer.close()
    out = []
    for snap in (False, True):
        reader = Bare(env={**env, "IS_SNAPSHOTTING_ENABLED": "y" if snap else "n"})
        reader.repository.get(thing.id)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            reader.repository.get(thing.id)
            times.append(time.perf_counter() - t0)
        reader.close()
        out.append(statistics.median(times))
    return out[0], out[1]


def main() -> None:
    """Build the case once per backend, then time the loads."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=525)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--pg", default=os.environ.get("HGKM_TEST_POSTGRES_URL"))
    parser.add_argument("--tmpdir", default=None)
    args = parser.parse_args()
    print(f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"{datetime.now(UTC):%Y-%m-%d}")
    with tempfile.TemporaryDirectory(dir=args.tmpdir) as tmp:
        targets: list[tuple[str, Any]] = [("sqlite", lambda n: f"sqlite:///{Path(tmp)}/{n}.db")]
        if args.pg:
            from bench_commands import pg_answers

            if pg_answers(args.pg):
                targets.append(("postgresql", None))
        for backend, make in targets:
            if backend == "postgresql":
                from bench_commands import fresh_pg

                with fresh_pg(args.pg) as url, fresh_pg(args.pg) as bare_url:
                    report(backend, url, bare_url, args)
            else:
                report(backend, make("case"), make("bare"), args)


def report(backend: str, url: str, bare_url: str, args: argparse.Namespace) -> None:
    """Build, time and print one backend."""
    t0 = time.perf_counter()
    case_id, sizes = build_case(url, args.events)
    built = time.perf_counter() - t0
    plain = time_loads(url, case_id, snapshots=False, repeats=args.repeats)
    snap = time_loads(url, case_id, snapshots=True, repeats=args.repeats)
    cold = time_command(url, case_id, cache=False, repeats=min(20, args.repeats))
    warm = time_command(url, case_id, cache=True, repeats=min(20, args.repeats))
    bare_plain, bare_snap = bare_loads(bare_url, sizes, args.repeats)
    print(f"{backend}: case of {len(sizes)} events (mean {statistics.mean(sizes):.0f} B), "
          f"built through {built:.1f} s of commands")
    print(f"  load without snapshots {plain * 1e3:7.2f} ms   (bare eventsourcing "
          f"{bare_plain * 1e3:6.2f} ms, ratio {plain / bare_plain:4.2f}x)")
    print(f"  load with snapshots    {snap * 1e3:7.2f} ms   (bare eventsourcing "
          f"{bare_snap * 1e3:6.2f} ms, ratio {snap / bare_snap:4.2f}x)   "
          f"speed-up {plain / snap:4.1f}x")
    print(f"  one more command on it: {cold * 1e3:6.2f} ms with the cache off (snapshot + "
          f"tail), {warm * 1e3:6.2f} ms with the cache on")


if __name__ == "__main__":
    main()
