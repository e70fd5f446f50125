"""The tijdelijk huisverbod through the application: what is stored, and the tick's query.

The rules (T6 ten days, T7 at most 28 days, T8 contact address, revocation, expiry, closure)
are tested at the aggregate in ``tests/domain/test_huisverbod.py``. Here: a refusal stores
nothing, the store-backed tick records an expiry or a breach exactly once, and events made
under freezegun are stored with business time from the injected clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import HgkmError, RuleViolation, TransitionNotAllowed
from tests.support import BURGEMEESTER, READ, Household, stored_event_rows

AMS = ZoneInfo("Europe/Amsterdam")


def store_snapshot(app: HgkmApplication) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in the store."""
    with app.engine.connect() as conn:
        names = sorted(sa.inspect(conn).get_table_names())
        return {n: sorted((tuple(r) for r in conn.execute(sa.text(f'SELECT * FROM "{n}"'))),
                          key=repr) for n in names}


def refused(app: HgkmApplication, call: Callable[[], Any], code: str | None = None,
            kind: type[HgkmError] = RuleViolation) -> HgkmError:
    """Run ``call``, expect a refusal, and check that the store did not change at all."""
    app.catch_up()
    before_events, before = stored_event_rows(app), store_snapshot(app)
    with pytest.raises(kind) as info:
        call()
    exc = info.value
    assert exc.code and exc.rule
    if code is not None:
        assert exc.code == code
    assert stored_event_rows(app) == before_events
    assert store_snapshot(app) == before
    return exc


def deadline(app: HgkmApplication, case_id: UUID, rule_id: str) -> Any:
    found = [d for d in app.get_case(case_id, access=READ).deadlines if d.rule_id == rule_id]
    assert len(found) == 1, [d.rule_id for d in app.get_case(case_id, access=READ).deadlines]
    return found[0]


def impose(app: HgkmApplication, h: Household, person: UUID | None = None) -> UUID:
    result = app.impose_huisverbod(h.cmd(actor=BURGEMEESTER,
                                         removed_person_id=str(person or h.perpetrator)))
    hid = result.ids["huisverbod_id"]
    h.huisverbod_id = hid
    return hid


def huisverbod(app: HgkmApplication, h: Household) -> Any:
    (view,) = [v for v in app.get_case(h.case_id, access=READ).huisverboden
               if v.huisverbod_id == str(h.huisverbod_id)]
    return view


def extend(app: HgkmApplication, h: Household, new_end: datetime,
           actor: dict[str, str] = BURGEMEESTER) -> Any:
    return app.extend_huisverbod(h.cmd(actor=actor, huisverbod_id=str(h.huisverbod_id),
                                       new_end=new_end.isoformat()))


def household_in_directe_veiligheid(app: HgkmApplication, clock: SettableClock,
                                    at: datetime | None = None) -> Household:
    if at is not None:
        clock.set(at)
    h = Household(app, clock)
    h.to_directe_veiligheid()
    return h

def test_extension_after_expiry_is_refused_and_stores_nothing(
    app: HgkmApplication, clock: SettableClock
) -> None:
    """Both refusals (the T7 bound, then the machine once the store-backed tick recorded the
    expiry) leave every table of the store as it was; their codes and rules are tested at
    the aggregate."""
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    first = huisverbod(app, h)
    clock.set(first.ends_at)
    refused(app, lambda: extend(app, h, first.max_end), "HUISVERBOD_EXPIRED")
    app.tick()
    assert huisverbod(app, h).state == "expired"
    refused(app, lambda: extend(app, h, first.max_end), kind=TransitionNotAllowed)


