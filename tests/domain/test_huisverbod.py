"""The tijdelijk huisverbod at the aggregate: imposition (T6), extension (T7), address (T8).

Wet tijdelijk huisverbod: the burgemeester imposes a huisverbod for 10 days (the same
Amsterdam wall-clock time 10 days later), may extend it before it expires to at most 28 days
after the imposition, and may revoke it. The removed person gives a contact address within
24 hours. A tick records the expiry exactly once. No database: the cases are in memory
(``tests/domain/driver.py``); storing and the tick's query are tested in
``tests/application/test_huisverbod.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import HgkmError, RuleViolation, TransitionNotAllowed
from hgkm_workflow.phases.lifecycle import CasePhase
from tests.domain.driver import BURGEMEESTER, LT, VT, DomainCases, Household

AMS = ZoneInfo("Europe/Amsterdam")


READ = None  # nobody is asked at the aggregate


@pytest.fixture
def app(clock: SettableClock) -> DomainCases:
    return DomainCases(clock)



def refused(app: DomainCases, call: Callable[[], Any], code: str | None = None,
            kind: type[HgkmError] = RuleViolation) -> HgkmError:
    """Run ``call``, expect a refusal, and check that no case changed and no event was made."""
    before = {cid: (case.version, case.state_dict()) for cid, case in app.cases.items()}
    with pytest.raises(kind) as info:
        call()
    exc = info.value
    assert exc.code and exc.rule
    if code is not None:
        assert exc.code == code
    assert {cid: (case.version, case.state_dict()) for cid, case in app.cases.items()} == before
    assert all(case.collect_events() == [] for case in app.cases.values())
    return exc


def event_names(app: DomainCases, case_id: UUID) -> list[str]:
    return [type(e).__name__ for e in app.case_events(case_id, access=READ)]


def deadline(app: DomainCases, case_id: UUID, rule_id: str) -> Any:
    found = [d for d in app.get_case(case_id, access=READ).deadlines if d.rule_id == rule_id]
    assert len(found) == 1, [d.rule_id for d in app.get_case(case_id, access=READ).deadlines]
    return found[0]


def impose(app: DomainCases, h: Household, person: UUID | None = None) -> UUID:
    result = app.impose_huisverbod(h.cmd(actor=BURGEMEESTER,
                                         removed_person_id=str(person or h.perpetrator)))
    hid = result.ids["huisverbod_id"]
    h.huisverbod_id = hid
    return hid


def huisverbod(app: DomainCases, h: Household) -> Any:
    (view,) = [v for v in app.get_case(h.case_id, access=READ).huisverboden
               if v.huisverbod_id == str(h.huisverbod_id)]
    return view


def ended_at(app: DomainCases, h: Household) -> datetime:
    ended: datetime = app.load_case(h.case_id, access=READ).huisverboden[  # type: ignore[arg-type]
        str(h.huisverbod_id)]["ended_at"]
    return ended


def extend(app: DomainCases, h: Household, new_end: datetime,
           actor: dict[str, str] = BURGEMEESTER) -> Any:
    return app.extend_huisverbod(h.cmd(actor=actor, huisverbod_id=str(h.huisverbod_id),
                                       new_end=new_end.isoformat()))


def household_in_directe_veiligheid(app: DomainCases, clock: SettableClock,
                                    at: datetime | None = None) -> Household:
    if at is not None:
        clock.set(at)
    h = Household(app, clock)
    h.to_directe_veiligheid()
    return h


# ---------------------------------------------------------------------------------- imposition


def test_only_the_burgemeester_imposes(app: DomainCases, clock: SettableClock) -> None:
    h = household_in_directe_veiligheid(app, clock)
    for role in ("vt_medewerker", "lokaal_team", "politie", "om", "casusregisseur"):
        actor = {"actor_id": "x-001", "organisation": "somewhere", "role": role}
        exc = refused(app, lambda a=actor: app.impose_huisverbod(  # type: ignore[misc]
            h.cmd(actor=a, removed_person_id=str(h.perpetrator))), "NOT_AUTHORISED")
        assert "Wet tijdelijk huisverbod" in exc.rule
    assert app.get_case(h.case_id, access=READ).huisverboden == ()
    impose(app, h)
    view = huisverbod(app, h)
    assert view.state == "imposed" and view.removed_person_id == str(h.perpetrator)
    assert view.imposed_at == clock.now()
    assert "HuisverbodImposed" in event_names(app, h.case_id)


@pytest.mark.parametrize(
    ("imposed_local", "end_local", "utc_length"),
    [
        # across the start of summer time (29 March 2026): ten days are 239 hours
        (datetime(2026, 3, 25, 14, 30, tzinfo=AMS), datetime(2026, 4, 4, 14, 30, tzinfo=AMS),
         timedelta(days=10, hours=-1)),
        # across the end of summer time (25 October 2026): ten days are 241 hours
        (datetime(2026, 10, 20, 10, 0, tzinfo=AMS), datetime(2026, 10, 30, 10, 0, tzinfo=AMS),
         timedelta(days=10, hours=1)),
        # no change of offset; ends on a Saturday and does not run on (no Atw run-on)
        (datetime(2026, 6, 3, 23, 15, tzinfo=AMS), datetime(2026, 6, 13, 23, 15, tzinfo=AMS),
         timedelta(days=10)),
    ],
    ids=["spring-forward", "fall-back", "summer-saturday"],
)
def test_huisverbod_lasts_ten_days_to_the_same_amsterdam_wall_clock_time(
    app: DomainCases, clock: SettableClock, imposed_local: datetime,
    end_local: datetime, utc_length: timedelta,
) -> None:
    h = household_in_directe_veiligheid(app, clock, at=imposed_local)
    impose(app, h)
    view = huisverbod(app, h)
    assert view.imposed_at == imposed_local.astimezone(UTC)
    assert view.ends_at == end_local.astimezone(UTC)
    assert view.ends_at.astimezone(AMS).timetz().replace(tzinfo=None) == \
        imposed_local.timetz().replace(tzinfo=None)
    assert view.ends_at - view.imposed_at == utc_length
    assert view.max_end == (imposed_local + timedelta(days=28)).astimezone(UTC)
    t6 = deadline(app, h.case_id, "T6")
    assert (t6.status, t6.due, t6.skipped) == ("open", view.ends_at, ())
    t8 = deadline(app, h.case_id, "T8")
    assert t8.due == view.imposed_at + timedelta(hours=24)


def test_a_second_person_may_get_a_huisverbod_of_their_own(
    app: DomainCases, clock: SettableClock
) -> None:
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    refused(app, lambda: impose(app, h), "HUISVERBOD_ALREADY_ACTIVE")
    impose(app, h, person=h.victim)
    views = app.get_case(h.case_id, access=READ).huisverboden
    states = sorted((v.removed_person_id, v.state) for v in views)
    assert states == sorted([(str(h.perpetrator), "imposed"), (str(h.victim), "imposed")])


# ---------------------------------------------------------------------------------- extension


def test_extension_on_the_last_moment_before_expiry_is_allowed(
    app: DomainCases, clock: SettableClock
) -> None:
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    first = huisverbod(app, h)
    clock.set(first.ends_at - timedelta(minutes=1))  # the last day, one minute before the end
    extend(app, h, first.max_end)
    view = huisverbod(app, h)
    assert (view.state, view.ends_at) == ("extended", first.max_end)
    t6 = deadline(app, h.case_id, "T6")
    assert (t6.status, t6.late_seconds) == ("met", None)
    t7 = deadline(app, h.case_id, "T7")
    assert (t7.status, t7.due) == ("open", first.max_end)
    # the old end passes without expiry
    records = app.tick(first.ends_at + timedelta(hours=1))
    assert all(r.kind != "huisverbod_expired" for r in records)
    assert huisverbod(app, h).state == "extended"


def test_extension_after_expiry_is_refused_and_changes_nothing(
    app: DomainCases, clock: SettableClock
) -> None:
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    first = huisverbod(app, h)
    for when in (first.ends_at, first.ends_at + timedelta(days=1)):
        clock.set(when)
        exc = refused(app, lambda: extend(app, h, first.max_end), "HUISVERBOD_EXPIRED")
        assert "T7" in exc.rule
    # once the expiry is recorded, the huisverbod machine itself refuses an extension
    app.tick()
    assert huisverbod(app, h).state == "expired"
    exc = refused(app, lambda: extend(app, h, first.max_end), kind=TransitionNotAllowed)
    assert isinstance(exc, TransitionNotAllowed)
    assert (exc.machine, exc.trigger, exc.state) == ("huisverbod", "extend", "expired")


def test_extension_beyond_28_days_after_imposition_is_refused(
    app: DomainCases, clock: SettableClock
) -> None:
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    first = huisverbod(app, h)
    h.advance(days=8)
    too_long = first.max_end + timedelta(seconds=1)
    exc = refused(app, lambda: extend(app, h, too_long), "HUISVERBOD_EXTENSION_TOO_LONG")
    assert "T7" in exc.rule
    assert too_long.isoformat() not in str(exc)
    exc = refused(app, lambda: extend(app, h, first.ends_at), "HUISVERBOD_EXTENSION_NOT_LATER")
    assert "T7" in exc.rule
    refused(app, lambda: extend(app, h, first.max_end, actor=LT), "NOT_AUTHORISED")
    # exactly 28 days, given in Amsterdam time, is allowed and stored in UTC
    extend(app, h, first.max_end.astimezone(AMS))
    view = huisverbod(app, h)
    assert view.ends_at == first.max_end and view.ends_at.tzinfo == UTC
    assert view.ends_at - view.imposed_at <= timedelta(days=28, hours=1)


# ---------------------------------------------------------------------------------- end


def test_revoke_ends_the_huisverbod_and_its_t6_deadline(
    app: DomainCases, clock: SettableClock
) -> None:
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    first = huisverbod(app, h)
    revoked_at = h.advance(days=2)
    app.revoke_huisverbod(h.cmd(actor=BURGEMEESTER, huisverbod_id=str(h.huisverbod_id)))
    view = huisverbod(app, h)
    assert view.state == "revoked"
    assert ended_at(app, h) == revoked_at
    assert deadline(app, h.case_id, "T6").status == "met"
    # the statutory clock does not expire a revoked huisverbod
    records = app.tick(first.ends_at + timedelta(days=1))
    assert all(r.kind != "huisverbod_expired" for r in records)
    assert "HuisverbodExpired" not in event_names(app, h.case_id)


def test_revoking_lapses_the_contact_address_duty(
    app: DomainCases, clock: SettableClock
) -> None:
    """Revoked within 24 hours, the huisverbod no longer obliges a contact address (T8)."""
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    t8_due = deadline(app, h.case_id, "T8").due
    h.advance(hours=3)
    app.revoke_huisverbod(h.cmd(actor=BURGEMEESTER, huisverbod_id=str(h.huisverbod_id)))
    t8 = deadline(app, h.case_id, "T8")
    assert (t8.status, t8.breached) == ("closed_unmet", False)
    records = app.tick(t8_due + timedelta(hours=1))
    assert [r for r in records if r.rule_id == "T8"] == []
    assert deadline(app, h.case_id, "T8").breached is False
    about_t8 = [e for e in app.case_events(h.case_id, access=READ)
                if getattr(e, "deadline_id", None) == t8.deadline_id]
    assert [type(e).__name__ for e in about_t8] == ["DeadlineClosedUnmet"]
    assert "revoked" in about_t8[0].reason  # the lapse says why, in the case's history


@pytest.mark.parametrize("ticked", [True, False])
def test_an_overdue_t8_is_a_breach_whether_or_not_a_tick_ran(
    app: DomainCases, clock: SettableClock, ticked: bool
) -> None:
    """The record of a deadline does not depend on the scheduler's timing."""
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    t8_due = deadline(app, h.case_id, "T8").due
    clock.set(t8_due + timedelta(hours=2))
    if ticked:
        app.tick(clock.now())
    h.advance(hours=1)
    revoked_at = clock.now()
    app.revoke_huisverbod(h.cmd(actor=BURGEMEESTER, huisverbod_id=str(h.huisverbod_id)))
    t8 = deadline(app, h.case_id, "T8")
    assert (t8.status, t8.breached) == ("closed_unmet", True)
    breaches = [e for e in app.case_events(h.case_id, access=READ)
                if type(e).__name__ == "DeadlineBreached" and e.deadline_id == t8.deadline_id]
    assert len(breaches) == 1 and breaches[0].due == t8_due
    assert breaches[0].detected_at == (t8_due + timedelta(hours=2) if ticked else revoked_at)


