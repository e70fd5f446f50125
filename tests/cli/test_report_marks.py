"""The report page marks what must not be read as a value, and fits 390 and 1400 px.

A hand-built report holds a suppressed card, seeded-looking history (five half-years with
meldingen but no hermelding), a half-year and a month still running, a month not yet begun
and gemeente codes. The Chromium part is skipped only when Chromium is missing and
``HGKM_REQUIRE_CHROMIUM`` is not ``1``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.monitor import FUNNEL_PHASES, Figure, Flow, MonitorReport, Period
from hgkm_workflow.monitor.format_nl import percent
from hgkm_workflow.monitor.html import render_html, write_html
from tests.cli.test_report_html import layout_at, png_not_blank, run_chromium
from tests.support import READ

AS_OF = datetime(2025, 3, 15, 12, tzinfo=UTC)


def _f(name: str, num: float, den: float | None, suppressed: bool = False,
       unit: str = "share") -> Figure:
    return Figure(name, num, den, f"definition of {name}", unit, suppressed)


def built_report() -> MonitorReport:
    figures = [_f("meldingen", 1306, None, unit="count"), _f("adviezen", 302, None, unit="count"),
               _f("classification.hermelding", 124, 306), _f("timeliness.T1.on_time", 212, 285),
               _f("timeliness.T3.on_time", 0, 0, suppressed=True), _f("crisis.share", 35, 306),
               _f("mda.share", 0, 0, suppressed=True), _f("gemeente.GM0599", 192, 306),
               _f("gemeente.GM0606", 0, 0, suppressed=True),
               _f("timeliness.T1.days_late", 232.57, 73, unit="days")]
    figures += [_f(f"funnel.{p}", n, 205) for p, n in zip(
        FUNNEL_PHASES, (205, 176, 71, 0, 0, 27), strict=True)]
    figures[-3] = _f("funnel.herstel", 0, 0, suppressed=True)
    herm = [_f(f"classification.hermelding@{h}", 0, n) for h, n in
            (("2022H2", 36), ("2023H1", 26), ("2023H2", 25), ("2024H1", 27), ("2024H2", 24))]
    herm.append(_f("classification.hermelding@2025H1", 124, 306))
    months = []
    for m, t1 in (("2025-01", (83, 100)), ("2025-02", (53, 82)), ("2025-03", (76, 103)),
                  ("2025-04", (0, 0)), ("2025-05", (0, 0)), ("2025-06", (0, 0))):
        months += [_f(f"timeliness.T1.on_time@{m}", *t1),
                   _f(f"timeliness.T3.on_time@{m}", 0, 0, suppressed=m == "2025-02")]
    flows = (Flow("new", "triage", 101), Flow("triage", "directe_veiligheid", 176),
             Flow("triage", "closed", 31), Flow("closed", "triage", 119),
             Flow("directe_veiligheid", "risicogestuurde_zorg", 71))
    return MonitorReport(region="rotterdam-rijnmond", gemeente=None,
                         period=Period.parse("2025H1"), as_of=AS_OF, figures=tuple(figures),
                         series={"hermelding_by_half_year": tuple(herm),
                                 "timeliness_by_month": tuple(months)},
                         flows=flows,
                         classification_settings=(
                             "lookback 3 years; roles alleged_perpetrator,child",),
                         min_cell=10)


def _svg(html: str, chart_id: str) -> str:
    match = re.search(rf'<svg[^>]*id="{chart_id}".*?</svg>', html, re.S)
    assert match is not None
    return match.group(0)


def test_dutch_numbers_and_names_throughout() -> None:
    html = render_html(built_report())
    assert '<html lang="nl">' in html and 'name="viewport"' in html
    assert "1.306" in html and "40,5%" in html and "74,4%" in html and "3,2 dagen" in html
    assert not re.search(r"\d\.\d%|\d,\d{3}\b(?!%)", re.sub(r"<[^>]+>", " ", html)
                         .replace("1.306", "")), "an English number format"
    assert "Rotterdam-Rijnmond" in html and "1e halfjaar 2025" in html
    assert "Rotterdam <code>GM0599</code>" in html and "Schiedam <code>GM0606</code>" in html
    assert "15 maart 2025" in html
    assert "terugkijktermijn 3 jaar; rollen vermoedelijke pleger, kind" in html


def test_suppressed_and_seeded_cells_show_no_value_and_no_bar() -> None:
    html = render_html(built_report())
    text = re.sub(r"<[^>]+>", " ", html)
    assert "NaN" not in text and "None" not in text and "0.0%" not in text
    herm = _svg(html, "chart-hermelding")
    # five seeded half-years: hatched and labelled, never a "0,0%" bar
    assert herm.count("opbouw") == 5 and "0,0%" not in herm
    assert len(re.findall(r'<rect data-mark="1"', herm)) == 1
    # the suppressed T3 card says why and shows no percentage next to it
    card = re.search(r"T3 op tijd<b[^>]*>([^<]*)</b>(<small>)?", html)
    assert card is not None and card.group(1) == "te weinig meldingen" and not card.group(2)
    timely = _svg(html, "chart-timeliness")
    t3_bars = re.findall(r'<rect data-mark="1"[^>]*><title>T3', timely)
    assert t3_bars == [] and "te weinig" in timely
    funnel = _svg(html, "chart-funnel")
    assert "te weinig zaken" in funnel and "herstel: " not in funnel


def test_running_and_future_periods_are_marked() -> None:
    html = render_html(built_report())
    assert "Deze periode loopt nog: cijfers t/m 15 maart 2025." in html
    herm = _svg(html, "chart-hermelding")
    assert 'class="hatch"' in herm and "t/m 15 mrt" in herm
    timely = _svg(html, "chart-timeliness")
    assert timely.count("t/m 15 mrt") == 1  # only March is running
    assert timely.count(">nog niet<") == 3  # April to June have not begun
    assert "norm" in timely and "docs/deadline-rules.md" in html and "5 werkdagen" in html


def test_flow_arcs_have_direction() -> None:
    flow = _svg(render_html(built_report()), "chart-flow")
    assert flow.count("marker-end=") == 5 and '<marker id="chart-flow-arrow-back"' in flow
    assert flow.count("url(#chart-flow-arrow-back)") == 1  # gesloten → triage


def test_layout_check_sees_an_element_wider_than_the_page(tmp_path: Path) -> None:
    html = render_html(built_report()).replace("<main>", '<main><div style="width:900px">x</div>')
    page = tmp_path / "wide.html"
    page.write_text(html, encoding="utf-8")
    attrs = layout_at(page, 390, tmp_path / "p")
    assert attrs["data-overflow"] != "0" and int(attrs["data-scroll-width"]) > 390


@pytest.mark.parametrize("width", [390, 1400])
def test_page_fits_and_draws_at_phone_and_desktop_width(width: int, tmp_path: Path) -> None:
    page = write_html(built_report(), tmp_path / "report.html")
    attrs = layout_at(page, width, tmp_path / "p1")
    assert attrs["data-charts-drawn"] == "4"
    assert attrs["data-viewport-width"] == str(width), attrs
    assert attrs["data-scroll-width"] == str(width), attrs  # no horizontal scrolling
    assert attrs["data-overflow"] == "0", attrs  # no element sticks out of the page
    for chart in ("chart-hermelding", "chart-timeliness", "chart-funnel", "chart-flow"):
        assert 200 < int(attrs[f"data-{chart}"]) <= width - 20, (chart, attrs)
    shot = tmp_path / f"r{width}.png"
    result = run_chromium(page, tmp_path / "p2", width, f"--screenshot={shot}")
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    assert png_not_blank(shot)


@pytest.mark.parametrize("share", [0.30, 0.36, 0.37, 0.38, 0.39, 0.41, 0.45, 0.9])
def test_hermelding_value_label_never_sits_on_the_national_line(share: float) -> None:
    base = built_report()
    herm = (*base.series["hermelding_by_half_year"][:-1],
            _f("classification.hermelding@2025H1", share * 1000, 1000))
    report = MonitorReport(**{**base.__dict__, "series": {**base.series,
                                                          "hermelding_by_half_year": herm}})
    svg = _svg(render_html(report), "chart-hermelding")
    line = re.search(r'<line data-mark="1"[^>]*y1="([\d.]+)"[^>]*stroke="#b3261e"', svg)
    assert line is not None
    ref_y = float(line.group(1))
    label = re.search(rf'<text x="[\d.]+" y="([\d.]+)"[^>]*>{re.escape(percent(share))}<',
                      svg)
    assert label is not None
    baseline = float(label.group(1))
    assert not baseline - 13 <= ref_y <= baseline + 5, (baseline, ref_y)


def test_an_empty_store_gives_a_page_without_false_zeros(sqlite_app: HgkmApplication) -> None:
    report = sqlite_app.monitor(period="2026-03", access=READ).suppress_small_cells(10)
    html = render_html(report)
    text = re.sub(r"<[^>]+>", " ", html)
    assert "NaN" not in text and "None" not in text
    herm = _svg(html, "chart-hermelding")
    assert herm.count("geen") == 6 and "0,0%" not in herm  # six half-years without meldingen
    assert "<rect data-mark" not in herm
    assert "geen overgangen in deze periode" in _svg(html, "chart-flow")
