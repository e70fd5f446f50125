"""Scenario files: parsing, validation and checking (docs/scenarios.md).

:func:`load_scenario` reads a YAML file with line numbers kept, validates it against the JSON
Schema (:mod:`hgkm_workflow.scenario.schema`), and checks it in file order: names are defined
before they are used, the simulated clock never goes back, and every command's data is
accepted by its command model. Every problem is a :class:`ScenarioFileError` naming the file
and the line. :mod:`hgkm_workflow.scenario` runs the result.

The parts: the command list (:mod:`~hgkm_workflow.scenario.commands`), the model
(:mod:`~hgkm_workflow.scenario.model`), YAML with lines (:mod:`~hgkm_workflow.scenario.source`),
the checks in file order (:mod:`~hgkm_workflow.scenario.checker`) and command data
(:mod:`~hgkm_workflow.scenario.translate`); this module puts them together.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from hgkm_workflow.scenario.checker import check_scenario
from hgkm_workflow.scenario.commands import COMMANDS, READ_CASE, CommandSpec
from hgkm_workflow.scenario.model import Scenario, ScenarioFileError, Step, parse_duration
from hgkm_workflow.scenario.schema import scenario_schema
from hgkm_workflow.scenario.source import line_of, read_yaml, schema_message
from hgkm_workflow.scenario.translate import command_data, read_data

__all__ = [
    "COMMANDS",
    "READ_CASE",
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


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema every scenario file is validated against."""
    return scenario_schema(COMMANDS)


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
    data, lines = read_yaml(text, source)
    validator = jsonschema.Draft202012Validator(schema())
    errors = list(validator.iter_errors(data))
    if errors:
        first = min(line_of(lines, e.absolute_path) or 0 for e in errors)
        err = jsonschema.exceptions.best_match(
            e for e in errors if (line_of(lines, e.absolute_path) or 0) == first)
        path = list(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            known = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
            path += [k for k in err.instance if k not in known][:1]
        where = "/".join(str(p) for p in path) or "(top)"
        raise ScenarioFileError(source, line_of(lines, path), f"{where}: {schema_message(err)}")
    return check_scenario(data, lines, source)

