"""The vocabulary of command authority: kinds, relations, rules, decisions and refusals.

A :class:`Rule` grants a set of commands to actors whose role is one of its roles and whose
organisation has its :class:`Relation` to the case. A command's :class:`Kind` says whether a
region may change who gives it; statutory commands are *reserved* to Veilig Thuis, the
burgemeester or the library's scheduler and cannot be given away by configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from hgkm_workflow.domain.mandate import HuisverbodMandate
from hgkm_workflow.errors import HgkmError


class Kind(StrEnum):
    """Where a command's authority comes from, and whether a region may change it."""

    STATUTORY = "W"
    """Wettelijk: the law assigns it (Wmo 2015, Wet tijdelijk huisverbod); never overridden."""
    PROTOCOL = "P"
    """National protocol or method (Handelingsprotocol Veilig Thuis, warm handover)."""
    REGIONAL = "R"
    """Regional agreement (regiovisie): a region may widen or narrow it."""
    ADMINISTRATIVE = "A"
    """The library's own operation (keys, calendar, scheduler)."""


class Reserved(StrEnum):
    """Whose statutory task or power a reserved command is."""

    VEILIG_THUIS = "veilig_thuis"
    BURGEMEESTER = "burgemeester"
    SYSTEM = "system"
    """An expiry by law: the scheduler records it (or the burgemeester whose measure it was)."""


class Relation(StrEnum):
    """How the actor's organisation relates to the case (see policy.yaml for each)."""

    VEILIG_THUIS = "veilig_thuis"
    REGISSEUR = "regisseur"
    HANDOVER_SENDER = "handover_sender"
    HANDOVER_RECEIVER = "handover_receiver"
    MDA_KERNTEAM = "mda_kernteam"
    INVOLVED = "involved"
    POLITIE = "politie"
    BURGEMEESTER = "burgemeester"
    MANDATED = "mandated"
    SYSTEM = "system"


class Condition(StrEnum):
    """A further condition on the case that a rule may require."""

    NO_REGISSEUR = "no_regisseur"


#: The relations a reserved command's rules may use: a statutory task stays with its holder.
RESERVED_RELATIONS: dict[Reserved, frozenset[Relation]] = {
    Reserved.VEILIG_THUIS: frozenset({Relation.VEILIG_THUIS}),
    Reserved.BURGEMEESTER: frozenset({Relation.BURGEMEESTER, Relation.MANDATED}),
    Reserved.SYSTEM: frozenset({Relation.SYSTEM, Relation.BURGEMEESTER}),
}

#: Commands that are not pydantic commands of :mod:`hgkm_workflow.commands` but need
#: authority too (issue 13 point 5): key rotation (the store's cipher key, the person
#: register's key-encryption key), calendar changes, the scheduler's tick.
ADMINISTRATIVE_COMMANDS = ("RotateCipherKey", "RotateRegisterKey", "ApplyCalendar", "Tick")

#: The role that reads and never decides.
AUDITOR_ROLE = "auditor"

#: The rule that refuses every command to an auditor.
AUDITOR_RULE = "auditor-reads-only"

#: The rule that refuses a command the policy does not know (closed world).
UNKNOWN_COMMAND_RULE = "unknown-command"


@dataclass(frozen=True)
class Rule:
    """One grant: these commands, to these roles, with this relation to the case.

    Attributes:
        id: Stable rule id; its first letter is the kind of its commands (``W-``, ``P-``, …).
        commands: The command class names it grants.
        roles: The actor roles it grants to (role groups already expanded).
        relation: The relation of the actor's organisation to the case.
        when: Further conditions on the case.
        why: What the rule says, in one line.
        source: The legal or regional source.
        region: The region whose override added it (``None``: the national policy).
        written_roles: The roles and role groups as the data names them (for the docs).
    """

    id: str
    commands: frozenset[str]
    roles: frozenset[str]
    relation: Relation
    when: frozenset[Condition]
    why: str
    source: str
    region: str | None = None
    written_roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommandAuthority:
    """A command's kind, whose task it is when reserved, and the access purpose to log."""

    name: str
    kind: Kind
    reserved: Reserved | None = None
    purpose: str | None = None


@dataclass(frozen=True)
class AuthorityDecision:
    """The policy's answer to one command, with the rule that decided.

    Attributes:
        granted: Whether the command may be given.
        rule: The rule id that granted it, or for a refusal the command's governing rule (its
            first rule in this region), ``auditor-reads-only`` or ``unknown-command``.
        command: The command class name.
        policy_version: The version of the policy that decided.
        candidates: Every rule that could have granted this command in this region.
        mandate: The burgemeester's recorded mandate a ``mandated`` rule granted under
            (``None`` otherwise); the aggregate names it on the event it records.
    """

    granted: bool
    rule: str
    command: str
    policy_version: int
    candidates: tuple[str, ...] = ()
    mandate: HuisverbodMandate | None = None

    @property
    def log_rule(self) -> str:
        """The rule as the access log records it (at most 200 characters, no personal data)."""
        verdict = "granted" if self.granted else "refused"
        return f"authority v{self.policy_version}: {self.command} {verdict} ({self.rule})"[:200]


class NotAuthorised(HgkmError):
    """The authority policy refused a command: nothing was stored.

    ``rule`` is the policy rule that decided; the message names the command, the actor's
    pseudonymous id, organisation and role and the case id, never personal data.
    """

    code: ClassVar[str] = "NOT_AUTHORISED"
    default_rule: ClassVar[str] = "authority policy"

    def __init__(self, decision: AuthorityDecision, actor_id: str, organisation: str,
                 role: str, case_id: str | None = None) -> None:
        """Build the refusal of ``decision`` for the actor (and the case, when there is one)."""
        self.decision = decision
        where = f" on case {case_id}" if case_id else ""
        super().__init__(f"{decision.command}{where} refused to {actor_id} "
                         f"({organisation}, {role})", rule=decision.rule)


class InvalidAuthorityPolicy(HgkmError):
    """The authority policy data cannot be used (raised when it is loaded, at start-up)."""

    code: ClassVar[str] = "INVALID_AUTHORITY_POLICY"
    default_rule: ClassVar[str] = "authority policy data"


class StatutoryTaskOverride(InvalidAuthorityPolicy):
    """Configuration tried to give a statutory task or power to someone else.

    Veilig Thuis's tasks under the Wmo 2015 and the burgemeester's powers under the Wet
    tijdelijk huisverbod cannot be assigned elsewhere, as W rules of the rule book cannot be
    changed by a region.
    """

    code: ClassVar[str] = "STATUTORY_TASK_OVERRIDE"
    default_rule: ClassVar[str] = "statutory tasks cannot be given away (issue 13)"