def test_t8_ends_with_the_huisverbod_when_it_runs_out(
    app: DomainCases, clock: SettableClock
) -> None:
    """No contact address ever given: breached once, then closed when the huisverbod ends."""
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    end = huisverbod(app, h).ends_at
    records = app.tick(end + timedelta(hours=1))
    assert [r.kind for r in records if r.rule_id == "T8"] == ["breach"]
    assert huisverbod(app, h).state == "expired"
    t8 = deadline(app, h.case_id, "T8")
    assert (t8.status, t8.breached) == ("closed_unmet", True)
    closed = [e for e in app.case_events(h.case_id, access=READ)
              if type(e).__name__ == "DeadlineClosedUnmet" and e.deadline_id == t8.deadline_id]
    assert len(closed) == 1 and closed[0].at == end and "ran out" in closed[0].reason
    assert all(r.rule_id != "T8" for r in app.tick(end + timedelta(days=5)))


def test_revoke_after_the_end_is_refused(app: DomainCases, clock: SettableClock) -> None:
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    clock.set(huisverbod(app, h).ends_at)
    refused(app, lambda: app.revoke_huisverbod(
        h.cmd(actor=BURGEMEESTER, huisverbod_id=str(h.huisverbod_id))), "HUISVERBOD_EXPIRED")


