"""Property tests of command authority: random actors × every command × random facts.

The oracle below reads the policy's YAML form directly (roles and groups, regional add and
remove, relations, conditions) and is written without ``decide``: the two must agree on every
input. Whatever a region's override says, a statutory command is never granted outside its
holder, and an auditor is never granted anything.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from importlib import resources
from types import SimpleNamespace
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hgkm_workflow.access.models import Access, Purpose, Verdict
from hgkm_workflow.access.policy import CaseFacts as AccessFacts
from hgkm_workflow.access.policy import decide as decide_access
from hgkm_workflow.authority import (
    CommandFacts,
    InvalidAuthorityPolicy,
    Relation,
    StatutoryTaskOverride,
    case_facts,
    decide,
    default_policy,
    load_policy,
)
from hgkm_workflow.commands import Actor
from hgkm_workflow.domain.mandate import HuisverbodMandate
from hgkm_workflow.vocabulary import ActorRole

RAW: dict[str, Any] = yaml.safe_load(
    resources.files("hgkm_workflow").joinpath("data/authority/policy.yaml").read_text("utf-8"))
POLICY = default_policy()
COMMANDS = sorted(RAW["commands"])
RESERVED = {name: c["reserved"] for name, c in RAW["commands"].items() if c.get("reserved")}
ORGS = ["vt-rotterdam-rijnmond", "vt-hollands-midden", "vt-utrecht", "wijkteam-noord",
        "wijkteam-zuid", "gemeente-rotterdam", "gemeente-leiden", "politie-rotterdam",
        "mda-rotterdam", "hgkm", "zorg-1"]
REGIONS = [None, "rotterdam-rijnmond", "hollands-midden", "arnhem-achterhoek", "utrecht"]
GEMEENTEN = [None, "GM0599", "GM0546", "GM0344", "GM9999"]
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

orgs = st.frozensets(st.sampled_from(ORGS), max_size=4)
maybe_org = st.none() | st.sampled_from(ORGS)
actors = st.builds(lambda role, org: Actor(actor_id="a-1", organisation=org, role=role),
                   st.sampled_from(list(ActorRole)), st.sampled_from(ORGS))
command_names = st.sampled_from([*COMMANDS, "NoSuchCommand"])


@st.composite
def attempts(draw: st.DrawFn) -> tuple[Actor, str]:
    """An actor and a command; half the time in a role one of the command's rules names."""
    command = draw(command_names)
    rules = POLICY.rules_for(command, None) + tuple(
        r for o in POLICY.overrides.values() for r in o.added if command in r.commands)
    if rules and draw(st.booleans()):
        rule = draw(st.sampled_from(rules))
        role = draw(st.sampled_from(sorted(rule.roles)))
        return Actor(actor_id="a-2", organisation=draw(st.sampled_from(ORGS)), role=role), command
    return draw(actors), command
def _mandate() -> HuisverbodMandate:
    """A mandate as the facts carry it (already resolved to those in force)."""
    return HuisverbodMandate(mandate_id="mandaat-x", gemeente="GM0599",
                             organisation="politie-x", commands=frozenset({"ImposeHuisverbod"}),
                             valid_from=datetime(2020, 1, 1, tzinfo=UTC))


random_facts = st.builds(
    CommandFacts, region=st.sampled_from(REGIONS), gemeente=st.sampled_from(GEMEENTEN),
    vt_organisations=orgs, politie_organisations=orgs, mda_kernteam_organisations=orgs,
    burgemeester_organisation=maybe_org,
    mandates=st.dictionaries(st.tuples(st.sampled_from(COMMANDS), st.sampled_from(ORGS)),
                             st.builds(_mandate), max_size=3),
    system_organisations=orgs, regisseur_organisation=maybe_org,
    handover_receiver_organisation=maybe_org, mda_escalated=st.booleans(),
    involved_organisations=orgs)


def _regie(org: str | None) -> dict[str, str] | None:
    return None if org is None else {"actor_id": "x", "organisation": org,
                                     "organisation_type": "lokaal_team"}


