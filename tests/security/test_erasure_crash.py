"""Erasure is crash-safe (issue 12 point 6): a crash between ``PersonErased`` and the key's
destruction completes on the next request for that person and on application start.

Decided: a retry of a request whose erasure is already recorded while the key still exists
returns the recorded erasure's result (no new events) after destroying the key; a retry when
the key is gone is refused ``PERSON_ALREADY_ERASED`` as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hgkm_workflow.adapters.persons import ErasedPerson, PersonDetails, PersonRegister
from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import RuleViolation
from tests.support import READ, VT, Household, stored_event_rows

GROUND = "court order to erase the record of the child"


def _erase(app: HgkmApplication, person: object) -> Any:
    return app.request_erasure({"actor": VT, "rationale": "the person asks to be erased",
                                "person_id": str(person), "legal_ground": GROUND})


def _crash_once(monkeypatch: pytest.MonkeyPatch) -> None:
    real = PersonRegister.destroy_key

    def crash(self: PersonRegister, person_id: Any) -> Any:
        monkeypatch.setattr(PersonRegister, "destroy_key", real)
        raise OSError("process killed before the key was destroyed")

    monkeypatch.setattr(PersonRegister, "destroy_key", crash)


def _household(app: HgkmApplication, clock: SettableClock) -> Household:
    h = Household(app, clock)
    h.victim = app.persons.register(PersonDetails(name="Erasure Testperson"))
    h.melding()
    return h


def test_a_retry_completes_a_crashed_erasure(
        app: HgkmApplication, clock: SettableClock, monkeypatch: pytest.MonkeyPatch) -> None:
    h = _household(app, clock)
    _crash_once(monkeypatch)
    with pytest.raises(OSError):
        _erase(app, h.victim)
    # half done: the audit trail says erased, the details are still readable
    assert not isinstance(app.persons.get(h.victim), ErasedPerson)
    events = stored_event_rows(app)
    result = _erase(app, h.victim)
    assert result.events == () and result.basis == "legal ground given"
    assert isinstance(app.persons.get(h.victim), ErasedPerson)
    assert isinstance(app.read_person(h.victim, access=READ), ErasedPerson)
    assert stored_event_rows(app) == events  # nothing recorded twice
    with pytest.raises(RuleViolation) as info:
        _erase(app, h.victim)
    assert info.value.code == "PERSON_ALREADY_ERASED"


def test_application_start_completes_a_crashed_erasure(
        store_url: str, make_app: Callable[..., HgkmApplication], clock: SettableClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(store_url)
    h = _household(app, clock)
    other = app.persons.register(PersonDetails(name="Erasure Bystander"))
    _crash_once(monkeypatch)
    with pytest.raises(OSError):
        _erase(app, h.victim)
    assert not isinstance(app.persons.get(h.victim), ErasedPerson)
    restarted = make_app(store_url)
    assert isinstance(restarted.persons.get(h.victim), ErasedPerson)
    assert not isinstance(restarted.persons.get(other), ErasedPerson)
    assert restarted.erasure.complete_pending() == []  # idempotent
