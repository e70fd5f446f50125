"""Scenario files: parsing, validation and checking (docs/scenarios.md).

:func:`load_scenario` reads a YAML file with line numbers kept, validates it against the JSON
Schema (:mod:`hgkm_workflow.scenario.schema`), and checks it in file order: names are defined
before they are used, the simulated clock never goes back, and every command's data is
accepted by its command model. Every problem is a :class:`ScenarioFileError` naming the file
and the line. :mod:`hgkm_workflow.scenario` runs the result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import jsonschema
import yaml

from hgkm_workflow import commands as c
from hgkm_workflow.clock import as_utc
from hgkm_workflow.errors import HgkmError, InvalidCommand
from hgkm_workflow.scenario.schema import scenario_schema

__all__ = [
    "COMMANDS",
    "CommandSpec",
    "Scenario",
    "ScenarioFileError",
    "Step",
    "command_data",
    "load_scenario",
    "parse_duration",
    "parse_scenario",
    "read_data",
    "schema",
]


# ---------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class CommandSpec:
    """How a ``do:`` name maps onto the application.

    Attributes:
        method: The :class:`HgkmApplication` method.
        model: The command model (None for ``tick``).
        creates: The kind of thing the command creates and ``with:`` names
            (``melding``, ``huisverbod`` or ``advies``), if any.
    """

    method: str
    model: type[c.Command] | None
    creates: str | None = None


def _specs() -> dict[str, CommandSpec]:
    plain: dict[str, type[c.Command]] = {
        "complete_veiligheidsbeoordeling": c.CompleteVeiligheidsbeoordeling,
        "complete_vt_service": c.CompleteVtService, "inform_melder": c.InformMelder,
        "inform_school": c.InformSchool, "correct_person_role": c.CorrectPersonRole,
        "add_person": c.AddPerson, "set_veiligheidsplan": c.SetVeiligheidsplan,
        "confirm_acute_unsafety_removed": c.ConfirmAcuteUnsafetyRemoved,
        "complete_directe_veiligheid": c.CompleteDirecteVeiligheid,
        "set_hulpverleningsplan": c.SetHulpverleningsplan, "open_risk_factor": c.OpenRiskFactor,
        "resolve_risk_factor": c.ResolveRiskFactor,
        "confirm_stable_safety": c.ConfirmStableSafety,
        "complete_risicogestuurde_zorg": c.CompleteRisicogestuurdeZorg,
        "set_herstelplan": c.SetHerstelplan, "complete_herstelplan": c.CompleteHerstelplan,
        "complete_herstel": c.CompleteHerstel,
        "record_waakvlam_contact": c.RecordWaakvlamContact, "loop_back": c.LoopBack,
        "close_case": c.CloseCase, "assign_casusregisseur": c.AssignCasusregisseur,
        "offer_handover": c.OfferHandover, "accept_handover": c.AcceptHandover,
        "decline_handover": c.DeclineHandover, "withdraw_handover": c.WithdrawHandover,
        "escalate_to_mda": c.EscalateToMda, "return_to_local_team": c.ReturnToLocalTeam,
        "take_crisis_measure": c.TakeCrisisMeasure,
        "involve_ervaringsdeskundige": c.InvolveErvaringsdeskundige,
        "offer_plegeraanbod": c.OfferPlegeraanbod,
        "respond_to_plegeraanbod": c.RespondToPlegeraanbod,
        "record_monitoring_check": c.RecordMonitoringCheck, "end_monitoring": c.EndMonitoring,
        "extend_huisverbod": c.ExtendHuisverbod, "revoke_huisverbod": c.RevokeHuisverbod,
        "expire_huisverbod": c.ExpireHuisverbod,
        "record_contact_address_given": c.RecordContactAddressGiven,
        "record_data_subjects_informed": c.RecordDataSubjectsInformed,
        "request_erasure": c.RequestErasure,
    }
    specs = {name: CommandSpec(name, model) for name, model in plain.items()}
    specs["record_advies"] = CommandSpec("record_advies", c.RecordAdvies, "advies")
    specs["receive_melding"] = CommandSpec("receive_melding", c.ReceiveMelding, "melding")
    specs["convert_advies_to_melding"] = CommandSpec("convert_advies_to_melding",
                                                     c.ConvertAdviesToMelding, "melding")
    specs["impose_huisverbod"] = CommandSpec("impose_huisverbod", c.ImposeHuisverbod,
                                             "huisverbod")
    specs["tick"] = CommandSpec("tick", None)
    # a read of the household's case as the step's actor (need to know; emergency access)
    specs[READ_CASE] = CommandSpec("get_case", None, "access")
    return dict(sorted(specs.items()))


READ_CASE = "read_case"
"""``do: read_case`` reads the household's case ``as:`` an actor ``with: {purpose: …}``; with
``purpose: emergency`` and a ``safety_reason`` it is an emergency access, which ``access:``
names (for ``record_data_subjects_informed``)."""


COMMANDS: dict[str, CommandSpec] = _specs()
"""Every ``do:`` a scenario may use."""

#: ``with:`` keys that name something, and the command field they fill.
_REFS = {"melding": ("melding", "melding_id"), "huisverbod": ("huisverbod", "huisverbod_id"),
         "advies": ("advies", "advies_id"), "person": ("person", "person_id"),
         "removed_person": ("person", "removed_person_id"),
         "access": ("access", "access_id")}
_ACTOR_REFS = frozenset({"regisseur", "to", "handover_to"})
_DEFAULT_HOUSEHOLD = "gezin"
_VALIDATION_CODES = frozenset({"INVALID_COMMAND", "PERSONAL_DATA_SUSPECTED"})


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema every scenario file is validated against."""
    return scenario_schema(COMMANDS)


