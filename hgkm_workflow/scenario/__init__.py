"""Scenario files: complete case lifecycles as data (docs/scenarios.md).

A scenario file (YAML) names its actors, persons and households, then lists timed steps:
a command with its data and the actor who gives it, and expectations about the household's
case after the step — phase, plans, deadlines with their due instants, breaches, the
classification of a melding, the huisverbod, the regisseur — or the refusal code the step must
meet. Persons are scenario-local names: the runner registers each in the person register and
uses only the pseudonymous id it gets back, so no personal data reaches an event.

:func:`run_scenario` runs a scenario twice on simulated time: straight through, and again with
the application closed and reopened after every step (with a snapshot after every event, so
each step starts from state read back from the store). Both runs must meet every expectation
and agree on the outcome and state after every step. Parsing and checking a file is in
:mod:`hgkm_workflow.scenario.file`; the expectations in :mod:`hgkm_workflow.scenario.expect`.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from hgkm_workflow.access.models import system_access
from hgkm_workflow.clock import SettableClock, as_utc
from hgkm_workflow.errors import HgkmError
from hgkm_workflow.scenario.expect import CASE_KEYS, Names, check_case, check_classification
from hgkm_workflow.scenario.file import (
    COMMANDS,
    READ_CASE,
    CommandSpec,
    Scenario,
    ScenarioFileError,
    Step,
    command_data,
    load_scenario,
    parse_scenario,
    read_data,
    schema,
)

if TYPE_CHECKING:
    from hgkm_workflow.application import HgkmApplication, TickRecord

__all__ = [
    "COMMANDS",
    "CommandSpec",
    "Coverage",
    "Failure",
    "Scenario",
    "ScenarioFileError",
    "ScenarioResult",
    "Step",
    "load_scenario",
    "parse_scenario",
    "run_files",
    "run_scenario",
    "schema",
]


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Failure:
    """An expectation not met, an unexpected refusal, or a disagreement between the runs.

    Attributes:
        step: 1-based step number (0 for the scenario as a whole).
        line: Line in the file.
        command: The step's command (or ``expect``).
        what: What was checked, e.g. ``deadlines[T1].due`` or ``refused``.
        expected: What the file expects.
        actual: What happened.
        run: ``straight``, ``reload`` (the run with a save and reload after every step) or
            ``compare`` (the two runs disagree).
    """

    step: int
    line: int
    command: str
    what: str
    expected: Any
    actual: Any
    run: str = "straight"

    def text(self) -> str:
        """A readable difference: where, what, expected versus actual."""
        run = "" if self.run == "straight" else f" [{self.run} run]"
        return (f"step {self.step} (line {self.line}, {self.command}){run}: {self.what}\n"
                f"    expected: {self.expected}\n    actual:   {self.actual}")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"step": self.step, "line": self.line, "command": self.command,
                "what": self.what, "expected": _show(self.expected),
                "actual": _show(self.actual), "run": self.run}


def _show(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_show(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _show(v) for k, v in value.items()}
    return value


@dataclass
class Coverage:
    """What a scenario exercised (from the straight run's events and steps)."""

    commands: set[str] = field(default_factory=set)
    phases: set[str] = field(default_factory=set)
    transitions: set[tuple[str, str, str]] = field(default_factory=set)
    loop_back_causes: set[str] = field(default_factory=set)
    rules_started: set[str] = field(default_factory=set)
    rules_met: set[str] = field(default_factory=set)
    breaches: set[str] = field(default_factory=set)
    skipped_reasons: set[str] = field(default_factory=set)
    refusals: set[str] = field(default_factory=set)
    classifications: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)

    def merge(self, other: Coverage) -> None:
        """Add another scenario's coverage to this one."""
        for name in vars(self):
            getattr(self, name).update(getattr(other, name))


