"""``hgkm monitor``: the monitor figures as a table, as JSON, or as a self-contained page.

Registered in :mod:`hgkm_workflow.cli` as ``app.command("monitor")(monitor)``. Like every
command it opens the store named by ``--db`` (default ``HGKM_DATABASE_URL`` or
``sqlite:///hgkm.db``) and calls the public API only (:meth:`HgkmApplication.monitor`).
Figures are aggregates (no case is read); the read is logged as the reader (``--actor`` …,
default the local operator). Cells resting on fewer than ``--min-cell`` meldingen, cases or
stays are suppressed in every output (for a reader who may not see exact cells, at least
``HGKM_MIN_CELL``); ``--round-to 5`` rounds published counts.
``--as-known-at ISO`` adds a restatement (the period's classification counts as known at
that recording instant beside now). ``hgkm monitor meldingen --jsonl FILE`` writes the
per-melding classification export for auditors (access-checked and logged; see
docs/export-format.md).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from hgkm_workflow.cli.access import (
    ActorOption,
    OrganisationOption,
    PurposeOption,
    RoleOption,
    reader,
)

if TYPE_CHECKING:
    from hgkm_workflow.access.models import Access
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


def _restatement(report: MonitorReport) -> None:
    r = report.restatement
    if r is None:
        return
    table = Table("figure", "then", "now", "change",
                  title=f"Restatement: as known at {r.known_at.isoformat()} and now")
    for c in r.counts:
        d = c.as_dict()
        if c.suppressed:
            table.add_row(c.name, "suppressed", "suppressed", "")
        else:
            table.add_row(c.name, str(d["then"]), str(d["now"]), f"{d['change']:+d}")
    for f in () if r.timeliness is None else r.timeliness.figures:
        if f.suppressed:
            table.add_row(f.name, "suppressed", "suppressed", "")
        else:
            of = f.then_of is not None
            table.add_row(f.name, f"{f.then} of {f.then_of}" if of else str(f.then),
                          f"{f.now} of {f.now_of}" if of else str(f.now),
                          f"{f.now - f.then:+d}")
    console.print(table)
    if r.moved:
        console.print(f"{len(r.moved)} melding(en) moved; --json lists them with the reason",
                      highlight=False)
    if r.timeliness is not None and r.timeliness.moved:
        console.print(f"{len(r.timeliness.moved)} deadline(s) moved; --json lists them with "
                      "the reason", highlight=False)


def _iso(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not an ISO 8601 instant: {value!r}") from None
    if instant.tzinfo is None:
        raise typer.BadParameter("--as-known-at needs a UTC offset, e.g. 2026-07-01T00:00Z")
    return instant


def _export_meldingen(jsonl: Path | None, db: str | None, region: str | None,
                      gemeente: str | None, period: str | None, known: datetime | None,
                      access: Access) -> None:
    from hgkm_workflow.adapters.files import open_private
    from hgkm_workflow.cli.boundary import open_application

    if jsonl is None:
        raise typer.BadParameter("hgkm monitor meldingen needs --jsonl FILE")
    application = open_application(db)
    try:
        records = application.melding_classifications(
            access=access, region=region, gemeente=gemeente,
            period=period, as_known_at=known)
    finally:
        application.close()
    with open_private(jsonl, "w") as out:
        for m in records:
            out.write(json.dumps(m.as_dict(), ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
    console.print(f"wrote {len(records)} melding classification(s) to {jsonl}",
                  highlight=False, soft_wrap=True)


def monitor(
    what: Annotated[str | None, typer.Argument(
        help="'meldingen': write the per-melding classification export (with --jsonl)",
        metavar="[meldingen]")] = None,
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
    as_known_at: Annotated[str | None, typer.Option(
        "--as-known-at", help="Restate the period's classification as known at this "
                              "recording instant (ISO 8601 with offset) beside now")] = None,
    round_to: Annotated[int, typer.Option(
        "--round-to", min=1, help="Round published counts to this base (e.g. 5, as CBS "
                                  "does), after suppression")] = 1,
    jsonl: Annotated[Path | None, typer.Option(
        "--jsonl", help="With 'meldingen': the JSON Lines file to write", metavar="FILE")]
    = None,
    actor: ActorOption = None, organisation: OrganisationOption = None,
    role: RoleOption = None, purpose: PurposeOption = None,
) -> None:
    """Monitor figures per region, gemeente and period (CBS classification, timeliness, flow)."""
    from hgkm_workflow.cli.boundary import open_application

    known = _iso(as_known_at)
    if what is not None:
        if what != "meldingen":
            raise typer.BadParameter(f"unknown view {what!r} (only 'meldingen')")
        _export_meldingen(jsonl, db, region, gemeente, period, known,
                          reader(actor, organisation, role, purpose))
        return

    if as_json and html is not None:
        raise typer.BadParameter("choose one of --json and --html")
    from hgkm_workflow.monitor import min_cell_from_env
    from hgkm_workflow.settings import process_environment

    threshold = min_cell if min_cell is not None else min_cell_from_env(process_environment())
    application = open_application(db)
    try:
        report = application.monitor(region=region, gemeente=gemeente, period=period,
                                     as_known_at=known, min_cell=threshold,
                                     round_to=round_to,
                                     access=reader(actor, organisation, role, purpose))
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
        _restatement(report)
