"""The reference service (examples/service) over real HTTP: uvicorn on 127.0.0.1, httpx."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from examples.service.app import create_app
from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from tests.support import VT

VT_HEADERS = {"X-Actor-Id": VT["actor_id"], "X-Organisation": VT["organisation"],
              "X-Role": VT["role"], "X-Purpose": "case_work"}
STRANGER = {"X-Actor-Id": "lt-999", "X-Organisation": "wijkteam-elders",
            "X-Role": "lokaal_team", "X-Purpose": "case_work"}


def _melding() -> dict[str, Any]:
    return {"actor": VT, "rationale": "melding received by phone from the police",
            "region": "rotterdam-rijnmond", "gemeente": "GM0599", "melder_type": "politie",
            "persons": [{"person_id": "5f1c9a1e-8a0b-4d0e-9f57-0c8e3b9f2a11", "role": "victim"}],
            "forms_of_violence": ["partnergeweld"], "acute": False}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[str, SettableClock]]:
    clock = SettableClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    url = f"sqlite:///{tmp_path / 'service.db'}"
    api = create_app(tick_interval=0.2,
                     make_application=lambda: HgkmApplication(url, clock=clock))
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", clock
    finally:
        server.should_exit = True
        thread.join(30)
    assert not thread.is_alive()


def test_melding_case_feed_and_health_over_http(service: tuple[str, SettableClock]) -> None:
    base, clock = service
    with httpx.Client(base_url=base, timeout=30) as http:
        created = http.post("/meldingen", json=_melding())
        assert created.status_code == 201, created.text
        case_id = created.json()["aggregate_id"]
        assert "MeldingReceived" in created.json()["events"]

        case = http.get(f"/cases/{case_id}", headers=VT_HEADERS)
        assert case.status_code == 200
        assert case.json()["phase"] == "triage"
        assert case.json()["deadlines"][0]["status"] == "open"

        denied = http.get(f"/cases/{case_id}", headers=STRANGER)
        assert denied.status_code == 403
        assert denied.json()["code"] == "ACCESS_DENIED"

        missing = http.get("/cases/00000000-0000-4000-8000-000000000000", headers=VT_HEADERS)
        assert missing.status_code == 404

        bad = http.post("/meldingen", json={**_melding(), "melder_type": "buurman"})
        assert bad.status_code == 422
        assert bad.json()["code"] == "INVALID_COMMAND"
        assert "melder_type" in bad.json()["fields"]

        feed = http.get("/events", params={"after": 0}, headers=VT_HEADERS)
        assert feed.status_code == 200
        body = feed.json()
        assert [e["event_type"] for e in body["events"]][:2] == ["Opened", "MeldingReceived"]
        assert "5f1c9a1e" not in feed.text and "by phone" not in feed.text
        assert http.get("/events", headers=STRANGER).status_code == 403

        health = http.get("/health")
        assert health.status_code == 200 and health.json()["ready"] is True

        with ThreadPoolExecutor(12) as pool:  # concurrent requests, bounded in the service
            statuses = list(pool.map(lambda _i: http.post("/meldingen", json={
                **_melding(), "persons": [{"person_id": str(uuid.uuid4()), "role": "victim"}],
            }).status_code, range(24)))
        assert statuses == [201] * 24

        clock.advance(timedelta(days=30))  # the scheduler thread records the breach
        deadline = time.monotonic() + 20
        breached = False
        while time.monotonic() < deadline and not breached:
            state = http.get(f"/cases/{case_id}", headers=VT_HEADERS).json()
            breached = any(d["breached"] for d in state["deadlines"])
            time.sleep(0.1)
        assert breached
        assert http.get("/health").json()["scheduler"]["ticks"] > 0
