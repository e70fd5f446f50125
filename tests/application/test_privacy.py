"""Privacy: identifying details live only in the person register, encrypted and erasable.

Persons with recognisable *fake* details are registered, a full case is driven with their
pseudonymous ids, and then every row of every table in the database is read back as bytes:
none of the details may appear in clear — not in the events, snapshots, read models or
tracking, and not in the register either (it holds ciphertext only). Erasing a person
destroys their key; the case history still loads and replays.

The fake details are never printed: assertions report only table, column and kind.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa

from hgkm_workflow.adapters.persons import ErasedPerson, PersonDetails
from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import PersonErased, PersonNotFound
from hgkm_workflow.phases.lifecycle import CasePhase
from tests.support import BURGEMEESTER, LT, LT2, LT2_REGISSEUR, READ, VT, Household

VICTIM = PersonDetails(name="Testpersoon Zwaluwstaart", bsn="111222333",
                       address="Voorbeeldstraat 99", birth_date=date(1980, 2, 3))
PERPETRATOR = PersonDetails(name="Testpersoon Kievitsbloem", bsn="999888777",
                            address="Voorbeeldstraat 99", phone="06-98765432")
CHILD = PersonDetails(name="Testkind Zwaluwstaart", birth_date=date(2015, 7, 9))
CONTACT_ADDRESS = "Proefsteeg 7"

#: label -> text that must never appear in clear outside the register's ciphertext
NEEDLES: dict[str, str] = {
    "name": "Testpersoon Zwaluwstaart",
    "surname": "Zwaluwstaart",
    "second name": "Kievitsbloem",
    "bsn": "111222333",
    "second bsn": "999888777",
    "address": "Voorbeeldstraat 99",
    "street": "Voorbeeldstraat",
    "birth date iso": "1980-02-03",
    "birth date nl": "03-02-1980",
    "birth date compact": "19800203",
    "child birth date": "2015-07-09",
    "phone": "06-98765432",
    "phone digits": "0698765432",
    "contact address": CONTACT_ADDRESS,
}


def _as_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, dict | list):
        return json.dumps(value, default=str).encode()
    return str(value).encode()


def table_contents(app: HgkmApplication) -> dict[tuple[str, str], bytes]:
    """Every column of every table, all rows concatenated as bytes."""
    contents: dict[tuple[str, str], bytes] = {}
    with app.engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            result = conn.execute(sa.text(f'SELECT * FROM "{table}"'))
            columns = list(result.keys())
            for row in result:
                for column, value in zip(columns, row, strict=True):
                    key = (table, column)
                    contents[key] = contents.get(key, b"") + b"\x00" + _as_bytes(value)
    return contents


def leaks(contents: dict[tuple[str, str], bytes]) -> list[tuple[str, str, str]]:
    """(table, column, kind) for every needle found, in bytes and case-insensitively."""
    found = []
    for (table, column), blob in contents.items():
        lowered = blob.lower()
        for label, needle in NEEDLES.items():
            encodings = {needle.encode(), needle.lower().encode(), needle.encode("utf-16-le")}
            if any(e in blob or e in lowered for e in encodings):
                found.append((table, column, label))
    return found


def drive_full_case(
    app: HgkmApplication, clock: SettableClock
) -> tuple[Household, dict[str, UUID]]:
    ids = {
        "victim": app.persons.register(VICTIM),
        "perpetrator": app.persons.register(PERPETRATOR),
        "child": app.persons.register(CHILD),
    }
    h = Household(app, clock)
    h.victim, h.perpetrator, h.child = ids["victim"], ids["perpetrator"], ids["child"]
    h.melding(acute=True)
    h.advance(hours=2)
    app.take_crisis_measure(h.cmd(actor=VT, measure="politie_inzet"))
    app.inform_school(h.cmd(actor=VT, melding_id=str(h.melding_id)))
    h.advance(days=1)
    h.assess("handover_local_team", additional_measures=["inform_police_om"])
    app.inform_melder(h.cmd(actor=VT, melding_id=str(h.melding_id)))
    result = app.impose_huisverbod(h.cmd(actor=BURGEMEESTER,
                                         removed_person_id=str(h.perpetrator)))
    hid = result.ids["huisverbod_id"]
    h.advance(hours=6)
    # the contact address itself goes to the register; the case records only that it was given
    app.persons.update(h.perpetrator, PERPETRATOR.model_copy(
        update={"contact_address": CONTACT_ADDRESS}))
    app.record_contact_address_given(h.cmd(actor=BURGEMEESTER, huisverbod_id=str(hid)))
    app.correct_person_role(h.cmd(actor=LT, person_id=str(h.victim), role="witness"))
    ids["grandparent"] = app.persons.register(PersonDetails(name="Testopa Zwaluwstaart"))
    app.add_person(h.cmd(actor=LT, person_id=str(ids["grandparent"]), role="other"))
    app.offer_plegeraanbod(h.cmd(actor=LT, person_id=str(h.perpetrator)))
    app.respond_to_plegeraanbod(h.cmd(actor=LT, person_id=str(h.perpetrator), accepted=True))
    app.involve_ervaringsdeskundige(h.cmd(actor=LT))
    h.advance(days=12)
    app.tick()  # the huisverbod runs out
    h.through_directe_veiligheid()
    app.offer_handover(h.cmd(actor=LT, to=LT2_REGISSEUR))
    app.accept_handover(h.cmd(actor=LT2))
    h.advance(days=40)
    app.record_monitoring_check(h.cmd(actor=VT, safe=True))
    h.through_risicogestuurde_zorg(LT2)
    h.through_herstel(LT2)
    app.record_waakvlam_contact(h.cmd(actor=LT2))
    h.advance(days=200)
    app.tick()
    app.close_case(h.cmd(actor=LT2, reason="waakvlam_completed"))
    app.catch_up()
    assert app.get_case(h.case_id, access=READ).phase is CasePhase.CLOSED
    return h, ids


def test_no_personal_details_in_any_table(app: HgkmApplication, clock: SettableClock) -> None:
    h, ids = drive_full_case(app, clock)
    # the snapshot table is exercised too
    snap = app.load_case(h.case_id, access=READ)
    app.take_snapshot(snap.id)
    contents = table_contents(app)
    tables = {t for t, _ in contents}
    assert any(t.startswith("rm_") for t in tables)
    assert any("snapshot" in t for t in tables)
    assert any("event" in t for t in tables)
    assert any("tracking" in t for t in tables)
    # positive control: the scan sees inside the stored events (pseudonymous ids are there)
    event_blobs = b"".join(blob for (t, _), blob in contents.items()
                           if "event" in t and not t.startswith("rm_"))
    for pid in ids.values():
        assert str(pid).encode() in event_blobs
    assert leaks(contents) == []
    # the register still answers with the details (decrypting with the person's key)
    victim = app.read_person(ids["victim"], access=READ)
    assert isinstance(victim, PersonDetails)
    assert victim == VICTIM
    perpetrator = app.read_person(ids["perpetrator"], access=READ)
    assert isinstance(perpetrator, PersonDetails)
    assert perpetrator.contact_address == CONTACT_ADDRESS


def test_erasing_a_person_keeps_the_case_loadable_and_replayable(
    app: HgkmApplication, clock: SettableClock, make_app: Callable[..., HgkmApplication]
) -> None:
    h, ids = drive_full_case(app, clock)
    before = app.load_case(h.case_id, access=READ).state_dict()
    app.persons.erase(ids["victim"])
    erased = app.read_person(ids["victim"], access=READ)
    assert isinstance(erased, ErasedPerson) and erased.person_id == ids["victim"]
    assert app.persons.is_erased(ids["victim"])
    with pytest.raises(PersonErased) as info:
        app.persons.update(ids["victim"], VICTIM)
    assert info.value.code == "PERSON_ERASED"
    # the key is gone from the database: no copy of the register can be decrypted any more
    with app.engine.connect() as conn:
        keys = {r[0] for r in conn.execute(
            sa.text("SELECT person_id FROM person_register_wrapped_keys"))}
    assert str(ids["victim"]) not in keys and str(ids["perpetrator"]) in keys
    # others are unaffected
    assert app.read_person(ids["perpetrator"], access=READ) == PERPETRATOR.model_copy(
        update={"contact_address": CONTACT_ADDRESS})
    # the case history is untouched and still replays, from any application instance
    assert app.load_case(h.case_id, access=READ).state_dict() == before
    fresh = make_app(app.config.url, snapshot_interval=0, cache_size=0)
    assert fresh.load_case(h.case_id, access=READ).state_dict() == before
    assert str(ids["victim"]) in fresh.get_case(h.case_id, access=READ).persons
    # and nothing identifying appeared anywhere along the way
    assert leaks(table_contents(app)) == []
    # the case can still be worked on after the erasure
    h.advance(days=1)
    h.melding()
    assert fresh.get_case(h.case_id, access=READ).phase is CasePhase.TRIAGE


def test_register_basics_without_printing_details(app: HgkmApplication) -> None:
    first = app.persons.register(VICTIM)
    second = app.persons.register(VICTIM)
    assert first != second  # ids are random, never derived from the BSN
    assert "111222333" not in str(first) + str(second)
    for shown in (repr(VICTIM), str(VICTIM)):
        assert all(needle not in shown for needle in NEEDLES.values())
    missing = UUID("00000000-0000-4000-8000-000000000001")
    with pytest.raises(PersonNotFound):
        app.read_person(missing, access=READ)
    with pytest.raises(PersonNotFound):
        app.persons.erase(missing)
    app.persons.erase(first)
    app.persons.erase(first)  # erasing twice is harmless
    assert isinstance(app.read_person(first, access=READ), ErasedPerson)
    assert app.read_person(second, access=READ) == VICTIM
    assert leaks(table_contents(app)) == []


def test_erased_details_cannot_be_recovered_from_the_register_rows(
    app: HgkmApplication,
) -> None:
    """After erasure neither the key nor the ciphertext is left; the others' keys are wrapped."""
    pid = app.persons.register(VICTIM)
    other = app.persons.register(CHILD)
    app.persons.erase(pid)
    with app.engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT nonce, ciphertext, erased_at FROM person_register_details "
            "WHERE person_id = :p"), {"p": str(pid)}).one()
        wrapped = conn.execute(sa.text(
            "SELECT person_id FROM person_register_wrapped_keys")).scalars().all()
        clear = conn.execute(sa.text("SELECT key FROM person_register_keys")).all()
    assert row.erased_at is not None and bytes(row.ciphertext) == b""
    assert wrapped == [str(other)] and clear == []  # no key is stored in clear
    assert app.read_person(other, access=READ) == CHILD


def test_the_scan_finds_details_that_do_reach_the_store(
    app: HgkmApplication, clock: SettableClock
) -> None:
    """Control for the scan above: the rationale screen cannot recognise a name, so a name
    typed into a rationale is stored — and the scan reports it (by table and kind only)."""
    h = Household(app, clock)
    h.melding()
    app.correct_person_role(h.cmd(actor=VT, person_id=str(h.victim), role="witness",
                                  rationale="spoken with Testpersoon Zwaluwstaart"))
    app.catch_up()
    found = leaks(table_contents(app))
    assert found, "the scan must see names in stored events"
    assert {label for _, _, label in found} == {"name", "surname"}
    assert all(("event" in table and not table.startswith("rm_")) for table, _, _ in found)
