"""Deadlines on a household case through the application: index, tick, calendar, replay.

The deadline rules on a case (met, met late, closed unmet, who may close, regional counting)
are tested at the aggregate in ``tests/domain/test_deadlines_on_case.py``. Here: the deadline
index the scheduler reads agrees with the case, the store-backed tick records a breach once,
a new calendar moves the stored deadlines, and replay from the store (with and without
snapshots) reproduces every deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.domain.calendar import Decree, calendar_by_version, default_calendar, local_date
from tests.support import READ, Household

AMS = ZoneInfo("Europe/Amsterdam")


def ams(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, us: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, us, tzinfo=AMS)


def end_of_day(d: date) -> datetime:
    return datetime.combine(d, time(23, 59, 59, 999999), tzinfo=AMS).astimezone(UTC)


def only(app: HgkmApplication, case_id: UUID | None, rule_id: str) -> Any:
    assert case_id is not None
    found = [d for d in app.get_case(case_id, access=READ).deadlines if d.rule_id == rule_id]
    assert len(found) == 1, [d.rule_id for d in app.get_case(case_id, access=READ).deadlines]
    return found[0]


def events_named(app: HgkmApplication, case_id: UUID | None, name: str) -> list[Any]:
    assert case_id is not None
    return [e for e in app.case_events(case_id, access=READ) if type(e).__name__ == name]


def melding_before_easter(app: HgkmApplication, clock: SettableClock) -> Household:
    """A melding on Thursday 2 April 2026, 10:15 in Amsterdam."""
    clock.set(ams(2026, 4, 2, 10, 15))
    h = Household(app, clock)
    h.melding()
    return h


T1_DUE_AFTER_EASTER = end_of_day(date(2026, 4, 13))


# ---------------------------------------------------------------------------------- T1


def test_the_deadline_index_agrees_with_the_case_over_easter(app: HgkmApplication,
                                                             clock: SettableClock) -> None:
    h = melding_before_easter(app, clock)
    t1 = only(app, h.case_id, "T1")
    assert t1.due == T1_DUE_AFTER_EASTER  # counting: tests/domain/test_deadlines_on_case.py
    # the index the scheduler reads agrees with the case
    (row,) = [d for d in app.open_deadlines(case_id=h.case_id, access=READ) if d.rule_id == "T1"]
    assert row.due == t1.due and not row.breached


def test_the_store_backed_tick_records_a_breach_once(
    app: HgkmApplication, clock: SettableClock, make_app: Callable[..., HgkmApplication]
) -> None:
    """The store-backed tick: the index finds the due deadline, one breach is stored."""
    h = melding_before_easter(app, clock)
    t1_id = only(app, h.case_id, "T1").deadline_id
    assert all(r.deadline_id != t1_id for r in app.tick(T1_DUE_AFTER_EASTER))
    first = app.tick(T1_DUE_AFTER_EASTER + timedelta(microseconds=1))
    assert [(r.kind, r.rule_id, r.due) for r in first if r.deadline_id == t1_id] == [
        ("breach", "T1", T1_DUE_AFTER_EASTER)]
    # a second tick, also by another application on the same store, records nothing more
    other = make_app(app.config.url)
    assert all(r.deadline_id != t1_id for r in other.tick(T1_DUE_AFTER_EASTER + timedelta(days=2)))
    assert all(r.deadline_id != t1_id for r in app.tick(T1_DUE_AFTER_EASTER + timedelta(days=3)))
    breaches = [e for e in events_named(other, h.case_id, "DeadlineBreached")
                if e.deadline_id == t1_id]
    assert len(breaches) == 1
    assert breaches[0].detected_at == T1_DUE_AFTER_EASTER + timedelta(microseconds=1)
    (row,) = [d for d in app.open_deadlines(case_id=h.case_id, access=READ) if d.rule_id == "T1"]
    assert row.breached  # the index the scheduler reads knows the breach


# ---------------------------------------------------------------------------------- calendar


NEW_DECREE = Decree(name="Besluit gelijkstelling van 8 april 2026 (testbesluit)",
                    dates=(date(2026, 4, 8),), years=(2026,))


def test_apply_calendar_moves_the_stored_deadlines_that_span_the_decree(
    app: HgkmApplication, clock: SettableClock, make_app: Callable[..., HgkmApplication]
) -> None:
    """The store part of a new calendar: which cases the index hands to ``apply_calendar``,
    what is stored, the tick on the moved due instant, and replay. How one deadline is
    recounted is tested at the aggregate (tests/domain/test_deadlines_on_case.py)."""
    spanning = melding_before_easter(app, clock)
    met = Household(app, clock)          # T1 met: only its open T5 moves
    met.melding()
    met.assess("handover_local_team")
    clock.set(ams(2026, 4, 9, 9, 0))     # after the decreed day: nothing moves
    later = Household(app, clock)
    later.melding()
    later_due = only(app, later.case_id, "T1").due

    calendar = default_calendar().with_decree(NEW_DECREE)
    moved = app.apply_calendar(calendar, NEW_DECREE.name)

    new_due = end_of_day(date(2026, 4, 14))  # one working day later
    t1 = only(app, spanning.case_id, "T1")
    assert t1.due == new_due and t1.calendar_version == calendar.version
    assert {m["case_id"] for m in moved} == {str(spanning.case_id), str(met.case_id)}
    assert [m["rule_id"] for m in moved if m["case_id"] == str(met.case_id)] == ["T5"]
    assert [(m["old_due"], m["new_due"]) for m in moved
            if m["case_id"] == str(spanning.case_id) and m["rule_id"] == "T1"] == [
        (T1_DUE_AFTER_EASTER, new_due)]
    (event,) = events_named(app, spanning.case_id, "DeadlineRescheduled")
    assert (event.deadline_id, event.old_due, event.new_due) == (
        t1.deadline_id, T1_DUE_AFTER_EASTER, new_due)
    assert events_named(app, later.case_id, "DeadlineRescheduled") == []
    assert only(app, later.case_id, "T1").due == later_due
    # the index follows: the store-backed tick breaches at the new due instant, not the old
    (row,) = [d for d in app.open_deadlines(case_id=spanning.case_id, access=READ)
              if d.rule_id == "T1"]
    assert row.due == new_due
    records = app.tick(T1_DUE_AFTER_EASTER + timedelta(hours=1))
    assert all(r.deadline_id != t1.deadline_id for r in records)
    records = app.tick(new_due + timedelta(hours=1))
    assert [r.rule_id for r in records if r.deadline_id == t1.deadline_id] == ["T1"]
    # applying the same calendar again moves nothing
    assert app.apply_calendar(calendar, NEW_DECREE.name) == []
    # a new melding through the application is counted with the new calendar
    clock.set(ams(2026, 4, 7, 9, 0))
    fresh_case = Household(app, clock)
    fresh_case.melding()
    assert only(app, fresh_case.case_id, "T1").calendar_version == calendar.version
    # replay from the store reproduces the rescheduled deadline
    replay = make_app(app.config.url, snapshot_interval=0)
    assert replay.load_case(spanning.case_id, access=READ).deadlines == \
        app.load_case(spanning.case_id, access=READ).deadlines


# ---------------------------------------------------------------------------------- property

_OUTCOMES = ["no_further_action", "handover_local_team", "onderzoek", "voorwaarden_en_vervolg",
             "crisis_intervention", "escalate_mda"]


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    received=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 20),
                          timezones=st.just(AMS)),
    acute=st.booleans(),
    melder=st.sampled_from(["politie", "onderwijs", "burger"]),
    assess_after=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=12)),
    outcome=st.sampled_from(_OUTCOMES),
    tick_after=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=100)),
    snapshot_interval=st.sampled_from([0, 2, 5]),
)
def test_replay_reproduces_every_deadline_exactly(
    tmp_path_factory: pytest.TempPathFactory, received: datetime, acute: bool, melder: str,
    assess_after: timedelta, outcome: str, tick_after: timedelta, snapshot_interval: int,
) -> None:
    received = received.replace(fold=0)
    url = f"sqlite:///{tmp_path_factory.mktemp('replay') / 'hgkm.db'}"
    clock = SettableClock(received)
    app = HgkmApplication(url, clock=clock, snapshot_interval=snapshot_interval)
    replay: HgkmApplication | None = None
    try:
        h = Household(app, clock)
        h.melding(acute=acute, melder_type=melder)
        t1 = only(app, h.case_id, "T1")
        # T1: the end of the 5th working day after the (local) day of receipt
        cal = calendar_by_version(t1.calendar_version)
        due_day = local_date(t1.due)
        assert t1.due == end_of_day(due_day)
        assert cal.is_working_day(due_day)
        assert cal.count_working_days(local_date(received), due_day) == 5
        assert {d for d, _ in t1.skipped} == {
            (local_date(received) + timedelta(days=i)).isoformat()
            for i in range(1, (due_day - local_date(received)).days)
            if not cal.is_working_day(local_date(received) + timedelta(days=i))}
        clock.advance(assess_after)
        h.assess(outcome)
        app.tick(clock.now() + tick_after)
        replay = HgkmApplication(url, clock=clock, snapshot_interval=0)
        live = app.load_case(h.case_id, access=READ)
        again = replay.load_case(h.case_id, access=READ)
        assert again.deadlines == live.deadlines
        assert again.state_dict() == live.state_dict()
        t1 = live.deadlines[t1.deadline_id]
        expected = "met" if clock.now() <= t1["due"] else "met_late"
        assert t1["status"] == expected
    finally:
        app.close()
        if replay is not None:
            replay.close()
        from hgkm_workflow.projections import dispose_engines

        dispose_engines()


def test_a_busy_case_does_not_cost_the_host_the_breaches_of_the_others(
    app: HgkmApplication, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hgkm_workflow.errors import ConcurrentModification

    clock.set(ams(2026, 3, 2, 9, 0))
    busy, calm = Household(app, clock), Household(app, clock)
    busy.melding()
    calm.melding()
    original = app.scheduler.tick_case

    def flaky(case_id: UUID, ids: list[str], at: datetime) -> Any:
        if case_id == busy.case_id:
            raise ConcurrentModification("case kept changing")
        return original(case_id, ids, at)

    monkeypatch.setattr(app.scheduler, "tick_case", flaky)
    late = ams(2026, 3, 20, 9, 0)
    first = app.tick(late)
    assert {r.case_id for r in first} == {calm.case_id}     # returned despite the busy case
    monkeypatch.setattr(app.scheduler, "tick_case", original)
    second = app.tick(late)
    assert {r.case_id for r in second} == {busy.case_id}    # the busy case on the next tick
    assert "T1" in [r.rule_id for r in second]
