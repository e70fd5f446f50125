"""CBS classification of meldingen at receipt: nieuw, vervolgmelding (three kinds), hermelding.

The clock starts on Monday 2 March 2026, 09:00 UTC (10:00 in Amsterdam).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.projections.person_index import (
    MeldingClass,
    MeldingNotClassified,
    VervolgKind,
    involvements_of,
    lookback_cutoff,
)
from hgkm_workflow.settings import ClassificationSettings, InvalidSetting
from hgkm_workflow.vocabulary import PersonRole
from tests.support import READ, VT, Household


def person(pid: UUID, role: str = "victim") -> dict[str, str]:
    return {"person_id": str(pid), "role": role}


def new_household(app: HgkmApplication, clock: SettableClock, *persons: dict[str, str],
                  case_id: UUID | None = None, **extra: Any) -> Household:
    """A melding about exactly these persons (no case id: the application decides)."""
    h = Household(app, clock, case_id=case_id)
    h.melding(persons=list(persons), **extra)
    return h


def test_first_melding_is_nieuw_and_explained(app: HgkmApplication,
                                              clock: SettableClock) -> None:
    h = Household(app, clock)
    h.melding()
    c = app.classification(h.melding_id, access=READ)  # no explicit catch-up: read-your-writes
    assert c.classification is MeldingClass.NIEUW and c.vervolg_kind is None
    assert c.reference is None and c.persons_counted == 3 and c.persons_matched == 0
    assert c.cutoff == date(2023, 3, 2) and c.lookback_years == 3
    assert c.case_id == h.case_id
    assert c.explanation.startswith("nieuw: none of the 3 counted person(s)")
    assert "2023-03-02" in c.explanation
    assert c.as_dict()["classification"] == "nieuw"


def test_vervolgmelding_during_assessment_is_attached_to_the_open_case(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    clock.advance(timedelta(days=1))
    second = new_household(app, clock, person(h.victim), person(uuid.uuid4(), "child"))
    assert second.case_id == h.case_id  # attached to the household's history
    c = app.classification(second.melding_id, access=READ)
    assert c.classification is MeldingClass.VERVOLGMELDING
    assert c.vervolg_kind is VervolgKind.DURING_ASSESSMENT
    assert c.reference is not None and c.reference.person_id == h.victim
    assert c.reference.case_id == h.case_id and c.reference.ended_at is None
    assert c.persons_matched == 1 and c.persons_counted == 2
    assert "veiligheidsbeoordeling was under way" in c.explanation
    assert app.get_case(h.case_id, access=READ).meldingen == 2


def test_vervolgmelding_after_assessment_while_onderzoek_runs(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    h.advance(days=2)
    h.assess("onderzoek")
    h.advance(days=20)
    later = new_household(app, clock, person(h.perpetrator, "alleged_perpetrator"))
    c = app.classification(later.melding_id, access=READ)
    assert (c.classification, c.vervolg_kind) == (MeldingClass.VERVOLGMELDING,
                                                  VervolgKind.AFTER_ASSESSMENT)
    assert c.reference is not None and c.reference.role is PersonRole.ALLEGED_PERPETRATOR


def test_vervolgmelding_during_monitoring(app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()  # handover with voorwaarden: VT monitoring starts
    h.advance(days=60)
    later = new_household(app, clock, person(h.child, "child"))
    assert later.case_id == h.case_id
    c = app.classification(later.melding_id, access=READ)
    assert (c.classification, c.vervolg_kind) == (MeldingClass.VERVOLGMELDING,
                                                  VervolgKind.DURING_MONITORING)
    assert "monitoring" in c.explanation


def test_end_of_monitoring_ends_involvement_while_the_case_stays_open(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    h.advance(days=100)
    ended = h.advance(days=0)
    app.end_monitoring(h.cmd(actor=VT, stable_safety=True))
    h.advance(days=30)
    later = new_household(app, clock, person(h.victim))
    assert later.case_id == h.case_id  # the case is still open (directe veiligheid)
    c = app.classification(later.melding_id, access=READ)
    assert c.classification is MeldingClass.HERMELDING
    assert c.reference is not None and c.reference.ended_at == ended
    rows = involvements_of(app.engine, h.victim)
    assert [(r.involvement_no, r.end_event) for r in rows] == [(1, "VtMonitoringEnded"),
                                                               (2, None)]


def test_involvement_ends_at_service_completion_without_monitoring(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    h.assess("onderzoek")
    done = h.advance(days=40)
    app.complete_vt_service(h.cmd(result="no_further_action", conclusion="not_confirmed"))
    assert app.get_case(h.case_id, access=READ).phase.value == "closed"
    h.advance(days=400)
    later = new_household(app, clock, person(h.victim))
    assert later.case_id != h.case_id
    c = app.classification(later.melding_id, access=READ)
    assert c.classification is MeldingClass.HERMELDING
    assert c.reference is not None and c.reference.ended_at == done
    assert involvements_of(app.engine, h.victim)[0].end_event == "VtServiceCompleted"


def test_service_started_by_the_assessment_continues_the_involvement(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    h.assess("voorwaarden_en_vervolg")
    app.catch_up()
    rows = involvements_of(app.engine, h.victim)
    assert len(rows) == 1 and rows[0].ended_at is None and rows[0].stage == "after_assessment"


def test_lookback_boundary_exactly_three_years_a_day_more_a_day_less(
    app: HgkmApplication, clock: SettableClock
) -> None:
    # Three households whose involvement ends on Monday 2 March 2026 (Amsterdam date).
    ended_at = clock.now()
    households = []
    for _ in range(4):
        h = Household(app, clock)
        h.melding()
        h.assess("no_further_action")
        households.append(h)
    app.catch_up()
    assert involvements_of(app.engine, households[0].victim)[0].ended_at == ended_at

    def melding_at(h: Household, instant: datetime) -> Any:
        clock.set(instant)
        melding_id = new_household(app, clock, person(h.victim)).melding_id
        return app.classification(melding_id, access=READ)

    a_day_less = melding_at(households[0], datetime(2029, 3, 1, 12, 0, tzinfo=UTC))
    exactly = melding_at(households[1], datetime(2029, 3, 2, 22, 30, tzinfo=UTC))  # 23:30 local
    a_day_more = melding_at(households[2], datetime(2029, 3, 2, 23, 30, tzinfo=UTC))  # 3 March
    later = melding_at(households[3], datetime(2029, 3, 3, 12, 0, tzinfo=UTC))
    assert a_day_less.classification is MeldingClass.HERMELDING
    assert a_day_less.cutoff == date(2026, 3, 1)
    assert exactly.classification is MeldingClass.HERMELDING
    assert exactly.cutoff == date(2026, 3, 2)  # the boundary day counts (inclusive)
    assert a_day_more.classification is MeldingClass.NIEUW
    assert a_day_more.cutoff == date(2026, 3, 3)
    assert a_day_more.reference is not None and a_day_more.reference.ended_at == ended_at
    assert "outside the lookback" in a_day_more.explanation
    assert later.classification is MeldingClass.NIEUW


def test_persons_in_two_households(app: HgkmApplication, clock: SettableClock) -> None:
    father, mother, child = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    first = new_household(app, clock, person(father, "alleged_perpetrator"),
                          person(child, "child"))
    clock.advance(timedelta(days=1))
    # The mother's household is a case of its own (its id given), sharing the child.
    second = new_household(app, clock, person(mother, "victim"), person(child, "child"),
                           case_id=uuid.uuid4())
    assert second.case_id != first.case_id
    c = app.classification(second.melding_id, access=READ)
    assert c.classification is MeldingClass.VERVOLGMELDING
    assert c.reference is not None
    assert (c.reference.person_id, c.reference.case_id) == (child, first.case_id)
    # Without a case id the melding joins the open case that shares the most persons.
    clock.advance(timedelta(days=1))
    third = new_household(app, clock, person(mother, "victim"), person(child, "child"))
    assert third.case_id == second.case_id
    # The father's case closes after its assessment; the mother's still awaits two.
    first.assess("no_further_action")
    clock.advance(timedelta(days=365))
    by_father = new_household(app, clock, person(father, "alleged_perpetrator"),
                              person(uuid.uuid4(), "victim"))
    c = app.classification(by_father.melding_id, access=READ)
    assert c.classification is MeldingClass.HERMELDING
    assert c.reference is not None and c.reference.case_id == first.case_id
    by_mother = new_household(app, clock, person(mother, "victim"), case_id=uuid.uuid4())
    c = app.classification(by_mother.melding_id, access=READ)
    # The mother's case still awaits two assessments: VT is involved.
    assert c.classification is MeldingClass.VERVOLGMELDING
    assert c.reference is not None and c.reference.case_id == second.case_id


def test_person_added_during_involvement_is_known(app: HgkmApplication,
                                                  clock: SettableClock) -> None:
    h = Household(app, clock)
    h.melding()
    grandparent = uuid.uuid4()
    app.add_person(h.cmd(person_id=str(grandparent), role="other"))
    clock.advance(timedelta(days=1))
    later = new_household(app, clock, person(grandparent, "victim"), case_id=uuid.uuid4())
    c = app.classification(later.melding_id, access=READ)
    assert c.classification is MeldingClass.VERVOLGMELDING
    assert c.reference is not None and c.reference.role is PersonRole.OTHER


def test_household_members_not_named_again_belong_to_the_new_involvement(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    h.assess("no_further_action")
    clock.advance(timedelta(days=90))
    h.melding(persons=[person(h.victim)])  # reopens the case, names only the victim
    clock.advance(timedelta(days=1))
    elsewhere = new_household(app, clock, person(h.child, "child"), case_id=uuid.uuid4())
    c = app.classification(elsewhere.melding_id, access=READ)
    assert c.classification is MeldingClass.VERVOLGMELDING
    assert c.reference is not None and c.reference.involvement_no == 2
    assert c.reference.case_id == h.case_id and c.reference.role is PersonRole.CHILD


def test_unknown_melding_is_refused(sqlite_app: HgkmApplication) -> None:
    with pytest.raises(MeldingNotClassified) as err:
        sqlite_app.classification(uuid.uuid4(), access=READ)
    assert err.value.code == "MELDING_NOT_FOUND"


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                       make_app: Any, sqlite_url: str,
                                       clock: SettableClock) -> None:
    monkeypatch.setenv("HGKM_HERMELDING_LOOKBACK_YEARS", "1")
    monkeypatch.setenv("HGKM_HERMELDING_ROLES", "victim, alleged_perpetrator")
    app: HgkmApplication = make_app(sqlite_url)
    h = Household(app, clock)
    h.melding()
    h.assess("no_further_action")
    clock.advance(timedelta(days=30))
    # Only the child is shared: children do not count under this setting.
    by_child = new_household(app, clock, person(h.child, "child"), person(uuid.uuid4()))
    c = app.classification(by_child.melding_id, access=READ)
    assert c.classification is MeldingClass.NIEUW and c.persons_counted == 1
    assert c.counted_roles == ("alleged_perpetrator", "victim")
    # The victim is shared, but the involvement ended more than one year ago.
    clock.advance(timedelta(days=400))
    by_victim = new_household(app, clock, person(h.victim))
    c = app.classification(by_victim.melding_id, access=READ)
    assert c.classification is MeldingClass.NIEUW and c.lookback_years == 1
    assert app.monitor(access=READ).classification_settings == (
        "lookback 1 years; roles alleged_perpetrator,victim",)


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(InvalidSetting):
        ClassificationSettings.from_env({"HGKM_HERMELDING_LOOKBACK_YEARS": "three"})
    with pytest.raises(InvalidSetting):
        ClassificationSettings.from_env({"HGKM_HERMELDING_ROLES": "neighbour"})
    with pytest.raises(InvalidSetting):
        ClassificationSettings(lookback_years=0)
    assert ClassificationSettings.from_env({}) == ClassificationSettings()


def test_lookback_cutoff_on_a_leap_day() -> None:
    assert lookback_cutoff(date(2028, 2, 29), 3) == date(2025, 2, 28)
    assert lookback_cutoff(date(2029, 3, 2), 3) == date(2026, 3, 2)


def test_given_settings_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from hgkm_workflow.projections.person_fold import PersonIndexProjection
    from hgkm_workflow.projections.registry import default_projections

    monkeypatch.setenv("HGKM_HERMELDING_LOOKBACK_YEARS", "2")
    assert ClassificationSettings.from_environment().lookback_years == 2
    chosen = ClassificationSettings(lookback_years=5)
    (person_index,) = [p for p in default_projections(chosen)
                       if isinstance(p, PersonIndexProjection)]
    assert person_index.settings == chosen
    (from_env,) = [p for p in default_projections() if isinstance(p, PersonIndexProjection)]
    assert from_env.settings.lookback_years == 2
