"""The ``hgkm`` command line: thin, it calls the public API only.

One module per command group (:mod:`~hgkm_workflow.cli.cases`,
:mod:`~hgkm_workflow.cli.deadlines`, :mod:`~hgkm_workflow.cli.store`,
:mod:`~hgkm_workflow.cli.audit`, :mod:`~hgkm_workflow.cli.exchange`,
:mod:`~hgkm_workflow.cli.scenario`, :mod:`~hgkm_workflow.cli.monitor`,
:mod:`~hgkm_workflow.cli.simulate`, :mod:`~hgkm_workflow.cli.access`,
:mod:`~hgkm_workflow.cli.docs`, :mod:`~hgkm_workflow.cli.running`,
:mod:`~hgkm_workflow.cli.migrate`, :mod:`~hgkm_workflow.cli.zgw`); this module assembles
them. Every error passes through one boundary (:mod:`~hgkm_workflow.cli.boundary`): one
line on stderr, and the exit codes of :data:`~hgkm_workflow.cli.boundary.EXIT_CODES_HELP`.

Every command takes ``--db URL`` (default ``HGKM_DATABASE_URL`` or ``sqlite:///hgkm.db``).
Commands that read cases state who reads and why (``--actor --organisation --role --purpose``;
defaults in :mod:`hgkm_workflow.cli.access`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

try:  # the command line is an extra: the library imports without Typer and rich
    import rich  # noqa: F401 - checked here, used by the command modules
    import typer
except ImportError as _missing:  # pragma: no cover - tested in a subprocess
    raise SystemExit(f"hgkm: the command line needs the 'cli' extra ({_missing.name} is not "
                     "installed): pip install 'hgkm_workflow[cli]'") from None

from hgkm_workflow.cli.access import access_log_app
from hgkm_workflow.cli.audit import audit_app
from hgkm_workflow.cli.boundary import EXIT_CODES_HELP, BoundaryGroup
from hgkm_workflow.cli.cases import cases_app
from hgkm_workflow.cli.common import DbOption
from hgkm_workflow.cli.deadlines import deadlines_app, tick
from hgkm_workflow.cli.docs import docs_app
from hgkm_workflow.cli.exchange import export_events, import_events
from hgkm_workflow.cli.keys import keygen, rotate_key_command, rotate_register_key_command
from hgkm_workflow.cli.migrate import migrate
from hgkm_workflow.cli.monitor import monitor
from hgkm_workflow.cli.outbox import outbox_app
from hgkm_workflow.cli.running import follow, scheduler_app
from hgkm_workflow.cli.scenario import scenario_app
from hgkm_workflow.cli.simulate import simulate
from hgkm_workflow.cli.store import init, projections_app
from hgkm_workflow.cli.whatif import whatif
from hgkm_workflow.cli.zgw import zgw_app

__all__ = ["app", "main", "package_version"]

app = typer.Typer(cls=BoundaryGroup,
                  help="hgkm_workflow: gefaseerd samenwerken aan veiligheid, event-sourced.",
                  epilog=EXIT_CODES_HELP, no_args_is_help=True, add_completion=False)
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
app.command("rotate-register-key")(rotate_register_key_command)
app.command("init")(init)
app.command("tick")(tick)
app.command("whatif")(whatif)
app.add_typer(scheduler_app, name="scheduler")
projections_app.command("follow")(follow)
app.add_typer(zgw_app, name="zgw")
app.add_typer(outbox_app, name="outbox")
app.command("migrate")(migrate)


def package_version() -> str:
    """The installed version of ``hgkm_workflow`` (``hgkm_workflow.__version__``)."""
    from hgkm_workflow import __version__

    return __version__


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"hgkm_workflow {package_version()}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", callback=_show_version, is_eager=True,
        help="Print the installed version and exit.")] = False) -> None:
    """hgkm_workflow: gefaseerd samenwerken aan veiligheid, event-sourced."""


@app.command()
def demo(db: DbOption = None,
         scale: Annotated[float, typer.Option(
             "--scale", min=0.001, max=2.0,
             help="Fraction of Rotterdam-Rijnmond's yearly volume to simulate for the quarter "
                  "(default 0.8: about 2,450 meldingen, 2,400 adviezen and 2,100 households)")
         ] = 0.8,
         report: Annotated[Path | None, typer.Option(
             "--report", metavar="FILE",
             help="Write the HTML report to FILE (default hgkm-report.html here)")] = None,
         ) -> None:
    """Simulate a quarter of a region, then show the monitor, audit timelines and a report."""
    from hgkm_workflow.cli.simulate import run_demo

    run_demo(db, scale=scale, report_file=report)


def main() -> None:  # pragma: no cover - console entry point
    """Console entry point."""
    app()

