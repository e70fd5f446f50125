"""``MeldingReceived`` version 2 adds ``incident_at`` (issue 14, T10 counted from the incident).

Meldingen stored in the old form (version 1: no ``class_version``, no ``incident_at``) are
imported straight through the exchange format on SQLite and PostgreSQL: they replay with no
incident time, the same state as before, and their T10 still counts from the receipt.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.audit import verify
from hgkm_workflow.audit.exchange import decode_stored_state, export_jsonl, import_jsonl
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import RuleViolation
from tests.support import READ, VT, Household

VT_READ = {"actor": VT, "purpose": "triage"}


def _as_version_1(line: dict[str, Any]) -> dict[str, Any]:
    if line["event_type"] == "MeldingReceived":
        line["class_version"] = 1
        del line["payload"]["incident_at"]
    return line


def test_a_version_1_melding_replays_without_an_incident_time(
    app: HgkmApplication, make_app: Callable[..., HgkmApplication], clock: SettableClock,
    tmp_path: Path,
) -> None:
    source = make_app(f"sqlite:///{tmp_path / 'source.db'}")
    h = Household(source, clock)
    h.melding()
    h.advance(hours=2)
    h.melding()  # a vervolgmelding: two old-form meldingen
    assert h.case_id is not None
    out = io.StringIO()
    export_jsonl(source, out, access=READ)
    lines = [json.dumps(_as_version_1(json.loads(t))) for t in out.getvalue().splitlines()]
    import_jsonl(app, io.StringIO("\n".join(lines) + "\n"))

    raw = [decode_stored_state(app, s.state) for s in app.recorder.select_events(h.case_id)
           if s.topic.endswith(".MeldingReceived")]
    assert len(raw) == 2 and all("incident_at" not in s and "class_version" not in s
                                 for s in raw)
    events = [e for e in app.case_events(h.case_id, access=READ)
              if isinstance(e, HouseholdCase.MeldingReceived)]
    assert [e.incident_at for e in events] == [None, None]
    case = app.load_case(h.case_id, access=READ)
    assert case.state_dict() == source.load_case(h.case_id, access=READ).state_dict()
    assert all(m["incident_at"] is None for m in case.meldingen.values())
    assert verify(app, access=READ).ok


def test_a_new_melding_stores_its_incident_time_as_version_2(
    app: HgkmApplication, clock: SettableClock,
) -> None:
    h = Household(app, clock)
    incident = clock.now() - timedelta(hours=3)
    h.melding(incident_at=incident.isoformat())
    assert h.case_id is not None
    (state,) = [decode_stored_state(app, s.state) for s in app.recorder.select_events(h.case_id)
                if s.topic.endswith(".MeldingReceived")]
    assert state["class_version"] == 2
    (t10,) = [d for d in app.get_case(h.case_id, access=READ).deadlines if d.rule_id == "T10"]
    assert t10.due == incident + timedelta(hours=24)


def test_a_refused_incident_time_opens_no_case(app: HgkmApplication,
                                               clock: SettableClock) -> None:
    h = Household(app, clock)
    later = clock.now() + timedelta(hours=1)
    with pytest.raises(RuleViolation) as info:
        h.melding(incident_at=later.isoformat())
    assert info.value.code == "INCIDENT_AFTER_RECEIPT"
    assert "T10" in info.value.rule and str(later.year) not in str(info.value)
    assert app.list_cases(access=VT_READ) == []
