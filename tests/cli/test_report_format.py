"""Dutch formats, label placement, column marks and gemeente names of the HTML report."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hgkm_workflow.monitor import Figure, Period
from hgkm_workflow.monitor import format_nl as nl
from hgkm_workflow.monitor import html_marks as mk
from hgkm_workflow.monitor.html_names import gemeente_name
from hgkm_workflow.monitor.html_svg import collides, place_label, spread


@pytest.mark.parametrize(("x", "decimals", "text"), [
    (0, 0, "0"), (7, 0, "7"), (1234, 0, "1.234"), (1234567.891, 1, "1.234.567,9"),
    (3.25, 2, "3,25"), (-1000.5, 2, "-1.000,50"), (-0.01, 1, "0,0"), (999.96, 1, "1.000,0"),
])
def test_number_uses_decimal_comma_and_thousands_dot(x: float, decimals: int,
                                                     text: str) -> None:
    assert nl.number(x, decimals) == text


def test_absent_and_nan_are_never_shown_as_numbers() -> None:
    for f in (nl.number, nl.percent, nl.days):
        assert f(None) == nl.ABSENT
        assert f(float("nan")) == nl.ABSENT
    assert nl.amount(None) == ""


@pytest.mark.parametrize(("share", "text"), [(0.12345, "12,3%"), (1.0, "100,0%"),
                                             (0.0, "0,0%"), (0.38, "38,0%")])
def test_percent(share: float, text: str) -> None:
    assert nl.percent(share) == text


def test_days_count_and_dates() -> None:
    assert nl.days(3.19) == "3,2 dagen" and nl.days(1.0) == "1,0 dag"
    assert nl.amount(12.0) == "12" and nl.amount(2.5) == "2,50" and nl.amount(12000) == "12.000"
    assert nl.long_date(date(2026, 12, 3)) == "3 december 2026"
    assert nl.short_date(date(2025, 3, 31)) == "31 mrt"


@pytest.mark.parametrize(("label", "name", "axis"), [
    ("2025", "2025", ("2025", "")), ("2025H2", "2e halfjaar 2025", ("2e hj", "2025")),
    ("2025Q1", "1e kwartaal 2025", ("1e kw", "2025")), ("2025-03", "maart 2025", ("mrt", "2025")),
])
def test_period_names(label: str, name: str, axis: tuple[str, str]) -> None:
    assert nl.period_name(Period.parse(label)) == name
    assert nl.axis_label(label) == axis


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), st.integers(0, 3))
def test_number_round_trips_to_python(x: float, decimals: int) -> None:
    text = nl.number(x, decimals)
    back = float(text.replace(".", "").replace(",", "."))
    assert back == pytest.approx(round(x, decimals), abs=10 ** -decimals)
    if decimals:
        assert len(text.rsplit(",", 1)[1]) == decimals


def test_label_moves_off_a_line_it_would_cross() -> None:
    ref = 100.0
    assert collides(104.0, [ref]) and not collides(80.0, [ref])
    # the preferred spot sits on the line: the next candidate without a collision is taken
    assert place_label([103.0, 125.0, 94.0], [ref]) == 125.0
    assert place_label([60.0, 125.0], [ref]) == 60.0
    # nothing free: the first candidate (never an invented position)
    assert place_label([101.0, 99.0], [ref]) == 101.0
    assert place_label([50.0, 80.0], [], labels=[52.0]) == 80.0


@given(st.lists(st.floats(0, 500), max_size=12), st.floats(1, 30))
def test_spread_keeps_labels_apart_and_never_moves_one_up(ys: list[float], gap: float) -> None:
    out = spread(ys, gap)
    ordered = sorted(out)
    assert all(b - a >= gap - 1e-9 for a, b in pairwise(ordered))
    assert all(o >= y for o, y in zip(out, ys, strict=True))


def _share(name: str, num: float, den: float, suppressed: bool = False) -> Figure:
    return Figure(name, num, den, "d", suppressed=suppressed)


def test_leading_zero_half_years_are_building_up_not_zero() -> None:
    series = [_share("h@2022H2", 0, 36), _share("h@2023H1", 0, 0), _share("h@2023H2", 0, 25),
              _share("h@2024H1", 0, 0, suppressed=True), _share("h@2024H2", 30, 80),
              _share("h@2025H1", 0, 40)]
    early = mk.building_up(series)
    assert early == {"h@2022H2", "h@2023H2"}  # a 0 after the first hermelding is a real 0
    assert mk.building_up([_share("h@2024H2", 0, 30)]) == set()  # nothing to compare with
    end = datetime(2025, 3, 31, 22, tzinfo=UTC)
    states = [mk.state(f, Period.parse(f.name.split("@")[1]), end, early) for f in series]
    assert states == [mk.BUILDING_UP, mk.EMPTY, mk.BUILDING_UP, mk.TOO_FEW, mk.VALUE,
                      mk.RUNNING]


def test_running_not_started_and_last_day_counted() -> None:
    q1 = Period.parse("2025Q1")
    end_of_q1 = q1.end  # local midnight after 31 March
    assert not mk.running(q1, end_of_q1) and mk.last_day_counted(end_of_q1) == date(2025, 3, 31)
    mid = datetime(2025, 3, 15, 12, tzinfo=UTC)
    assert mk.running(q1, mid) and mk.last_day_counted(mid) == date(2025, 3, 15)
    assert mk.not_started(Period.parse("2025-04"), mid)
    assert not mk.not_started(Period.parse("2025-03"), mid)


def test_gemeente_names_follow_the_dated_tables() -> None:
    assert gemeente_name("GM0599", date(2025, 3, 31)) == "Rotterdam"
    assert gemeente_name("GM0501", date(2022, 6, 30), "rotterdam-rijnmond") == "Brielle"
    assert gemeente_name("GM9999", date(2025, 1, 1)) == "GM9999"  # unknown: the code
