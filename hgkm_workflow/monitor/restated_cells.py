"""Which cells of a restatement are small: the figures then, now, and what moved between them.

A restatement publishes a figure twice (as known then, as known now) and its change. Each of
those is a cell, and so is the difference of the two: a change of 1 points at the one melding
or deadline that moved, even when both totals are large. The main monitor withholds a share
when its numerator, its denominator or their difference is small
(:func:`~hgkm_workflow.monitor.figures.suppress_small_cells`); a restated figure is withheld
when any of these is small on either side, or when the change of a count, a numerator or a
denominator is. Zeros are shown: they single out nobody.

Rows that add up to a published total (the classes of all classified meldingen, the kinds of
vervolgmelding) get secondary suppression, as :func:`~hgkm_workflow.monitor.figures.
suppress_complements` gives the monitor: when one of them is withheld, the smallest other
non-zero one is withheld too, so neither can be recovered by subtraction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["count_is_small", "ratio_is_small", "with_complements"]


def _small(values: Iterable[int | None], min_cell: int) -> bool:
    return any(v is not None and 0 < abs(v) < min_cell for v in values)


def count_is_small(then: int, now: int, min_cell: int) -> bool:
    """Whether a restated count must be withheld: either side, or the change, is small."""
    return min_cell > 1 and _small((then, now, now - then), min_cell)


def ratio_is_small(then: int, now: int, then_of: int, now_of: int, min_cell: int) -> bool:
    """Whether a restated share must be withheld: a numerator, a denominator, their
    difference (the complement) on either side, or the change of numerator or denominator."""
    return min_cell > 1 and _small(
        (then, now, then_of, now_of, then_of - then, now_of - now, now - then,
         now_of - then_of), min_cell)


def with_complements(values: Sequence[tuple[int, int]], withheld: Sequence[bool],
                     groups: Sequence[Sequence[int]]) -> list[bool]:
    """Secondary suppression of rows that add up to a shown total.

    Args:
        values: ``(then, now)`` per row.
        withheld: Whether each row is withheld already (primary suppression).
        groups: Index lists of rows that add up to a total shown elsewhere.

    Returns:
        The withheld flags with, in each group where exactly one row is withheld, the
        smallest other non-zero row withheld too.
    """
    out = list(withheld)
    for group in groups:
        hidden = [i for i in group if out[i]]
        if len(hidden) != 1:
            continue
        others = [i for i in group if not out[i] and any(values[i])]
        if others:
            out[min(others, key=lambda i: (max(values[i]), i))] = True
    return out
