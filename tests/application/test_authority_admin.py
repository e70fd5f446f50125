"""Administrative commands, the hulpofficier's mandate and host-recorded involvements (issue 13).

Given a store, when an actor the policy does not name rotates a key, changes the calendar or
requests an erasure, then the command is refused ``NOT_AUTHORISED``, the refused attempt is
in the access log and nothing is stored or changed; the default operator may. A hulpofficier
van justitie imposes through the application only under the burgemeester's recorded mandate
for the case's gemeente, and the event names it. An organisation the host records as involved
in a case counts as involved for the policy — and still reads nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from hgkm_workflow import commands as c
from hgkm_workflow.adapters.keys import generate_kek
from hgkm_workflow.adapters.persons import PersonDetails
from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.application.administration import rotate_cipher_key, rotate_register_key
from hgkm_workflow.authority import NotAuthorised
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.domain.calendar import Decree, default_calendar
from hgkm_workflow.errors import AccessDenied
from tests.support import BURGEMEESTER, LT, READ, VT, Household, refused, stored_event_rows

HOVJ = {"actor_id": "hovj-881", "organisation": "politie-rotterdam", "role": "politie"}
HOVJ_OTHER = {"actor_id": "hovj-882", "organisation": "politie-rotterdam-rijnmond",
              "role": "politie"}
HULPVERLENER = {"actor_id": "hv-12", "organisation": "zorg-de-brug", "role": "hulpverlener"}


def registered(app: HgkmApplication, clock: SettableClock) -> Household:
    """A household whose persons are in the register (synthetic details)."""
    h = Household(app, clock)
    h.victim = app.persons.register(PersonDetails(name="Synthetic Victim"))
    h.perpetrator = app.persons.register(PersonDetails(name="Synthetic Other"))
    h.child = app.persons.register(PersonDetails(name="Synthetic Child"))
    return h


def command_log(engine: sa.Engine) -> list[tuple[Any, ...]]:
    """The access log's refused commands: actor, case, purpose, verdict, rule."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT actor_id, case_id, purpose, verdict, rule FROM hgkm_access_log "
            "WHERE resource = 'command' ORDER BY seq"))]