def test_tick_records_the_expiry_once_at_the_end_instant(
    app: DomainCases, clock: SettableClock
) -> None:
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    app.record_contact_address_given(h.cmd(actor=BURGEMEESTER,
                                           huisverbod_id=str(h.huisverbod_id)))
    end = huisverbod(app, h).ends_at
    early = app.tick(end - timedelta(microseconds=1))
    assert all(r.kind == "breach" and r.rule_id not in ("T6", "T7") for r in early)
    assert huisverbod(app, h).state == "imposed"
    records = app.tick(end)
    assert [(r.kind, r.rule_id, r.case_id) for r in records] == [
        ("huisverbod_expired", "T6", h.case_id)]
    assert records[0].detail["huisverbod_id"] == str(h.huisverbod_id)
    assert huisverbod(app, h).state == "expired"
    t6 = deadline(app, h.case_id, "T6")
    assert (t6.status, t6.late_seconds) == ("met", None)
    # later ticks, also by another application instance on the same store, record nothing
    assert app.tick(end + timedelta(days=3)) == []
    expired = [e for e in app.case_events(h.case_id, access=READ)
               if type(e).__name__ == "HuisverbodExpired"]
    assert len(expired) == 1
    assert expired[0].at == end
    assert expired[0].actor["role"] == "scheduler"


