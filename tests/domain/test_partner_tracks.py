"""The partners' tracks beside the phases (issue 14 part B): one mechanism for every kind.

Sources: criminal track, RvdK, GI, opvang, Centrum Huiselijk Geweld (seeds 001, 002); the CHG
is "nooit het eindpunt voor een casus, uiteindelijk blijft het lokale veld de basis" (001);
"We laten niet los voordat de ander beet heeft" (004): a case does not close over open tracks.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from hgkm_workflow.clock import SettableClock
from hgkm_workflow.domain.track_kinds import TRACK_KINDS
from hgkm_workflow.errors import HgkmError, InvalidCommand, RuleViolation
from hgkm_workflow.vocabulary import OrganisationType, TrackKind, TrackOutcome
from tests.domain.driver import LT, LT_REGISSEUR, DomainCases, Household, refused
from tests.domain.tracks_driver import CHG, POLITIE, end, start

#: An organisation of each kind's own type, as the sources name them.
RUNS = {TrackKind.CRIMINAL: ("politie-rotterdam", "politie"),
        TrackKind.RVDK_REQUEST: ("rvdk-rotterdam", "rvdk"),
        TrackKind.PROTECTION_ORDER: ("jbrr", "gi"),
        TrackKind.SHELTER_STAY: ("opvang-rotterdam", "vrouwenopvang"),
        TrackKind.CHG_INVOLVEMENT: ("chg-filomena", "centrum_huiselijk_geweld")}


@pytest.fixture
def cases(clock: SettableClock) -> DomainCases:
    return DomainCases(clock)


def in_dv(cases: DomainCases) -> Household:
    h = Household(cases)
    h.to_directe_veiligheid()
    h.advance(hours=2)
    return h


def test_a_track_runs_beside_the_phases_and_ends_with_its_outcome(cases: DomainCases) -> None:
    h = in_dv(cases)
    phase, version = h.case.phase, h.case.version
    tid = start(cases, h, "criminal", "politie-rotterdam", "politie", actor=POLITIE,
                person_ids=[str(h.perpetrator)])
    assert h.case.phase == phase and h.case.version == version + 1   # one event, no phase move
    view = cases.view(h.case_id)
    (track,) = view.open_tracks
    assert (track.kind, track.organisation, track.organisation_type) == (
        "criminal", "politie-rotterdam", "politie")
    assert track.person_ids == (str(h.perpetrator),) and track.ended_at is None
    h.advance(days=3)
    h.through_directe_veiligheid()                        # the phases go on while it runs
    r = end(cases, h, tid, "zsm_afdoening", actor=POLITIE)
    assert r.events == ("PartnerTrackEnded",)
    view = cases.view(h.case_id)
    assert view.open_tracks == () and view.tracks[0].outcome == "zsm_afdoening"
    assert view.tracks[0].ended_at == cases.clock.now()
    assert view.phase.value == "risicogestuurde_zorg"
    assert cases.replayed(h.case_id).state_dict() == h.case.state_dict()
    names = cases.event_names(h.case_id)
    assert names.count("PartnerTrackStarted") == names.count("PartnerTrackEnded") == 1


@pytest.mark.parametrize("kind", list(TrackKind))
def test_each_kind_is_run_only_by_its_organisation_types(cases: DomainCases,
                                                         kind: TrackKind) -> None:
    h = in_dv(cases)
    wrong = next(t for t in (OrganisationType.LOKAAL_TEAM, OrganisationType.GEMEENTE)
                 if t not in TRACK_KINDS[kind].organisation_types)
    err = refused(cases, lambda: start(cases, h, kind.value, "org-x", wrong.value),
                  RuleViolation)
    assert isinstance(err, RuleViolation) and err.code == "TRACK_ORGANISATION_NOT_ALLOWED"
    org, org_type = RUNS[kind]
    start(cases, h, kind.value, org, org_type)
    assert [t.kind for t in cases.view(h.case_id).open_tracks] == [kind.value]


@pytest.mark.parametrize(("kind", "outcome", "allowed"), [
    (TrackKind.CRIMINAL, TrackOutcome.NOT_PROSECUTED, True),
    (TrackKind.CRIMINAL, TrackOutcome.JUSTITIELE_VOORWAARDEN, True),
    (TrackKind.CRIMINAL, TrackOutcome.RETURNED_HOME, False),
    (TrackKind.RVDK_REQUEST, TrackOutcome.MEASURE_PREVENTED, True),
    (TrackKind.RVDK_REQUEST, TrackOutcome.PROTECTION_ORDER_REQUESTED, True),
    (TrackKind.RVDK_REQUEST, TrackOutcome.PROSECUTED, False),
    (TrackKind.PROTECTION_ORDER, TrackOutcome.ORDER_ENDED, True),
    (TrackKind.PROTECTION_ORDER, TrackOutcome.MEASURE_PREVENTED, False),
    (TrackKind.SHELTER_STAY, TrackOutcome.RETURNED_HOME, True),
    (TrackKind.SHELTER_STAY, TrackOutcome.ORDER_REVOKED, False),
    (TrackKind.CHG_INVOLVEMENT, TrackOutcome.FOLLOWED_OUTSIDE_CASE, False),
    (TrackKind.CHG_INVOLVEMENT, TrackOutcome.NOT_PROSECUTED, False),
])
def test_a_track_ends_only_with_an_outcome_of_its_kind(cases: DomainCases, kind: TrackKind,
                                                       outcome: TrackOutcome,
                                                       allowed: bool) -> None:
    h = in_dv(cases)
    tid = start(cases, h, kind.value, *RUNS[kind])
    h.advance(days=1)
    if allowed:
        end(cases, h, tid, outcome.value)
        assert cases.view(h.case_id).tracks[0].outcome == outcome.value
        return
    err = refused(cases, lambda: end(cases, h, tid, outcome.value), RuleViolation)
    assert isinstance(err, RuleViolation) and err.code == "TRACK_OUTCOME_NOT_ALLOWED"
    assert err.rule == TRACK_KINDS[kind].rule


def test_ending_answers_the_track_once_and_not_before_it_started(cases: DomainCases) -> None:
    h = in_dv(cases)
    tid = start(cases, h, "shelter_stay", "opvang-rotterdam", "vrouwenopvang",
                person_ids=[str(h.victim), str(h.child)])
    started = cases.view(h.case_id).tracks[0].started_at
    early = (started - timedelta(minutes=5)).isoformat()
    err = refused(cases, lambda: end(cases, h, tid, "returned_home", occurred_at=early),
                  RuleViolation)
    assert isinstance(err, RuleViolation) and err.code == "OCCURRED_BEFORE_TRACK"
    err = refused(cases, lambda: end(cases, h, str(h.victim), "returned_home"), RuleViolation)
    assert isinstance(err, RuleViolation) and err.code == "TRACK_NOT_FOUND"
    h.advance(days=10)
    end(cases, h, tid, "moved_on")
    err = refused(cases, lambda: end(cases, h, tid, "returned_home"), RuleViolation)
    assert isinstance(err, RuleViolation) and err.code == "TRACK_ALREADY_ENDED"


def test_persons_belong_to_the_case_and_one_open_track_per_kind_and_organisation(
        cases: DomainCases) -> None:
    h = in_dv(cases)
    stranger = str(uuid.uuid4())
    err = refused(cases, lambda: start(cases, h, "shelter_stay", "opvang-rotterdam",
                                       "vrouwenopvang", person_ids=[stranger]))
    assert getattr(err, "code", None) == "PERSON_NOT_IN_CASE"
    tid = start(cases, h, "shelter_stay", "opvang-rotterdam", "vrouwenopvang")
    err = refused(cases, lambda: start(cases, h, "criminal", "om-rotterdam", "om",
                                       track_id=tid), RuleViolation)
    assert isinstance(err, RuleViolation) and err.code == "TRACK_ID_IN_USE"
    err = refused(cases, lambda: start(cases, h, "shelter_stay", "opvang-rotterdam",
                                       "vrouwenopvang"), RuleViolation)
    assert isinstance(err, RuleViolation) and err.code == "TRACK_ALREADY_OPEN"
    start(cases, h, "shelter_stay", "crisisopvang-rijnmond", "zorgaanbieder")  # another one
    assert len(cases.view(h.case_id).open_tracks) == 2


def test_the_chg_is_never_the_end_point_it_hands_back_to_the_local_field(
        cases: DomainCases) -> None:
    h = in_dv(cases)
    tid = start(cases, h, "chg_involvement", "chg-filomena", "centrum_huiselijk_geweld",
                actor=CHG)
    h.advance(weeks=6)
    with pytest.raises(InvalidCommand):                    # handing back names the receiver
        end(cases, h, tid, "handed_back_to_local_field", actor=CHG)
    to_vt = {"actor_id": "vt-017", "organisation": "vt-rotterdam-rijnmond",
             "organisation_type": "veilig_thuis"}
    err = refused(cases, lambda: end(cases, h, tid, "handed_back_to_local_field", actor=CHG,
                                     handover_to=to_vt), RuleViolation)
    assert isinstance(err, RuleViolation) and err.code == "LOCAL_FIELD_REQUIRED"
    end(cases, h, tid, "handed_back_to_local_field", actor=CHG, handover_to=LT_REGISSEUR)
    (track,) = cases.view(h.case_id).tracks
    assert track.handover_to == LT_REGISSEUR and track.outcome == "handed_back_to_local_field"


def test_a_case_does_not_close_over_an_open_track(cases: DomainCases) -> None:
    h = Household(cases)
    h.to_waakvlam()
    tid = start(cases, h, "protection_order", "jbrr", "gi", person_ids=[str(h.child)])
    close = h.cmd(actor=LT, reason="waakvlam_completed")
    err = refused(cases, lambda: cases.close_case(close), RuleViolation)
    assert isinstance(err, RuleViolation) and err.code == "PARTNER_TRACKS_OPEN"
    assert "protection_order" in err.message and str(h.child) not in err.message
    # the explicit decision: the GI goes on with its order, the case no longer follows it
    end(cases, h, tid, "followed_outside_case", actor=LT)
    cases.close_case(close)
    assert h.case.phase == "closed"
    err2 = refused(cases, lambda: start(cases, h, "criminal", "om-rotterdam", "om"), HgkmError)
    assert err2.code == "TRANSITION_NOT_ALLOWED"


def test_the_assessment_does_not_close_a_case_over_an_open_track(cases: DomainCases) -> None:
    h = Household(cases)
    h.melding()
    start(cases, h, "shelter_stay", "opvang-rotterdam", "vrouwenopvang",
          person_ids=[str(h.victim)])
    err = refused(cases, lambda: h.assess("no_further_action"), RuleViolation)
    assert isinstance(err, RuleViolation) and err.code == "PARTNER_TRACKS_OPEN"


@pytest.mark.parametrize("with_track", [False, True])
def test_a_vt_service_does_not_close_a_case_over_an_open_track(cases: DomainCases,
                                                               with_track: bool) -> None:
    h = Household(cases)
    h.melding()
    h.assess("onderzoek")
    if with_track:
        start(cases, h, "rvdk_request", "rvdk-rotterdam", "rvdk", person_ids=[str(h.child)])
    h.advance(weeks=3)
    cases.complete_vt_service(h.cmd(result="no_further_action", conclusion="not_confirmed"))
    assert h.case.phase == ("directe_veiligheid" if with_track else "closed")
