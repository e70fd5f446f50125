"""The Atw working-day calendar: holidays, decreed days, run-on, versions, Amsterdam days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hgkm_workflow.domain.calendar import (
    Decree,
    SkippedDay,
    WorkingDayCalendar,
    available_versions,
    calendar_by_version,
    default_calendar,
    end_of_local_day,
    local_date,
    start_of_local_day,
)
from hgkm_workflow.domain.calendar_data import DECREE_2023_2025, DECREE_2026_2028
from hgkm_workflow.errors import RuleViolation

CAL = default_calendar()
D = date

# Known holidays, written out by hand. Easter: 2023-04-09, 2024-03-31, 2025-04-20,
# 2026-04-05, 2027-03-28, 2028-04-16. Goede Vrijdag = Easter-2, tweede Paasdag = Easter+1,
# Hemelvaart = Easter+39, tweede Pinksterdag = Easter+50.
KNOWN_HOLIDAYS: dict[int, list[tuple[date, str]]] = {
    2023: [
        (D(2023, 1, 1), "Nieuwjaarsdag"),
        (D(2023, 4, 7), "Goede Vrijdag"),
        (D(2023, 4, 10), "Tweede Paasdag"),
        (D(2023, 4, 27), "Koningsdag"),
        (D(2023, 4, 28), "Besluit gelijkstelling van 28 april 2023"),
        (D(2023, 5, 5), "Bevrijdingsdag"),
        (D(2023, 5, 18), "Hemelvaartsdag"),
        (D(2023, 5, 19), "Besluit gelijkstelling van 28 april 2023"),
        (D(2023, 5, 29), "Tweede Pinksterdag"),
        (D(2023, 12, 25), "Eerste Kerstdag"),
        (D(2023, 12, 26), "Tweede Kerstdag"),
    ],
    2024: [
        (D(2024, 1, 1), "Nieuwjaarsdag"),
        (D(2024, 3, 29), "Goede Vrijdag"),
        (D(2024, 4, 1), "Tweede Paasdag"),
        (D(2024, 4, 27), "Koningsdag"),  # a Saturday: stays on the 27th
        (D(2024, 5, 5), "Bevrijdingsdag"),
        (D(2024, 5, 9), "Hemelvaartsdag"),
        (D(2024, 5, 10), "Besluit gelijkstelling van 28 april 2023"),
        (D(2024, 5, 20), "Tweede Pinksterdag"),
        (D(2024, 12, 25), "Eerste Kerstdag"),
        (D(2024, 12, 26), "Tweede Kerstdag"),
        (D(2024, 12, 27), "Besluit gelijkstelling van 28 april 2023"),
    ],
    2025: [
        (D(2025, 1, 1), "Nieuwjaarsdag"),
        (D(2025, 4, 18), "Goede Vrijdag"),
        (D(2025, 4, 21), "Tweede Paasdag"),
        (D(2025, 4, 26), "Koningsdag"),  # 27 April 2025 is a Sunday
        (D(2025, 5, 5), "Bevrijdingsdag"),
        (D(2025, 5, 29), "Hemelvaartsdag"),
        (D(2025, 5, 30), "Besluit gelijkstelling van 28 april 2023"),
        (D(2025, 6, 9), "Tweede Pinksterdag"),
        (D(2025, 12, 25), "Eerste Kerstdag"),
        (D(2025, 12, 26), "Tweede Kerstdag"),
    ],
    2026: [
        (D(2026, 1, 1), "Nieuwjaarsdag"),
        (D(2026, 1, 2), "Besluit gelijkstelling van 2 januari 2026"),
        (D(2026, 4, 3), "Goede Vrijdag"),
        (D(2026, 4, 6), "Tweede Paasdag"),
        (D(2026, 4, 27), "Koningsdag"),
        (D(2026, 5, 5), "Bevrijdingsdag"),
        (D(2026, 5, 14), "Hemelvaartsdag"),
        (D(2026, 5, 15), "Besluit gelijkstelling van 2 januari 2026"),
        (D(2026, 5, 25), "Tweede Pinksterdag"),
        (D(2026, 12, 25), "Eerste Kerstdag"),
        (D(2026, 12, 26), "Tweede Kerstdag"),
    ],
    2027: [
        (D(2027, 1, 1), "Nieuwjaarsdag"),
        (D(2027, 3, 26), "Goede Vrijdag"),
        (D(2027, 3, 29), "Tweede Paasdag"),
        (D(2027, 4, 27), "Koningsdag"),
        (D(2027, 5, 5), "Bevrijdingsdag"),
        (D(2027, 5, 6), "Hemelvaartsdag"),
        (D(2027, 5, 7), "Besluit gelijkstelling van 2 januari 2026"),
        (D(2027, 5, 17), "Tweede Pinksterdag"),
        (D(2027, 12, 25), "Eerste Kerstdag"),
        (D(2027, 12, 26), "Tweede Kerstdag"),
    ],
    2028: [
        (D(2028, 1, 1), "Nieuwjaarsdag"),
        (D(2028, 4, 14), "Goede Vrijdag"),
        (D(2028, 4, 17), "Tweede Paasdag"),
        (D(2028, 4, 27), "Koningsdag"),
        (D(2028, 4, 28), "Besluit gelijkstelling van 2 januari 2026"),
        (D(2028, 5, 5), "Bevrijdingsdag"),
        (D(2028, 5, 25), "Hemelvaartsdag"),
        (D(2028, 5, 26), "Besluit gelijkstelling van 2 januari 2026"),
        (D(2028, 6, 5), "Tweede Pinksterdag"),
        (D(2028, 12, 25), "Eerste Kerstdag"),
        (D(2028, 12, 26), "Tweede Kerstdag"),
    ],
}


@pytest.mark.parametrize("year", sorted(KNOWN_HOLIDAYS))
def test_holidays_match_known_dates(year: int) -> None:
    listed = CAL.holidays(year)
    assert [d for d, _ in listed] == [d for d, _ in KNOWN_HOLIDAYS[year]]
    for (_, reason), (_, expected) in zip(listed, KNOWN_HOLIDAYS[year], strict=True):
        assert reason.startswith(expected)


def test_koningsdag_moves_to_26_april_only_when_27th_is_a_sunday() -> None:
    assert not CAL.is_working_day(D(2025, 4, 26))
    assert CAL.non_working_reason(D(2025, 4, 26)) == "Saturday; Koningsdag (Atw art. 3(1))"
    assert CAL.non_working_reason(D(2025, 4, 28)) is None  # Monday after: a working day
    assert CAL.non_working_reason(D(2014, 4, 26)) == "Saturday; Koningsdag (Atw art. 3(1))"


def test_reasons_name_the_article() -> None:
    assert CAL.non_working_reason(D(2024, 3, 29)) == "Goede Vrijdag (Atw art. 3(2))"
    assert CAL.non_working_reason(D(2024, 4, 1)) == "Tweede Paasdag (Atw art. 3(1))"
    assert CAL.non_working_reason(D(2026, 5, 5)) == "Bevrijdingsdag, 5 mei (Atw art. 3(1))"
    assert CAL.non_working_reason(D(2026, 1, 3)) == "Saturday"
    assert CAL.non_working_reason(D(2026, 1, 4)) == "Sunday"
    decreed = CAL.non_working_reason(D(2026, 1, 2))
    assert decreed is not None
    assert decreed.startswith("Besluit gelijkstelling van 2 januari 2026")
    assert decreed.endswith("(Atw art. 3(3))")
    assert CAL.non_working_reason(D(2026, 1, 5)) is None


def test_coinciding_holidays_are_both_named() -> None:
    # 2016: Hemelvaartsdag fell on 5 May.
    reason = CAL.non_working_reason(D(2016, 5, 5))
    assert reason == "Bevrijdingsdag, 5 mei (Atw art. 3(1)); Hemelvaartsdag (Atw art. 3(1))"


def test_weekend_holiday_names_both() -> None:
    assert CAL.non_working_reason(D(2026, 12, 26)) == "Saturday; Tweede Kerstdag (Atw art. 3(1))"


def test_days_are_dates_not_instants() -> None:
    with pytest.raises(TypeError):
        CAL.is_working_day(datetime(2026, 1, 5, tzinfo=UTC))


# --- Atw art. 1 run-on ---------------------------------------------------------------------


def test_run_on_from_a_working_day_is_that_day() -> None:
    assert CAL.atw_run_on(D(2026, 4, 2)) == (D(2026, 4, 2), ())


def test_run_on_over_easter_weekend() -> None:
    # Saturday 4 April 2026 -> Sunday 5 -> tweede Paasdag 6 -> Tuesday 7 April.
    day, skipped = CAL.atw_run_on(D(2026, 4, 4))
    assert day == D(2026, 4, 7)
    assert [s.date for s in skipped] == [D(2026, 4, 4), D(2026, 4, 5), D(2026, 4, 6)]
    assert skipped[2].reason == "Tweede Paasdag (Atw art. 3(1))"


def test_run_on_over_christmas_and_decreed_day() -> None:
    # 25 Dec 2024 (Wed), 26 (Thu), 27 (decree), 28 Sat, 29 Sun -> Monday 30 Dec 2024.
    day, skipped = CAL.atw_run_on(D(2024, 12, 25))
    assert day == D(2024, 12, 30)
    assert len(skipped) == 5


# --- counting working days -----------------------------------------------------------------


def test_add_working_days_straddling_easter() -> None:
    # Thursday 2 April 2026; not counted. Fri 3 Goede Vrijdag, Sat 4, Sun 5, Mon 6 tweede
    # Paasdag skipped; Tue 7 (1), Wed 8 (2), Thu 9 (3), Fri 10 (4), Sat/Sun, Mon 13 (5).
    day, skipped = CAL.add_working_days(D(2026, 4, 2), 5)
    assert day == D(2026, 4, 13)
    assert [s.date.day for s in skipped] == [3, 4, 5, 6, 11, 12]


def test_add_working_days_straddling_hemelvaart_depends_on_calendar_version() -> None:
    # Wednesday 13 May 2026. atw-2: Thu 14 Hemelvaart, Fri 15 decreed, weekend; then
    # Mon 18 (1) ... Fri 22 (5). atw-1 has no 2026 decree: Fri 15 is day 1, due Thu 21.
    assert CAL.add_working_days(D(2026, 5, 13), 5)[0] == D(2026, 5, 22)
    assert calendar_by_version("atw-1").add_working_days(D(2026, 5, 13), 5)[0] == D(2026, 5, 21)


def test_add_working_days_straddling_5_mei() -> None:
    # Thursday 30 April 2026: Fri 1 May (1), weekend, Mon 4 (2), Tue 5 May skipped,
    # Wed 6 (3), Thu 7 (4), Fri 8 (5).
    day, skipped = CAL.add_working_days(D(2026, 4, 30), 5)
    assert day == D(2026, 5, 8)
    assert SkippedDay(D(2026, 5, 5), "Bevrijdingsdag, 5 mei (Atw art. 3(1))") in skipped


def test_add_working_days_straddling_christmas_and_new_year() -> None:
    # Tuesday 23 Dec 2025: Wed 24 (1), Thu 25 + Fri 26 Kerst, weekend, Mon 29 (2), Tue 30 (3),
    # Wed 31 (4), Thu 1 Jan Nieuwjaarsdag, Fri 2 Jan decreed, weekend, Mon 5 Jan 2026 (5).
    day, skipped = CAL.add_working_days(D(2025, 12, 23), 5)
    assert day == D(2026, 1, 5)
    assert len(skipped) == 8


def test_zero_and_negative_counts() -> None:
    assert CAL.add_working_days(D(2026, 4, 4), 0) == (D(2026, 4, 4), ())
    with pytest.raises(ValueError):
        CAL.add_working_days(D(2026, 4, 4), -1)


# --- Amsterdam days ------------------------------------------------------------------------


def test_local_date_near_midnight() -> None:
    # Winter: 23:30 UTC is 00:30 CET on the next day.
    assert local_date(datetime(2026, 1, 14, 23, 30, tzinfo=UTC)) == D(2026, 1, 15)
    assert local_date(datetime(2026, 1, 14, 22, 59, tzinfo=UTC)) == D(2026, 1, 14)
    # The night DST starts: 2026-03-28T23:30Z is 2026-03-29 00:30 CET.
    assert local_date(datetime(2026, 3, 28, 23, 30, tzinfo=UTC)) == D(2026, 3, 29)
    # Summer: 22:30 UTC is already 00:30 CEST.
    assert local_date(datetime(2026, 7, 1, 22, 30, tzinfo=UTC)) == D(2026, 7, 2)


def test_local_date_refuses_naive_instants() -> None:
    with pytest.raises(ValueError):
        local_date(datetime(2026, 1, 1, 12, 0))


def test_end_of_local_day_is_dst_correct() -> None:
    micro = timedelta(microseconds=1)
    assert end_of_local_day(D(2026, 1, 15)) == datetime(2026, 1, 15, 23, tzinfo=UTC) - micro
    assert end_of_local_day(D(2026, 7, 1)) == datetime(2026, 7, 1, 22, tzinfo=UTC) - micro
    # DST starts on 29 March 2026: that day ends in CEST.
    assert end_of_local_day(D(2026, 3, 29)) == datetime(2026, 3, 29, 22, tzinfo=UTC) - micro
    # DST ends on 25 October 2026: that day ends in CET and lasts 25 hours.
    assert end_of_local_day(D(2026, 10, 25)) == datetime(2026, 10, 25, 23, tzinfo=UTC) - micro
    assert end_of_local_day(D(2026, 10, 25)) - start_of_local_day(D(2026, 10, 25)) == (
        timedelta(hours=25) - micro
    )
    assert end_of_local_day(D(2026, 1, 15)).tzinfo is UTC


# --- versions ------------------------------------------------------------------------------


def test_registry_versions() -> None:
    assert available_versions() == ("atw-1", "atw-2")
    assert default_calendar().version == "atw-2"
    assert calendar_by_version("atw-1").decrees == (DECREE_2023_2025,)
    assert calendar_by_version("atw-2").decrees == (DECREE_2023_2025, DECREE_2026_2028)
    assert calendar_by_version("atw-1").is_working_day(D(2026, 1, 2))
    assert not calendar_by_version("atw-2").is_working_day(D(2026, 1, 2))


def test_unknown_version_has_stable_code() -> None:
    with pytest.raises(RuleViolation) as info:
        calendar_by_version("atw-99")
    assert info.value.code == "UNKNOWN_CALENDAR_VERSION"


def test_adding_a_decree_bumps_the_version_and_keeps_the_old_one() -> None:
    old = calendar_by_version("atw-1")
    new = old.with_decree(DECREE_2026_2028)
    assert new.version == "atw-2"
    assert new == calendar_by_version("atw-2")
    assert old.version == "atw-1"
    assert old.is_working_day(D(2027, 5, 7))
    assert not new.is_working_day(D(2027, 5, 7))
    # A hypothetical future decree (test data only).
    future = Decree("Besluit gelijkstelling (test)", (D(2029, 5, 11),), (2029, 2030, 2031))
    newer = new.with_decree(future)
    assert newer.version == "atw-3"
    assert not newer.is_working_day(D(2029, 5, 11))
    assert new.is_working_day(D(2029, 5, 11))
    assert 2029 in newer.decree_years
    assert 2029 not in new.decree_years


def test_adding_the_same_decree_twice_is_refused() -> None:
    with pytest.raises(RuleViolation) as info:
        CAL.with_decree(DECREE_2026_2028)
    assert info.value.code == "DECREE_ALREADY_PRESENT"


def test_version_bump_without_number() -> None:
    assert WorkingDayCalendar("custom").with_decree(DECREE_2023_2025).version == "custom-1"


def test_decree_dates_must_lie_in_its_years() -> None:
    with pytest.raises(RuleViolation) as info:
        Decree("Besluit (test)", (D(2030, 1, 2),), (2026, 2027, 2028))
    assert info.value.code == "INVALID_DECREE"


# --- properties ----------------------------------------------------------------------------

days = st.dates(min_value=D(2022, 12, 1), max_value=D(2029, 1, 31))
counts = st.integers(min_value=0, max_value=60)


@given(days, st.integers(min_value=1, max_value=60))
def test_result_is_a_working_day(d: date, n: int) -> None:
    day, _ = CAL.add_working_days(d, n)
    assert CAL.is_working_day(day)
    assert CAL.count_working_days(d, day) == n


@given(days, counts, counts)
def test_monotonic_in_n(d: date, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert CAL.add_working_days(d, lo)[0] <= CAL.add_working_days(d, hi)[0]
    if lo < hi:
        assert CAL.add_working_days(d, lo)[0] < CAL.add_working_days(d, hi)[0]


@given(days, days, counts)
def test_monotonic_in_start(a: date, b: date, n: int) -> None:
    lo, hi = sorted((a, b))
    assert CAL.add_working_days(lo, n)[0] <= CAL.add_working_days(hi, n)[0]


@given(days, counts)
def test_skipped_days_are_exactly_the_non_working_days_passed(d: date, n: int) -> None:
    day, skipped = CAL.add_working_days(d, n)
    between = [d + timedelta(days=i) for i in range(1, (day - d).days)]
    expected = [SkippedDay(x, r) for x in between if (r := CAL.non_working_reason(x)) is not None]
    assert list(skipped) == expected


@given(days)
def test_run_on_lands_on_the_first_working_day(d: date) -> None:
    day, skipped = CAL.atw_run_on(d)
    assert CAL.is_working_day(day)
    assert [s.date for s in skipped] == [d + timedelta(days=i) for i in range((day - d).days)]
    assert all(not CAL.is_working_day(s.date) for s in skipped)


@given(days)
def test_end_of_local_day_belongs_to_that_day(d: date) -> None:
    end = end_of_local_day(d)
    assert local_date(end) == d
    assert local_date(end + timedelta(microseconds=1)) == d + timedelta(days=1)
    assert local_date(start_of_local_day(d)) == d
