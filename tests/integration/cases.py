"""Cases driven through the public API for the ZGW tests: every kind of request they produce."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from tests.support import BURGEMEESTER, LT, Household


def full_case(app: HgkmApplication, clock: SettableClock,
              region: str = "rotterdam-rijnmond") -> UUID:
    """Opened, huisverbod imposed and extended, every phase, closed, reopened by a melding."""
    h = Household(app, clock, region=region)
    h.melding(acute=True)
    h.advance(hours=1)
    hv = app.impose_huisverbod(h.cmd(actor=BURGEMEESTER, removed_person_id=str(h.perpetrator)))
    hid = str(hv.ids["huisverbod_id"])
    h.advance(hours=3)
    h.assess("handover_local_team")
    h.advance(days=5)
    new_end = hv_end = clock.now() + timedelta(days=10)
    app.extend_huisverbod(h.cmd(actor=BURGEMEESTER, huisverbod_id=hid,
                                new_end=new_end.isoformat()))
    h.advance(days=7)
    app.revoke_huisverbod(h.cmd(actor=BURGEMEESTER, huisverbod_id=hid))
    del hv_end
    h.advance(days=1)
    h.through_directe_veiligheid()
    h.advance(days=20)
    h.through_risicogestuurde_zorg()
    h.advance(days=20)
    h.through_herstel()
    h.advance(days=20)
    app.close_case(h.cmd(actor=LT, reason="waakvlam_completed",
                         open_deadline_reason="monitoring ended with the case, team agreed"))
    h.advance(days=30)
    h.melding()
    assert h.case_id is not None
    return h.case_id


def short_case(app: HgkmApplication, clock: SettableClock,
               region: str = "hollands-midden") -> UUID:
    """Opened and closed at triage (no further action)."""
    h = Household(app, clock, region=region, gemeente="GM0546")
    h.melding(melder_type="burger")
    h.advance(hours=5)
    h.assess("no_further_action")
    assert h.case_id is not None
    return h.case_id