# ---------------------------------------------------------------------------- model


class ScenarioFileError(HgkmError):
    """A scenario file is not valid; the message names the file and the line."""

    code = "INVALID_SCENARIO"
    default_rule = "docs/scenarios.md"

    def __init__(self, source: str, line: int | None, message: str) -> None:
        self.source = source
        self.line = line
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Step:
    """One step: move the clock, run a command (or tick), check expectations.

    Attributes:
        index: 1-based position in the file.
        line: Line of the step in the file.
        do: The command name, or None for a step that only checks.
        household: The household the command and the expectations are about.
        actor: Name of the actor giving the command.
        why: The rationale recorded with the command.
        instant: The simulated clock during the step.
        occurred_at: Business time when it differs from the clock.
        data: The ``with:`` block as written.
        expect: The expectations as written.
        expect_lines: Line of each expectation key.
    """

    index: int
    line: int
    do: str | None
    household: str
    actor: str | None
    why: str
    instant: datetime
    occurred_at: datetime | None
    data: dict[str, Any]
    expect: dict[str, Any]
    expect_lines: dict[str, int]

    @property
    def label(self) -> str:
        """``step N (line L, command)``."""
        return f"step {self.index} (line {self.line}, {self.do or 'expect'})"


@dataclass(frozen=True)
class Scenario:
    """A parsed and checked scenario file."""

    name: str
    description: str
    source: str
    start: datetime
    region: str
    gemeente: str
    actors: dict[str, dict[str, Any]]
    persons: tuple[str, ...]
    households: tuple[str, ...]
    steps: tuple[Step, ...]


# ---------------------------------------------------------------------------- loading


class _Loader(yaml.SafeLoader):
    """Safe loader that keeps instants as text (the schema and the runner parse them)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

Path_ = tuple[str | int, ...]


def _build(loader: _Loader, node: yaml.Node, path: Path_, lines: dict[Path_, int],
           source: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            if not isinstance(key, str | int | float | bool) or key is None:
                raise ScenarioFileError(source, key_node.start_mark.line + 1,
                                        "mapping keys must be plain words")
            name = str(key)
            if name in out:
                raise ScenarioFileError(source, key_node.start_mark.line + 1,
                                        f"duplicate key {_label(name)}")
            out[name] = _build(loader, value_node, (*path, name), lines, source)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), lines, source)
                for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def _yaml(text: str, source: str) -> tuple[Any, dict[Path_, int]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioFileError(source, None, "the file is empty")
        lines: dict[Path_, int] = {}
        return _build(loader, node, (), lines, source), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ScenarioFileError(source, mark.line + 1 if mark else None,
                                f"not valid YAML: {exc.problem or exc.context}") from None
    finally:
        loader.dispose()


def _line(lines: Mapping[Path_, int], path: Sequence[str | int]) -> int | None:
    probe = tuple(path)
    while probe not in lines and probe:
        probe = probe[:-1]
    return lines.get(probe)


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and check a scenario file.

    Raises:
        ScenarioFileError: If the file is not valid YAML, does not follow the schema, refers to
            an unknown name, moves the clock backwards, or has command data a command refuses
            (the message names the line).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioFileError(str(file), None, f"cannot read the file ({exc.strerror})") from None
    return parse_scenario(text, str(file))


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Parse and check scenario text (see :func:`load_scenario`)."""
    data, lines = _yaml(text, source)
    validator = jsonschema.Draft202012Validator(schema())
    errors = list(validator.iter_errors(data))
    if errors:
        first = min(_line(lines, e.absolute_path) or 0 for e in errors)
        err = jsonschema.exceptions.best_match(
            e for e in errors if (_line(lines, e.absolute_path) or 0) == first)
        path = list(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            known = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
            path += [k for k in err.instance if k not in known][:1]
        where = "/".join(str(p) for p in path) or "(top)"
        raise ScenarioFileError(source, _line(lines, path), f"{where}: {_schema_message(err)}")
    return _Checker(data, lines, source).scenario()


_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,39}$")
_LABEL = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def _label(name: object) -> str:
    """A scenario name or code quoted for a message — or, if it is neither, a phrase instead.

    Names and codes are lower-case words; anything else may be what a person typed (a name, a
    number), so it is not repeated.
    """
    text = str(name)
    return f"'{text}'" if _LABEL.match(text) else "(a value that is not a scenario name)"


