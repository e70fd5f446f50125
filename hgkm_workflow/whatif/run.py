"""Running a what-if: read the live store, replay both sides, build both scratch stores, diff.

The *before* side replays the recorded facts under the live application's rule book and the
calendar each deadline was recorded with, and classifies with the live settings; the *after*
side replays the same facts under the alternative. Both go through the same replay, the same
ticks (the live store's tick instants and the horizon) and the same read models, so every
difference comes from the alternative alone (the before side reproduces the live state:
``tests/whatif``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from hgkm_workflow.access.guard import as_access
from hgkm_workflow.access.models import Resource
from hgkm_workflow.domain.rulebook import RuleBook
from hgkm_workflow.errors import RuleViolation
from hgkm_workflow.monitor import min_cell_from_env
from hgkm_workflow.monitor.disclosure import may_see_exact
from hgkm_workflow.monitor.periods import Period
from hgkm_workflow.settings import ClassificationSettings, process_environment
from hgkm_workflow.whatif.inputs import WhatIfInputs
from hgkm_workflow.whatif.replay import CaseReplay, Side, tick_instants
from hgkm_workflow.whatif.report import (
    PeriodDiff,
    WhatIfReport,
    class_diffs,
    deadline_diffs,
    figure_diffs,
)
from hgkm_workflow.whatif.sides import SideJob, run_sides
from hgkm_workflow.whatif.source import read_selection

__all__ = ["Selection", "run_what_if"]

_log = logging.getLogger(__name__)

Progress = Callable[[str], None]


class _Gate(Protocol):
    def listing(self, access: Any, resource: Resource,
                region: str | None = None) -> frozenset[str] | None: ...


class _Live(Protocol):
    recorder: Any
    mapper: Any
    gate: _Gate
    rules: RuleBook

    def clock_now(self) -> datetime: ...


class Selection:
    """Which cases: a region, a gemeente, a period of receipt, explicit case ids."""

    def __init__(self, region: str | None = None, gemeente: str | None = None,
                 start: datetime | None = None, until: datetime | None = None,
                 case_ids: Collection[UUID] | None = None) -> None:
        """Keep the selection (instants are aware; ``until`` is exclusive)."""
        self.region, self.gemeente, self.start, self.until = region, gemeente, start, until
        self.case_ids = frozenset(case_ids) if case_ids else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"region": self.region, "gemeente": self.gemeente,
                "from": None if self.start is None else self.start.isoformat(),
                "until": None if self.until is None else self.until.isoformat(),
                "case_ids": None if self.case_ids is None else sorted(map(str, self.case_ids))}

    def reports(self, replay: CaseReplay) -> bool:
        """Whether a replayed case is reported (the rest is context for classification)."""
        case = replay.case
        if self.case_ids is not None:
            return case.id in self.case_ids
        if self.gemeente and case.gemeente != self.gemeente:
            return False
        if self.start is None and self.until is None:
            return True
        return any((self.start is None or m["received_at"] >= self.start)
                   and (self.until is None or m["received_at"] < self.until)
                   for m in case.meldingen.values())


def _rule_changes(base: RuleBook, alt: RuleBook) -> list[dict[str, Any]]:
    out = []
    for rule in alt:
        try:
            old = base.get(rule.id)
        except RuleViolation:
            old = None
        if old != rule:
            out.append({"rule_id": rule.id, "before": None if old is None else
                        f"v{old.version} ({old.variant})", "after": f"v{rule.version} "
                        f"({rule.variant})"})
    return out


def _settings(s: ClassificationSettings) -> dict[str, Any]:
    return {"lookback_years": s.lookback_years, "counted_roles": s.roles_text,
            "hermelding_basis": s.hermelding_basis}


def _periods(start: datetime | None, horizon: datetime) -> list[Period]:
    # The half-years from ``start`` (default: a year before the horizon) to the horizon.
    begin = start or horizon - timedelta(days=365)
    period, out = Period.containing(begin), list[Period]()
    while period.start < horizon and len(out) < 40:
        out.append(period)
        period = period.shifted(1)
    return out or [Period.containing(horizon)]


def run_what_if(live: Any, access: Any, inputs: WhatIfInputs, selection: Selection, *,
                classification: ClassificationSettings, now: datetime,
                progress: Progress | None = None,
                processes: bool | None = None,
                start_method: str | None = None) -> WhatIfReport:
    """Replay the selection under the live rules and under ``inputs``; report the differences.

    Args:
        live: The live application (read only: its notification log and its read gate).
        access: Who reads and why; decided as a listing of the region's figures and logged.
        inputs: The alternative rule book, calendar and classification settings.
        selection: Which cases are reported.
        classification: The live classification settings (the before side).
        now: The horizon when the selection has no ``until``.
        progress: Called with a line of progress now and then (the CLI prints it on stderr).
        processes: Run the two sides in two processes (``True``), in this one (``False``) or
            by the size of the selection (``None``; :func:`~hgkm_workflow.whatif.sides.run_sides`).
        start_method: How the two processes start (``fork``, ``spawn``; default: by the
            process, see :func:`~hgkm_workflow.whatif.sides.run_sides`).

    Raises:
        AccessDenied: The policy refuses the listing.
    """
    say = progress or (lambda _line: None)
    scope = live.gate.listing(access, Resource.CLASSIFICATION, selection.region)
    horizon = selection.until or now
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    wanted = frozenset({selection.region}) if selection.region else scope
    if selection.region and scope is not None:
        wanted = frozenset({selection.region}) & scope
    recorded = read_selection(live, until=selection.until, regions=wanted, progress=say)
    timings["read"] = time.perf_counter() - t0
    base_rules: RuleBook = live.rules
    after_rules = inputs.rules or base_rules
    base_enabled = {r.id for r in base_rules if r.enabled}
    newly = frozenset(r.id for r in after_rules if r.enabled and r.id not in base_enabled)
    # The live scheduler ticks every case at once: each instant it recorded a breach anywhere
    # is an instant every case was ticked.
    ticks = tuple(t for t in tick_instants(e for stream in recorded.cases.values()
                                           for e in stream) if t <= horizon)
    periods_wanted = _periods(selection.start, horizon)
    common = {"factory": type(live), "selection": selection, "scope": scope,
              "periods": tuple(periods_wanted), "horizon": horizon, "ticks": ticks}
    jobs = (SideJob("before", Side(base_rules), frozenset(), classification, **common),
            SideJob("after", Side(after_rules, inputs.calendar), newly,
                    inputs.classification or classification, **common))
    t0 = time.perf_counter()
    before, after = run_sides(jobs, recorded, say, processes=processes,
                              start_method=start_method)
    del recorded
    wall = time.perf_counter() - t0
    # the sides' parts in wall seconds (the slower side's), and the CPU they used together
    for part in ("replay", "read_models", "monitor"):
        timings[f"{part}_slower_side"] = max(before.timings[part], after.timings[part])
    timings["sides_wall"] = wall
    timings["cpu_both_sides"] = before.timings["cpu"] + after.timings["cpu"]
    after_settings = jobs[1].classification
    # Safe by default, as app.monitor: small cells withheld on both sides unless the reader's
    # role may see exact cells (exact_cells.roles in the access policy).
    floor = 0 if may_see_exact(as_access(access).actor.role.value, live.guard.policy) \
        else min_cell_from_env(process_environment())
    shown = [[r.suppress_small_cells(floor) for r in side.reports] for side in (before, after)]
    periods = [PeriodDiff(period=p.label, figures=tuple(figure_diffs(b, a)))
               for p, b, a in zip(periods_wanted, shown[0], shown[1], strict=True)]
    if [c.case_id for c in before.cases] != [c.case_id for c in after.cases]:
        raise RuntimeError("the two sides replayed different cases")
    reported = [(b, a) for b, a in zip(before.cases, after.cases, strict=True) if b.reported]
    _log.info("what-if: %d cases replayed, %d reported, %.1f s", len(before.cases),
              len(reported), timings["read"] + wall)
    deadlines = [d for b, a in reported
                 for d in deadline_diffs(b.case_id, b.deadlines, a.deadlines)]
    before_refusals = {(r.case_id, r.event, r.at, r.code) for b, _ in reported
                       for r in b.refusals}
    refusals = sorted((r for _, a in reported for r in a.refusals
                       if (r.case_id, r.event, r.at, r.code) not in before_refusals),
                      key=lambda r: (r.case_id, r.at, r.code))
    reported_ids = {b.case_id for b, _ in reported}
    class_changes = [c for c in class_diffs(before.classes, after.classes)
                     if c.case_id in reported_ids]
    calendars = sorted(before.calendars)
    return WhatIfReport(
        selection=selection.as_dict(),
        before={"rules": "as configured", "calendar": calendars or None,
                "classification": _settings(classification)},
        after={"rules": inputs.rules_label or "as configured",
               "rule_changes": _rule_changes(base_rules, after_rules),
               "calendar": inputs.calendar.version if inputs.calendar else "as recorded",
               "classification": _settings(after_settings)},
        cases=len(reported), deadlines=tuple(deadlines), classifications=tuple(class_changes),
        refusals=tuple(refusals), periods=tuple(periods), timings=timings)
