"""A region's deadline rules: the national rule book with the region's overrides, from data.

``hgkm_workflow/data/regions/deadlines/<region>.yaml`` lists, per rule id, a
:class:`~hgkm_workflow.domain.rulebook.RuleOverride` and the source it rests on. A region
without a file has the national rule book. Statutory rules refuse what the law fixes
(``STATUTORY_RULE_NOT_OVERRIDABLE``), exactly as an override given in code does.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from hgkm_workflow.domain.rulebook import RuleBook, RuleOverride, default_rulebook
from hgkm_workflow.errors import RuleViolation

__all__ = ["region_override_files", "regional_rulebook", "rulebook_from_data"]


def _folder() -> Any:
    return resources.files("hgkm_workflow").joinpath("data", "regions", "deadlines")


def region_override_files() -> list[str]:
    """The regions that ship deadline-rule overrides, sorted."""
    return sorted(p.name.removesuffix(".yaml") for p in _folder().iterdir()
                  if p.name.endswith(".yaml"))


def rulebook_from_data(data: dict[str, Any], base: RuleBook | None = None) -> RuleBook:
    """The rule book ``base`` (default national) with the overrides of one region's data.

    Raises:
        RuleViolation: ``INVALID_RULE`` when an override names no source or is malformed;
            ``UNKNOWN_RULE`` / ``STATUTORY_RULE_NOT_OVERRIDABLE`` as ``with_overrides``.
    """
    region = str(data.get("region") or "")
    overrides: dict[str, RuleOverride] = {}
    for rule_id, raw in (data.get("overrides") or {}).items():
        fields = dict(raw or {})
        if not str(fields.pop("source", "") or "").strip():
            raise RuleViolation(f"override of {rule_id} for region {region} names no source",
                                rule="data/regions/deadlines", code="INVALID_RULE")
        try:
            overrides[str(rule_id)] = RuleOverride.model_validate(fields)
        except ValueError:
            raise RuleViolation(f"override of {rule_id} for region {region} is malformed",
                                rule="data/regions/deadlines", code="INVALID_RULE") from None
    book = base if base is not None else default_rulebook()
    return book.with_overrides(overrides, variant=f"region:{region}")


def regional_rulebook(region: str) -> RuleBook:
    """The rule book of ``region``: national, with the overrides its data file ships."""
    if region not in region_override_files():
        return default_rulebook()
    text = _folder().joinpath(f"{region}.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text) or {}
    if data.get("region") != region:
        raise RuleViolation(f"deadline overrides file of {region} names another region",
                            rule="data/regions/deadlines", code="INVALID_RULE")
    return rulebook_from_data(data)
