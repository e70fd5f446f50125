"""The rule book: the deadline rules in force, with regional overrides.

Statutory (W) rules keep what the law says: a region may change only their check-points or
choose a documented alternative start; everything else is refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from hgkm_workflow.domain.deadline_rules import NATIONAL_RULES, DeadlineRule, RuleType
from hgkm_workflow.errors import RuleViolation


class RuleOverride(BaseModel):
    """A regional change to one rule; fields left None keep the rule's value.

    For statutory (W) rules only ``checkpoints`` and a documented alternative ``counts_from``
    may change; everything else raises ``STATUTORY_RULE_NOT_OVERRIDABLE``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    length: int | None = None
    checkpoints: tuple[int, ...] | None = None
    enabled: bool | None = None
    counts_from: str | None = None
    atw_extends: bool | None = None
    counts_start_day: bool | None = None


def _check_statutory(rule: DeadlineRule, changes: Mapping[str, object]) -> None:
    """Refuse overrides that would change what the law says (W rules)."""
    refused = [
        field
        for field, value in changes.items()
        if field in {"length", "atw_extends", "counts_start_day", "enabled"}
        or (field == "counts_from" and value not in (*rule.alternative_counts_from, rule.starts_on))
    ]
    if refused:
        raise RuleViolation(
            f"{rule.id} ({rule.name}) is a statutory rule: a region may not change "
            f"{', '.join(sorted(refused))} (only check-points or a documented alternative start)",
            rule=f"{rule.id} {rule.name}",
            code="STATUTORY_RULE_NOT_OVERRIDABLE",
        )


@dataclass(frozen=True, slots=True)
class RuleBook:
    """An immutable, ordered set of deadline rules with unique ids and names."""

    rules: tuple[DeadlineRule, ...]

    def __post_init__(self) -> None:
        keys = [r.id for r in self.rules] + [r.name for r in self.rules]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise RuleViolation(
                f"duplicate rule ids or names: {duplicates}", rule="rulebook", code="INVALID_RULE"
            )

    def __iter__(self) -> Iterator[DeadlineRule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, id_or_name: str) -> DeadlineRule:
        """Return the rule with this id ("T1") or name ("veiligheidsbeoordeling").

        Raises:
            RuleViolation: ``UNKNOWN_RULE`` if there is no such rule.
        """
        for rule in self.rules:
            if id_or_name in (rule.id, rule.name):
                return rule
        raise RuleViolation(
            f"unknown rule '{id_or_name}'; known: {', '.join(r.name for r in self.rules)}",
            rule="rulebook",
            code="UNKNOWN_RULE",
        )

    def starting_on(self, event_name: str, *, include_disabled: bool = False) -> list[DeadlineRule]:
        """Rules that open a deadline when ``event_name`` happens (enabled ones by default)."""
        return [
            r for r in self.rules if r.starts_on == event_name and (r.enabled or include_disabled)
        ]

    def satisfied_by(
        self, event_name: str, *, include_disabled: bool = False
    ) -> list[DeadlineRule]:
        """Rules whose deadlines ``event_name`` closes (enabled ones by default)."""
        return [
            r
            for r in self.rules
            if event_name in r.satisfied_by and (r.enabled or include_disabled)
        ]

    def with_overrides(
        self, overrides: Mapping[str, RuleOverride], *, variant: str = "regional"
    ) -> RuleBook:
        """Return a new rule book with regional overrides applied.

        Each changed rule gets ``version + 1`` and ``variant``; rules whose values do not
        change are kept as they are.

        Args:
            overrides: Rule id or name -> override.
            variant: Who overrides, e.g. "region:rotterdam-rijnmond".

        Raises:
            RuleViolation: ``UNKNOWN_RULE`` for an unknown key; ``STATUTORY_RULE_NOT_OVERRIDABLE``
                when a W rule would be shortened, lengthened, disabled or lose Atw run-on (or
                change its counting otherwise); ``INVALID_RULE`` if the result is inconsistent.
        """
        replaced: dict[str, DeadlineRule] = {}
        for key, override in overrides.items():
            rule = replaced.get(self.get(key).id, self.get(key))
            changes = {
                field: value
                for field, value in override.model_dump(exclude_none=True).items()
                if getattr(rule, field) != value
            }
            if not changes:
                continue
            if rule.rule_type is RuleType.STATUTORY:
                _check_statutory(rule, changes)
            replaced[rule.id] = dataclasses.replace(
                rule, **changes, version=rule.version + 1, variant=variant
            )
        return RuleBook(tuple(replaced.get(r.id, r) for r in self.rules))


def default_rulebook() -> RuleBook:
    """Return the national rule book (T1-T12)."""
    return RuleBook(NATIONAL_RULES)
