"""``hgkm init`` and ``hgkm projections …``: create the store, rebuild its read models."""

from __future__ import annotations

from typing import Annotated

import typer

from hgkm_workflow.cli.boundary import hide_password, open_application
from hgkm_workflow.cli.common import DbOption, JsonOption, console, echo_json, say

__all__ = ["init", "projections_app"]

projections_app = typer.Typer(help="Read models.", no_args_is_help=True)


def init(db: DbOption = None) -> None:
    """Create the store's tables once, before several processes start (docs/scaling.md).

    The only command that creates a store where there is none (besides demo, simulate and
    import, which fill one): the events, snapshots, person register, access log, read models
    and their tracking. Safe to run again: existing tables and their rows are left as they are.
    """
    import sqlalchemy as sa

    application = open_application(db, create=True)
    try:
        with application.engine.connect() as conn:
            tables = sorted(sa.inspect(conn).get_table_names())
        lag = application.projections.lag()
        store = hide_password(application.config.url)
    finally:
        application.close()
    say(f"{len(tables)} tables ready in {store}: " + ", ".join(tables))
    say(f"read models behind the event store by {lag} notification(s)")


@projections_app.command("rebuild")
def projections_rebuild(
    db: DbOption = None,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, help="Processes to rebuild in: the read models are split into "
        "groups of about equal cost, one process each (docs/performance.md)")] = 1,
) -> None:
    """Rebuild every read model from the event store, with a progress bar."""
    from rich.progress import Progress

    application = open_application(db)
    try:
        with Progress(console=console) as progress:
            task = progress.add_task("rebuilding read models", total=None)

            def report(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            count = application.projections.rebuild(progress=report, workers=workers)
    finally:
        application.close()
    say(f"applied {count} events")


@projections_app.command("status")
def projections_status(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Each read model's position, lag and dead letters (events it could not apply).

    A dead letter names the projection, the notification id, the event class and the
    constraint the database refused (never a value); see docs/security.md.
    """
    application = open_application(db)
    try:
        statuses = application.projections.status()
    finally:
        application.close()
    if as_json:
        echo_json({"projections": [s.as_dict() for s in statuses]})
        return
    for s in statuses:
        say(f"{s.name}: version {s.version}, position {s.position}, lag {s.lag}, "
            f"{len(s.dead_letters)} dead letter(s)")
        for d in s.dead_letters:
            say(f"  #{d.position} {d.event}: {d.reason} {d.detail}".rstrip())
