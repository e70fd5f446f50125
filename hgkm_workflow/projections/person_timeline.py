"""A household case's VT involvements replayed in business-time order (pure, no database).

The classification decides a melding's class by what was true at its receipt, as known now:
every fact of a case (its meldingen, added persons, role corrections, assessments, services,
monitoring, closure) is replayed in the order of its business time ``at``, ties broken by
recording position. The result, a :class:`Timeline`, answers "which involvement ran, in
which stage, with which persons, just before point ``(at, position)``". The rules of an
involvement (start, joins, end, continuation) are those of
:mod:`hgkm_workflow.projections.person_index`, applied in this order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from hgkm_workflow.domain.calendar import local_date
from hgkm_workflow.projections.person_rules import (
    CONTINUABLE,
    ENDED,
    involvement_change,
    melding_joins,
)

Point = tuple[datetime, int]
"""A place in business-time order: ``(at, recording position)``."""

CHANGES: dict[str, dict[str, Any]] = {
    "Closed": {"close": True},
    "VeiligheidsbeoordelingCompleted": {"pending": -1},
    "VtServiceStarted": {"service": True},
    "VtServiceCompleted": {"service": False},
    "VtMonitoringStarted": {"monitoring": True},
    "VtMonitoringEnded": {"monitoring": False},
}
"""The events that change an involvement's activities, with the change."""


@dataclass(frozen=True)
class Fact:
    """One event of a household case, as the classification reads it."""

    position: int
    case_id: str
    kind: str
    at: datetime
    melding_id: str | None = None
    persons: tuple[tuple[str, str], ...] = ()

    @property
    def point(self) -> Point:
        """Where the fact stands in business-time order."""
        return (self.at, self.position)


@dataclass
class Involvement:
    """One VT involvement of a case, replayed: its stages and the persons in it."""

    number: int
    start: Point
    pending: int = 0
    service: bool = False
    monitoring: bool = False
    last_stage: str = ENDED
    end: Point | None = None
    end_event: str | None = None
    stages: list[tuple[Point, str]] = field(default_factory=list)
    joined: dict[str, Point] = field(default_factory=dict)

    @property
    def ended_on(self) -> date | None:
        """The Amsterdam date of the end, if it ended."""
        return None if self.end is None else local_date(self.end[0].replace(tzinfo=UTC))

    def running_at(self, point: Point) -> bool:
        """Whether the involvement started before ``point`` and had not ended by then."""
        return self.start < point and (self.end is None or self.end > point)

    def stage_at(self, point: Point) -> str:
        """The stage just before ``point`` (``ended`` if none was under way)."""
        stage = ENDED
        for at, value in self.stages:
            if at >= point:
                break
            stage = value
        return stage


@dataclass
class Timeline:
    """The involvements, members and role corrections of one case in business-time order."""

    case_id: str
    involvements: list[Involvement] = field(default_factory=list)
    members: dict[str, tuple[Point, str]] = field(default_factory=dict)
    corrections: dict[str, str] = field(default_factory=dict)

    def role_of(self, person_id: str, stated: str | None = None) -> str:
        """A person's role in the case as known now: the latest correction, else as stated.

        Args:
            person_id: The person.
            stated: The role a melding names them with (default: their first naming's).
        """
        if person_id in self.corrections:
            return self.corrections[person_id]
        if stated is not None:
            return stated
        return self.members[person_id][1]

    def running_at(self, point: Point) -> Involvement | None:
        """The involvement running just before ``point``, if any."""
        for inv in self.involvements:
            if inv.running_at(point):
                return inv
        return None


def replay(case_id: str, facts: list[Fact]) -> Timeline:
    """Replay a case's facts in business-time order.

    Args:
        case_id: The case.
        facts: Its facts, in any order.

    Returns:
        The case's timeline.
    """
    tl = Timeline(case_id)
    for fact in sorted(facts, key=lambda f: f.point):
        if fact.kind == "PersonRoleCorrected":
            continue
        _apply(tl, fact)
    for fact in sorted(facts, key=lambda f: f.position):
        if fact.kind == "PersonRoleCorrected":
            for person_id, role in fact.persons:
                tl.corrections[person_id] = role
    return tl


def extend(tl: Timeline, fact: Fact) -> None:
    """Add a fact that lies after every fact of the timeline (same result as a replay).

    Args:
        tl: The case's timeline.
        fact: A fact whose point and position are later than those of every fact replayed.
    """
    if fact.kind == "PersonRoleCorrected":
        for person_id, role in fact.persons:
            tl.corrections[person_id] = role
    else:
        _apply(tl, fact)


def _apply(tl: Timeline, fact: Fact) -> None:
    point = fact.point
    cur = tl.involvements[-1] if tl.involvements else None
    running = cur is not None and cur.end is None
    if fact.kind in ("MeldingReceived", "PersonAdded"):
        for person_id, role in fact.persons:
            tl.members.setdefault(person_id, (point, role))
    if fact.kind == "MeldingReceived":
        if running:
            if cur is None:  # an invariant, kept under python -O
                raise RuntimeError("internal invariant broken: cur is missing")
            _set(cur, point, melding_joins(cur.pending, cur.service, cur.monitoring))
            for person_id, _ in fact.persons:
                cur.joined.setdefault(person_id, point)
        else:
            inv = _start(tl, point)
            _set(inv, point, melding_joins(0, False, False))
    elif fact.kind == "PersonAdded":
        if running:
            if cur is None:  # an invariant, kept under python -O
                raise RuntimeError("internal invariant broken: cur is missing")
            for person_id, _ in fact.persons:
                cur.joined.setdefault(person_id, point)
    elif fact.kind in CHANGES and cur is not None:
        change = CHANGES[fact.kind]
        starts = change.get("service") is True or change.get("monitoring") is True
        target = cur
        if cur.end is not None:
            if not starts:
                return
            if cur.end[0] == fact.at and cur.end_event in CONTINUABLE:
                cur.end = None
                cur.end_event = None
            else:
                target = _start(tl, point)
        state = (target.pending, target.service, target.monitoring, target.last_stage)
        _set(target, point, involvement_change(state, fact.at, fact.kind, **change))


def _start(tl: Timeline, point: Point) -> Involvement:
    inv = Involvement(number=len(tl.involvements) + 1, start=point)
    inv.joined = {person_id: point for person_id in tl.members}
    tl.involvements.append(inv)
    return inv


def _set(inv: Involvement, point: Point, values: dict[str, Any]) -> None:
    inv.pending = values["pending_assessments"]
    inv.service = values["service_running"]
    inv.monitoring = values["monitoring_running"]
    inv.last_stage = values["last_stage"]
    stage = values["stage"]
    if not inv.stages or inv.stages[-1][1] != stage:
        inv.stages.append((point, stage))
    if values["ended_at"] is not None:
        inv.end = point
        inv.end_event = values["end_event"]
