"""Load and check the authority policy data; a policy that gives a statutory task away fails.

:func:`load_policy` turns the YAML/JSON form (``data/authority/policy.yaml``) into an
:class:`~.book.AuthorityPolicy` and refuses, with :class:`~.models.InvalidAuthorityPolicy`
(or its subclass :class:`~.models.StatutoryTaskOverride`), data that is malformed, names an
unknown command or role, grants an auditor a command, lets a region touch a command that is
not a regional task, or lets anyone but its holder give a reserved (statutory) command.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from hgkm_workflow.authority.book import AuthorityPolicy, RegionOverride
from hgkm_workflow.authority.models import (
    AUDITOR_ROLE,
    RESERVED_RELATIONS,
    CommandAuthority,
    Condition,
    InvalidAuthorityPolicy,
    Kind,
    Relation,
    Reserved,
    Rule,
    StatutoryTaskOverride,
)
from hgkm_workflow.authority.tables import GemeenteTable, PolicyTables, RegionTable
from hgkm_workflow.domain.mandate import MANDATABLE_COMMANDS, HuisverbodMandate
from hgkm_workflow.vocabulary import ActorRole

#: The roles a reserved command's rules may name: the holder's own roles.
RESERVED_ROLES: dict[Reserved, frozenset[str]] = {
    Reserved.VEILIG_THUIS: frozenset({ActorRole.VT_MEDEWERKER, ActorRole.VT_GEDRAGSWETENSCHAPPER}),
    Reserved.BURGEMEESTER: frozenset({ActorRole.BURGEMEESTER, ActorRole.POLITIE}),
    Reserved.SYSTEM: frozenset({ActorRole.SCHEDULER, ActorRole.SYSTEM, ActorRole.BURGEMEESTER}),
}
_GEMEENTE = re.compile(r"^GM\d{4}$")
_AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_ROLES = frozenset(r.value for r in ActorRole)


@cache
def default_policy() -> AuthorityPolicy:
    """The documented default policy shipped with the library (loaded and checked once)."""
    path = resources.files("hgkm_workflow").joinpath("data/authority/policy.yaml")
    return load_policy(yaml.safe_load(path.read_text("utf-8")))


def load_policy(data: dict[str, Any]) -> AuthorityPolicy:
    """Build and check a policy from its YAML/JSON form.

    Raises:
        InvalidAuthorityPolicy: The data is malformed or inconsistent.
        StatutoryTaskOverride: A statutory task or power would be given to someone else.
    """
    try:
        policy = _parse(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidAuthorityPolicy(
            f"authority policy data is malformed ({type(exc).__name__}: {exc})") from None
    _check(policy, data)
    return policy


def _parse(data: dict[str, Any]) -> AuthorityPolicy:
    groups = {name: [str(r) for r in roles] for name, roles in
              (data.get("role_groups") or {}).items()}
    commands = {name: CommandAuthority(
        name=name, kind=Kind(c["kind"]),
        reserved=Reserved(c["reserved"]) if c.get("reserved") else None,
        purpose=c.get("purpose")) for name, c in data["commands"].items()}
    rules = tuple(_rule(r, groups, None) for r in data["rules"])
    overrides: dict[str, RegionOverride] = {}
    regions: dict[str, RegionTable] = {}
    for code, region in (data.get("regions") or {}).items():
        regions[code] = RegionTable(
            veilig_thuis=frozenset(region.get("veilig_thuis") or ()),
            mda_kernteam=frozenset(region.get("mda_kernteam") or ()),
            politie=frozenset(region.get("politie") or ()))
        found = region.get("overrides")
        if found:
            overrides[code] = RegionOverride(
                added=tuple(_rule(r, groups, code) for r in found.get("add") or ()),
                removed=frozenset(found.get("remove") or ()))
    gemeenten = {code: GemeenteTable(
        burgemeester=g["burgemeester"],
        mandates=tuple(_mandate(code, m) for m in g.get("mandates") or ()))
        for code, g in (data.get("gemeenten") or {}).items()}
    tables = PolicyTables(regions=regions, gemeenten=gemeenten,
                          system_organisations=frozenset(data.get("system_organisations") or ()))
    return AuthorityPolicy(version=int(data["version"]), commands=commands, rules=rules,
                           overrides=overrides, tables=tables,
                           role_groups={name: tuple(roles) for name, roles in groups.items()})


def _instant(value: Any, what: str) -> datetime:
    """A validity boundary: a date is the start of that day in Amsterdam; instants are aware."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidAuthorityPolicy(f"{what} is an instant without a time zone")
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0), _AMSTERDAM).astimezone(UTC)
    if isinstance(value, str):
        return _instant(date.fromisoformat(value) if len(value) == 10
                        else datetime.fromisoformat(value), what)
    raise InvalidAuthorityPolicy(f"{what} is not a date")


