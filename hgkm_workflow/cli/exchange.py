"""``hgkm export`` and ``hgkm import``: the event stream as JSON Lines (docs/export-format.md).

Export reads (it states who reads and why, and is logged); import fills an empty store, which it
may create.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hgkm_workflow.cli.access import (
    ActorOption,
    OrganisationOption,
    PurposeOption,
    RoleOption,
    reader,
)
from hgkm_workflow.cli.boundary import open_application
from hgkm_workflow.cli.common import DbOption, say

__all__ = ["export_events", "import_events"]


def export_events(
    jsonl: Annotated[Path, typer.Option("--jsonl", help="File to write (JSON Lines)")],
    db: DbOption = None,
    actor: ActorOption = None, organisation: OrganisationOption = None,
    role: RoleOption = None, purpose: PurposeOption = None,
) -> None:
    """Export the whole event stream, one event per line (docs/export-format.md)."""
    from hgkm_workflow.audit.exchange import export_jsonl

    access = reader(actor, organisation, role, purpose)
    application = open_application(db)
    try:
        result = export_jsonl(application, jsonl, access=access)
    finally:
        application.close()
    say(f"exported {result.events} events of {result.aggregates} cases and adviezen "
           f"to {jsonl}" + (f"; {result.redacted} free-text value(s) redacted"
                            if result.redacted else ""))


def import_events(
    jsonl: Annotated[Path, typer.Option("--jsonl", help="File to read (JSON Lines)")],
    db: Annotated[str, typer.Option("--db", help="Store URL of an EMPTY store")],
) -> None:
    """Import an export into an empty store and rebuild its read models."""
    from hgkm_workflow.audit.exchange import import_jsonl

    if not jsonl.is_file():
        raise typer.BadParameter(f"no such file: {jsonl}")
    application = open_application(db, create=True)
    try:
        result = import_jsonl(application, jsonl)
    finally:
        application.close()
    say(f"imported {result.events} events of {result.aggregates} cases and adviezen; "
           f"read models applied {result.read_model_events} events")


