"""Expectations on a case's history: roles, phases and time in phase, crisis measures,
plegeraanbod, partner tracks and procesregie (docs/scenarios.md).

Read from the case's published events (:mod:`hgkm_workflow.scenario.history`). Mismatches are
``(what, expected, actual)`` with scenario names, codes, durations and Amsterdam instants —
never ids or personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from hgkm_workflow.scenario.expect import Mismatch, Names, instant_matches, show_instant
from hgkm_workflow.scenario.history import (
    crisis_measures,
    partner_tracks,
    phase_visits,
    plegeraanbod,
    procesregie,
    role_history,
    show_duration,
)
from hgkm_workflow.scenario.model import parse_duration

__all__ = ["HISTORY_KEYS", "check_history"]


def _melding_name(names: Names, melding_id: str | None) -> str | None:
    for name, value in names.ids.items():
        if str(value) == melding_id:
            return name
    return None if melding_id is None else "(a melding outside the scenario)"


def _roles(events: Sequence[Any], expected: Mapping[str, list[Any]], names: Names,
           now: datetime) -> list[Mismatch]:
    history = role_history(events)
    out: list[Mismatch] = []
    for person, want in expected.items():
        got = history.get(str(names.persons[person]), [])
        detailed = any(isinstance(w, Mapping) for w in want)
        if not detailed:
            actual_roles = [e.role for e in got]
            if list(want) != actual_roles:
                out.append((f"role_history.{person}", list(want), actual_roles))
            continue
        shown = [{"role": e.role, "source": e.source,
                  **({"melding": _melding_name(names, e.melding_id)} if e.melding_id else {})}
                 for e in got]
        if len(want) != len(got):
            out.append((f"role_history.{person}", _plain(want), shown))
            continue
        for i, (w, actual) in enumerate(zip(want, shown, strict=True)):
            item = {"role": w} if isinstance(w, str) else dict(w)
            if any(actual.get(k) != v for k, v in item.items()):
                out.append((f"role_history.{person}[{i}]", item, actual))
    return out


def _plain(items: Sequence[Any]) -> list[Any]:
    return [dict(i) if isinstance(i, Mapping) else i for i in items]


def _phases(events: Sequence[Any], expected: list[Any], names: Names,
            now: datetime) -> list[Mismatch]:
    visits = phase_visits(events)
    actual = [v.phase for v in visits]
    wanted = [w if isinstance(w, str) else w["phase"] for w in expected]
    if wanted != actual:
        return [("phase_history", wanted, actual)]
    out: list[Mismatch] = []
    for i, (w, visit) in enumerate(zip(expected, visits, strict=True)):
        if isinstance(w, str):
            continue
        label = f"phase_history[{i}] ({visit.phase})"
        if "how" in w and w["how"] != visit.how:
            out.append((f"{label}.how", w["how"], visit.how))
        if "time" in w and parse_duration(w["time"]) != visit.time(now):
            out.append((f"{label}.time", w["time"], show_duration(visit.time(now))))
        if "entered" in w and not instant_matches(w["entered"], visit.entered):
            out.append((f"{label}.entered", w["entered"], show_instant(visit.entered)))
    return out


def _time_in_phase(events: Sequence[Any], expected: Mapping[str, str], names: Names,
                   now: datetime) -> list[Mismatch]:
    totals: dict[str, timedelta] = {}
    for visit in phase_visits(events):
        totals[visit.phase] = totals.get(visit.phase, timedelta()) + visit.time(now)
    out: list[Mismatch] = []
    for phase, want in expected.items():
        got = totals.get(phase, timedelta())
        if parse_duration(want) != got:
            out.append((f"time_in_phase.{phase}", want, show_duration(got)))
    return out


def _crisis(events: Sequence[Any], expected: list[Any], names: Names,
            now: datetime) -> list[Mismatch]:
    got = crisis_measures(events)
    wanted = [w if isinstance(w, str) else w["measure"] for w in expected]
    actual = [e.measure for e in got]
    if wanted != actual:
        return [("crisis_measures", wanted, actual)]
    out: list[Mismatch] = []
    for i, (w, entry) in enumerate(zip(expected, got, strict=True)):
        if isinstance(w, Mapping) and "at" in w and not instant_matches(w["at"], entry.at):
            out.append((f"crisis_measures[{i}] ({entry.measure}).at", w["at"],
                        show_instant(entry.at)))
    return out


def _plegeraanbod(events: Sequence[Any], expected: Mapping[str, str | None], names: Names,
                  now: datetime) -> list[Mismatch]:
    got = plegeraanbod(events)
    out: list[Mismatch] = []
    for person, want in expected.items():
        actual = got.get(str(names.persons[person]))
        if want != actual:
            out.append((f"plegeraanbod.{person}", want, actual))
    return out


def _tracks(events: Sequence[Any], expected: list[Any], names: Names,
            now: datetime) -> list[Mismatch]:
    got = partner_tracks(events)
    wanted = [w if isinstance(w, str) else w["kind"] for w in expected]
    actual = [t.kind for t in got]
    if wanted != actual:
        return [("partner_tracks", wanted, actual)]
    out: list[Mismatch] = []
    for i, (w, t) in enumerate(zip(expected, got, strict=True)):
        if isinstance(w, str):
            continue
        label = f"partner_tracks[{i}] ({t.kind})"
        shown = {"state": "open" if t.ended is None else "ended", "outcome": t.outcome,
                 "organisation_type": t.organisation_type}
        for key in ("state", "outcome", "organisation_type"):
            if key in w and w[key] != shown[key]:
                out.append((f"{label}.{key}", w[key], shown[key]))
        for key, when in (("started", t.started), ("ended", t.ended)):
            if key in w and (when is None or not instant_matches(w[key], when)):
                out.append((f"{label}.{key}", w[key],
                            None if when is None else show_instant(when)))
    return out


def _procesregie(events: Sequence[Any], expected: str | None, names: Names,
                 now: datetime) -> list[Mismatch]:
    actual = procesregie(events)
    return [] if actual == expected else [("procesregie", expected, actual)]


_CHECKS: dict[str, Callable[[Sequence[Any], Any, Names, datetime], list[Mismatch]]] = {
    "role_history": _roles,
    "phase_history": _phases,
    "time_in_phase": _time_in_phase,
    "crisis_measures": _crisis,
    "plegeraanbod": _plegeraanbod,
    "partner_tracks": _tracks,
    "procesregie": _procesregie,
}

#: Expectation keys read from the case's published events.
HISTORY_KEYS = frozenset(_CHECKS)


def check_history(events: Sequence[Any], expect: Mapping[str, Any], names: Names,
                  now: datetime) -> list[Mismatch]:
    """Check every history expectation in ``expect`` against the case's events.

    Args:
        events: The case's stored events, in order (``app.case_events``).
        expect: The step's expectations (other keys are ignored).
        names: Scenario names of the run.
        now: The simulated clock (a phase still running counts up to now).
    """
    out: list[Mismatch] = []
    for key, check in _CHECKS.items():
        if key in expect:
            out.extend(check(events, expect[key], names, now))
    return out
