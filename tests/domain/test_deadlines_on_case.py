"""Deadlines on a household case, moved through time, at the aggregate (no database).

Given a melding on a date, when the assessment (or the tick, or a new calendar) happens, then
the deadlines are met, met late, breached once, closed unmet, or rescheduled — with the
calendar days that were skipped recorded on the deadline, and replay reproducing all of it.
The store-backed tick, the deadline index and replay with snapshots are tested in
``tests/application/test_deadlines_on_case.py``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from hgkm_workflow.clock import SettableClock
from hgkm_workflow.domain.calendar import Decree, default_calendar
from hgkm_workflow.domain.deadlines import compute_due
from hgkm_workflow.errors import RuleViolation
from hgkm_workflow.phases.lifecycle import CasePhase
from tests.domain.driver import LT, LT2_REGISSEUR, DomainCases, Household, refused

AMS = ZoneInfo("Europe/Amsterdam")


def ams(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, us: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, us, tzinfo=AMS)


def end_of_day(d: date) -> datetime:
    return datetime.combine(d, time(23, 59, 59, 999999), tzinfo=AMS).astimezone(UTC)


def only(app: DomainCases, case_id: UUID | None, rule_id: str) -> Any:
    assert case_id is not None
    found = [d for d in app.get_case(case_id, access=READ).deadlines if d.rule_id == rule_id]
    assert len(found) == 1, [d.rule_id for d in app.get_case(case_id, access=READ).deadlines]
    return found[0]


def events_named(app: DomainCases, case_id: UUID | None, name: str) -> list[Any]:
    assert case_id is not None
    return [e for e in app.case_events(case_id, access=READ) if type(e).__name__ == name]


READ = None  # nobody is asked at the aggregate


@pytest.fixture
def app(clock: SettableClock) -> DomainCases:
    return DomainCases(clock)


def melding_before_easter(app: DomainCases, clock: SettableClock) -> Household:
    """A melding on Thursday 2 April 2026, 10:15 in Amsterdam."""
    clock.set(ams(2026, 4, 2, 10, 15))
    h = Household(app, clock)
    h.melding()
    return h


T1_DUE_AFTER_EASTER = end_of_day(date(2026, 4, 13))


# ---------------------------------------------------------------------------------- T1


def test_t1_skips_goede_vrijdag_and_tweede_paasdag(app: DomainCases,
                                                  clock: SettableClock) -> None:
    h = melding_before_easter(app, clock)
    t1 = only(app, h.case_id, "T1")
    assert t1.status == "open"
    assert t1.start == ams(2026, 4, 2, 10, 15)
    assert t1.due == T1_DUE_AFTER_EASTER
    assert t1.due.astimezone(AMS) == ams(2026, 4, 13, 23, 59, 59, 999999)
    assert t1.calendar_version == default_calendar().version
    skipped = dict(t1.skipped)
    assert list(skipped) == ["2026-04-03", "2026-04-04", "2026-04-05", "2026-04-06",
                             "2026-04-11", "2026-04-12"]
    assert "Goede Vrijdag" in skipped["2026-04-03"]
    assert "Paasdag" in skipped["2026-04-06"]
    assert skipped["2026-04-04"] == "Saturday" and skipped["2026-04-05"] == "Sunday"


@pytest.mark.parametrize("assessed_at", [ams(2026, 4, 13, 23, 30), T1_DUE_AFTER_EASTER],
                         ids=["last-evening", "last-instant"])
def test_assessment_on_the_last_day_is_on_time(
    app: DomainCases, clock: SettableClock, assessed_at: datetime
) -> None:
    h = melding_before_easter(app, clock)
    clock.set(assessed_at)
    h.assess("handover_local_team")
    t1 = only(app, h.case_id, "T1")
    assert (t1.status, t1.late_seconds, t1.breached) == ("met", None, False)
    assert app.load_case(h.case_id, access=READ).deadlines[t1.deadline_id]["met_at"] == assessed_at


def test_late_assessment_is_met_late_with_the_lateness(
    app: DomainCases, clock: SettableClock
) -> None:
    h = melding_before_easter(app, clock)
    clock.set(ams(2026, 4, 14, 9, 0))
    h.assess("handover_local_team")
    t1 = only(app, h.case_id, "T1")
    assert t1.status == "met_late"
    assert t1.late_seconds is not None and t1.late_seconds > 0
    assert t1.late_seconds == pytest.approx(9 * 3600, abs=0.001)


def test_a_breach_is_recorded_exactly_once_by_two_ticks(
    app: DomainCases, clock: SettableClock
) -> None:
    h = melding_before_easter(app, clock)
    t1_id = only(app, h.case_id, "T1").deadline_id
    assert all(r.deadline_id != t1_id for r in app.tick(T1_DUE_AFTER_EASTER))
    first = app.tick(T1_DUE_AFTER_EASTER + timedelta(microseconds=1))
    t1_records = [r for r in first if r.deadline_id == t1_id]
    assert [(r.kind, r.rule_id, r.due) for r in t1_records] == [
        ("breach", "T1", T1_DUE_AFTER_EASTER)]
    assert t1_records[0].detail["blocking"] is False
    second = app.tick(T1_DUE_AFTER_EASTER + timedelta(days=2))
    assert all(r.deadline_id != t1_id for r in second)
    breaches = [e for e in events_named(app, h.case_id, "DeadlineBreached")
                if e.deadline_id == t1_id]
    assert len(breaches) == 1
    assert breaches[0].detected_at == T1_DUE_AFTER_EASTER + timedelta(microseconds=1)
    t1 = only(app, h.case_id, "T1")
    assert (t1.status, t1.breached) == ("open", True)
    # the assessment must still be done, and is then late
    clock.set(ams(2026, 4, 16, 11, 0))
    h.assess("no_further_action")
    t1 = only(app, h.case_id, "T1")
    assert t1.status == "met_late" and t1.breached


# ---------------------------------------------------------------------------------- T3


def test_t3_starts_with_the_onderzoek_and_is_ordenend(
    app: DomainCases, clock: SettableClock
) -> None:
    clock.set(ams(2026, 3, 2, 9, 0))
    h = Household(app, clock)
    h.melding()
    started = ams(2026, 3, 5, 10, 0)
    clock.set(started)
    h.assess("onderzoek")
    t3 = only(app, h.case_id, "T3")
    assert t3.start == started  # from the start of the onderzoek, not from the melding
    # ten weeks end on Hemelvaartsdag 14 May 2026; Atw art. 1 runs on past the decreed
    # 15 May and the weekend to Monday 18 May
    assert t3.due == end_of_day(date(2026, 5, 18))
    skipped = dict(t3.skipped)
    assert list(skipped) == ["2026-05-14", "2026-05-15", "2026-05-16", "2026-05-17"]
    assert "Hemelvaartsdag" in skipped["2026-05-14"]
    assert "Besluit gelijkstelling" in skipped["2026-05-15"]
    records = [r for r in app.tick(t3.due + timedelta(hours=1)) if r.deadline_id == t3.deadline_id]
    assert [(r.kind, r.detail["blocking"]) for r in records] == [("breach", False)]
    # ordenend: the case continues and VT keeps its authority to complete the onderzoek
    assert app.get_case(h.case_id, access=READ).phase is CasePhase.DIRECTE_VEILIGHEID
    clock.set(ams(2026, 5, 20, 14, 0))
    app.complete_vt_service(h.cmd(result="handover_local_team", conclusion="confirmed",
                                  veiligheidsvoorwaarden=["geen_geweld"],
                                  handover_to=LT2_REGISSEUR))
    t3 = only(app, h.case_id, "T3")
    assert t3.status == "met_late" and t3.breached
    assert t3.late_seconds == pytest.approx(
        (ams(2026, 5, 20, 14, 0) - end_of_day(date(2026, 5, 18))).total_seconds(), abs=0.001)
    assert app.get_case(h.case_id, access=READ).vt_service["state"] == "idle"


@pytest.mark.parametrize("melder", ["anoniem", "burger"])
def test_no_feedback_is_owed_to_an_anonymous_melder(
    app: DomainCases, clock: SettableClock, melder: str
) -> None:
    """T5 and T5b start for every melder who can be reached, and never for an anonymous one."""
    clock.set(ams(2026, 3, 2, 9, 0))
    h = Household(app, clock)
    h.melding(melder_type=melder)
    h.advance(hours=2)
    h.assess("onderzoek")
    h.advance(days=20)
    app.complete_vt_service(h.cmd(result="handover_local_team", conclusion="confirmed",
                                  veiligheidsvoorwaarden=["geen_geweld"],
                                  handover_to=LT2_REGISSEUR))
    assert h.case_id is not None
    rules = sorted(d.rule_id for d in app.get_case(h.case_id, access=READ).deadlines)
    if melder == "anoniem":
        assert "T5" not in rules and "T5b" not in rules
        exc = refused(app, lambda: app.inform_melder(h.cmd(melding_id=str(h.melding_id))),
                      RuleViolation)
        assert (exc.code, exc.rule) == ("MELDER_ANONYMOUS", "T5 terugkoppeling melder")
        # nothing is left open for the scheduler to breach
        far = clock.now() + timedelta(days=60)
        assert all(r.rule_id not in ("T5", "T5b") for r in app.tick(far))
    else:
        assert {"T5", "T5b"} <= set(rules)
        app.inform_melder(h.cmd(melding_id=str(h.melding_id)))
        assert {d.rule_id: d.status for d in app.get_case(h.case_id, access=READ).deadlines
                if d.rule_id in ("T5", "T5b")} == {"T5": "met_late", "T5b": "met"}


def test_a_region_may_count_t3_from_the_melding(clock: SettableClock) -> None:
    """The documented alternative reading of T3 (from receipt) moves the due date on a case."""
    from hgkm_workflow.domain.deadlines import RuleOverride, default_rulebook

    rules = default_rulebook().with_overrides({"T3": RuleOverride(counts_from="MeldingReceived")})
    app = DomainCases(clock, rules=rules)
    received = ams(2026, 3, 2, 9, 0)
    clock.set(received)
    h = Household(app, clock)
    h.melding()
    clock.set(ams(2026, 3, 6, 10, 0))
    h.assess("onderzoek")
    t3 = only(app, h.case_id, "T3")
    assert t3.start == received                        # from the melding, not the service
    assert t3.due == end_of_day(date(2026, 5, 11))      # ten weeks after Monday 2 March
    national = compute_due(default_rulebook().get("T3"), ams(2026, 3, 6, 10, 0), app.calendar)
    assert national.due == end_of_day(date(2026, 5, 18))  # 15 May is a decreed day: run on
    assert national.due != t3.due


# ---------------------------------------------------------------------------------- closure


def test_closing_with_an_open_statutory_deadline_needs_a_reason(
    app: DomainCases, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    h.advance(days=3)
    h.melding()  # a vervolgmelding: its T1 is open
    t1_open = [d for d in app.get_case(h.case_id, access=READ).deadlines
               if d.rule_id == "T1" and d.status == "open"]
    assert len(t1_open) == 1
    exc = refused(app, lambda: app.close_case(h.cmd(actor=LT, reason="household_not_reachable")),
                  RuleViolation)
    assert exc.code == "OPEN_STATUTORY_DEADLINE"
    assert "T1" in exc.rule
    reason = "household moved abroad, assessment no longer possible"
    app.close_case(h.cmd(actor=LT, reason="household_not_reachable",
                         open_deadline_reason=reason))
    case = app.load_case(h.case_id, access=READ)
    assert case.phase == "closed"
    assert case.closure is not None and case.closure["open_deadline_reason"] == reason
    t1 = case.deadlines[t1_open[0].deadline_id]
    assert t1["status"] == "closed_unmet" and t1["closed_reason"] == reason
    # only the feedback owed to the melders (T5) outlives the case
    still_open = sorted(d["rule_id"] for d in case.deadlines.values() if d["status"] == "open")
    assert still_open == ["T5"]
    assert [d.rule_id for d in app.open_deadlines(case_id=h.case_id, access=READ)] == ["T5"]


def test_assessing_one_melding_does_not_silently_abandon_another(
    app: DomainCases, clock: SettableClock
) -> None:
    """No action on the first melding does not close the case while a second one awaits its
    statutory assessment; the case closes when the last one is assessed."""
    h = Household(app, clock)
    h.melding()
    first = h.melding_id
    h.advance(hours=2)
    h.melding()
    second = h.melding_id
    h.advance(hours=2)
    app.complete_veiligheidsbeoordeling(h.cmd(melding_id=str(first), outcome="no_further_action"))
    case = app.load_case(h.case_id, access=READ)
    assert case.phase == "triage" and case.closure is None
    assert case.meldingen[str(second)]["state"] == "received"
    t1_second = [d for d in case.deadlines.values()
                 if d["rule_id"] == "T1" and d["melding_id"] == str(second)]
    assert [d["status"] for d in t1_second] == ["open"]
    h.advance(hours=2)
    app.complete_veiligheidsbeoordeling(h.cmd(melding_id=str(second),
                                              outcome="no_further_action"))
    case = app.load_case(h.case_id, access=READ)
    assert case.phase == "closed" and case.times_closed == 1
    assert [d["status"] for d in case.deadlines.values() if d["rule_id"] == "T1"] == [
        "met", "met"]


def test_closing_during_an_onderzoek_ends_it_and_does_not_block_the_next_one(
    app: DomainCases, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    h.assess("onderzoek")
    app.assign_casusregisseur(h.cmd(actor=LT, regisseur=LT2_REGISSEUR))
    h.advance(days=3)
    app.close_case(h.cmd(actor=LT, reason="transferred_to_other_region",
                         open_deadline_reason="the household moved to another region"))
    view = app.get_case(h.case_id, access=READ)
    assert view.vt_service["state"] == "idle"
    assert only(app, h.case_id, "T3").status == "closed_unmet"
    h.advance(days=60)
    h.melding()
    h.assess("onderzoek")
    view = app.get_case(h.case_id, access=READ)
    assert view.vt_service["state"] == "running"
    assert [d.status for d in view.deadlines if d.rule_id == "T3"] == ["closed_unmet", "open"]


# ---------------------------------------------------------------------------------- calendar


NEW_DECREE = Decree(name="Besluit gelijkstelling van 8 april 2026 (testbesluit)",
                    dates=(date(2026, 4, 8),), years=(2026,))


def test_a_new_decree_leaves_a_breached_deadline_where_it_was(
    app: DomainCases, clock: SettableClock
) -> None:
    spanning = melding_before_easter(app, clock)
    records = app.tick(T1_DUE_AFTER_EASTER + timedelta(hours=1))   # T1 breached on 14 April
    assert "T1" in [r.rule_id for r in records]
    calendar = default_calendar().with_decree(NEW_DECREE)         # 8 April becomes a holiday
    moved = app.apply_calendar(calendar, NEW_DECREE.name)
    assert [m for m in moved if m["case_id"] == str(spanning.case_id)] == []
    t1 = only(app, spanning.case_id, "T1")
    assert (t1.due, t1.breached, t1.status) == (T1_DUE_AFTER_EASTER, True, "open")


def test_a_new_decree_moves_an_open_t1_deadline_that_spans_it(
    app: DomainCases, clock: SettableClock
) -> None:
    spanning = melding_before_easter(app, clock)
    # a melding whose T1 is already met keeps its due instant
    met = Household(app, clock)
    met.melding()
    met.assess("handover_local_team")
    # a melding after the decreed day is not affected
    clock.set(ams(2026, 4, 9, 9, 0))
    later = Household(app, clock)
    later.melding()
    later_due = only(app, later.case_id, "T1").due
    assert later_due == end_of_day(date(2026, 4, 16))
    old_version = app.calendar.version

    calendar = default_calendar().with_decree(NEW_DECREE)
    assert calendar.version != old_version
    moved = app.apply_calendar(calendar, NEW_DECREE.name)

    t1 = only(app, spanning.case_id, "T1")
    assert t1.due == end_of_day(date(2026, 4, 14))  # one working day later
    assert t1.calendar_version == calendar.version
    assert dict(t1.skipped)["2026-04-08"].startswith(NEW_DECREE.name)
    assert [(m["case_id"], m["rule_id"], m["old_due"], m["new_due"]) for m in moved
            if m["rule_id"] == "T1"] == [
        (str(spanning.case_id), "T1", T1_DUE_AFTER_EASTER, end_of_day(date(2026, 4, 14)))]
    (event,) = events_named(app, spanning.case_id, "DeadlineRescheduled")
    assert (event.deadline_id, event.old_due, event.new_due) == (
        t1.deadline_id, T1_DUE_AFTER_EASTER, end_of_day(date(2026, 4, 14)))
    assert event.decree == NEW_DECREE.name and event.calendar_version == calendar.version
    # the plain-language count is recomputed with the deadline, and names the decreed day
    counted = app.load_case(spanning.case_id, access=READ).deadlines[t1.deadline_id]["counting"]
    assert event.counting == counted
    assert counted == compute_due(app.rules.get("T1"), t1.start, calendar).counting
    assert counted != compute_due(app.rules.get("T1"), t1.start, default_calendar()).counting
    # on the assessed case only the open T5 (feedback to the melder) moved, not the met T1
    met_t1, met_t5 = only(app, met.case_id, "T1"), only(app, met.case_id, "T5")
    assert [e.deadline_id for e in events_named(app, met.case_id, "DeadlineRescheduled")] == [
        met_t5.deadline_id]
    assert met_t5.due == end_of_day(date(2026, 4, 14))
    assert met_t1.calendar_version == old_version
    assert events_named(app, later.case_id, "DeadlineRescheduled") == []
    assert only(app, later.case_id, "T1").due == later_due
    assert only(app, met.case_id, "T1").due == T1_DUE_AFTER_EASTER
    # the scheduler follows the new due instant
    records = app.tick(T1_DUE_AFTER_EASTER + timedelta(hours=1))
    assert all(r.deadline_id != t1.deadline_id for r in records)
    records = app.tick(end_of_day(date(2026, 4, 14)) + timedelta(hours=1))
    assert [r.rule_id for r in records if r.deadline_id == t1.deadline_id] == ["T1"]
    # applying the same calendar again moves nothing
    assert app.apply_calendar(calendar, NEW_DECREE.name) == []
    # a new melding is counted with the new calendar
    clock.set(ams(2026, 4, 7, 9, 0))
    fresh_case = Household(app, clock)
    fresh_case.melding()
    t1_new = only(app, fresh_case.case_id, "T1")
    assert t1_new.calendar_version == calendar.version
    assert t1_new.due == end_of_day(date(2026, 4, 15))  # 8 April does not count
    # replay reproduces the rescheduled deadline
    assert app.replayed(spanning.case_id).deadlines == \
        app.load_case(spanning.case_id, access=READ).deadlines
