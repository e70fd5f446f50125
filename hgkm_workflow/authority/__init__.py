"""Command authority: who may give which command on which case, as data (issue 13).

The policy (``data/authority/policy.yaml``, documented in ``docs/authority.md``) is loaded and
checked once (:func:`default_policy`); :func:`decide` is a pure function of the actor, the
command's name and the :class:`CommandFacts` of the case; :func:`require` raises
:class:`NotAuthorised`. Statutory tasks cannot be given away by configuration
(:class:`StatutoryTaskOverride` when the policy is loaded).
"""

from hgkm_workflow.authority.book import AuthorityPolicy, RegionOverride
from hgkm_workflow.authority.facts import (
    CaseLike,
    CommandFacts,
    case_facts,
    facts_without_case,
    intake_facts,
)
from hgkm_workflow.authority.loading import default_policy, load_policy
from hgkm_workflow.authority.models import (
    ADMINISTRATIVE_COMMANDS,
    AuthorityDecision,
    CommandAuthority,
    Condition,
    InvalidAuthorityPolicy,
    Kind,
    NotAuthorised,
    Relation,
    Reserved,
    Rule,
    StatutoryTaskOverride,
)
from hgkm_workflow.authority.policy import allowed_commands, decide, related, require
from hgkm_workflow.authority.render import render_markdown
from hgkm_workflow.authority.tables import GemeenteTable, PolicyTables, RegionTable

__all__ = [
    "ADMINISTRATIVE_COMMANDS",
    "AuthorityDecision",
    "AuthorityPolicy",
    "CaseLike",
    "CommandAuthority",
    "CommandFacts",
    "Condition",
    "GemeenteTable",
    "InvalidAuthorityPolicy",
    "Kind",
    "NotAuthorised",
    "PolicyTables",
    "RegionOverride",
    "RegionTable",
    "Relation",
    "Reserved",
    "Rule",
    "StatutoryTaskOverride",
    "allowed_commands",
    "case_facts",
    "decide",
    "default_policy",
    "facts_without_case",
    "intake_facts",
    "load_policy",
    "related",
    "render_markdown",
    "require",
]
