"""Command authority at the application's entry points: decide, log a refusal, refuse.

:class:`CommandGate` asks the authority policy (:mod:`hgkm_workflow.authority`) about every
command before anything is looked up or decided: a case command on the freshly loaded case
(inside the unit of work's retry loop, so a retry decides on the newest state), a command
that creates a case from its own region and gemeente (before the person lookup, which would
reveal whether the persons are known), an erasure request on the person's cases, and the
administrative commands (key rotation, calendar changes, the scheduler's tick) tied to no
case. A refusal is appended to the access log as a refused attempt on resource ``command``
with the deciding rule, then raised as :class:`~hgkm_workflow.authority.NotAuthorised`;
nothing is stored in the event store. A granted command gives no read: reads are decided by
the access policy on the stored case (:mod:`hgkm_workflow.application.read_gate`).

A case command is decided at its business time, so a hulpofficier's imposition is granted only
under a burgemeester's mandate in force then (the decision carries the mandate; the aggregate
checks it again and names it on the event). Organisations the host records as involved in a
case (an :data:`InvolvementSource`) count as "an organisation with an open involvement".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import NoReturn, TypeAlias
from uuid import UUID

from hgkm_workflow.access.guard import AccessGuard
from hgkm_workflow.access.models import Access, AccessDecision, Purpose, Resource, Verdict
from hgkm_workflow.authority import (
    AuthorityDecision,
    AuthorityPolicy,
    CaseLike,
    CommandFacts,
    NotAuthorised,
    case_facts,
    decide,
    default_policy,
    facts_without_case,
    intake_facts,
)
from hgkm_workflow.commands import Actor
from hgkm_workflow.vocabulary import ActorRole

__all__ = ["OPERATOR_ACTOR", "SCHEDULER_ACTOR", "CommandGate", "InvolvementSource"]

InvolvementSource: TypeAlias = Callable[[str], Iterable[str]]
"""``involved(case_id)``: the organisation codes the host records as having an open
involvement in the case (a hulpverlener, a gecertificeerde instelling, …), beside those the
case itself records (casusregisseur, Veilig Thuis of the region, the kernteam while
escalated). The host keeps them; the library reads them on every command on the case."""

#: The actor of the library's scheduler when the host names none (``tick``).
SCHEDULER_ACTOR = Actor(actor_id="hgkm-scheduler", organisation="hgkm",
                        role=ActorRole.SCHEDULER)

#: The actor of an operator's administrative command when the host names none.
OPERATOR_ACTOR = Actor(actor_id="hgkm-operator", organisation="hgkm", role=ActorRole.SYSTEM)


class CommandGate:
    """Decides every command with the authority policy and logs the refusals."""

    def __init__(self, guard: AccessGuard, now: Callable[[], datetime],
                 policy: AuthorityPolicy | None = None,
                 involvements: InvolvementSource | None = None) -> None:
        """Log refusals in ``guard``'s access log at ``now()``; decide with ``policy``.

        ``involvements`` gives the organisations the host records as involved in a case.
        """
        self.guard = guard
        self.now = now
        self.policy = policy or default_policy()
        self.involvements = involvements

    def facts(self, case: CaseLike, case_id: UUID | str,
              at: datetime | None = None) -> CommandFacts:
        """The case's facts for the policy, with the host's involvements, at business time."""
        involved = tuple(self.involvements(str(case_id))) if self.involvements else ()
        return case_facts(case, self.policy.tables, involved, at)

    def on_case(self, actor: Actor, command_name: str, case: CaseLike,
                case_id: UUID | str, at: datetime | None = None) -> AuthorityDecision:
        """Authorise a command on a loaded case, decided at business time ``at``.

        ``at`` selects the burgemeester's mandates in force (``None``: none are).

        Raises:
            NotAuthorised: The policy refuses (logged; nothing stored).
        """
        return self.settle(actor, command_name, self.facts(case, case_id, at), str(case_id))

    def intake(self, actor: Actor, command_name: str, region: str, gemeente: str | None,
               case_id: UUID | None = None) -> AuthorityDecision:
        """Authorise a command that creates (or names) a case from its own region and gemeente.

        Raises:
            NotAuthorised: The policy refuses (logged; nothing stored or looked up).
        """
        facts = intake_facts(region, gemeente, self.policy.tables)
        return self.settle(actor, command_name, facts,
                           str(case_id) if case_id is not None else None)

    def without_case(self, actor: Actor, command_name: str) -> AuthorityDecision:
        """Authorise a command tied to no case (administration, a person in no case).

        Raises:
            NotAuthorised: The policy refuses (logged).
        """
        return self.settle(actor, command_name, facts_without_case(self.policy.tables), None)

    def on_any_case(self, actor: Actor, command_name: str,
                    cases: Iterable[tuple[str, CaseLike]],
                    at: datetime | None = None) -> AuthorityDecision:
        """Authorise a command about a person: granted if it is granted on any of their cases.

        A person in no case is decided :meth:`without_case`.

        Raises:
            NotAuthorised: Refused on every case (logged once, without a case id).
        """
        refusal: AuthorityDecision | None = None
        for case_id, case in cases:
            decision = decide(actor, command_name, self.facts(case, case_id, at), self.policy)
            if decision.granted:
                return decision
            refusal = refusal or decision
        if refusal is None:
            return self.without_case(actor, command_name)
        self.refuse(actor, refusal, None)

    def settle(self, actor: Actor, command_name: str, facts: CommandFacts,
               case_id: str | None) -> AuthorityDecision:
        """Decide; on a refusal log it and raise :class:`NotAuthorised`."""
        decision = decide(actor, command_name, facts, self.policy)
        if not decision.granted:
            self.refuse(actor, decision, case_id)
        return decision

    def refuse(self, actor: Actor, decision: AuthorityDecision, case_id: str | None
               ) -> NoReturn:
        """Append the refused attempt to the access log, then raise :class:`NotAuthorised`."""
        authority = self.policy.commands.get(decision.command)
        purpose = Purpose(authority.purpose) if authority is not None and authority.purpose \
            else Purpose.ADMINISTRATION
        self.guard.record(self.now(), Access(actor=actor, purpose=purpose), Resource.COMMAND,
                          case_id, AccessDecision(verdict=Verdict.REFUSED,
                                                  rule=decision.log_rule))
        raise NotAuthorised(decision, actor.actor_id, actor.organisation, actor.role.value,
                            case_id)