def test_a_late_tick_records_the_expiry_at_the_end_not_at_the_tick(
    app: DomainCases, clock: SettableClock
) -> None:
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    first = huisverbod(app, h)
    clock.set(first.ends_at - timedelta(days=1))
    extend(app, h, first.ends_at + timedelta(days=4))
    new_end = huisverbod(app, h).ends_at
    records = app.tick(new_end + timedelta(days=2))
    expired = [r for r in records if r.kind == "huisverbod_expired"]
    assert [(r.rule_id, r.due) for r in expired] == [("T7", new_end)]
    assert ended_at(app, h) == new_end
    t7 = deadline(app, h.case_id, "T7")
    assert (t7.status, t7.late_seconds) == ("met", None)


@pytest.mark.parametrize(("after", "status", "late_seconds"),
                         [(timedelta(hours=23, minutes=59), "met", None),
                          (timedelta(hours=24), "met", None),
                          (timedelta(hours=25, minutes=30), "met_late", 5400.0)])
def test_contact_address_within_24_hours(
    app: DomainCases, clock: SettableClock, after: timedelta, status: str,
    late_seconds: float | None,
) -> None:
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    imposed_at = huisverbod(app, h).imposed_at
    clock.set(imposed_at + after)
    app.record_contact_address_given(h.cmd(actor=BURGEMEESTER,
                                           huisverbod_id=str(h.huisverbod_id)))
    t8 = deadline(app, h.case_id, "T8")
    assert (t8.status, t8.late_seconds) == (status, late_seconds)
    assert huisverbod(app, h).contact_address_given
    refused(app, lambda: app.record_contact_address_given(
        h.cmd(actor=BURGEMEESTER, huisverbod_id=str(h.huisverbod_id))),
        "CONTACT_ADDRESS_ALREADY_GIVEN")


