"""The tick's due query as a function: what the scheduler and a scenario's own tick ask."""

from __future__ import annotations

from datetime import timedelta

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.projections.deadline_queries import due_deadlines
from tests.support import Household


def test_due_deadlines_groups_by_case_and_can_be_limited_to_some_cases(
    sqlite_app: HgkmApplication, clock: SettableClock
) -> None:
    first, second = Household(sqlite_app, clock), Household(sqlite_app, clock)
    first.melding()
    second.melding()
    later = clock.now() + timedelta(days=30)
    sqlite_app.catch_up()
    everything = due_deadlines(sqlite_app.engine, later)
    assert set(everything) == {first.case_id, second.case_id}
    assert all(ids for ids in everything.values())
    only_first = due_deadlines(sqlite_app.engine, later, case_ids=[first.case_id])
    assert only_first == {first.case_id: everything[first.case_id]}
    assert due_deadlines(sqlite_app.engine, clock.now() - timedelta(days=1)) == {}


def test_ticking_one_case_records_what_tick_would_record_for_it(
    sqlite_app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(sqlite_app, clock)
    h.melding()
    later = clock.now() + timedelta(days=30)
    sqlite_app.catch_up()
    assert h.case_id is not None
    due = due_deadlines(sqlite_app.engine, later, case_ids=[h.case_id])
    records = sqlite_app.scheduler.tick_case(h.case_id, due[h.case_id], later)
    assert records and {r.case_id for r in records} == {h.case_id}
    assert sqlite_app.tick(later) == []  # each breach is recorded once
