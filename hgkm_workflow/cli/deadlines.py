"""``hgkm deadlines …`` and ``hgkm tick``: statutory time limits explained, listed and recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.table import Table

from hgkm_workflow.cli.access import (
    ActorOption,
    OrganisationOption,
    PurposeOption,
    RoleOption,
    reader,
)
from hgkm_workflow.cli.boundary import open_application
from hgkm_workflow.cli.common import DbOption, JsonOption, console, instant
from hgkm_workflow.errors import HgkmError

__all__ = ["FutureTick", "deadlines_app", "tick"]

deadlines_app = typer.Typer(help="Statutory time limits: explain a rule, list what is due.",
                            no_args_is_help=True)

#: How far ahead of the system clock ``tick --at`` may be without ``--simulate``.
FUTURE_TOLERANCE = timedelta(minutes=1)


class FutureTick(HgkmError):
    """``tick --at`` in the future would record breaches that have not happened (permanently)."""

    code = "FUTURE_TICK"
    default_rule = "a tick records what is due now"


@deadlines_app.command("explain")
def deadlines_explain(
    rule: Annotated[str, typer.Argument(help="Rule id or name, e.g. T1 or veiligheidsbeoordeling")],
    start: Annotated[str, typer.Option(help="ISO 8601 instant the term starts from")],
    as_json: JsonOption = False,
) -> None:
    """Compute a rule's due instant from a start instant and show the days skipped."""
    from hgkm_workflow.domain.deadlines import explain

    result = explain(rule, instant(start))
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
                  = None,
                  limit: Annotated[int, typer.Option(
                      min=1, help="At most this many, the soonest due first")] = 200,
                  as_json: JsonOption = False, actor: ActorOption = None,
                  organisation: OrganisationOption = None, role: RoleOption = None,
                  purpose: PurposeOption = None) -> None:
    """List open deadlines by due instant, with the case and rule."""
    access = reader(actor, organisation, role, purpose)
    by = instant(at) if at else None
    application = open_application(db)
    try:
        rows = application.open_deadlines(access=access, at=by)[:limit]
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

    calendar = calendar_by_version(version)
    application = open_application(db)
    try:
        moved = application.apply_calendar(calendar, decree)
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


def tick_instant(at: str | None, *, simulate: bool, now: datetime | None = None) -> datetime:
    """The instant to tick at: ``--at`` or now; a future ``--at`` only with ``--simulate``.

    Raises:
        FutureTick: If ``at`` lies in the future and ``simulate`` is False.
    """
    current = now or datetime.now(UTC)
    if at is None:
        return current
    value = instant(at)
    if value > current + FUTURE_TOLERANCE and not simulate:
        raise FutureTick("--at lies in the future: the breaches it records would be permanent "
                         "and false; give --simulate for a simulated store, or --dry-run to "
                         "only see what would be recorded")
    return value


def tick(db: DbOption = None,
         at: Annotated[str | None, typer.Option(
             help="Tick at this instant (default now; in the future only with --simulate)")]
         = None,
         dry_run: Annotated[bool, typer.Option(
             "--dry-run", help="Only list what is due and would be recorded; write nothing")]
         = False,
         simulate: Annotated[bool, typer.Option(
             "--simulate", help="Allow --at in the future (a simulated store, e.g. the demo's)")]
         = False,
         as_json: JsonOption = False, actor: ActorOption = None,
         organisation: OrganisationOption = None, role: RoleOption = None,
         purpose: PurposeOption = None) -> None:
    """Record every deadline that has come due (breaches, huisverbod expiries)."""
    if dry_run:
        when = instant(at) if at else datetime.now(UTC)
        out = _due(db, when, reader(actor, organisation, role, purpose))
        verb = "would be recorded"
    else:
        when = tick_instant(at, simulate=simulate)
        application = open_application(db)
        try:
            records = application.tick(when)
        finally:
            application.close()
        out = [{"case_id": str(r.case_id), "kind": r.kind, "rule_id": r.rule_id,
                "deadline_id": r.deadline_id, "due": r.due.isoformat() if r.due else None}
               for r in records]
        verb = "recorded"
    if as_json:
        typer.echo(json.dumps(out, indent=2))
        return
    for o in out:
        console.print(f"{o['kind']}: {o['rule_id']} on case {o['case_id']} (due {o['due']})",
                      highlight=False)
    console.print(f"{len(out)} {verb}", highlight=False)


def _due(db: str | None, when: datetime, access: Any) -> list[dict[str, Any]]:
    """What a tick at ``when`` would act on: open deadlines due by then, not yet breached."""
    application = open_application(db)
    try:
        rows = application.open_deadlines(access=access, at=when)
    finally:
        application.close()
    return [{"case_id": str(r.case_id), "kind": "due", "rule_id": r.rule_id,
             "deadline_id": r.deadline_id, "due": r.due.isoformat()}
            for r in rows if not r.breached]
