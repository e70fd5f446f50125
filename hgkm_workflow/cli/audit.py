"""``hgkm audit …``: a case's history, its state as of an instant, one decision explained, and a
verification of the whole store.

Registered in :mod:`hgkm_workflow.cli`. Like every command they open the store named by
``--db`` (default ``HGKM_DATABASE_URL`` or ``sqlite:///hgkm.db``) and call the public API only
(:mod:`hgkm_workflow.audit`). Reads state who reads and why (``--actor --organisation --role
--purpose``, defaults in :mod:`hgkm_workflow.cli.access`); they are decided by the access
policy and logged. Output holds pseudonymous ids and codes only.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from hgkm_workflow.cli.access import (
    ActorOption,
    OrganisationOption,
    PurposeOption,
    RoleOption,
    SafetyOption,
    reader,
)
from hgkm_workflow.cli.boundary import open_application
from hgkm_workflow.cli.common import (
    CaseArg,
    DbOption,
    JsonOption,
    case_id,
    console,
    echo_json,
    instant,
    say,
)

if TYPE_CHECKING:
    from hgkm_workflow.audit import AsOfComparison, EventExplanation

__all__ = ["audit_app"]

audit_app = typer.Typer(help="Audit and replay: a case's history, its state as of an instant, "
                             "one decision explained, and a verification of the whole store.",
                        no_args_is_help=True)


# ---------------------------------------------------------------------------- audit


@audit_app.command("timeline")
def audit_timeline(case: CaseArg, db: DbOption = None, as_json: JsonOption = False,
                   actor: ActorOption = None, organisation: OrganisationOption = None,
                   role: RoleOption = None, purpose: PurposeOption = None,
                   safety_reason: SafetyOption = None) -> None:
    """The case's history, one line per event: when, who, what, why, and deadline details."""
    from hgkm_workflow.audit import timeline

    access = reader(actor, organisation, role, purpose, safety_reason)
    application = open_application(db)
    try:
        entries = timeline(application, case_id(case), access=access)
    finally:
        application.close()
    if as_json:
        typer.echo(json.dumps([e.as_dict() for e in entries], indent=2, ensure_ascii=False))
        return
    for e in entries:
        say(f"v{e.version:<4} {e.line()}")


@audit_app.command("as-of")
def audit_as_of(
    case: CaseArg,
    at: Annotated[str, typer.Option("--at", help="ISO 8601 instant with offset")],
    db: DbOption = None,
    as_json: JsonOption = False,
    actor: ActorOption = None, organisation: OrganisationOption = None,
    role: RoleOption = None, purpose: PurposeOption = None,
    safety_reason: SafetyOption = None,
) -> None:
    """The case as it stood at an instant: true then (business time) and known then."""
    from hgkm_workflow.audit import compare_as_of

    when = instant(at)
    access = reader(actor, organisation, role, purpose, safety_reason)
    application = open_application(db)
    try:
        result = compare_as_of(application, case_id(case), when, access=access)
    finally:
        application.close()
    if as_json:
        echo_json(result.as_dict())
        return
    _print_as_of(result)


_AS_OF_FIELDS = ("phase", "sub_state", "regisseur", "handover_offered_to", "mda", "plans",
                 "open_risk_factors", "open_deadlines", "huisverboden", "meldingen", "roles",
                 "loop_backs", "closure")


def _show_value(key: str, value: Any) -> str:
    from hgkm_workflow.scenario.expect import show_instant

    if value is None or value in ([], {}):
        return "-"
    if key in ("regisseur", "handover_offered_to"):
        return f"{value['actor_id']} ({value['organisation']})"
    if key == "plans":
        return ", ".join(f"{k} v{v['version']}" for k, v in value.items() if v) or "-"
    if key == "open_deadlines":
        return "\n".join(
            f"{d['rule_id']}{' cp ' + str(d['checkpoint']) if d['checkpoint'] else ''} due "
            f"{show_instant(d['due'])}{' OVERDUE' if d['overdue'] else ''}"
            f"{' (breach recorded)' if d['breach_recorded'] else ''}" for d in value)
    if key == "huisverboden":
        return "\n".join(f"{str(h['huisverbod_id'])[:8]} {h['state']}"
                         f"{' in force' if h['in_force'] else ''} until "
                         f"{show_instant(h['ends_at'])}" for h in value)
    if key == "roles":
        return "\n".join(f"{str(pid)[:8]} {role}" for pid, role in value.items())
    if key == "closure":
        return str(value.get("reason"))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _print_as_of(result: AsOfComparison) -> None:
    from hgkm_workflow.scenario.expect import show_instant

    b, r = result.business, result.recorded
    say(f"Case {b.case_id} as of {show_instant(b.at)}")
    if not b.existed and not r.existed:
        say("The case did not exist yet.")
        return
    table = Table("", "true then (business time)", "known then (recording time)")
    changed = {d["field"] for d in result.differences}
    for key in _AS_OF_FIELDS:
        left = _show_value(key, b.state.get(key)) if b.existed else "(not opened yet)"
        right = _show_value(key, r.state.get(key)) if r.existed else "(not recorded yet)"
        label = f"[bold yellow]{key} *[/bold yellow]" if key in changed else key
        table.add_row(label, left, right)
    console.print(table)
    if not result.differ:
        say("What was true and what was known agree at this instant.")
    for title, entries in (("Registered later (true then, not yet known):", result.late_facts),
                           ("Recorded then, dated later:", result.early_records)):
        if entries:
            say(title)
            for e in entries:
                say(f"  v{e.version} {e.line()} (recorded {show_instant(e.recorded_at)})")
    if b.not_replayable:
        say(f"Not replayable on business time: versions {list(b.not_replayable)}")


