"""Two writers on one store: optimistic concurrency, retries on a fresh load, exactly-once ticks.

Two application instances (as two processes would) open the same store and decide about the
same case. The second save of the same case version loses (eventsourcing's IntegrityError);
the application then reloads, decides again and saves — or, with retries disabled, refuses
with ConcurrentModification and stores nothing. No event is ever lost or duplicated.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from hgkm_workflow import commands as c
from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.domain.recording import recording_at
from hgkm_workflow.errors import ConcurrentModification, TransitionNotAllowed
from tests.support import LT, READ, Household, stored_event_rows

MakeApp = Callable[..., HgkmApplication]


def names(app: HgkmApplication, case_id: UUID | None) -> list[str]:
    assert case_id is not None
    return [type(e).__name__ for e in app.case_events(case_id, access=READ)]


def stale_first_load(app: HgkmApplication, monkeypatch: pytest.MonkeyPatch,
                     stale: HouseholdCase, before_return: Callable[[], None] | None = None
                     ) -> list[int]:
    """Make ``app.work.load`` hand out ``stale`` on its first call, then load normally."""
    real_load = app.work.load
    calls: list[int] = []

    def load(aggregate_id: UUID, kind: type[Any]) -> Any:
        calls.append(1)
        if len(calls) == 1:
            if before_return is not None:
                before_return()
            return stale
        return real_load(aggregate_id, kind)

    monkeypatch.setattr(app.work, "load", load)
    return calls


@pytest.fixture
def two_apps(store_url: str, make_app: MakeApp) -> tuple[HgkmApplication, HgkmApplication]:
    return make_app(store_url), make_app(store_url)


def test_interleaved_saves_the_second_loses_and_stores_nothing(
    two_apps: tuple[HgkmApplication, HgkmApplication], clock: SettableClock,
    make_app: MakeApp,
) -> None:
    first, second = two_apps
    h = Household(first, clock)
    h.to_directe_veiligheid()
    h.advance(hours=1)
    case_id = h.case_id
    assert case_id is not None
    a = first.repository.get(case_id)
    b = second.repository.get(case_id)
    assert isinstance(a, HouseholdCase) and isinstance(b, HouseholdCase)
    assert a.version == b.version
    plan = c.SetVeiligheidsplan.model_validate(
        h.cmd(actor=LT, voorwaarden=["geen_geweld", "veilige_opvang"]))
    crisis = c.TakeCrisisMeasure.model_validate(h.cmd(actor=LT, measure="crisisopvang"))
    ctx_a, ctx_b = first.work.context(plan), second.work.context(crisis)
    with recording_at(ctx_a.recorded_at):
        a.set_veiligheidsplan(plan, ctx_a)
    with recording_at(ctx_b.recorded_at):
        b.take_crisis_measure(crisis, ctx_b)
    first.save(a)
    after_first = stored_event_rows(first)
    with pytest.raises(IntegrityError):
        second.save(b)
    assert stored_event_rows(first) == after_first
    replay = make_app(first.config.url, snapshot_interval=0, cache_size=0)
    case = replay.load_case(case_id, access=READ)
    assert case.version == a.version
    assert case.veiligheidsplan is not None
    assert case.veiligheidsplan["voorwaarden"] == ["geen_geweld", "veilige_opvang"]
    assert case.crisis_measures == []


def test_the_loser_retries_on_a_fresh_load_and_both_effects_are_kept(
    two_apps: tuple[HgkmApplication, HgkmApplication], clock: SettableClock,
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = two_apps
    h = Household(first, clock)
    h.to_directe_veiligheid()
    h.advance(hours=1)
    stale = second.work.load(h.case_id, HouseholdCase)  # type: ignore[arg-type]
    start_version = stale.version
    first.set_veiligheidsplan(h.cmd(actor=LT, voorwaarden=["geen_geweld", "veilige_opvang"]))
    calls = stale_first_load(second, monkeypatch, stale)
    result = second.take_crisis_measure(h.cmd(actor=LT, measure="crisisopvang"))
    assert len(calls) == 2  # lost the race once, then succeeded on a fresh load
    replay = make_app(first.config.url, snapshot_interval=0, cache_size=0)
    case = replay.load_case(h.case_id, access=READ)  # type: ignore[arg-type]
    assert case.version == result.version
    assert case.veiligheidsplan is not None
    assert case.veiligheidsplan["voorwaarden"] == ["geen_geweld", "veilige_opvang"]
    assert case.veiligheidsplan["version"] == 2
    assert [m["measure"] for m in case.crisis_measures] == ["crisisopvang"]
    tail = names(replay, h.case_id)[start_version:]
    assert tail == ["VeiligheidsplanSet", "CrisisMeasureTaken"]
    # the first application sees the second one's write too (its cache is fast-forwarded)
    assert first.load_case(h.case_id, access=READ).state_dict() == case.state_dict()  # type: ignore[arg-type]


def test_without_retries_the_loser_gets_concurrent_modification(
    store_url: str, make_app: MakeApp, clock: SettableClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = make_app(store_url)
    second = make_app(store_url, max_retries=0)
    h = Household(first, clock)
    h.to_directe_veiligheid()
    stale = second.work.load(h.case_id, HouseholdCase)  # type: ignore[arg-type]
    first.set_veiligheidsplan(h.cmd(actor=LT, voorwaarden=["geen_geweld"]))
    first.catch_up()
    rows = stored_event_rows(first)
    calls = stale_first_load(second, monkeypatch, stale)
    with pytest.raises(ConcurrentModification) as info:
        second.take_crisis_measure(h.cmd(actor=LT, measure="crisisopvang"))
    assert len(calls) == 1
    assert info.value.code == "CONCURRENT_MODIFICATION" and info.value.rule
    assert stored_event_rows(first) == rows
    # nothing half-decided stays behind in the loser's cache: its next command is clean
    monkeypatch.undo()
    second.take_crisis_measure(h.cmd(actor=LT, measure="crisisopvang"))
    case = second.load_case(h.case_id, access=READ)  # type: ignore[arg-type]
    assert len(case.crisis_measures) == 1
    assert case.veiligheidsplan is not None and case.veiligheidsplan["version"] == 2


def test_a_retry_decides_again_and_may_refuse(
    two_apps: tuple[HgkmApplication, HgkmApplication], clock: SettableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both writers assess the same melding: the retry sees it assessed and refuses."""
    first, second = two_apps
    h = Household(first, clock)
    h.melding()
    stale = second.work.load(h.case_id, HouseholdCase)  # type: ignore[arg-type]
    first.complete_veiligheidsbeoordeling(h.cmd(melding_id=str(h.melding_id),
                                                outcome="handover_local_team",
                                                veiligheidsvoorwaarden=["geen_geweld"],
                                                handover_to={"actor_id": "lt-003",
                                                             "organisation": "wijkteam-noord",
                                                             "organisation_type": "lokaal_team"}))
    rows = stored_event_rows(first)
    stale_first_load(second, monkeypatch, stale)
    with pytest.raises(TransitionNotAllowed) as info:
        second.complete_veiligheidsbeoordeling(h.cmd(melding_id=str(h.melding_id),
                                                     outcome="onderzoek"))
    assert (info.value.machine, info.value.state) == ("triage", "assessed")
    assert stored_event_rows(first) == rows
    assert names(first, h.case_id).count("VeiligheidsbeoordelingCompleted") == 1


