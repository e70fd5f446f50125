"""``hgkm scenario run``: complete case lifecycles as scenario files (docs/scenarios.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hgkm_workflow.cli.common import DbOption, JsonOption, console, say

__all__ = ["scenario_app"]

scenario_app = typer.Typer(help="Complete case lifecycles as scenario files (docs/scenarios.md).",
                           no_args_is_help=True)


@scenario_app.command("run")
def scenario_run(
    files: Annotated[list[Path], typer.Argument(help="Scenario files or directories")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run scenario files on simulated time (twice: straight, and reloaded after every step).

    Without --db each scenario runs in a temporary SQLite store. Exits 1 when an expectation
    fails and 2 when a file is not a valid scenario.
    """
    from hgkm_workflow.scenario import ScenarioResult, run_files

    def show(result: ScenarioResult) -> None:
        if not as_json:
            style = "green" if result.ok else "red"
            head, _, rest = result.report().partition("\n")
            console.print(f"[{style}]{head}[/{style}]", highlight=False, soft_wrap=True)
            if rest:
                say(rest)

    if db:
        from hgkm_workflow.cli.boundary import require_store

        require_store(db, create=True)
    results = run_files(files, db or None, progress=show)
    failed = [r for r in results if not r.ok]
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in results], indent=2, ensure_ascii=False))
    else:
        say(f"{len(results) - len(failed)} of {len(results)} scenario(s) passed")
    if failed:
        raise typer.Exit(1)
