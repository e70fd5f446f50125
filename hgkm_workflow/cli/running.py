"""``hgkm scheduler run``, ``hgkm projections follow``: long-running processes.

Each runs until SIGTERM or SIGINT (Ctrl-C), waits interruptibly and logs a failed round by its
code and goes on with back-off (:mod:`hgkm_workflow.service.loops`). Logs go to stderr
through :mod:`logging` (``--log-level``); nothing personal is logged.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from hgkm_workflow.cli.boundary import hide_password, open_application
from hgkm_workflow.cli.common import DbOption, say

__all__ = ["follow", "scheduler_app"]

scheduler_app = typer.Typer(help="The statutory clock as a long-running process.",
                            no_args_is_help=True)

LogLevelOption = Annotated[str, typer.Option(
    "--log-level", help="Logging level on stderr: DEBUG, INFO, WARNING, ERROR")]


def _logging(level: str) -> None:
    chosen = logging.getLevelNamesMapping().get(level.upper())
    if chosen is None:
        raise typer.BadParameter("expected one of DEBUG, INFO, WARNING, ERROR",
                                 param_hint="--log-level")
    logging.basicConfig(level=chosen,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")


@scheduler_app.command("run")
def scheduler_run(db: DbOption = None,
                  interval: Annotated[float, typer.Option(
                      "--interval", min=0.1, help="Seconds between ticks (default 60)")] = 60.0,
                  log_level: LogLevelOption = "INFO") -> None:
    """Tick every --interval seconds until SIGTERM/SIGINT: record breaches and expiries."""
    from hgkm_workflow.service.loops import StopOnSignal, run_scheduler

    _logging(log_level)
    application = open_application(db)
    stopper = StopOnSignal()
    try:
        with stopper.installed() as stop:
            say(f"scheduler running on {hide_password(application.config.url)} every "
                f"{interval:g} s; stop with SIGTERM or Ctrl-C")
            rounds = run_scheduler(application, stop, interval=interval)
        status = application.scheduler_status
    finally:
        application.close()
    say(f"scheduler stopped after {rounds} round(s): {status.ticks} tick(s), "
        f"{status.failures} failure(s)")


def follow(db: DbOption = None,
           poll_interval: Annotated[float, typer.Option(
               "--poll-interval", min=0.05,
               help="Seconds between catch-ups without a notification (default 0.5)")] = 0.5,
           min_batch: Annotated[int, typer.Option(
               "--min-batch", min=1,
               help="Catch up once this many notifications wait (default 1: on every "
                    "wake-up)")] = 1,
           max_delay: Annotated[float, typer.Option(
               "--max-delay", min=0.0,
               help="...or once the first waiting one waited this many seconds "
                    "(default 1.0; only with --min-batch above 1)")] = 1.0,
           log_level: LogLevelOption = "INFO") -> None:
    """Keep the read models caught up until SIGTERM/SIGINT (LISTEN/NOTIFY on PostgreSQL)."""
    from hgkm_workflow.service.loops import StopOnSignal, follow_projections

    _logging(log_level)
    application = open_application(db)
    try:
        with StopOnSignal().installed() as stop:
            say(f"following {hide_password(application.config.url)}; stop with SIGTERM or "
                "Ctrl-C")
            follow_projections(application, stop, poll_interval=poll_interval,
                               min_batch=min_batch, max_delay=max_delay)
        lag = application.projections.lag()
    finally:
        application.close()
    say(f"stopped; read models behind by {lag} notification(s)")
