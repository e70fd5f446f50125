"""The unit of work: one bounded retry loop for every write, with a real concurrent writer.

A second application on the same store (as a second process would) saves an event on the case
right after the first one has loaded it, so the first one's save loses the race
(eventsourcing's IntegrityError). Once: the command is decided again on a fresh load and both
writes are kept. Every time: after ``max_retries + 1`` attempts the command is refused with
ConcurrentModification and nothing of it is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import ConcurrentModification
from tests.support import LT, READ, Household, stored_event_rows

MakeApp = Callable[..., HgkmApplication]
PACKAGE = Path(__file__).parent.parent.parent / "hgkm_workflow"


def names(app: HgkmApplication, case_id: UUID | None) -> list[str]:
    assert case_id is not None
    return [type(e).__name__ for e in app.case_events(case_id, access=READ)]


def rival_wins(first: HgkmApplication, second: HgkmApplication, h: Household,
               monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """After each of ``first``'s next ``times`` loads, ``second`` saves on the same case."""
    real_load = first.work.load
    loads: list[int] = []

    def load(aggregate_id: UUID, kind: type[Any]) -> Any:
        loaded = real_load(aggregate_id, kind)
        loads.append(loaded.version)
        if len(loads) <= times:
            second.take_crisis_measure(h.cmd(actor=LT, measure="crisisopvang"))
        return loaded

    monkeypatch.setattr(first.work, "load", load)
    return loads


@pytest.fixture
def household(store_url: str, make_app: MakeApp, clock: SettableClock
              ) -> tuple[HgkmApplication, HgkmApplication, Household]:
    first, second = make_app(store_url, max_retries=2), make_app(store_url)
    h = Household(first, clock)
    h.to_directe_veiligheid()
    h.advance(hours=1)
    return first, second, h


def test_a_rival_that_wins_once_costs_one_retry_and_both_writes_are_kept(
    household: tuple[HgkmApplication, HgkmApplication, Household],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second, h = household
    start = len(names(first, h.case_id))
    loads = rival_wins(first, second, h, monkeypatch, times=1)
    result = first.set_veiligheidsplan(h.cmd(actor=LT, voorwaarden=["geen_geweld"]))
    assert len(loads) == 2 and loads[1] == loads[0] + 1  # the retry saw the rival's event
    assert result.events == ("VeiligheidsplanSet",)
    assert names(first, h.case_id)[start:] == ["CrisisMeasureTaken", "VeiligheidsplanSet"]
    assert result.version == start + 2


def test_a_rival_that_always_wins_gets_the_command_refused_after_max_retries_plus_one(
    household: tuple[HgkmApplication, HgkmApplication, Household],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second, h = household
    start = len(names(first, h.case_id))
    loads = rival_wins(first, second, h, monkeypatch, times=10)
    with pytest.raises(ConcurrentModification) as refused:
        first.set_veiligheidsplan(h.cmd(actor=LT, voorwaarden=["geen_geweld"]))
    assert len(loads) == first.max_retries + 1 == 3
    assert refused.value.code == "CONCURRENT_MODIFICATION"
    assert "3 attempts" in refused.value.message
    # only the rival's three events were stored; nothing of the refused command
    assert names(first, h.case_id)[start:] == ["CrisisMeasureTaken"] * 3


def test_retrying_gives_up_after_max_retries_plus_one_attempts_and_saves_nothing(
    sqlite_app: HgkmApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stored_event_rows(sqlite_app)
    attempts: list[int] = []

    def lose(*aggregates: Aggregate) -> None:
        raise IntegrityError("a concurrent writer saved first")

    def attempt() -> tuple[str, list[Aggregate]]:
        attempts.append(1)
        return "outcome", []

    monkeypatch.setattr(sqlite_app.work.store, "save", lose)
    with pytest.raises(ConcurrentModification):
        sqlite_app.work.retrying("case 0000", attempt)
    assert len(attempts) == sqlite_app.max_retries + 1 == 4
    assert stored_event_rows(sqlite_app) == before


def test_the_retry_loop_is_written_once() -> None:
    """Intake, case commands, the scheduler, emergency access and erasure share one loop."""
    loops = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                   if "max_retries +" in p.read_text(encoding="utf-8"))
    assert loops == ["application/unit_of_work.py"]
