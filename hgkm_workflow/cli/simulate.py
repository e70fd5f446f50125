"""``hgkm simulate``: a synthetic region driven through the real engine (registered by cli.py).

Thin: it parses the options, opens the application with a settable clock, runs
:func:`hgkm_workflow.simulation.run_simulation` with a progress bar, and prints what was
generated and the calibration table (target versus simulated, measured from the read models).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from hgkm_workflow.cli.boundary import hide_password

console = Console()

_REGION_HELP = ("Region profile id: rotterdam-rijnmond, hollands-midden or arnhem-achterhoek "
                "(data files in hgkm_workflow/data/regions/).")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter("expected a date as YYYY-MM-DD") from None


def simulate(
    region: Annotated[str, typer.Option("--region", help=_REGION_HELP)],
    start: Annotated[str, typer.Option(
        "--from", help="First simulated day (YYYY-MM-DD, Amsterdam calendar).")],
    until: Annotated[str, typer.Option(
        "--until", help="Day after the last simulated day (YYYY-MM-DD, exclusive).")],
    scale: Annotated[float, typer.Option(
        "--scale", min=0.0001, max=20.0,
        help="Fraction of the region's yearly volumes to simulate: 1.0 is the real volume "
             "(Rotterdam-Rijnmond: about 12,400 meldingen and 12,300 adviezen a year); 0.05 is "
             "a twentieth.")] = 1.0,
    seed: Annotated[int, typer.Option(
        "--seed", help="Seed of every random choice: the same seed gives the same event "
                       "store. A seed that already ran on this store is refused.")] = 1,
    db: Annotated[str | None, typer.Option(
        "--db", help="Store URL (sqlite:///… or postgresql://…); default HGKM_DATABASE_URL "
                     "or sqlite:///hgkm.db.")] = None,
    history: Annotated[bool, typer.Option(
        "--history/--no-history",
        help="First record a compact three-year history for the households whose return "
             "makes hermeldingen (without it nearly every melding is 'nieuw').")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Simulate a region: households, adviezen and meldingen in simulated time.

    Generates a synthetic population calibrated to the region profile
    (volumes, melder types, crisis, huisverboden, MDA++, CBS classes).

    Drives it through the real engine with a settable clock: the commands
    a service would send, with actors and rationale, and the scheduler
    ticking every simulated morning. Then brings the read models up to
    date and prints target versus simulated figures (docs/simulation.md).
    """
    from hgkm_workflow.cli.boundary import open_application
    from hgkm_workflow.clock import SettableClock
    from hgkm_workflow.errors import HgkmError
    from hgkm_workflow.simulation import SimulationConfig, load_profile
    from hgkm_workflow.simulation.driver import Simulation

    first, last = _day(start), _day(until)
    if last <= first:
        raise typer.BadParameter("--until must be after --from")
    load_profile(region)
    config = SimulationConfig(region=region, start=first, until=last, scale=scale, seed=seed,
                              history=history)
    clock = SettableClock(datetime(first.year, first.month, first.day, tzinfo=UTC))
    app = open_application(db, create=True, clock=clock)
    try:
        sim = Simulation(app, clock, config)
        if sim.first_id() in app.repository:
            raise HgkmError(f"seed {seed} already ran on this store; choose another --seed or "
                            "a fresh --db", code="SEED_ALREADY_RUN", rule="one run per seed")
        result, rows = run_with_progress(app, clock, config, quiet=as_json)
    finally:
        app.close()
    if as_json:
        typer.echo(json.dumps(summary(result, rows), indent=2, default=str))
        return
    print_summary(result, rows, hide_password(app.config.url))


def run_with_progress(app: Any, clock: Any, config: Any, quiet: bool = False) -> tuple[Any, Any]:
    """Run the simulation with a progress bar; return the result and the calibration rows."""
    from hgkm_workflow.simulation.calibration import measure
    from hgkm_workflow.simulation.driver import Progress as SimProgress
    from hgkm_workflow.simulation.driver import Simulation

    columns = (TextColumn("[bold]{task.description}"), BarColumn(),
               TextColumn("{task.fields[sim_date]}"),
               TextColumn("{task.fields[households]} households"),
               TextColumn("{task.fields[rate]} households/s"), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=quiet, transient=False) as bar:
        task: TaskID = bar.add_task(f"simulating {config.region}", total=config.days,
                                    sim_date=config.start.isoformat(), households=0, rate="-")

        def report(p: SimProgress) -> None:
            rate = f"{p.households / p.elapsed:,.0f}" if p.elapsed > 0 else "-"
            bar.update(task, completed=p.days_done, sim_date=p.sim_date.isoformat(),
                       households=f"{p.households:,}", rate=rate)

        result = Simulation(app, clock, config, progress=report).run()
    rows = measure(app.engine, result.profile, config.start, config.until, config.scale)
    return result, rows


