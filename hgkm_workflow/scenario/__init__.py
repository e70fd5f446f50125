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
:mod:`hgkm_workflow.scenario.file`; one run in :mod:`~hgkm_workflow.scenario.runner`; the
expectations in :mod:`hgkm_workflow.scenario.expect`; results in
:mod:`~hgkm_workflow.scenario.results`.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from hgkm_workflow.adapters.keys import KeyStore, LocalKeyStore, generate_kek, kek_from_text
from hgkm_workflow.scenario.commands import COMMANDS, CommandSpec
from hgkm_workflow.scenario.file import load_scenario, parse_scenario, schema
from hgkm_workflow.scenario.model import Scenario, ScenarioFileError, Step
from hgkm_workflow.scenario.results import Coverage, Failure, ScenarioResult, show
from hgkm_workflow.scenario.runner import Run
from hgkm_workflow.scenario.states import first_difference

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
    # A temporary store gets a key-encryption key of its own that dies with it; a store the
    # caller names is opened with the host's key (docs/security.md).
    keys = None if store_url else LocalKeyStore(kek_from_text(generate_kek()))
    with _store(store_url) as url:
        straight = _execute(spec, url, reload=False, run="straight", keys=keys)
        result.failures.extend(f for r in straight.records for f in r.failures)
        result.coverage = straight.coverage()
        result.case_ids = dict(straight.cases)
        straight.close()
        if reload_run and not straight.aborted:
            again = _execute(spec, url, reload=True, run="reload", keys=keys)
            again.close()
            result.failures.extend(_compare(spec, straight, again))
    result.seconds = time.perf_counter() - started
    return result


def _execute(spec: Scenario, url: str, *, reload: bool, run: str,
             keys: KeyStore | None) -> Run:
    runner = Run(spec, url, reload=reload, run=run, register_keys=keys)
    for step in spec.steps:
        runner.execute(step)
        if runner.aborted:
            break
    return runner


def _compare(spec: Scenario, first: Run, second: Run) -> list[Failure]:
    out: list[Failure] = []
    seen = {(f.step, f.what, repr(f.expected), repr(f.actual))
            for r in first.records for f in r.failures}
    for step, a, b in zip(spec.steps, first.records, second.records, strict=False):
        for f in b.failures:  # failures of the reload run that the straight run did not have
            if (f.step, f.what, repr(f.expected), repr(f.actual)) not in seen:
                out.append(f)
        if a.outcome != b.outcome:
            out.append(Failure(step.index, step.line, step.do or "expect", "outcome",
                               show(list(a.outcome)), show(list(b.outcome)), "compare"))
            break
        if a.states != b.states:
            where = first_difference(a.states, b.states)
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

