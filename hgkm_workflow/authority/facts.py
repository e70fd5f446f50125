"""What the authority policy needs to know about a case: ids and codes only.

:class:`CommandFacts` is built from a case by attribute access (:func:`case_facts`; the case
is typed against the small :class:`CaseLike` protocol, so this module imports only the phase
enums and not ``case.py``, and the domain imports nothing of it), from a command that creates a case
(:func:`intake_facts`), or for commands tied to no case (:func:`facts_without_case`). The
region and gemeente tables of the policy are resolved here, so :func:`~.policy.decide` reads
nothing but the actor, the command name and these facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from hgkm_workflow.authority.tables import PolicyTables
from hgkm_workflow.domain.mandate import HuisverbodMandate
from hgkm_workflow.phases.mda import MdaState
from hgkm_workflow.phases.regie import RegieState


class CaseLike(Protocol):
    """The attributes of a household case that authority reads (HouseholdCase has them)."""

    @property
    def region(self) -> str:
        """The case's VT region code."""

    @property
    def gemeente(self) -> str:
        """The CBS code of the case's gemeente."""

    @property
    def regie(self) -> Mapping[str, Any]:
        """Casusregie: ``state``, ``regisseur`` and ``offered_to`` (each a dict or None)."""

    @property
    def mda_state(self) -> str:
        """The MDA++ machine's state."""


@dataclass(frozen=True)
class CommandFacts:
    """The case as the authority policy sees it (pseudonymous codes only, no personal data).

    Attributes:
        region: The VT region the command concerns (``None``: no case, no region).
        gemeente: The CBS code of the gemeente (``None``: no case).
        vt_organisations: Veilig Thuis of the region (every region's, when there is no case).
        politie_organisations: The police of the region.
        mda_kernteam_organisations: The region's MDA++ kernteam.
        burgemeester_organisation: The burgemeester of the gemeente, if the policy lists one.
        mandates: ``(command, organisation)`` → the burgemeester's recorded mandate in force
            for the case's gemeente at the business time ``at`` (none when ``at`` is unknown).
        system_organisations: The library's own components and the host's operators.
        regisseur_organisation: The organisation holding casusregie now.
        handover_receiver_organisation: The organisation a pending handover is offered to.
        mda_escalated: Whether the case is escalated to MDA++.
        involved_organisations: Organisations with an open involvement in the case.
        at: The business time the command is decided at (``None``: not known).
    """

    region: str | None = None
    gemeente: str | None = None
    vt_organisations: frozenset[str] = frozenset()
    politie_organisations: frozenset[str] = frozenset()
    mda_kernteam_organisations: frozenset[str] = frozenset()
    burgemeester_organisation: str | None = None
    mandates: Mapping[tuple[str, str], HuisverbodMandate] = field(default_factory=dict)
    system_organisations: frozenset[str] = frozenset()
    regisseur_organisation: str | None = None
    handover_receiver_organisation: str | None = None
    mda_escalated: bool = False
    involved_organisations: frozenset[str] = frozenset()
    at: datetime | None = None

    @property
    def handover_pending(self) -> bool:
        """Whether a warm handover offer waits for the receiver."""
        return self.handover_receiver_organisation is not None

    @property
    def handover_sender_organisation(self) -> str | None:
        """The sender of a pending handover: the regisseur, who keeps casusregie until then."""
        return self.regisseur_organisation if self.handover_pending else None


def intake_facts(region: str | None, gemeente: str | None, tables: PolicyTables,
                 at: datetime | None = None) -> CommandFacts:
    """Facts for a command that creates a case or an advies, from the command's own fields.

    Used for ``RecordAdvies``, ``ConvertAdviesToMelding`` and ``ReceiveMelding`` (with or
    without ``case_id``: the melding is received by Veilig Thuis of the region it names).

    Args:
        region: The command's ``region``.
        gemeente: The command's ``gemeente``.
        tables: The policy's region and gemeente tables.
        at: The business time (selects the mandates in force).
    """
    vt = tables.veilig_thuis(region) if region is not None else frozenset()
    return CommandFacts(
        region=region, gemeente=gemeente, vt_organisations=vt,
        politie_organisations=tables.politie(region) if region is not None else frozenset(),
        mda_kernteam_organisations=(tables.mda_kernteam(region) if region is not None
                                    else frozenset()),
        burgemeester_organisation=tables.burgemeester(gemeente) if gemeente else None,
        mandates=tables.mandates_at(gemeente, at) if gemeente else {},
        system_organisations=tables.system_organisations,
        involved_organisations=vt, at=at,
    )


def case_facts(case: CaseLike, tables: PolicyTables,
               involvements: Iterable[str] = (), at: datetime | None = None) -> CommandFacts:
    """Facts for a command on an existing case, read from the loaded case.

    Args:
        case: The loaded case (attribute access only).
        tables: The policy's region and gemeente tables.
        involvements: Further organisations with an open involvement that the host records
            (the case itself records only casusregie and MDA++; see
            :class:`~hgkm_workflow.application.authorise.InvolvementSource`).
        at: The business time of the decision (selects the burgemeester's mandates in force).
    """
    base = intake_facts(case.region, case.gemeente, tables, at)
    regisseur = case.regie.get("regisseur") or {}
    offered = case.regie.get("offered_to") or {}
    pending = case.regie.get("state") == RegieState.HANDOVER_OFFERED.value
    regisseur_org = regisseur.get("organisation")
    escalated = case.mda_state == MdaState.ESCALATED.value
    involved = set(base.vt_organisations) | set(involvements)
    if regisseur_org:
        involved.add(regisseur_org)
    if escalated:
        involved |= base.mda_kernteam_organisations
    return CommandFacts(
        region=base.region, gemeente=base.gemeente, vt_organisations=base.vt_organisations,
        politie_organisations=base.politie_organisations,
        mda_kernteam_organisations=base.mda_kernteam_organisations,
        burgemeester_organisation=base.burgemeester_organisation, mandates=base.mandates,
        system_organisations=base.system_organisations,
        regisseur_organisation=regisseur_org,
        handover_receiver_organisation=offered.get("organisation") if pending else None,
        mda_escalated=escalated, involved_organisations=frozenset(involved), at=at,
    )


def facts_without_case(tables: PolicyTables) -> CommandFacts:
    """Facts for a command tied to no case (administrative commands, erasure of a person).

    Veilig Thuis of every listed region counts as Veilig Thuis here: the erasure request of a
    person who is in no case may be handled by any of them.
    """
    return CommandFacts(vt_organisations=tables.all_veilig_thuis(),
                        system_organisations=tables.system_organisations)
