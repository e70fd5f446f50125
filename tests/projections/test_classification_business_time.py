"""Classification by business time, as known now: the edge cases of issue 15.

The clock starts on Monday 2 March 2026, 09:00 UTC. Late facts are recorded with
``occurred_at`` in the past; each reclassification is kept in ``rm_classification_changes``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.projections.person_index import MeldingClass, VervolgKind
from hgkm_workflow.projections.person_tables import classification_changes
from tests.support import READ, VT, Household


def _p(pid: UUID, role: str = "victim") -> dict[str, str]:
    return {"person_id": str(pid), "role": role}


def _iso(days: float) -> str:
    """Business time ``days`` after 2 March 2026 09:00 UTC."""
    return (datetime(2026, 3, 2, 9, tzinfo=UTC) + timedelta(days=days)).isoformat()


def _class(app: HgkmApplication, melding_id: UUID | None) -> tuple[str, str | None]:
    assert melding_id is not None
    c = app.classification(melding_id, access=READ)
    return c.classification.value, c.vervolg_kind.value if c.vervolg_kind else None


def _changes(app: HgkmApplication) -> list[dict[str, Any]]:
    app.catch_up()
    with app.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(classification_changes)).mappings()]


def test_late_registered_melding_makes_a_later_received_melding_vervolg(
    app: HgkmApplication, clock: SettableClock
) -> None:
    clock.advance(timedelta(days=10))  # now 12 March
    victim = uuid.uuid4()
    later = Household(app, clock)
    later.melding(persons=[_p(victim)], occurred_at=_iso(2))  # received 4 March
    assert _class(app, later.melding_id) == ("nieuw", None)
    early = Household(app, clock)  # received 2 March, registered now, its own case
    early.melding(persons=[_p(victim)], occurred_at=_iso(0))
    assert early.case_id != later.case_id
    assert _class(app, early.melding_id) == ("nieuw", None)
    assert _class(app, later.melding_id) == ("vervolgmelding", "during_assessment")
    [change] = _changes(app)
    assert change["melding_id"] == str(later.melding_id)
    assert (change["old_classification"], change["new_classification"]) == (
        "nieuw", "vervolgmelding")
    assert change["cause_event"] == "MeldingReceived"
    assert change["cause_case_id"] == str(early.case_id)
    assert change["recorded_at"] == datetime(2026, 3, 12, 9)


def test_late_assessment_that_ended_the_involvement_makes_a_later_melding_hermelding(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    clock.advance(timedelta(days=10))
    other = Household(app, clock)  # another case about the same victim, 12 March
    other.melding(persons=[_p(h.victim)])
    assert _class(app, other.melding_id) == ("vervolgmelding", "during_assessment")
    h.assess("no_further_action", occurred_at=_iso(3))  # it ended on 5 March
    assert _class(app, other.melding_id) == ("hermelding", None)
    [change] = _changes(app)
    assert change["cause_event"] == "VeiligheidsbeoordelingCompleted"
    assert change["old_vervolg_kind"] == "during_assessment"
    assert change["new_vervolg_kind"] is None


def test_melding_on_a_running_case_naming_only_a_new_child_is_vervolg(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    h.advance(days=1)
    second = Household(app, clock, case_id=h.case_id)
    second.melding(persons=[_p(uuid.uuid4(), "child")])
    c = app.classification(second.melding_id, access=READ)  # type: ignore[arg-type]
    assert c.classification is MeldingClass.VERVOLGMELDING
    assert c.vervolg_kind is VervolgKind.DURING_ASSESSMENT
    assert c.reference is not None and c.reference.case_id == h.case_id
    assert c.reference.involvement_no == 1
    assert c.persons_matched == 0
    assert "joins the running involvement of its own case" in c.explanation


def test_vervolg_kind_is_the_stage_at_receipt_not_the_current_stage(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    h.advance(days=2)
    h.assess("onderzoek")  # 4 March: the onderzoek starts
    h.advance(days=10)
    late = Household(app, clock)
    late.melding(persons=[_p(h.victim)], occurred_at=_iso(1))  # received 3 March
    assert _class(app, late.melding_id) == ("vervolgmelding", "during_assessment")
    now = Household(app, clock)
    now.melding(persons=[_p(h.victim)])
    assert _class(app, now.melding_id) == ("vervolgmelding", "after_assessment")


def test_role_correction_counts_with_restricted_roles(
    make_app: Callable[..., HgkmApplication], sqlite_url: str, clock: SettableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HGKM_HERMELDING_ROLES", "victim")
    app = make_app(sqlite_url)
    person = uuid.uuid4()
    h = Household(app, clock)
    h.melding(persons=[_p(person, "witness")])
    h.advance(days=1)
    h.assess("no_further_action")
    h.advance(days=30)
    other = Household(app, clock)
    other.melding(persons=[_p(person, "victim")])
    assert _class(app, other.melding_id) == ("nieuw", None)  # a witness then
    h.advance(days=1)
    app.correct_person_role({"actor": VT, "rationale": "the melder misnamed her role",
                             "case_id": str(h.case_id), "person_id": str(person),
                             "role": "victim"})
    assert _class(app, other.melding_id) == ("hermelding", None)
    assert [c["cause_event"] for c in _changes(app)] == ["PersonRoleCorrected"]


def test_household_basis_is_a_setting(
    make_app: Callable[..., HgkmApplication], tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    results = {}
    for basis in ("persons", "household"):
        monkeypatch.setenv("HGKM_HERMELDING_BASIS", basis)
        clock = SettableClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
        app = make_app(f"sqlite:///{tmp_path / (basis + '.db')}", clock=clock)
        h = Household(app, clock)
        h.melding()
        h.advance(days=1)
        h.assess("no_further_action")
        h.advance(days=30)
        again = Household(app, clock, case_id=h.case_id)
        again.melding(persons=[_p(uuid.uuid4(), "child")])
        results[basis] = _class(app, again.melding_id)
    assert results == {"persons": ("nieuw", None), "household": ("hermelding", None)}


def test_rebuild_reproduces_the_classifications_and_changes(
    app: HgkmApplication, clock: SettableClock
) -> None:
    test_late_registered_melding_makes_a_later_received_melding_vervolg(app, clock)
    before = _changes(app)
    app.projections.rebuild()
    assert _changes(app) == before
