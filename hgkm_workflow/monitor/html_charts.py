"""The four charts of the report, drawn as SVG from the report's figures.

* hermeldingen per half-year against the national reference (a dashed line labelled beside
  the plot, so no bar label can sit on it);
* timeliness of T1 and T3 per month, with value labels and the norm line (every term met);
* the phase funnel of the cases that entered triage in the period;
* the flow between phases: the phases top to bottom, forward transitions as arcs on the
  right, returns on the left, each with an arrow head and its number.

A suppressed figure draws no bar and says why ("te weinig meldingen"); marked columns
(:mod:`~hgkm_workflow.monitor.html_marks`) are hatched.
"""

from __future__ import annotations

from hgkm_workflow.monitor import format_nl as nl
from hgkm_workflow.monitor import html_marks as mk
from hgkm_workflow.monitor import html_svg as s
from hgkm_workflow.monitor.figures import FUNNEL_PHASES, Figure, Flow
from hgkm_workflow.monitor.periods import Period
from hgkm_workflow.monitor.report import MonitorReport

PHASE_LABEL = {"new": "nieuw", "triage": "triage", "directe_veiligheid": "directe veiligheid",
               "risicogestuurde_zorg": "risicogestuurde zorg", "herstel": "herstel",
               "waakvlam": "waakvlam", "closed": "gesloten"}
TE_WEINIG = "te weinig meldingen"


def _stack(x: float, y: float, lines: tuple[str, ...], cls: str = "note") -> list[str]:
    return [s.text(x, y + 13 * i, line, "middle", cls) for i, line in enumerate(lines) if line]


def hermelding_chart(report: MonitorReport) -> str:
    """Bars of the hermelding share per half-year with the national reference line."""
    cid = "chart-hermelding"
    series = report.series.get("hermelding_by_half_year", ())
    left, top, bottom, right = 40.0, 18.0, 196.0, s.W - 80.0
    body = s.share_axis(left, top, bottom, right)
    ref_y = bottom - report.hermelding_reference * (bottom - top)
    step = (right - left) / max(1, len(series))
    bar_w = min(step * 0.62, 48.0)
    early = mk.building_up(series)
    for i, f in enumerate(series):
        label = f.name.split("@")[1]
        period = Period.parse(label)
        centre = left + i * step + step / 2
        x = centre - bar_w / 2
        state = mk.state(f, period, report.as_of, early)
        body += _stack(centre, bottom + 15, nl.axis_label(label), "tick")
        tip = f"{nl.period_name(period)}: "
        if state == mk.NOT_STARTED:
            body.append(s.text(centre + 4, bottom - 4, "nog niet", "start", "note", rotate=True))
            continue
        if state == mk.TOO_FEW:
            body.append(s.text(centre + 4, bottom - 4, TE_WEINIG, "start", "note", rotate=True))
            continue
        if state == mk.EMPTY:
            body.append(s.text(centre + 4, bottom - 4, "geen meldingen", "start", "note",
                               rotate=True))
            continue
        counts = f"{nl.amount(f.numerator)} van {nl.amount(f.denominator)} meldingen"
        if state == mk.BUILDING_UP:
            body.append(s.hatched(cid, x, top, bar_w, bottom - top,
                                  tip + counts + " (voorgeschiedenis onvolledig)"))
            body += _stack(centre, bottom - 30, ("opbouw", f"0 v. {nl.amount(f.denominator)}"))
            continue
        value = f.value or 0.0
        h = value * (bottom - top)
        if state == mk.RUNNING:
            body.append(s.hatched(cid, x - 3, top, bar_w + 6, bottom - top, tip + "loopt nog"))
            body.append(s.text(centre, bottom + 41,
                               "t/m " + nl.short_date(mk.last_day_counted(report.as_of)),
                               "middle", "tick"))
        body.append(s.rect(x, bottom - h, bar_w, h, s.COLORS["bar"],
                           f"{tip}{counts} = {nl.percent(value)}"))
        inside = bottom - h + 15 if h >= 22 else None
        y = s.place_label([bottom - h - 5, *(() if inside is None else (inside,)),
                           ref_y - 6, ref_y + 16], [ref_y])
        body.append(s.text(centre, y, nl.percent(value), "middle",
                           "inbar" if inside is not None and y == inside else "val"))
    body.append(s.hline(left, right, ref_y, s.COLORS["ref"],
                        f"landelijk {nl.percent(report.hermelding_reference)} (CBS, H1 2022)"))
    body.append(s.text(right + 5, ref_y - 2, "landelijk", "start", "ref"))
    body.append(s.text(right + 5, ref_y + 11, nl.percent(report.hermelding_reference),
                       "start", "ref"))
    return s.svg(cid, 250, body, "Aandeel hermeldingen per halfjaar",
                 "Staafdiagram van het aandeel hermeldingen per halfjaar met de landelijke "
                 "referentielijn.")


