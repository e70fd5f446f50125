"""A what-if report as one self-contained HTML page (inline CSS, nothing fetched).

Reuses the monitor report's style sheet and number formats
(:mod:`hgkm_workflow.monitor.html_style`, :mod:`hgkm_workflow.monitor.format_nl`) read only;
the page is its own: the alternative, the deadlines and meldingen that differ (before → after,
each with its rule and calendar version and explanation), the refusals and the monitor figures
per period. Ids are shortened for reading; the JSON output has them whole.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from hgkm_workflow.monitor import format_nl as nl
from hgkm_workflow.monitor.html_style import CSS
from hgkm_workflow.whatif.report import FigureDiff, WhatIfReport

__all__ = ["render_html", "write_html"]

_EXTRA_CSS = ".before{color:#7a2b00}.after{color:#0b5a2a}td.x{white-space:pre-line}"


def _table(head: list[str], rows: list[list[str]], caption: str) -> str:
    if not rows:
        return f"<h2>{escape(caption)}</h2><p class=\"note\">Geen verschillen.</p>"
    th = "".join(f"<th scope=\"col\">{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f'<td class="x">{c}</td>' for c in r) + "</tr>"
                   for r in rows)
    return (f"<h2>{escape(caption)}</h2><div class=\"scroll\"><table><thead><tr>{th}</tr>"
            f"</thead><tbody>{body}</tbody></table></div>")


def _side(d: dict[str, Any] | None, cls: str) -> str:
    if d is None:
        return f'<span class="{cls}">loopt niet</span>'
    breach = " · overschreden" if d["breached"] else ""
    skipped = f"<br><small>overgeslagen: {escape(', '.join(d['skipped']))}</small>" \
        if d.get("skipped") else ""
    return (f'<span class="{cls}"><b>{escape(str(d["due"]))}</b> · {escape(d["status"])}'
            f"{breach}</span><br><small>{escape(d['rule'])} · kalender "
            f"{escape(str(d['calendar_version']))}</small><br><small>"
            f"{escape(str(d['explanation']))}</small>{skipped}")


def _fig(f: FigureDiff, side: dict[str, Any]) -> str:
    if side.get("suppressed"):
        return "onderdrukt <small>(kleine aantallen)</small>"
    value = side["value"]
    shown = nl.percent(value) if f.unit == "share" else nl.amount(value)
    den = side["denominator"]
    return f"{escape(shown)} <small>({nl.amount(side['numerator'])}" + \
        ("" if den is None else f" / {nl.amount(den)}") + ")</small>"


def _withheld(report: WhatIfReport) -> str:
    if not report.case_lists_withheld:
        return ""
    return ('<p class="meta"><b>Lijsten per zaak weggelaten</b>: naast kengetallen met '
            "onderdrukte kleine aantallen zouden ze tonen wat de onderdrukking verbergt.</p>")


def render_html(report: WhatIfReport) -> str:
    """The whole page as a string (UTF-8, self-contained)."""
    after = report.after
    title = "Wat als — " + escape(str(after["rules"])) + " · kalender " + \
        escape(str(after["calendar"]))
    meta = (f'<p class="meta">Selectie: <code>{escape(str(report.selection))}</code><br>'
            f"Voor: regels {escape(str(report.before['rules']))}, kalender "
            f"{escape(str(report.before['calendar']))}, classificatie "
            f"{escape(str(report.before['classification']))}<br>Na: regels "
            f"{escape(str(after['rules']))} {escape(str(after['rule_changes']))}, kalender "
            f"{escape(str(after['calendar']))}, classificatie "
            f"{escape(str(after['classification']))}<br>{report.cases} zaak/zaken vergeleken"
            "</p>")
    deadlines = _table(
        ["zaak", "termijn", "verschil", "voor", "na"],
        [[escape(d.case_id[:8]), escape(d.rule_id + (f" @{d.checkpoint}" if d.checkpoint
                                                     is not None else "")),
          escape(", ".join(d.changed)), _side(d.before, "before"), _side(d.after, "after")]
         for d in report.deadlines], f"Termijnen die verschillen ({len(report.deadlines)})")
    classes = _table(
        ["melding", "zaak", "voor", "na"],
        [[escape(c.melding_id[:8]), escape(c.case_id[:8]),
          f'<span class="before">{escape(str(c.before["classification"]))}</span> '
          f"<small>{escape(str(c.before['settings']))}</small>",
          f'<span class="after">{escape(str(c.after["classification"]))}</span> '
          f"<small>{escape(str(c.after['settings']))}</small>"]
         for c in report.classifications],
        f"Meldingen anders geclassificeerd ({len(report.classifications)})")
    refusals = _table(
        ["zaak", "besluit", "moment", "code", "regel"],
        [[escape(r.case_id[:8]), escape(r.event), escape(r.at.isoformat()), escape(r.code),
          escape(r.rule)] for r in report.refusals],
        f"Vastgelegde besluiten die de regels zouden weigeren ({len(report.refusals)})")
    figures = _table(
        ["periode", "kengetal", "voor", "na", "teller verschoven"],
        [[escape(p.period), f"<code>{escape(f.name)}</code>", _fig(f, f.before),
          _fig(f, f.after), f"{f.moved:+g}"] for p in report.periods for f in p.moved],
        "Kengetallen die verschuiven")
    return ('<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>{CSS}{_EXTRA_CSS}</style></head><body><main>"
            f"<h1>{title}</h1>{meta}{_withheld(report)}{deadlines}{classes}{refusals}"
            f"{figures}"
            "</main></body></html>")


def write_html(report: WhatIfReport, path: Path) -> Path:
    """Write the page to ``path`` (UTF-8) and return the path."""
    path.write_text(render_html(report), encoding="utf-8")
    return path
