"""``hgkm simulate``: a synthetic region driven through the real engine (registered by cli.py).

Thin: it parses the options, opens the application with a settable clock, runs
:func:`hgkm_workflow.simulation.run_simulation` with a progress bar, and prints what was
generated and the calibration table (target versus simulated, measured from the read models).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

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
    from hgkm_workflow.application import HgkmApplication
    from hgkm_workflow.clock import SettableClock
    from hgkm_workflow.errors import HgkmError
    from hgkm_workflow.simulation import SimulationConfig, load_profile
    from hgkm_workflow.simulation.driver import Simulation

    first, last = _day(start), _day(until)
    if last <= first:
        raise typer.BadParameter("--until must be after --from")
    try:
        load_profile(region)
    except HgkmError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from None
    config = SimulationConfig(region=region, start=first, until=last, scale=scale, seed=seed,
                              history=history)
    clock = SettableClock(datetime(first.year, first.month, first.day, tzinfo=UTC))
    app = HgkmApplication(db, clock=clock)
    try:
        sim = Simulation(app, clock, config)
        if sim.first_id() in app.repository:
            console.print(f"[red]SEED_ALREADY_RUN[/red]: seed {seed} already ran on this store; "
                          "choose another --seed or a fresh --db")
            raise typer.Exit(2)
        result, rows = run_with_progress(app, clock, config, quiet=as_json)
    finally:
        app.close()
    if as_json:
        typer.echo(json.dumps(summary(result, rows), indent=2, default=str))
        return
    print_summary(result, rows, app.config.redacted())


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


def calibration_table(rows: Any, title: str = "Calibration: target versus simulated") -> Table:
    """The calibration rows as a rich table."""
    table = Table("figure", "target", "simulated", "tolerance", "source", "", title=title)
    for r in rows:
        fmt = (lambda v: f"{v:,.0f}") if r.relative else (lambda v: f"{v:.1%}")
        tol = f"±{r.tolerance:.0%}" if r.relative else f"±{r.tolerance * 100:.0f} pt"
        sim = "-" if r.simulated is None else fmt(r.simulated)
        source = f"{r.source}{' (estimate)' if r.estimate else ''}"
        table.add_row(r.name, fmt(r.target), sim, tol, source,
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
