"""Checking a schema-valid scenario in file order: names before use, time forwards, command data.

The result is a :class:`~hgkm_workflow.scenario.model.Scenario`; every problem a
:class:`~hgkm_workflow.scenario.model.ScenarioFileError` naming the line.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from hgkm_workflow import commands as c
from hgkm_workflow.clock import as_utc
from hgkm_workflow.errors import InvalidCommand
from hgkm_workflow.scenario.checker_more import check_decree, check_more, load_rules
from hgkm_workflow.scenario.commands import COMMANDS, READ_CASE
from hgkm_workflow.scenario.inputs import PUBLISH_DECREE
from hgkm_workflow.scenario.model import (
    Scenario,
    ScenarioFileError,
    Step,
    may_be_invalid,
    parse_duration,
)
from hgkm_workflow.scenario.source import LinePath, label, line_of
from hgkm_workflow.scenario.translate import REFS, command_data, read_data

__all__ = ["check_scenario"]

_DEFAULT_HOUSEHOLD = "gezin"
_VALIDATION_CODES = frozenset({"INVALID_COMMAND", "PERSONAL_DATA_SUSPECTED"})


def check_scenario(data: dict[str, Any], lines: dict[LinePath, int], source: str) -> Scenario:
    """Check schema-valid scenario data in file order and build the :class:`Scenario`.

    Raises:
        ScenarioFileError: If a name is unknown or reused, the clock goes back, or a command
            refuses its data (the message names the line).
    """
    return _Checker(data, lines, source).scenario()


def _instant(text: str) -> datetime:
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


class _Checker:
    """Checks names, time and command data in file order, building the :class:`Scenario`."""

    def __init__(self, data: dict[str, Any], lines: dict[LinePath, int], source: str) -> None:
        self.data = data
        self.lines = lines
        self.source = source
        self.actors: dict[str, dict[str, Any]] = dict(data.get("actors") or {})
        self.persons = tuple(data.get("persons") or ())
        self.households = tuple(data.get("households") or (_DEFAULT_HOUSEHOLD,))
        self.created: dict[str, str] = {}
        self.rules = load_rules(self)
        self.calendar: Any = None  # the calendar after the decrees published so far

    def fail(self, path: Sequence[str | int], message: str) -> ScenarioFileError:
        return ScenarioFileError(self.source, line_of(self.lines, path), message)

    def instant(self, path: Sequence[str | int], text: str) -> datetime:
        """An instant of the file, within the range commands accept."""
        try:
            value = _instant(text)
        except ValueError:
            raise self.fail(path, "not a valid ISO 8601 instant") from None
        if not c.EARLIEST <= value <= c.LATEST:
            raise self.fail(path, "instant outside the supported range 2000-01-01..2100-01-01")
        return value

    def scenario(self) -> Scenario:
        start = self.instant(("start",), self.data["start"])
        clock = start
        steps: list[Step] = []
        for i, raw in enumerate(self.data["steps"]):
            path: tuple[str | int, ...] = ("steps", i)
            if "at" in raw:
                moved = self.instant((*path, "at"), raw["at"])
                if moved < clock:
                    raise self.fail((*path, "at"), "the clock cannot go back in time "
                                                    f"(it stands at {clock.isoformat()})")
                clock = moved
            elif "after" in raw:
                clock = clock + parse_duration(raw["after"])
                if clock > c.LATEST:
                    raise self.fail((*path, "after"), "the clock leaves the supported range "
                                                      "2000-01-01..2100-01-01")
            steps.append(self.step(i, raw, clock))
        return Scenario(
            name=self.data["scenario"], description=self.data.get("description", ""),
            source=self.source, start=start, region=self.data.get("region", "rotterdam-rijnmond"),
            gemeente=self.data.get("gemeente", "GM0599"), actors=self.actors,
            persons=self.persons, households=self.households, steps=tuple(steps),
            rules=self.rules)

    def step(self, i: int, raw: dict[str, Any], instant: datetime) -> Step:
        path: tuple[str | int, ...] = ("steps", i)
        do = raw.get("do")
        household = raw.get("household", self.households[0])
        if household not in self.households:
            raise self.fail((*path, "household"), f"unknown household {label(household)}")
        actor = raw.get("as")
        if do not in (None, "tick", PUBLISH_DECREE) and actor is None:
            raise self.fail(path, f"'{do}' needs 'as:' (the actor giving the command)")
        if actor is not None and actor not in self.actors:
            raise self.fail((*path, "as"), f"unknown actor {label(actor)}")
        if do in (None, "tick") and ("with" in raw or "occurred_at" in raw):
            raise self.fail(path, "'with:' and 'occurred_at:' belong to a command step")
        if "occurred_at" in raw and "occurred_ago" in raw:
            raise self.fail(path, "give 'occurred_at' or 'occurred_ago', not both")
        occurred = (self.instant((*path, "occurred_at"), raw["occurred_at"])
                    if "occurred_at" in raw
                    else instant - parse_duration(raw["occurred_ago"]) if "occurred_ago" in raw
                    else None)
        step = Step(
            index=i + 1, line=line_of(self.lines, path) or 0, do=do, household=household,
            actor=actor, why=raw.get("why") or f"scenario step {i + 1}: {do or 'check'}",
            instant=instant, occurred_at=occurred, data=dict(raw.get("with") or {}),
            expect=dict(raw.get("expect") or {}),
            expect_lines={k: line_of(self.lines, (*path, "expect", k)) or 0
                          for k in raw.get("expect") or {}},
        )
        check_more(self, step, path)
        if do == PUBLISH_DECREE:
            check_decree(self, step, path)
        elif do is not None and do != "tick":
            self.command(step, path)
        self.expectations(step, path)
        return step

    def command(self, step: Step, path: tuple[str | int, ...]) -> None:
        spec = COMMANDS[step.do or ""]
        names = _DryNames(self)
        if step.do == READ_CASE:
            self.read(step, path, names)
            return
        try:
            data = command_data(step, spec, names, self.region_defaults())
        except KeyError as exc:
            key, message = exc.args[0]
            raise self.fail((*path, "with", key), message) from None
        if may_be_invalid(step.expect.get("refused"), _VALIDATION_CODES):
            return
        if spec.model is None:  # an invariant, kept under python -O
            raise RuntimeError("internal invariant broken: spec.model is missing")
        try:
            c.validate_command(spec.model, data)
        except InvalidCommand as exc:
            back = {target: key for key, (_, target) in REFS.items()}
            first = str(exc.fields[0]).split(".", 1)[0] if exc.fields else ""
            key = back.get(first, first)
            where = (*path, "with", key) if key in step.data else (*path, "with")
            raise self.fail(where, f"{step.do}: {exc.message}") from None

    def read(self, step: Step, path: tuple[str | int, ...], names: _DryNames) -> None:
        from hgkm_workflow.access.guard import as_access

        try:
            access, _ = read_data(step, names)
        except KeyError as exc:
            key, message = exc.args[0]
            raise self.fail((*path, "with", key), message) from None
        if may_be_invalid(step.expect.get("refused"), _VALIDATION_CODES):
            return
        try:
            as_access(access)
        except InvalidCommand as exc:
            raise self.fail((*path, "with"), f"{READ_CASE}: {exc.message}") from None

    def region_defaults(self) -> dict[str, str]:
        return {"region": self.data.get("region", "rotterdam-rijnmond"),
                "gemeente": self.data.get("gemeente", "GM0599")}

    def expectations(self, step: Step, path: tuple[str | int, ...]) -> None:
        exp = step.expect
        epath = (*path, "expect")
        if "household" in exp and exp["household"] not in self.households:
            raise self.fail((*epath, "household"), f"unknown household {label(exp['household'])}")
        if "refused" in exp and step.do in (None, "tick"):
            raise self.fail((*epath, "refused"), "'refused' belongs to a command step")
        if "ticked" in exp and step.do != "tick":
            raise self.fail((*epath, "ticked"), "'ticked' belongs to a tick step")
        for key in ("regisseur", "handover_offered_to"):
            name = exp.get(key)
            if name is not None and name not in self.actors:
                raise self.fail((*epath, key), f"unknown actor {label(name)}")
            if name is not None and not self.actors[name].get("organisation_type"):
                raise self.fail((*epath, key), f"actor {label(name)} has no organisation_type")
        for j, item in enumerate(exp.get("deadlines") or []):
            for ref in ("melding", "huisverbod"):
                if ref in item and self.created.get(item[ref]) != ref:
                    raise self.fail((*epath, "deadlines", j, ref),
                                    f"unknown {ref} {label(item[ref])}")
        for name in exp.get("classification") or {}:
            if self.created.get(name) != "melding":
                raise self.fail((*epath, "classification", name), f"unknown melding {label(name)}")
        for name in exp.get("huisverboden") or {}:
            if self.created.get(name) != "huisverbod":
                raise self.fail((*epath, "huisverboden", name),
                                f"unknown huisverbod {label(name)}")
        for name in exp.get("roles") or {}:
            if name not in self.persons:
                raise self.fail((*epath, "roles", name), f"unknown person {label(name)}")
        removed = (exp.get("huisverbod") or {}).get("removed_person")
        if removed is not None and removed not in self.persons:
            raise self.fail((*epath, "huisverbod"), f"unknown person {label(removed)}")


class _DryNames:
    """Name resolution while checking a file: placeholders, and scope in file order."""

    def __init__(self, checker: _Checker) -> None:
        self.checker = checker

    def person(self, name: str) -> UUID:
        if name not in self.checker.persons:
            raise KeyError(f"unknown person {label(name)}")
        return uuid4()

    def ref(self, kind: str, name: str, create: bool, again: bool = False) -> UUID:
        created = self.checker.created
        if create and again:  # a refused creation: a duplicate, or a name never created
            if name in created and created[name] != kind:
                raise KeyError(f"the name {label(name)} is already used")
            return uuid4()
        if create:
            if name in created:
                raise KeyError(f"the name {label(name)} is already used")
            created[name] = kind
        elif created.get(name) != kind:
            raise KeyError(f"unknown {kind} {label(name)}")
        return uuid4()

    def case(self, household: str) -> UUID:
        return uuid4()

    def actor(self, name: str) -> dict[str, Any]:
        if name not in self.checker.actors:
            raise KeyError(f"unknown actor {label(name)}")
        return self.checker.actors[name]

    def max_end(self, huisverbod: UUID) -> str:
        return "2030-01-01T00:00:00+00:00"