def _mandate(gemeente: str, data: dict[str, Any]) -> HuisverbodMandate:
    mandate_id = str(data["id"])
    until = data.get("valid_until")
    return HuisverbodMandate(
        mandate_id=mandate_id, gemeente=gemeente, organisation=str(data["organisation"]),
        commands=frozenset(str(c) for c in data["commands"]),
        valid_from=_instant(data["valid_from"], f"mandate {mandate_id} valid_from"),
        valid_until=(_instant(until, f"mandate {mandate_id} valid_until")
                     if until is not None else None),
        source=str(data.get("source") or ""))


def _rule(data: dict[str, Any], groups: dict[str, list[str]], region: str | None) -> Rule:
    roles: set[str] = set()
    for name in data["roles"]:
        if name in groups:
            roles.update(groups[name])
        elif name in _ROLES:
            roles.add(name)
        else:
            raise InvalidAuthorityPolicy(f"rule {data['id']} names an unknown role or group "
                                         f"'{name}'")
    return Rule(id=str(data["id"]), commands=frozenset(data["commands"]),
                roles=frozenset(roles), relation=Relation(data["relation"]),
                when=frozenset(Condition(c) for c in data.get("when") or ()),
                why=str(data["why"]), source=str(data["source"]), region=region,
                written_roles=tuple(str(n) for n in data["roles"]))


def _check(policy: AuthorityPolicy, data: dict[str, Any]) -> None:
    ids = [r.id for r in policy.rules] + [r.id for o in policy.overrides.values()
                                          for r in o.added]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InvalidAuthorityPolicy("rule ids are not unique: " + ", ".join(duplicates))
    for name, command in policy.commands.items():
        if (command.kind is Kind.STATUTORY) != (command.reserved is not None):
            raise InvalidAuthorityPolicy(f"{name}: a command is reserved exactly when its "
                                         "kind is W")
    for rule in policy.rules:
        _check_rule(policy, rule)
    for name, command in policy.commands.items():
        if command.reserved is not None and not policy.rules_for(name, None):
            raise StatutoryTaskOverride(f"{name} is a statutory task of "
                                        f"{command.reserved.value} and has no rule")
    for region, override in policy.overrides.items():
        _check_override(policy, region, override)
    _check_tables(policy, data.get("naming") or {})


def _check_rule(policy: AuthorityPolicy, rule: Rule) -> None:
    if AUDITOR_ROLE in rule.roles:
        raise InvalidAuthorityPolicy(f"rule {rule.id} grants an auditor a command; "
                                     "auditors read, they do not decide")
    if not rule.commands or not rule.roles:
        raise InvalidAuthorityPolicy(f"rule {rule.id} names no command or no role")
    for name in sorted(rule.commands):
        command = policy.commands.get(name)
        if command is None:
            raise InvalidAuthorityPolicy(f"rule {rule.id} names an unknown command {name}")
        if command.reserved is not None:
            relations = RESERVED_RELATIONS[command.reserved]
            if rule.relation not in relations or not rule.roles <= RESERVED_ROLES[
                    command.reserved]:
                raise StatutoryTaskOverride(
                    f"rule {rule.id} gives {name}, a statutory task of "
                    f"{command.reserved.value}, to {rule.relation.value} "
                    f"({', '.join(sorted(rule.roles))})")
        if not rule.id.startswith(f"{command.kind.value}-"):
            raise InvalidAuthorityPolicy(f"rule {rule.id} grants {name} of kind "
                                         f"{command.kind.value}; its id starts with that kind")


