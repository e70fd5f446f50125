"""The monitor as one self-contained HTML page: inline CSS, inline SVG charts, a little JS.

Nothing is fetched from elsewhere (no CDN, no fonts, no images), so the page works offline
and can be mailed or archived. The charts are drawn here, in Python, as SVG from the
report's figures:

* the hermelding share per half-year against the national reference (38%, CBS H1 2022);
* the timeliness of T1 (veiligheidsbeoordeling) and T3 (onderzoek / Voorwaarden en Vervolg)
  per month of the period;
* the phase funnel of the cases that entered triage in the period;
* the flow between phases (transitions in the period, line width by number);

followed by every figure in tables with numerator, denominator, value and definition. A
short inline script checks, once the page is laid out, that every chart has drawn marks of
nonzero size and records the result in ``data-drawn`` attributes (tests read them).
"""

from __future__ import annotations

from datetime import timedelta
from html import escape
from pathlib import Path

from hgkm_workflow.monitor.figures import FUNNEL_PHASES, Figure, Flow
from hgkm_workflow.monitor.report import MonitorReport

_W = 640
_COLORS = {"T1": "#1f6f8b", "T3": "#e07a1f", "bar": "#3c7a4a", "ref": "#b3261e",
           "forward": "#4f6fa8", "back": "#b3261e"}
_PHASE_LABEL = {"new": "nieuw", "triage": "triage", "directe_veiligheid": "directe veiligheid",
                "risicogestuurde_zorg": "risicogestuurde zorg", "herstel": "herstel",
                "waakvlam": "waakvlam", "closed": "gesloten"}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1b1b1b;
