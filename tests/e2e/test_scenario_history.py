"""The folds behind the history expectations (scenario/history.py): properties, no database.

The events are stand-ins with the published events' class names and fields (docs/events.md),
so the folds are checked on sequences no scenario file happens to write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from hgkm_workflow.scenario.history import (
    crisis_measures,
    phase_visits,
    plegeraanbod,
    role_history,
    show_duration,
)
from hgkm_workflow.scenario.model import parse_duration

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PHASES = ["triage", "directe_veiligheid", "risicogestuurde_zorg", "herstel", "waakvlam"]


def _event(name: str, **fields: Any) -> Any:
    cls = dataclass(type(name, (), {"__annotations__": dict.fromkeys(fields, "Any")}))
    return cls(**fields)


@given(st.lists(st.tuples(st.sampled_from(PHASES), st.integers(0, 10**6)), min_size=1,
                max_size=12), st.integers(0, 10**6))
def test_the_time_of_every_stay_adds_up_to_the_time_since_the_first_phase(
        changes: list[tuple[str, int]], tail: int) -> None:
    at, events = T0, []
    for phase, seconds in changes:
        events.append(_event("PhaseChanged", at=at, to_phase=phase, how="test"))
        at += timedelta(seconds=seconds)
    now = events[-1].at + timedelta(seconds=tail)
    visits = phase_visits(events)
    assert [v.phase for v in visits] == [p for p, _ in changes]
    assert sum((v.time(now) for v in visits), timedelta()) == now - T0
    assert visits[-1].left is None and all(v.left is not None for v in visits[:-1])
    assert [v.time(now) for v in visits[:-1]] == [timedelta(seconds=s) for _, s in changes[:-1]]


@given(st.integers(0, 10**8))
def test_a_shown_duration_reads_back_as_the_same_duration(seconds: int) -> None:
    value = timedelta(seconds=seconds)
    assert parse_duration(show_duration(value)) == value


def test_roles_are_kept_per_record_in_order_and_corrections_do_not_replace_them() -> None:
    events = [
        _event("MeldingReceived", melding_id="m1", at=T0,
               persons=[{"person_id": "p1", "role": "victim"},
                        {"person_id": "p2", "role": "alleged_perpetrator"}]),
        _event("PersonRoleCorrected", person_id="p1", role="alleged_perpetrator",
               at=T0 + timedelta(days=1)),
        _event("PersonAdded", person_id="p3", role="child", at=T0 + timedelta(days=2)),
        _event("MeldingReceived", melding_id="m2", at=T0 + timedelta(days=3),
               persons=[{"person_id": "p2", "role": "victim"}]),
    ]
    history = role_history(events)
    assert [(e.role, e.source, e.melding_id) for e in history["p1"]] == [
        ("victim", "melding", "m1"), ("alleged_perpetrator", "correction", None)]
    assert [(e.role, e.melding_id) for e in history["p2"]] == [
        ("alleged_perpetrator", "m1"), ("victim", "m2")]
    assert [(e.role, e.source) for e in history["p3"]] == [("child", "added")]


def test_crisis_measures_count_a_huisverbod_and_plegeraanbod_keeps_the_latest_answer() -> None:
    events = [
        _event("CrisisMeasureTaken", measure="politie_inzet", at=T0),
        _event("HuisverbodImposed", at=T0 + timedelta(hours=1)),
        _event("PlegeraanbodOffered", person_id="p2", at=T0),
        _event("PlegeraanbodResponded", person_id="p2", accepted=False, at=T0),
        _event("PlegeraanbodOffered", person_id="p2", at=T0),
        _event("PlegeraanbodOffered", person_id="p3", at=T0),
        _event("PlegeraanbodResponded", person_id="p3", accepted=True, at=T0),
    ]
    assert [e.measure for e in crisis_measures(events)] == ["politie_inzet", "huisverbod"]
    assert plegeraanbod(events) == {"p2": "offered", "p3": "accepted"}