def test_a_cached_case_follows_writes_from_another_instance(
    two_apps: tuple[HgkmApplication, HgkmApplication], clock: SettableClock,
) -> None:
    first, second = two_apps
    h = Household(first, clock)
    h.to_directe_veiligheid()
    assert second.get_case(h.case_id, access=READ).veiligheidsplan["version"] == 1  # type: ignore[arg-type,index]
    first.set_veiligheidsplan(h.cmd(actor=LT, voorwaarden=["geen_geweld"]))
    view = second.get_case(h.case_id, access=READ)  # type: ignore[arg-type]
    assert view.veiligheidsplan is not None and view.veiligheidsplan["version"] == 2
    # and the second instance's command builds on it
    second.set_veiligheidsplan(h.cmd(actor=LT, voorwaarden=["veilige_opvang"]))
    assert first.get_case(h.case_id, access=READ).veiligheidsplan["version"] == 3  # type: ignore[arg-type,index]


# ---------------------------------------------------------------------------------- ticks


def _household_with_due_deadlines(app: HgkmApplication, clock: SettableClock) -> Household:
    h = Household(app, clock)
    h.melding(acute=True)  # T1, T2 (acute) and T10 (police, child) start
    return h


def _breaches(app: HgkmApplication, case_id: UUID | None) -> list[str]:
    assert case_id is not None
    return [e.deadline_id for e in app.case_events(case_id, access=READ)
            if type(e).__name__ == "DeadlineBreached"]


