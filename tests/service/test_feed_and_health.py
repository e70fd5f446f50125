"""The event feed is access-checked, logged and free of personal data; health is typed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hgkm_workflow.errors import AccessDenied, InvalidCommand
from tests.support import LT, READ, VT, Household

VT_READ = {"actor": VT, "purpose": "case_work"}
OTHER_VT = {"actor": {"actor_id": "vt-900", "organisation": "vt-haaglanden",
                      "role": "vt_medewerker"}, "purpose": "case_work"}


def _case(app: Any) -> Household:
    house = Household(app, app.clock)
    house.to_directe_veiligheid()
    return house


def test_feed_gives_case_events_with_codes_and_no_personal_data(app: Any) -> None:
    house = _case(app)
    page = app.events_since(0, access=READ)
    assert page.regions is None
    types = [e.event_type for e in page.events]
    assert types[0] == "Opened" and "MeldingReceived" in types and "PhaseChanged" in types
    assert all(e.case_id == house.case_id for e in page.events)
    assert [e.position for e in page.events] == sorted(e.position for e in page.events)
    assert page.next_position == page.events[-1].position
    changed = next(e for e in page.events if e.event_type == "PhaseChanged")
    assert changed.phase is not None and changed.codes["to_phase"] == changed.phase
    received = next(e for e in page.events if e.event_type == "MeldingReceived")
    assert received.codes["melder_type"] == "politie"
    assert received.region == "rotterdam-rijnmond" and received.gemeente == "GM0599"
    text = json.dumps([e.model_dump(mode="json") for e in page.events])
    for secret in (str(house.victim), str(house.perpetrator), str(house.child),
                   "melding received by phone", "team meeting", VT["actor_id"]):
        assert secret not in text


def test_feed_pages_on(app: Any) -> None:
    _case(app)
    first = app.events_since(0, access=READ, limit=2)
    assert len(first.events) == 2
    rest = app.events_since(first.next_position, access=READ)
    assert rest.events[0].position > first.events[-1].position
    everything = app.events_since(0, access=READ)
    assert [*first.events, *rest.events] == list(everything.events)
    assert app.events_since(everything.next_position, access=READ).events == ()


def test_feed_is_limited_to_the_readers_region_and_logged(app: Any) -> None:
    _case(app)
    mine = app.events_since(0, access=VT_READ)
    assert mine.events and mine.regions == ("rotterdam-rijnmond",)
    other = app.events_since(0, access=OTHER_VT)
    assert other.events == ()
    with pytest.raises(AccessDenied):
        app.events_since(0, access={"actor": LT, "purpose": "case_work"})
    log = app.access_log(access=READ)
    feeds = [e for e in log if e.resource == "events" and e.case_id is None]
    assert len(feeds) >= 3
    assert any(e.verdict == "refused" and e.actor_id == LT["actor_id"] for e in feeds)


def test_feed_refuses_bad_paging(app: Any) -> None:
    with pytest.raises(InvalidCommand):
        app.events_since(-1, access=READ)
    with pytest.raises(InvalidCommand):
        app.events_since(0, access=READ, limit=0)


def test_health_of_a_fresh_and_a_lagging_store(app: Any) -> None:
    report = app.health()
    assert report.ready and report.store_reachable and report.ok
    assert {p.name for p in report.projections} >= {"cases"} or report.projections
    _case(app)
    lagging = app.health(max_lag=0)
    assert lagging.max_position > 0
    assert "READ_MODEL_LAG" in lagging.problems or all(p.lag == 0 for p in lagging.projections)
    app.catch_up()
    assert all(p.lag == 0 for p in app.health().projections)


def test_health_counts_due_unrecorded_deadlines(app: Any) -> None:
    house = Household(app, app.clock)
    house.melding()
    house.advance(days=30)
    app.catch_up()
    report = app.health()
    assert report.scheduler.due_unrecorded > 0
    assert "DEADLINES_UNRECORDED" in report.problems and not report.ok
    app.tick()
    assert app.health().scheduler.due_unrecorded == 0


def test_health_of_an_unreachable_store(sqlite_app: Any, tmp_path: Any) -> None:
    import sqlalchemy as sa

    app = sqlite_app
    healthy_engine = app.engine
    app.engine = sa.create_engine(f"sqlite:///{tmp_path}/missing/dir/none.db")
    try:
        report = app.health()
    finally:
        app.engine.dispose()
        app.engine = healthy_engine
    assert not report.ready and not report.store_reachable
    assert report.problems == ("STORE_UNREACHABLE",)
    assert report.store_error == "STORE_UNREACHABLE"
