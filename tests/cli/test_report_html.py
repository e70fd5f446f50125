"""The HTML monitor page is self-contained and its charts are drawn (headless Chromium).

The test is skipped only when Chromium is missing and ``HGKM_REQUIRE_CHROMIUM`` is not
``1`` (CI sets it and installs Debian's ``chromium``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from html import unescape
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.cli import app as cli
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.monitor import MonitorReport
from hgkm_workflow.monitor.html import definition, render_html, write_html
from tests.projections.test_monitor import scenario
from tests.support import READ

CHARTS = ("chart-hermelding", "chart-timeliness", "chart-funnel", "chart-flow")


@pytest.fixture
def report(sqlite_app: HgkmApplication, clock: SettableClock) -> MonitorReport:
    scenario(sqlite_app, clock)
    return sqlite_app.monitor(access=READ, period="2026-03")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("HGKM_REQUIRE_CHROMIUM") == "1":
            pytest.fail("Chromium is required (HGKM_REQUIRE_CHROMIUM=1) but not installed")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return found


def dump_dom(page: Path, profile: Path) -> str:
    """The DOM after the page's scripts ran, from headless Chromium with no network."""
    result = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--window-size=1200,1600", f"--user-data-dir={profile}",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=90, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def png_not_blank(path: Path) -> bool:
    """Whether a PNG screenshot shows more than a blank page (decoded with zlib alone)."""
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


def run_chromium(page: Path, profile: Path, width: int,
                 *extra: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium with no network on a local page, at ``width`` px."""
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
    result = run_chromium(harness, profile, 1400, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    out = re.search(r'<pre id="out"[^>]*>', result.stdout)
    assert out is not None, "the page did not load in the harness"
    return dict(re.findall(r'([\w-]+)="([^"]*)"', out.group(0)))


def chart_attrs(dom: str, chart_id: str) -> dict[str, str]:
    match = re.search(rf'<svg[^>]*id="{chart_id}"[^>]*>', dom)
    assert match is not None, chart_id
    return dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(0)))


def test_page_is_self_contained(report: MonitorReport) -> None:
    html = render_html(report)
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html)
    assert "@import" not in html and not re.search(r"url\((?!#)", html)  # only in-page refs
    for chart in CHARTS:
        assert f'id="{chart}"' in html
    assert "landelijk 38,0%" in html  # the national reference line
    assert "classification.hermelding" in html and "timeliness.T1.on_time" in html


def test_charts_are_drawn_in_headless_chromium(report: MonitorReport, tmp_path: Path) -> None:
    page = write_html(report, tmp_path / "monitor.html")
    dom = dump_dom(page, tmp_path / "profile")
    body = re.search(r"<body[^>]*>", dom)
    assert body is not None
    assert 'data-charts="4"' in body.group(0) and 'data-charts-drawn="4"' in body.group(0)
    attrs = {c: chart_attrs(dom, c) for c in CHARTS}
    for chart, a in attrs.items():
        assert int(a["data-drawn"]) > 0 and int(a["data-width"]) > 100, chart
    # Bars of nonzero size where the figures are nonzero:
    assert int(attrs["chart-hermelding"]["data-bars"]) == 1  # 2026H1: 1 of 7
    assert int(attrs["chart-timeliness"]["data-bars"]) == 1  # T1 3 of 4; T3 none concluded
    assert int(attrs["chart-funnel"]["data-bars"]) == 4  # triage, dv, rz, closed
    # Flow: 7 phase boxes (rects) and 5 arcs (paths).
    assert int(attrs["chart-flow"]["data-bars"]) == 7
    assert int(attrs["chart-flow"]["data-drawn"]) == 12
    # Every definition as the browser shows it is the Dutch one, none the English one:
    shown = [unescape(d) for d in re.findall(r'<td class="d">([^<]*)</td>', dom)]
    assert len(shown) == len(report.figures)
    for f in report.figures:
        assert f.definition not in shown
    assert sorted(shown) == sorted(definition(f, report) for f in report.figures)


def test_cli_monitor_table_json_and_html(sqlite_app: HgkmApplication, sqlite_url: str,
                                         clock: SettableClock, tmp_path: Path) -> None:
    scenario(sqlite_app, clock)
    url = sqlite_url
    runner = CliRunner()
    result = runner.invoke(cli, ["monitor", "--db", url, "--period", "2026-03", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["period"] == "2026-03"
    names = {f["name"]: f for f in data["figures"]}
    assert {"numerator", "denominator", "value", "definition"} <= set(names["meldingen"])
    assert names["classification.hermelding"]["denominator"] == names["meldingen"]["numerator"]
    result = runner.invoke(cli, ["monitor", "--db", url, "--period", "2026-03"])
    assert result.exit_code == 0 and "classification.hermelding" in result.output
    page = tmp_path / "m.html"
    result = runner.invoke(cli, ["monitor", "--db", url, "--period", "2026-03", "--html",
                                 str(page)])
    assert result.exit_code == 0 and page.read_text(encoding="utf-8").startswith("<!DOCTYPE")
    result = runner.invoke(cli, ["monitor", "--db", url, "--period", "2026-3X"])
    assert result.exit_code == 2 and "INVALID_PERIOD" in result.output
    result = runner.invoke(cli, ["monitor", "--db", url, "--json", "--html", str(page)])
    assert result.exit_code != 0


@pytest.mark.parametrize("width", [390, 1400])
def test_scenario_report_fits_at_phone_and_desktop_width(report: MonitorReport, width: int,
                                                         tmp_path: Path) -> None:
    page = write_html(report, tmp_path / "monitor.html")
    attrs = layout_at(page, width, tmp_path / "profile")
    assert attrs["data-charts-drawn"] == "4"
    assert attrs["data-scroll-width"] == attrs["data-viewport-width"] == str(width), attrs
    assert attrs["data-overflow"] == "0", attrs
    shot = tmp_path / "shot.png"
    result = run_chromium(page, tmp_path / "p2", width, f"--screenshot={shot}")
    assert result.returncode == 0 and png_not_blank(shot), result.stderr[-2000:]
