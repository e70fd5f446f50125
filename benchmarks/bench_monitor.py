"""Benchmark: the monitor's query time at two store sizes 10x apart, counted against recomputed.

The stores are those of ``benchmarks/bench_projections.py`` (generated household lifecycles,
one household every two hours from January 2021, so a store ten times larger holds ten times
the history); a store is generated if its file is missing and its read models are brought up
to date (``app.migrate()``, then a catch-up) before anything is timed.

It times every step below ``--repeat`` times, interleaved across the steps and the stores
(each round runs each step on every store in turn, so both sizes see the same load; medians
reported, with the load average beside each figure, and the median of the per-round ratios):

* **figures, counted** — every figure and both series of ``monitor_report`` for the period
  (``--period``, default 2021Q1, present in every store) as
  :class:`~hgkm_workflow.monitor.counted.CountedFigureBuilder` reads them from
  ``rm_monitor_counts``, with the report instant at the period's end;
* **figures, recomputed** — the same inside ``recomputing()`` (the aggregate queries over the
  fact tables, as before the counts);
* **running period, counted / recomputed** — the same with a report instant inside the period
  (a partial day counted from the facts), which is how ``hgkm monitor`` shows the current
  half-year;
* **report** — the whole ``monitor_report`` (counted), which for an ended period adds the
  restatements;
* **hgkm monitor --json** — the command line path: ``hgkm monitor --db URL --period P
  --json`` through the Typer app in this process (opening the application, its catch-up, the
  logged access, the report and its JSON), and the same as a fresh subprocess (adding the
  interpreter's start-up and imports, the same at every size).

    python benchmarks/bench_monitor.py [--sizes 30000 300000] [--repeat 5] [--keep DIR]
        [--rebuild] [--period 2021Q1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_projections import _machine, fill


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _figures(engine: Any, period: str, as_of: datetime | None) -> int:
    """Every figure and both series of the report, without the restatement."""
    from hgkm_workflow.monitor import report as r
    from hgkm_workflow.monitor.figures import TIMELINESS_RULES
    from hgkm_workflow.monitor.periods import Period
    from hgkm_workflow.projections._util import naive_utc

    chosen = Period.parse(period)
    instant = min(as_of, chosen.end) if as_of is not None else chosen.end
    scope = r.Scope(None, None, naive_utc(chosen.start), naive_utc(chosen.end),
                    naive_utc(instant), engine.dialect.name)
    with engine.connect() as conn:
        b = r.FigureBuilder(conn, scope)
        b.volume()
        b.classification()
        b.outcomes()
        for rule in TIMELINESS_RULES:
            b.timeliness(rule)
        b.phases()
        b.cases()
        b.huisverboden()
        n = len(b.figures)
        n += len(r._series(conn, scope, r._half_years(chosen, 6), "hermelding"))
        n += len(r._series(conn, scope, chosen.split(1), "timeliness"))
    return n


def _counted_groups(engine: Any, period: str, as_of: datetime | None) -> int:
    """Only the figure groups read from the counts (volume, outcomes, timeliness and its
    series, occupancy, time in phase, returns, flows, case moments, huisverboden)."""
    from hgkm_workflow.monitor import report as r
    from hgkm_workflow.monitor.figures import TIMELINESS_RULES
    from hgkm_workflow.monitor.periods import Period
    from hgkm_workflow.projections._util import naive_utc

    chosen = Period.parse(period)
    instant = min(as_of, chosen.end) if as_of is not None else chosen.end
    scope = r.Scope(None, None, naive_utc(chosen.start), naive_utc(chosen.end),
                    naive_utc(instant), engine.dialect.name)
    with engine.connect() as conn:
        b = r.FigureBuilder(conn, scope)
        b.volume()
        b.outcomes()
        for rule in TIMELINESS_RULES:
            b.timeliness(rule)
        b.occupancy_numbers()
        b.stay_numbers()
        b.flow_numbers()
        b.moment_number("crisis_measure")
        b.offer_numbers()
        b.huisverboden()
        return len(b.figures) + len(r._series(conn, scope, chosen.split(1), "timeliness"))


def _timed(fn: Callable[[], Any]) -> tuple[float, str]:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started, _load()


def _prepare(url: str, rebuild: bool) -> Any:
    from hgkm_workflow.application import HgkmApplication

    app = HgkmApplication(url, snapshot_interval=0)
    started = time.perf_counter()
    app.migrate()
    if rebuild:
        app.projections.rebuild(["monitor_facts"])
    app.catch_up()
    print(f"  read models up to date in {time.perf_counter() - started:.1f} s")
    return app


def _same(engine: Any, period: str) -> bool:
    """Whether the counted report equals the recomputed one (sums within 1e-9)."""
    import math

    from hgkm_workflow.monitor.report import monitor_report

    def close(a: Any, b: Any) -> bool:
        if isinstance(a, dict) and isinstance(b, dict):
            return list(a) == list(b) and all(close(a[k], b[k]) for k in a)
        if isinstance(a, list) and isinstance(b, list):
            return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
        if isinstance(a, float) and isinstance(b, int | float):
            return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        return bool(a == b)

    counted = monitor_report(engine, period=period).as_dict()
    again = _recomputed(lambda: monitor_report(engine, period=period).as_dict())
    # which path made the figures is the one key that must differ
    paths = (counted.pop("figures_from"), again.pop("figures_from"))
    return paths == ("counts", "recomputed") and close(counted, again)


def main() -> None:
    """Generate or open the stores, time the monitor both ways, print a report."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[30_000, 300_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--period", default="2021Q1")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the stores in this folder")
    parser.add_argument("--rebuild", action="store_true",
                        help="rebuild the monitor read model of a kept store first")
    args = parser.parse_args()
    from hgkm_workflow.monitor.periods import Period
    from hgkm_workflow.monitor.report import monitor_report

    print(f"bench_monitor {datetime.now(UTC).date().isoformat()} on {_machine()}")
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="hgkm-bench-monitor-"))
    workdir.mkdir(parents=True, exist_ok=True)
    running = Period.parse(args.period).end - timedelta(days=17, hours=3, minutes=7)
    apps: dict[int, Any] = {}
    for size in args.sizes:
        path = workdir / f"store-{size}.db"
        url = f"sqlite:///{path}"
        if not path.exists():
            made = fill(url, size)
            print(f"store of {made['events']:,} events generated in {made['seconds']:.0f} s")
        print(f"size {size:,}: load average {_load()} at the start")
        app = apps[size] = _prepare(url, args.rebuild)
        print(f"  counted report equals the recomputed one: {_same(app.engine, args.period)}")
        for fn in _steps(app.engine, args.period, running, monitor_report).values():
            fn()  # warm the page cache and the statement caches
    # Interleaved across the sizes too: each round runs every step on every store in turn,
    # so both sizes see the same machine load.
    steps = {size: _steps(app.engine, args.period, running, monitor_report)
             for size, app in apps.items()}
    runs: dict[int, dict[str, list[tuple[float, str]]]] = {
        size: {k: [] for k in steps[size]} for size in apps}
    for _ in range(args.repeat):
        for name in steps[args.sizes[0]]:
            for size in args.sizes:
                runs[size][name].append(_timed(steps[size][name]))
    summary: list[tuple[int, dict[str, float]]] = []
    for size, app in apps.items():
        medians = {k: statistics.median(t for t, _ in v) for k, v in runs[size].items()}
        print(f"size {size:,}: {_meldingen(app.engine):,} meldingen; load average {_load()} "
              "at the end")
        for name, seconds in medians.items():
            loads = ", ".join(load.split()[0] for _, load in runs[size][name])
            print(f"  {name:32} {seconds * 1000:9.1f} ms  (median of {args.repeat}; "
                  f"1-min load per run {loads})")
        summary.append((size, medians))
        app.close()
    if len(summary) >= 2:
        (a, ma), (b, mb) = summary[0], summary[-1]
        print(f"\nlarger / smaller store ({b / a:.0f}x the events), medians; and the median of "
              "the per-round ratios:")
        for name in ma:
            pairs = [y[0] / x[0] for x, y in zip(runs[a][name], runs[b][name], strict=True)]
            print(f"  {name:32} {mb[name] / ma[name]:6.2f}x   per round "
                  f"{statistics.median(pairs):5.2f}x")
    if args.keep is None:
        for p in workdir.glob("store-*"):
            p.unlink()
        workdir.rmdir()