@audit_app.command("explain")
def audit_explain(
    case: CaseArg,
    event: Annotated[int, typer.Option("--event", help="The event's version (see timeline)")],
    db: DbOption = None,
    as_json: JsonOption = False,
    actor: ActorOption = None, organisation: OrganisationOption = None,
    role: RoleOption = None, purpose: PurposeOption = None,
    safety_reason: SafetyOption = None,
) -> None:
    """One decision: rule and version, inputs, the state it was taken in, and the reasons."""
    from hgkm_workflow.audit import explain_event

    access = reader(actor, organisation, role, purpose, safety_reason)
    application = open_application(db)
    try:
        result = explain_event(application, case_id(case), event, access=access)
    finally:
        application.close()
    if as_json:
        echo_json(result.as_dict())
        return
    _print_explanation(result)


def _print_explanation(x: EventExplanation) -> None:
    from hgkm_workflow.audit import jsonable
    from hgkm_workflow.scenario.expect import show_instant

    say(f"Event {x.version} of case {x.case_id}: {x.event}")
    say(f"  what      {x.entry.what}")
    say(f"  when      {show_instant(x.business_time)} (recorded "
           f"{show_instant(x.recorded_at)})")
    if x.actor:
        say(f"  who       {x.actor['actor_id']} ({x.actor['organisation']}, "
               f"{x.actor['role']})")
    say(f"  why       {x.rationale or '-'}")
    say(f"  rule      {x.rule or '-'}"
           + (f" (version {x.rule_version})" if x.rule_version is not None else ""))
    if x.stored_class_version:
        say(f"  schema    stored as event version {x.stored_class_version}")
    say("  inputs    " + json.dumps(jsonable(x.inputs), ensure_ascii=False))
    if x.state_before:
        s = x.state_before
        say(f"  state     phase {s['phase']}, sub-state {s['sub_state'] or '-'}, "
               f"regisseur {_show_value('regisseur', s['regisseur'])}, mda {s['mda']}, "
               f"open deadlines {', '.join(d['rule_id'] for d in s['open_deadlines']) or '-'}")
    say("  decision  " + ", ".join(f"v{d['version']} {d['event']}" for d in x.decision))
    for d in x.deadlines:
        say(f"  deadline  {d['rule_id']} {d['rule']} (rule version {d['rule_version']}, "
               f"{d['rule_variant']}, {d['rule_type']}); calendar {d['calendar_version']}")
        say(f"            start {show_instant(d['start'])}, due {show_instant(d['due'])}")
        say(f"            {d['counting']}")
        for s in d["skipped"]:
            say(f"            skipped {s['date']}: {s['reason']}")
        check = d.get("recomputation_matches")
        note = ("recomputed: same due instant" if check
                else d.get("recomputation_note") or "recomputed: DIFFERENT due instant")
        say(f"            {note}; source: {d['legal_source']}")
        for h in d["history"]:
            say(f"            v{h['version']} {h['event']}")


@audit_app.command("verify")
def audit_verify(db: DbOption = None, as_json: JsonOption = False, actor: ActorOption = None,
                 organisation: OrganisationOption = None, role: RoleOption = None,
                 purpose: PurposeOption = None,
                 workers: Annotated[int, typer.Option(
                     "--workers", min=0, max=64,
                     help="Processes sharing the replay; 0: the CPUs, at most 8.")] = 0,
                 ) -> None:
    """Replay every case and rebuild every read model in a scratch database; compare."""
    from rich.console import Console
    from rich.progress import Progress

    from hgkm_workflow.audit import verify

    access = reader(actor, organisation, role, purpose)
    workers = workers or min(8, os.cpu_count() or 1)
    application = open_application(db)
    try:
        if as_json:
            report = verify(application, access=access, workers=workers)
        else:
            with Progress(console=Console(stderr=True), transient=True) as progress:
                tasks: dict[str, Any] = {}

                def show(stage: str, done: int, total: int) -> None:
                    if stage not in tasks:
                        tasks[stage] = progress.add_task(stage, total=total)
                    progress.update(tasks[stage], completed=done, total=total)

                report = verify(application, progress=show, access=access, workers=workers)
    finally:
        application.close()
    if as_json:
        echo_json(report.as_dict())
    else:
        say(f"replayed {report.aggregates} aggregates ({report.events} events); compared "
               f"{sum(report.tables.values())} rows in {len(report.tables)} read-model tables "
               f"up to position {report.position}")
        for d in report.differences:
            say(f"DIFFERS {d.kind} {d.where}: {d.detail}")
        say("OK: replay and rebuild equal the live state and views" if report.ok
               else f"{len(report.differences)} difference(s)")
    if not report.ok:
        raise typer.Exit(1)


