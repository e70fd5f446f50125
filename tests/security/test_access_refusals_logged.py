"""Refused reads and failed access-log inserts (issue 12 point 10).

A refused emergency read is in the access log, also when its safety reason does not
validate; an access-log insert that fails for a database reason is retried once and then the
read is refused (``ACCESS_LOG_UNAVAILABLE``), never served unlogged.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from hgkm_workflow.access.guard import AccessLogUnavailable
from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import InvalidCommand
from tests.support import READ, Household

POLITIE = {"actor_id": "pol-881", "organisation": "politie-rotterdam", "role": "politie"}


def _entries(app: HgkmApplication, actor_id: str) -> list[Any]:
    return [e for e in app.access_log(access=READ) if e.actor_id == actor_id]


def test_an_emergency_read_with_a_refused_safety_reason_is_logged(
        app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.melding()
    bad = {"actor": POLITIE, "purpose": "emergency",
           "safety_reason": "Jan Kwikstaartje BSN 999990019 is in danger"}
    with pytest.raises(InvalidCommand) as info:
        app.get_case(h.case_id, access=bad)  # type: ignore[arg-type]
    assert "999990019" not in str(info.value)
    logged = _entries(app, "pol-881")
    assert [(e.verdict, e.purpose, e.case_id) for e in logged] == \
        [("refused", "emergency", str(h.case_id))]
    assert all("Kwikstaartje" not in str(vars(e)) for e in logged)


def test_a_failing_access_log_refuses_the_read(
        app: HgkmApplication, clock: SettableClock, monkeypatch: pytest.MonkeyPatch) -> None:
    h = Household(app, clock)
    h.melding()
    real = app.guard.log.append
    failures = {"left": 1}

    def flaky(**kwargs: Any) -> Any:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))
        return real(**kwargs)

    monkeypatch.setattr(app.guard.log, "append", flaky)
    assert app.get_case(h.case_id, access=READ).case_id == h.case_id  # one retry: served
    failures["left"] = 2
    with pytest.raises(AccessLogUnavailable) as info:
        app.get_case(h.case_id, access=READ)
    assert info.value.code == "ACCESS_LOG_UNAVAILABLE"
