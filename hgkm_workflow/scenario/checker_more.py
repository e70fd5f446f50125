"""Checks of the newer scenario inputs and expectations, in file order (docs/scenarios.md).

Regional rules (``rules:``, ``rules_file:``), ``do: publish_decree``, meldingen matched by the
engine (``with: {case: engine}``, ``expect: {matched: …}``) and the names the history,
classification-basis and monitor expectations use. Every problem is a
:class:`~hgkm_workflow.scenario.model.ScenarioFileError` naming the file and the line, never a
value written in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hgkm_workflow.domain.calendar import default_calendar
from hgkm_workflow.errors import HgkmError
from hgkm_workflow.monitor.periods import InvalidPeriod, Period
from hgkm_workflow.scenario.inputs import (
    DECREE_KEYS,
    ENGINE,
    PUBLISH_DECREE,
    override_of,
    rulebook_of,
    with_decree,
)
from hgkm_workflow.scenario.model import ScenarioFileError, Step
from hgkm_workflow.scenario.source import label, line_of, read_yaml

__all__ = ["check_decree", "check_more", "load_rules"]

_RULES_FILE_KEYS = frozenset({"region", "description", "rules"})
_ENGINE_COMMANDS = frozenset({"receive_melding", "convert_advies_to_melding"})


def _region(checker: Any) -> str:
    return str(checker.data.get("region", "rotterdam-rijnmond"))


def _rules_file(checker: Any) -> dict[str, dict[str, Any]]:
    """The overrides of the scenario's ``rules_file`` (errors name that file and its line)."""
    name = checker.data["rules_file"]
    file = Path(checker.source).parent / name
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise checker.fail(("rules_file",),
                           f"cannot read the rules file ({exc.strerror})") from None
    data, lines = read_yaml(text, str(file))
    if not isinstance(data, dict) or not isinstance(data.get("rules"), dict):
        raise ScenarioFileError(str(file), 1, "a rules file is a mapping with 'rules:'")
    unknown = [k for k in data if k not in _RULES_FILE_KEYS]
    if unknown:
        raise ScenarioFileError(str(file), line_of(lines, (unknown[0],)),
                                f"unknown key {label(unknown[0])} (region, description, rules)")
    rules: dict[str, dict[str, Any]] = {}
    for key, fields in data["rules"].items():
        _one_rule(str(file), line_of(lines, ("rules", key)), key, fields, _region(checker))
        rules[str(key)] = dict(fields)
    return rules


def _one_rule(source: str, line: int | None, key: str, fields: Any, region: str) -> None:
    if not isinstance(fields, dict):
        raise ScenarioFileError(source, line, f"rule {label(key)}: an override is a mapping")
    try:
        override_of(fields)
        rulebook_of({key: fields}, region)
    except ValueError as exc:
        raise ScenarioFileError(source, line, f"rule {label(key)}: {exc}") from None
    except HgkmError as exc:
        raise ScenarioFileError(source, line, f"{exc.code}: {exc.message}") from None


def load_rules(checker: Any) -> dict[str, dict[str, Any]]:
    """The scenario's regional overrides: the rules file first, inline ``rules:`` on top."""
    rules = _rules_file(checker) if "rules_file" in checker.data else {}
    for key, fields in (checker.data.get("rules") or {}).items():
        _one_rule(checker.source, line_of(checker.lines, ("rules", key)), key, fields,
                  _region(checker))
        rules[str(key)] = {**rules.get(str(key), {}), **fields}
    try:
        rulebook_of(rules, _region(checker))
    except (ValueError, HgkmError) as exc:
        raise checker.fail(("rules",), f"the rules together: {exc}") from None
    return rules


def check_decree(checker: Any, step: Step, path: tuple[str | int, ...]) -> None:
    """A ``publish_decree`` step: its keys, and that the decree adds to the calendar."""
    unknown = sorted(set(step.data) - DECREE_KEYS)
    if unknown:
        raise checker.fail((*path, "with", unknown[0]),
                           f"{PUBLISH_DECREE} takes decree, dates and years")
    if not step.data.get("decree") or not step.data.get("dates"):
        raise checker.fail((*path, "with"), f"{PUBLISH_DECREE} needs decree and dates")
    calendar = checker.calendar or default_calendar()
    try:
        published = with_decree(calendar, step.data)
    except ValueError:
        raise checker.fail((*path, "with", "dates"), "dates are written YYYY-MM-DD") from None
    except HgkmError as exc:
        raise checker.fail((*path, "with"), f"{exc.code}: {exc.message}") from None
    if "refused" not in step.expect:  # a refused decree leaves the calendar as it was
        checker.calendar = published


def check_more(checker: Any, step: Step, path: tuple[str | int, ...]) -> None:
    """Names and placement of the newer expectations and inputs of one step."""
    exp = step.expect
    epath = (*path, "expect")
    engine = step.data.get("case") == ENGINE
    if "case" in step.data and (step.do not in _ENGINE_COMMANDS or not engine):
        raise checker.fail((*path, "with", "case"),
                           "'case: engine' belongs to receive_melding or "
                           "convert_advies_to_melding")
    if "matched" in exp:
        if not engine:
            raise checker.fail((*epath, "matched"), "'matched' belongs to a melding with "
                                                    "'case: engine'")
        if exp["matched"] != "new" and exp["matched"] not in checker.households:
            raise checker.fail((*epath, "matched"), f"unknown household {label(exp['matched'])}")
    if "rescheduled" in exp and step.do != PUBLISH_DECREE:
        raise checker.fail((*epath, "rescheduled"),
                           f"'rescheduled' belongs to a {PUBLISH_DECREE} step")
    for j, item in enumerate(exp.get("rescheduled") or []):
        if "household" in item and item["household"] not in checker.households:
            raise checker.fail((*epath, "rescheduled", j),
                               f"unknown household {label(item['household'])}")
    for key in ("role_history", "plegeraanbod"):
        for name in exp.get(key) or {}:
            if name not in checker.persons:
                raise checker.fail((*epath, key, name), f"unknown person {label(name)}")
    for melding, want in (exp.get("classification") or {}).items():
        basis = want.get("basis") if isinstance(want, dict) else None
        if basis and "person" in basis and basis["person"] not in checker.persons:
            raise checker.fail((*epath, "classification", melding),
                               f"unknown person {label(basis['person'])}")
        if basis and "household" in basis and basis["household"] not in checker.households:
            raise checker.fail((*epath, "classification", melding),
                               f"unknown household {label(basis['household'])}")
    if "monitor" in exp:
        try:
            Period.parse(str(exp["monitor"]["period"]))
        except InvalidPeriod as exc:
            raise checker.fail((*epath, "monitor", "period"), exc.message) from None
