"""Time-limit rules T1-T11: due instants by hand, overrides, explanations, properties."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from hgkm_workflow.domain.calendar import (
    calendar_by_version,
    default_calendar,
    end_of_local_day,
    local_date,
)
from hgkm_workflow.domain.deadlines import (
    BreachEffect,
    DeadlineRule,
    RuleBook,
    RuleOverride,
    RuleType,
    Unit,
    checkpoint_dues,
    compute_due,
    default_rulebook,
    explain,
    lateness,
    render_rules_markdown,
)
from hgkm_workflow.errors import RuleViolation

AMS = ZoneInfo("Europe/Amsterdam")
BOOK = default_rulebook()
CAL = default_calendar()
MICRO = timedelta(microseconds=1)


def local(y: int, m: int, d: int, hour: int) -> datetime:
    """An Amsterdam wall-clock instant (on the hour)."""
    return datetime(y, m, d, hour, tzinfo=AMS)


def utc_end(y: int, m: int, d: int, utc_hour: int) -> datetime:
    """The last microsecond before ``utc_hour``:00 UTC on that day."""
    return datetime(y, m, d, utc_hour, tzinfo=UTC) - MICRO


# --- the rule book -------------------------------------------------------------------------

CLI_NAMES = {
    "T1": "veiligheidsbeoordeling",
    "T2": "acute_melding",
    "T3": "onderzoek",
    "T4": "monitoring",
    "T5": "terugkoppeling_melder",
    "T5b": "terugkoppeling_melder_onderzoek",
    "T6": "huisverbod",
    "T7": "huisverbod_verlenging",
    "T8": "contactadres",
    "T9": "hulpaanbod_huisverbod",
    "T10": "handle_with_care",
    "T11": "stalking_risicohorizon",
    "T12": "informeren_betrokkenen",
}


def test_rule_ids_and_names_are_the_cli_contract() -> None:
    assert {r.id: r.name for r in BOOK} == CLI_NAMES
    assert [r.id for r in BOOK.rules] == list(CLI_NAMES)


def test_rule_properties_from_the_domain_brief() -> None:
    t1, t3, t4, t6, t7 = (BOOK.get(k) for k in ("T1", "onderzoek", "T4", "T6", "T7"))
    assert (t1.length, t1.unit, t1.counts_start_day) == (5, Unit.WORKING_DAYS, False)
    assert (t1.rule_type, t1.breach_effect) == (RuleType.STATUTORY, BreachEffect.RECORDED)
    assert (t3.length, t3.unit, t3.atw_extends) == (10, Unit.WEEKS, True)
    assert t3.breach_effect is BreachEffect.RECORDED  # ordenend
    assert (t4.length, t4.unit, t4.checkpoints, t4.rule_type) == (
        18, Unit.MONTHS, (3, 6, 12), RuleType.PROTOCOL,
    )  # fmt: skip
    assert (t6.unit, t6.atw_extends, t6.end_of_day) == (Unit.CALENDAR_DAYS, False, False)
    assert (t7.length, t7.breach_effect, t7.count_start_event) == (
        28, BreachEffect.BLOCKING, "HuisverbodImposed",
    )  # fmt: skip
    assert BOOK.get("T10").rule_type is RuleType.REGIONAL
    assert all(r.version == 1 and r.variant == "national" for r in BOOK)


def test_lookup_by_event() -> None:
    assert [r.id for r in BOOK.starting_on("MeldingReceived")] == ["T1", "T2", "T10"]
    assert [r.id for r in BOOK.satisfied_by("MelderInformed")] == ["T5", "T5b"]
    assert [r.id for r in BOOK.starting_on("HuisverbodImposed")] == ["T6", "T8"]
    assert [r.id for r in BOOK.starting_on("HuisverbodImposed", include_disabled=True)] == [
        "T6", "T8", "T9",
    ]  # fmt: skip


def test_unknown_rule() -> None:
    with pytest.raises(RuleViolation) as info:
        BOOK.get("T99")
    assert info.value.code == "UNKNOWN_RULE"
    with pytest.raises(RuleViolation) as info:
        explain("no_such_rule", local(2026, 1, 5, 9))
    assert info.value.code == "UNKNOWN_RULE"


def test_duplicate_rules_are_refused() -> None:
    with pytest.raises(RuleViolation) as info:
        RuleBook((BOOK.get("T1"), BOOK.get("T1")))
    assert info.value.code == "INVALID_RULE"


def test_invalid_rule_data_is_refused() -> None:
    t8 = BOOK.get("T8")
    with pytest.raises(RuleViolation) as info:
        DeadlineRule(
            id="X1", name="x", length=1, unit=Unit.HOURS, atw_extends=True, starts_on="A",
            satisfied_by=("B",), rule_type=RuleType.REGIONAL,
            breach_effect=BreachEffect.RECORDED, legal_source=t8.legal_source, description="x",
        )  # fmt: skip
    assert info.value.code == "INVALID_RULE"


# --- known answers, computed by hand -------------------------------------------------------


def test_t1_over_easter_2026() -> None:
    # Melding Thursday 2 April 2026 12:00 local; the day of receipt does not count.
    # Fri 3 Goede Vrijdag, Sat 4, Sun 5, Mon 6 tweede Paasdag: skipped.
    # Tue 7 (1), Wed 8 (2), Thu 9 (3), Fri 10 (4), Sat 11 / Sun 12 skipped, Mon 13 (5).
    # So NOT Friday 10 April: due at the end of Monday 13 April (CEST, UTC+2).
    due = compute_due(BOOK.get("T1"), local(2026, 4, 2, 12))
    assert due.due == utc_end(2026, 4, 13, 22)
    assert [s.date.day for s in due.skipped] == [3, 4, 5, 6, 11, 12]
    assert due.calendar_version == "atw-2"
    assert (due.rule_id, due.rule_name, due.rule_version) == ("T1", "veiligheidsbeoordeling", 1)
    assert due.start == datetime(2026, 4, 2, 10, tzinfo=UTC)
    assert "day of receipt 2026-04-02 not counted" in due.counting
    assert "5th working day, 2026-04-13 (Europe/Amsterdam)" in due.counting


def test_t1_melding_received_on_a_saturday() -> None:
    # Received Sat 4 April 2026 (not counted); Sun 5, Mon 6 (tweede Paasdag) skipped;
    # Tue 7 .. Fri 10 are days 1-4, Mon 13 is day 5.
    assert compute_due(BOOK.get("T1"), local(2026, 4, 4, 10)).due == utc_end(2026, 4, 13, 22)


def test_t1_instant_just_after_local_midnight() -> None:
    # 2026-01-14T23:30Z is Thursday 15 January 00:30 CET: the day of receipt is the 15th.
    # Fri 16 (1), Mon 19 (2), Tue 20 (3), Wed 21 (4), Thu 22 (5): end of Thu 22 Jan, CET.
    due = compute_due(BOOK.get("T1"), datetime(2026, 1, 14, 23, 30, tzinfo=UTC))
    assert due.due == utc_end(2026, 1, 22, 23)


def test_t1_around_the_dst_switch() -> None:
    # 2026-03-28T23:30Z is Sunday 29 March 00:30 (CET; DST starts at 02:00 that night).
    # Mon 30 (1), Tue 31 (2), Wed 1 Apr (3), Thu 2 (4), Fri 3 Goede Vrijdag, weekend,
    # Mon 6 tweede Paasdag, Tue 7 (5): end of Tue 7 April in CEST.
    due = compute_due(BOOK.get("T1"), datetime(2026, 3, 28, 23, 30, tzinfo=UTC))
    assert due.due == utc_end(2026, 4, 7, 22)


def test_t1_over_hemelvaart_records_the_calendar_version() -> None:
    # Melding Wed 13 May 2026. atw-2: Thu 14 Hemelvaart, Fri 15 decreed, weekend,
    # Mon 18 .. Fri 22 -> end of Fri 22 May. atw-1 (no 2026 decree): Fri 15 (1),
    # Mon 18 (2), Tue 19 (3), Wed 20 (4), Thu 21 (5) -> end of Thu 21 May.
    t1 = BOOK.get("T1")
    new = compute_due(t1, local(2026, 5, 13, 10))
    old = compute_due(t1, local(2026, 5, 13, 10), calendar_by_version("atw-1"))
    assert (new.due, new.calendar_version) == (utc_end(2026, 5, 22, 22), "atw-2")
    assert (old.due, old.calendar_version) == (utc_end(2026, 5, 21, 22), "atw-1")


def test_t1_over_christmas_and_new_year() -> None:
    # Tue 23 Dec 2025: Wed 24 (1), Kerst 25-26, weekend, Mon 29 (2), Tue 30 (3), Wed 31 (4),
    # Thu 1 Jan, Fri 2 Jan (decreed), weekend, Mon 5 Jan 2026 (5) -> end of day, CET.
    assert compute_due(BOOK.get("T1"), local(2025, 12, 23, 16)).due == utc_end(2026, 1, 5, 23)


def test_t3_runs_on_over_tweede_pinksterdag() -> None:
    # Start Mon 16 March 2026; +10 weeks (70 days) = Mon 25 May 2026 = tweede Pinksterdag;
    # Atw art. 1 runs on to Tue 26 May: end of that day (CEST).
    due = compute_due(BOOK.get("T3"), local(2026, 3, 16, 9))
    assert due.due == utc_end(2026, 5, 26, 22)
    assert [(s.date, s.reason) for s in due.skipped] == [
        (date(2026, 5, 25), "Tweede Pinksterdag (Atw art. 3(1))")
    ]
    assert "Atw art. 1" in due.counting


def test_t3_runs_on_over_a_decreed_day_and_weekend() -> None:
    # Start Fri 6 March 2026; +70 days = Fri 15 May 2026 (decreed); Sat, Sun -> Mon 18 May.
    due = compute_due(BOOK.get("T3"), local(2026, 3, 6, 14))
    assert due.due == utc_end(2026, 5, 18, 22)
    assert [s.date.day for s in due.skipped] == [15, 16, 17]


def test_t3_without_run_on_needed() -> None:
    # Start Tue 17 Feb 2026 -> Tue 28 April 2026, a working day.
    due = compute_due(BOOK.get("T3"), local(2026, 2, 17, 9))
    assert (due.due, due.skipped) == (utc_end(2026, 4, 28, 22), ())


def test_t4_months_and_checkpoints() -> None:
    # Start 31 Jan 2025; months end on the same day of the month, clamped to month end;
    # T4 (P) has no Atw run-on, so a Saturday check-point stays on the Saturday.
    t4 = BOOK.get("T4")
    start = local(2025, 1, 31, 9)
    assert compute_due(t4, start).due == utc_end(2026, 7, 31, 22)
    points = checkpoint_dues(t4, start)
    assert [p.checkpoint for p in points] == [3, 6, 12]
    assert [local_date(p.due) for p in points] == [
        date(2025, 4, 30), date(2025, 7, 31), date(2026, 1, 31),
    ]  # fmt: skip
    assert checkpoint_dues(BOOK.get("T1"), start) == []


def test_t6_huisverbod_keeps_wall_clock_time_across_dst() -> None:
    # Imposed Wed 25 March 2026 18:00 CET; 10 days later is Sat 4 April 18:00 CEST,
    # a Saturday in the Easter weekend: no run-on, the huisverbod simply lasts 10 days.
    t6 = BOOK.get("T6")
    due = compute_due(t6, local(2026, 3, 25, 18))
    assert due.due == datetime(2026, 4, 4, 16, tzinfo=UTC)
    assert due.due - due.start == timedelta(days=10, hours=-1)
    # Autumn: 20 Oct 2026 18:00 CEST -> 30 Oct 18:00 CET.
    assert compute_due(t6, local(2026, 10, 20, 18)).due == datetime(2026, 10, 30, 17, tzinfo=UTC)


def test_t7_counts_28_days_from_the_imposition() -> None:
    # The caller passes the imposition instant (rule.count_start_event).
    t7 = BOOK.get("T7")
    assert t7.count_start_event == "HuisverbodImposed"
    due = compute_due(t7, local(2026, 3, 25, 18))
    assert due.due == datetime(2026, 4, 22, 16, tzinfo=UTC)


def test_hour_rules_are_exact_across_dst() -> None:
    # Imposed 28 March 2026 23:00 CET; 24 real hours later is 30 March 00:00 CEST.
    start = local(2026, 3, 28, 23)
    due = compute_due(BOOK.get("T8"), start)
    assert due.due - due.start == timedelta(hours=24)
    assert due.due_local == local(2026, 3, 30, 0)
    assert compute_due(BOOK.get("T10"), start).due == due.due


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError):
        compute_due(BOOK.get("T1"), datetime(2026, 1, 5, 9))


def test_lateness() -> None:
    due = compute_due(BOOK.get("T1"), local(2026, 4, 2, 12)).due
    assert lateness(due, due) is None
    assert lateness(due, local(2026, 4, 13, 17)) is None
    assert lateness(due, local(2026, 4, 14, 9)) == timedelta(hours=9) + MICRO


# --- overrides -----------------------------------------------------------------------------


def test_protocol_rule_override() -> None:
    book = BOOK.with_overrides(
        {"terugkoppeling_melder": RuleOverride(length=10)}, variant="region:test"
    )
    t5 = book.get("T5")
    assert (t5.length, t5.version, t5.variant) == (10, 2, "region:test")
    assert BOOK.get("T5").length == 5  # the national book is unchanged
    # Assessment Mon 13 April 2026: Tue 14 .. Fri 17 (1-4), Mon 20 .. Fri 24 (5-9),
    # Mon 27 April Koningsdag skipped, Tue 28 (10).
    assert compute_due(t5, local(2026, 4, 13, 15)).due == utc_end(2026, 4, 28, 22)


def test_checkpoints_and_regional_rules_can_be_changed() -> None:
    book = BOOK.with_overrides(
        {"T4": RuleOverride(checkpoints=(1, 2, 9)), "T10": RuleOverride(enabled=False)}
    )
    assert book.get("T4").checkpoints == (1, 2, 9)
    assert book.get("T10").enabled is False
    assert [r.id for r in book.starting_on("MeldingReceived")] == ["T1", "T2"]


def test_statutory_rule_allows_documented_alternative_start() -> None:
    book = BOOK.with_overrides({"T3": RuleOverride(counts_from="MeldingReceived")})
    t3 = book.get("T3")
    assert (t3.count_start_event, t3.starts_on, t3.version) == (
        "MeldingReceived", "VtServiceStarted", 2,
    )  # fmt: skip


def test_no_op_override_keeps_the_version() -> None:
    book = BOOK.with_overrides({"T1": RuleOverride(length=5, enabled=True)})
    assert book.get("T1") == BOOK.get("T1")


@pytest.mark.parametrize(
    ("key", "override"),
    [
        ("T1", RuleOverride(length=3)),
        ("veiligheidsbeoordeling", RuleOverride(length=3)),
        ("T1", RuleOverride(length=8)),
        ("T6", RuleOverride(enabled=False)),
        ("T3", RuleOverride(atw_extends=False)),
        ("T6", RuleOverride(atw_extends=True)),
        ("T1", RuleOverride(counts_start_day=True)),
        ("T3", RuleOverride(counts_from="VeiligheidsbeoordelingCompleted")),
    ],
)
def test_statutory_rules_are_not_overridable(key: str, override: RuleOverride) -> None:
    with pytest.raises(RuleViolation) as info:
        BOOK.with_overrides({key: override})
    assert info.value.code == "STATUTORY_RULE_NOT_OVERRIDABLE"
    assert BOOK.get(key).id in str(info.value)


def test_bad_overrides() -> None:
    with pytest.raises(RuleViolation) as info:
        BOOK.with_overrides({"T99": RuleOverride(length=1)})
    assert info.value.code == "UNKNOWN_RULE"
    with pytest.raises(RuleViolation) as info:
        BOOK.with_overrides({"T4": RuleOverride(checkpoints=(6, 24))})
    assert info.value.code == "INVALID_RULE"
    with pytest.raises(ValidationError):
        RuleOverride.model_validate({"lenght": 3})


# --- explain and the rules page ------------------------------------------------------------


def test_explain_is_json_ready_with_iso_offsets() -> None:
    result = explain("veiligheidsbeoordeling", local(2026, 4, 2, 12))
    json.dumps(result)
    assert result["rule"] == "veiligheidsbeoordeling"
    assert (result["rule_id"], result["rule_version"], result["type"]) == ("T1", 1, "W")
    assert result["due"] == "2026-04-13T21:59:59.999999+00:00"
    assert result["due_local"] == "2026-04-13T23:59:59.999999+02:00"
    assert datetime.fromisoformat(result["start"]) == local(2026, 4, 2, 12)
    assert result["calendar_version"] == "atw-2"
    assert result["skipped"][0] == {"date": "2026-04-03", "reason": "Goede Vrijdag (Atw art. 3(2))"}
    assert "vijf werkdagen" in result["legal_source"]
    assert "not counted" in result["counting"]


def test_explain_with_an_old_calendar_and_checkpoints() -> None:
    assert explain("T1", local(2026, 5, 13, 10), calendar_by_version("atw-1"))["due"] == (
        "2026-05-21T21:59:59.999999+00:00"
    )
    t4 = explain("monitoring", local(2025, 1, 31, 9))
    assert [c["checkpoint"] for c in t4["checkpoints"]] == [3, 6, 12]
    assert t4["calendar_covers_due_year"] is True
    assert explain("T4", local(2028, 6, 1, 9))["calendar_covers_due_year"] is False


def test_rules_page_mentions_every_rule() -> None:
    page = render_rules_markdown(BOOK)
    for rule in BOOK:
        assert f"| {rule.id} |" in page
        assert rule.name in page
        assert rule.legal_source in page


# --- properties ----------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2023, 1, 1), max_value=datetime(2028, 6, 30), timezones=st.just(UTC)
)
working_day_rules = st.sampled_from([r for r in BOOK if r.unit is Unit.WORKING_DAYS])


@given(working_day_rules, instants)
def test_working_day_rules_end_at_the_end_of_a_working_day(
    rule: DeadlineRule, start: datetime
) -> None:
    due = compute_due(rule, start)
    due_day = local_date(due.due)
    assert CAL.is_working_day(due_day)
    assert due.due == end_of_local_day(due_day)
    assert CAL.count_working_days(local_date(start), due_day) == rule.length
    assert all(local_date(start) < s.date < due_day for s in due.skipped)
    assert all(not CAL.is_working_day(s.date) for s in due.skipped)


@given(instants)
def test_t3_ends_on_the_first_working_day_from_ten_weeks(start: datetime) -> None:
    due_day = local_date(compute_due(BOOK.get("T3"), start).due)
    plain = local_date(start) + timedelta(weeks=10)
    assert CAL.is_working_day(due_day)
    assert due_day >= plain
    assert all(
        not CAL.is_working_day(plain + timedelta(days=i)) for i in range((due_day - plain).days)
    )


@given(instants)
def test_huisverbod_lasts_ten_wall_clock_days(start: datetime) -> None:
    due = compute_due(BOOK.get("T6"), start)
    start_wall = start.astimezone(AMS).replace(tzinfo=None)
    due_wall = due.due.astimezone(AMS).replace(tzinfo=None)
    # Exactly 10 days of wall-clock time, or one hour more when the target time does not
    # exist (it falls in the spring-forward gap).
    assert due_wall - start_wall in {timedelta(days=10), timedelta(days=10, hours=1)}
    assert abs(due.due - due.start - timedelta(days=10)) <= timedelta(hours=1)


def test_statutory_rule_can_return_to_its_own_start() -> None:
    regional = BOOK.with_overrides({"T3": RuleOverride(counts_from="MeldingReceived")})
    back = regional.with_overrides({"T3": RuleOverride(counts_from="VtServiceStarted")})
    assert (back.get("T3").count_start_event, back.get("T3").version) == ("VtServiceStarted", 3)
