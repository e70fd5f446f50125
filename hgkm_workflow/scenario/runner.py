"""One run of a scenario on a store: the clock, the names, each step executed and checked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from hgkm_workflow.access.models import system_access
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.commands import Actor
from hgkm_workflow.errors import HgkmError
from hgkm_workflow.scenario.commands import COMMANDS, READ_CASE
from hgkm_workflow.scenario.expect import CASE_KEYS, Names, check_case, check_classification
from hgkm_workflow.scenario.expect_history import HISTORY_KEYS, check_history
from hgkm_workflow.scenario.expect_monitor import (
    FigureCounts,
    MonitorQuery,
    check_monitor,
    monitor_counts,
)
from hgkm_workflow.scenario.inputs import ENGINE, PUBLISH_DECREE, rulebook_of, with_decree
from hgkm_workflow.scenario.model import Scenario, Step, refusal_matches
from hgkm_workflow.scenario.results import Coverage, Failure
from hgkm_workflow.scenario.states import normalise
from hgkm_workflow.scenario.ticking import tick_cases
from hgkm_workflow.scenario.translate import command_data, read_data

if TYPE_CHECKING:
    from hgkm_workflow.adapters.keys import KeyStore
    from hgkm_workflow.application import HgkmApplication
    from hgkm_workflow.domain.calendar import WorkingDayCalendar

__all__ = ["Run", "StepRecord"]


@dataclass
class StepRecord:
    """What a step did (its outcome), the states after it, and the failures it met."""

    outcome: tuple[Any, ...]
    states: Any
    failures: list[Failure]


class Run:
    """One run of a scenario on a store (``reload``: reopen the application before each step)."""

    def __init__(self, scenario: Scenario, url: str, *, reload: bool, run: str,
                 register_keys: KeyStore | None = None) -> None:
        self.scenario = scenario
        self.register_keys = register_keys
        self.url = url
        self.reload = reload
        self.run = run
        self.clock = SettableClock(scenario.start)
        self.rulebook = rulebook_of(scenario.rules, scenario.region)
        self.calendar: WorkingDayCalendar | None = None  # after a publish_decree step
        # The runner reads cases to check expectations: as an auditor, logged like anyone.
        self.access = system_access("scenario-runner")
        self.app = self._open()
        self.persons: dict[str, UUID] = {}
        self.cases: dict[str, UUID] = {h: uuid4() for h in scenario.households}
        self.ids: dict[str, UUID] = {}
        self.names = Names(scenario.actors, self.ids, self.persons, self.cases)
        self.records: list[StepRecord] = []
        self.uuid_names: dict[str, str] = {}
        self.aborted = False
        self.classifications: set[str] = set()
        self.refusals: set[str] = set()
        self._register_persons()
        self.monitor_before = self._monitor_baselines()

    def _open(self) -> HgkmApplication:
        from hgkm_workflow.application import HgkmApplication

        if self.reload:
            return HgkmApplication(self.url, clock=self.clock, snapshot_interval=1, cache_size=0,
                                   register_keys=self.register_keys, rules=self.rulebook,
                                   calendar=self.calendar)
        return HgkmApplication(self.url, clock=self.clock, register_keys=self.register_keys,
                               rules=self.rulebook, calendar=self.calendar)

    def _monitor_baselines(self) -> dict[int, FigureCounts]:
        """The monitor as the store holds it before this run, at each checking step's instant.

        A ``monitor:`` expectation compares what this run added (docs/scenarios.md).
        """
        baselines: dict[int, FigureCounts] = {}
        for step in self.scenario.steps:
            if "monitor" in step.expect:
                self.clock.set(step.instant)
                query = MonitorQuery.of(step.expect["monitor"], self.scenario.region)
                baselines[step.index] = monitor_counts(self.app, query, self.access)
        self.clock.set(self.scenario.start)
        return baselines

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
                elif not refusal_matches(expected_refusal, exc.code):
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
        self.records.append(StepRecord(outcome, self._states(), failures))

    def _do(self, step: Step, failures: list[Failure]) -> tuple[Any, ...]:
        spec = COMMANDS[step.do or ""]
        if step.do == READ_CASE:
            return self._read(step)
        if step.do == PUBLISH_DECREE:
            return self._decree(step, failures)
        if spec.model is None:
            records = tick_cases(self.app, self.cases.values(), self.clock.now())
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
        if step.data.get("case") == ENGINE:
            return self._matched(step, data, failures)
        result = getattr(self.app, spec.method)(data)
        return ("ok", tuple(result.events))

    def _matched(self, step: Step, data: dict[str, Any],
                 failures: list[Failure]) -> tuple[Any, ...]:
        """A melding without case id: bind the step's household to the case the engine chose."""
        existing = {name: cid for name, cid in self.cases.items() if cid in self.app.repository}
        result = getattr(self.app, COMMANDS[step.do or ""].method)(data)
        chosen = next((name for name, cid in existing.items() if cid == result.case_id), "new")
        own = existing.get(step.household)
        if own is None:
            self.cases[step.household] = result.case_id
        elif own != result.case_id:
            failures.append(self._fail(step, "household", f"the case of '{step.household}'",
                                       f"the engine chose: {chosen}"))
        if "matched" in step.expect and step.expect["matched"] != chosen:
            failures.append(self._fail(step, "matched", step.expect["matched"], chosen))
        return ("ok", tuple(result.events), chosen)

    def _decree(self, step: Step, failures: list[Failure]) -> tuple[Any, ...]:
        """Publish a decree of gelijkstelling: open deadlines move onto the new calendar."""
        calendar = with_decree(self.app.calendar, step.data)
        actor = None
        if step.actor is not None:
            a = self.actor(step.actor)
            actor = Actor(actor_id=a["actor_id"], organisation=a["organisation"],
                          role=a["role"])
        moved = self.app.apply_calendar(calendar, str(step.data["decree"]), actor=actor)
        self.calendar = calendar
        own = set(self.cases.values())
        got = sorted((str(m["rule_id"]), self._household_of(UUID(m["case_id"])))
                     for m in moved if UUID(m["case_id"]) in own)
        if "rescheduled" in step.expect:
            want = step.expect["rescheduled"]
            by_household = any("household" in w for w in want)
            wanted = sorted((w["rule"], w.get("household")) for w in want)
            actual = sorted((rule, hh if by_household else None) for rule, hh in got)
            if wanted != actual:
                failures.append(self._fail(step, "rescheduled", _moves(wanted), _moves(actual)))
        return ("rescheduled", tuple(got))

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
        if HISTORY_KEYS & exp.keys():
            case_id = self.cases[household]
            if case_id in self.app.repository:
                events = self.app.case_events(case_id, access=self.access)
                mismatches.extend(check_history(events, exp, self.names, self.clock.now()))
            else:
                mismatches.append(("case", f"a case for household '{household}'", "no case yet"))
        if "monitor" in exp:
            query = MonitorQuery.of(exp["monitor"], self.scenario.region)
            mismatches.extend(check_monitor(monitor_counts(self.app, query, self.access),
                                            self.monitor_before.get(step.index, {}),
                                            exp["monitor"]))
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
            states.append((name, normalise(state, self.uuid_names)))
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


def _moves(items: Iterable[tuple[str, str | None]]) -> list[str]:
    return [rule + (f" ({hh})" if hh else "") for rule, hh in items]


def _ticks(items: Iterable[tuple[str, str, str | None]]) -> list[str]:
    return [f"{kind} {rule}" + (f" ({hh})" if hh else "") for kind, rule, hh in items]