def test_two_ticks_at_the_same_moment_record_each_breach_once(
    two_apps: tuple[HgkmApplication, HgkmApplication], clock: SettableClock,
) -> None:
    first, second = two_apps
    h = _household_with_due_deadlines(first, clock)
    at = clock.now() + timedelta(days=10)
    due = {d.deadline_id for d in first.open_deadlines(at=at, case_id=h.case_id, access=READ)}
    assert {d.rule_id for d in first.open_deadlines(at=at, access=READ)} == {"T1", "T2", "T10"}
    one = first.tick(at)
    two = second.tick(at)
    assert {r.deadline_id for r in one} == due and two == []
    breaches = _breaches(second, h.case_id)
    assert sorted(breaches) == sorted(due)


def test_a_tick_that_loses_the_race_records_nothing_twice(
    two_apps: tuple[HgkmApplication, HgkmApplication], clock: SettableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second tick read the index and loaded the case before the first tick saved."""
    first, second = two_apps
    h = _household_with_due_deadlines(first, clock)
    at = clock.now() + timedelta(days=10)
    stale = second.work.load(h.case_id, HouseholdCase)  # type: ignore[arg-type]
    first_records: list[Any] = []
    calls = stale_first_load(second, monkeypatch, stale,
                             before_return=lambda: first_records.extend(first.tick(at)))
    second_records = second.tick(at)
    assert len(calls) == 2  # decided on the stale case, lost the save, decided again
    assert second_records == []
    assert {r.rule_id for r in first_records} == {"T1", "T2", "T10"}
    breaches = _breaches(first, h.case_id)
    assert sorted(breaches) == sorted(r.deadline_id for r in first_records)
    assert len(set(breaches)) == len(breaches)


def test_concurrent_ticks_in_threads_record_each_breach_once(
    two_apps: tuple[HgkmApplication, HgkmApplication], clock: SettableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both ticks load the case before either saves (a barrier), then race to save."""
    first, second = two_apps
    cases = [_household_with_due_deadlines(first, clock) for _ in range(2)]
    at = clock.now() + timedelta(days=10)
    first.catch_up()
    barrier = threading.Barrier(2, timeout=20)
    loads: list[UUID] = []
    for app in (first, second):
        real_load = app.work.load
        waited: list[UUID] = []

        def load(aggregate_id: UUID, kind: type[Any], real_load: Any = real_load,
                 waited: list[UUID] = waited) -> Any:
            loaded = real_load(aggregate_id, kind)
            loads.append(aggregate_id)
            if aggregate_id not in waited:  # the first load of each case meets the other tick
                waited.append(aggregate_id)
                barrier.wait()
            return loaded

        monkeypatch.setattr(app.work, "load", load)
    results: dict[str, list[Any]] = {}
    errors: list[BaseException] = []

    def run(name: str, app: HgkmApplication) -> None:
        try:
            results[name] = app.tick(at)
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(n, a))
               for n, a in (("first", first), ("second", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, [type(e).__name__ for e in errors]
    recorded = [r.deadline_id for rs in results.values() for r in rs]
    for h in cases:
        breaches = _breaches(first, h.case_id)
        assert len(breaches) == 3 and len(set(breaches)) == 3
        assert sorted(d for d in recorded if d in breaches) == sorted(breaches)
    assert len(recorded) == len(set(recorded)) == 6
    # each case was loaded by both ticks and once more by the one that lost the save
    assert sorted(loads) == sorted([h.case_id for h in cases for _ in range(3)])
