"""Who may give a command: a pure decision from the actor, the command's name and the facts.

:func:`decide` reads no database and no clock: the application loads the case, builds its
:class:`~.facts.CommandFacts` and asks. Auditors are refused every command; a command the
policy does not know is refused (closed world); otherwise the first rule of the command in
the case's region whose roles, relation and conditions hold grants it. :func:`require`
raises :class:`~.models.NotAuthorised` on a refusal.
"""

from __future__ import annotations

from hgkm_workflow.authority.book import AuthorityPolicy
from hgkm_workflow.authority.facts import CommandFacts
from hgkm_workflow.authority.loading import default_policy
from hgkm_workflow.authority.models import (
    AUDITOR_ROLE,
    AUDITOR_RULE,
    UNKNOWN_COMMAND_RULE,
    AuthorityDecision,
    Condition,
    NotAuthorised,
    Relation,
    Rule,
)
from hgkm_workflow.commands import Actor

__all__ = ["allowed_commands", "decide", "related", "require"]


def related(relation: Relation, organisation: str, command_name: str,
            facts: CommandFacts) -> bool:
    """Whether ``organisation`` has ``relation`` to the case the facts describe."""
    match relation:
        case Relation.VEILIG_THUIS:
            return organisation in facts.vt_organisations
        case Relation.REGISSEUR:
            return organisation == facts.regisseur_organisation
        case Relation.HANDOVER_SENDER:
            return facts.handover_pending and organisation == facts.handover_sender_organisation
        case Relation.HANDOVER_RECEIVER:
            return facts.handover_pending and \
                organisation == facts.handover_receiver_organisation
        case Relation.MDA_KERNTEAM:
            return facts.mda_escalated and organisation in facts.mda_kernteam_organisations
        case Relation.INVOLVED:
            return organisation in facts.involved_organisations
        case Relation.POLITIE:
            return organisation in facts.politie_organisations
        case Relation.BURGEMEESTER:
            return facts.burgemeester_organisation is not None and \
                organisation == facts.burgemeester_organisation
        case Relation.MANDATED:  # a mandate in force for the gemeente at the business time
            return (command_name, organisation) in facts.mandates
        case Relation.SYSTEM:
            return organisation in facts.system_organisations


def _condition(condition: Condition, facts: CommandFacts) -> bool:
    match condition:
        case Condition.NO_REGISSEUR:
            return facts.regisseur_organisation is None


def _grants(rule: Rule, actor: Actor, command_name: str, facts: CommandFacts) -> bool:
    return (actor.role.value in rule.roles
            and related(rule.relation, actor.organisation, command_name, facts)
            and all(_condition(c, facts) for c in rule.when))


def decide(actor: Actor, command_name: str, facts: CommandFacts,
           policy: AuthorityPolicy | None = None) -> AuthorityDecision:
    """Decide whether ``actor`` may give the command ``command_name`` on the case.

    Args:
        actor: The actor the command carries (pseudonymous id, organisation, role).
        command_name: The command's class name, e.g. ``"CompleteVeiligheidsbeoordeling"``
            (or an administrative command: ``RotateCipherKey``, ``ApplyCalendar``, ``Tick``).
        facts: The case as the policy sees it (:mod:`hgkm_workflow.authority.facts`).
        policy: The policy (default: the shipped one).

    Returns:
        Granted with the rule that allowed it, or refused with the rule that decided: the
        command's first rule in the region, ``auditor-reads-only`` or ``unknown-command``.
    """
    pol = policy or default_policy()
    if command_name not in pol.commands:
        return AuthorityDecision(False, UNKNOWN_COMMAND_RULE, command_name, pol.version)
    candidates = pol.rules_for(command_name, facts.region)
    ids = tuple(r.id for r in candidates)
    if actor.role.value == AUDITOR_ROLE:
        return AuthorityDecision(False, AUDITOR_RULE, command_name, pol.version, ids)
    for rule in candidates:
        if _grants(rule, actor, command_name, facts):
            mandate = (facts.mandates.get((command_name, actor.organisation))
                       if rule.relation is Relation.MANDATED else None)
            return AuthorityDecision(True, rule.id, command_name, pol.version, ids, mandate)
    governing = ids[0] if ids else f"no rule for {command_name} in region {facts.region}"
    return AuthorityDecision(False, governing, command_name, pol.version, ids)


def require(actor: Actor, command_name: str, facts: CommandFacts,
            policy: AuthorityPolicy | None = None, *,
            case_id: str | None = None) -> AuthorityDecision:
    """Decide, and raise :class:`~.models.NotAuthorised` when refused.

    Raises:
        NotAuthorised: With the deciding rule as ``rule``; the message holds no personal data.
    """
    decision = decide(actor, command_name, facts, policy)
    if not decision.granted:
        raise NotAuthorised(decision, actor.actor_id, actor.organisation, actor.role.value,
                            case_id)
    return decision


def allowed_commands(actor: Actor, facts: CommandFacts,
                     policy: AuthorityPolicy | None = None) -> tuple[str, ...]:
    """The commands ``actor`` may give on the case the facts describe (for a UI or a test).

    The domain may still refuse one of them in the case's current state.
    """
    pol = policy or default_policy()
    return tuple(name for name in pol.commands if decide(actor, name, facts, pol).granted)
