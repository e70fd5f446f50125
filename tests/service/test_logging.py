"""The library logs through ``logging`` with ids and codes, and never a person detail."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from hgkm_workflow.errors import AccessDenied
from hgkm_workflow.service.loops import run_scheduler
from tests.support import LT, READ, Household

PERSONAL = ("victim", "perpetrator", "child")


def _everything(record: logging.LogRecord) -> str:
    return " ".join(f"{k}={v!r}" for k, v in vars(record).items()) + " " + record.getMessage()


def test_a_lifecycle_logs_ids_and_codes_but_no_person_detail(
        sqlite_app: Any, caplog: pytest.LogCaptureFixture) -> None:
    app = sqlite_app
    caplog.set_level(logging.DEBUG, logger="hgkm_workflow")
    house = Household(app, app.clock)
    house.to_directe_veiligheid()
    house.through_directe_veiligheid()
    app.get_case(house.case_id, access=READ)
    app.events_since(0, access=READ)
    with pytest.raises(AccessDenied):
        app.get_case(house.case_id, access={"actor": {**LT, "actor_id": "lt-777",
                                                      "organisation": "wijkteam-x"},
                                            "purpose": "case_work"})
    house.advance(days=60)
    stop = threading.Event()
    run_scheduler(app, stop, interval=0.0, on_records=lambda _r: stop.set())
    app.health()
    records = [r for r in caplog.records if r.name.startswith("hgkm_workflow")]
    assert records, "the library logs"
    recorded = [r for r in records if getattr(r, "event_type", None)]
    assert any(getattr(r, "aggregate_id", None) == str(house.case_id) for r in recorded)
    assert {"MeldingReceived", "PhaseChanged"} <= {getattr(r, "event_type", "") for r in recorded}
    secrets = [str(getattr(house, p)) for p in PERSONAL] + [
        "melding received by phone", "decided in the team meeting"]
    for record in records:
        text = _everything(record)
        for secret in secrets:
            assert secret not in text, (record.name, record.getMessage())
    assert all(r.name.count(".") >= 1 for r in records)  # one logger per module
