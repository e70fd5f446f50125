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
