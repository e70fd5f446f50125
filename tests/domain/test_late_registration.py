"""Business time decides, recording time is kept (issue 14, point 2).

A lawful fact registered late is accepted when it was lawful at its business time, whether or
not a tick already recorded what its absence implied. The tick's observation stays on record,
superseded by an explicit correction event that keeps both instants; the case state follows
the business-time truth and does not depend on when the scheduler ran.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import RuleViolation, TransitionNotAllowed
from tests.domain.driver import BURGEMEESTER, DomainCases, Household, refused


@pytest.fixture
def cases(clock: SettableClock) -> DomainCases:
    return DomainCases(clock)


def by_rule(h: Household, rule_id: str) -> dict[str, Any]:
    (d,) = [d for d in h.case.deadlines.values()
            if d["rule_id"] == rule_id and d["checkpoint"] is None]
    return d


def huisverbod_case(cases: DomainCases) -> Household:
    h = Household(cases)
    h.to_directe_veiligheid()
    r = cases.impose_huisverbod(h.cmd(actor=BURGEMEESTER, removed_person_id=str(h.perpetrator)))
    h.huisverbod_id = r.ids["huisverbod_id"]
    return h


def extend_on_day_9(cases: DomainCases, h: Household, *, tick_first: bool) -> None:
    hv = h.case.huisverboden[str(h.huisverbod_id)]
    imposed, ends = hv["imposed_at"], hv["ends_at"]
    cases.clock.set(ends + timedelta(hours=6))
    if tick_first:
        kinds = [t.kind for t in cases.tick()]
        assert "huisverbod_expired" in kinds
        assert h.case.huisverboden[str(h.huisverbod_id)]["state"] == "expired"
    cases.extend_huisverbod(h.cmd(
        actor=BURGEMEESTER, huisverbod_id=str(h.huisverbod_id),
        occurred_at=(imposed + timedelta(days=9)).isoformat(),
        new_end=(imposed + timedelta(days=20)).isoformat(),
        rationale="decided on day 9 in the burgemeester's meeting, registered late"))


def comparable(h: Household) -> dict[str, Any]:
    hv = dict(h.case.huisverboden[str(h.huisverbod_id)])
    hv.pop("expiries_withdrawn", None)
    hv.pop("expired_version", None)
    hv.pop("removed_person_id")
    deadlines = sorted((d["rule_id"], d["status"], d["met_at"], d["due"])
                       for d in h.case.deadlines.values())
    return {"huisverbod": hv, "deadlines": deadlines}


def test_an_extension_decided_on_day_9_is_accepted_after_the_tick_recorded_the_expiry(
    clock: SettableClock,
) -> None:
    late, direct = DomainCases(clock), DomainCases(SettableClock(clock.now()))
    h_late, h_direct = huisverbod_case(late), huisverbod_case(direct)
    extend_on_day_9(late, h_late, tick_first=True)
    extend_on_day_9(direct, h_direct, tick_first=False)
    names = late.event_names(h_late.case_id)
    assert names.index("HuisverbodExpired") < names.index("HuisverbodExpiryWithdrawn") \
        < names.index("HuisverbodExtended")
    assert "HuisverbodExpiryWithdrawn" not in direct.event_names(h_direct.case_id)
    hv = h_late.case.huisverboden[str(h_late.huisverbod_id)]
    assert hv["state"] == "extended" and hv["ended_at"] is None
    (withdrawn,) = hv["expiries_withdrawn"]
    assert withdrawn["observed_end"] < clock.now()            # what the tick had recorded ...
    assert withdrawn["withdrawn_at"] < withdrawn["observed_end"]   # ... superseded by day 9
    assert withdrawn["because"] == "extended" and withdrawn["observed_version"] is not None
    # the record no longer depends on whether the scheduler ran before the registration
    assert comparable(h_late) == comparable(h_direct)
    assert by_rule(h_late, "T7")["status"] == "open"
    # replay reproduces the live state
    assert late.replayed(h_late.case_id).state_dict() == h_late.case.state_dict()


def test_an_extension_decided_after_the_end_stays_refused(cases: DomainCases) -> None:
    h = huisverbod_case(cases)
    hv = h.case.huisverboden[str(h.huisverbod_id)]
    cases.clock.set(hv["ends_at"] + timedelta(hours=6))
    cases.tick()
    err = refused(cases, lambda: cases.extend_huisverbod(h.cmd(
        actor=BURGEMEESTER, huisverbod_id=str(h.huisverbod_id),
        occurred_at=(hv["ends_at"] + timedelta(hours=1)).isoformat(),
        new_end=(hv["imposed_at"] + timedelta(days=20)).isoformat())))
    assert isinstance(err, TransitionNotAllowed | RuleViolation)


def test_a_revocation_decided_before_the_end_supersedes_the_recorded_expiry(
    cases: DomainCases,
) -> None:
    h = huisverbod_case(cases)
    hv = h.case.huisverboden[str(h.huisverbod_id)]
    revoked_at = hv["imposed_at"] + timedelta(days=4)
    cases.clock.set(hv["ends_at"] + timedelta(days=1))
    cases.tick()
    cases.revoke_huisverbod(h.cmd(actor=BURGEMEESTER, huisverbod_id=str(h.huisverbod_id),
                                  occurred_at=revoked_at.isoformat()))
    hv = h.case.huisverboden[str(h.huisverbod_id)]
    assert hv["state"] == "revoked" and hv["ended_at"] == revoked_at
    assert by_rule(h, "T6")["met_at"] == revoked_at
    assert [w["because"] for w in hv["expiries_withdrawn"]] == ["revoked"]


def test_an_assessment_done_on_time_but_registered_after_the_breach_withdraws_it(
    clock: SettableClock,
) -> None:
    cases = DomainCases(clock)
    h = Household(cases)
    h.melding()
    t1 = by_rule(h, "T1")
    clock.set(t1["due"] + timedelta(days=2))
    (tick,) = [t for t in cases.tick() if t.rule_id == "T1"]
    assert tick.kind == "breach"
    observed = by_rule(h, "T1")["breached_at"]
    assert observed is not None
    on_time = t1["due"] - timedelta(days=1)
    h.assess("handover_local_team", occurred_at=on_time.isoformat())
    d = by_rule(h, "T1")
    assert d["status"] == "met" and d["met_at"] == on_time and d["late_seconds"] is None
    assert d["breached_at"] is None                     # not met and breached at once
    assert d["breaches_withdrawn"] == [{"observed_at": observed, "occurred_at": on_time,
                                        "by_event": "VeiligheidsbeoordelingCompleted"}]
    assert [x["rule_id"] for x in h.case.deadlines.values() if x["breached_at"] is not None \
            and x["rule_id"] == "T1"] == []
    names = cases.event_names(h.case_id)
    assert names.index("DeadlineBreached") < names.index("DeadlineBreachWithdrawn") \
        < names.index("DeadlineMet")
    assert cases.replayed(h.case_id).state_dict() == h.case.state_dict()


def test_an_assessment_that_was_late_keeps_its_breach(clock: SettableClock) -> None:
    cases = DomainCases(clock)
    h = Household(cases)
    h.melding()
    t1 = by_rule(h, "T1")
    clock.set(t1["due"] + timedelta(days=2))
    cases.tick()
    h.assess("handover_local_team", occurred_at=(t1["due"] + timedelta(days=1)).isoformat())
    d = by_rule(h, "T1")
    assert d["status"] == "met_late" and d["breached_at"] is not None
    assert "DeadlineBreachWithdrawn" not in cases.event_names(h.case_id)
