"""The monitor's copy of the main deadlines: the fold of the deadline events into it.

``rm_monitor_deadlines`` holds, per deadline, what the timeliness figures count (rule,
check-point, start, due, status, when it was concluded and how late), by the same rules as
the deadline index ``rm_deadlines`` (:mod:`hgkm_workflow.projections.deadline_index`), so the
monitor fold can move a deadline's counts when it is met, closed, rescheduled or reopened.
``tests/monitor/test_counted_figures.py`` compares the timeliness figures from the counts with
those recomputed from ``rm_deadlines``.
"""

from __future__ import annotations

from typing import Any

from hgkm_workflow.projections._util import naive_utc
from hgkm_workflow.projections.batch import TableBuffer


def deadline_ids(kind: str, ev: Any) -> tuple[str, ...]:
    """The deadlines a deadline event other than ``DeadlineStarted`` changes."""
    if kind == "DeadlineStarted":
        return ()
    if kind == "HuisverbodExpiryWithdrawn":
        return tuple(ev.reopened_deadlines)
    return (ev.deadline_id,)


def touch(touches: TableBuffer, rows: TableBuffer, kind: str, ev: Any, position: int) -> None:
    """Record the instant a deadline event gives a main deadline (``rm_monitor_deadline_
    touches``): the due instant of a start or a reschedule, the met or closed instant; the
    instants ``rm_deadline_history`` holds in ``due`` and in ``at`` of those kinds."""
    if kind == "DeadlineStarted":
        d = ev.deadline
        if d["checkpoint"] is None:
            touches.insert({"position": position, "deadline_id": d["deadline_id"],
                            "instant": naive_utc(d["due"])})
        return
    if kind not in _TOUCH:
        return
    row = rows.get(ev.deadline_id)
    if row is not None and row["checkpoint"] is None:
        touches.insert({"position": position, "deadline_id": ev.deadline_id,
                        "instant": naive_utc(getattr(ev, _TOUCH[kind]))})


_TOUCH = {"DeadlineRescheduled": "new_due", "DeadlineMet": "at", "DeadlineClosedUnmet": "at"}


def fold_deadline(rows: TableBuffer, kind: str, case_id: str, ev: Any) -> None:
    """Fold one deadline event into the buffered rows of ``rm_monitor_deadlines``."""
    if kind == "HuisverbodExpiryWithdrawn":  # the deadlines the expiry ended run again
        for deadline_id in ev.reopened_deadlines:
            reopened = rows.get(deadline_id)
            if reopened is not None:
                reopened.update(status="open", met_at=None, late_seconds=None)
        return
    if kind == "DeadlineStarted":
        d = ev.deadline
        rows.insert({
            "deadline_id": d["deadline_id"], "case_id": case_id, "rule_id": d["rule_id"],
            "checkpoint": d["checkpoint"], "start": naive_utc(d["start"]),
            "due": naive_utc(d["due"]), "status": "open", "met_at": None,
            "late_seconds": None})
        return
    row = rows.get(ev.deadline_id)
    if row is None:  # a deadline never started: nothing to change
        return
    if kind == "DeadlineMet":
        row["status"] = "met" if ev.late_seconds is None else "met_late"
        row["met_at"] = naive_utc(ev.at)
        row["late_seconds"] = ev.late_seconds
    elif kind == "DeadlineClosedUnmet":
        row["status"] = "closed_unmet"
        row["met_at"] = naive_utc(ev.at)
    elif kind == "DeadlineRescheduled":
        row["due"] = naive_utc(ev.new_due)
