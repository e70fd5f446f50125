"""Statutory tasks cannot be given away: the policy is checked when it is loaded.

Given the shipped policy data, when a region (or an edited national rule) tries to give Veilig
Thuis's statutory tasks or the burgemeester's powers to someone else, then loading fails with
``STATUTORY_TASK_OVERRIDE``; other inconsistencies fail with ``INVALID_AUTHORITY_POLICY``.
"""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import pytest
import yaml

from hgkm_workflow.authority import (
    InvalidAuthorityPolicy,
    StatutoryTaskOverride,
    decide,
    intake_facts,
    load_policy,
)
from hgkm_workflow.commands import Actor

RAW: dict[str, Any] = yaml.safe_load(
    resources.files("hgkm_workflow").joinpath("data/authority/policy.yaml").read_text("utf-8"))


def _data() -> dict[str, Any]:
    return copy.deepcopy(RAW)


def _override(data: dict[str, Any], region: str, **override: Any) -> dict[str, Any]:
    data["regions"].setdefault(region, {"veilig_thuis": [f"vt-{region}"]})["overrides"] = override
    return data


def _rule(rule_id: str, commands: list[str], roles: list[str], relation: str) -> dict[str, Any]:
    return {"id": rule_id, "commands": commands, "roles": roles, "relation": relation,
            "why": "test", "source": "test"}


def _mandate(mandate_id: str, commands: tuple[str, ...] = ("ImposeHuisverbod",),
             **dates: str) -> dict[str, Any]:
    return {"id": mandate_id, "organisation": "politie-rotterdam", "commands": list(commands),
            "valid_from": "2020-01-01", **dates}


@pytest.mark.parametrize("command", ["ExtendHuisverbod", "RevokeHuisverbod",
                                     "ExpireHuisverbod", "CompleteVtService"])
def test_a_burgemeester_cannot_mandate_more_than_the_imposition(command: str) -> None:
    """Wet tijdelijk huisverbod art. 3 lid 1: only the imposition may be mandated."""
    data = _data()
    data["gemeenten"]["GM0606"]["mandates"] = [_mandate("m-1", ("ImposeHuisverbod", command))]
    with pytest.raises(StatutoryTaskOverride) as raised:
        load_policy(data)
    assert command in str(raised.value)


def test_the_shipped_policy_loads() -> None:
    assert load_policy(_data()).version == RAW["version"]


@pytest.mark.parametrize("command", ["CompleteVeiligheidsbeoordeling", "CompleteVtService",
                                     "EndMonitoring", "ReceiveMelding", "InformMelder"])
def test_a_region_cannot_give_a_statutory_task_of_veilig_thuis_to_the_local_team(
        command: str) -> None:
    data = _override(_data(), "hollands-midden",
                     add=[_rule("R-hm-wijkteam", [command], ["lokaal_team"], "regisseur")])
    with pytest.raises(StatutoryTaskOverride) as raised:
        load_policy(data)
    assert raised.value.code == "STATUTORY_TASK_OVERRIDE"
    assert isinstance(raised.value, InvalidAuthorityPolicy)


@pytest.mark.parametrize("command", ["ImposeHuisverbod", "ExtendHuisverbod", "RevokeHuisverbod"])
def test_a_region_cannot_give_the_burgemeester_s_powers_to_veilig_thuis(command: str) -> None:
    data = _override(_data(), "rotterdam-rijnmond",
                     add=[_rule("W-rr-vt", [command], ["vt_medewerker"], "veilig_thuis")])
    with pytest.raises(StatutoryTaskOverride):
        load_policy(data)


def test_a_region_cannot_narrow_a_statutory_task_either() -> None:
    data = _override(_data(), "hollands-midden", remove=["W-vt-veiligheidsbeoordeling"])
    with pytest.raises(StatutoryTaskOverride):
        load_policy(data)


def test_an_edited_national_rule_cannot_give_a_statutory_task_away() -> None:
    data = _data()
    rule = next(r for r in data["rules"] if r["id"] == "W-vt-onderzoek")
    rule["relation"] = "regisseur"
    with pytest.raises(StatutoryTaskOverride):
        load_policy(data)
    data = _data()
    rule = next(r for r in data["rules"] if r["id"] == "W-burgemeester-huisverbod")
    rule["roles"] = ["burgemeester", "vt_medewerker"]
    with pytest.raises(StatutoryTaskOverride):
        load_policy(data)


def test_a_statutory_task_left_without_a_rule_is_refused() -> None:
    data = _data()
    data["rules"] = [r for r in data["rules"] if r["id"] != "W-vt-monitoring"]
    with pytest.raises(StatutoryTaskOverride):
        load_policy(data)