@dataclass
class ScenarioResult:
    """The outcome of running one scenario (both runs)."""

    scenario: str
    source: str
    steps: int
    failures: list[Failure] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    case_ids: dict[str, UUID] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every expectation held in both runs and the runs agree."""
        return not self.failures

    def report(self) -> str:
        """Readable text: a header line and one block per failure."""
        mark = "PASS" if self.ok else "FAIL"
        head = f"{mark} {self.source} — {self.scenario} ({self.steps} steps, {self.seconds:.1f}s)"
        return "\n".join([head, *("  " + f.text().replace("\n", "\n  ")
                                  for f in self.failures)])

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"scenario": self.scenario, "source": self.source, "ok": self.ok,
                "steps": self.steps, "seconds": round(self.seconds, 3),
                "failures": [f.as_dict() for f in self.failures]}


# ---------------------------------------------------------------------------- running


@dataclass
class _StepRecord:
    outcome: tuple[Any, ...]
    states: Any
    failures: list[Failure]


class _Run:
    """One run of a scenario on a store."""

    def __init__(self, scenario: Scenario, url: str, *, reload: bool, run: str) -> None:
        self.scenario = scenario
        self.url = url
        self.reload = reload
        self.run = run
        self.clock = SettableClock(scenario.start)
        # The runner reads cases to check expectations: as an auditor, logged like anyone.
        self.access = system_access("scenario-runner")
        self.app = self._open()
        self.persons: dict[str, UUID] = {}
        self.cases: dict[str, UUID] = {h: uuid4() for h in scenario.households}
        self.ids: dict[str, UUID] = {}
        self.names = Names(scenario.actors, self.ids, self.persons)
        self.records: list[_StepRecord] = []
        self.uuid_names: dict[str, str] = {}
        self.aborted = False
        self.classifications: set[str] = set()
        self.refusals: set[str] = set()
        self._register_persons()

    def _open(self) -> HgkmApplication:
        from hgkm_workflow.application import HgkmApplication

        if self.reload:
            return HgkmApplication(self.url, clock=self.clock, snapshot_interval=1, cache_size=0)
        return HgkmApplication(self.url, clock=self.clock)

    def _register_persons(self) -> None:
        from hgkm_workflow.adapters.persons import PersonDetails

        for name in self.scenario.persons:
            # The register keeps the label; events only ever see the random id.
            self.persons[name] = self.app.persons.register(
                PersonDetails(name=f"scenario person {name}"))

    def close(self) -> None:
        self.app.close()

    # name resolution for command_data
    def person(self, name: str) -> UUID:
        return self.persons[name]

    def ref(self, kind: str, name: str, create: bool, again: bool = False) -> UUID:
        if create and again:  # a refused creation: a duplicate, or a name never created
            return self.ids.get(name) or uuid4()
        if create:
            self.ids[name] = uuid4()
        return self.ids[name]

    def case(self, household: str) -> UUID:
        return self.cases[household]

    def actor(self, name: str) -> dict[str, Any]:
        return self.scenario.actors[name]

    def max_end(self, huisverbod: UUID) -> str:
        for case_id in self.cases.values():
            if case_id in self.app.repository:
                case = self.app.load_case(case_id, access=self.access)
                h = case.huisverboden.get(str(huisverbod))
                if h is not None:
                    end: datetime = h["max_end"]
                    return end.isoformat()
        return self.clock.now().isoformat()

    # steps
    def execute(self, step: Step) -> None:
        if self.reload and self.records:
            self.app.close()
            self.app = self._open()
        self.clock.set(step.instant)
        failures: list[Failure] = []
        expected_refusal = step.expect.get("refused")
        outcome: tuple[Any, ...] = ("checked",)
        before = self._fingerprint(step.household) if expected_refusal else None
        if step.do is not None:
            try:
                outcome = self._do(step, failures)
            except HgkmError as exc:
                outcome = ("refused", exc.code)
                self.refusals.add(exc.code)
                if expected_refusal is None:
                    failures.append(self._fail(step, "refused", "the step to succeed",
                                               f"{exc.code}: {exc.message}"))
                    self.aborted = True
                elif exc.code != expected_refusal:
                    failures.append(self._fail(step, "refused", expected_refusal,
                                               f"{exc.code}: {exc.message}"))
                elif self._fingerprint(step.household) != before:
                    failures.append(self._fail(step, "store unchanged after the refusal",
                                               "no new events", "the store changed"))
            except Exception as exc:  # a bug, not a refusal: report it and stop this run
                failures.append(self._fail(step, "error", "no error",
                                           f"{type(exc).__name__}: {exc}"))
                self.aborted = True
            else:
                if expected_refusal is not None:
                    failures.append(self._fail(step, "refused", expected_refusal,
                                               f"the step succeeded: {', '.join(outcome[1])}"))
        if not self.aborted:
            failures.extend(self._check(step))
        self.records.append(_StepRecord(outcome, self._states(), failures))

    def _do(self, step: Step, failures: list[Failure]) -> tuple[Any, ...]:
        spec = COMMANDS[step.do or ""]
        if step.do == READ_CASE:
            return self._read(step)
        if spec.model is None:
            records = self._tick()
            got = sorted((r.kind, r.rule_id, self._household_of(r.case_id)) for r in records)
            if "ticked" in step.expect:
                want = step.expect["ticked"]
                by_household = any("household" in w for w in want)
                wanted = sorted((w["kind"], w["rule"], w.get("household")) for w in want)
                actual = sorted((k, rule, hh if by_household else None) for k, rule, hh in got)
                if wanted != actual:
                    failures.append(self._fail(step, "ticked", _ticks(wanted), _ticks(actual)))
            return ("ticked", tuple(got))
        data = command_data(step, spec, self, {"region": self.scenario.region,
                                               "gemeente": self.scenario.gemeente})
        result = getattr(self.app, spec.method)(data)
        return ("ok", tuple(result.events))

    def _read(self, step: Step) -> tuple[Any, ...]:
        access, name = read_data(step, _NoCreate(self))
        view = self.app.get_case(self.cases[step.household], access=access)
        emergency = access["purpose"] == "emergency"
        if emergency and name is not None and view.emergency_accesses:
            self.ids[name] = UUID(view.emergency_accesses[-1].access_id)
        return ("read", ("EmergencyAccessRecorded",) if emergency else ())

    def _household_of(self, case_id: UUID) -> str:
        for name, cid in self.cases.items():
            if cid == case_id:
                return name
        return "?"

    def _tick(self) -> list[TickRecord]:
        import sqlalchemy as sa

        from hgkm_workflow.projections._util import naive_utc
        from hgkm_workflow.projections.deadline_index import deadlines

        # The scheduler of a shared store would also act on other scenarios' cases; a
        # scenario's tick acts on its own households only, so results never depend on what
        # else the store holds.
        app, at = self.app, self.clock.now()
        app.catch_up()
        ids = [str(cid) for cid in self.cases.values()]
        with app.engine.connect() as conn:
            rows = conn.execute(
                sa.select(deadlines.c.case_id, deadlines.c.deadline_id)
                .where(deadlines.c.status == "open", deadlines.c.breached_at.is_(None),
                       deadlines.c.due <= naive_utc(at), deadlines.c.case_id.in_(ids))
                .order_by(deadlines.c.due, deadlines.c.deadline_id)).all()
        by_case: dict[str, list[str]] = {}
        for row in rows:
            by_case.setdefault(row.case_id, []).append(row.deadline_id)
        records: list[TickRecord] = []
        for case_id, deadline_ids in by_case.items():
            records.extend(app._tick_case(UUID(case_id), deadline_ids, at))
        app.catch_up()
        return records

    def _check(self, step: Step) -> list[Failure]:
        exp = step.expect
        household = exp.get("household", step.household)
        failures: list[Failure] = []
        mismatches: list[tuple[str, Any, Any]] = []
        if CASE_KEYS & exp.keys():
            case_id = self.cases[household]
            if case_id in self.app.repository:
                case = self.app.load_case(case_id, access=self.access)
                mismatches.extend(check_case(case, exp, self.names))
            else:
                mismatches.append(("case", f"a case for household '{household}'", "no case yet"))
        if "classification" in exp:
            found = check_classification(self.app, exp["classification"], self.names,
                                         access=self.access)
            mismatches.extend(found)
            self.classifications.update(
                str(v["kind"] if isinstance(v, dict) else v) for v in
                exp["classification"].values())
        for what, expected, actual in mismatches:
            failures.append(self._fail(step, what, expected, actual))
        return failures

    def _fail(self, step: Step, what: str, expected: Any, actual: Any) -> Failure:
        key = what.split(".", maxsplit=1)[0].split("[", maxsplit=1)[0]
        line = step.expect_lines.get(key) or step.line
        return Failure(step.index, line, step.do or "expect", what, expected, actual, self.run)

    def _fingerprint(self, household: str) -> tuple[Any, ...]:
        case_id = self.cases[household]
        state = (self.app.load_case(case_id, access=self.access).state_dict()
                 if case_id in self.app.repository else None)
        return (self.app.recorder.max_notification_id() or 0, repr(state))

    def _states(self) -> Any:
        states = []
        for name, case_id in self.cases.items():
            state = (self.app.load_case(case_id, access=self.access).state_dict()
                     if case_id in self.app.repository else None)
            states.append((name, _normalise(state, self.uuid_names)))
        return states

    def coverage(self) -> Coverage:
        cov = Coverage(refusals=set(self.refusals), classifications=set(self.classifications))
        cov.commands = {s.do for s in self.scenario.steps if s.do}
        for case_id in self.cases.values():
            if case_id not in self.app.repository:
                continue
            rules: dict[str, str] = {}
            for ev in self.app.case_events(case_id, access=self.access):
                name = type(ev).__name__
                cov.events.add(name)
                if name == "PhaseChanged":
                    cov.phases.add(ev.to_phase)
                    cov.transitions.add((ev.from_phase, ev.to_phase, ev.how))
                    if ev.loop_back_cause:
                        cov.loop_back_causes.add(ev.loop_back_cause)
                elif name == "DeadlineStarted":
                    rules[ev.deadline["deadline_id"]] = ev.deadline["rule_id"]
                    cov.rules_started.add(ev.deadline["rule_id"])
                    cov.skipped_reasons.update(s["reason"] for s in ev.deadline["skipped"])
                elif name == "DeadlineBreached":
                    cov.breaches.add(rules.get(ev.deadline_id, "?"))
                elif name == "DeadlineMet":
                    cov.rules_met.add(rules.get(ev.deadline_id, "?"))
        return cov


class _NoCreate:
    """Name resolution for a read: the emergency access id comes from the case afterwards."""

    def __init__(self, run: Any) -> None:
        self.run = run

    def actor(self, name: str) -> dict[str, Any]:
        return dict(self.run.actor(name))

    def ref(self, kind: str, name: str, create: bool, again: bool = False) -> UUID:
        return uuid4()


def _ticks(items: Iterable[tuple[str, str, str | None]]) -> list[str]:
    return [f"{kind} {rule}" + (f" ({hh})" if hh else "") for kind, rule, hh in items]


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _normalise(value: Any, names: dict[str, str]) -> Any:
    """Replace every id by a placeholder in order of first appearance (ids are random)."""
    if isinstance(value, UUID):
        value = str(value)
    if isinstance(value, str) and _UUID.match(value):
        return names.setdefault(value, f"#{len(names) + 1}")
    if isinstance(value, dict):
        return {_normalise(k, names): _normalise(v, names) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v, names) for v in value]
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    return value


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if type(a) is not type(b):
        return path or "(state)"
    if isinstance(a, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{path}.{key}".lstrip("."))
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path} (length {len(a)} vs {len(b)})"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return path or "(state)"


@contextmanager
def _store(store_url: str | None) -> Iterator[str]:
    if store_url:
        yield store_url
        return
    folder = Path(tempfile.mkdtemp(prefix="hgkm-scenario-"))
    try:
        yield f"sqlite:///{folder / 'scenario.db'}"
    finally:
        from hgkm_workflow.projections import dispose_engines

        dispose_engines()
        shutil.rmtree(folder, ignore_errors=True)


def run_scenario(scenario: Scenario | str | Path, store_url: str | None = None, *,
                 reload_run: bool = True) -> ScenarioResult:
    """Run a scenario straight through and again with a save and reload after every step.

    Args:
        scenario: A parsed scenario or the path of a scenario file.
        store_url: The store to run in (both runs; each uses fresh random ids, so a store can
            hold many scenarios). Default: a temporary SQLite file, removed afterwards.
        reload_run: Also run with a save and reload after every step (default True).

    Returns:
        The result: failures of either run, disagreements between them, and coverage.

    Raises:
        ScenarioFileError: If a path is given and the file is not a valid scenario.
    """
    spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    started = time.perf_counter()
    result = ScenarioResult(spec.name, spec.source, len(spec.steps))
    with _store(store_url) as url:
        straight = _execute(spec, url, reload=False, run="straight")
        result.failures.extend(f for r in straight.records for f in r.failures)
        result.coverage = straight.coverage()
        result.case_ids = dict(straight.cases)
        straight.close()
        if reload_run and not straight.aborted:
            again = _execute(spec, url, reload=True, run="reload")
            again.close()
            result.failures.extend(_compare(spec, straight, again))
    result.seconds = time.perf_counter() - started
    return result


def _execute(spec: Scenario, url: str, *, reload: bool, run: str) -> _Run:
    runner = _Run(spec, url, reload=reload, run=run)
    for step in spec.steps:
        runner.execute(step)
        if runner.aborted:
            break
    return runner


def _compare(spec: Scenario, first: _Run, second: _Run) -> list[Failure]:
    out: list[Failure] = []
    seen = {(f.step, f.what, repr(f.expected), repr(f.actual))
            for r in first.records for f in r.failures}
    for step, a, b in zip(spec.steps, first.records, second.records, strict=False):
        for f in b.failures:  # failures of the reload run that the straight run did not have
            if (f.step, f.what, repr(f.expected), repr(f.actual)) not in seen:
                out.append(f)
        if a.outcome != b.outcome:
            out.append(Failure(step.index, step.line, step.do or "expect", "outcome",
                               _show(list(a.outcome)), _show(list(b.outcome)), "compare"))
            break
        if a.states != b.states:
            where = _first_difference(a.states, b.states)
            out.append(Failure(step.index, step.line, step.do or "expect",
                               f"state after the step differs at {where}",
                               "the straight run's state", "the reloaded run's state",
                               "compare"))
            break
    if second.aborted and not first.aborted:
        out.append(Failure(0, 0, "-", "reload run", "to complete", "it stopped early",
                           "compare"))
    return out


def run_files(paths: Sequence[str | Path], store_url: str | None = None, *,
              progress: Callable[[ScenarioResult], None] | None = None,
              reload_run: bool = True) -> list[ScenarioResult]:
    """Run several scenario files (directories are searched for ``*.yaml``).

    Every file is loaded and checked first, so a bad file fails before anything runs.

    Raises:
        ScenarioFileError: If a file is not a valid scenario.
    """
    files: list[Path] = []
    for p in paths:
        path = Path(p)
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    scenarios = [load_scenario(f) for f in files]
    results = []
    for spec in scenarios:
        result = run_scenario(spec, store_url, reload_run=reload_run)
        results.append(result)
        if progress is not None:
            progress(result)
    return results
