"""A step's ``with:`` block as command data: scenario names resolved to ids, actor and time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from hgkm_workflow.scenario.commands import READ_CASE, CommandSpec
from hgkm_workflow.scenario.inputs import ENGINE
from hgkm_workflow.scenario.model import Step

__all__ = ["REFS", "command_data", "read_data"]

#: ``with:`` keys that name something, and the command field they fill.
REFS = {"melding": ("melding", "melding_id"), "huisverbod": ("huisverbod", "huisverbod_id"),
        "advies": ("advies", "advies_id"), "person": ("person", "person_id"),
        "removed_person": ("person", "removed_person_id"),
        "access": ("access", "access_id"), "track": ("track", "track_id")}
_ACTOR_REFS = frozenset({"regisseur", "to", "handover_to"})

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
    if spec.model is None:  # an invariant, kept under python -O
        raise RuntimeError("internal invariant broken: spec.model is missing")
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
    if "case_id" in fields and step.data.get("case") != ENGINE:
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
    if key == "case" and value == ENGINE:  # no case id: the engine matches the household
        return None
    if key in REFS:
        kind, target = REFS[key]
        if kind == "person":
            data[target] = str(names.person(value))
            return None
        # A step expected to be refused may create a name again (a duplicate).
        ident = names.ref(kind, value, create=spec.creates == kind,
                          again="refused" in step.expect)
        data[target] = str(ident)
        return UUID(str(ident)) if kind == "huisverbod" else None
    if key == "person_ids" and isinstance(value, list):  # persons named in a list
        data[key] = [str(names.person(p)) for p in value]
    elif key == "persons" and isinstance(value, Mapping):
        data["persons"] = [{"person_id": str(names.person(p)), "role": role}
                           for p, role in value.items()]
    elif key == "person_ids" and isinstance(value, list):  # a partner track's persons
        data[key] = [str(names.person(p)) for p in value]
    elif key in _ACTOR_REFS and isinstance(value, str):
        a = names.actor(value)
        data[key] = {"actor_id": a["actor_id"], "organisation": a["organisation"],
                     "organisation_type": a.get("organisation_type")}
    else:
        data[key] = value
    return None

