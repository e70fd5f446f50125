"""Monitor figures: what a figure is, the figure groups, and statistical disclosure control.

A :class:`Figure` carries its numerator, denominator and definition (``docs/monitor.md``
lists them all). :func:`suppress_small_cells` withholds a figure resting on 1 to
``min_cell - 1`` units and :func:`suppress_complements` a second cell where one could be
recovered by subtraction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from hgkm_workflow.errors import HgkmError

#: CBS, Monitor Veilig Thuis, H1 2022: share of hermeldingen nationally (domain brief §5).
NATIONAL_HERMELDING_REFERENCE = 0.38

OPEN_PHASES = ("triage", "directe_veiligheid", "risicogestuurde_zorg", "herstel", "waakvlam")
LATER_PHASES = ("risicogestuurde_zorg", "herstel", "waakvlam")
FUNNEL_PHASES = (*OPEN_PHASES, "closed")
TIMELINESS_RULES = {"T1": "veiligheidsbeoordeling (5 werkdagen)",
                    "T3": "onderzoek / Voorwaarden en Vervolg (10 weken)",
                    "T8": "huisverbod: contactadres (24 uur)",
                    "T9": "huisverbod: hulpaanbod (binnen het huisverbod)"}
VERVOLG_KINDS = ("during_assessment", "after_assessment", "during_monitoring")


class InvalidMinCell(HgkmError):
    """``HGKM_MIN_CELL`` is not a whole number of at least 0."""

    code = "INVALID_SETTING"
    default_rule = "small-cell suppression (docs/monitor.md)"


@dataclass(frozen=True)
class Figure:
    """One figure of the monitor.

    Attributes:
        name: Stable dotted name, e.g. ``classification.hermelding``.
        numerator: What is counted (or summed, for days).
        denominator: What it is divided by; ``None`` for a plain count.
        definition: What the figure means and where it comes from.
        unit: ``share``, ``count`` or ``days``.
    """

    name: str
    numerator: float
    denominator: float | None
    definition: str
    unit: str = "share"
    suppressed: bool = False
    """A small cell: numerator and denominator withheld (see :func:`suppress_small_cells`)."""

    @property
    def value(self) -> float | None:
        """numerator / denominator; the numerator for a count; ``None`` when dividing by 0.

        ``None`` too for a suppressed figure.
        """
        if self.suppressed:
            return None
        if self.denominator is None:
            return self.numerator
        if self.denominator == 0:
            return None
        return self.numerator / self.denominator

    @property
    def group(self) -> str:
        """The first part of the name (for grouping in tables)."""
        return self.name.split(".")[0].split("@")[0]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (a suppressed figure has no numerator, denominator or value)."""
        out = {"name": self.name, "numerator": _num(self.numerator),
               "denominator": _num(self.denominator), "value": self.value,
               "unit": self.unit, "definition": self.definition}
        if self.suppressed:
            out.update(numerator=None, denominator=None, value=None, suppressed=True)
        return out


MIN_CELL_ENV = "HGKM_MIN_CELL"
#: Default smallest cell shown in reports and exports (statistical disclosure control).
DEFAULT_MIN_CELL = 10


def min_cell_from_env(env: Mapping[str, str]) -> int:
    """``HGKM_MIN_CELL`` as a whole number (default :data:`DEFAULT_MIN_CELL`).

    Raises:
        InvalidMinCell: If the variable is not a whole number of at least 0.
    """
    text = env.get(MIN_CELL_ENV, "").strip()
    if not text:
        return DEFAULT_MIN_CELL
    try:
        value = int(text)
    except ValueError:
        raise InvalidMinCell(f"{MIN_CELL_ENV} must be a whole number") from None
    if value < 0:
        raise InvalidMinCell(f"{MIN_CELL_ENV} must not be negative")
    return value


def _small(x: float | None, min_cell: int) -> bool:
    return x is not None and 0 < x < min_cell


def suppress_small_cells(figure: Figure, min_cell: int) -> Figure:
    """The figure, or a suppressed copy when it rests on fewer than ``min_cell`` units.

    A count is small when it lies between 1 and ``min_cell - 1``; a share when its numerator,
    its denominator or their difference does (so a small group cannot be derived from its
    complement); a mean number of days when its denominator (the number of stays) does.
    Zeros are shown: they single out nobody.
    """
    if figure.suppressed or min_cell <= 1:
        return figure
    num, den = figure.numerator, figure.denominator
    if figure.unit == "days":
        cells = [den]
    elif den is None:
        cells = [num]
    else:
        cells = [num, den, den - num]
    if not any(_small(c, min_cell) for c in cells):
        return figure
    return replace(figure, numerator=0.0, denominator=None if den is None else 0.0,
                   suppressed=True)


def _partition_key(f: Figure) -> tuple[str, float] | None:
    # Shares with the same stem (``classification`` of ``classification.nieuw``, any ``@…``
    # suffix kept) and the same denominator may add up to that denominator.
    if f.unit != "share" or not f.denominator:
        return None
    base, _, at = f.name.partition("@")
    return base.rsplit(".", 1)[0] + (f"@{at}" if at else ""), f.denominator


def suppress_complements(original: Sequence[Figure], shown: Sequence[Figure]) -> list[Figure]:
    """Secondary suppression: no suppressed cell can be recovered by subtraction.

    Where the shares of a group add up to their common denominator (nieuw, vervolgmelding and
    hermelding of all meldingen, say) and exactly one of them was suppressed, the smallest
    other non-zero one is suppressed too, so the two are known only together.

    Args:
        original: The exact figures.
        shown: The same figures after :func:`suppress_small_cells`, in the same order.
    """
    groups: dict[tuple[str, float], list[int]] = {}
    for i, f in enumerate(original):
        key = _partition_key(f)
        if key is not None:
            groups.setdefault(key, []).append(i)
    out = list(shown)
    for (_, den), members in groups.items():
        if len(members) < 2 or sum(original[i].numerator for i in members) != den:
            continue
        if sum(out[i].suppressed for i in members) != 1:
            continue
        others = [i for i in members if not out[i].suppressed and original[i].numerator > 0]
        if others:
            j = min(others, key=lambda i: (original[i].numerator, original[i].name))
            out[j] = replace(out[j], numerator=0.0, denominator=0.0, suppressed=True)
    return out


def _num(x: float | None) -> float | int | None:
    if x is None:
        return None
    return int(x) if float(x).is_integer() else round(float(x), 6)


@dataclass(frozen=True)
class Flow:
    """Phase transitions in the period, from one phase to another."""

    from_phase: str
    to_phase: str
    count: int
