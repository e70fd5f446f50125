"""Late registration through the application, on SQLite and PostgreSQL (issue 14, point 2).

The scheduler's tick records what it observes (a huisverbod that ran out, a breach); a lawful
fact registered afterwards but dated before it supersedes that observation. The case, the
deadline index the tick reads, and the next tick follow the business-time truth; the stored
history and ``as-of`` by recording time still show what was known when.
"""

from __future__ import annotations

from datetime import timedelta

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from tests.support import BURGEMEESTER, READ, Household


def names(app: HgkmApplication, h: Household) -> list[str]:
    return [type(e).__name__ for e in app.case_events(h.case_id, access=READ)]


def test_an_extension_registered_after_the_recorded_expiry_is_accepted(
    app: HgkmApplication, clock: SettableClock,
) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    hid = app.impose_huisverbod(h.cmd(actor=BURGEMEESTER,
                                      removed_person_id=str(h.perpetrator))).ids["huisverbod_id"]
    (hv,) = app.get_case(h.case_id, access=READ).huisverboden
    imposed, ends = hv.imposed_at, hv.ends_at
    clock.set(ends + timedelta(hours=2))
    assert "huisverbod_expired" in [t.kind for t in app.tick()]
    recorded_expired = clock.now()
    clock.set(ends + timedelta(hours=5))
    app.extend_huisverbod(h.cmd(actor=BURGEMEESTER, huisverbod_id=str(hid),
                                occurred_at=(imposed + timedelta(days=9)).isoformat(),
                                new_end=(imposed + timedelta(days=20)).isoformat()))
    app.catch_up()
    (hv,) = app.get_case(h.case_id, access=READ).huisverboden
    assert hv.state == "extended" and hv.ends_at == imposed + timedelta(days=20)
    seen = names(app, h)
    assert seen.index("HuisverbodExpired") < seen.index("HuisverbodExpiryWithdrawn") \
        < seen.index("HuisverbodExtended")
    # the index the tick reads follows the extension: T7 is open until the new end, and the
    # next ticks record neither a second expiry nor anything about T6
    open_rules = {d.rule_id for d in app.open_deadlines(access=READ, case_id=h.case_id)}
    assert "T7" in open_rules and "T6" not in open_rules
    clock.set(ends + timedelta(days=1))
    assert [t for t in app.tick() if t.case_id == h.case_id
            and t.kind == "huisverbod_expired"] == []
    # what was known at the tick: the huisverbod had expired
    known = app.state_as_of(h.case_id, recorded_expired, "recorded", access=READ)
    assert [x["state"] for x in known.state["huisverboden"]] == ["expired"]
    now_known = app.state_as_of(h.case_id, clock.now(), "recorded", access=READ)
    assert [x["state"] for x in now_known.state["huisverboden"]] == ["extended"]
    clock.set(imposed + timedelta(days=20, hours=1))
    assert "huisverbod_expired" in [t.kind for t in app.tick() if t.case_id == h.case_id]


def test_an_on_time_assessment_registered_after_the_breach_withdraws_it(
    app: HgkmApplication, clock: SettableClock,
) -> None:
    h = Household(app, clock)
    h.melding()
    app.catch_up()
    (t1,) = [d for d in app.open_deadlines(access=READ, case_id=h.case_id) if d.rule_id == "T1"]
    clock.set(t1.due + timedelta(days=1))
    assert "T1" in [t.rule_id for t in app.tick() if t.case_id == h.case_id]
    app.catch_up()
    h.assess("handover_local_team", occurred_at=(t1.due - timedelta(hours=3)).isoformat())
    app.catch_up()
    view = app.get_case(h.case_id, access=READ)
    (d,) = [d for d in view.deadlines if d.rule_id == "T1"]
    assert d.status == "met" and not d.breached
    assert "DeadlineBreachWithdrawn" in names(app, h)
    assert "T1" not in {x.rule_id for x in app.open_deadlines(access=READ, case_id=h.case_id)}
