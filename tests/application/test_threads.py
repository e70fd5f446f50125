"""One application shared by many threads on PostgreSQL: every command succeeds.

A melding without case id takes the intake lock for its persons; the lock must not hold a
connection of the pools the lookup and the save need, or 16 threads exhaust the pools and
commands fail with a pool timeout (docs/embedding.md). Every tenth melding is about one
shared household: those must all land in one case (the intake's guarantee).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from hgkm_workflow.application import HgkmApplication
from tests.support import READ, VT

COMMANDS = 120


def _melding(persons: list[dict[str, str]]) -> dict[str, Any]:
    return {"actor": VT, "rationale": "melding received by phone from the police",
            "region": "rotterdam-rijnmond", "gemeente": "GM0599", "melder_type": "politie",
            "persons": persons, "forms_of_violence": ["partnergeweld"], "acute": False}


def _household() -> list[dict[str, str]]:
    return [{"person_id": str(uuid.uuid4()), "role": "victim"},
            {"person_id": str(uuid.uuid4()), "role": "child"}]


@pytest.mark.parametrize("threads", [16, 32])
def test_threads_share_one_application(
        threads: int, store_url: str, make_app: Callable[..., HgkmApplication],
    ) -> None:
    if threads > 16 and not store_url.startswith("postgresql"):
        pytest.skip("SQLite serialises its writers; 16 threads show the in-process lock")
    app = make_app(store_url)
    shared = _household()

    def one(n: int) -> uuid.UUID:
        persons = shared if n % 10 == 0 else _household()
        result = app.receive_melding(_melding(persons))
        app.get_case(result.case_id, access=READ)
        return result.case_id

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(one, n) for n in range(COMMANDS)]
        errors = [f.exception() for f in futures]
    failed = [type(e).__name__ for e in errors if e is not None]
    assert failed == [], f"{len(failed)} of {COMMANDS} failed: {sorted(set(failed))}"
    cases = [f.result() for f in futures]
    shared_cases = {cases[n] for n in range(0, COMMANDS, 10)}
    assert len(shared_cases) == 1, "meldingen about one household opened several cases"
    assert len(set(cases)) == COMMANDS - COMMANDS // 10 + 1
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"{elapsed:.1f} s"