max-width:1100px}h1{font-size:1.5em;margin-bottom:0}h2{margin-top:2em;font-size:1.2em}
.meta{color:#555}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:140px}
.card b{display:block;font-size:1.5em}.charts{display:grid;
grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:18px}
figure{margin:0;border:1px solid #e3e3e3;border-radius:6px;padding:8px}
figcaption{font-weight:600;margin-bottom:4px}svg text{font-size:11px;fill:#333}
table{border-collapse:collapse;width:100%;margin-bottom:1em;font-size:.9em}
th,td{border-bottom:1px solid #e6e6e6;padding:4px 6px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.d{color:#555;font-size:.85em}
"""

_JS = """
(function(){function check(){var charts=document.querySelectorAll('svg.chart');var ok=0;
charts.forEach(function(svg){var n=0,bars=0;svg.querySelectorAll('[data-mark]').forEach(
function(el){var b=el.getBBox();if(b.width>0||b.height>0){n++;}
if(el.tagName==='rect'&&b.width>0&&b.height>0){bars++;}});
var r=svg.getBoundingClientRect();svg.setAttribute('data-drawn',String(n));
svg.setAttribute('data-bars',String(bars));
svg.setAttribute('data-width',String(Math.round(r.width)));if(n>0&&r.width>0){ok++;}});
document.body.setAttribute('data-charts',String(charts.length));
document.body.setAttribute('data-charts-drawn',String(ok));}
if(document.readyState==='loading'){document.addEventListener('DOMContentLoaded',check);}
else{check();}})();
"""


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


_SUPPRESSED = "onderdrukt"


def _fmt(f: Figure) -> str:
    if f.suppressed:
        return _SUPPRESSED
    if f.unit == "share":
        return _pct(f.value)
    if f.value is None:
        return "–"
    if f.unit == "days":
        return f"{f.value:.1f} d"
    return f"{f.value:,.0f}"


def _n(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _cell(f: Figure, x: float | None) -> str:
    return "" if f.suppressed else _n(x)


def _svg(chart_id: str, height: int, body: list[str], label: str) -> str:
    return (f'<svg class="chart" id="{chart_id}" viewBox="0 0 {_W} {height}" width="100%" '
            f'role="img" aria-label="{escape(label)}">'
            + "".join(body) + "</svg>")


def _rect(x: float, y: float, w: float, h: float, color: str, tip: str) -> str:
    return (f'<rect data-mark="1" x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" '
            f'height="{max(h, 0):.1f}" fill="{color}"><title>{escape(tip)}</title></rect>')


def _text(x: float, y: float, s: str, anchor: str = "middle", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(s)}</text>'


def _axis(left: float, top: float, bottom: float, right: float) -> list[str]:
    out = [f'<line data-mark="1" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" '
           'stroke="#888" stroke-width="1"/>']
    for frac in (0, 0.25, 0.5, 0.75, 1.0):
        y = bottom - frac * (bottom - top)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(_text(left - 4, y + 4, f"{frac * 100:.0f}%", "end"))
    return out


def hermelding_chart(report: MonitorReport) -> str:
    """Bars of the hermelding share per half-year with the national reference line."""
    series = report.series.get("hermelding_by_half_year", ())
    left, top, bottom, right = 44, 16, 200, _W - 10
    body = _axis(left, top, bottom, right)
    step = (right - left) / max(1, len(series))
    for i, f in enumerate(series):
        x = left + i * step + step * 0.2
        label = f.name.split("@")[1]
        body.append(_text(x + step * 0.3, bottom + 16, label))
        if f.value is None:
            body.append(_text(x + step * 0.3, bottom - 6,
                              _SUPPRESSED if f.suppressed else "geen meldingen"))
            continue
        h = f.value * (bottom - top)
        body.append(_rect(x, bottom - h, step * 0.6, h, _COLORS["bar"],
                          f"{label}: {_n(f.numerator)} of {_n(f.denominator)} meldingen "
                          f"= {_pct(f.value)}"))
        body.append(_text(x + step * 0.3, bottom - h - 4, _pct(f.value)))
    ref_y = bottom - report.hermelding_reference * (bottom - top)
    body.append(f'<line data-mark="1" x1="{left}" y1="{ref_y:.1f}" x2="{right}" y2="{ref_y:.1f}"'
                f' stroke="{_COLORS["ref"]}" stroke-width="2" stroke-dasharray="6 4">'
                f'<title>national reference {_pct(report.hermelding_reference)}</title></line>')
    body.append(_text(right, ref_y - 5, f"landelijk {_pct(report.hermelding_reference)} "
                                        "(CBS H1 2022)", "end", f' fill="{_COLORS["ref"]}"'))
    return _svg("chart-hermelding", 224, body, "hermelding share per half-year")


def timeliness_chart(report: MonitorReport) -> str:
    """Grouped bars: share of T1 and T3 deadlines met on time, per month of the period."""
    series = report.series.get("timeliness_by_month", ())
    months = sorted({f.name.split("@")[1] for f in series})
    left, top, bottom, right = 44, 24, 200, _W - 10
    body = _axis(left, top, bottom, right)
    step = (right - left) / max(1, len(months))
    bar = min(step * 0.33, 36.0)
    for i, month in enumerate(months):
        centre = left + i * step + step / 2
        body.append(_text(centre, bottom + 16, month))
        for j, rule in enumerate(("T1", "T3")):
            f = next((g for g in series if g.name == f"timeliness.{rule}.on_time@{month}"), None)
            x = centre - bar - 1 if j == 0 else centre + 1
            if f is None or f.value is None:
                body.append(_text(x + bar / 2, bottom - 4, "–"))
                continue
            h = f.value * (bottom - top)
            body.append(_rect(x, bottom - h, bar, h, _COLORS[rule],
                              f"{rule} {month}: {_n(f.numerator)} of {_n(f.denominator)} on time"))
    for j, rule in enumerate(("T1", "T3")):
        body.append(f'<rect x="{left + 8 + j * 220}" y="4" width="12" height="12" '
                    f'fill="{_COLORS[rule]}"/>')  # legend swatch, not a data mark
        body.append(_text(left + 24 + j * 220, 14,
                          "T1 veiligheidsbeoordeling" if rule == "T1" else "T3 onderzoek / V&V",
                          "start"))
    return _svg("chart-timeliness", 224, body, "timeliness of T1 and T3 per month")


def funnel_chart(report: MonitorReport) -> str:
    """Horizontal bars: how far the cases that entered triage in the period got."""
    rows = [report.figure(f"funnel.{p}") for p in FUNNEL_PHASES]
    size = rows[0].denominator or 0
    left, right, bar_h = 150, _W - 120, 26
    body: list[str] = []
    for i, f in enumerate(rows):
        y = 8 + i * (bar_h + 8)
        phase = f.name.split(".", 1)[1]
        body.append(_text(left - 8, y + bar_h * 0.65, _PHASE_LABEL[phase], "end"))
        share = (f.value or 0.0) if size else 0.0
        body.append(_rect(left, y, share * (right - left), bar_h, _COLORS["forward"],
                          f"{_PHASE_LABEL[phase]}: {_n(f.numerator)} of {_n(f.denominator)}"))
        body.append(_text(left + share * (right - left) + 6, y + bar_h * 0.65,
                          _SUPPRESSED if f.suppressed else f"{_n(f.numerator)} "
                          f"({_pct(f.value)})", "start"))
    body.append(f'<line data-mark="1" x1="{left}" y1="4" x2="{left}" '
                f'y2="{8 + len(rows) * (bar_h + 8)}" stroke="#888"/>')
    return _svg("chart-funnel", 16 + len(rows) * (bar_h + 8), body, "phase funnel")


def flow_chart(report: MonitorReport) -> str:
    """Phases as boxes in a row; each transition an arc whose width follows its number."""
    order = ["new", *FUNNEL_PHASES]
    box_w, gap, y_box, box_h = 74, (_W - 20 - 7 * 74) / 6, 110, 34
    x_of = {p: 10 + i * (box_w + gap) for i, p in enumerate(order)}
    flows: list[Flow] = [f for f in report.flows if f.from_phase in x_of and f.to_phase in x_of]
    biggest = max((f.count for f in flows), default=1)
    body: list[str] = []
    for f in flows:
        a = x_of[f.from_phase] + box_w / 2
        b = x_of[f.to_phase] + box_w / 2
        forward = b > a
        bend = (y_box - 10 - abs(b - a) * 0.25) if forward else (y_box + box_h + 10
                                                                 + abs(b - a) * 0.25)
        y0 = y_box if forward else y_box + box_h
        width = 1.5 + 12 * f.count / biggest
        color = _COLORS["forward"] if forward else _COLORS["back"]
        body.append(f'<path data-mark="1" d="M{a:.1f},{y0} C{a:.1f},{bend:.1f} {b:.1f},'
                    f'{bend:.1f} {b:.1f},{y0}" fill="none" stroke="{color}" stroke-opacity="0.6" '
                    f'stroke-width="{width:.1f}"><title>{escape(_PHASE_LABEL[f.from_phase])} → '
                    f'{escape(_PHASE_LABEL[f.to_phase])}: {f.count}</title></path>')
        mid = (a + b) / 2
        body.append(_text(mid, (bend + y0) / 2 + (-2 if forward else 10), str(f.count)))
    for p, x in x_of.items():
        body.append(f'<rect data-mark="1" x="{x:.1f}" y="{y_box}" width="{box_w}" '
                    f'height="{box_h}" rx="5" fill="#f4f4f4" stroke="#777"/>')
        words = _PHASE_LABEL[p].split(" ")
        for k, word in enumerate(words):
            dy = (k - (len(words) - 1) / 2) * 12
            body.append(_text(x + box_w / 2, y_box + box_h / 2 + 4 + dy, word, "middle",
                              ' style="font-size:10px"'))
    if not flows:
        body.append(_text(_W / 2, 40, "geen overgangen in deze periode"))
    return _svg("chart-flow", 250, body, "flow between phases")


def _cards(report: MonitorReport) -> str:
    picks = [("meldingen", "meldingen"), ("adviezen", "adviezen"),
             ("classification.hermelding", "hermeldingen"),
             ("timeliness.T1.on_time", "T1 op tijd"), ("timeliness.T3.on_time", "T3 op tijd"),
             ("crisis.share", "crisis"), ("mda.share", "MDA++")]
    out = []
    for name, label in picks:
        f = report.figure(name)
        out.append(f'<div class="card" title="{escape(f.definition)}">{escape(label)}'
                   f"<b>{escape(_fmt(f))}</b></div>")
    return '<div class="cards">' + "".join(out) + "</div>"


def _tables(report: MonitorReport) -> str:
    groups: dict[str, list[Figure]] = {}
    for f in report.figures:
        groups.setdefault(f.group, []).append(f)
    out = []
    for group, figures in groups.items():
        rows = "".join(
            f'<tr><td>{escape(f.name)}</td><td class="n">{_cell(f, f.numerator)}</td>'
            f'<td class="n">{_cell(f, f.denominator)}</td><td class="n">{escape(_fmt(f))}</td>'
            f'<td class="d">{escape(f.definition)}</td></tr>' for f in figures)
        out.append(f"<h3>{escape(group)}</h3><table><tr><th>figure</th><th>numerator</th>"
                   f"<th>denominator</th><th>value</th><th>definition</th></tr>{rows}</table>")
    return "".join(out)


def _suppression_note(report: MonitorReport) -> str:
    if report.min_cell <= 1:
        return ""
    return (f" Cells resting on fewer than {report.min_cell} meldingen, cases or stays are "
            f"suppressed ({_SUPPRESSED}).")


def render_html(report: MonitorReport) -> str:
    """The whole page as a string (UTF-8, self-contained).

    Args:
        report: A computed monitor report.

    Returns:
        The HTML document.
    """
    where = ", ".join(x for x in (report.region, report.gemeente) if x) or "alle regio's"
    title = f"Monitor gefaseerd samenwerken — {where} — {report.period.label}"
    settings = "; ".join(report.classification_settings) or "no classified meldingen"
    charts = [("Hermeldingen per halfjaar", hermelding_chart(report)),
              ("Tijdigheid T1 en T3 (aandeel op tijd)", timeliness_chart(report)),
              ("Fasetrechter (instroom triage in de periode)", funnel_chart(report)),
              ("Stroom tussen fasen", flow_chart(report))]
    figures = "".join(f"<figure><figcaption>{escape(c)}</figcaption>{svg}</figure>"
                      for c, svg in charts)
    return (
        '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="meta">Period {escape(report.period.label)} '
        f"({report.period.first_day.isoformat()} to "
        f"{(report.period.end_day - timedelta(days=1)).isoformat()}, Europe/Amsterdam),"
        f" state as of {escape(report.as_of.isoformat())}. Classification settings: "
        f"{escape(settings)}. Every figure is defined in docs/monitor.md."
        f"{_suppression_note(report)}</p>"
        f'{_cards(report)}<div class="charts">{figures}</div>'
        f"<h2>All figures</h2>{_tables(report)}"
        f"<script>{_JS}</script></body></html>"
    )


def write_html(report: MonitorReport, path: Path) -> Path:
    """Write the page to ``path`` (UTF-8) and return the path."""
    path.write_text(render_html(report), encoding="utf-8")
    return path
