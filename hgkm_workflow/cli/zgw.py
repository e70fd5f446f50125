"""``hgkm zgw preview CASE``: the ZGW requests a case produces, without sending anything."""

from __future__ import annotations

import typer

from hgkm_workflow.cli.access import (
    ActorOption,
    OrganisationOption,
    PurposeOption,
    RoleOption,
    SafetyOption,
    reader,
)
from hgkm_workflow.cli.boundary import open_application
from hgkm_workflow.cli.common import CaseArg, DbOption, JsonOption, case_id, echo_json, say

__all__ = ["zgw_app"]

zgw_app = typer.Typer(help="The ZGW integration (docs/zgw.md).", no_args_is_help=True)


@zgw_app.command("preview")
def zgw_preview(case: CaseArg, db: DbOption = None, as_json: JsonOption = False,
                actor: ActorOption = None, organisation: OrganisationOption = None,
                role: RoleOption = None, purpose: PurposeOption = None,
                safety_reason: SafetyOption = None) -> None:
    """The Zaken and Notificaties requests of a case in delivery order (a logged read)."""
    from hgkm_workflow.integration.zgw.requests import preview

    access = reader(actor, organisation, role, purpose, safety_reason)
    wanted = case_id(case)
    application = open_application(db)
    try:
        requests = preview(application, wanted, access=access)
    finally:
        application.close()
    if as_json:
        echo_json(requests)
        return
    for r in requests:
        say(f"{r['api']:<13} {r['method']:<6} {r['path']}")
    say(f"{len(requests)} request(s); nothing was sent")
