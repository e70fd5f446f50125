"""The restatement's disclosure rules: no small cell on either side, none in what moved, and
no withheld row recoverable from the rows that add up with it."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from hgkm_workflow.monitor.restate_timeliness import RestatedRatio, TimelinessRestatement
from hgkm_workflow.monitor.restated_cells import count_is_small, ratio_is_small, with_complements
from hgkm_workflow.monitor.restatement import RestatedCount, Restatement

MIN_CELL = 10
counts = st.integers(min_value=0, max_value=60)


def _fine(value: int) -> bool:
    return value == 0 or abs(value) >= MIN_CELL


@given(counts, counts)
def test_a_shown_count_has_no_small_cell_in_either_side_or_its_change(then: int,
                                                                        now: int) -> None:
    hidden = count_is_small(then, now, MIN_CELL)
    assert hidden == (not (_fine(then) and _fine(now) and _fine(now - then)))
    assert not count_is_small(then, now, 1)  # a floor of 1: exact cells


@given(counts, counts, counts, counts)
def test_a_shown_share_has_no_small_numerator_denominator_complement_or_change(
        a: int, b: int, c: int, d: int) -> None:
    then, then_of = min(a, b), max(a, b)
    now, now_of = min(c, d), max(c, d)
    figure = RestatedRatio("timeliness.T1.on_time", then, now, then_of, now_of)
    shown = figure.withheld(MIN_CELL)
    cells = (then, now, then_of, now_of, then_of - then, now_of - now, now - then,
             now_of - then_of)
    assert shown.suppressed == (not all(_fine(x) for x in cells))
    assert shown.suppressed == ratio_is_small(then, now, then_of, now_of, MIN_CELL)
    if shown.suppressed:
        assert shown.as_dict()["then"] is None and shown.as_dict()["change"] is None


def test_a_change_of_one_in_large_counts_is_withheld() -> None:
    # 480 meldingen then and 481 now: both large, but the 1 points at the melding that moved.
    restated = Restatement(datetime(2026, 6, 30, 22), (RestatedCount("meldingen", 480, 481),),
                           ()).suppress(MIN_CELL)
    [row] = restated.counts
    assert row.suppressed and row.as_dict()["now"] is None
    breaches = RestatedRatio("timeliness.T1.breaches", 40, 41).withheld(MIN_CELL)
    assert breaches.suppressed
    unchanged = RestatedRatio("timeliness.T1.breaches", 40, 40).withheld(MIN_CELL)
    assert not unchanged.suppressed
    t = TimelinessRestatement(datetime(2026, 6, 30, 22), (breaches,), ())
    assert t.suppress(MIN_CELL).figures[0].suppressed


rows = st.lists(st.tuples(counts, counts), min_size=3, max_size=3)


@given(st.tuples(counts, counts), rows)
def test_no_withheld_class_is_recoverable_from_the_total(total_change: tuple[int, int],
                                                         classes: list[tuple[int, int]]) -> None:
    names = ["classification.nieuw", "classification.vervolgmelding",
             "classification.hermelding"]
    then = sum(t for t, _ in classes)
    now = sum(n for _, n in classes)
    restated = Restatement(
        datetime(2026, 6, 30, 22),
        (RestatedCount("meldingen", then, now),
         *(RestatedCount(name, t, n) for name, (t, n) in zip(names, classes, strict=True))),
        ()).suppress(MIN_CELL)
    hidden = [c for c in restated.counts[1:] if c.suppressed]
    shown_total = not restated.counts[0].suppressed
    if shown_total:
        # one withheld class among shown ones would be the total minus the others
        assert len(hidden) != 1 or all(
            c.then == c.now == 0 for c in restated.counts[1:] if not c.suppressed)
    for c in restated.counts:
        if not c.suppressed:
            assert _fine(c.then) and _fine(c.now) and _fine(c.now - c.then)


def test_secondary_suppression_takes_the_smallest_other_non_zero_row() -> None:
    values = [(3, 3), (50, 52), (30, 30), (0, 0)]
    assert with_complements(values, [True, False, False, False], [[0, 1, 2, 3]]) == \
        [True, False, True, False]
    assert with_complements(values, [True, True, False, False], [[0, 1, 2, 3]]) == \
        [True, True, False, False]  # two withheld: neither follows from the total