def _bar_with_label(body: list[str], f: Figure, x: float, w: float, top: float,
                    bottom: float, color: str, tip: str, norm_y: float) -> None:
    value = f.value or 0.0
    h = value * (bottom - top)
    body.append(s.rect(x, bottom - h, w, h, color, f"{tip} = {nl.percent(value)}"))
    label = nl.percent(value, 0)
    centre = x + w / 2
    if w >= 26:
        y = s.place_label([bottom - h - 5, bottom - h + 15], [norm_y])
        body.append(s.text(centre, y, label, "middle",
                           "inbar" if y > bottom - h else "val"))
    elif h >= 34:
        body.append(s.text(centre + 4, bottom - h + 4, label, "end", "inbar", rotate=True))
    else:
        body.append(s.text(centre + 4, bottom - h - 4, label, "start", "val", rotate=True))


def timeliness_chart(report: MonitorReport) -> str:
    """Grouped bars: share of T1 and T3 terms met, per month, with the norm line (100%)."""
    cid = "chart-timeliness"
    series = report.series.get("timeliness_by_month", ())
    months = sorted({f.name.split("@")[1] for f in series})
    left, top, bottom, right = 40.0, 22.0, 196.0, s.W - 80.0
    body = s.share_axis(left, top, bottom, right)
    step = (right - left) / max(1, len(months))
    bar = min(step * 0.36, 40.0)
    for i, month in enumerate(months):
        period = Period.parse(month)
        centre = left + i * step + step / 2
        body += _stack(centre, bottom + 15, nl.axis_label(month), "tick")
        if mk.not_started(period, report.as_of):
            body.append(s.hatched(cid, centre - bar - 4, top, 2 * bar + 10, bottom - top,
                                  f"{nl.period_name(period)}: nog niet begonnen"))
            body.append(s.text(centre + 4, bottom - 4, "nog niet", "start", "note", rotate=True))
            continue
        if mk.running(period, report.as_of):
            body.append(s.hatched(cid, centre - bar - 4, top, 2 * bar + 10, bottom - top,
                                  f"{nl.period_name(period)} loopt nog"))
            body.append(s.text(centre, bottom + 41, "t/m " + nl.short_date(
                mk.last_day_counted(report.as_of)), "middle", "tick"))
        for j, rule in enumerate(("T1", "T3")):
            f = next((g for g in series if g.name == f"timeliness.{rule}.on_time@{month}"), None)
            x = centre - bar - 1 if j == 0 else centre + 1
            if f is None or f.value is None:
                why = "te weinig" if f is not None and f.suppressed else "geen"
                body.append(s.text(x + bar / 2 + 4, bottom - 4, why, "start", "note",
                                   rotate=True))
                continue
            _bar_with_label(body, f, x, bar, top, bottom, s.COLORS[rule],
                            f"{rule} {nl.period_name(period)}: {nl.amount(f.numerator)} van "
                            f"{nl.amount(f.denominator)} op tijd", top)
    body.append(s.hline(left, right, top, s.COLORS["norm"], "norm: elke termijn gehaald",
                        dash="3 3", width=1.5))
    body.append(s.text(right + 5, top + 4, "norm", "start", "norm"))
    body.append(s.text(right + 5, top + 17, "100%", "start", "norm"))
    return s.svg(cid, 250, body, "Tijdigheid T1 en T3 per maand",
                 "Aandeel termijnen op tijd gehaald per maand, T1 en T3 naast elkaar, met de "
                 "norm van 100%.")


