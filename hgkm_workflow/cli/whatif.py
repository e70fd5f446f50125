"""``hgkm whatif``: replay recorded cases under other rules, calendar or classification settings.

Registered in :mod:`hgkm_workflow.cli` as ``app.command("whatif")(whatif)``. Calls the public
API only (:meth:`HgkmApplication.what_if`): the live store is read, never written (the read is
in the access log, as the reader ``--actor`` …). Prints rich tables, ``--json`` or writes a
self-contained page with ``--html FILE``; progress goes to stderr (docs/what-if.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from hgkm_workflow.cli.access import (
    ActorOption,
    OrganisationOption,
    PurposeOption,
    RoleOption,
    reader,
)

if TYPE_CHECKING:
    from hgkm_workflow.settings import ClassificationSettings
    from hgkm_workflow.whatif import WhatIfReport

console = Console()
progress_console = Console(stderr=True)
_COUNT = re.compile(r"^read \d+ events|replayed \d+ of |\d+ of \d+ events stored")


@contextmanager
def _progress() -> Iterator[Callable[[str], None]]:
    """Progress on stderr: a live line with a spinner and the time so far (counts update
    it: events read, cases replayed, events stored), and each step printed as it ends."""
    # Refreshed on each line, not by a thread of its own: a process with one thread may fork
    # the what-if's two side processes (hgkm_workflow/whatif/sides.py).
    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                   console=progress_console, transient=True, auto_refresh=False)
    task = bar.add_task("what-if: reading the live store", total=None)

    def say(line: str) -> None:
        if not _COUNT.search(line):
            bar.console.print(line, highlight=False)
        bar.update(task, description=line, refresh=True)

    with bar:
        yield say


def _iso(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{option}: not an ISO 8601 instant") from None
    if instant.tzinfo is None:
        raise typer.BadParameter(f"{option} needs a UTC offset, e.g. 2026-01-01T00:00+01:00")
    return instant


def _side(d: dict[str, object] | None) -> str:
    if d is None:
        return "not run"
    breach = ", breached" if d["breached"] else ""
    return f"{d['due']}\n{d['status']}{breach}\n{d['rule']} · {d['calendar_version']}"


def print_report(report: WhatIfReport) -> None:
    """The report as rich tables on stdout."""
    console.rule("[bold]What if")
    after = report.after
    console.print(f"rules: {after['rules']}; calendar: {after['calendar']}; classification: "
                  f"{after['classification']}; {report.cases} case(s) reported",
                  highlight=False, soft_wrap=True)
    table = Table("case", "deadline", "changed", "before", "after",
                  title=f"Deadlines that differ ({len(report.deadlines)})")
    for d in report.deadlines:
        name = d.rule_id + (f" @{d.checkpoint}" if d.checkpoint is not None else "")
        table.add_row(d.case_id[:8], name, ", ".join(d.changed), _side(d.before),
                      _side(d.after))
    console.print(table)
    classes = Table("melding", "case", "before", "after", "settings after",
                    title=f"Meldingen classified otherwise ({len(report.classifications)})")
    for c in report.classifications:
        classes.add_row(c.melding_id[:8], c.case_id[:8], str(c.before["classification"]),
                        str(c.after["classification"]), json.dumps(c.after["settings"]))
    console.print(classes)
    refusals = Table("case", "decision", "at", "code", "rule",
                     title=f"Recorded decisions the rules would refuse ({len(report.refusals)})")
    for r in report.refusals:
        refusals.add_row(r.case_id[:8], r.event, r.at.isoformat(), r.code, r.rule)
    console.print(refusals)
    figures = Table("period", "figure", "before", "after", "numerator moved",
                    title="Monitor figures that moved")
    for p in report.periods:
        for f in p.moved:
            figures.add_row(p.period, f.name, _fig(f.before), _fig(f.after), f"{f.moved:+g}")
    console.print(figures)


def _fig(d: dict[str, object]) -> str:
    if d.get("suppressed"):
        return "suppressed (small cell)"
    den = d["denominator"]
    return f"{d['numerator']:g}" + ("" if den is None else f" / {den:g}")


def live_settings_default() -> ClassificationSettings:
    """The classification settings of this process (the CBS defaults when unset)."""
    from hgkm_workflow.settings import ClassificationSettings

    return ClassificationSettings.from_environment()


def whatif(
    db: Annotated[str | None, typer.Option(
        "--db", help="Store URL (sqlite:///… or postgresql://…); default HGKM_DATABASE_URL "
                     "or sqlite:///hgkm.db")] = None,
    rules: Annotated[Path | None, typer.Option(
        "--rules", help="A rules file: overrides of the rule book (examples/whatif/)",
        metavar="FILE")] = None,
    base_rules: Annotated[Path | None, typer.Option(
        "--base-rules", help="The rules file the store was recorded under (default: the "
                             "national rule book); --rules then overrides it",
        metavar="FILE")] = None,
    calendar: Annotated[Path | None, typer.Option(
        "--calendar", help="A calendar file: a published version with decrees added or "
                           "removed", metavar="FILE")] = None,
    lookback_years: Annotated[int | None, typer.Option(
        "--lookback-years", min=1, help="Hermelding lookback in whole years")] = None,
    roles: Annotated[str | None, typer.Option(
        "--roles", help="Counted roles, comma-separated (e.g. victim,child)")] = None,
    basis: Annotated[str | None, typer.Option(
        "--basis", help="Hermelding basis: persons or household")] = None,
    region: Annotated[str | None, typer.Option(help="Only this region")] = None,
    gemeente: Annotated[str | None, typer.Option(help="Only this gemeente, e.g. GM0599")] = None,
    start: Annotated[str | None, typer.Option(
        "--from", help="Report cases with a melding received from this instant (ISO)")] = None,
    until: Annotated[str | None, typer.Option(
        "--until", help="End of the selection (ISO, exclusive): events recorded later are "
                        "left out and the last tick is here (default: now)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    html: Annotated[Path | None, typer.Option(
        "--html", help="Write a self-contained HTML page to FILE", metavar="FILE")] = None,
    actor: ActorOption = None, organisation: OrganisationOption = None,
    role: RoleOption = None, purpose: PurposeOption = None,
) -> None:
    """What if other rules, another calendar or other settings had applied? (docs/what-if.md)."""
    from hgkm_workflow.cli.boundary import open_application
    from hgkm_workflow.whatif import (
        WhatIfInputs,
        live_settings,
        load_calendar,
        load_rules,
        with_settings,
    )

    if as_json and html is not None:
        raise typer.BadParameter("choose one of --json and --html")
    begin, end = _iso(start, "--from"), _iso(until, "--until")
    access = reader(actor, organisation, role, purpose)
    from hgkm_workflow.domain.rulebook import default_rulebook
    from hgkm_workflow.errors import RuleViolation
    from hgkm_workflow.settings import InvalidSetting
    from hgkm_workflow.whatif import InvalidWhatIfInput

    try:  # a bad file or setting is bad input (exit 2), found before the store is opened
        base = load_rules(base_rules, default_rulebook())[0] if base_rules \
            else default_rulebook()
        rulebook, label = load_rules(rules, base) if rules else (None, None)
        alt_calendar = load_calendar(calendar) if calendar else None
        role_list = [r.strip() for r in (roles or "").split(",") if r.strip()] or None
        if role_list or lookback_years is not None or basis is not None:
            with_settings(live_settings_default(), lookback_years=lookback_years,
                          roles=role_list, basis=basis)
    except (InvalidWhatIfInput, RuleViolation, InvalidSetting) as exc:
        raise typer.BadParameter(f"{exc.code}: {exc.message}") from None
    application = open_application(db)
    try:
        application.rules = base
        settings = None
        if role_list or lookback_years is not None or basis is not None:
            settings = with_settings(live_settings(application), lookback_years=lookback_years,
                                     roles=role_list, basis=basis)
        inputs = WhatIfInputs(rules=rulebook, rules_label=label, calendar=alt_calendar,
                              classification=settings)
        with _progress() as say:
            report = application.what_if(
                access=access, inputs=inputs, region=region, gemeente=gemeente, start=begin,
                until=end, progress=say)
    finally:
        application.close()
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    elif html is not None:
        from hgkm_workflow.whatif.html import write_html

        write_html(report, html)
        console.print(f"wrote {html}", highlight=False, soft_wrap=True)
    else:
        print_report(report)