def _schema_message(err: jsonschema.ValidationError) -> str:
    """What is wrong, in words from the schema: never the value written in the file.

    A scenario may hold anything a person typed; an error message (which ends up in logs and
    CI output) names the place and the rule, not the offending value (docs/security.md).
    """
    kind, rule = err.validator, err.validator_value
    schema = err.schema if isinstance(err.schema, dict) else {}
    if kind == "additionalProperties" and isinstance(err.instance, dict):
        known = schema.get("properties", {})
        extra = [str(k) for k in err.instance if k not in known]
        shown = [k for k in extra if _KEY.match(k)]
        return "unknown key(s)" + (": " + ", ".join(repr(k) for k in shown) if shown else "")
    if kind == "anyOf" and err.context:
        best = min(err.context, key=lambda e: len(_schema_message(e)))
        return _schema_message(best)
    if kind == "required":
        return err.message  # names the missing key, from the schema
    if kind == "enum":
        values = [str(v) for v in rule] if isinstance(rule, list) else []
        listed = ", ".join(values[:12]) + (", …" if len(values) > 12 else "")
        return f"{_label(err.instance)} is not one of the allowed values ({listed})"
    if kind == "const":
        return f"must be {rule!r}"
    if kind == "type":
        return f"must be of type {rule}"
    if kind == "pattern":
        return "does not have the expected form" + (
            f": {schema['description']}" if "description" in schema else "")
    if kind in ("minLength", "maxLength"):
        return f"must have {'at least' if kind == 'minLength' else 'at most'} {rule} characters"
    if kind in ("minItems", "maxItems", "minProperties", "maxProperties"):
        return f"must have {'at least' if kind.startswith('min') else 'at most'} {rule} entries"
    if kind in ("minimum", "maximum"):
        return f"must be {'at least' if kind == 'minimum' else 'at most'} {rule}"
    if kind == "uniqueItems":
        return "has repeated entries"
    if kind == "not":
        return "combines keys that exclude each other (e.g. 'at' and 'after')"
    return f"does not follow the schema ({kind})"


_DURATION = re.compile(r"(\d+)([wdhm])")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


def parse_duration(text: str) -> timedelta:
    """``2d`` → two days; units w, d, h, m; combinations such as ``1d12h``."""
    total = timedelta()
    for amount, unit in _DURATION.findall(text):
        total += timedelta(**{_UNITS[unit]: int(amount)})
    return total


def _instant(text: str) -> datetime:
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


