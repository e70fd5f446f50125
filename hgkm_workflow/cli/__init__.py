"""The ``hgkm`` command line: thin, it calls the public API only.

Every command takes ``--db URL`` (default ``HGKM_DATABASE_URL`` or ``sqlite:///hgkm.db``).
Commands that read cases state who reads and why (``--actor --organisation --role --purpose``;
defaults in :mod:`hgkm_workflow.cli.access`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hgkm_workflow.cli.access import (
    ActorOption,
    OrganisationOption,
    PurposeOption,
    RoleOption,
    access_log_app,
    keygen,
    reader,
    rotate_key_command,
)
from hgkm_workflow.cli.audit import audit_app, export_events, import_events, scenario_app
from hgkm_workflow.cli.monitor import monitor
from hgkm_workflow.cli.simulate import simulate
from hgkm_workflow.errors import HgkmError

app = typer.Typer(help="hgkm_workflow: gefaseerd samenwerken aan veiligheid, event-sourced.",
                  no_args_is_help=True, add_completion=False)
deadlines_app = typer.Typer(help="Statutory time limits: explain a rule, list what is due.",
                            no_args_is_help=True)
cases_app = typer.Typer(help="List and inspect household cases.", no_args_is_help=True)
docs_app = typer.Typer(help="Generate the docs that are drawn from the code.",
                       no_args_is_help=True)
projections_app = typer.Typer(help="Read models.", no_args_is_help=True)
app.add_typer(deadlines_app, name="deadlines")
app.add_typer(cases_app, name="cases")
app.add_typer(audit_app, name="audit")
app.add_typer(docs_app, name="docs")
app.add_typer(projections_app, name="projections")
app.command("monitor")(monitor)
app.add_typer(scenario_app, name="scenario")
app.command("export")(export_events)
app.command("import")(import_events)
app.command("simulate")(simulate)
app.add_typer(access_log_app, name="access-log")
app.command("keygen")(keygen)
app.command("rotate-key")(rotate_key_command)

DbOption = Annotated[str | None, typer.Option("--db", help="Store URL (sqlite:///… or "
                                                         "postgresql://…); default "
                                                         "HGKM_DATABASE_URL or sqlite:///hgkm.db")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]

console = Console()


def _open(db: str | None) -> Any:
    from hgkm_workflow.application import HgkmApplication

    return HgkmApplication(db)


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            "expected an ISO 8601 instant, e.g. 2026-04-23T23:10:00+02:00") from None
    if value.tzinfo is None:
        raise typer.BadParameter("the instant needs a UTC offset, e.g. +02:00 or Z")
    return value


def _fail(exc: HgkmError) -> None:
    console.print(f"[red]{exc.code}[/red]: {exc.message}" + (f" (rule: {exc.rule})"
                                                             if exc.rule else ""))
    raise typer.Exit(2)


@app.command()
def demo(db: DbOption = None,
         scale: Annotated[float, typer.Option(
             "--scale", min=0.001, max=2.0,
             help="Fraction of Rotterdam-Rijnmond's yearly volume to simulate for the quarter "
                  "(default 0.8: about 2,450 meldingen, 2,400 adviezen and 2,100 households)")
         ] = 0.8) -> None:
    """Simulate a quarter of a region, then show the monitor, audit timelines and a report."""
    from hgkm_workflow.cli.simulate import run_demo

    run_demo(db, scale=scale)


@cases_app.command("list")
def cases_list(db: DbOption = None, region: str | None = None, phase: str | None = None,
               limit: int = 50, as_json: JsonOption = False, actor: ActorOption = None,
               organisation: OrganisationOption = None, role: RoleOption = None,
               purpose: PurposeOption = None) -> None:
    """List cases, newest first (Veilig Thuis: its own region; auditors: all)."""
    access = reader(actor, organisation, role, purpose)
    application = _open(db)
    try:
        rows = application.list_cases(access=access, region=region, phase=phase, limit=limit)
    except HgkmError as exc:
        _fail(exc)
        return
    finally:
        application.close()
    if as_json:
        typer.echo(json.dumps([{**vars(r), "case_id": str(r.case_id),
                                "opened_at": r.opened_at.isoformat(),
                                "phase_entered_at": r.phase_entered_at.isoformat()}
                               for r in rows], indent=2))
        return
    table = Table("case", "region", "gemeente", "phase", "since", "meldingen", "loop-backs",
                  "MDA++")
    for r in rows:
        table.add_row(str(r.case_id), r.region, r.gemeente, r.phase,
                      r.phase_entered_at.date().isoformat(), str(r.meldingen),
                      str(r.loop_backs), r.mda)
    console.print(table)


@deadlines_app.command("explain")
def deadlines_explain(
    rule: Annotated[str, typer.Argument(help="Rule id or name, e.g. T1 or veiligheidsbeoordeling")],
    start: Annotated[str, typer.Option(help="ISO 8601 instant the term starts from")],
    as_json: JsonOption = False,
) -> None:
    """Compute a rule's due instant from a start instant and show the days skipped."""
    from hgkm_workflow.domain.deadlines import explain

    try:
        result = explain(rule, _instant(start))
    except HgkmError as exc:
        _fail(exc)
        return
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    console.print(f"[bold]{result['rule_id']} {result['rule']}[/bold] "
                  f"(v{result['rule_version']}, {result['type']})")
    console.print(f"start  {result['start_local']}")
    console.print(f"due    {result['due_local']}  ({result['due']})")
    console.print(f"count  {result['counting']}")
    console.print(f"source {result['legal_source']}")
    console.print(f"calendar {result['calendar_version']}")
    for s in result["skipped"]:
        console.print(f"  skipped {s['date']}: {s['reason']}")


