"""The authority policy as loaded: commands, national rules, regional overrides, tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hgkm_workflow.authority.models import CommandAuthority, Rule
from hgkm_workflow.authority.tables import PolicyTables


@dataclass(frozen=True)
class RegionOverride:
    """How one region widens (``added`` rules) or narrows (``removed`` rule ids) the policy.

    Only commands of kind R may be touched; the loader refuses anything else.
    """

    added: tuple[Rule, ...] = ()
    removed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AuthorityPolicy:
    """Who may give which command: validated when built (see :mod:`.loading`).

    Attributes:
        version: The policy data's version (named in every decision).
        commands: Every known command by class name.
        rules: The national rules, in the order they are tried.
        overrides: Regional overrides by region code.
        tables: Region and gemeente tables.
        role_groups: The role groups the data names rules by (for the docs).
    """

    version: int
    commands: Mapping[str, CommandAuthority]
    rules: tuple[Rule, ...]
    overrides: Mapping[str, RegionOverride] = field(default_factory=dict)
    tables: PolicyTables = field(default_factory=PolicyTables)
    role_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: ``rules_for`` answers, per (command, region). The policy is immutable once built, so
    #: the memo lives and dies with this instance: a changed policy is a new instance.
    _rules_memo: dict[tuple[str, str | None], tuple[Rule, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def rules_for(self, command: str, region: str | None) -> tuple[Rule, ...]:
        """The rules that may grant ``command`` in ``region`` (national, then regional)."""
        key = (command, region)
        found = self._rules_memo.get(key)
        if found is None:
            found = self._rules_memo[key] = self._find_rules(command, region)
        return found

    def _find_rules(self, command: str, region: str | None) -> tuple[Rule, ...]:
        override = self.overrides.get(region) if region is not None else None
        removed = override.removed if override is not None else frozenset()
        national = tuple(r for r in self.rules if command in r.commands and r.id not in removed)
        added = tuple(r for r in (override.added if override else ()) if command in r.commands)
        return national + added
