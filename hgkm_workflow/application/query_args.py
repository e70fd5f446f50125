"""The arguments of a query, validated at the boundary into domain errors.

Every public query of the application checks its arguments here before it touches the event
store or a read model, so a wrong type, a malformed id, a naive or far-away instant, a huge
limit or an unknown value is refused with :class:`InvalidQuery` (``INVALID_QUERY``, naming the
argument, never its value) instead of surfacing as a raw Python, database or overflow error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, cast
from uuid import UUID

from hgkm_workflow.clock import as_utc
from hgkm_workflow.commands import EARLIEST, LATEST
from hgkm_workflow.errors import InvalidCommand
from hgkm_workflow.monitor.periods import InvalidPeriod, Period
from hgkm_workflow.phases.lifecycle import CasePhase
from hgkm_workflow.privacy import InvalidCode, validate_code

__all__ = ["MAX_LIMIT", "InvalidQuery", "basis", "code", "count", "ident", "instant",
           "optional_ident", "optional_instant", "period", "phase", "version"]

MAX_LIMIT = 100_000
"""The largest ``limit`` or ``offset`` a query accepts."""

MAX_VERSION = 2**31 - 1


class InvalidQuery(InvalidCommand):
    """A query argument is of the wrong type or out of range (the argument is named)."""

    code = "INVALID_QUERY"
    default_rule = "query arguments: ids are UUIDs, instants aware in 2000..2100, limits bounded"


def _refuse(name: str, what: str) -> InvalidQuery:
    return InvalidQuery(f"{name} must be {what}", fields=[name])


def ident(value: Any, name: str = "case_id") -> UUID:
    """A UUID given as a UUID or its text."""
    if isinstance(value, UUID):
        return value
    if isinstance(value, str) and len(value) <= 45:
        try:
            return UUID(value)
        except ValueError:
            pass
    raise _refuse(name, "a UUID")


def optional_ident(value: Any, name: str) -> UUID | None:
    """:func:`ident`, or ``None``."""
    return None if value is None else ident(value, name)


def instant(value: Any, name: str = "at") -> datetime:
    """An aware instant in 2000..2100, as UTC."""
    if not isinstance(value, datetime) or value.tzinfo is None \
            or value.utcoffset() is None:
        raise _refuse(name, "an instant with a UTC offset")
    try:
        utc = as_utc(value)
    except (OverflowError, ValueError):
        raise _refuse(name, "an instant in 2000..2100") from None
    if not EARLIEST <= utc <= LATEST:
        raise _refuse(name, "an instant in 2000..2100")
    return utc


def optional_instant(value: Any, name: str) -> datetime | None:
    """:func:`instant`, or ``None``."""
    return None if value is None else instant(value, name)


def count(value: Any, name: str, *, maximum: int = MAX_LIMIT) -> int:
    """A whole number in 0..maximum (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise _refuse(name, f"a whole number in 0..{maximum}")
    return value


def version(value: Any, name: str = "version") -> int:
    """An event version: a whole number of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_VERSION:
        raise _refuse(name, "a whole number of at least 1")
    return value


def code(value: Any, kind: str) -> str | None:
    """A code of ``kind`` (``region``, ``gemeente``, ``actor_id``), or ``None``."""
    if value is None:
        return None
    try:
        return validate_code(value, kind)
    except InvalidCode:
        raise _refuse(kind, "a code") from None


def phase(value: Any) -> str | None:
    """A case phase's value, or ``None``."""
    if value is None:
        return None
    if isinstance(value, CasePhase):
        return value.value
    if isinstance(value, str) and value in {p.value for p in CasePhase}:
        return value
    raise _refuse("phase", "a case phase")


def period(value: Any) -> str | None:
    """A monitor period's text (``2025``, ``2025H1``, ``2025Q2``, ``2025-03``), or ``None``.

    Raises:
        InvalidPeriod: ``INVALID_PERIOD`` (as the monitor itself refuses), also for a year
            outside 2000..2099.
    """
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 16:
        raise InvalidPeriod("unknown period: expected 2025, 2025H1, 2025Q2 or 2025-03")
    if not 2000 <= Period.parse(value).first_day.year <= 2099:
        raise InvalidPeriod("the period must lie in 2000..2099")
    return value


def basis(value: Any) -> Literal["business", "recorded"]:
    """``business`` or ``recorded``."""
    if value not in ("business", "recorded") or not isinstance(value, str):
        raise _refuse("basis", "'business' or 'recorded'")
    return cast(Literal["business", "recorded"], value)