@st.composite
def fake_cases(draw: st.DrawFn) -> SimpleNamespace:
    regisseur = draw(maybe_org)
    offered = draw(maybe_org) if regisseur is not None else None
    state = "unassigned" if regisseur is None else (
        "handover_offered" if offered is not None else "assigned")
    return SimpleNamespace(
        region=draw(st.sampled_from(REGIONS[1:])), gemeente=draw(st.sampled_from(GEMEENTEN[1:])),
        mda_state=draw(st.sampled_from(["not_escalated", "escalated", "returned"])),
        regie={"state": state, "regisseur": _regie(regisseur), "offered_to": _regie(offered)})


# ------------------------------------------------------------------ the oracle


def _holds(relation: str, org: str, command: str, facts: CommandFacts) -> bool:
    receiver = facts.handover_receiver_organisation
    return {
        "veilig_thuis": org in facts.vt_organisations,
        "regisseur": org == facts.regisseur_organisation,
        "handover_sender": receiver is not None and org == facts.regisseur_organisation,
        "handover_receiver": receiver is not None and org == receiver,
        "mda_kernteam": facts.mda_escalated and org in facts.mda_kernteam_organisations,
        "involved": org in facts.involved_organisations,
        "politie": org in facts.politie_organisations,
        "burgemeester": org == facts.burgemeester_organisation,
        "mandated": (command, org) in facts.mandates,
        "system": org in facts.system_organisations,
    }[relation]


def oracle(raw: dict[str, Any], actor: Actor, command: str, facts: CommandFacts) -> bool:
    """Whether some rule of the YAML data grants the command (read straight from the data)."""
    if actor.role.value == "auditor" or command not in raw["commands"]:
        return False
    region = (raw.get("regions") or {}).get(facts.region) if facts.region else None
    override = (region or {}).get("overrides") or {}
    removed = set(override.get("remove") or ())
    rules = [r for r in raw["rules"] if r["id"] not in removed] + list(override.get("add") or ())
    groups = raw.get("role_groups") or {}
    for rule in rules:
        roles = {role for name in rule["roles"] for role in groups.get(name, [name])}
        if command not in rule["commands"] or actor.role.value not in roles:
            continue
        if "no_regisseur" in (rule.get("when") or ()) and facts.regisseur_organisation:
            continue
        if _holds(rule["relation"], actor.organisation, command, facts):
            return True
    return False


def _holder_only(actor: Actor, command: str, facts: CommandFacts) -> bool:
    org = actor.organisation
    holder = RESERVED.get(command)
    if holder == "veilig_thuis":
        return org in facts.vt_organisations
    if holder == "burgemeester":
        return org == facts.burgemeester_organisation or (command, org) in facts.mandates
    if holder == "system":
        return org in facts.system_organisations or org == facts.burgemeester_organisation
    return True


# ------------------------------------------------------------------ properties


@SETTINGS
@given(attempts(), random_facts)
def test_granted_exactly_when_a_rule_of_the_data_allows_it(
        attempt: tuple[Actor, str], facts: CommandFacts) -> None:
    actor, command = attempt
    decision = decide(actor, command, facts, POLICY)
    event("granted" if decision.granted else "refused")
    assert decision.granted == oracle(RAW, actor, command, facts)
    if decision.granted:
        assert decision.rule in decision.candidates


@SETTINGS
@given(attempts(), fake_cases())
def test_facts_built_from_cases_agree_with_the_oracle(
        attempt: tuple[Actor, str], case: SimpleNamespace) -> None:
    actor, command = attempt
    facts = case_facts(case, POLICY.tables)
    granted = decide(actor, command, facts, POLICY).granted
    event("granted" if granted else "refused")
    assert granted == oracle(RAW, actor, command, facts)
    assert facts.handover_pending == (case.regie["state"] == "handover_offered")


@SETTINGS
@given(st.sampled_from(COMMANDS), random_facts, st.sampled_from(ORGS))
def test_an_auditor_is_never_granted_a_command(
        command: str, facts: CommandFacts, org: str) -> None:
    auditor = Actor(actor_id="au-1", organisation=org, role=ActorRole.AUDITOR)
    decision = decide(auditor, command, facts, POLICY)
    assert not decision.granted and decision.rule == "auditor-reads-only"


