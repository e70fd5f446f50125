"""``hgkm monitor``: the monitor figures as a table, as JSON, or as a self-contained page.

Registered in :mod:`hgkm_workflow.cli` as ``app.command("monitor")(monitor)``. Like every
command it opens the store named by ``--db`` (default ``HGKM_DATABASE_URL`` or
``sqlite:///hgkm.db``) and calls the public API only (:meth:`HgkmApplication.monitor`).
Figures are aggregates (no case is read, so no access request is needed); cells resting on
fewer than ``--min-cell`` meldingen, cases or stays are suppressed in every output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from hgkm_workflow.monitor import Figure, MonitorReport

console = Console()


def _value(f: Figure) -> str:
    if f.suppressed:
        return "suppressed"
    if f.value is None:
        return "–"
    if f.unit == "share":
        return f"{f.value * 100:.1f}%"
    if f.unit == "days":
        return f"{f.value:.1f} d"
    return f"{f.value:,.0f}"


def _num(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _print(report: MonitorReport) -> None:
    where = ", ".join(x for x in (report.region, report.gemeente) if x) or "all regions"
    console.rule(f"[bold]Monitor — {where} — {report.period.label}")
    console.print(f"state as of {report.as_of.isoformat()}; classification: "
                  f"{'; '.join(report.classification_settings) or 'no classified meldingen'}; "
                  "definitions: docs/monitor.md"
                  + (f"; cells under {report.min_cell} suppressed" if report.min_cell > 1
                     else ""), highlight=False)
    table = Table("figure", "value", "numerator", "denominator", title="Figures")
    group = None
    for f in report.figures:
        if group is not None and f.group != group:
            table.add_section()
        group = f.group
        if f.suppressed:
            table.add_row(f.name, _value(f), "", "")
        else:
            table.add_row(f.name, _value(f), _num(f.numerator), _num(f.denominator))
    console.print(table)
    series = Table("half-year", "hermeldingen", "meldingen", "share",
                   title=f"Hermelding share (national reference "
                         f"{report.hermelding_reference * 100:.0f}%)")
    for f in report.series.get("hermelding_by_half_year", ()):
        if f.suppressed:
            series.add_row(f.name.split("@")[1], "", "", _value(f))
        else:
            series.add_row(f.name.split("@")[1], _num(f.numerator), _num(f.denominator),
                           _value(f))
    console.print(series)
    flows = Table("from", "to", "transitions", title="Flow between phases")
    for fl in report.flows:
        flows.add_row(fl.from_phase, fl.to_phase, str(fl.count))
    console.print(flows)


def monitor(
    db: Annotated[str | None, typer.Option(
        "--db", help="Store URL (sqlite:///… or postgresql://…); default HGKM_DATABASE_URL "
                     "or sqlite:///hgkm.db")] = None,
    region: Annotated[str | None, typer.Option(help="Only this region")] = None,
    gemeente: Annotated[str | None, typer.Option(help="Only this gemeente, e.g. GM0599")] = None,
    period: Annotated[str | None, typer.Option(
        help="2025, 2025H1, 2025Q2 or 2025-03 (default: the current half-year)")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print every figure with numerator and denominator as JSON")] = False,
    html: Annotated[Path | None, typer.Option(
        "--html", help="Write one self-contained HTML page (charts, tables) to FILE",
        metavar="FILE")] = None,
    min_cell: Annotated[int | None, typer.Option(
        "--min-cell", min=0, help="Suppress cells resting on fewer meldingen/cases than this "
                                  "(default HGKM_MIN_CELL or 10; 0 shows exact figures)")]
    = None,
) -> None:
    """Monitor figures per region, gemeente and period (CBS classification, timeliness, flow)."""
    from hgkm_workflow.cli.boundary import open_application

    if as_json and html is not None:
        raise typer.BadParameter("choose one of --json and --html")
    from hgkm_workflow.monitor import min_cell_from_env
    from hgkm_workflow.settings import process_environment

    threshold = min_cell if min_cell is not None else min_cell_from_env(process_environment())
    application = open_application(db)
    try:
        report = application.monitor(region=region, gemeente=gemeente, period=period)
        report = report.suppress_small_cells(threshold)
    finally:
        application.close()
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    elif html is not None:
        from hgkm_workflow.monitor.html import write_html

        write_html(report, html)
        console.print(f"wrote {html}", highlight=False, soft_wrap=True)
    else:
        _print(report)