def test_the_store_backed_tick_records_the_expiry_once(
    app: HgkmApplication, clock: SettableClock, make_app: Callable[..., HgkmApplication]
) -> None:
    """The store-backed tick finds the expiry through the index at (not before) the end
    instant and stores it once, also when another application on the store ticks later."""
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    app.record_contact_address_given(h.cmd(actor=BURGEMEESTER,
                                           huisverbod_id=str(h.huisverbod_id)))
    end = huisverbod(app, h).ends_at
    assert all(r.kind != "huisverbod_expired" for r in app.tick(end - timedelta(microseconds=1)))
    records = app.tick(end)
    assert [(r.kind, r.rule_id, r.case_id) for r in records] == [
        ("huisverbod_expired", "T6", h.case_id)]
    other = make_app(app.config.url)
    assert other.tick(end + timedelta(days=3)) == []
    assert app.tick(end + timedelta(days=4)) == []
    expired = [e for e in other.case_events(h.case_id, access=READ)
               if type(e).__name__ == "HuisverbodExpired"]
    assert len(expired) == 1
    assert expired[0].at == end and expired[0].actor["role"] == "scheduler"


def test_the_store_backed_tick_records_a_missing_contact_address_once(
    app: HgkmApplication, clock: SettableClock
) -> None:
    """The store-backed tick: due instant itself on time, one stored breach after it, and the
    index shows it (the T8 rules themselves: tests/domain/test_huisverbod.py)."""
    h = household_in_directe_veiligheid(app, clock)
    impose(app, h)
    due = deadline(app, h.case_id, "T8").due
    t8_id = deadline(app, h.case_id, "T8").deadline_id
    assert all(r.rule_id != "T8" for r in app.tick(due))
    records = app.tick(due + timedelta(minutes=1))
    assert [(r.kind, r.rule_id) for r in records if r.deadline_id == t8_id] == [("breach", "T8")]
    assert all(r.deadline_id != t8_id for r in app.tick(due + timedelta(minutes=2)))
    breaches = [e.deadline_id for e in app.case_events(h.case_id, access=READ)
                if type(e).__name__ == "DeadlineBreached"]
    assert breaches.count(t8_id) == 1
    (row,) = [d for d in app.open_deadlines(case_id=h.case_id, access=READ) if d.rule_id == "T8"]
    assert row.breached


# ---------------------------------------------------------------------------------- freezegun


def test_events_are_stored_under_freeze_time_with_business_time_from_the_clock(
    app: HgkmApplication, clock: SettableClock, make_app: Callable[..., HgkmApplication],
) -> None:
    """freezegun only around code that may call datetime.now(); the domain uses the clock.

    The frozen wall clock (2031) and the injected clock (2026) differ on purpose: every
    business instant must come from the injected clock, and the events must still be stored
    (freezegun's FakeDatetime must not reach the event transcoder).
    """
    from freezegun import freeze_time

    from hgkm_workflow.adapters.persons import PersonDetails

    business = datetime(2026, 3, 25, 13, 30, tzinfo=UTC)
    clock.set(business)
    with freeze_time("2031-05-05 12:00:00", tick=True):
        assert datetime.now(UTC).year == 2031
        person = app.persons.register(PersonDetails(name="Testpersoon Vrijdag"))
        h = Household(app, clock)
        h.perpetrator = person
        h.to_directe_veiligheid()
        impose(app, h)
        # a command carrying an instant made by the frozen datetime module
        frozen_now = datetime.now(UTC)
        assert type(frozen_now).__name__ == "FakeDatetime"
        clock.set(business + timedelta(days=2))
        extend(app, h, frozen_now.replace(year=2026, month=4, day=10, hour=8, minute=0,
                                          second=0, microsecond=0))
    view = huisverbod(app, h)
    assert view.imposed_at == business
    assert view.ends_at == datetime(2026, 4, 10, 8, 0, tzinfo=UTC)
    # the events were stored: a fresh application on the same store, without snapshots or
    # cache, replays the same state from the stored events
    fresh = make_app(app.config.url, snapshot_interval=0, cache_size=0)
    assert fresh.load_case(h.case_id, access=READ).state_dict() == \
        app.load_case(h.case_id, access=READ).state_dict()
    events = fresh.case_events(h.case_id, access=READ)
    stored = [e for e in events if type(e).__name__ == "HuisverbodImposed"]
    assert len(stored) == 1 and stored[0].at == business
    assert all(e.at.year == 2026 for e in events if hasattr(e, "at"))
    assert app.read_person(person, access=READ).name == "Testpersoon Vrijdag"  # type: ignore[union-attr]
