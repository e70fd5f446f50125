"""Procesregie beside casusregie (issue 14 part B; seeds 001, 002, 004).

"De proces- en casusregie kan verschillend worden belegd" (004): the MDA++ kernteam (002), a
Zorg- en Veiligheidshuis where the criminal approach asks for it, or the Centrum Huiselijk
Geweld (001) holds procesregie while the local team keeps casusregie.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import RuleViolation
from tests.domain.driver import LT, LT_REGISSEUR, DomainCases, Household, refused
from tests.domain.tracks_driver import (
    CHG,
    CHG_HOLDER,
    MDA,
    MDA_HOLDER,
    POLITIE,
    ZVH,
    ZVH_HOLDER,
    end,
    run,
    start,
)


@pytest.fixture
def cases(clock: SettableClock) -> DomainCases:
    return DomainCases(clock)


def escalated(cases: DomainCases) -> Household:
    h = Household(cases)
    h.to_directe_veiligheid()
    h.advance(days=1)
    cases.escalate_to_mda(h.cmd(actor=LT))
    h.advance(hours=2)
    return h


def take(cases: DomainCases, h: Household, actor: dict[str, str], holder: dict[str, str],
         **extra: object) -> None:
    run(cases, "take_procesregie", h.cmd(actor=actor, regisseur=holder, **extra))


def hand_back(cases: DomainCases, h: Household, actor: dict[str, str], **extra: object) -> None:
    run(cases, "hand_back_procesregie", h.cmd(actor=actor, **extra))


def code(err: object) -> str | None:
    return getattr(err, "code", None)


def test_the_kernteam_holds_procesregie_while_the_local_team_keeps_casusregie(
        cases: DomainCases) -> None:
    h = escalated(cases)
    casusregie = dict(h.case.regie)
    take(cases, h, MDA, MDA_HOLDER)
    assert h.case.regie == casusregie                      # casusregie stays where it is
    view = cases.view(h.case_id)
    assert view.regisseur == LT_REGISSEUR
    assert view.procesregie == {**MDA_HOLDER, "since": cases.clock.now()}
    h.advance(weeks=8)
    hand_back(cases, h, MDA)
    assert cases.view(h.case_id).procesregie is None and h.case.regie == casusregie
    assert cases.event_names(h.case_id)[-2:] == ["ProcesregieTaken", "ProcesregieHandedBack"]
    (earlier,) = h.case.procesregie["previous"]
    assert earlier["holder"] == MDA_HOLDER and earlier["until"] == cases.clock.now()
    assert cases.replayed(h.case_id).state_dict() == h.case.state_dict()
    cases.return_to_local_team(h.cmd(actor=MDA))           # after handing back, MDA++ ends
    assert h.case.mda_state == "returned"


def test_only_kernteam_zvh_or_chg_take_procesregie_themselves(cases: DomainCases) -> None:
    h = escalated(cases)
    err = refused(cases, lambda: take(cases, h, LT, LT_REGISSEUR))
    assert code(err) == "PROCESREGIE_ORGANISATION_NOT_ALLOWED"
    err = refused(cases, lambda: take(cases, h, LT, MDA_HOLDER))
    assert code(err) == "NOT_PROCESREGIE_ORGANISATION"
    take(cases, h, MDA, MDA_HOLDER)
    other = {**MDA_HOLDER, "actor_id": "mda-012"}
    err = refused(cases, lambda: take(cases, h, {**MDA, "actor_id": "mda-012"}, other))
    assert code(err) == "PROCESREGIE_HELD"                 # one procesregisseur at a time


def test_each_holder_needs_its_ground(cases: DomainCases) -> None:
    h = Household(cases)
    h.to_directe_veiligheid()
    h.advance(hours=3)
    err = refused(cases, lambda: take(cases, h, MDA, MDA_HOLDER))
    assert code(err) == "MDA_NOT_ESCALATED"
    err = refused(cases, lambda: take(cases, h, ZVH, ZVH_HOLDER))
    assert code(err) == "PROCESREGIE_GROUND_MISSING"       # no criminal track
    err = refused(cases, lambda: take(cases, h, CHG, CHG_HOLDER))
    assert code(err) == "PROCESREGIE_GROUND_MISSING"       # no CHG involvement
    start(cases, h, "criminal", "politie-rotterdam", "politie", actor=POLITIE)
    before_track = (cases.clock.now() - timedelta(minutes=30)).isoformat()
    err = refused(cases, lambda: take(cases, h, ZVH, ZVH_HOLDER, occurred_at=before_track))
    assert code(err) == "PROCESREGIE_GROUND_MISSING"       # business time decides
    take(cases, h, ZVH, ZVH_HOLDER)
    assert cases.view(h.case_id).procesregie is not None


def test_the_kernteam_takes_procesregie_not_before_the_escalation(cases: DomainCases) -> None:
    h = escalated(cases)
    early = (cases.clock.now() - timedelta(hours=3)).isoformat()
    err = refused(cases, lambda: take(cases, h, MDA, MDA_HOLDER, occurred_at=early))
    assert code(err) == "MDA_NOT_ESCALATED"
    take(cases, h, MDA, MDA_HOLDER)


def test_the_holder_hands_back_not_before_it_took_it(cases: DomainCases) -> None:
    h = escalated(cases)
    err = refused(cases, lambda: hand_back(cases, h, MDA))
    assert code(err) == "PROCESREGIE_NOT_HELD"
    take(cases, h, MDA, MDA_HOLDER)
    err = refused(cases, lambda: hand_back(cases, h, LT))
    assert code(err) == "NOT_PROCESREGISSEUR"
    early = (cases.clock.now() - timedelta(hours=1)).isoformat()
    err = refused(cases, lambda: hand_back(cases, h, MDA, occurred_at=early))
    assert code(err) == "OCCURRED_BEFORE_PROCESREGIE"


def test_procesregie_is_handed_back_before_mda_ends_or_the_case_closes(
        cases: DomainCases) -> None:
    h = escalated(cases)
    take(cases, h, MDA, MDA_HOLDER)
    err = refused(cases, lambda: cases.return_to_local_team(h.cmd(actor=MDA)), RuleViolation)
    assert code(err) == "PROCESREGIE_HELD"
    err = refused(cases, lambda: cases.close_case(h.cmd(actor=LT, reason="other")))
    assert code(err) == "PROCESREGIE_HELD"


def test_the_chg_hands_back_procesregie_before_its_involvement_ends(cases: DomainCases) -> None:
    h = Household(cases)
    h.to_directe_veiligheid()
    tid = start(cases, h, "chg_involvement", "chg-filomena", "centrum_huiselijk_geweld",
                actor=CHG)
    take(cases, h, CHG, CHG_HOLDER)
    h.advance(weeks=10)
    err = refused(cases, lambda: end(cases, h, tid, "handed_back_to_local_field", actor=CHG,
                                     handover_to=LT_REGISSEUR))
    assert code(err) == "PROCESREGIE_HELD"
    hand_back(cases, h, CHG)
    end(cases, h, tid, "handed_back_to_local_field", actor=CHG, handover_to=LT_REGISSEUR)
    view = cases.view(h.case_id)
    assert view.procesregie is None and view.open_tracks == ()
    assert view.regisseur == LT_REGISSEUR
