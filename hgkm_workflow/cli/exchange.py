"""``hgkm export`` and ``hgkm import``: the event stream as JSON Lines (docs/export-format.md).

Export reads (it states who reads and why, and is logged); import fills an empty store, which it
may create. Export shows its progress on stderr (lines written of the store's events) when
stderr is a terminal and ``--json`` is not given; stdout carries only the result.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO, Annotated, cast

import typer

from hgkm_workflow.cli.access import (
    ActorOption,
    OrganisationOption,
    PurposeOption,
    RoleOption,
    reader,
)
from hgkm_workflow.cli.boundary import open_application
from hgkm_workflow.cli.common import DbOption, JsonOption, echo_json, say

__all__ = ["LineCounter", "export_events", "import_events"]

#: Lines between two progress updates.
_EVERY = 100


class LineCounter:
    """A text stream onto ``path`` (0600) that reports every ``_EVERY`` lines written.

    The file is opened on the first write, so a refused export (the access check comes
    first) leaves an existing file as it was; :meth:`finish` creates it for an empty store.
    """

    def __init__(self, path: Path, report: Callable[[int], None]) -> None:
        self.path = path
        self.report = report
        self.lines = 0
        self._out: IO[str] | None = None

    def write(self, text: str) -> int:
        """Write ``text``; count the line ends in it."""
        from hgkm_workflow.adapters.files import open_private

        if self._out is None:
            self._out = open_private(self.path)
        written = self._out.write(text)
        ends = text.count("\n")
        if ends:
            before, self.lines = self.lines, self.lines + ends
            if before // _EVERY != self.lines // _EVERY:
                self.report(self.lines)
        return written

    def finish(self) -> None:
        """Close the file (creating it, empty, if nothing was written)."""
        from hgkm_workflow.adapters.files import open_private

        if self._out is None:
            self._out = open_private(self.path)
        self._out.close()

    def abandon(self) -> None:
        """Close the file if it was opened (the export failed part-way)."""
        if self._out is not None:
            self._out.close()


def export_events(
    jsonl: Annotated[Path, typer.Option("--jsonl", help="File to write (JSON Lines)")],
    db: DbOption = None,
    actor: ActorOption = None, organisation: OrganisationOption = None,
    role: RoleOption = None, purpose: PurposeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export the whole event stream, one event per line (docs/export-format.md)."""
    from rich.console import Console
    from rich.progress import Progress

    from hgkm_workflow.audit.exchange import export_jsonl

    access = reader(actor, organisation, role, purpose)
    application = open_application(db)
    errors = Console(stderr=True)
    try:
        total = application.recorder.max_notification_id() or 0
        with Progress(console=errors, transient=True,
                      disable=as_json or not errors.is_terminal) as progress:
            task = progress.add_task("exporting events", total=total)

            def show(lines: int) -> None:
                progress.update(task, completed=lines)

            counter = LineCounter(jsonl, show)
            try:
                result = export_jsonl(application, cast(IO[str], counter), access=access)
            except BaseException:
                counter.abandon()
                raise
            counter.finish()
            progress.update(task, completed=result.events)
    finally:
        application.close()
    if as_json:
        echo_json({"file": str(jsonl), "events": result.events,
                   "aggregates": result.aggregates, "redacted": result.redacted})
        return
    say(f"exported {result.events} events of {result.aggregates} cases and adviezen "
           f"to {jsonl}" + (f"; {result.redacted} free-text value(s) redacted"
                            if result.redacted else ""))


def import_events(
    jsonl: Annotated[Path, typer.Option("--jsonl", help="File to read (JSON Lines)")],
    db: Annotated[str, typer.Option("--db", help="Store URL of an EMPTY store")],
    per_event: Annotated[bool, typer.Option(
        "--per-event", help="Insert through the recorder's own insert instead of in bulk "
        "(PostgreSQL COPY, SQLite executemany); same rows, slower")] = False,
) -> None:
    """Import an export into an empty store and rebuild its read models."""
    from hgkm_workflow.audit.exchange import import_jsonl

    if not jsonl.is_file():
        raise typer.BadParameter(f"no such file: {jsonl}")
    application = open_application(db, create=True)
    try:
        result = import_jsonl(application, jsonl, bulk=not per_event)
    finally:
        application.close()
    say(f"imported {result.events} events of {result.aggregates} cases and adviezen; "
           f"read models applied {result.read_model_events} events")


