"""Erasure with retention: the key is destroyed, history replays, figures stay, details read erased.

An erasure request is refused while the retention period runs (twenty years by default, a
setting) unless a legal ground is given; a refused request stores nothing. A granted request
and the erasure are events of their own on the person's record (no personal data); the
person's key is destroyed, so the register, the case view, the timeline and the export all
say the person was erased, while the case still replays and the monitor does not change.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from hgkm_workflow.adapters.persons import ErasedPerson, PersonDetails, person_keys
from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.authority import NotAuthorised
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.erasure import PersonRecord, person_record_id
from hgkm_workflow.errors import ErasureRefused, InvalidCommand, RuleViolation
from hgkm_workflow.settings import InvalidSetting, RetentionSettings
from tests.support import LT, READ, VT, Household, stored_event_rows

GROUND = "court order to erase the record of the child"
POLITIE = {"actor_id": "pol-881", "organisation": "politie-rotterdam", "role": "politie"}


def household_with_register(app: HgkmApplication, clock: SettableClock) -> Household:
    h = Household(app, clock)
    h.victim = app.persons.register(PersonDetails(name="Erasure Testperson"))
    h.perpetrator = app.persons.register(PersonDetails(name="Erasure Otherperson"))
    h.child = app.persons.register(PersonDetails(name="Erasure Testchild"))
    h.melding()
    h.assess("handover_local_team")
    app.offer_plegeraanbod(h.cmd(actor=LT, person_id=str(h.perpetrator)))
    return h


def erase(app: HgkmApplication, person: object, **extra: object) -> object:
    return app.request_erasure({"actor": VT, "rationale": "the person asks to be erased",
                                "person_id": str(person), **extra})


def test_erasure_destroys_the_key_and_everything_reads_erased(
        app: HgkmApplication, clock: SettableClock) -> None:
    h = household_with_register(app, clock)
    assert h.case_id is not None
    monitor_before = app.monitor(access=READ).as_dict()
    state_before = app.load_case(h.case_id, access=READ).state_dict()
    result = erase(app, h.perpetrator, legal_ground=GROUND)
    assert result.basis == "legal ground given"  # type: ignore[attr-defined]
    assert result.events == ("PersonRecordOpened", "ErasureRequested",  # type: ignore[attr-defined]
                             "PersonErased")
    # the key is gone: the register reads erased
    with app.engine.connect() as conn:
        keys = conn.execute(sa.select(person_keys.c.person_id)).scalars().all()
    assert str(h.perpetrator) not in keys and str(h.victim) in keys
    assert isinstance(app.read_person(h.perpetrator, access=READ), ErasedPerson)
    assert isinstance(app.read_person(h.victim, access=READ), PersonDetails)
    # history still replays, unchanged; the monitor is the same
    assert app.load_case(h.case_id, access=READ).state_dict() == state_before
    assert app.verify(access=READ).ok
    assert app.monitor(access=READ).as_dict() == monitor_before
    # the case view, the timeline and the export say who was erased
    assert app.get_case(h.case_id, access=READ).erased_persons == {str(h.perpetrator)}
    marked = [e for e in app.timeline(h.case_id, access=READ)
              if e.details.get("erased_persons")]
    assert {e.event for e in marked} >= {"MeldingReceived", "PlegeraanbodOffered"}
    assert all("erased from the register" in e.what for e in marked)
    out = io.StringIO()
    app.export_jsonl(out, access=READ)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    flagged = [line for line in lines if line.get("erased_persons")]
    assert flagged and all(line["erased_persons"] == [str(h.perpetrator)] for line in flagged)
    # the request and the erasure are events of their own, without personal data
    record = app.repository.get(person_record_id(h.perpetrator))
    assert isinstance(record, PersonRecord) and record.erased_at is not None
    record_lines = [line for line in lines if line["aggregate"] == "PersonRecord"]
    assert [line["event_type"] for line in record_lines] == [
        "PersonRecordOpened", "ErasureRequested", "PersonErased"]
    assert "Otherperson" not in out.getvalue()
    # once erased, always erased
    with pytest.raises(RuleViolation) as again:
        erase(app, h.perpetrator, legal_ground=GROUND)
    assert again.value.code == "PERSON_ALREADY_ERASED"


def test_retention_refuses_early_erasure_without_a_legal_ground(
        make_app: object, sqlite_url: str, clock: SettableClock) -> None:
    app = make_app(sqlite_url)  # type: ignore[operator]
    h = household_with_register(app, clock)
    before = stored_event_rows(app)
    with pytest.raises(ErasureRefused) as info:
        erase(app, h.child)
    assert info.value.code == "ERASURE_REFUSED" and "Wmo 2015" in info.value.rule
    assert str(h.child) in info.value.message and "Testchild" not in str(info.value)
    assert stored_event_rows(app) == before  # a refusal stores nothing
    assert isinstance(app.read_person(h.child, access=READ), PersonDetails)
    with pytest.raises(NotAuthorised):  # someone not involved may not ask (authority first)
        app.request_erasure({"actor": POLITIE, "rationale": "forwarded request",
                             "person_id": str(h.child), "legal_ground": GROUND})
    with pytest.raises(InvalidCommand):  # a legal ground is a reason, screened like one
        erase(app, h.child, legal_ground="call 0612345678")
    # the case closes; twenty years later the retention period has ended
    app.close_case(h.cmd(actor=LT, reason="other",
                         open_deadline_reason="no further action needed by the team"))
    erase_at = clock.now()
    clock.set(erase_at + timedelta(days=365 * 20 - 10))
    with pytest.raises(ErasureRefused):
        erase(app, h.child)
    clock.set(erase_at + timedelta(days=365 * 20 + 10))
    assert erase(app, h.child).basis == "retention period ended"  # type: ignore[attr-defined]
    assert app.persons.is_erased(h.child)


def test_retention_is_a_setting(make_app: object, sqlite_url: str, clock: SettableClock,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert RetentionSettings().years == 20
    assert RetentionSettings(years=1).ends(datetime(2024, 2, 29, tzinfo=UTC)) == \
        datetime(2025, 2, 28, tzinfo=UTC)
    monkeypatch.setenv("HGKM_RETENTION_YEARS", "0")
    app = make_app(sqlite_url)  # type: ignore[operator]
    assert app.retention.years == 0
    person = app.persons.register(PersonDetails(name="Registered Only"))
    assert erase(app, person).basis == "retention period ended"  # type: ignore[attr-defined]
    monkeypatch.setenv("HGKM_RETENTION_YEARS", "twenty")
    with pytest.raises(InvalidSetting):
        make_app(sqlite_url)  # type: ignore[operator]
