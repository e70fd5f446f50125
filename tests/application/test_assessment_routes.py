"""The route an assessment or a VT service takes, and when an outcome may close the case.

* The route of a veiligheidsbeoordeling (no further action, a handover, an onderzoek,
  Voorwaarden en Vervolg) is its ``outcome``: it decides which service, handover and
  deadlines start. Given as an *additional measure* it would be recorded but never started,
  so it is refused at the boundary.
* An outcome closes the case by itself only when nothing is left behind: not while another
  melding awaits its assessment (its T1 would be abandoned), a statutory deadline is open, or
  a huisverbod is in force. After a VT service the case then stays open for a person to close
  with a reason; from triage (which cannot be closed by hand) the closing outcome is refused.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.commands import ADDITIONAL_MEASURES
from hgkm_workflow.errors import InvalidCommand, RuleViolation
from hgkm_workflow.phases.lifecycle import CasePhase
from hgkm_workflow.vocabulary import AssessmentOutcome
from tests.support import BURGEMEESTER, LT, READ, VT, Household, refused

ROUTES = sorted(set(AssessmentOutcome) - ADDITIONAL_MEASURES)


@pytest.mark.parametrize("route", ROUTES)
def test_a_route_given_as_an_additional_measure_is_refused(
    app: HgkmApplication, clock: SettableClock, route: AssessmentOutcome
) -> None:
    h = Household(app, clock)
    h.melding()
    outcome = "inform_police_om"
    exc = refused(app, lambda: h.assess(outcome, additional_measures=[route.value]),
                  InvalidCommand)
    assert exc.fields == ["<command>"]
    # the same route as the outcome is accepted and started
    if route is AssessmentOutcome.ONDERZOEK:
        h.assess("onderzoek", additional_measures=["inform_police_om"])
        view = app.get_case(h.case_id, access=READ)
        assert view.vt_service["state"] == "running"
        assert [d.rule_id for d in view.deadlines if d.rule_id == "T3"] == ["T3"]


def test_a_measure_is_accepted_beside_its_route(app: HgkmApplication,
                                                clock: SettableClock) -> None:
    h = Household(app, clock)
    h.melding()
    h.assess("handover_local_team", additional_measures=sorted(
        m.value for m in ADDITIONAL_MEASURES if m is not AssessmentOutcome.CRISIS_INTERVENTION))
    view = app.get_case(h.case_id, access=READ)
    assert view.phase is CasePhase.DIRECTE_VEILIGHEID
    assert view.mda == "escalated"


def _onderzoek_with_a_pending_vervolgmelding(app: HgkmApplication,
                                            clock: SettableClock) -> Household:
    h = Household(app, clock)
    h.melding()
    h.assess("onderzoek")
    h.advance(days=3)
    h.melding(melder_type="burger")  # a vervolgmelding, not yet assessed
    h.advance(days=1)
    return h


def test_a_vt_service_does_not_close_a_case_with_a_melding_awaiting_assessment(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = _onderzoek_with_a_pending_vervolgmelding(app, clock)  # h.melding_id: the pending one
    app.complete_vt_service(h.cmd(result="no_further_action", conclusion="not_confirmed"))
    view = app.get_case(h.case_id, access=READ)
    assert view.phase is CasePhase.DIRECTE_VEILIGHEID      # not closed
    assert view.vt_service["state"] == "idle"
    t1 = [d for d in view.deadlines if d.rule_id == "T1" and d.status == "open"]
    assert len(t1) == 1                                     # the vervolgmelding's T1 runs on
    # its assessment is still possible, and T1 is met by it
    h.assess("no_further_action")
    view = app.get_case(h.case_id, access=READ)
    assert [d.status for d in view.deadlines if d.rule_id == "T1"] == ["met", "met"]
    # a person closes the case; nothing statutory is left open, so no reason is needed
    app.close_case(h.cmd(actor=VT, reason="other"))
    assert app.get_case(h.case_id, access=READ).phase is CasePhase.CLOSED


def test_without_a_pending_melding_the_vt_service_closes_the_case(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    h.assess("onderzoek")
    h.advance(days=10)
    app.complete_vt_service(h.cmd(result="no_further_action", conclusion="not_confirmed"))
    view = app.get_case(h.case_id, access=READ)
    assert view.phase is CasePhase.CLOSED
    assert view.closure is not None and view.closure["open_deadline_reason"] is None


def test_no_further_action_is_refused_while_a_huisverbod_is_in_force(
    app: HgkmApplication, clock: SettableClock
) -> None:
    """From triage the case cannot be closed by hand, so the closing outcome is refused."""
    h = Household(app, clock)
    h.melding(acute=True)
    app.impose_huisverbod(h.cmd(actor=BURGEMEESTER, removed_person_id=str(h.perpetrator)))
    h.advance(hours=2)
    exc = refused(app, lambda: h.assess("no_further_action"), RuleViolation)
    assert exc.code == "HUISVERBOD_IN_FORCE"
    # once it has run out, the same outcome closes the case
    clock.advance(timedelta(days=11))
    app.tick()
    h.assess("no_further_action")
    assert app.get_case(h.case_id, access=READ).phase is CasePhase.CLOSED


def test_mda_ends_with_the_case_and_a_reopened_case_can_escalate_again(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    h.assess("handover_local_team", additional_measures=["escalate_mda"])
    assert app.get_case(h.case_id, access=READ).mda == "escalated"
    h.advance(days=30)
    app.close_case(h.cmd(actor=LT, reason="other", open_deadline_reason="moved abroad"))
    view = app.get_case(h.case_id, access=READ)
    assert (view.phase, view.mda) == (CasePhase.CLOSED, "returned")
    names = [type(e).__name__ for e in app.case_events(h.case_id, access=READ)]
    assert names[names.index("Closed") - 1] == "ReturnedToLocalTeam"
    h.advance(days=60)
    h.melding()                                  # reopens the case
    h.assess("handover_local_team", additional_measures=["escalate_mda"])
    assert app.get_case(h.case_id, access=READ).mda == "escalated"


def test_a_case_closed_after_the_lookup_is_not_reopened_by_a_melding_without_case_id(
    app: HgkmApplication, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process closed the household's case between the index lookup and the load."""
    from hgkm_workflow.application import intake

    h = Household(app, clock)
    h.melding()
    h.assess("no_further_action")
    closed = h.case_id
    assert app.get_case(closed, access=READ).phase is CasePhase.CLOSED
    monkeypatch.setattr(intake, "open_case_for_persons",
                        lambda engine, persons, at=None: closed)
    h.advance(days=2)
    data = {"actor": VT, "rationale": "police report", "region": h.region,
            "gemeente": h.gemeente, "melder_type": "politie", "persons": h.persons(),
            "forms_of_violence": ["partnergeweld"]}
    result = app.receive_melding(data)
    assert result.case_id != closed
    assert app.get_case(closed, access=READ).phase is CasePhase.CLOSED
    assert app.get_case(result.case_id, access=READ).phase is CasePhase.TRIAGE
    # naming the case reopens it, as before
    reopened = app.receive_melding({**data, "case_id": str(closed)})
    assert reopened.case_id == closed
    assert app.get_case(closed, access=READ).phase is CasePhase.TRIAGE


