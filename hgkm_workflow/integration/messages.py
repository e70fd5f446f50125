"""The messages of the outbox: what a consumer is, what it sends, how it fails and retries.

See :mod:`hgkm_workflow.integration.outbox` for the tables and the delivery loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol


class DeliveryError(Exception):
    """A delivery failed; ``code`` is short and free of personal data."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code[:200]


class RetryableDeliveryError(DeliveryError):
    """Try again later (timeout, connection refused, 5xx, 429)."""


class PermanentDeliveryError(DeliveryError):
    """Retrying will not help (a 4xx the receiver refuses): straight to the dead letter."""


@dataclass(frozen=True)
class Outgoing:
    """A message a consumer wants delivered; ``payload`` must be JSON-serialisable."""

    payload: dict[str, Any]


@dataclass(frozen=True)
class Message:
    """A staged message as the consumer's ``deliver`` receives it."""

    key: str
    consumer: str
    case_id: str
    version: int
    seq: int
    payload: dict[str, Any]
    attempts: int


class Deliver(Protocol):
    """Delivers one message or raises :class:`DeliveryError`."""

    def __call__(self, message: Message) -> None:
        """Deliver ``message``."""


@dataclass(frozen=True)
class Consumer:
    """An integration: a name, a translation of events to messages, and a delivery.

    Attributes:
        name: Stable name (part of every idempotency key and of the checkpoint).
        translate: From a decoded domain event to zero or more messages.
        deliver: Sends one message; raises :class:`DeliveryError` on failure.
    """

    name: str
    translate: Callable[[Any], Iterable[Outgoing]]
    deliver: Deliver


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off: ``base * factor**(attempt-1)``, capped; dead after ``max_attempts``."""

    base: timedelta = timedelta(seconds=2)
    factor: float = 2.0
    cap: timedelta = timedelta(minutes=30)
    max_attempts: int = 12

    def delay(self, attempt: int) -> timedelta:
        """The wait after the ``attempt``-th failed attempt (1-based)."""
        seconds = self.base.total_seconds() * self.factor ** max(attempt - 1, 0)
        return min(timedelta(seconds=seconds), self.cap)


@dataclass
class RunResult:
    """What one :meth:`Outbox.run_once` did."""

    staged: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


def message_key(case_id: str, version: int, consumer: str, seq: int) -> str:
    """The idempotency key of the ``seq``-th message of a case event for a consumer."""
    return f"{case_id}:{version}:{consumer}#{seq}"