class _Checker:
    """Checks names, time and command data in file order, building the :class:`Scenario`."""

    def __init__(self, data: dict[str, Any], lines: dict[Path_, int], source: str) -> None:
        self.data = data
        self.lines = lines
        self.source = source
        self.actors: dict[str, dict[str, Any]] = dict(data.get("actors") or {})
        self.persons = tuple(data.get("persons") or ())
        self.households = tuple(data.get("households") or (_DEFAULT_HOUSEHOLD,))
        self.created: dict[str, str] = {}

    def fail(self, path: Sequence[str | int], message: str) -> ScenarioFileError:
        return ScenarioFileError(self.source, _line(self.lines, path), message)

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
            persons=self.persons, households=self.households, steps=tuple(steps))

    def step(self, i: int, raw: dict[str, Any], instant: datetime) -> Step:
        path: tuple[str | int, ...] = ("steps", i)
        do = raw.get("do")
        household = raw.get("household", self.households[0])
        if household not in self.households:
            raise self.fail((*path, "household"), f"unknown household {_label(household)}")
        actor = raw.get("as")
        if do not in (None, "tick") and actor is None:
            raise self.fail(path, f"'{do}' needs 'as:' (the actor giving the command)")
        if actor is not None and actor not in self.actors:
            raise self.fail((*path, "as"), f"unknown actor {_label(actor)}")
        if do in (None, "tick") and ("with" in raw or "occurred_at" in raw):
            raise self.fail(path, "'with:' and 'occurred_at:' belong to a command step")
        if "occurred_at" in raw and "occurred_ago" in raw:
            raise self.fail(path, "give 'occurred_at' or 'occurred_ago', not both")
        occurred = (self.instant((*path, "occurred_at"), raw["occurred_at"])
                    if "occurred_at" in raw
                    else instant - parse_duration(raw["occurred_ago"]) if "occurred_ago" in raw
                    else None)
        step = Step(
            index=i + 1, line=_line(self.lines, path) or 0, do=do, household=household,
            actor=actor, why=raw.get("why") or f"scenario step {i + 1}: {do or 'check'}",
            instant=instant, occurred_at=occurred, data=dict(raw.get("with") or {}),
            expect=dict(raw.get("expect") or {}),
            expect_lines={k: _line(self.lines, (*path, "expect", k)) or 0
                          for k in raw.get("expect") or {}},
        )
        if do is not None and do != "tick":
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
        if step.expect.get("refused") in _VALIDATION_CODES:
            return
        assert spec.model is not None
        try:
            c.validate_command(spec.model, data)
        except InvalidCommand as exc:
            back = {target: key for key, (_, target) in _REFS.items()}
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
        if step.expect.get("refused") in _VALIDATION_CODES:
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
            raise self.fail((*epath, "household"), f"unknown household {_label(exp['household'])}")
        if "refused" in exp and step.do in (None, "tick"):
            raise self.fail((*epath, "refused"), "'refused' belongs to a command step")
        if "ticked" in exp and step.do != "tick":
            raise self.fail((*epath, "ticked"), "'ticked' belongs to a tick step")
        for key in ("regisseur", "handover_offered_to"):
            name = exp.get(key)
            if name is not None and name not in self.actors:
                raise self.fail((*epath, key), f"unknown actor {_label(name)}")
            if name is not None and not self.actors[name].get("organisation_type"):
                raise self.fail((*epath, key), f"actor {_label(name)} has no organisation_type")
        for j, item in enumerate(exp.get("deadlines") or []):
            for ref in ("melding", "huisverbod"):
                if ref in item and self.created.get(item[ref]) != ref:
                    raise self.fail((*epath, "deadlines", j, ref),
                                    f"unknown {ref} {_label(item[ref])}")
        for name in exp.get("classification") or {}:
            if self.created.get(name) != "melding":
                raise self.fail((*epath, "classification", name), f"unknown melding {_label(name)}")
        for name in exp.get("huisverboden") or {}:
            if self.created.get(name) != "huisverbod":
                raise self.fail((*epath, "huisverboden", name),
                                f"unknown huisverbod {_label(name)}")
        for name in exp.get("roles") or {}:
            if name not in self.persons:
                raise self.fail((*epath, "roles", name), f"unknown person {_label(name)}")
        removed = (exp.get("huisverbod") or {}).get("removed_person")
        if removed is not None and removed not in self.persons:
            raise self.fail((*epath, "huisverbod"), f"unknown person {_label(removed)}")


class _DryNames:
    """Name resolution while checking a file: placeholders, and scope in file order."""

    def __init__(self, checker: _Checker) -> None:
        self.checker = checker

    def person(self, name: str) -> UUID:
        if name not in self.checker.persons:
            raise KeyError(f"unknown person {_label(name)}")
        return uuid4()

    def ref(self, kind: str, name: str, create: bool, again: bool = False) -> UUID:
        created = self.checker.created
        if create and again:  # a refused creation: a duplicate, or a name never created
            if name in created and created[name] != kind:
                raise KeyError(f"the name {_label(name)} is already used")
            return uuid4()
        if create:
            if name in created:
                raise KeyError(f"the name {_label(name)} is already used")
            created[name] = kind
        elif created.get(name) != kind:
            raise KeyError(f"unknown {kind} {_label(name)}")
        return uuid4()

    def case(self, household: str) -> UUID:
        return uuid4()

    def actor(self, name: str) -> dict[str, Any]:
        if name not in self.checker.actors:
            raise KeyError(f"unknown actor {_label(name)}")
        return self.checker.actors[name]

    def max_end(self, huisverbod: UUID) -> str:
        return "2030-01-01T00:00:00+00:00"