def test_a_non_veilig_thuis_organisation_cannot_be_named_veilig_thuis() -> None:
    data = _data()
    data["regions"]["hollands-midden"]["veilig_thuis"] = ["wijkteam-leiden"]
    with pytest.raises(StatutoryTaskOverride):
        load_policy(data)
    data = _data()
    data["gemeenten"]["GM0546"]["burgemeester"] = "vt-hollands-midden"
    with pytest.raises(StatutoryTaskOverride):
        load_policy(data)


def test_a_region_widens_and_narrows_a_regional_task() -> None:
    data = _override(_data(), "hollands-midden",
                     add=[_rule("R-hm-ervaringsdeskundige", ["InformSchool"], ["politie"],
                                "politie")],
                     remove=["R-handle-with-care"])
    data["regions"]["hollands-midden"]["politie"] = ["politie-hollands-midden"]
    policy = load_policy(data)
    facts = intake_facts("hollands-midden", "GM0546", policy.tables)
    police = Actor(actor_id="p-1", organisation="politie-hollands-midden", role="politie")
    vt = Actor(actor_id="vt-1", organisation="vt-hollands-midden", role="vt_medewerker")
    assert decide(police, "InformSchool", facts, policy).granted
    assert not decide(vt, "InformSchool", facts, policy).granted  # narrowed here
    rr = intake_facts("rotterdam-rijnmond", "GM0599", policy.tables)
    rr_vt = Actor(actor_id="vt-2", organisation="vt-rotterdam-rijnmond", role="vt_medewerker")
    assert decide(rr_vt, "InformSchool", rr, policy).granted  # elsewhere unchanged


@pytest.mark.parametrize("command", ["OfferHandover", "AssignCasusregisseur", "RotateCipherKey"])
def test_a_region_cannot_override_protocol_or_administrative_commands(command: str) -> None:
    data = _override(_data(), "hollands-midden",
                     add=[_rule("R-hm-x", [command], ["lokaal_team"], "involved")])
    with pytest.raises(InvalidAuthorityPolicy) as raised:
        load_policy(data)
    assert raised.value.code == "INVALID_AUTHORITY_POLICY"


@pytest.mark.parametrize("mutate", [
    pytest.param(lambda d: d["rules"].append(
        _rule("R-audit", ["InformSchool"], ["auditor"], "involved")), id="auditor-granted"),
    pytest.param(lambda d: d["rules"].append(
        _rule("R-x", ["NoSuchCommand"], ["lokaal_team"], "involved")), id="unknown-command"),
    pytest.param(lambda d: d["rules"].append(
        _rule("R-x", ["InformSchool"], ["janitor"], "involved")), id="unknown-role"),
    pytest.param(lambda d: d["rules"].append(
        _rule("P-x", ["InformSchool"], ["lokaal_team"], "involved")), id="id-not-its-kind"),
    pytest.param(lambda d: d["rules"].append(
        _rule("R-handle-with-care", ["InformSchool"], ["lokaal_team"], "involved")),
        id="duplicate-id"),
    pytest.param(lambda d: d["rules"].append(
        _rule("R-x", ["InformSchool"], ["lokaal_team"], "friend")), id="unknown-relation"),
    pytest.param(lambda d: d["commands"]["InformSchool"].update(reserved="veilig_thuis"),
                 id="reserved-but-not-W"),
    pytest.param(lambda d: d["gemeenten"].update({"0599": {"burgemeester": "gemeente-x"}}),
                 id="gemeente-not-a-cbs-code"),
    pytest.param(lambda d: d.update(rules=[r for r in d["rules"]
                                           if r["id"] != "W-hulpofficier-mandaat"]),
                 id="mandate-without-effect"),
    pytest.param(lambda d: d["gemeenten"]["GM0606"].update(mandates=[
        {"organisation": "politie-rotterdam", "commands": ["ImposeHuisverbod"],
         "valid_from": "2020-01-01"}]), id="mandate-without-id"),
    pytest.param(lambda d: d["gemeenten"]["GM0606"].update(mandates=[_mandate(
        "m-1", valid_from="2025-01-01", valid_until="2024-01-01")]),
        id="mandate-ends-before-it-starts"),
    pytest.param(lambda d: d["gemeenten"]["GM0606"].update(mandates=[_mandate(
        "mandaat-gm0599-huisverbod-2020")]), id="mandate-id-not-unique"),
    pytest.param(lambda d: d["gemeenten"]["GM0606"].update(mandates=[_mandate(
        "m-1", valid_from="the first of January")]), id="mandate-date-malformed"),
    pytest.param(lambda d: d["regions"]["hollands-midden"].update(
        overrides={"remove": ["R-no-such-rule"]}), id="remove-unknown-rule"),
    pytest.param(lambda d: d.pop("version"), id="malformed"),
])
def test_inconsistent_policy_data_is_refused(mutate: Any) -> None:
    data = _data()
    mutate(data)
    with pytest.raises(InvalidAuthorityPolicy) as raised:
        load_policy(data)
    assert raised.value.code == "INVALID_AUTHORITY_POLICY"