def summary(result: Any, rows: Any) -> dict[str, Any]:
    """A JSON-ready summary of a simulation and its calibration."""
    cfg = result.config
    return {
        "region": cfg.region, "from": cfg.start, "until": cfg.until, "scale": cfg.scale,
        "seed": cfg.seed, "households": result.households,
        "history_households": result.history_households, "meldingen": result.meldingen,
        "adviezen": result.adviezen, "commands": result.commands, "events": result.events,
        "ticks": result.ticks, "tick_records": result.tick_records,
        "refusals": dict(result.refusals), "seconds": round(result.seconds, 2),
        "events_per_second": round(result.events / result.seconds) if result.seconds else None,
        "calibration": [r.as_dict() for r in rows],
    }


def _fmt(value: float, count: bool) -> str:
    return f"{value:,.0f}" if count else f"{value:.1%}"


def calibration_table(rows: Any, title: str = "Calibration: target versus simulated") -> Table:
    """The calibration rows as a rich table."""
    table = Table("figure", "target", "simulated", "n", "tolerance", "source", "", title=title,
                  caption="n: the count behind the figure; with a few dozen, rounding alone "
                          "can put a share outside its tolerance")
    for r in rows:
        tol = f"±{r.tolerance:.0%}" if r.relative else f"±{r.tolerance * 100:.0f} pt"
        sim = "-" if r.simulated is None else _fmt(r.simulated, r.relative)
        n = f"{r.numerator:,.0f}" if r.relative else f"{r.numerator:,.0f}/{r.denominator:,.0f}"
        source = f"{r.source}{' (estimate)' if r.estimate else ''}"
        table.add_row(r.name, _fmt(r.target, r.relative), sim, n, tol, source,
                      "[green]ok[/green]" if r.within else "[red]off[/red]")
    return table


def print_summary(result: Any, rows: Any, store: str) -> None:
    """Print what a simulation generated and its calibration table."""
    cfg = result.config
    rate = result.events / result.seconds if result.seconds else 0.0
    console.print(
        f"{result.profile.name}, {cfg.start} – {cfg.until} at scale {cfg.scale:g}, seed "
        f"{cfg.seed}: {result.households:,} households ({result.history_households:,} with "
        f"history before the period), {result.meldingen:,} meldingen, {result.adviezen:,} "
        f"adviezen; {result.commands:,} commands, {result.events:,} events, "
        f"{result.ticks:,} scheduler ticks recording {result.tick_records:,} breaches and "
        f"expiries; {result.seconds:,.1f} s ({rate:,.0f} events/s).")
    if result.refusals:
        console.print(f"[yellow]refused commands[/yellow]: {dict(result.refusals)}")
    console.print(calibration_table(rows))
    console.print(f"Store: {store}")


# ---------------------------------------------------------------------- hgkm demo

DEMO_REGION = "rotterdam-rijnmond"
DEMO_PERIOD = "2025Q1"
DEMO_SCALE = 0.8
REPORT_FILE = "hgkm-report.html"
_HEADLINES = (
    ("meldingen", "meldingen received"), ("adviezen", "adviezen recorded"),
    ("classification.nieuw", "nieuw (CBS)"), ("classification.vervolgmelding", "vervolgmelding"),
    ("classification.hermelding", "hermelding (national 38%)"),
    ("melder_type.politie", "melder: police"), ("crisis.share", "crisis intervention"),
    ("huisverbod.imposed", "huisverboden imposed"), ("huisverbod.extended", "  of which extended"),
    ("outcome.onderzoek", "assessed: onderzoek"), ("mda.share", "cases escalated to MDA++"),
    ("timeliness.T1.on_time", "T1 veiligheidsbeoordeling on time"),
    ("timeliness.T3.on_time", "T3 onderzoek on time"),
    ("timeliness.T1.open_breaches", "T1 open and past due"),
    ("cases.active", "active cases"), ("occupancy.triage", "in triage"),
    ("occupancy.directe_veiligheid", "in directe veiligheid"),
    ("occupancy.risicogestuurde_zorg", "in risicogestuurde zorg"),
    ("occupancy.herstel", "in herstel"), ("occupancy.waakvlam", "in waakvlam"),
    ("returns_to_directe_veiligheid", "loop-backs to directe veiligheid"),
)
_BOOKKEEPING = frozenset({"DeadlineStarted", "DeadlineMet", "DeadlineClosedUnmet"})


