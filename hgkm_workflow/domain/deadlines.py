"""Statutory and agreed time limits: one import for due instants, the rule book, explanations.

The parts live in their own modules: the rule data (T1-T11) in
:mod:`~hgkm_workflow.domain.deadline_rules`, computing due instants in
:mod:`~hgkm_workflow.domain.due`, the rule book with regional overrides in
:mod:`~hgkm_workflow.domain.rulebook`, and :func:`explain` and the rules page in
:mod:`~hgkm_workflow.domain.rules_text`. This module re-exports them, so
``from hgkm_workflow.domain.deadlines import RuleBook`` keeps working.
"""

from __future__ import annotations

from hgkm_workflow.domain.deadline_rules import BreachEffect, DeadlineRule, RuleType, Unit
from hgkm_workflow.domain.due import DueComputation, checkpoint_dues, compute_due, lateness
from hgkm_workflow.domain.rulebook import RuleBook, RuleOverride, default_rulebook
from hgkm_workflow.domain.rules_text import explain, render_rules_markdown

__all__ = [
    "BreachEffect",
    "DeadlineRule",
    "DueComputation",
    "RuleBook",
    "RuleOverride",
    "RuleType",
    "Unit",
    "checkpoint_dues",
    "compute_due",
    "default_rulebook",
    "explain",
    "lateness",
    "render_rules_markdown",
]
