"""Reading a scenario's YAML with the line of every node, and messages that name lines, not values.

Error messages end up in logs and CI output, so they name the place and the rule, never the
value written in the file (docs/security.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import jsonschema
import yaml

from hgkm_workflow.scenario.model import ScenarioFileError

__all__ = ["LinePath", "label", "line_of", "read_yaml", "schema_message"]


class _Loader(yaml.SafeLoader):
    """Safe loader that keeps instants as text (the schema and the runner parse them)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

LinePath = tuple[str | int, ...]


def _build(loader: _Loader, node: yaml.Node, path: LinePath, lines: dict[LinePath, int],
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
                                        f"duplicate key {label(name)}")
            out[name] = _build(loader, value_node, (*path, name), lines, source)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), lines, source)
                for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def read_yaml(text: str, source: str) -> tuple[Any, dict[LinePath, int]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioFileError(source, None, "the file is empty")
        lines: dict[LinePath, int] = {}
        return _build(loader, node, (), lines, source), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ScenarioFileError(source, mark.line + 1 if mark else None,
                                f"not valid YAML: {exc.problem or exc.context}") from None
    finally:
        loader.dispose()


def line_of(lines: Mapping[LinePath, int], path: Sequence[str | int]) -> int | None:
    probe = tuple(path)
    while probe not in lines and probe:
        probe = probe[:-1]
    return lines.get(probe)



_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,39}$")
_LABEL = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def label(name: object) -> str:
    """A scenario name or code quoted for a message — or, if it is neither, a phrase instead.

    Names and codes are lower-case words; anything else may be what a person typed (a name, a
    number), so it is not repeated.
    """
    text = str(name)
    return f"'{text}'" if _LABEL.match(text) else "(a value that is not a scenario name)"


def schema_message(err: jsonschema.ValidationError) -> str:
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
        best = min(err.context, key=lambda e: len(schema_message(e)))
        return schema_message(best)
    if kind == "required":
        return err.message  # names the missing key, from the schema
    if kind == "enum":
        values = [str(v) for v in rule] if isinstance(rule, list) else []
        listed = ", ".join(values[:12]) + (", …" if len(values) > 12 else "")
        return f"{label(err.instance)} is not one of the allowed values ({listed})"
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