@deadlines_app.command("due")
def deadlines_due(db: DbOption = None,
                  at: Annotated[str | None, typer.Option(help="Only those due by this instant")]
                  = None, as_json: JsonOption = False, actor: ActorOption = None,
                  organisation: OrganisationOption = None, role: RoleOption = None,
                  purpose: PurposeOption = None) -> None:
    """List open deadlines by due instant, with the case and rule."""
    access = reader(actor, organisation, role, purpose)
    application = _open(db)
    try:
        rows = application.open_deadlines(access=access, at=_instant(at) if at else None)
    except HgkmError as exc:
        _fail(exc)
        return
    finally:
        application.close()
    if as_json:
        typer.echo(json.dumps([{"case_id": str(r.case_id), "deadline_id": r.deadline_id,
                                "rule_id": r.rule_id, "rule": r.rule_name, "type": r.rule_type,
                                "due": r.due.isoformat(), "breached": r.breached,
                                "checkpoint": r.checkpoint} for r in rows], indent=2))
        return
    table = Table("due (UTC)", "case", "rule", "type", "breached")
    for r in rows:
        table.add_row(r.due.isoformat(timespec="minutes"), str(r.case_id),
                      f"{r.rule_id} {r.rule_name}", r.rule_type, "yes" if r.breached else "")
    console.print(table)


@deadlines_app.command("recalendar")
def deadlines_recalendar(
    version: Annotated[str, typer.Option(help="Calendar version to apply, e.g. atw-2")],
    decree: Annotated[str, typer.Option(help="Name of the decree that causes the change")],
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Move open deadlines onto another calendar version, recording old and new due instants."""
    from hgkm_workflow.domain.calendar import calendar_by_version

    application = _open(db)
    try:
        moved = application.apply_calendar(calendar_by_version(version), decree)
    except HgkmError as exc:
        _fail(exc)
        return
    finally:
        application.close()
    if as_json:
        typer.echo(json.dumps([{**m, "old_due": m["old_due"].isoformat(),
                                "new_due": m["new_due"].isoformat()} for m in moved], indent=2))
        return
    for m in moved:
        console.print(f"{m['rule_id']} on case {m['case_id']}: {m['old_due'].isoformat()} → "
                      f"{m['new_due'].isoformat()}")
    console.print(f"{len(moved)} deadline(s) moved")


@app.command()
def init(db: DbOption = None) -> None:
    """Create the store's tables once, before several processes start (docs/scaling.md).

    Opening the application creates what is missing (events, snapshots, person register,
    access log, read models and their tracking); this does only that, and lists the tables.
    Safe to run again: existing tables and their rows are left as they are.
    """
    import sqlalchemy as sa

    application = _open(db)
    try:
        with application.engine.connect() as conn:
            tables = sorted(sa.inspect(conn).get_table_names())
        lag = application.projections.lag()
    finally:
        application.close()
    console.print(f"{len(tables)} tables ready in {application.config.redacted()}: "
                  + ", ".join(tables), highlight=False)
    console.print(f"read models behind the event store by {lag} notification(s)",
                  highlight=False)


@app.command()
def tick(db: DbOption = None,
         at: Annotated[str | None, typer.Option(help="Tick at this instant (default now)")] = None,
         as_json: JsonOption = False) -> None:
    """Record every deadline that has come due (breaches, huisverbod expiries)."""
    application = _open(db)
    try:
        records = application.tick(_instant(at) if at else datetime.now(UTC))
    finally:
        application.close()
    out = [{"case_id": str(r.case_id), "kind": r.kind, "rule_id": r.rule_id,
            "deadline_id": r.deadline_id, "due": r.due.isoformat() if r.due else None}
           for r in records]
    if as_json:
        typer.echo(json.dumps(out, indent=2))
    else:
        for o in out:
            console.print(f"{o['kind']}: {o['rule_id']} on case {o['case_id']} (due {o['due']})")
        console.print(f"{len(out)} recorded")


@projections_app.command("rebuild")
def projections_rebuild(db: DbOption = None) -> None:
    """Rebuild every read model from the event store, with a progress bar."""
    from rich.progress import Progress

    application = _open(db)
    try:
        with Progress(console=console) as progress:
            task = progress.add_task("rebuilding read models", total=None)

            def report(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            count = application.projections.rebuild(progress=report)
    finally:
        application.close()
    console.print(f"applied {count} events")


@docs_app.command("generate")
def docs_generate(out: Path = Path("docs")) -> None:
    """Write the generated docs (machine diagrams, deadline rules) into ``out``."""
    from hgkm_workflow.cli.docgen import generate_docs

    for path in generate_docs(out):
        console.print(f"wrote {path}")


@docs_app.command("check")
def docs_check(out: Path = Path("docs")) -> None:
    """Exit non-zero when a generated doc is out of date."""
    from hgkm_workflow.cli.docgen import check_docs

    stale = check_docs(out)
    for path in stale:
        console.print(f"[red]out of date[/red]: {path}")
    if stale:
        raise typer.Exit(1)
    console.print("generated docs are up to date")


def main() -> None:  # pragma: no cover - console entry point
    """Console entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover - python -m hgkm_workflow.cli
    main()