def run_demo(db: str | None, region: str = DEMO_REGION, scale: float = DEMO_SCALE,
             timelines: int = 3, report_file: Path | None = None) -> None:
    """``hgkm demo``: simulate a quarter of a region, then show monitor, timelines and report.

    Runs on the store ``db`` (default: ``hgkm.db`` in the working directory). Each run uses the
    next seed that has not run on the store yet, so the demo can be run again and adds new
    households rather than failing. The report goes to ``report_file`` (default
    ``hgkm-report.html`` in the working directory). The "Try:" block never shows a password.
    """
    from hgkm_workflow.cli.boundary import open_application
    from hgkm_workflow.clock import SettableClock
    from hgkm_workflow.monitor import Period, min_cell_from_env
    from hgkm_workflow.monitor.html import write_html
    from hgkm_workflow.settings import process_environment
    from hgkm_workflow.simulation.driver import Simulation
    from hgkm_workflow.simulation.showcase import interesting_cases

    period = Period.parse(DEMO_PERIOD)
    first, until = period.first_day, period.end_day
    clock = SettableClock(datetime(first.year, first.month, first.day, tzinfo=UTC))
    app = open_application(db, create=True, clock=clock)
    try:
        seed = 1
        while Simulation(app, clock, _demo_config(region, first, until, scale, seed)) \
                .first_id() in app.repository:
            seed += 1
        config = _demo_config(region, first, until, scale, seed)
        console.rule(f"[bold]hgkm demo — {config.region}, {period.label}, "
                     f"{scale:g} of the yearly volume (seed {seed})")
        console.print("Synthetic households (random ids, no personal data) go through the real "
                      "engine in simulated time; the scheduler ticks every simulated morning.")
        result, rows = run_with_progress(app, clock, config)
        print_summary(result, rows, hide_password(app.config.url))
        from hgkm_workflow.cli.access import reader

        report = app.monitor(region=config.region, period=DEMO_PERIOD,
                             access=reader()).suppress_small_cells(
            min_cell_from_env(process_environment()))
        _print_headlines(report)
        case_ids = interesting_cases(app.engine, result.case_ids, timelines)
        for title, case_id in case_ids:
            _print_timeline(app, title, case_id)
        path = write_html(report, report_file or Path(REPORT_FILE))
        store = hide_password(app.config.url)
    finally:
        app.close()
    console.rule("[bold]Next")
    example = case_ids[0][1] if case_ids else "<case id>"
    console.print(f"Open [bold]{path.resolve()}[/bold] in a browser: the monitor as charts and "
                  f"tables. Events and read models are in {store}.", soft_wrap=True)
    console.print(try_block(db, config.region, str(example)), highlight=False, markup=False,
                  soft_wrap=True)


def try_block(db: str | None, region: str, example: str) -> str:
    """The demo's "Try:" commands, with ``--db`` when one was given — never its password.

    Args:
        db: The ``--db`` of the demo, if any.
        region: The simulated region.
        example: A case id to show the timeline of.

    Returns:
        The lines to print.
    """
    db_arg = f" --db {hide_password(db)}" if db else ""
    hidden = bool(db) and db_arg != f" --db {db}"
    lines = [f"Try: hgkm monitor --region {region} --period {DEMO_PERIOD}{db_arg}",
             f"     hgkm cases list --region {region}{db_arg}",
             f"     hgkm audit timeline {example}{db_arg}",
             f"     hgkm deadlines due{db_arg}",
             f"     hgkm simulate --region hollands-midden --from 2025-01-01 --until 2025-07-01 "
             f"--scale 0.2{db_arg}   (see hgkm simulate --help)"]
    if hidden:
        lines.append("(the password is hidden: set the store URL in HGKM_DATABASE_URL and leave "
                     "out --db)")
    return "\n".join(lines)


def _demo_config(region: str, start: date, until: date, scale: float, seed: int) -> Any:
    from hgkm_workflow.simulation import SimulationConfig

    return SimulationConfig(region=region, start=start, until=until, scale=scale, seed=seed)


def _print_headlines(report: Any) -> None:
    table = Table("figure", "value", "numerator", "denominator",
                  title=f"Monitor — {report.region}, {report.period.label} (all figures: hgkm "
                        "monitor; definitions: docs/monitor.md)")
    for name, label in _HEADLINES:
        try:
            f = report.figure(name)
        except KeyError:
            continue
        if f.suppressed:
            table.add_row(f"{label} ({name})", "suppressed", "", "")
            continue
        if f.value is None:
            value = "–"
        elif f.unit == "share":
            value = f"{f.value:.1%}"
        else:
            value = f"{f.value:,.0f}"
        den = "" if f.denominator is None else f"{f.denominator:,.0f}"
        table.add_row(f"{label} ({name})", value, f"{f.numerator:,.0f}", den)
    console.print(table)


def _print_timeline(app: Any, title: str, case_id: Any, max_lines: int = 22) -> None:
    from hgkm_workflow.access.models import system_access
    from hgkm_workflow.audit.entries import timeline

    events = app.case_events(case_id, access=system_access("demo"))
    entries = [e for e in timeline(events) if e.event not in _BOOKKEEPING]
    console.rule(f"[bold]Case {case_id}: {title}")
    for e in entries[:max_lines]:
        console.print(e.line(), highlight=False, markup=False, soft_wrap=True)
    rest = len(entries) - max_lines
    more = f"{rest} more; " if rest > 0 else ""
    console.print(f"({more}deadline bookkeeping left out — hgkm audit timeline {case_id} shows "
                  "every event)", highlight=False)
