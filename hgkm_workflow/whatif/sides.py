"""One side of a what-if from the recorded events to its findings, here or in a process of its own.

A side (before or after) replays every recorded case of the selection under its rule book and
calendar (:func:`~hgkm_workflow.whatif.replay.replay_case`), builds its scratch store with the
default read models from the replayed events (in the live store's order), classifies the
meldingen and runs the monitor per period; what it hands back (:class:`SideFindings`) is
only what the diff needs: per case its keyed deadlines and refusals, the classified meldingen
and the monitor reports. The two sides share nothing, so :func:`run_sides` runs them in two
processes when the selection is large (the replay is pure Python: two threads would share one
core) and one after the other in this process when it is small (starting a process costs more
than a small selection). Either way the findings are the same (``tests/whatif``).
"""

from __future__ import annotations

import multiprocessing
import pickle
import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hgkm_workflow.monitor.meldingen import ClassifiedMelding, classified_meldingen
from hgkm_workflow.monitor.periods import Period
from hgkm_workflow.monitor.report import MonitorReport, monitor_report
from hgkm_workflow.projections._util import naive_utc
from hgkm_workflow.projections.cases import CaseIndexProjection
from hgkm_workflow.settings import ClassificationSettings
from hgkm_workflow.whatif.records import DeadlineKey, Refusal
from hgkm_workflow.whatif.replay import Side, replay_case
from hgkm_workflow.whatif.source import Recorded, ScratchStore, in_log_order

__all__ = ["CaseFindings", "SideFindings", "SideJob", "run_side", "run_sides"]

Progress = Callable[[str], None]
JsonDict = dict[str, Any]
_AFTER_ALL = 1 << 62
PROCESS_MIN_EVENTS = 20_000
"""Below this many recorded events both sides run in this process."""


@dataclass(frozen=True)
class SideJob:
    """What one side needs: its rules, settings and what to read, report and monitor."""

    label: str
    side: Side
    newly_enabled: frozenset[str]
    classification: ClassificationSettings
    factory: Any
    """The application class of the live store (the scratch store is one)."""
    selection: Any
    """The :class:`~hgkm_workflow.whatif.run.Selection` (region, gemeente, period, ids)."""
    scope: frozenset[str] | None
    periods: tuple[Period, ...]
    horizon: datetime
    ticks: tuple[datetime, ...]


@dataclass(frozen=True)
class CaseFindings:
    """One replayed case of the selection's region: what the diff reads of it."""

    case_id: str
    reported: bool
    deadlines: dict[DeadlineKey, JsonDict]
    refusals: tuple[Refusal, ...]


@dataclass
class SideFindings:
    """Everything one side found, in case-id order."""

    cases: list[CaseFindings]
    calendars: set[str]
    classes: list[ClassifiedMelding]
    reports: list[MonitorReport]
    timings: dict[str, float] = field(default_factory=dict)


def _in_scope(region: str | None, job: SideJob) -> bool:
    sel_region = job.selection.region
    return not ((sel_region and region != sel_region)
                or (job.scope is not None and region not in job.scope))


