"""The report page marks what must not be read as a value, and fits 390 and 1400 px.

A hand-built report holds a suppressed card, seeded-looking history (five half-years with
meldingen but no hermelding), a half-year and a month still running, a month not yet begun
and gemeente codes. The Chromium part is skipped only when Chromium is missing and
``HGKM_REQUIRE_CHROMIUM`` is not ``1``.
"""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hgkm_workflow.monitor import FUNNEL_PHASES, Figure, Flow, MonitorReport, Period
from hgkm_workflow.monitor.html import render_html, write_html
from tests.cli.test_report_html import chromium

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
                         flows=flows, classification_settings=("lookback 3 years",),
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


def _png_not_blank(path: Path) -> bool:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return len(set(raw)) > 40 and raw.count(255) < 0.995 * len(raw)


HARNESS = """<!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="{src}"
style="width:{width}px;height:2400px;border:0"></iframe><script>
document.getElementById('f').addEventListener('load',function(){{
var d=this.contentDocument,b=d.body,out=document.createElement('pre');out.id='out';
for(var i=0;i<b.attributes.length;i++){{out.setAttribute(b.attributes[i].name,
b.attributes[i].value);}}d.querySelectorAll('svg.chart').forEach(function(svg){{
out.setAttribute('data-'+svg.id,svg.getAttribute('data-width'));}});
document.body.appendChild(out);}});</script></body></html>"""


def _chromium(page: Path, profile: Path, width: int, *extra: str) -> subprocess.CompletedProcess[
        str]:
    return subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--hide-scrollbars", "--allow-file-access-from-files",
         f"--window-size={width},2400", f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True, text=True, timeout=90, check=False)


def layout_at(page: Path, width: int, profile: Path) -> dict[str, str]:
    """The page's own layout check, run in an iframe of ``width`` px (headless Chromium
    lays out a top-level page at no less than 500 px)."""
    harness = page.with_name(f"harness-{width}.html")
    harness.write_text(HARNESS.format(src=page.name, width=width), encoding="utf-8")
    result = _chromium(harness, profile, 1400, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    out = re.search(r'<pre id="out"[^>]*>', result.stdout)
    assert out is not None, "the page did not load in the harness"
    return dict(re.findall(r'([\w-]+)="([^"]*)"', out.group(0)))


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
    result = _chromium(page, tmp_path / "p2", width, f"--screenshot={shot}")
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    assert _png_not_blank(shot)
