"""Restating the timeliness figures: on time and breaches as known then beside as known now.

Business time decides whether a deadline was met on time, so a fact registered late changes
a published timeliness figure: an assessment registered after T1's due instant, but decided
before it, meets T1 on time and withdraws the breach the tick had recorded
(``DeadlineBreachWithdrawn``); an assessment decided late but registered after the figures
were published adds a late one. :func:`restate_timeliness` folds ``rm_deadline_history``
(:mod:`hgkm_workflow.projections.deadline_history`) of the deadlines that touch the period
(found by the monitor's ``rm_monitor_deadline_touches``) twice — the rows recorded up to the
instant, and all rows — and compares, per rule of :data:`~hgkm_workflow.monitor.figures.
TIMELINESS_RULES`:

* ``timeliness.<rule>.on_time`` — of the deadlines concluded (met) in the period, the share
  met on time: the same definition as the report's figure, by the met instant (business
  time) within the period and not after the report instant;
* ``timeliness.<rule>.breaches`` — the deadlines due in the period (and by the report
  instant) with a breach recorded and not withdrawn.

Every deadline whose state differs is listed with the events recorded after the instant
(kind, case and version, recording instant: the same in the event export and after an
import). A suppressed copy withholds counts under the threshold and lists no deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hgkm_workflow.monitor.figures import TIMELINESS_RULES
from hgkm_workflow.monitor.queries import Scope
from hgkm_workflow.monitor.restated_cells import count_is_small, ratio_is_small
from hgkm_workflow.projections.deadline_history import (
    DeadlineState,
    deadline_history,
    deadline_states,
)
from hgkm_workflow.projections.monitor_tables import monitor_deadline_touches

__all__ = ["MovedDeadline", "RestatedRatio", "TimelinessRestatement", "restate_timeliness"]


@dataclass(frozen=True)
class RestatedRatio:
    """One timeliness figure then and now: a count (``denominator`` ``None``) or a share."""

    name: str
    then: int
    now: int
    then_of: int | None = None
    now_of: int | None = None
    suppressed: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (numbers withheld when suppressed)."""
        if self.suppressed:
            return {"name": self.name, "then": None, "then_of": None, "now": None,
                    "now_of": None, "change": None, "suppressed": True}
        return {"name": self.name, "then": self.then, "then_of": self.then_of,
                "now": self.now, "now_of": self.now_of, "change": self.now - self.then,
                "suppressed": False}

    def withheld(self, min_cell: int) -> RestatedRatio:
        """This figure, suppressed when a cell of it is small on either side or in what
        moved (:mod:`hgkm_workflow.monitor.restated_cells`)."""
        if self.then_of is None or self.now_of is None:
            small = count_is_small(self.then, self.now, min_cell)
        else:
            small = ratio_is_small(self.then, self.now, self.then_of, self.now_of, min_cell)
        return RestatedRatio(self.name, self.then, self.now, self.then_of, self.now_of,
                             suppressed=small)


@dataclass(frozen=True)
class MovedDeadline:
    """A deadline whose state as known then differs from its state now, and why."""

    deadline_id: str
    case_id: str
    rule_id: str
    then: str | None
    now: str
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (pseudonymous ids and codes only)."""
        return {"deadline_id": self.deadline_id, "case_id": self.case_id,
                "rule": self.rule_id, "then": self.then, "now": self.now,
                "reasons": list(self.reasons)}


@dataclass(frozen=True)
class TimelinessRestatement:
    """The period's timeliness figures as known at ``known_at`` and now."""

    known_at: datetime
    figures: tuple[RestatedRatio, ...]
    moved: tuple[MovedDeadline, ...]
    moved_withheld: bool = False

    def figure(self, name: str) -> RestatedRatio:
        """The restated figure called ``name`` (e.g. ``timeliness.T1.breaches``)."""
        return next(f for f in self.figures if f.name == name)

    def suppress(self, min_cell: int) -> TimelinessRestatement:
        """A copy fit to publish: small cells withheld, no deadline listed."""
        if min_cell <= 1:
            return self
        return TimelinessRestatement(self.known_at,
                                     tuple(f.withheld(min_cell) for f in self.figures), (),
                                     moved_withheld=True)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"known_at": self.known_at.isoformat(),
                "figures": [f.as_dict() for f in self.figures],
                "moved": [m.as_dict() for m in self.moved],
                "moved_count": None if self.moved_withheld else len(self.moved),
                "moved_withheld": self.moved_withheld}


def _label(state: DeadlineState | None) -> str | None:
    if state is None:
        return None
    return state.status + (", breach recorded" if state.breached else "")


def _in(instant: datetime | None, scope: Scope) -> bool:
    return instant is not None and scope.start <= instant < scope.end \
        and instant <= scope.as_of


def _figures(rule: str, states: dict[str, DeadlineState], scope: Scope) -> tuple[int, ...]:
    mine = [s for s in states.values() if s.rule_id == rule]
    concluded = [s for s in mine if s.status in ("met", "met_late") and _in(s.met_at, scope)]
    on_time = sum(s.status == "met" for s in concluded)
    breaches = sum(s.breached and _in(s.due, scope) for s in mine)
    return on_time, len(concluded), breaches


def _relevant(state: DeadlineState | None, scope: Scope) -> bool:
    return state is not None and (_in(state.due, scope) or _in(state.met_at, scope))


def _reasons(now: DeadlineState, known_at: datetime) -> tuple[str, ...]:
    out = []
    for c in now.changes:
        recorded = c["recorded_at"]
        if recorded is None or recorded <= known_at:
            continue
        when = f", business time {c['at'].isoformat(timespec='minutes')}" if c["at"] else ""
        out.append(f"{c['kind']} of case {now.case_id} (version {c['case_version']}), "
                   f"recorded {recorded.isoformat(timespec='minutes')}{when}")
    return tuple(out)


def restate_timeliness(conn: sa.Connection, scope: Scope,
                       known_at: datetime) -> TimelinessRestatement:
    """The scope's timeliness figures as known at ``known_at`` (naive UTC) and now."""
    rules = tuple(TIMELINESS_RULES)
    # The deadlines the period's figures can count, as known at any instant (a due, met or
    # closed instant in the period), found through the index of the monitor's deadline
    # touches: the period's rows, not every deadline's history.
    t = monitor_deadline_touches
    touching = sa.select(t.c.deadline_id).where(t.c.instant >= scope.start,
                                                t.c.instant < scope.end)
    where = [*scope.cases(deadline_history.c.case_id),
             deadline_history.c.deadline_id.in_(touching)]
    then = deadline_states(conn, rules, where, known_at=known_at)
    now = deadline_states(conn, rules, where)
    figures: list[RestatedRatio] = []
    for rule in rules:
        t_on, t_of, t_breaches = _figures(rule, then, scope)
        n_on, n_of, n_breaches = _figures(rule, now, scope)
        figures.append(RestatedRatio(f"timeliness.{rule}.on_time", t_on, n_on, t_of, n_of))
        figures.append(RestatedRatio(f"timeliness.{rule}.breaches", t_breaches, n_breaches))
    moved = []
    for deadline_id, state in sorted(now.items()):
        old = then.get(deadline_id)
        if not (_relevant(state, scope) or _relevant(old, scope)):
            continue
        if _label(old) != _label(state):
            moved.append(MovedDeadline(deadline_id, state.case_id, state.rule_id, _label(old),
                                       _label(state) or "", _reasons(state, known_at)))
    return TimelinessRestatement(known_at, tuple(figures), tuple(moved))
