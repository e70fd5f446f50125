"""The monitor as one self-contained HTML page: inline CSS, inline SVG charts, a little JS.

Nothing is fetched from elsewhere (no CDN, no fonts, no images), so the page works offline
and can be mailed or archived. The page is Dutch throughout (``lang="nl"``, Dutch number and
date formats from :mod:`~hgkm_workflow.monitor.format_nl`, gemeente names from the dated
municipality tables), responsive down to a 390 px phone (charts scale with their ``viewBox``,
tables scroll inside their own container) and accessible (chart titles and descriptions,
table headers). The charts (:mod:`~hgkm_workflow.monitor.html_charts`) are followed by every
figure in tables with numerator, denominator, value and its Dutch definition
(:mod:`~hgkm_workflow.monitor.html_definitions`). A suppressed figure
shows no number and no bar ("te weinig meldingen"). A short inline script checks, once the
page is laid out, that every chart has drawn marks of nonzero size and that nothing is wider
than the page, and records the result in ``data-*`` attributes (tests read them).
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import escape
from pathlib import Path

from hgkm_workflow.domain.deadline_rules import NATIONAL_RULES
from hgkm_workflow.monitor import format_nl as nl
from hgkm_workflow.monitor import html_marks as mk
from hgkm_workflow.monitor.figures import Figure
from hgkm_workflow.monitor.html_charts import (
    TE_WEINIG,
    flow_chart,
    funnel_chart,
    hermelding_chart,
    timeliness_chart,
)
from hgkm_workflow.monitor.html_definitions import dutch_definition
from hgkm_workflow.monitor.html_names import gemeente_name
from hgkm_workflow.monitor.html_restatement import restatement_html
from hgkm_workflow.monitor.html_style import CSS, JS, group_title
from hgkm_workflow.monitor.periods import Period
from hgkm_workflow.monitor.report import MonitorReport
from hgkm_workflow.simulation.profiles import load_profile, region_ids

__all__ = ["definition", "flow_chart", "funnel_chart", "hermelding_chart", "render_html",
           "timeliness_chart", "write_html"]


def fmt(f: Figure) -> str:
    """The value of a figure in Dutch notation (``te weinig meldingen`` when suppressed)."""
    if f.suppressed:
        return TE_WEINIG
    if f.value is None:
        return nl.ABSENT
    if f.unit == "share":
        return nl.percent(f.value)
    if f.unit == "days":
        return nl.days(f.value)
    return nl.number(f.value)


def definition(f: Figure, report: MonitorReport) -> str:
    """The figure's definition in Dutch (:mod:`~hgkm_workflow.monitor.html_definitions`)."""
    day = mk.last_day_counted(report.as_of)
    text = dutch_definition(f.name, reference=report.hermelding_reference,
                            gemeente=lambda code: gemeente_name(code, day, report.region))
    return text if text is not None else f.definition


def _cell(f: Figure, x: float | None) -> str:
    return "" if f.suppressed else nl.amount(x)


def _where(report: MonitorReport) -> str:
    parts = []
    if report.region:
        parts.append(load_profile(report.region).name if report.region in region_ids()
                     else report.region)
    if report.gemeente:
        parts.append(gemeente_name(report.gemeente, report.period.end_day, report.region))
    return ", ".join(parts) or "alle regio's"


def _label(f: Figure, report: MonitorReport) -> str:
    if f.name.startswith("gemeente."):
        code = f.name.split(".", 1)[1]
        name = gemeente_name(code, mk.last_day_counted(report.as_of), report.region)
        return f"{escape(name)} <code>{escape(code)}</code>"
    return "<code>" + ".<wbr>".join(escape(part) for part in f.name.split(".")) + "</code>"


_WHY_SUPPRESSED = ("niet getoond: de teller, de noemer of hun verschil is klein en zou "
                   "herleidbaar zijn")


def _cards(report: MonitorReport) -> str:
    picks = [("meldingen", "meldingen"), ("adviezen", "adviezen"),
             ("classification.hermelding", "hermeldingen"),
             ("timeliness.T1.on_time", "T1 op tijd"), ("timeliness.T3.on_time", "T3 op tijd"),
             ("crisis.share", "crisis"), ("mda.share", "MDA++")]
    out = []
    for name, label in picks:
        f = report.figure(name)
        value = (f'<b class="small" title="{_WHY_SUPPRESSED}">{TE_WEINIG}</b>' if f.suppressed
                 else f"<b>{escape(fmt(f))}</b>")
        basis = ("" if f.suppressed or not f.denominator
                 else f"<small>{nl.amount(f.numerator)} van {nl.amount(f.denominator)}</small>")
        out.append(f'<div class="card" title="{escape(definition(f, report))}">{escape(label)}'
                   f"{value}{basis}</div>")
    return '<div class="cards">' + "".join(out) + "</div>"


def _tables(report: MonitorReport) -> str:
    groups: dict[str, list[Figure]] = {}
    for f in report.figures:
        groups.setdefault(f.group, []).append(f)
    out = []
    for group, figures in groups.items():
        rows = "".join(
            f'<tr id="{escape(f.name)}"><th scope="row">{_label(f, report)}</th>'
            f'<td class="n">{_cell(f, f.numerator)}'
            f'</td><td class="n">{_cell(f, f.denominator)}</td>'
            f'<td class="{"sup" if f.suppressed else "n"}">{escape(fmt(f))}</td>'
            f'<td class="d">{escape(definition(f, report))}</td></tr>' for f in figures)
        out.append(f'<h3>{escape(group_title(group))}</h3><div class="scroll"><table>'
                   '<thead><tr><th scope="col">kengetal</th><th scope="col">teller</th>'
                   '<th scope="col">noemer</th><th scope="col">waarde</th>'
                   f'<th scope="col">definitie</th></tr></thead><tbody>{rows}</tbody></table>'
                   "</div>")
    return "".join(out)


