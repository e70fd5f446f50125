"""Restatements: a period's classification as known at its end beside as known now.

2026H1 ends on 1 July 2026 (Amsterdam midnight). The clock starts on Monday 2 March 2026.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import AccessDenied
from tests.support import LT, READ, Household


def _iso(day: datetime) -> str:
    return day.isoformat()


def _late_facts(app: HgkmApplication, clock: SettableClock) -> tuple[Household, Household]:
    """In H1: a melding (4 March); in H2 a melding received 2 March is registered late."""
    victim = uuid.uuid4()
    clock.advance(timedelta(days=2))
    later = Household(app, clock)
    later.melding(persons=[{"person_id": str(victim), "role": "victim"}])
    clock.set(datetime(2026, 8, 3, 9, tzinfo=UTC))
    early = Household(app, clock)
    early.melding(persons=[{"person_id": str(victim), "role": "child"}],
                  occurred_at=_iso(datetime(2026, 3, 2, 9, tzinfo=UTC)))
    return later, early


def test_restatement_lists_the_moved_meldingen_and_why(
    app: HgkmApplication, clock: SettableClock
) -> None:
    later, early = _late_facts(app, clock)
    report = app.monitor(access=READ, period="2026H1")
    r = report.restatement
    assert r is not None and r.known_at == datetime(2026, 6, 30, 22)  # the period's end
    counts = {c.name: (c.then, c.now) for c in r.counts}
    assert counts["meldingen"] == (1, 2)
    assert counts["classification.nieuw"] == (1, 1)
    assert counts["classification.vervolgmelding"] == (0, 1)
    moved = {m.melding_id: m for m in r.moved}
    assert moved[str(later.melding_id)].then == "nieuw"
    assert moved[str(later.melding_id)].now == "vervolgmelding.during_assessment"
    [reason] = moved[str(later.melding_id)].reasons
    assert reason.startswith(f"MeldingReceived of case {early.case_id}")
    assert moved[str(early.melding_id)].then is None
    assert moved[str(early.melding_id)].reasons[0].startswith("recorded after")
    data = report.as_dict()["restatement"]
    assert data["moved_count"] == 2 and data["counts"][0]["change"] == 1


def test_restatement_at_a_given_recording_instant_and_suppressed_copy(
    app: HgkmApplication, clock: SettableClock
) -> None:
    later, _ = _late_facts(app, clock)
    now = app.monitor(access=READ, period="2026H1", as_known_at=datetime(2026, 9, 1, tzinfo=UTC))
    assert now.restatement is not None and now.restatement.moved == ()
    shown = app.monitor(access=READ, period="2026H1").suppress_small_cells(10)
    assert shown.restatement is not None and shown.restatement.moved == ()
    assert shown.restatement.moved_withheld
    assert all(c.suppressed for c in shown.restatement.counts if 0 < c.now < 10)
    assert str(later.melding_id) not in str(shown.as_dict())


def test_per_melding_records_as_known_at_and_access(
    app: HgkmApplication, clock: SettableClock
) -> None:
    later, early = _late_facts(app, clock)
    records = {m.melding_id: m for m in app.melding_classifications(access=READ)}
    rec = records[str(later.melding_id)].as_dict()
    assert rec["classification"] == "vervolgmelding"
    assert rec["basis"]["case_id"] == str(early.case_id)
    assert rec["basis"]["involvement_no"] == 1
    assert rec["settings"] == {"lookback_years": 3, "counted_roles": [
        "alleged_perpetrator", "child", "other", "victim", "witness"],
        "hermelding_basis": "persons"}
    assert rec["read_model"] == "person_index/5"
    assert [c["cause"]["case_id"] for c in rec["changes"]] == [str(early.case_id)]
    then = {m.melding_id: m for m in app.melding_classifications(
        access=READ, as_known_at=datetime(2026, 7, 1, tzinfo=UTC))}
    assert then[str(later.melding_id)].classification == "nieuw"
    assert then[str(early.melding_id)].classification is None
    with pytest.raises(AccessDenied):
        app.melding_classifications(access={"actor": LT, "purpose": "case_work"})
    log = app.access_log(access=READ)
    assert any(e.resource == "classification" and e.case_id is None for e in log)