def funnel_chart(report: MonitorReport) -> str:
    """Horizontal bars: how far the cases that entered triage in the period got."""
    cid = "chart-funnel"
    rows = [report.figure(f"funnel.{p}") for p in FUNNEL_PHASES]
    left, right, bar_h = 150.0, s.W - 10.0, 26.0
    body: list[str] = []
    for i, f in enumerate(rows):
        y = 8 + i * (bar_h + 8)
        phase = f.name.split(".", 1)[1]
        mid = y + bar_h * 0.5 + 4
        body.append(s.text(left - 8, mid, PHASE_LABEL[phase], "end"))
        if f.suppressed:
            body.append(s.text(left + 6, mid, "te weinig zaken", "start", "note"))
            continue
        if f.value is None:
            body.append(s.text(left + 6, mid, "geen zaken", "start", "note"))
            continue
        end = left + f.value * (right - left)
        body.append(s.rect(left, y, end - left, bar_h, s.COLORS["forward"],
                           f"{PHASE_LABEL[phase]}: {nl.amount(f.numerator)} van "
                           f"{nl.amount(f.denominator)} zaken"))
        label = f"{nl.amount(f.numerator)} ({nl.percent(f.value)})"
        if end + 8 + 7 * len(label) <= right:
            body.append(s.text(end + 6, mid, label, "start", "val"))
        else:
            body.append(s.text(end - 6, mid, label, "end", "inbar"))
    body.append(f'<line data-mark="1" x1="{left}" y1="4" x2="{left}" '
                f'y2="{8 + len(rows) * (bar_h + 8)}" stroke="#888"/>')
    return s.svg(cid, 16 + len(rows) * (bar_h + 8), body, "Fasetrechter",
                 "Hoe ver de zaken kwamen die in de periode in triage kwamen.")


def flow_chart(report: MonitorReport) -> str:
    """Phases top to bottom; forward transitions right, returns left, with arrow heads."""
    cid = "chart-flow"
    order = ["new", *FUNNEL_PHASES]
    box_x, box_w, box_h, pitch, top = 160.0, 160.0, 30.0, 50.0, 10.0
    y_of = {p: top + i * pitch for i, p in enumerate(order)}
    flows: list[Flow] = [f for f in report.flows if f.from_phase in y_of and f.to_phase in y_of]
    biggest = max((f.count for f in flows), default=1)
    body: list[str] = []
    labels: dict[bool, list[tuple[int, float, float]]] = {True: [], False: []}
    for n, f in enumerate(flows):
        forward = y_of[f.to_phase] > y_of[f.from_phase]
        k = abs(order.index(f.to_phase) - order.index(f.from_phase))
        bulge = 22.0 + 20.0 * k
        if forward:
            x0, y0, y1 = box_x + box_w, y_of[f.from_phase] + 21, y_of[f.to_phase] + 9
            cx = x0 + bulge
        else:
            x0, y0, y1 = box_x, y_of[f.from_phase] + 9, y_of[f.to_phase] + 21
            cx = x0 - bulge
        key = "forward" if forward else "back"
        width = 1.5 + 9 * f.count / biggest
        body.append(f'<path data-mark="1" d="M{x0:.1f},{y0:.1f} C{cx:.1f},{y0:.1f} {cx:.1f},'
                    f'{y1:.1f} {x0 + (4 if forward else -4):.1f},{y1:.1f}" fill="none" '
                    f'stroke="{s.COLORS[key]}" stroke-opacity="0.65" stroke-width="{width:.1f}"'
                    f' marker-end="url(#{cid}-arrow-{key})"><title>'
                    f"{PHASE_LABEL[f.from_phase]} → {PHASE_LABEL[f.to_phase]}: "
                    f"{nl.amount(f.count)}</title></path>")
        apex = x0 + 0.75 * (cx - x0)
        labels[forward].append((n, apex, (y0 + y1) / 2 + 4))
    out = body
    for forward, items in labels.items():
        ys = s.spread([y for _, _, y in items], 14.0)
        for (n, apex, _), y in zip(items, ys, strict=True):
            out.append(s.text(apex + (5 if forward else -5), y, nl.amount(flows[n].count),
                              "start" if forward else "end", "val"))
    for p, y in y_of.items():
        out.append(f'<rect data-mark="1" x="{box_x}" y="{y}" width="{box_w}" height="{box_h}" '
                   f'rx="5" fill="#f4f4f4" stroke="#777"/>')
        out.append(s.text(box_x + box_w / 2, y + box_h / 2 + 4, PHASE_LABEL[p]))
    if not flows:
        out.append(s.text(s.W / 2, top + len(order) * pitch + 10,
                          "geen overgangen in deze periode", "middle", "note"))
    return s.svg(cid, top + len(order) * pitch + 20, out, "Stroom tussen fasen",
                 "De fasen van boven naar beneden; overgangen vooruit rechts, terug links, "
                 "lijndikte naar aantal.")
