"""The report page's inline style sheet, its check script and the Dutch group titles.

The style has no fixed widths: cards wrap, the chart grid falls back to one column below
480 px, tables scroll horizontally inside a ``.scroll`` container. The script records, once
the page is laid out, how many charts drew marks (``data-charts-drawn``), the bars per chart
and the page's scroll width against the viewport (``data-scroll-width``,
``data-viewport-width``, ``data-overflow``: elements wider than the page).
"""

from __future__ import annotations

CSS = """
*{box-sizing:border-box}body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
margin:0;color:#1b1b1b;line-height:1.4;overflow-wrap:break-word}
main{max-width:1100px;margin:0 auto;padding:16px}
h1{font-size:1.4em;margin:0 0 .3em}h2{margin-top:2em;font-size:1.2em}h3{font-size:1.05em}
.meta{color:#444}.badge{display:inline-block;background:#fff4d6;border:1px solid #e0b84c;
border-radius:4px;padding:2px 8px;margin:4px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(130px,1fr));gap:10px;
margin:16px 0}.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:0}
.card b{display:block;font-size:1.45em}.card b.small{font-size:1em;color:#6b6b6b;
font-weight:600}.card small{color:#555}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,460px),1fr));
gap:16px}figure{margin:0;border:1px solid #e3e3e3;border-radius:6px;padding:8px;min-width:0}
figcaption{font-weight:600;margin-bottom:4px}svg.chart{display:block;max-width:100%;
height:auto}svg text{font-size:12px;fill:#333}svg text.tick{fill:#555;font-size:11px}
svg text.val{font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px;
stroke-linejoin:round}svg text.inbar{fill:#fff;font-weight:600}
svg text.note{fill:#6b6b6b;font-size:11px;font-style:italic;paint-order:stroke;
stroke:#fff;stroke-width:3px}svg text.ref{fill:#b3261e;
font-weight:600}svg text.norm{fill:#444;font-size:11px}
p.note{font-size:.85em;color:#555;margin:.4em 0 0}
.legend{list-style:none;padding:0;margin:0 0 4px;display:flex;flex-wrap:wrap;gap:4px 16px;
font-size:.9em}.legend i{display:inline-block;width:12px;height:12px;margin-right:5px;
vertical-align:-1px}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;min-width:560px;margin-bottom:1em;font-size:.9em}
th,td{border-bottom:1px solid #e6e6e6;padding:4px 6px;text-align:left;vertical-align:top}
th[scope=row]{font-weight:normal}code{font-size:.9em}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.d{color:#555;font-size:.85em;min-width:16em}
td.sup{color:#6b6b6b;font-style:italic;font-size:.85em;text-align:right}
th[scope=row]{min-width:11em}
.meta{overflow-wrap:anywhere}
@media (max-width:520px){main{padding:10px}th[scope=row]{min-width:8em}svg text{font-size:13px}
svg text.tick,svg text.note,svg text.norm{font-size:12px}}
"""

JS = """
(function(){function check(){var charts=document.querySelectorAll('svg.chart');var ok=0;
charts.forEach(function(svg){var n=0,bars=0;svg.querySelectorAll('[data-mark]').forEach(
function(el){var b=el.getBBox();if(b.width>0||b.height>0){n++;}
if(el.tagName==='rect'&&b.width>0&&b.height>0){bars++;}});
var r=svg.getBoundingClientRect();svg.setAttribute('data-drawn',String(n));
svg.setAttribute('data-bars',String(bars));
svg.setAttribute('data-width',String(Math.round(r.width)));if(n>0&&r.width>0){ok++;}});
var vw=document.documentElement.clientWidth,wide=0;
document.querySelectorAll('main *').forEach(function(el){if(el.closest('.scroll')&&
!el.classList.contains('scroll')){return;}var r=el.getBoundingClientRect();
if(r.right>vw+1){wide++;}});var b=document.body;
b.setAttribute('data-charts',String(charts.length));
b.setAttribute('data-charts-drawn',String(ok));
b.setAttribute('data-scroll-width',String(document.documentElement.scrollWidth));
b.setAttribute('data-viewport-width',String(vw));b.setAttribute('data-overflow',String(wide));}
if(document.readyState==='loading'){document.addEventListener('DOMContentLoaded',check);}
else{check();}})();
"""

_GROUPS = {"meldingen": "Meldingen", "crisis": "Crisis", "adviezen": "Adviezen",
           "melder_type": "Type melder", "gemeente": "Gemeenten",
           "classification": "Classificatie (CBS)", "assessments": "Veiligheidsbeoordelingen",
           "outcome": "Uitkomst veiligheidsbeoordeling", "vt_services": "Diensten Veilig Thuis",
           "timeliness": "Tijdigheid", "occupancy": "Bezetting per fase",
           "phase_time": "Verblijfsduur per fase",
           "returns_to_directe_veiligheid": "Terugval naar directe veiligheid",
           "funnel": "Fasetrechter", "flow": "Stroom tussen fasen", "cases": "Zaken",
           "mda": "MDA++", "access": "Noodtoegang", "ervaringsdeskundige": "Ervaringsdeskundige",
           "plegeraanbod": "Plegeraanbod", "huisverbod": "Huisverbod"}


def group_title(group: str) -> str:
    """The Dutch heading of a figure group (the group name itself when none is known)."""
    return _GROUPS.get(group, group)
