"""A property of the partners' tracks: whatever the order of starts, ends and closing attempts,
a case closes exactly when no track is open, the phase never moves with a track, and a replay
of the events reproduces the live state (issue 14 part B; docs/tracks.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hgkm_workflow.clock import SettableClock
from hgkm_workflow.domain.track_kinds import TRACK_KINDS
from hgkm_workflow.errors import HgkmError
from hgkm_workflow.vocabulary import TrackKind
from tests.domain.driver import LT, LT_REGISSEUR, DomainCases, Household
from tests.domain.tracks_driver import end, start

_ORG = {TrackKind.CRIMINAL: "om", TrackKind.RVDK_REQUEST: "rvdk",
        TrackKind.PROTECTION_ORDER: "gi", TrackKind.SHELTER_STAY: "vrouwenopvang",
        TrackKind.CHG_INVOLVEMENT: "centrum_huiselijk_geweld"}

_step = st.one_of(
    st.tuples(st.just("start"), st.sampled_from(list(TrackKind)), st.integers(0, 2)),
    st.tuples(st.just("end"), st.integers(0, 20), st.integers(0, 10)),
    st.tuples(st.just("close"), st.just(0), st.just(0)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(_step, max_size=14))
def test_a_case_closes_exactly_when_no_track_is_open(steps: list[tuple[str, object, int]]) -> None:
    cases = DomainCases(SettableClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))
    h = Household(cases)
    h.to_directe_veiligheid()
    for action, a, b in steps:
        if h.case.phase == "closed":
            break
        h.advance(hours=5)
        phase = h.case.phase
        open_before = cases.view(h.case_id).open_tracks
        if action == "start" and isinstance(a, TrackKind):
            try:
                start(cases, h, a.value, f"org-{a.value}-{b}".replace("_", "-"), _ORG[a])
            except HgkmError as err:                    # only a duplicate may be refused
                assert err.code == "TRACK_ALREADY_OPEN"
            assert h.case.phase == phase
        elif action == "end" and open_before:
            track = open_before[int(str(a)) % len(open_before)]
            spec = TRACK_KINDS[TrackKind(track.kind)]
            outcome = sorted(spec.outcomes)[b % len(spec.outcomes)]
            extra = {"handover_to": LT_REGISSEUR} if spec.ends_with_handover else {}
            end(cases, h, track.track_id, outcome.value, actor=LT, **extra)
            assert h.case.phase == phase
            assert len(cases.view(h.case_id).open_tracks) == len(open_before) - 1
        elif action == "close":
            try:
                cases.close_case(h.cmd(actor=LT, reason="other",
                                       open_deadline_reason="closed in the team meeting"))
                assert not open_before and h.case.phase == "closed"
            except HgkmError as err:
                assert open_before and err.code == "PARTNER_TRACKS_OPEN"
    assert cases.replayed(h.case_id).state_dict() == h.case.state_dict()