def wrapped_keys(engine: sa.Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT * FROM person_register_wrapped_keys ORDER BY 1"))]


# ------------------------------------------------------------------------- key rotation


def test_rotating_the_register_key_is_a_command_with_authority(
    make_app: Callable[..., HgkmApplication], store_url: str, clock: SettableClock
) -> None:
    app = make_app(store_url)
    h = registered(app, clock)
    h.melding()
    engine = app.engine
    before = wrapped_keys(engine)
    assert before  # the household's persons have wrapped keys
    old = os.environ["HGKM_REGISTER_KEK"]
    new = generate_kek()
    with pytest.raises(NotAuthorised) as info:
        rotate_register_key(store_url, old, new, c.Actor.model_validate(VT), now=clock.now)
    assert info.value.rule == "A-beheer-registersleutel"
    assert wrapped_keys(engine) == before  # nothing re-wrapped
    assert command_log(engine) == [("vt-017", None, "administration", "refused",
                                    "authority v2: RotateRegisterKey refused "
                                    "(A-beheer-registersleutel)")]
    result = rotate_register_key(store_url, old, new, now=clock.now)  # the default operator
    assert result.rewrapped == len(before)
    assert {row[1] for row in wrapped_keys(engine)} == {result.kek_id}
    assert len(command_log(engine)) == 1  # a granted command is not logged there


def test_rotating_the_cipher_key_is_refused_at_library_level(
    make_app: Callable[..., HgkmApplication], sqlite_url: str, clock: SettableClock
) -> None:
    from hgkm_workflow.adapters.cipher import generate_key

    key = generate_key()
    app = make_app(sqlite_url, cipher_key=key)
    Household(app, clock).melding()
    before = stored_event_rows(app)
    with pytest.raises(NotAuthorised):
        rotate_cipher_key(sqlite_url, key, generate_key(), c.Actor.model_validate(LT))
    assert stored_event_rows(app) == before
    assert [r[0] for r in command_log(app.engine)] == ["lt-003"]


# ----------------------------------------------------------------- calendar and erasure


def test_a_refused_calendar_change_moves_nothing(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()  # T1 runs over the next five working days
    (t1,) = [d for d in app.get_case(h.case_id, access=READ).deadlines if d.rule_id == "T1"]
    calendar = default_calendar().with_decree(Decree(
        name="Besluit gelijkstelling (testbesluit)", dates=(date(2026, 3, 4),), years=(2026,)))
    refused(app, lambda: app.apply_calendar(calendar, "testbesluit",
                                            actor=c.Actor.model_validate(VT)), NotAuthorised)
    (same,) = [d for d in app.get_case(h.case_id, access=READ).deadlines if d.rule_id == "T1"]
    assert same.due == t1.due and app.calendar.version != calendar.version
    assert [r[2:4] for r in command_log(app.engine)] == [("administration", "refused")]
    moved = app.apply_calendar(calendar, "testbesluit")  # the default operator
    assert [m["case_id"] for m in moved] == [str(h.case_id)]


def test_a_refused_erasure_request_stores_nothing_and_is_logged(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = registered(app, clock)
    h.to_directe_veiligheid()  # the local team holds casusregie; erasure is Veilig Thuis's
    request = {"actor": LT, "rationale": "the person asked the local team",
               "person_id": str(h.child)}
    exc = refused(app, lambda: app.request_erasure(request), NotAuthorised)
    assert exc.rule == "P-vt-wissen" and str(h.child) not in str(exc)
    assert command_log(app.engine) == [("lt-003", None, "erasure_request", "refused",
                                        "authority v2: RequestErasure refused (P-vt-wissen)")]
    assert isinstance(app.read_person(h.child, access={"actor": VT, "purpose": "triage"}),
                      PersonDetails)  # not erased


# ----------------------------------------------------------------- hulpofficier, mandate


def test_a_hulpofficier_imposes_through_the_application_under_the_mandate(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    refused(app, lambda: app.impose_huisverbod(h.cmd(
        actor=HOVJ_OTHER, removed_person_id=str(h.perpetrator))), NotAuthorised)
    result = app.impose_huisverbod(h.cmd(actor=HOVJ, removed_person_id=str(h.perpetrator)))
    (ev,) = [e for e in app.case_events(h.case_id, access=READ)
             if type(e).__name__ == "HuisverbodImposed"]
    assert ev.mandate_id == "mandaat-gm0599-huisverbod-2020"
    assert ev.actor["actor_id"] == "hovj-881"
    hid = str(result.ids["huisverbod_id"])
    refused(app, lambda: app.revoke_huisverbod(h.cmd(actor=HOVJ, huisverbod_id=hid)),
            NotAuthorised)
    app.record_contact_address_given(h.cmd(actor=HOVJ, huisverbod_id=hid))
    app.revoke_huisverbod(h.cmd(actor=BURGEMEESTER, huisverbod_id=hid))


def test_a_hulpofficier_in_a_gemeente_without_a_mandate_is_refused(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.gemeente = "GM0606"  # Schiedam: same region and police, no mandate recorded
    h.to_directe_veiligheid()
    exc = refused(app, lambda: app.impose_huisverbod(h.cmd(
        actor=HOVJ, removed_person_id=str(h.perpetrator))), NotAuthorised)
    assert exc.rule == "W-burgemeester-huisverbod"


# ------------------------------------------------------------ host-recorded involvements


def test_an_organisation_the_host_records_as_involved_may_act_as_involved(
    make_app: Callable[..., HgkmApplication], store_url: str, clock: SettableClock
) -> None:
    involved: dict[str, set[str]] = {}
    app = make_app(store_url, involvements=lambda case_id: involved.get(case_id, ()))
    h = Household(app, clock)
    h.to_directe_veiligheid()
    separation = h.cmd(actor=HULPVERLENER, rationale="the partners separated last week")
    refused(app, lambda: app.record_separation(separation), NotAuthorised)
    involved[str(h.case_id)] = {"zorg-de-brug"}
    app.record_separation(separation)
    assert "SeparationRecorded" in [type(e).__name__ for e in
                                    app.case_events(h.case_id, access=READ)]
    # an involvement the host records decides commands; it gives no read
    with pytest.raises(AccessDenied):
        app.get_case(h.case_id, access={"actor": HULPVERLENER, "purpose": "case_work"})
    # and no statutory task: Veilig Thuis's monitoring stays Veilig Thuis's
    refused(app, lambda: app.end_monitoring(h.cmd(actor=HULPVERLENER, stable_safety=True)),
            NotAuthorised)