def test_a_late_registered_melding_does_not_join_a_case_opened_after_it(
    app: HgkmApplication, clock: SettableClock
) -> None:
    """A melding dated before the household's open case was opened starts a case of its own."""
    h = Household(app, clock)
    h.advance(days=10)
    h.melding()                                  # the open case, opened on day 10
    opened = app.get_case(h.case_id, access=READ).opened_at
    h.advance(days=1)
    data = {"actor": VT, "rationale": "police report found in the backlog", "region": h.region,
            "gemeente": h.gemeente, "melder_type": "politie", "persons": h.persons(),
            "forms_of_violence": ["partnergeweld"],
            "occurred_at": (opened - timedelta(days=5)).isoformat()}
    late = app.receive_melding(data)              # before: refused OCCURRED_BEFORE_CASE
    assert late.case_id != h.case_id
    # dated after the opening, the same melding joins the open case as before
    joined = app.receive_melding({**data, "occurred_at": (opened + timedelta(hours=1))
                                  .isoformat()})
    assert joined.case_id == h.case_id


def test_simultaneous_intake_about_one_household_opens_one_case(
    app: HgkmApplication, clock: SettableClock, make_app: Any
) -> None:
    """Two application instances (as two processes) receive meldingen about the same persons
    at the same moment, without a case id: on PostgreSQL the second waits for the first and
    joins its case. (SQLite stores serve one process; there the test runs the same path.)"""
    import threading

    other = make_app(app.config.url)
    for _ in range(4):
        h = Household(app, clock)
        data = {"actor": VT, "rationale": "police report", "region": h.region,
                "gemeente": h.gemeente, "melder_type": "politie", "persons": h.persons(),
                "forms_of_violence": ["partnergeweld"]}
        barrier = threading.Barrier(2)
        results: list[Any] = []

        def intake(application: HgkmApplication, payload: dict[str, Any] = data,
                   gate: threading.Barrier = barrier, out: list[Any] = results) -> None:
            gate.wait()
            out.append(application.receive_melding(payload).case_id)

        if app.engine.dialect.name == "postgresql":
            threads = [threading.Thread(target=intake, args=(a,)) for a in (app, other)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
        else:  # one process per SQLite store: the same path, one after the other
            results = [a.receive_melding(data).case_id for a in (app, other)]
        assert len(results) == 2 and results[0] == results[1], results
