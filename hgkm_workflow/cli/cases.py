"""``hgkm cases …``: list household cases (the case index), filtered by region and phase."""

from __future__ import annotations

import json
from typing import Annotated

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
from hgkm_workflow.cli.common import DbOption, JsonOption, console
from hgkm_workflow.phases.lifecycle import CasePhase

__all__ = ["cases_app", "known_regions"]

cases_app = typer.Typer(help="List and inspect household cases.", no_args_is_help=True)


def known_regions() -> list[str]:
    """The regions a ``--region`` filter accepts: the access policy's and the region profiles'.

    Returns:
        Sorted region codes.
    """
    from importlib import resources

    from hgkm_workflow.access.policy import default_policy

    profiles = resources.files("hgkm_workflow").joinpath("data", "regions")
    names = {p.name.removesuffix(".yaml") for p in profiles.iterdir()
             if p.name.endswith(".yaml")}
    return sorted(names | set(default_policy().regions))


def region_filter(region: str | None) -> str | None:
    """The ``--region`` value, refused with the allowed values when it is unknown.

    Raises:
        typer.BadParameter: If the region is not known.
    """
    if region is None:
        return None
    allowed = known_regions()
    if region not in allowed:
        raise typer.BadParameter(f"unknown region; allowed: {', '.join(allowed)}",
                                 param_hint="--region")
    return region


@cases_app.command("list")
def cases_list(
    db: DbOption = None,
    region: Annotated[str | None, typer.Option(
        help="Only this region, e.g. rotterdam-rijnmond")] = None,
    phase: Annotated[CasePhase | None, typer.Option(help="Only cases in this phase")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many cases")] = 50,
    as_json: JsonOption = False, actor: ActorOption = None,
    organisation: OrganisationOption = None, role: RoleOption = None,
    purpose: PurposeOption = None,
) -> None:
    """List cases, newest first (Veilig Thuis: its own region; auditors: all)."""
    access = reader(actor, organisation, role, purpose)
    chosen = region_filter(region)
    application = open_application(db)
    try:
        rows = application.list_cases(access=access, region=chosen,
                                      phase=phase.value if phase else None, limit=limit)
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
