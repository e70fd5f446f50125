"""The restatement section of the HTML monitor: figures as known then beside as known now.

Drawn under the tables when the report carries a restatement
(:mod:`hgkm_workflow.monitor.restatement`): the classification counts and the timeliness
figures (:mod:`hgkm_workflow.monitor.restate_timeliness`) as known at the recording instant
and now, with the change, and — in an unsuppressed report — how many meldingen and
deadlines moved and why. A suppressed copy shows "te weinig meldingen" for a withheld cell
and lists nothing. Dutch, like the rest of the page; instants are ISO 8601 (UTC), as in the
exports an auditor matches them against; ids are pseudonymous.
"""

from __future__ import annotations

from html import escape

from hgkm_workflow.monitor.report import MonitorReport

__all__ = ["restatement_html"]

_WITHHELD = "te weinig meldingen"
_HEAD = ('<thead><tr><th scope="col">kengetal</th><th scope="col">toen bekend</th>'
         '<th scope="col">nu bekend</th><th scope="col">verschil</th></tr></thead>')


def _row(name: str, then: str, now: str, change: str) -> str:
    return (f'<tr><th scope="row"><code>{escape(name)}</code></th><td class="n">'
            f'{escape(then)}</td><td class="n">{escape(now)}</td><td class="n">'
            f"{escape(change)}</td></tr>")


def _table(rows: list[str]) -> str:
    return f'<div class="scroll"><table>{_HEAD}<tbody>{"".join(rows)}</tbody></table></div>'


def _reasons(items: list[tuple[str, tuple[str, ...]]]) -> str:
    out = "".join(f"<li><code>{escape(what)}</code>: {escape('; '.join(why) or '—')}</li>"
                  for what, why in items)
    return f'<ul class="reasons">{out}</ul>' if out else ""


def restatement_html(report: MonitorReport) -> str:
    """The restatement section (empty when the report has none)."""
    r = report.restatement
    if r is None:
        return ""
    when = escape(r.known_at.isoformat(timespec="minutes"))
    counts = [_row(c.name, _WITHHELD, _WITHHELD, "") if c.suppressed else
              _row(c.name, str(c.then), str(c.now), f"{c.now - c.then:+d}") for c in r.counts]
    parts = [f"<h2>Herziening: zoals bekend op {when} (UTC) en nu</h2>",
             "<h3>Classificatie van meldingen</h3>", _table(counts)]
    if not r.moved_withheld:
        parts.append(f"<p>{len(r.moved)} melding(en) verschoven.</p>")
        parts.append(_reasons([(f"{m.melding_id}: {m.then} → {m.now}", m.reasons)
                               for m in r.moved]))
    t = r.timeliness
    if t is not None:
        rows = []
        for f in t.figures:
            if f.suppressed:
                rows.append(_row(f.name, _WITHHELD, _WITHHELD, ""))
            elif f.then_of is not None and f.now_of is not None:
                rows.append(_row(f.name, f"{f.then} van {f.then_of}", f"{f.now} van {f.now_of}",
                                 f"{f.now - f.then:+d}"))
            else:
                rows.append(_row(f.name, str(f.then), str(f.now), f"{f.now - f.then:+d}"))
        parts += ["<h3>Tijdigheid (op tijd, overschrijdingen)</h3>", _table(rows)]
        if not t.moved_withheld:
            parts.append(f"<p>{len(t.moved)} termijn(en) verschoven.</p>")
            parts.append(_reasons([(f"{m.rule_id} {m.deadline_id}: {m.then} → {m.now}",
                                    m.reasons) for m in t.moved]))
    return f'<section id="herziening">{"".join(parts)}</section>'
