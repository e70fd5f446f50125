"""What every command module shares: the output console, the common options, value parsers.

Data goes to stdout (``console``, ``typer.echo``); errors never pass here — they are raised and
printed by :mod:`hgkm_workflow.cli.boundary` on stderr.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.console import Console

__all__ = ["CaseArg", "DbOption", "JsonOption", "case_id", "console", "echo_json", "instant",
           "say"]

console = Console()

DbOption = Annotated[str | None, typer.Option("--db", help="Store URL (sqlite:///… or "
                                                         "postgresql://…); default "
                                                         "HGKM_DATABASE_URL or sqlite:///hgkm.db")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
CaseArg = Annotated[str, typer.Argument(help="The case id.")]


def instant(text: str) -> datetime:
    """An ISO 8601 instant with a UTC offset (``Z`` allowed).

    Raises:
        typer.BadParameter: If the text is not an instant or has no offset.
    """
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            "expected an ISO 8601 instant, e.g. 2026-04-23T23:10:00+02:00") from None
    if value.tzinfo is None:
        raise typer.BadParameter("the instant needs a UTC offset, e.g. +02:00 or Z")
    return value


def case_id(text: str) -> UUID:
    """A case id.

    Raises:
        typer.BadParameter: If the text is not a UUID.
    """
    try:
        return UUID(text)
    except ValueError:
        raise typer.BadParameter("expected a case id (a UUID)") from None


def echo_json(data: Any) -> None:
    """Print data as JSON on stdout (ids, instants and enums as text)."""
    from hgkm_workflow.audit import jsonable

    typer.echo(json.dumps(jsonable(data), indent=2, ensure_ascii=False))


def say(text: str) -> None:
    """Print a line of data as it is: no markup, no highlighting, never wrapped."""
    console.print(text, highlight=False, markup=False, soft_wrap=True)
