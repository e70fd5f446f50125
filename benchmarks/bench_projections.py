"""Benchmark: rebuilding every read model against a bare read-and-decode of the same log.

A store is filled with real ``HouseholdCase`` (and ``Advies``) events: household lifecycles of
several shapes (closed after the assessment; onderzoek then handover and monitoring; a full
run through every phase; acute meldingen with a crisis measure and a huisverbod; adviezen,
some converted), with persons reused across households so there are vervolgmeldingen and
hermeldingen. The aggregates are driven through their real decide methods (commands,
decision context, calendar, rule book) in memory and saved in bulk, which is much faster
than one command per save but stores exactly the events the application would.

Then, each in a fresh subprocess (so peak RSS belongs to that step alone):

* **bare**: ``app.recorder.select_notifications`` in batches of 500 plus
  ``app.mapper.to_domain_event`` for every notification — the floor of any projection;
* **rebuild**: ``app.projections.rebuild()`` of all default projections (the runner's
  default rebuild batch size);
* optionally (``--breakdown``) each projection alone, and a runner with one no-op
  projection that wants every event (the runner's own overhead);
* optionally (``--batch-sizes``) the rebuild with other batch sizes.

``bare`` and ``rebuild`` run ``--repeat`` times, alternating, so that both see the same
machine load; the report gives medians. For each store size it prints events per second
(wall clock), CPU seconds of the process, the ratio rebuild / bare of the median rates (and
of the median CPU times) and the peak RSS (``resource.getrusage``), which should not grow
with the number of events.

    python benchmarks/bench_projections.py [--sizes 100000 500000] [--repeat 3]
        [--breakdown] [--batch-sizes 500 2000] [--keep DIR] [--workers 2] [--postgres URL]
        [--baseline DIR]

With ``--baseline DIR`` (a checkout of other code, e.g. ``git archive main | tar -x -C DIR``)
the steps also include ``base:rebuild``, the same rebuild with DIR's code, interleaved with
the others: before and after at the same moments.

With ``--workers N`` the steps also include ``rebuild/N``: ``rebuild(workers=N)``, the
read models split into N groups rebuilt in spawn processes of their own (the CPU time of the
workers is printed beside the coordinator's).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

START = datetime(2021, 1, 4, 8, 0, tzinfo=UTC)
VT = {"actor_id": "vt-bench", "organisation": "vt-bench", "role": "vt_medewerker"}
LT = {"actor_id": "lt-bench", "organisation": "wijkteam-bench", "role": "lokaal_team"}
LT_REGIE = {"actor_id": "lt-bench", "organisation": "wijkteam-bench",
            "organisation_type": "lokaal_team"}
BM = {"actor_id": "bm-bench", "organisation": "gemeente-bench", "role": "burgemeester"}
GEMEENTEN = ("GM0599", "GM0606", "GM0622", "GM0489", "GM0613")
MELDERS = ("politie", "politie", "politie", "gezondheidszorg", "onderwijs", "burger",
           "lokaal_veld")


# ---------------------------------------------------------------------- generating


class _Case:
    """Drives one household case through its decide methods, in memory."""

    def __init__(self, app: Any, start: datetime, rng: random.Random) -> None:
        from hgkm_workflow.case import HouseholdCase

        self.app, self.t, self.rng = app, start, rng
        self.gemeente = rng.choice(GEMEENTEN)
        self.case_id = uuid.uuid4()
        with self._at():
            self.case = HouseholdCase(id=self.case_id, region="bench-regio",
                                      gemeente=self.gemeente, opened_at=self.t)

    def _at(self) -> Any:
        from hgkm_workflow.domain.recording import recording_at

        return recording_at(self.t)

    def ctx(self) -> Any:
        from hgkm_workflow.domain.context import DecisionContext

        return DecisionContext(at=self.t, recorded_at=self.t, rules=self.app.rules,
                               calendar=self.app.calendar)

    def later(self, days: float) -> None:
        self.t += timedelta(days=days)

    def do(self, method: Callable[..., None], command: type[Any], **data: Any) -> None:
        cmd = command(actor=data.pop("actor", VT), rationale="benchmark decision",
                      case_id=self.case_id, **data)
        with self._at():
            method(cmd, self.ctx())

    def melding(self, persons: list[tuple[uuid.UUID, str]], acute: bool = False) -> uuid.UUID:
        from hgkm_workflow import commands as c

        melding_id = uuid.uuid4()
        cmd = c.ReceiveMelding(
            actor=VT, rationale="benchmark melding", region="bench-regio",
            gemeente=self.gemeente, melder_type=self.rng.choice(MELDERS),
            persons=[{"person_id": p, "role": r} for p, r in persons],
            forms_of_violence=["partnergeweld"], acute=acute)
        with self._at():
            self.case.receive_melding(cmd, melding_id, self.ctx())
        return melding_id


def _household(app: Any, start: datetime, rng: random.Random,
               persons: list[tuple[uuid.UUID, str]]) -> Any:
    from hgkm_workflow import commands as c

    h = _Case(app, start, rng)
    case = h.case
    shape = rng.random()
    acute = shape > 0.85
    melding = h.melding(persons, acute=acute)
    perpetrator = next((p for p, r in persons if r == "alleged_perpetrator"), persons[0][0])
    if acute:
        h.later(0.02)
        h.do(case.take_crisis_measure, c.TakeCrisisMeasure, measure="politie_inzet")
        h.later(0.02)
        hid = uuid.uuid4()
        cmd = c.ImposeHuisverbod(actor=BM, rationale="benchmark huisverbod", case_id=h.case_id,
                                 removed_person_id=perpetrator)
        with h._at():
            case.impose_huisverbod(cmd, hid, h.ctx())
        h.later(0.5)
        h.do(case.record_contact_address_given, c.RecordContactAddressGiven, huisverbod_id=hid)
    h.later(rng.choice((1, 2, 3, 6, 9)))
    if shape < 0.3:  # closed after the assessment
        h.do(case.complete_veiligheidsbeoordeling, c.CompleteVeiligheidsbeoordeling,
             melding_id=melding, outcome="no_further_action")
        h.later(2)
        h.do(case.inform_melder, c.InformMelder, melding_id=melding)
        return case
    if shape < 0.55:  # onderzoek, then handover with monitoring
        h.do(case.complete_veiligheidsbeoordeling, c.CompleteVeiligheidsbeoordeling,
             melding_id=melding, outcome="onderzoek")
        h.later(rng.choice((40, 60, 80)))
        h.do(case.complete_vt_service, c.CompleteVtService, result="handover_local_team",
             conclusion="confirmed", veiligheidsvoorwaarden=["geen_geweld"],
             handover_to=LT_REGIE)
    else:  # handover after the assessment (monitoring starts)
        h.do(case.complete_veiligheidsbeoordeling, c.CompleteVeiligheidsbeoordeling,
             melding_id=melding, outcome="handover_local_team",
             veiligheidsvoorwaarden=["geen_geweld", "pleger_accepteert_hulp"],
             handover_to=LT_REGIE)
    reason = "huisverbod and monitoring continue as planned"
    h.later(14)
    if acute:
        h.later(30)  # the huisverbod has run out or been extended by now
        h.do(case.expire_huisverbod, c.ExpireHuisverbod, actor=BM, huisverbod_id=next(
            iter(case.huisverboden)))
    h.do(case.confirm_acute_unsafety_removed, c.ConfirmAcuteUnsafetyRemoved, actor=LT)
    h.do(case.complete_directe_veiligheid, c.CompleteDirecteVeiligheid, actor=LT,
         open_deadline_reason=reason)
    h.later(20)
    h.do(case.set_hulpverleningsplan, c.SetHulpverleningsplan, actor=LT,
         risk_factors=["verslaving", "schulden"])
    if rng.random() < 0.3:
        h.do(case.offer_plegeraanbod, c.OfferPlegeraanbod, actor=LT, person_id=perpetrator)
        h.later(5)
        h.do(case.respond_to_plegeraanbod, c.RespondToPlegeraanbod, actor=LT,
             person_id=perpetrator, accepted=rng.random() < 0.6)
    if rng.random() < 0.15:
        h.do(case.involve_ervaringsdeskundige, c.InvolveErvaringsdeskundige, actor=LT)
    if rng.random() < 0.2:  # acute unsafety returns: back to directe veiligheid
        h.later(10)
        h.do(case.loop_back, c.LoopBack, actor=LT, cause="new_incident")
        h.later(10)
        h.do(case.confirm_acute_unsafety_removed, c.ConfirmAcuteUnsafetyRemoved, actor=LT)
        h.do(case.complete_directe_veiligheid, c.CompleteDirecteVeiligheid, actor=LT,
             open_deadline_reason=reason)
    for factor in ("verslaving", "schulden"):
        h.later(15)
        h.do(case.resolve_risk_factor, c.ResolveRiskFactor, actor=LT, factor=factor)
    h.do(case.record_monitoring_check, c.RecordMonitoringCheck, actor=LT, safe=True)
    h.do(case.confirm_stable_safety, c.ConfirmStableSafety, actor=LT)
    h.do(case.complete_risicogestuurde_zorg, c.CompleteRisicogestuurdeZorg, actor=LT,
         open_deadline_reason=reason)
    h.later(30)
    h.do(case.end_monitoring, c.EndMonitoring, actor=LT, stable_safety=True)
    h.do(case.set_herstelplan, c.SetHerstelplan, actor=LT,
         interventions=["traumabehandeling_kind"])
    h.later(30)
    h.do(case.complete_herstelplan, c.CompleteHerstelplan, actor=LT)
    h.do(case.complete_herstel, c.CompleteHerstel, actor=LT)
    h.later(60)
    h.do(case.record_waakvlam_contact, c.RecordWaakvlamContact, actor=LT)
    h.later(60)
    h.do(case.close, c.CloseCase, actor=LT, reason="waakvlam_completed",
         open_deadline_reason=reason)
    return case


def _advies(app: Any, start: datetime, rng: random.Random) -> Any:
    from hgkm_workflow import commands as c
    from hgkm_workflow.advies import Advies
    from hgkm_workflow.domain.context import DecisionContext
    from hgkm_workflow.domain.recording import recording_at

    cmd = c.RecordAdvies(actor=VT, rationale="benchmark advies", region="bench-regio",
                         gemeente=rng.choice(GEMEENTEN), melder_type="onderwijs",
                         forms_of_violence=["kindermishandeling"])
    with recording_at(start):
        return Advies.record(uuid.uuid4(), cmd, DecisionContext(
            at=start, recorded_at=start, rules=app.rules, calendar=app.calendar))


def fill(url: str, target: int, seed: int = 7) -> dict[str, Any]:
    """Fill the store at ``url`` with at least ``target`` events; return counts."""
    from hgkm_workflow.application import HgkmApplication
    from hgkm_workflow.clock import SettableClock

    rng = random.Random(seed)
    app = HgkmApplication(url, clock=SettableClock(START), snapshot_interval=0)
    known: list[list[tuple[uuid.UUID, str]]] = []
    pending: list[Any] = []
    total = households = 0
    started = time.perf_counter()
    i = 0
    while total < target:
        start = START + timedelta(hours=2 * i)  # ~4,400 households a year
        i += 1
        if rng.random() < 0.1:
            advies = _advies(app, start, rng)
            total += len(advies.pending_events)
            pending.append(advies)
            continue
        if known and rng.random() < 0.25:  # persons known from an earlier household
            persons = list(rng.choice(known))
        else:
            persons = [(uuid.uuid4(), "victim"), (uuid.uuid4(), "alleged_perpetrator")]
            if rng.random() < 0.5:
                persons.append((uuid.uuid4(), "child"))
        known.append(persons)
        if len(known) > 2000:
            known.pop(0)
        case = _household(app, start, rng, persons)
        households += 1
        total += len(case.pending_events)
        pending.append(case)
        if len(pending) >= 100:
            app.save(*pending)
            pending.clear()
    if pending:
        app.save(*pending)
    seconds = time.perf_counter() - started
    max_id = app.recorder.max_notification_id()
    app.close()
    return {"events": max_id, "households": households, "seconds": seconds}


# ---------------------------------------------------------------------- measuring


def _noop_projection() -> Any:
    import sqlalchemy as sa

    from hgkm_workflow.projections.base import Projection

    class NoOpProjection(Projection):
        name: ClassVar[str] = "bench_noop"
        version: ClassVar[int] = 1
        metadata: ClassVar[sa.MetaData] = sa.MetaData()

        def apply(self, conn: sa.Connection, event: object, position: int) -> None:
            return None

        def apply_batch(self, conn: sa.Connection, events: Any) -> None:
            return None

    return NoOpProjection()


def measure(url: str, what: str) -> dict[str, Any]:
    """Run one measurement in this process and return its figures (with peak RSS)."""
    from hgkm_workflow.application import HgkmApplication
    from hgkm_workflow.clock import SettableClock
    from hgkm_workflow.projections import ProjectionRunner
    from hgkm_workflow.projections.registry import default_projections

    app = HgkmApplication(url, clock=SettableClock(START), snapshot_interval=0)
    started = time.perf_counter()
    cpu_started = time.process_time()
    if what == "bare":
        count, position = 0, 0
        while True:
            batch = app.recorder.select_notifications(start=position, limit=500,
                                                      inclusive_of_start=False)
            if not batch:
                break
            for notification in batch:
                app.mapper.to_domain_event(notification)
            count += len(batch)
            position = batch[-1].id
    elif what == "rebuild":
        count = app.projections.rebuild()
    elif what.startswith("rebuild/"):  # rebuild/N: with N worker processes
        app.projections.parallel_on_sqlite = True  # measured in parallel on SQLite too
        count = app.projections.rebuild(workers=int(what.partition("/")[2]))
    elif what.startswith("rebuild@"):
        size = int(what.partition("@")[2])
        count = ProjectionRunner(app, app.engine, default_projections(),
                                 rebuild_batch_size=size).rebuild()
    elif what == "noop":
        runner = ProjectionRunner(app, app.engine, [_noop_projection()])
        count = runner.rebuild()
    else:
        count = app.projections.rebuild([what])
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    app.close()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers of rebuild/N
    return {"what": what, "events": count, "seconds": seconds, "rate": count / seconds,
            "cpu_seconds": cpu_seconds, "peak_rss_mb": rss_kb / 1024,
            "workers_cpu_seconds": children.ru_utime + children.ru_stime,
            "workers_peak_rss_mb": children.ru_maxrss / 1024,
            "load_1min": os.getloadavg()[0]}


def _in_subprocess(url: str, what: str, baseline: Path | None = None) -> dict[str, Any]:
    """Measure one step in a fresh process; ``base:STEP`` runs STEP with the baseline's code."""
    env = os.environ.copy()
    script = __file__
    if what.startswith("base:"):
        if baseline is None:
            raise ValueError("a base: step needs --baseline")
        what = what.partition(":")[2]
        env["PYTHONPATH"] = str(baseline)
        script = str(baseline / "benchmarks" / "bench_projections.py")
    out = subprocess.run([sys.executable, script, "--measure", what, "--url", url],
                         capture_output=True, text=True, check=True, env=env,
                         cwd=str(baseline) if script != __file__ and baseline else None)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if script != __file__:
        result["what"] = f"base:{result['what']}"
    return result


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median figures of repeated runs of one step (peak RSS: the largest)."""
    return {"what": runs[0]["what"], "events": runs[0]["events"], "runs": len(runs),
            "seconds": statistics.median(r["seconds"] for r in runs),
            "rate": statistics.median(r["rate"] for r in runs),
            "cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
            "workers_cpu_seconds": statistics.median(r.get("workers_cpu_seconds", 0.0)
                                                     for r in runs),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}


def _filled(url: str) -> bool:
    """Whether the store at ``url`` holds events already (then it is measured as it is)."""
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        return False
    from hgkm_workflow.application import HgkmApplication

    app = HgkmApplication(url, snapshot_interval=0)
    try:
        return bool(app.recorder.max_notification_id())
    finally:
        app.close()


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def _machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({model}), "
            f"Python {platform.python_version()}")


def main() -> None:
    """Generate the stores, run the measurements in subprocesses, print a report."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 500_000])
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of bare and rebuild each, alternating (medians reported)")
    parser.add_argument("--breakdown", action="store_true",
                        help="also rebuild each projection alone, and a no-op projection")
    parser.add_argument("--batch-sizes", type=int, nargs="*", default=[],
                        help="also rebuild with these batch sizes")
    parser.add_argument("--keep", type=Path, help="keep the stores in this directory (use a "
                        "directory on tmpfs, e.g. /dev/shm/x, to measure without the disk)")
    parser.add_argument("--postgres", metavar="URL",
                        help="measure on this PostgreSQL database instead of SQLite files (one "
                        "store: filled to the first size if empty; other sizes are ignored)")
    parser.add_argument("--workers", type=int, nargs="*", default=[],
                        help="also rebuild with this many worker processes (rebuild/N, "
                        "interleaved with bare and rebuild)")
    parser.add_argument("--baseline", type=Path,
                        help="a checkout of other code (e.g. `git archive main`): its rebuild "
                        "runs as step base:rebuild interleaved with bare and rebuild (and, with "
                        "--breakdown, base:NAME beside each projection alone)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.url, args.measure)))
        return
    print(f"bench_projections {datetime.now(UTC).date().isoformat()} on {_machine()}")
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="hgkm-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    names = ["case_index", "deadline_index", "person_index", "monitor_facts"]
    rows: list[dict[str, Any]] = []
    sizes = args.sizes[:1] if args.postgres else args.sizes
    for size in sizes:
        url = args.postgres or f"sqlite:///{workdir / f'store-{size}.db'}"
        print(f"store: {'PostgreSQL' if args.postgres else 'SQLite file'} in "
              f"{'the server' if args.postgres else workdir}")
        if not _filled(url):
            made = fill(url, size)
            print(f"\nstore of {made['events']:,} events ({made['households']:,} households) "
                  f"generated in {made['seconds']:.0f} s")
        print(f"size {size:,}: {_load()} at the start")
        steps = ["bare", "rebuild", *(["base:rebuild"] if args.baseline else []),
                 *(f"rebuild/{n}" for n in args.workers)]
        repeated: dict[str, list[dict[str, Any]]] = {s: [] for s in steps}
        for _ in range(args.repeat):
            for step in steps:
                repeated[step].append(_in_subprocess(url, step, args.baseline))
        extra = [f"rebuild@{n}" for n in args.batch_sizes]
        if args.breakdown:
            extra += ["noop"]
            for name in names:
                extra += [name, *([f"base:{name}"] if args.baseline else [])]
        results = {s: _median(runs) for s, runs in repeated.items()}
        results.update({s: _median([_in_subprocess(url, s, args.baseline)]) for s in extra})
        bare, rebuild = results["bare"], results["rebuild"]
        print(f"size {size:,}: {bare['events']:,} notifications; {_load()} at the end")
        for s, r in results.items():
            workers = (f" + workers {r['workers_cpu_seconds']:.1f} s"
                       if r["workers_cpu_seconds"] > 0.05 else "")
            print(f"  {s:19} {r['events']:>9,} events  {r['seconds']:8.1f} s  "
                  f"{r['rate']:>9,.0f} events/s  CPU {r['cpu_seconds']:7.1f} s{workers}  "
                  f"peak RSS {r['peak_rss_mb']:6.0f} MB  ({r['runs']} run(s), median)")
        for s in steps:
            print(f"  {s} runs: " + ", ".join(f"{r['rate']:,.0f}/s (CPU {r['cpu_seconds']:.2f} s, "
                                              f"load {r['load_1min']:.1f})" for r in repeated[s]))
        print(f"  rebuild / bare rate (medians): {rebuild['rate'] / bare['rate']:.3f} "
              f"(target >= 0.5); CPU time bare / rebuild: "
              f"{bare['cpu_seconds'] / rebuild['cpu_seconds']:.3f}")
        pairs = [b["seconds"] / r["seconds"]
                 for b, r in zip(repeated["bare"], repeated["rebuild"], strict=True)]
        print("  rebuild / bare of each interleaved pair: "
              + ", ".join(f"{x:.3f}" for x in pairs)
              + f" (median {statistics.median(pairs):.3f})")
        if args.baseline:
            base_runs = repeated["base:rebuild"]
            cpu = [r["cpu_seconds"] / b["cpu_seconds"]
                   for r, b in zip(repeated["rebuild"], base_runs, strict=True)]
            base = results["base:rebuild"]
            print(f"  base:rebuild / bare rate (medians): {base['rate'] / bare['rate']:.3f}; "
                  f"CPU time bare / base:rebuild: {bare['cpu_seconds'] / base['cpu_seconds']:.3f}")
            print("  CPU time rebuild / base:rebuild of each interleaved pair: "
                  + ", ".join(f"{x:.3f}" for x in cpu) + f" (median {statistics.median(cpu):.3f})")
        for n in args.workers:
            step = f"rebuild/{n}"
            pairs = [b["seconds"] / r["seconds"]
                     for b, r in zip(repeated["bare"], repeated[step], strict=True)]
            print(f"  {step} / bare rate (medians): "
                  f"{results[step]['rate'] / bare['rate']:.3f}; each interleaved pair: "
                  + ", ".join(f"{x:.3f}" for x in pairs)
                  + f" (median {statistics.median(pairs):.3f}); {step} / rebuild: "
                  f"{results[step]['rate'] / rebuild['rate']:.2f}x")
        rows.append({"size": size, **results})
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        print(f"\npeak RSS of the rebuild: {a['rebuild']['peak_rss_mb']:.0f} MB at "
              f"{a['size']:,} events, {b['rebuild']['peak_rss_mb']:.0f} MB at {b['size']:,} "
              f"events (ratio {b['rebuild']['peak_rss_mb'] / a['rebuild']['peak_rss_mb']:.2f}"
              f" for {b['size'] / a['size']:.0f}x the events)")
    if args.keep is None:
        for path in workdir.glob("store-*"):
            path.unlink()
        workdir.rmdir()


if __name__ == "__main__":
    main()