def _check_override(policy: AuthorityPolicy, region: str, override: RegionOverride) -> None:
    national = {r.id: r for r in policy.rules}
    for rule_id in sorted(override.removed):
        if rule_id not in national:
            raise InvalidAuthorityPolicy(f"region {region} removes an unknown rule {rule_id}")
        _regional_only(policy, region, national[rule_id].commands, f"removes {rule_id}")
    for rule in override.added:
        _regional_only(policy, region, rule.commands, f"adds {rule.id}")
        _check_rule(policy, rule)


def _regional_only(policy: AuthorityPolicy, region: str, commands: frozenset[str],
                   what: str) -> None:
    for name in sorted(commands):
        command = policy.commands.get(name)
        if command is None:
            raise InvalidAuthorityPolicy(f"region {region} {what}: unknown command {name}")
        if command.reserved is not None:
            raise StatutoryTaskOverride(
                f"region {region} {what}: {name} is a statutory task of "
                f"{command.reserved.value} and cannot be overridden")
        if command.kind is not Kind.REGIONAL:
            raise InvalidAuthorityPolicy(
                f"region {region} {what}: {name} is of kind {command.kind.value}, "
                "not a regional task")


def _check_tables(policy: AuthorityPolicy, naming: dict[str, str]) -> None:
    vt = re.compile(naming.get("veilig_thuis", "^vt-"))
    bm = re.compile(naming.get("burgemeester", "^gemeente-"))
    for region, table in policy.tables.regions.items():
        if not table.veilig_thuis:
            raise InvalidAuthorityPolicy(f"region {region} names no Veilig Thuis")
        for org in sorted(table.veilig_thuis):
            if not vt.search(org):
                raise StatutoryTaskOverride(
                    f"region {region} names {org} as Veilig Thuis; Veilig Thuis organisations "
                    f"are named {vt.pattern}")
    mandated = {name for r in policy.rules if r.relation is Relation.MANDATED
                for name in r.commands}
    for code, gemeente in policy.tables.gemeenten.items():
        if not _GEMEENTE.match(code):
            raise InvalidAuthorityPolicy(f"gemeente {code} is not a CBS code (GMnnnn)")
        if not bm.search(gemeente.burgemeester):
            raise StatutoryTaskOverride(
                f"gemeente {code} names {gemeente.burgemeester} as its burgemeester; "
                f"burgemeester organisations are named {bm.pattern}")
        _check_mandates(code, gemeente, mandated)
    ids = [m.mandate_id for g in policy.tables.gemeenten.values() for m in g.mandates]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InvalidAuthorityPolicy("mandate ids are not unique: " + ", ".join(duplicates))


def _check_mandates(code: str, gemeente: GemeenteTable, mandated: set[str]) -> None:
    """A mandate covers only what the law lets a burgemeester mandate, for a real period."""
    for mandate in gemeente.mandates:
        for command in sorted(mandate.commands):
            if command not in MANDATABLE_COMMANDS:
                raise StatutoryTaskOverride(
                    f"gemeente {code} mandate {mandate.mandate_id} covers {command}; the "
                    "burgemeester may mandate only the imposition (Wet tijdelijk huisverbod "
                    "art. 3 lid 1): extending and revoking stay with the burgemeester")
            if command not in mandated:
                raise InvalidAuthorityPolicy(
                    f"gemeente {code} records a mandate for {command}, which no rule lets a "
                    "mandated organisation give")
        if not mandate.commands:
            raise InvalidAuthorityPolicy(f"mandate {mandate.mandate_id} covers no command")
        if mandate.valid_until is not None and mandate.valid_until <= mandate.valid_from:
            raise InvalidAuthorityPolicy(f"mandate {mandate.mandate_id} ends before it starts")
