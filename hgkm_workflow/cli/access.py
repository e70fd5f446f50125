"""Who reads through the CLI, and ``hgkm access-log``.

Every command that reads a case, a list or an export states an actor and a purpose, as every
library query does. The options ``--actor ID --organisation ORG --role ROLE --purpose P``
(and ``--safety-reason TEXT`` for emergency access) default to ``HGKM_ACTOR``,
``HGKM_ORGANISATION``, ``HGKM_ROLE``, ``HGKM_PURPOSE`` and ``HGKM_SAFETY_REASON``, and without
those to the **local operator**: actor ``local-operator`` of organisation ``local``, role
``auditor``, purpose ``audit`` — the person at the keyboard of a store they administer. The
library does not authenticate anyone: the host service that embeds it (or the operating system
account running the CLI) is responsible for who may claim which identity (docs/security.md).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console

from hgkm_workflow.access.models import Access
from hgkm_workflow.cli.common import DbOption
from hgkm_workflow.errors import HgkmError

console = Console()

LOCAL_OPERATOR = {"actor_id": "local-operator", "organisation": "local", "role": "auditor"}
LOCAL_PURPOSE = "audit"

ActorOption = Annotated[str | None, typer.Option(
    "--actor", help="Who reads: a pseudonymous actor id (default HGKM_ACTOR or local-operator)")]
OrganisationOption = Annotated[str | None, typer.Option(
    "--organisation", help="The reader's organisation code (default HGKM_ORGANISATION or local)")]
RoleOption = Annotated[str | None, typer.Option(
    "--role", help="The reader's role, e.g. vt_medewerker (default HGKM_ROLE or auditor)")]
PurposeOption = Annotated[str | None, typer.Option(
    "--purpose", help="Why: triage, case_work, casusregie, audit, emergency, … "
                      "(default HGKM_PURPOSE or audit)")]
SafetyOption = Annotated[str | None, typer.Option(
    "--safety-reason", help="With --purpose emergency: why safety requires access "
                            "(recorded on the case; default HGKM_SAFETY_REASON)")]


def reader(actor: str | None = None, organisation: str | None = None, role: str | None = None,
           purpose: str | None = None, safety_reason: str | None = None) -> Access:
    """The access request of a CLI invocation: options, then environment, then the default.

    Raises:
        typer.BadParameter: If the identity is malformed (the message names the field only).
    """
    from hgkm_workflow.access.guard import as_access
    from hgkm_workflow.settings import cli_reader_defaults

    env = cli_reader_defaults()
    data: dict[str, Any] = {
        "actor": {
            "actor_id": actor or env.actor_id or LOCAL_OPERATOR["actor_id"],
            "organisation": organisation or env.organisation or LOCAL_OPERATOR["organisation"],
            "role": role or env.role or LOCAL_OPERATOR["role"],
        },
        "purpose": purpose or env.purpose or LOCAL_PURPOSE,
    }
    reason = safety_reason or env.safety_reason
    if reason:
        data["safety_reason"] = reason
    try:
        return as_access(data)
    except HgkmError as exc:
        raise typer.BadParameter(f"the reader's identity is invalid: {exc.message}") from None


access_log_app = typer.Typer(
    help="The access log: every read and every refusal, hash-chained (tamper-evident).",
    invoke_without_command=True)


@access_log_app.callback()
def access_log_show(
    ctx: typer.Context,
    case: Annotated[str | None, typer.Option("--case", help="Only entries about this case")]
    = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Only entries of this actor")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, the newest")] = 200,
    db: DbOption = None,
    reader_id: Annotated[str | None, typer.Option(
        "--reader", help="Who reads the log (default HGKM_ACTOR or local-operator)")] = None,
    organisation: OrganisationOption = None, role: RoleOption = None,
    purpose: PurposeOption = None,
) -> None:
    """Show the access log: who read or was refused what, when, for which purpose."""
    if ctx.invoked_subcommand is not None:
        return
    from uuid import UUID

    from hgkm_workflow.cli.boundary import open_application

    try:
        case_id = UUID(case) if case else None
    except ValueError:
        raise typer.BadParameter("expected a case id (a UUID)", param_hint="--case") from None
    access = reader(reader_id, organisation, role, purpose)
    application = open_application(db)
    try:
        entries = application.access_log(access=access, case_id=case_id, actor_id=actor)
    finally:
        application.close()
    entries = entries[-limit:]  # the newest, still in the order they were logged
    if as_json:
        typer.echo(json.dumps([e.as_dict() for e in entries], indent=2, ensure_ascii=False))
        return
    for e in entries:
        where = f"case {e.case_id}" if e.case_id else "-"
        note = f" [{e.safety_reason}]" if e.safety_reason else ""
        console.print(f"{e.seq:>6} {e.at.isoformat(timespec='seconds')} {e.actor_id} "
                      f"({e.organisation}, {e.role}) {e.resource} {where} for {e.purpose}: "
                      f"{e.verdict.upper()} — {e.rule}{note}",
                      highlight=False, markup=False, soft_wrap=True)
    console.print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}", highlight=False)


@access_log_app.command("verify")
def access_log_verify(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    reader_id: Annotated[str | None, typer.Option(
        "--reader", help="Who reads the log (default HGKM_ACTOR or local-operator)")] = None,
    organisation: OrganisationOption = None, role: RoleOption = None,
    purpose: PurposeOption = None,
) -> None:
    """Walk the hash chain: exit 1 when an entry was changed, removed or reordered."""
    from hgkm_workflow.cli.boundary import open_application

    access = reader(reader_id, organisation, role, purpose)
    application = open_application(db)
    try:
        result = application.verify_access_log(access=access)
    finally:
        application.close()
    if as_json:
        typer.echo(json.dumps({"ok": result.ok, "entries": result.entries,
                               "last_hash": result.last_hash,
                               "keyed": result.keyed,
                               "anchored_entries": result.anchored_entries,
                               "problems": list(result.problems)}, indent=2))
    else:
        for problem in result.problems:
            console.print(f"[red]TAMPERED[/red] {problem}", highlight=False)
        console.print(f"{result.entries} entries; "
                      + ("the chain is intact" if result.ok else "the chain is BROKEN"),
                      highlight=False)
        if not result.keyed:
            console.print("note: the chain is not keyed (HGKM_ACCESS_LOG_KEY): whoever can "
                          "write the database can recompute it", highlight=False, soft_wrap=True)
        if result.anchored_entries is None:
            console.print("note: no anchor is configured (HGKM_ACCESS_LOG_ANCHOR): removed "
                          "last entries or a wiped log cannot be detected", highlight=False,
                          soft_wrap=True)
    if not result.ok:
        raise typer.Exit(1)
