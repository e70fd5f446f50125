"""One damaged case does not stop the statutory clock or the reads of every other case.

An event whose stored bytes no longer decode (a damaged disk, a bad restore, a DBA's edit) is
planted in one case. The scheduler still records the other cases' breaches and lists the
damaged case as skipped, tick after tick, without doubling anything; the other cases stay
readable. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from tests.support import READ, Household, poison_event


def test_the_scheduler_skips_a_case_that_no_longer_decodes(app: HgkmApplication,
                                                          clock: SettableClock) -> None:
    healthy, damaged = Household(app, clock), Household(app, clock)
    healthy.melding()
    damaged.melding()
    app.catch_up()
    assert healthy.case_id is not None and damaged.case_id is not None
    app.repository.cache = None  # loads come from the store, as in a fresh process
    app.work.cache = None
    poison_event(app, damaged.case_id, version=1)

    healthy.advance(days=14)
    first = app.tick()
    assert {r.case_id for r in first} == {healthy.case_id}
    assert ("T1", "breach") in {(r.rule_id, r.kind) for r in first}
    assert app.scheduler.skipped == {damaged.case_id: "MapperDeserialisationError"}

    second = app.tick()
    assert second == []  # the healthy breach is recorded once; the damaged case again skipped
    assert app.scheduler.skipped == {damaged.case_id: "MapperDeserialisationError"}
    view = app.get_case(healthy.case_id, access=READ)
    assert any(d.rule_id == "T1" and d.breached for d in view.deadlines)


def test_an_event_that_no_longer_decodes_is_a_dead_letter_not_a_stop(
        app: HgkmApplication, clock: SettableClock) -> None:
    damaged = Household(app, clock)
    damaged.melding()  # recorded, not yet projected: the read models meet it later
    assert damaged.case_id is not None
    poison_event(app, damaged.case_id, version=1)
    app.repository.cache = None
    app.work.cache = None

    healthy = Household(app, clock)
    healthy.melding()  # the intake catches the read models up: past the damaged event
    app.catch_up()
    listed = {c.case_id for c in app.list_cases(access=READ)}
    assert healthy.case_id in listed and damaged.case_id not in listed
    statuses = {s.name: s for s in app.projections.status()}
    assert all(s.lag == 0 for s in statuses.values())  # nobody is stuck behind it
    dead = [d for s in statuses.values() for d in s.dead_letters]
    assert dead and {(d.event, d.reason, d.detail) for d in dead} == {
        ("Opened", "UNDECODABLE", "MapperDeserialisationError")}
    # a rebuild meets it again and records it again, once per projection
    app.projections.rebuild()
    again = [d for s in app.projections.status() for d in s.dead_letters]
    assert sorted((d.projection, d.position) for d in again) == sorted(
        (d.projection, d.position) for d in dead)
