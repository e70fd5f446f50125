"""The report shows every figure's definition in Dutch, with Dutch number notation.

The English definitions stay in the JSON output (``hgkm monitor --json``); the page must show
none of them.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.monitor import MonitorReport
from hgkm_workflow.monitor import html_marks as mk
from hgkm_workflow.monitor.html import definition, render_html
from hgkm_workflow.monitor.html_definitions import dutch_definition
from hgkm_workflow.monitor.html_names import gemeente_name
from tests.projections.test_monitor import scenario
from tests.support import READ

ENGLISH = re.compile(r"\b(share|of the|period|received|cases|the report instant|deadlines)\b",
                     re.IGNORECASE)


@pytest.fixture
def report(sqlite_app: HgkmApplication, clock: SettableClock) -> MonitorReport:
    scenario(sqlite_app, clock)
    return sqlite_app.monitor(access=READ, period="2026-03")


def _all_figures(report: MonitorReport) -> list[object]:
    return [*report.figures, *(f for s in report.series.values() for f in s)]


def test_every_figure_of_a_report_has_a_dutch_definition(report: MonitorReport) -> None:
    figures = _all_figures(report)
    assert len(figures) > 50
    for f in report.figures:
        text = dutch_definition(f.name, gemeente=lambda c: c)
        assert text is not None, f.name
        assert not ENGLISH.search(text), (f.name, text)
        assert text != f.definition


def test_the_page_shows_the_dutch_definitions_and_none_of_the_english(
        report: MonitorReport) -> None:
    html = unescape(render_html(report))
    cells = re.findall(r'<td class="d">([^<]*)</td>', html)
    assert len(cells) == len(report.figures)
    for f in report.figures:
        assert f.definition not in html, f.name
        assert definition(f, report) in cells
    titles = re.findall(r'<div class="card" title="([^"]*)"', html)
    assert titles and not any(ENGLISH.search(t) for t in titles)


def test_numbers_and_names_in_definitions_are_dutch(report: MonitorReport) -> None:
    by_name = {f.name: f for f in report.figures}
    extended = definition(by_name["huisverbod.extended"], report)
    assert "41 van 100" in extended
    herm = definition(by_name["classification.hermelding"], report)
    assert "38,0%" in herm and "38.0" not in herm  # CBS, 1e halfjaar 2022: 38%
    gemeenten = [f for f in report.figures if f.name.startswith("gemeente.")]
    assert gemeenten
    named = 0
    for f in gemeenten:
        code = f.name.split(".", 1)[1]
        name = gemeente_name(code, mk.last_day_counted(report.as_of), report.region)
        text = definition(f, report)
        assert text.endswith(f"gemeente {name}.")
        named += name != code  # a code the profiles do not know is shown as the code
    assert named > 0


def test_an_unknown_figure_keeps_its_english_definition() -> None:
    assert dutch_definition("something.new", gemeente=str) is None
    assert dutch_definition("flow.triage.nowhere", gemeente=str) is None
    assert dutch_definition("timeliness.T1.on_time@2026-03", gemeente=str) == \
        dutch_definition("timeliness.T1.on_time", gemeente=str)