def _cli_in_process(url: str, period: str) -> None:
    """``hgkm monitor --db URL --period P --json`` through the Typer app, in this process
    (opening the application, the catch-up, the logged access, the report, the JSON)."""
    from typer.testing import CliRunner

    from hgkm_workflow.cli import app as cli

    result = CliRunner().invoke(cli, ["monitor", "--db", url, "--period", period, "--json"])
    if result.exit_code != 0 or '"figures"' not in result.output:
        raise RuntimeError(f"hgkm monitor failed: exit {result.exit_code}")


def _cli_subprocess(url: str, period: str) -> None:
    """The same as a fresh ``python -m hgkm_workflow.cli`` process (with its start-up)."""
    import subprocess

    subprocess.run([sys.executable, "-m", "hgkm_workflow.cli", "monitor", "--db", url,
                    "--period", period, "--json"], check=True, capture_output=True,
                   env=os.environ.copy())


def _steps(engine: Any, period: str, running: datetime,
           report: Callable[..., Any]) -> dict[str, Callable[[], Any]]:
    url = engine.url.render_as_string(hide_password=False)
    return {
        "figures, counted": lambda: _figures(engine, period, None),
        "figures, recomputed": lambda: _recomputed(lambda: _figures(engine, period, None)),
        "running period, counted": lambda: _figures(engine, period, running),
        "running period, recomputed": lambda: _recomputed(
            lambda: _figures(engine, period, running)),
        "counted groups only": lambda: _counted_groups(engine, period, None),
        "the same, recomputed": lambda: _recomputed(
            lambda: _counted_groups(engine, period, None)),
        "report (with restatement)": lambda: report(engine, period=period),
        "hgkm monitor --json, in process": lambda: _cli_in_process(url, period),
        "hgkm monitor --json, subprocess": lambda: _cli_subprocess(url, period),
    }


def _recomputed(fn: Callable[[], Any]) -> Any:
    from hgkm_workflow.monitor.counted import recomputing

    with recomputing():
        return fn()


def _meldingen(engine: Any) -> int:
    import sqlalchemy as sa

    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM rm_meldingen")).scalar_one())


if __name__ == "__main__":
    main()
