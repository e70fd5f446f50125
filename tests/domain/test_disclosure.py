"""Statistical disclosure control of the monitor: small cells, and their complements.

A figure resting on 1 to ``min_cell - 1`` meldingen is withheld (primary suppression). Where the
shares of a group add up to their denominator — nieuw, vervolgmelding and hermelding of all
meldingen — one withheld cell could be recovered by subtracting the others from the total, so a
second cell is withheld with it (secondary suppression).
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from hgkm_workflow.monitor.figures import Figure, suppress_complements, suppress_small_cells
from hgkm_workflow.monitor.periods import Period
from hgkm_workflow.monitor.report import MonitorReport

MIN_CELL = 10


def _shares(stem: str, counts: dict[str, int]) -> list[Figure]:
    total = sum(counts.values())
    return [Figure(f"{stem}.{k}", float(n), float(total), f"{k} of all") for k, n in
            counts.items()]


def _report(figures: list[Figure]) -> MonitorReport:
    return MonitorReport(region="r", gemeente=None, period=Period.parse("2026H1"),
                         as_of=datetime(2026, 7, 1, tzinfo=UTC), figures=tuple(figures))


def test_a_small_cell_is_withheld_and_zeros_are_shown() -> None:
    figures = _shares("classification", {"nieuw": 0, "vervolgmelding": 3, "hermelding": 40})
    shown = [suppress_small_cells(f, MIN_CELL) for f in figures]
    assert [f.suppressed for f in shown] == [False, True, True]
    assert shown[1].value is None and shown[1].as_dict()["numerator"] is None
    # a zero singles out nobody; 40 of 43 is withheld because its complement (3) is small
    assert shown[0].value == 0.0


def test_a_withheld_cell_cannot_be_recovered_from_the_others() -> None:
    figures = _shares("classification", {"nieuw": 12, "vervolgmelding": 10, "hermelding": 3})
    report = _report(figures).suppress_small_cells(MIN_CELL)
    withheld = {f.name for f in report.figures if f.suppressed}
    assert withheld == {"classification.hermelding", "classification.vervolgmelding"}
    shown = {f.name: f for f in report.figures if not f.suppressed}
    # what an outsider can still compute: the two withheld cells together, not either one
    together = shown["classification.nieuw"].denominator - shown["classification.nieuw"].numerator
    assert together == 13


def test_groups_that_do_not_partition_their_total_are_left_alone() -> None:
    # additional measures overlap (a melding may have several): subtraction reveals nothing
    measures = [Figure("measure.police", 3.0, 50.0, "d"), Figure("measure.mda", 30.0, 50.0, "d"),
                Figure("measure.rvdk", 25.0, 50.0, "d")]
    shown = suppress_complements(measures, [suppress_small_cells(f, MIN_CELL) for f in measures])
    assert [f.suppressed for f in shown] == [True, False, False]


@settings(max_examples=300, deadline=None)
@given(counts=st.lists(st.integers(min_value=0, max_value=60), min_size=2, max_size=6),
       min_cell=st.integers(min_value=2, max_value=15))
def test_no_withheld_cell_is_derivable_by_subtraction(counts: list[int], min_cell: int) -> None:
    figures = _shares("g", {f"c{i}": n for i, n in enumerate(counts)})
    shown = list(_report(figures).suppress_small_cells(min_cell).figures)
    total = sum(counts)
    hidden = [f for f, s in zip(figures, shown, strict=True) if s.suppressed and f.numerator > 0]
    visible_total = any(not s.suppressed for s in shown)  # the denominator is then public
    if visible_total and total > 0:
        # exactly one hidden non-zero cell would equal total minus the visible numerators
        assert len(hidden) != 1, (counts, min_cell)
    for f, s in zip(figures, shown, strict=True):   # every small cell is withheld
        if 0 < f.numerator < min_cell or 0 < total - f.numerator < min_cell:
            assert s.suppressed, (counts, min_cell, f.name)
