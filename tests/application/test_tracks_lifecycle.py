"""Procesregie and the partners' tracks through the application, on SQLite and PostgreSQL.

The rules are tested at the aggregate (``tests/domain/test_partner_tracks.py``,
``tests/domain/test_procesregie.py``). Here one household's whole life: tracks and procesregie
authorised by the policy, refusals that store nothing, the view read back from the store, and a
replay from the stored events alone that reproduces the live state.
"""

from __future__ import annotations

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.authority import NotAuthorised
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import RuleViolation
from tests.support import LT, LT_REGISSEUR, READ, VT, Household, refused

POLITIE = {"actor_id": "pol-007", "organisation": "politie-rotterdam", "role": "politie"}
ZVH = {"actor_id": "zvh-002", "organisation": "zvh-rotterdam-rijnmond",
       "role": "zorg_en_veiligheidshuis"}
ZVH_HOLDER = {"actor_id": "zvh-002", "organisation": "zvh-rotterdam-rijnmond",
              "organisation_type": "zorg_en_veiligheidshuis"}
RVDK = {"actor_id": "rvdk-031", "organisation": "rvdk-rotterdam", "role": "rvdk"}


def test_tracks_and_procesregie_through_a_whole_case(app: HgkmApplication,
                                                     clock: SettableClock) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    h.advance(hours=3)
    police = app.start_partner_track(h.cmd(
        actor=POLITIE, kind="criminal", organisation="politie-rotterdam",
        organisation_type="politie", person_ids=[str(h.perpetrator)],
        rationale="arrest after the incident; the case goes to ZSM"))
    police_track = str(police.ids["track_id"])
    assert police.events == ("PartnerTrackStarted",)
    h.advance(days=1)
    # ZSM refers the complex case on to the Zorg- en Veiligheidshuis (seed 001)
    zvh_track = str(app.start_partner_track(h.cmd(
        actor=VT, kind="criminal", organisation="zvh-rotterdam-rijnmond",
        organisation_type="zorg_en_veiligheidshuis",
        rationale="ZSM triage referred the case to the casusoverleg huiselijk geweld",
    )).ids["track_id"])
    app.take_procesregie(h.cmd(actor=ZVH, regisseur=ZVH_HOLDER,
                               rationale="the criminal approach asks for procesregie"))
    rvdk_track = str(app.start_partner_track(h.cmd(
        actor=LT, kind="rvdk_request", organisation="rvdk-rotterdam", organisation_type="rvdk",
        person_ids=[str(h.child)], rationale="concerns about the child's development",
    )).ids["track_id"])

    view = app.get_case(h.case_id, access=READ)
    assert view.regisseur == LT_REGISSEUR                    # casusregie stays with the team
    assert view.procesregie is not None
    assert view.procesregie["organisation"] == "zvh-rotterdam-rijnmond"
    assert sorted(t.kind for t in view.open_tracks) == ["criminal", "criminal", "rvdk_request"]
    assert view.phase.value == "directe_veiligheid"

    close = h.cmd(actor=LT, reason="other", rationale="the family moved on")
    err = refused(app, lambda: app.close_case(close), RuleViolation)
    assert err.code == "PARTNER_TRACKS_OPEN" and str(h.child) not in err.message

    h.advance(weeks=4)
    # the RvdK, involved through its open track, records the Beschermingstafel's outcome
    app.end_partner_track(h.cmd(actor=RVDK, track_id=rvdk_track, outcome="measure_prevented",
                                rationale="agreements with the parents at the table"))
    err = refused(app, lambda: app.end_partner_track(h.cmd(
        actor=RVDK, track_id=police_track, outcome="not_prosecuted")), NotAuthorised)
    assert err.code == "NOT_AUTHORISED"                      # no longer involved
    app.end_partner_track(h.cmd(actor=POLITIE, track_id=police_track, outcome="zsm_afdoening"))
    err = refused(app, lambda: app.close_case(close), RuleViolation)
    assert err.code == "PARTNER_TRACKS_OPEN"                 # the ZVH's track still runs
    app.end_partner_track(h.cmd(actor=ZVH, track_id=zvh_track,
                                outcome="justitiele_voorwaarden"))
    err = refused(app, lambda: app.close_case(close), RuleViolation)
    assert err.code == "PROCESREGIE_HELD"
    app.hand_back_procesregie(h.cmd(actor=ZVH, rationale="conditions set; the team goes on"))
    h.advance(days=1)
    app.close_case(close)

    view = app.get_case(h.case_id, access=READ)
    assert view.phase.value == "closed" and view.procesregie is None
    assert view.open_tracks == () and len(view.tracks) == 3
    assert {t.outcome for t in view.tracks} == {"measure_prevented", "zsm_afdoening",
                                                "justitiele_voorwaarden"}
    live = app.load_case(h.case_id, access=READ)
    events = app.case_events(h.case_id, access=READ)
    names = [type(e).__name__ for e in events]
    assert names.count("PartnerTrackStarted") == names.count("PartnerTrackEnded") == 3
    assert names.count("ProcesregieTaken") == names.count("ProcesregieHandedBack") == 1
    replayed: HouseholdCase | None = None
    for e in events:
        replayed = e.mutate(replayed)  # type: ignore[assignment]
    assert replayed is not None and replayed.state_dict() == live.state_dict()
