"""How each melding's case was found (issue 15): given, matched, new, reopened — in the
events, the event export and the per-melding export, on SQLite and PostgreSQL; meldingen
stored before ``MeldingCaseFound`` existed read as ``joined``."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.domain.case_found import RULES, CaseFoundBy
from tests.support import READ, Household


def _without_case_id(h: Household, persons: list[dict[str, str]], **extra: Any) -> UUID:
    """A melding naming ``persons``, no case id: the engine finds (or opens) the case."""
    data = {"actor": h.vt, "rationale": "melding received by phone from the police",
            "region": h.region, "gemeente": h.gemeente, "melder_type": "politie",
            "persons": persons, "forms_of_violence": ["partnergeweld"], "acute": False,
            **extra}
    return h.app.receive_melding(data).case_id


def _drive(app: HgkmApplication, clock: SettableClock) -> tuple[Household, UUID]:
    """new, matched (late registered too), given, then closed and reopened (given)."""
    h = Household(app, clock)
    first = _without_case_id(h, h.persons())                              # new
    h.case_id = first
    clock.advance(timedelta(days=1))
    assert _without_case_id(h, h.persons()[:1]) == first                  # matched
    clock.advance(timedelta(days=1))
    late = (clock.now() - timedelta(hours=30)).isoformat()
    assert _without_case_id(h, h.persons()[1:2], occurred_at=late) == first  # matched, late
    h.melding(persons=[{"person_id": str(UUID(int=7)), "role": "child"}])  # given, new child
    for melding_id in [m for m in app.load_case(first, access=READ).meldingen]:
        h.melding_id = UUID(melding_id)
        h.assess("no_further_action")
    assert app.load_case(first, access=READ).case_phase.value == "closed"
    clock.advance(timedelta(days=3))
    h.melding()                                                           # reopened (given)
    return h, first


def _found_events(app: HgkmApplication, case_id: UUID) -> list[Any]:
    return [e for e in app.case_events(case_id, access=READ)
            if type(e).__name__ == "MeldingCaseFound"]


def _export(app: HgkmApplication) -> list[dict[str, Any]]:
    buffer = io.StringIO()
    app.export_jsonl(buffer, access=READ)
    return [json.loads(t) for t in buffer.getvalue().splitlines()]


def test_each_way_of_finding_the_case_is_recorded_and_exported(
    app: HgkmApplication, clock: SettableClock
) -> None:
    _, case_id = _drive(app, clock)
    events = _found_events(app, case_id)
    assert [e.found_by for e in events] == ["new", "matched", "matched", "given", "given"]
    for e in events:  # a decision event: who, when, why, which rule
        assert e.actor["role"] == "vt_medewerker" and e.rationale
        assert e.rule == RULES[CaseFoundBy(e.found_by)]
    received = [e for e in app.case_events(case_id, access=READ)
                if type(e).__name__ == "MeldingReceived"]
    assert [e.melding_id for e in received] == [e.melding_id for e in events]
    assert events[2].at < received[2].timestamp  # the late one: business time kept

    lines = [x for x in _export(app) if x["event_type"] == "MeldingReceived"]
    assert [(x["classification"]["match"], x["classification"]["found_by"]) for x in lines] \
        == [("opened", "new"), ("matched", "matched"), ("matched", "matched"),
            ("given", "given"), ("reopened", "given")]
    per_melding = {m.melding_id: m.as_dict()["case_found"]
                   for m in app.melding_classifications(access=READ)}
    assert [per_melding[x["payload"]["melding_id"]] for x in lines] == [
        {"match": x["classification"]["match"], "found_by": x["classification"]["found_by"]}
        for x in lines]


def test_meldingen_stored_before_the_event_existed_read_as_joined(
    make_app: Callable[..., HgkmApplication], store_url: str, clock: SettableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(HouseholdCase, "record_case_found",
                        lambda *_args, **_kwargs: None)  # the intake of the last version
    app = make_app(store_url)
    _, case_id = _drive(app, clock)
    assert _found_events(app, case_id) == []
    lines = [x for x in _export(app) if x["event_type"] == "MeldingReceived"]
    expected = [("opened", None), ("joined", None), ("joined", None), ("joined", None),
                ("reopened", None)]
    assert [(x["classification"]["match"], x["classification"]["found_by"])
            for x in lines] == expected
    per_melding = {m.melding_id: m.as_dict()["case_found"]
                   for m in app.melding_classifications(access=READ)}
    assert [tuple(per_melding[x["payload"]["melding_id"]].values()) for x in lines] == expected