def test_a_missing_contact_address_is_a_breach_recorded_once(
    app: DomainCases, clock: SettableClock
) -> None:
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    due = deadline(app, h.case_id, "T8").due
    t8_id = deadline(app, h.case_id, "T8").deadline_id
    # the due instant itself is still on time (a contact address given then is 'met')
    assert all(r.rule_id != "T8" for r in app.tick(due))
    records = app.tick(due + timedelta(minutes=1))
    assert [(r.kind, r.rule_id) for r in records if r.deadline_id == t8_id] == [("breach", "T8")]
    assert all(r.deadline_id != t8_id for r in app.tick(due + timedelta(minutes=2)))
    breaches = [e.deadline_id for e in app.case_events(h.case_id, access=READ)
                if type(e).__name__ == "DeadlineBreached"]
    assert breaches.count(t8_id) == 1
    assert deadline(app, h.case_id, "T8").breached
    assert deadline(app, h.case_id, "T8").status == "open"  # a breach does not close it


# ---------------------------------------------------------------------------------- closure


def test_closing_while_a_huisverbod_is_in_force_is_refused(
    app: DomainCases, clock: SettableClock
) -> None:
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    app.record_contact_address_given(h.cmd(actor=BURGEMEESTER,
                                           huisverbod_id=str(h.huisverbod_id)))
    h.advance(days=1)
    close = h.cmd(actor=LT, reason="other", open_deadline_reason="closing on purpose now")
    exc = refused(app, lambda: app.close_case(close), "HUISVERBOD_IN_FORCE")
    assert "huisverbod" in exc.rule.lower()
    app.revoke_huisverbod(h.cmd(actor=BURGEMEESTER, huisverbod_id=str(h.huisverbod_id)))
    app.close_case(h.cmd(actor=LT, reason="other"))
    assert app.get_case(h.case_id, access=READ).phase is CasePhase.CLOSED


def test_a_huisverbod_that_ran_out_before_closure_is_recorded_as_expired(
    app: DomainCases, clock: SettableClock
) -> None:
    """No tick ran between the end of the huisverbod and the closure of the case.

    The huisverbod must not stay 'imposed' in the closed case: that would leave the T6
    deadline closed unmet although the huisverbod simply ran out, and would refuse a new
    huisverbod for the same person after a new melding (HUISVERBOD_ALREADY_ACTIVE).
    """
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    app.record_contact_address_given(h.cmd(actor=BURGEMEESTER,
                                           huisverbod_id=str(h.huisverbod_id)))
    end = huisverbod(app, h).ends_at
    clock.set(end + timedelta(days=1))
    app.close_case(h.cmd(actor=LT, reason="other"))
    view = huisverbod(app, h)
    assert view.state == "expired"
    assert ended_at(app, h) == end
    assert deadline(app, h.case_id, "T6").status == "met"
    h.advance(days=30)
    h.melding()
    h.assess("handover_local_team")
    second = impose(app, h)
    assert huisverbod(app, h).state == "imposed" and second != UUID(view.huisverbod_id)


def test_unauthorised_role_is_checked_before_state(app: DomainCases,
                                                   clock: SettableClock) -> None:
    """A non-burgemeester learns nothing about the huisverbod's state from the refusal."""
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    app.revoke_huisverbod(h.cmd(actor=BURGEMEESTER, huisverbod_id=str(h.huisverbod_id)))
    exc = refused(app, lambda: extend(app, h, clock.now() + timedelta(days=5), actor=VT),
                  "NOT_AUTHORISED")
    assert "revoked" not in str(exc)


def test_a_huisverbod_that_ran_out_unticked_neither_blocks_a_new_one_nor_takes_an_address(
    app: DomainCases, clock: SettableClock
) -> None:
    """The end instant decides, not whether the scheduler has recorded the expiry yet."""
    h = household_in_directe_veiligheid(app, clock)
    first = impose(app, h)
    end = huisverbod(app, h).ends_at
    clock.set(end + timedelta(hours=5))                 # no tick since the end
    refused(app, lambda: app.record_contact_address_given(
        h.cmd(actor=BURGEMEESTER, huisverbod_id=str(first))), "HUISVERBOD_EXPIRED")
    second = impose(app, h)                             # the same person, a new incident
    views = {v.huisverbod_id: v for v in app.get_case(h.case_id, access=READ).huisverboden}
    assert views[str(first)].state == "expired" and views[str(second)].state == "imposed"
    expired = [e for e in app.case_events(h.case_id, access=READ)
               if type(e).__name__ == "HuisverbodExpired"]
    assert len(expired) == 1 and expired[0].at == end  # recorded at the end, once
    app.tick(clock.now())                              # finds nothing left to expire
    assert [type(e).__name__ for e in app.case_events(h.case_id, access=READ)].count(
        "HuisverbodExpired") == 1
