"""Domain errors.

Every refusal is a subclass of :class:`HgkmError` with a stable ``code`` (for programs),
the ``rule`` it enforces (for people and auditors) and a message that never contains
personal data: only pseudonymous ids, codes, states and instants.
"""

from __future__ import annotations

from typing import ClassVar


class HgkmError(Exception):
    """Root of all errors raised by hgkm_workflow."""

    code: ClassVar[str] = "HGKM_ERROR"
    default_rule: ClassVar[str] = ""

    def __init__(self, message: str, *, rule: str | None = None, code: str | None = None) -> None:
        self.rule = rule if rule is not None else self.default_rule
        if code is not None:
            self.code = code  # type: ignore[misc]
        suffix = f" (rule: {self.rule})" if self.rule else ""
        super().__init__(f"[{self.code}] {message}{suffix}")
        self.message = message

    def as_dict(self) -> dict[str, str]:
        """A machine-readable form, safe to log (no personal data)."""
        return {"code": self.code, "rule": self.rule, "message": self.message}


class InvalidCommand(HgkmError):
    """A command failed validation at the boundary (shape, type or value)."""

    code = "INVALID_COMMAND"
    default_rule = "command-schema"

    def __init__(self, message: str, *, fields: list[str] | None = None, rule: str | None = None):
        self.fields = fields or []
        super().__init__(message, rule=rule)


class PersonalDataSuspected(InvalidCommand):
    """A text field looks like it holds identifying data (BSN, e-mail, phone, postcode, date)."""

    code = "PERSONAL_DATA_SUSPECTED"
    default_rule = "privacy: events hold no identifying data (domain brief section 6)"


class CaseNotFound(HgkmError):
    """No case with the given id exists in the store."""

    code = "CASE_NOT_FOUND"
    default_rule = "case-exists"


class CaseAlreadyExists(HgkmError):
    """A case with the given id already exists."""

    code = "CASE_ALREADY_EXISTS"
    default_rule = "case-id-unique"


class AdviesNotFound(HgkmError):
    """No advies with the given id exists in the store."""

    code = "ADVIES_NOT_FOUND"
    default_rule = "advies-exists"


class TransitionNotAllowed(HgkmError):
    """The trigger may not fire from the machine's current state."""

    code = "TRANSITION_NOT_ALLOWED"

    def __init__(self, machine: str, trigger: str, state: str) -> None:
        self.machine = machine
        self.trigger = trigger
        self.state = state
        super().__init__(
            f"'{trigger}' is not allowed in state '{state}' of machine '{machine}'",
            rule=f"{machine}-transition-table",
        )


class RuleViolation(HgkmError):
    """A domain predicate refused the command."""

    code = "RULE_VIOLATION"


class ConcurrentModification(HgkmError):
    """Another writer changed the case first and retrying did not resolve it."""

    code = "CONCURRENT_MODIFICATION"
    default_rule = "optimistic-concurrency"


class PersonErased(HgkmError):
    """The person's identifying details were erased (crypto-shredded)."""

    code = "PERSON_ERASED"
    default_rule = "erasure"


class PersonNotFound(HgkmError):
    """No such person in the register."""

    code = "PERSON_NOT_FOUND"
    default_rule = "person-exists"


class StoreConfigurationError(HgkmError):
    """The store URL or settings cannot be used."""

    code = "STORE_CONFIGURATION"
    default_rule = "store-url"


class AccessDenied(HgkmError):
    """The access policy refused a read (need to know); the refusal is in the access log.

    The message names the resource, the case (a pseudonymous id) and the purpose; ``rule`` is
    the policy rule that decided. Nothing else about the case is revealed.
    """

    code = "ACCESS_DENIED"
    default_rule = "need to know (access policy)"


class ErasureRefused(HgkmError):
    """An erasure request was refused: the retention period runs and no legal ground was given.

    Like every refusal it stores nothing; the access log holds the attempt.
    """

    code = "ERASURE_REFUSED"
    default_rule = "retention period (docs/security.md)"