_READ_KEYS = frozenset({"purpose", "safety_reason", "access"})


def read_data(step: Step, names: Any) -> tuple[dict[str, Any], str | None]:
    """The access request of a ``read_case`` step, and the name its emergency access gets.

    Raises ``KeyError((key, message))`` for an unknown key or name, naming the ``with:`` key.
    """
    unknown = sorted(set(step.data) - _READ_KEYS)
    if unknown:
        raise KeyError((unknown[0], f"{READ_CASE} takes purpose, safety_reason and access"))
    if step.actor is None:
        raise KeyError(("purpose", f"{READ_CASE} needs 'as:' (who reads)"))
    try:
        a = names.actor(step.actor)
    except KeyError as exc:
        raise KeyError(("purpose", exc.args[0])) from None
    access: dict[str, Any] = {
        "actor": {"actor_id": a["actor_id"], "organisation": a["organisation"],
                  "role": a["role"]},
        "purpose": step.data.get("purpose"),
    }
    if "safety_reason" in step.data:
        access["safety_reason"] = step.data["safety_reason"]
    name = step.data.get("access")
    if name is not None:
        if not isinstance(name, str):
            raise KeyError(("access", "access must be a name"))
        try:
            names.ref("access", name, create=True, again="refused" in step.expect)
        except KeyError as exc:
            raise KeyError(("access", exc.args[0])) from None
    return access, name


def command_data(step: Step, spec: CommandSpec, names: Any,
                 defaults: Mapping[str, str]) -> dict[str, Any]:
    """The command dict for a step: names resolved to ids, actor, rationale, case and time.

    ``names`` resolves scenario names (``person``, ``ref``, ``case``, ``actor``, ``max_end``).
    Raises ``KeyError((key, message))`` for an unknown name, naming the ``with:`` key.
    """
    assert spec.model is not None
    fields = spec.model.model_fields
    data: dict[str, Any] = {}
    huisverbod_id: UUID | None = None
    for key, value in step.data.items():
        try:
            huisverbod_id = _translate(step, spec, names, key, value, data) or huisverbod_id
        except KeyError as exc:
            raise KeyError((key, exc.args[0])) from None
    if data.get("new_end") == "max" and huisverbod_id is not None:
        data["new_end"] = names.max_end(huisverbod_id)
    if step.actor is not None:
        a = names.actor(step.actor)
        data["actor"] = {"actor_id": a["actor_id"], "organisation": a["organisation"],
                         "role": a["role"]}
    data.setdefault("rationale", step.why)
    if "case_id" in fields:
        data.setdefault("case_id", str(names.case(step.household)))
    for key in ("region", "gemeente"):
        if key in fields:
            data.setdefault(key, defaults[key])
    if step.occurred_at is not None:
        data.setdefault("occurred_at", step.occurred_at.isoformat())
    return data


def _translate(step: Step, spec: CommandSpec, names: Any, key: str, value: Any,
               data: dict[str, Any]) -> UUID | None:
    """Put one ``with:`` entry into ``data``; return the huisverbod id it names, if any."""
    if key in _REFS:
        kind, target = _REFS[key]
        if kind == "person":
            data[target] = str(names.person(value))
            return None
        # A step expected to be refused may create a name again (a duplicate).
        ident = names.ref(kind, value, create=spec.creates == kind,
                          again="refused" in step.expect)
        data[target] = str(ident)
        return UUID(str(ident)) if kind == "huisverbod" else None
    if key == "persons" and isinstance(value, Mapping):
        data["persons"] = [{"person_id": str(names.person(p)), "role": role}
                           for p, role in value.items()]
    elif key in _ACTOR_REFS and isinstance(value, str):
        a = names.actor(value)
        data[key] = {"actor_id": a["actor_id"], "organisation": a["organisation"],
                     "organisation_type": a.get("organisation_type")}
    else:
        data[key] = value
    return None
