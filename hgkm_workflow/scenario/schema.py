"""The JSON Schema of scenario files (docs/scenarios.md shows it; the runner validates with it).

Built from the vocabulary and the command registry, so the enums never drift from the code.
Command *data* (the ``with:`` block) is checked by the command models themselves when the file
is loaded, with the step's line in the error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from hgkm_workflow.phases.lifecycle import CasePhase
from hgkm_workflow.vocabulary import (
    ActorRole,
    ClosureReason,
    CrisisMeasure,
    OrganisationType,
    PersonRole,
    TrackKind,
    TrackOutcome,
)

SCHEMA_ID = "https://hgkm-workflow.invalid/schemas/scenario-1.json"

_NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,39}$",
         "description": "A scenario-local name: lower case, digits, '_' or '-'."}
_INSTANT = {"type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$",
            "description": "An ISO 8601 instant with its UTC offset, e.g. "
                           "2026-04-23T23:10:00+02:00."}
_DATE_OR_INSTANT = {"type": "string",
                    "pattern": r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"
                               r"(Z|[+-]\d{2}:\d{2}))?$",
                    "description": "An instant, or a date: any instant on that day in "
                                   "Europe/Amsterdam."}
_DURATION = {"type": "string", "pattern": r"^(\d+[wdhms])+$",
             "description": "A duration such as 2d, 5h, 30m, 45s, 1w or 1d12h."}
_CODE = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_.:-]{0,63}$"}
_ERROR_CODE = {"type": "string", "pattern": "^[A-Z][A-Z0-9_]{2,63}$"}


_FIGURE_NAME = {"type": "string", "pattern": r"^[a-z][A-Za-z0-9_.]*$"}
_DAY = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_RULE_OVERRIDE = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "properties": {"length": {"type": "integer", "minimum": 0},
                   "checkpoints": {"type": "array", "items": {"type": "integer"}},
                   "enabled": {"type": "boolean"}, "counts_from": {"type": "string"},
                   "atw_extends": {"type": "boolean"}, "counts_start_day": {"type": "boolean"}},
}


def _newer_expectations() -> dict[str, Any]:
    """History, matching, decree and monitor expectations (docs/scenarios.md)."""
    role_entry = {"anyOf": [_enum(PersonRole), {
        "type": "object", "additionalProperties": False, "required": ["role"],
        "properties": {"role": _enum(PersonRole),
                       "source": _enum(["melding", "added", "correction"]),
                       "melding": _NAME}}]}
    phase = _enum(CasePhase)
    visit = {"anyOf": [phase, {
        "type": "object", "additionalProperties": False, "required": ["phase"],
        "properties": {"phase": phase, "how": {"type": "string"}, "time": _DURATION,
                       "entered": _DATE_OR_INSTANT}}]}
    measure = _enum([*CrisisMeasure, "huisverbod"])
    figure = {"anyOf": [{"type": "number"}, {"type": "null"},
                        {"type": "string", "pattern": r"^\d+(\.\d+)?/\d+(\.\d+)?$"}]}
    return {
        "role_history": {"type": "object", "propertyNames": _NAME,
                         "additionalProperties": {"type": "array", "items": role_entry},
                         "description": "Per person every role recorded, in order."},
        "phase_history": {"type": "array", "items": visit,
                          "description": "Every phase entered, in order."},
        "time_in_phase": {"type": "object", "propertyNames": phase,
                          "additionalProperties": _DURATION,
                          "description": "Business time spent per phase (all visits)."},
        "crisis_measures": {"type": "array", "items": {"anyOf": [measure, {
            "type": "object", "additionalProperties": False, "required": ["measure"],
            "properties": {"measure": measure, "at": _DATE_OR_INSTANT}}]}},
        "plegeraanbod": {"type": "object", "propertyNames": _NAME,
                         "additionalProperties": _nullable(
                             _enum(["offered", "accepted", "declined"]))},
        "partner_tracks": {"type": "array", "items": {"anyOf": [_enum(TrackKind), {
            "type": "object", "additionalProperties": False, "required": ["kind"],
            "properties": {"kind": _enum(TrackKind), "state": _enum(["open", "ended"]),
                           "outcome": _enum(TrackOutcome),
                           "organisation_type": _enum(OrganisationType),
                           "started": _DATE_OR_INSTANT, "ended": _DATE_OR_INSTANT}}]},
            "description": "The partners' tracks in the order they started."},
        "procesregie": {**_nullable(_enum(OrganisationType)),
                        "description": "Who holds procesregie now (organisation type)."},
        "matched": {"anyOf": [{"const": "new"}, _NAME],
                    "description": "With 'case: engine': the case the engine chose."},
        "rescheduled": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["rule"],
            "properties": {"rule": {"type": "string"}, "household": _NAME}}},
        "monitor": {"type": "object", "additionalProperties": False,
                    "required": ["period", "figures"],
                    "properties": {"period": {"type": "string"}, "region": _CODE,
                                   "gemeente": {"type": "string", "pattern": r"^GM\d{4}$"},
                                   "figures": {"type": "object",
                                               "propertyNames": _FIGURE_NAME,
                                               "additionalProperties": figure}},
                    "description": "What this run added to the monitor's figures."},
    }


def _enum(values: Iterable[StrEnum] | Iterable[str]) -> dict[str, Any]:
    return {"enum": sorted(str(v) for v in values)}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _rule_list() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}}


def scenario_schema(commands: Iterable[str]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file.

    Args:
        commands: The names allowed after ``do:``.

    Returns:
        The schema as a JSON-ready dict.
    """
    plan = _nullable({"anyOf": [{"const": "set"}, {"type": "object"}]})
    deadline = {
        "type": "object", "additionalProperties": False, "required": ["rule"],
        "properties": {
            "rule": {"type": "string", "description": "Rule id (T1) or name."},
            "checkpoint": {"type": "integer"},
            "melding": _NAME, "huisverbod": _NAME,
            "status": _enum(["open", "met", "met_late", "closed_unmet"]),
            "due": _DATE_OR_INSTANT,
            "breached": {"type": "boolean"},
            "skipped": {"type": "array", "items": {"type": "string",
                                                   "pattern": r"^\d{4}-\d{2}-\d{2}$"}},
            "calendar_version": {"type": "string"},
            "rule_version": {"type": "integer"},
        },
    }
    huisverbod = {
        "type": "object", "additionalProperties": False,
        "properties": {
            "state": _enum(["imposed", "extended", "revoked", "expired"]),
            "ends_at": _DATE_OR_INSTANT, "max_end": _DATE_OR_INSTANT,
            "contact_address_given": {"type": "boolean"},
            "removed_person": _NAME,
        },
    }
    kind = _enum(["nieuw", "vervolgmelding", "vervolg", "hermelding"])
    basis = _nullable({
        "type": "object", "additionalProperties": False,
        "description": "The involvement the classification rests on (null: none known).",
        "properties": {"person": _NAME, "role": _enum(PersonRole), "household": _NAME,
                       "involvement": {"type": "integer", "minimum": 1},
                       "started": _DAY, "ended": _nullable(_DAY)}})
    classification = {"anyOf": [kind, {
        "type": "object", "additionalProperties": False, "required": ["kind"],
        "properties": {"kind": kind, "stage": _enum(["during_assessment", "after_assessment",
                                                     "during_monitoring"]),
                       "basis": basis,
                       "persons_counted": {"type": "integer", "minimum": 0},
                       "persons_matched": {"type": "integer", "minimum": 0},
                       "lookback_years": {"type": "integer", "minimum": 0},
                       "cutoff": _DAY}}]}
    expect = {
        "type": "object", "additionalProperties": False, "minProperties": 1,
        "properties": {
            "household": _NAME,
            "refused": {"anyOf": [_ERROR_CODE, {"const": "any"},
                                  {"type": "array", "items": _ERROR_CODE, "minItems": 1}],
                        "description": "The step must be refused and change nothing: with this "
                                       "code, with one of a list of codes, or (any) with any."},
            "phase": _enum(CasePhase),
            "sub_state": _nullable({"type": "string"}),
            "mda": _enum(["not_escalated", "escalated", "returned"]),
            "loop_backs": {"type": "integer", "minimum": 0},
            "meldingen": {"type": "integer", "minimum": 0},
            "regisseur": _nullable(_NAME),
            "handover_offered_to": _nullable(_NAME),
            "closure": _nullable(_enum(ClosureReason)),
            "monitoring": _enum(["idle", "monitoring"]),
            "vt_service": _enum(["idle", "onderzoek", "voorwaarden_en_vervolg"]),
            "open_risk_factors": {"type": "array", "items": {"type": "string"}},
            "plans": {"type": "object", "additionalProperties": False,
                      "properties": {"veiligheidsplan": plan, "hulpverleningsplan": plan,
                                     "herstelplan": plan}},
            "deadlines": {"type": "array", "items": deadline},
            "open_deadlines": _rule_list(),
            "met_deadlines": _rule_list(),
            "breaches": {"anyOf": [{"type": "integer", "minimum": 0}, _rule_list()]},
            "huisverbod": huisverbod,
            "huisverboden": {"type": "object", "propertyNames": _NAME,
                             "additionalProperties": huisverbod},
            "classification": {"type": "object", "propertyNames": _NAME,
                               "additionalProperties": classification},
            "roles": {"type": "object", "propertyNames": _NAME,
                      "additionalProperties": _enum(PersonRole)},
            "emergency_accesses": {"type": "integer", "minimum": 0,
                                   "description": "Emergency reads recorded on the case."},
            **_newer_expectations(),
            "ticked": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["rule", "kind"],
                "properties": {"rule": {"type": "string"},
                               "kind": _enum(["breach", "huisverbod_expired"]),
                               "household": _NAME}}},
        },
    }
    step = {
        "type": "object", "additionalProperties": False,
        "anyOf": [{"required": ["do"]}, {"required": ["expect"]}],
        "not": {"required": ["at", "after"]},
        "properties": {
            "at": {**_INSTANT, "description": "Set the simulated clock to this instant."},
            "after": {**_DURATION, "description": "Move the simulated clock forward."},
            "do": {"enum": sorted(commands), "description": "The command (or tick)."},
            "household": _NAME,
            "as": _NAME,
            "why": {"type": "string", "minLength": 3, "maxLength": 500},
            "occurred_at": _INSTANT,
            "occurred_ago": _DURATION,
            "with": {"type": "object"},
            "expect": expect,
            "note": {"type": "string"},
        },
    }
    actor = {
        "type": "object", "additionalProperties": False,
        "required": ["actor_id", "organisation", "role"],
        "properties": {"actor_id": _CODE, "organisation": _CODE, "role": _enum(ActorRole),
                       "organisation_type": _enum(OrganisationType)},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "hgkm_workflow scenario file",
        "type": "object",
        "additionalProperties": False,
        "required": ["scenario", "start", "steps"],
        "properties": {
            "scenario": {"type": "string", "minLength": 3, "maxLength": 200},
            "description": {"type": "string"},
            "start": _INSTANT,
            "region": _CODE,
            "gemeente": {"type": "string", "pattern": r"^GM\d{4}$"},
            "actors": {"type": "object", "propertyNames": _NAME, "additionalProperties": actor},
            "persons": {"type": "array", "items": _NAME, "uniqueItems": True},
            "households": {"type": "array", "items": _NAME, "uniqueItems": True,
                           "minItems": 1},
            "rules": {"type": "object", "propertyNames": {"type": "string"},
                      "additionalProperties": _RULE_OVERRIDE,
                      "description": "Regional overrides of the deadline rules, by rule id or "
                                     "name (docs/calendar.md)."},
            "rules_file": {"type": "string", "minLength": 1,
                           "description": "A regional rules file (YAML with 'rules:'), "
                                          "relative to the scenario file."},
            "steps": {"type": "array", "items": step, "minItems": 1},
        },
    }


def schema_json(commands: Iterable[str]) -> str:
    """The schema as indented JSON text (as shown in docs/scenarios.md)."""
    return json.dumps(scenario_schema(commands), indent=2, ensure_ascii=False) + "\n"


BEGIN, END = "<!-- schema:begin -->", "<!-- schema:end -->"


def with_schema(markdown: str, commands: Iterable[str]) -> str:
    """``markdown`` with the block between the schema markers replaced by the current schema.

    Used to keep docs/scenarios.md current (``python -m hgkm_workflow.scenario.schema
    docs/scenarios.md``).
    """
    head, _, rest = markdown.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n```json\n{schema_json(commands)}```\n{END}{tail}"


if __name__ == "__main__":  # pragma: no cover - a maintenance helper
    import sys
    from pathlib import Path

    from hgkm_workflow.scenario.commands import COMMANDS

    for name in sys.argv[1:]:
        page = Path(name)
        page.write_text(with_schema(page.read_text(encoding="utf-8"), COMMANDS),
                        encoding="utf-8")
