"""Rebuilding read models gives exactly the rows incremental processing gave, on both backends.

Every row of every ``rm_`` table is compared: after incremental catch-ups, after a rebuild,
after a rebuild one event per transaction, after a simulated crash between the view update
and the tracking write, and after a version bump.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.projections import ProjectionRunner
from hgkm_workflow.projections.monitor_facts import MonitorFactsProjection
from hgkm_workflow.projections.registry import default_projections
from tests.projections.test_monitor import scenario
from tests.support import LT, VT, Household

Rows = dict[str, list[tuple[Any, ...]]]


class SimulatedCrash(Exception):
    """Raised by the runner's test hook after the view rows, before the tracking write."""


def rm_rows(app: HgkmApplication) -> Rows:
    """Every row of every rm_ table, sorted."""
    with app.engine.connect() as conn:
        names = sorted(n for n in sa.inspect(conn).get_table_names() if n.startswith("rm_"))
        return {n: sorted((tuple(r) for r in conn.execute(sa.text(f'SELECT * FROM "{n}"'))),
                          key=repr) for n in names}


def busy_history(app: HgkmApplication, clock: SettableClock) -> None:
    """The monitor scenario plus a full lifecycle, a reopening, a revocation and breaches."""
    scenario(app, clock)
    h = Household(app, clock)
    h.to_waakvlam()
    app.record_monitoring_check(h.cmd(actor=VT, safe=True))
    app.record_waakvlam_contact(h.cmd(actor=LT))
    app.add_person(h.cmd(actor=LT, person_id=str(uuid.uuid4()), role="other"))
    app.close_case(h.cmd(actor=LT, reason="waakvlam_completed"))
    clock.advance(timedelta(days=40))
    h.melding()  # reopens the closed case: a hermelding
    hv = app.impose_huisverbod(h.cmd(actor={"actor_id": "bm-9",
                                            "organisation": "gemeente-rotterdam",
                                            "role": "burgemeester"},
                                     removed_person_id=str(h.perpetrator)))
    clock.advance(timedelta(days=2))
    app.revoke_huisverbod(h.cmd(actor={"actor_id": "bm-9", "organisation": "gemeente-rotterdam",
                                       "role": "burgemeester"},
                                huisverbod_id=str(hv.ids["huisverbod_id"])))
    clock.advance(timedelta(days=30))
    app.tick()  # records T1 breaches (DeadlineBreached) on the unassessed meldingen


@pytest.fixture
def history(app: HgkmApplication, clock: SettableClock) -> tuple[HgkmApplication, Rows]:
    busy_history(app, clock)
    app.catch_up()
    return app, rm_rows(app)


def test_rebuild_equals_incremental(history: tuple[HgkmApplication, Rows]) -> None:
    app, incremental = history
    assert {"rm_melding_classification", "rm_person_involvement", "rm_phase_stays",
            "rm_meldingen", "rm_huisverboden", "rm_cases", "rm_deadlines"} <= set(incremental)
    assert all(incremental[t] for t in ("rm_melding_classification", "rm_phase_stays",
                                        "rm_huisverboden", "rm_plegeraanbod", "rm_adviezen"))
    app.projections.rebuild()
    assert rm_rows(app) == incremental
    one_by_one = ProjectionRunner(app, app.engine, default_projections(), batch_size=1)
    one_by_one.rebuild()
    assert rm_rows(app) == incremental


def test_crash_between_view_update_and_tracking_write(
    history: tuple[HgkmApplication, Rows]
) -> None:
    app, reference = history
    batches = {"n": 0}

    def crash_on_third_batch(conn: sa.Connection, position: int) -> None:
        batches["n"] += 1
        if batches["n"] == 3:
            raise SimulatedCrash(position)

    crashing = ProjectionRunner(app, app.engine, default_projections(), batch_size=7,
                                before_tracking_write=crash_on_third_batch)
    with pytest.raises(SimulatedCrash):
        crashing.rebuild()
    # The third batch's view rows were rolled back with it: positions stand after batch two.
    assert crashing.position("person_index") == crashing.position("monitor_facts") == 14
    partial = rm_rows(app)
    assert partial != reference
    app.catch_up()  # resumes from the tracking positions: nothing lost, nothing doubled
    assert rm_rows(app) == reference


def test_crash_during_incremental_catch_up(app: HgkmApplication, clock: SettableClock) -> None:
    busy_history(app, clock)
    app.catch_up()
    h = Household(app, clock)
    h.melding()
    h.assess("onderzoek")

    def crash(conn: sa.Connection, position: int) -> None:
        raise SimulatedCrash(position)

    crashing = ProjectionRunner(app, app.engine, default_projections(), batch_size=2,
                                before_tracking_write=crash)
    with pytest.raises(SimulatedCrash):
        crashing.catch_up()
    app.catch_up()
    incremental = rm_rows(app)
    app.projections.rebuild()
    assert rm_rows(app) == incremental


class BumpedMonitorFacts(MonitorFactsProjection):
    """The monitor fact tables at a new version (a schema or logic change)."""

    version: ClassVar[int] = MonitorFactsProjection.version + 1


def test_version_bump_rebuilds(history: tuple[HgkmApplication, Rows]) -> None:
    app, reference = history
    projections = [BumpedMonitorFacts() if p.name == "monitor_facts" else p
                   for p in default_projections()]
    runner = ProjectionRunner(app, app.engine, projections)
    runner.setup()  # the stored version differs: tables dropped and recreated, position 0
    assert runner.position("monitor_facts") == 0
    assert rm_rows(app)["rm_meldingen"] == []
    runner.catch_up()
    assert rm_rows(app) == reference
