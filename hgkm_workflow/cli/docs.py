"""``hgkm docs …``: write and check the docs that are drawn from the code (see ``docgen``)."""

from __future__ import annotations

from pathlib import Path

import typer

from hgkm_workflow.cli.common import console

__all__ = ["docs_app"]

docs_app = typer.Typer(help="Generate the docs that are drawn from the code.",
                       no_args_is_help=True)


@docs_app.command("generate")
def docs_generate(out: Path = Path("docs")) -> None:
    """Write the generated docs (machine diagrams, deadline rules) into ``out``."""
    from hgkm_workflow.cli.docgen import generate_docs

    for path in generate_docs(out):
        console.print(f"wrote {path}")


@docs_app.command("check")
def docs_check(out: Path = Path("docs")) -> None:
    """Exit 1 when a generated doc is out of date (the stale files are listed on stderr)."""
    import sys

    from hgkm_workflow.cli.docgen import check_docs

    stale = check_docs(out)
    for path in stale:
        sys.stderr.write(f"out of date: {path}\n")
    if stale:
        raise typer.Exit(1)
    console.print("generated docs are up to date")