def run_side(job: SideJob, recorded: Recorded, say: Progress) -> SideFindings:
    """Replay, build the scratch store, classify and monitor one side (see the module)."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    cases: list[CaseFindings] = []
    calendars: set[str] = set()
    streams: list[tuple[list[Any], list[int]]] = []
    for n, case_id in enumerate(sorted(recorded.cases, key=str)):
        events = recorded.cases[case_id]
        replay = replay_case(events, job.side, job.horizon,
                             newly_enabled=job.newly_enabled, ticks=job.ticks)
        if not _in_scope(replay.case.region, job):
            continue
        cases.append(CaseFindings(case_id=str(case_id), reported=job.selection.reports(replay),
                                  deadlines=replay.deadlines,
                                  refusals=tuple(replay.refusals)))
        calendars.update(d["calendar_version"] for d in replay.case.deadlines.values())
        positions = [recorded.position(events[i]) if i < len(events) else _AFTER_ALL
                     for i in replay.follows]
        streams.append((replay.events, positions))
        if n % 1000 == 999:
            say(f"{job.label} side: replayed {n + 1} of {len(recorded.cases)} cases")
    for events in recorded.adviezen.values():
        agg: Any = None
        for e in events:
            agg = e.mutate(agg)
        if _in_scope(agg.region, job):
            streams.append((events, [recorded.position(e) for e in events]))
    replayed = time.perf_counter() - t0
    say(f"{job.label} side: replayed {len(cases)} cases; building the read models")
    t0 = time.perf_counter()
    # The case index (rm_cases) is read by no figure and no classification: not built.
    store = ScratchStore(job.factory, job.label, job.classification, job.horizon,
                         skip=(CaseIndexProjection,))
    try:
        ordered = in_log_order(streams)
        total = len(ordered)
        del streams
        store.insert(ordered, progress=lambda done: say(
            f"{job.label} side: read models, {done} of {total} events stored"))
        del ordered
        models = time.perf_counter() - t0
        say(f"{job.label} side: read models built; classification and monitor")
        t0 = time.perf_counter()
        sel = job.selection
        with store.app.engine.connect() as conn:
            classes = classified_meldingen(
                conn, region=sel.region, gemeente=sel.gemeente,
                start=naive_utc(sel.start) if sel.start else None,
                end=naive_utc(sel.until) if sel.until else None)
        reports = [monitor_report(store.app.engine, sel.region, sel.gemeente, p,
                                  as_of=min(p.end, job.horizon), history=1)
                   for p in job.periods]
        say(f"{job.label} side: monitor computed")
    finally:
        store.close()
    return SideFindings(cases=cases, calendars=calendars, classes=classes, reports=reports,
                        timings={"replay": replayed, "read_models": models,
                                 "monitor": time.perf_counter() - t0,
                                 "cpu": time.process_time() - cpu0})


def _worker(job: SideJob, recorded: Recorded | bytes, out: Any) -> None:
    # The body of a side's process: progress lines and then the findings (or the error).
    try:
        data = pickle.loads(recorded) if isinstance(recorded, bytes) else recorded
        findings = run_side(job, data, lambda line: out.put(("say", job.label, line)))
        out.put(("done", job.label, findings))
    except BaseException as exc:  # handed to the parent, which raises it
        try:
            pickle.dumps(exc)
            error: BaseException = exc
        except Exception:
            error = RuntimeError("".join(traceback.format_exception(exc)))
        out.put(("error", job.label, error))


def _context() -> Any:
    # fork hands the recorded events to the child without copying them, but is only safe in
    # a process with one thread; otherwise spawn (the events are pickled once).
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def run_sides(jobs: tuple[SideJob, SideJob], recorded: Recorded, say: Progress, *,
              processes: bool | None = None,
              start_method: str | None = None) -> tuple[SideFindings, SideFindings]:
    """Both sides' findings: in two processes, or one after the other here.

    Args:
        jobs: The before and the after side.
        recorded: The recorded events of the selection (read from the live store).
        say: Progress (called in this process, also for the sides' processes).
        processes: Two processes (``True``), this process (``False``) or by the size of the
            selection (``None``: processes from :data:`PROCESS_MIN_EVENTS` events).
        start_method: ``fork`` or ``spawn`` (default: fork when this process has one thread).
    """
    if processes is None:
        processes = recorded.read >= PROCESS_MIN_EVENTS
    if not processes:
        before, after = (run_side(job, recorded, say) for job in jobs)
        return before, after
    ctx: Any = multiprocessing.get_context(start_method) if start_method else _context()
    out = ctx.Queue()
    payload: Recorded | bytes = recorded if ctx.get_start_method() == "fork" else \
        pickle.dumps(recorded, protocol=pickle.HIGHEST_PROTOCOL)
    workers = [ctx.Process(target=_worker, args=(job, payload, out), daemon=True,
                           name=f"hgkm-whatif-{job.label}") for job in jobs]
    del payload
    for w in workers:
        w.start()
    say(f"the two sides run in two processes ({ctx.get_start_method()})")
    found: dict[str, SideFindings] = {}
    try:
        while len(found) < len(workers):
            try:
                kind, label, value = out.get(timeout=1.0)
            except queue.Empty:
                dead = [w for w in workers if w.exitcode is not None
                        and w.name.removeprefix("hgkm-whatif-") not in found]
                if dead:
                    raise RuntimeError(f"what-if side process {dead[0].name} ended with "
                                       f"exit code {dead[0].exitcode}") from None
                continue
            if kind == "say":
                say(value)
            elif kind == "error":
                raise value
            else:
                found[label] = value
    finally:
        for w in workers:
            w.join(timeout=5)
            if w.is_alive():
                w.terminate()
    return found[jobs[0].label], found[jobs[1].label]
