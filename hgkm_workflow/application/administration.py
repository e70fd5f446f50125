"""The library's administrative commands that run with the service stopped, with authority.

Key rotation is a command like any other (issue 13 point 5): :func:`rotate_cipher_key`
(``RotateCipherKey``: re-encrypt the event store under a new cipher key) and
:func:`rotate_register_key` (``RotateRegisterKey``: re-wrap the person register's data keys
under a new key-encryption key) first ask the authority policy about the actor, on the store's
own access log. A refusal is appended there as a refused attempt on resource ``command``
(rule ``authority v<n>: <Command> refused (<rule>)``) and raised as
:class:`~hgkm_workflow.authority.NotAuthorised`; nothing is re-encrypted or re-wrapped. The
CLI (``hgkm rotate-key``) and a host's own tooling call these, never the adapters directly.
Calendar changes (``ApplyCalendar``) and erasure requests are authorised in the running
application (:mod:`.scheduler`, :mod:`.erasure`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hgkm_workflow.access.guard import AccessGuard
from hgkm_workflow.adapters.cipher import RotationResult, rotate_key
from hgkm_workflow.adapters.persons import KekRotation, rotate_register_kek
from hgkm_workflow.adapters.store import parse_store_url
from hgkm_workflow.application.authorise import OPERATOR_ACTOR, CommandGate
from hgkm_workflow.authority import AuthorityDecision, AuthorityPolicy
from hgkm_workflow.clock import SystemClock
from hgkm_workflow.commands import Actor
from hgkm_workflow.projections import make_engine

__all__ = ["authorise_administration", "rotate_cipher_key", "rotate_register_key"]


def authorise_administration(store_url: str | None, command: str, actor: Actor | None = None,
                             *, now: Callable[[], datetime] | None = None,
                             policy: AuthorityPolicy | None = None) -> AuthorityDecision:
    """Authorise an administrative command tied to no case, logging a refusal in the store.

    Args:
        store_url: The store whose access log records a refusal.
        command: The command name (``RotateCipherKey``, ``RotateRegisterKey``, …).
        actor: The operator (default ``hgkm-operator/hgkm/system``).
        now: Time of the log entry (default: the system clock).
        policy: The authority policy (default: the shipped one).

    Raises:
        NotAuthorised: The policy refuses (the refused attempt is in the access log).
    """
    engine = make_engine(parse_store_url(store_url))
    guard = AccessGuard(engine)
    try:
        guard.setup()
        gate = CommandGate(guard, now or SystemClock().now, policy)
        return gate.without_case(actor or OPERATOR_ACTOR, command)
    finally:
        guard.log.close()
        engine.dispose()


def rotate_cipher_key(store_url: str | None, old_key: str | None, new_key: str | None,
                      actor: Actor | None = None, *,
                      now: Callable[[], datetime] | None = None,
                      policy: AuthorityPolicy | None = None) -> RotationResult:
    """``RotateCipherKey``: authorise, then re-encrypt the event store under ``new_key``.

    Raises:
        NotAuthorised: The actor may not rotate keys (logged; nothing re-encrypted).
        StoreConfigurationError: A key is unusable (see
            :func:`~hgkm_workflow.adapters.cipher.rotate_key`).
    """
    authorise_administration(store_url, "RotateCipherKey", actor, now=now, policy=policy)
    return rotate_key(store_url, old_key, new_key)


def rotate_register_key(store_url: str | None, old_kek: str | None, new_kek: str,
                        actor: Actor | None = None, *,
                        now: Callable[[], datetime] | None = None,
                        policy: AuthorityPolicy | None = None) -> KekRotation:
    """``RotateRegisterKey``: authorise, then re-wrap the register's keys under ``new_kek``.

    Raises:
        NotAuthorised: The actor may not rotate keys (logged; nothing re-wrapped).
        RegisterKeyUnavailable: An entry does not open with the old key (nothing changed).
    """
    authorise_administration(store_url, "RotateRegisterKey", actor, now=now, policy=policy)
    return rotate_register_kek(store_url, old_kek, new_kek)
