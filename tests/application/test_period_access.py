"""Need to know of an ended period covers that period, not the new one (issue 14, part A).

The casusregisseur of a closed period loses casusregie when the case is reopened
(``PeriodStarted``). Its involvement ended with period 1, so it may still read what was
recorded in period 1 — the case as it stood at the period's end, its timeline, events, as-of
and explanations up to then — but not the new period's triage, deadlines or later events. Run
on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.authority import NotAuthorised
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import AccessDenied
from hgkm_workflow.projections.cases import cases as cases_table
from tests.support import LT, LT2, LT2_REGISSEUR, READ, VT, Household


def reads_as(actor: dict[str, str], purpose: str = "case_work") -> dict[str, Any]:
    return {"actor": actor, "purpose": purpose}


OLD = reads_as(LT)    # wijkteam-noord: casusregisseur of period 1
NEW = reads_as(LT2)   # wijkteam-zuid: casusregisseur of period 2


def reopened(app: HgkmApplication, clock: SettableClock) -> tuple[Household, int]:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    h.through_directe_veiligheid()
    app.close_case(h.cmd(actor=LT, reason="other", open_deadline_reason="moved away"))
    assert h.case_id is not None
    closed = app.get_case(h.case_id, access=READ)
    h.advance(days=90)
    h.melding()
    h.assess("handover_local_team", handover_to=LT2_REGISSEUR)
    return h, closed.version


def test_the_old_regisseur_reads_the_old_period_only(app: HgkmApplication,
                                                     clock: SettableClock) -> None:
    h, end = reopened(app, clock)
    assert h.case_id is not None
    now = app.get_case(h.case_id, access=READ)
    assert now.phase == "directe_veiligheid" and now.version > end
    seen = app.get_case(h.case_id, access=OLD)
    assert seen.phase == "closed" and seen.version == end  # as period 1 ended
    events = app.case_events(h.case_id, access=OLD)
    assert len(events) == end and "PeriodStarted" not in [type(e).__name__ for e in events]
    assert len(app.timeline(h.case_id, access=OLD)) == len(
        app.timeline(h.case_id, access=READ)[:end])
    assert app.explain_event(h.case_id, end, access=OLD) is not None
    with pytest.raises(AccessDenied):
        app.explain_event(h.case_id, end + 1, access=OLD)   # the new period's first event
    with pytest.raises(AccessDenied):
        app.open_deadlines(case_id=h.case_id, access=OLD)   # the new period's deadlines
    with pytest.raises(AccessDenied):
        app.get_case(h.case_id, access=reads_as(LT, "triage"))  # not a casusregie purpose
    # the access log says which grant it was, and what it was bounded to
    entries = [e for e in app.access_log(access=READ, case_id=h.case_id)
               if e.actor_id == LT["actor_id"]]
    granted = [e for e in entries if e.verdict == "granted"]
    assert granted and all("period 1" in e.rule and f"version {end}" in e.rule
                           for e in granted)
    assert any(e.verdict == "refused" and e.resource == "deadlines" for e in entries)


def test_the_new_regisseur_reads_the_whole_case(app: HgkmApplication,
                                                clock: SettableClock) -> None:
    h, end = reopened(app, clock)
    assert h.case_id is not None
    seen = app.get_case(h.case_id, access=NEW)
    assert seen.phase == "directe_veiligheid" and seen.version > end
    assert len(app.case_events(h.case_id, access=NEW)) == seen.version


def test_an_outsider_still_reads_nothing(app: HgkmApplication, clock: SettableClock) -> None:
    h, _ = reopened(app, clock)
    assert h.case_id is not None
    stranger = {"actor_id": "lt-099", "organisation": "wijkteam-west", "role": "lokaal_team"}
    with pytest.raises(AccessDenied):
        app.get_case(h.case_id, access=reads_as(stranger))


def test_carrying_the_regisseur_over_restores_full_access(app: HgkmApplication,
                                                          clock: SettableClock) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    h.through_directe_veiligheid()
    app.close_case(h.cmd(actor=LT, reason="other", open_deadline_reason="moved away"))
    h.advance(days=90)
    h.melding()
    assert h.case_id is not None
    app.carry_over_into_period(h.cmd(actor=VT, regisseur=True,
                                     rationale="the same team resumes the casusregie"))
    seen = app.get_case(h.case_id, access=OLD)
    assert seen.phase == "triage"
    assert seen.version == app.get_case(h.case_id, access=READ).version
    # the case index follows: casusregie is the carried regisseur's again
    app.catch_up()
    with app.engine.connect() as conn:
        regie = conn.execute(sa.select(cases_table.c.regie_organisation).where(
            cases_table.c.case_id == str(h.case_id))).scalar_one()
    assert regie == LT["organisation"]


def test_who_may_decide_a_carry_over(app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    h.through_directe_veiligheid()
    app.set_hulpverleningsplan(h.cmd(actor=LT, risk_factors=["verslaving"]))
    app.close_case(h.cmd(actor=LT, reason="other", open_deadline_reason="moved away"))
    h.advance(days=90)
    h.melding()
    assert h.case_id is not None
    before = app.get_case(h.case_id, access=READ).version
    # the closed period's regisseur holds nothing in the new period: it cannot carry itself
    with pytest.raises(NotAuthorised):
        app.carry_over_into_period(h.cmd(actor=LT, regisseur=True))
    assert app.get_case(h.case_id, access=READ).version == before
    # the new period's regisseur may carry the closed period's risk factor into its work
    h.assess("handover_local_team", handover_to=LT2_REGISSEUR)
    app.carry_over_into_period(h.cmd(actor=LT2, risk_factors=["verslaving"]))
    assert app.load_case(h.case_id, access=READ).open_risk_factors == ["verslaving"]
