"""SVG building blocks for the report's charts: marks, text, hatching and label placement.

Every chart is drawn in a 480-unit wide ``viewBox`` and scales to its container
(``width="100%"``), so it fits a 390 px phone as well as a wide screen. Marks that carry data
get ``data-mark="1"`` (the page's check script counts them); hatching marks a column that
must not be read as a value (a period still running, or one whose history is incomplete).
Labels are placed by :func:`place_label`, which picks the first candidate position that does
not collide with a horizontal line (the national reference or a norm) or another label.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

W = 480
COLORS = {"T1": "#1f6f8b", "T3": "#c0601a", "bar": "#3c7a4a", "ref": "#b3261e",
          "norm": "#555555", "forward": "#4f6fa8", "back": "#b3261e", "muted": "#6b6b6b"}
#: Height of a label of the chart font (12 units) from its baseline up, and below it.
LABEL_UP, LABEL_DOWN = 11.0, 3.0


def svg(chart_id: str, height: float, body: Sequence[str], title: str, desc: str) -> str:
    """The chart element: scales to its container, with a title and description for readers."""
    return (f'<svg class="chart" id="{chart_id}" viewBox="0 0 {W} {height:.0f}" width="100%" '
            f'role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
            f'preserveAspectRatio="xMidYMid meet"><title id="{chart_id}-t">{escape(title)}'
            f'</title><desc id="{chart_id}-d">{escape(desc)}</desc>'
            f"{hatch_defs(chart_id)}" + "".join(body) + "</svg>")


def hatch_defs(chart_id: str) -> str:
    """A diagonal hatch pattern, ``url(#<chart_id>-hatch)``, and the arrow heads of the flow."""
    return (f'<defs><pattern id="{chart_id}-hatch" patternUnits="userSpaceOnUse" width="7" '
            'height="7" patternTransform="rotate(45)"><rect width="7" height="7" '
            'fill="#f3f3f3"/><line x1="0" y1="0" x2="0" y2="7" stroke="#c4c4c4" '
            'stroke-width="3"/></pattern>'
            + "".join(f'<marker id="{chart_id}-arrow-{k}" viewBox="0 0 10 10" refX="9" refY="5" '
                      'markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" '
                      f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
                      f'fill="{COLORS[k]}"/></marker>' for k in ("forward", "back"))
            + "</defs>")


def rect(x: float, y: float, w: float, h: float, color: str, tip: str) -> str:
    """A data bar (counted by the check script) with a tooltip."""
    return (f'<rect data-mark="1" x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" '
            f'height="{max(h, 0):.1f}" fill="{color}"><title>{escape(tip)}</title></rect>')


def hatched(chart_id: str, x: float, y: float, w: float, h: float, tip: str) -> str:
    """A hatched column behind a bar: not a data mark."""
    return (f'<rect class="hatch" x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" '
            f'height="{max(h, 0):.1f}" fill="url(#{chart_id}-hatch)"><title>{escape(tip)}'
            "</title></rect>")


def text(x: float, y: float, s: str, anchor: str = "middle", cls: str = "",
         rotate: bool = False) -> str:
    """A label; ``rotate`` writes it upwards (for narrow columns)."""
    extra = f' class="{cls}"' if cls else ""
    turn = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}{turn}>'
            f"{escape(s)}</text>")


def hline(x1: float, x2: float, y: float, color: str, tip: str, dash: str = "6 4",
          width: float = 2) -> str:
    """A horizontal reference line (a data mark: the check script counts it)."""
    return (f'<line data-mark="1" x1="{x1:.1f}" y1="{y:.1f}" x2="{x2:.1f}" y2="{y:.1f}" '
            f'stroke="{color}" stroke-width="{width}" stroke-dasharray="{dash}">'
            f"<title>{escape(tip)}</title></line>")


def share_axis(left: float, top: float, bottom: float, right: float) -> list[str]:
    """The baseline and gridlines at 0, 25, 50, 75 and 100% with Dutch tick labels."""
    out = [f'<line data-mark="1" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" '
           'stroke="#888" stroke-width="1"/>']
    for frac in (0, 0.25, 0.5, 0.75, 1.0):
        y = bottom - frac * (bottom - top)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(text(left - 4, y + 4, f"{frac * 100:.0f}%", "end", "tick"))
    return out


def collides(baseline: float, lines: Sequence[float], labels: Sequence[float] = (),
             gap: float = 2.0) -> bool:
    """Whether a label on ``baseline`` crosses one of the horizontal ``lines`` or overlaps a
    label on one of the ``labels`` baselines (same column)."""
    top, bottom = baseline - LABEL_UP - gap, baseline + LABEL_DOWN + gap
    if any(top <= y <= bottom for y in lines):
        return True
    return any(abs(baseline - other) < LABEL_UP + LABEL_DOWN + gap for other in labels)


def place_label(candidates: Sequence[float], lines: Sequence[float],
                labels: Sequence[float] = ()) -> float:
    """The first candidate baseline that collides with nothing; else the first candidate.

    Args:
        candidates: Baselines in order of preference.
        lines: The y of horizontal lines a label must not cross.
        labels: Baselines of labels already placed in the same column.
    """
    for y in candidates:
        if not collides(y, lines, labels):
            return y
    return candidates[0]


def spread(ys: Sequence[float], min_gap: float) -> list[float]:
    """Positions at least ``min_gap`` apart, each as close to its wish as that allows
    (in the input order; used for the flow's count labels on one side)."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    out = list(ys)
    last: float | None = None
    for i in order:
        if last is not None and out[i] < last + min_gap:
            out[i] = last + min_gap
        last = out[i]
    return out