def _norms() -> str:
    rules = {r.id: r for r in NATIONAL_RULES if r.id in ("T1", "T3")}
    terms = "; ".join(f"{r.id} {r.name}: {r.length} "
                      f"{'werkdagen' if r.unit.value == 'working_days' else 'weken'} "
                      f"({r.legal_source})" for r in rules.values())
    return ("Norm: elke termijn op tijd (100%), volgens het regelboek (docs/deadline-rules.md): "
            f"{terms}.")


def _notes(report: MonitorReport) -> dict[str, str]:
    series = report.series.get("hermelding_by_half_year", ())
    herm = (f"Landelijke referentie {nl.percent(report.hermelding_reference)}: CBS, Monitor "
            "Veilig Thuis, 1e halfjaar 2022.")
    early = mk.building_up(series)
    if any(mk.state(f, Period.parse(f.name.split("@")[1]), report.as_of, early) == mk.RUNNING
           for f in series):
        herm += " Gearceerd met ‘t/m’: halfjaar was op de peildatum nog niet om."
    if early:
        herm += (" ‘opbouw’: nog geen hermelding gevonden in de eerste halfjaren van de store "
                 "(een hermelding vraagt een eerdere melding binnen 3 jaar; bij gesimuleerde "
                 "voorgeschiedenis zijn alle meldingen nieuw). Geen 0%, maar onvolledige "
                 "voorgeschiedenis.")
    flows = ("Vooruit rechts (blauw), terug links (rood); lijndikte naar aantal.")
    if report.min_cell > 1:
        flows += f" Overgangen van minder dan {report.min_cell} zaken zijn weggelaten."
    timely = _norms()
    if any(mk.running(Period.parse(f.name.split("@")[1]), report.as_of)
           for f in report.series.get("timeliness_by_month", ())):
        timely += " Gearceerd: maand was op de peildatum nog niet om."
    return {"hermelding": herm, "timeliness": timely,
            "funnel": "Zaken die in de periode in triage kwamen; aandeel van die instroom.",
            "flow": flows}


_ROLE = {"alleged_perpetrator": "vermoedelijke pleger", "child": "kind", "other": "overig",
         "victim": "slachtoffer", "witness": "getuige"}


def _setting(text: str) -> str:
    """``lookback 3 years; roles child,victim`` in Dutch (anything else as it is)."""
    match = re.fullmatch(r"lookback (\d+) years; roles (.*)", text)
    if match is None:
        return text.replace(",", ", ")
    roles = ", ".join(_ROLE.get(r, r) for r in match.group(2).split(",") if r)
    return f"terugkijktermijn {match.group(1)} jaar; rollen {roles}"


def _meta(report: MonitorReport) -> str:
    period = report.period
    last = mk.last_day_counted(report.as_of)
    span = (f"{nl.long_date(period.first_day)} t/m "
            f"{nl.long_date(period.end_day - timedelta(days=1))}")
    settings = ("; ".join(_setting(x) for x in report.classification_settings)
                or "geen geclassificeerde meldingen")
    running = (f'<p class="badge">Deze periode loopt nog: cijfers t/m {nl.long_date(last)}.</p>'
               if mk.running(period, report.as_of) else "")
    small = (f" Cijfers die rusten op minder dan {report.min_cell} meldingen, zaken of "
             "verblijven worden niet getoond, ook als alleen het verschil klein is (bijv. "
             f"weinig te late termijnen): ‘{TE_WEINIG}’." if report.min_cell > 1 else "")
    return (f'{running}<p class="meta">Periode {escape(nl.period_name(period))} ({span}, '
            f"Europe/Amsterdam), stand t/m {nl.long_date(last)}. Classificatie: "
            f"{escape(settings)}. Elk kengetal staat beschreven in docs/monitor.md.{small}</p>")


def render_html(report: MonitorReport) -> str:
    """The whole page as a string (UTF-8, self-contained).

    Args:
        report: A computed monitor report (suppressed or not).

    Returns:
        The HTML document.
    """
    title = (f"Monitor gefaseerd samenwerken — {_where(report)} — "
             f"{nl.period_name(report.period)}")
    notes = _notes(report)
    legend = ('<ul class="legend"><li><i style="background:#1f6f8b"></i>T1 '
              'veiligheidsbeoordeling</li><li><i style="background:#c0601a"></i>T3 onderzoek / '
              "Voorwaarden en Vervolg</li></ul>")
    charts = [("Hermeldingen per halfjaar", hermelding_chart(report), "", notes["hermelding"]),
              ("Tijdigheid T1 en T3 (aandeel op tijd)", timeliness_chart(report), legend,
               notes["timeliness"]),
              ("Fasetrechter (instroom triage in de periode)", funnel_chart(report), "",
               notes["funnel"]),
              ("Stroom tussen fasen", flow_chart(report), "", notes["flow"])]
    figures = "".join(f"<figure><figcaption>{escape(c)}</figcaption>{extra}{svg}"
                      f'<p class="note">{escape(note)}</p></figure>'
                      for c, svg, extra, note in charts)
    return (
        '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>"
        f"<h1>{escape(title)}</h1>{_meta(report)}"
        f'{_cards(report)}<div class="charts">{figures}</div>'
        f"<h2>Alle kengetallen</h2>{_tables(report)}{restatement_html(report)}"
        f"</main><script>{JS}</script></body></html>"
    )


def write_html(report: MonitorReport, path: Path) -> Path:
    """Write the page to ``path`` (UTF-8) and return the path."""
    path.write_text(render_html(report), encoding="utf-8")
    return path