REGIONAL = sorted(name for name, c in RAW["commands"].items() if c["kind"] == "R")
_rule_specs = st.lists(st.tuples(
    st.lists(st.sampled_from(REGIONAL) | st.sampled_from(COMMANDS), min_size=1, max_size=3,
             unique=True),
    st.lists(st.sampled_from([r.value for r in ActorRole]), min_size=1, max_size=3, unique=True),
    st.sampled_from([r.value for r in Relation])), max_size=3)
#: Actors in the roles of the statutory rules, from any organisation (the interesting cases).
HOLDER_ROLES = sorted({role for r in POLICY.rules for role in r.roles
                       if r.commands & set(RESERVED)})
holder_role_actors = actors | st.builds(
    lambda role, org: Actor(actor_id="a-3", organisation=org, role=role),
    st.sampled_from(HOLDER_ROLES), st.sampled_from(ORGS))
_removals = st.lists(st.sampled_from([r["id"] for r in RAW["rules"]]), max_size=2, unique=True)


@SETTINGS
@given(st.sampled_from(REGIONS[1:]), _rule_specs, _removals, holder_role_actors, random_facts)
def test_whatever_a_region_overrides_statutory_tasks_stay_with_their_holder(
        region: str, specs: list[tuple[list[str], list[str], str]], removed: list[str],
        actor: Actor, facts: CommandFacts) -> None:
    data = copy.deepcopy(RAW)
    added = [{"id": f"R-gen-{i}", "commands": cmds, "roles": roles, "relation": relation,
              "why": "generated", "source": "generated"}
             for i, (cmds, roles, relation) in enumerate(specs)]
    data["regions"].setdefault(region, {"veilig_thuis": [f"vt-{region}"]})["overrides"] = {
        "add": added, "remove": removed}
    by_id = {r["id"]: r for r in RAW["rules"]}
    touched = {c for r in added for c in r["commands"]} | {
        c for rid in removed for c in by_id[rid]["commands"]}
    kinds = {RAW["commands"][c]["kind"] for c in touched}
    try:
        policy = load_policy(data)
    except StatutoryTaskOverride:
        event("refused: statutory task")
        assert "W" in kinds
        return
    except InvalidAuthorityPolicy:
        event("refused: not regional, or an auditor")
        assert kinds - {"R"} or any("auditor" in r["roles"] for r in added)
        return
    event("loaded")
    assert kinds <= {"R"}
    facts = CommandFacts(**{**facts.__dict__, "region": region})
    for command in COMMANDS:
        decision = decide(actor, command, facts, policy)
        assert decision.granted == oracle(data, actor, command, facts)
        if decision.granted:
            event("granted on the overridden policy")
            assert _holder_only(actor, command, facts)


@SETTINGS
@given(actors, fake_cases())
def test_an_uninvolved_organisation_may_neither_decide_nor_read(
        actor: Actor, case: SimpleNamespace) -> None:
    facts = case_facts(case, POLICY.tables)
    related = (facts.vt_organisations | facts.politie_organisations
               | facts.mda_kernteam_organisations | facts.system_organisations
               | facts.involved_organisations | {o for _, o in facts.mandates}
               | {facts.burgemeester_organisation, facts.handover_receiver_organisation})
    if actor.organisation in related or actor.role in (ActorRole.AUDITOR,
                                                       ActorRole.BURGEMEESTER):
        event("related")
        return
    event("uninvolved")
    assert not any(decide(actor, c, facts, POLICY).granted for c in COMMANDS)
    access = AccessFacts(region=case.region, regie_organisation=facts.regisseur_organisation,
                         offered_to_organisation=facts.handover_receiver_organisation,
                         mda_escalated=facts.mda_escalated)
    for purpose in Purpose:
        if purpose is not Purpose.EMERGENCY:
            verdict = decide_access(Access(actor=actor, purpose=purpose), access).verdict
            assert verdict is Verdict.REFUSED
