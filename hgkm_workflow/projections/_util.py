"""Small helpers shared by the read models."""

from __future__ import annotations

from datetime import UTC, datetime


def naive_utc(instant: datetime) -> datetime:
    """Store instants as naive UTC in read models: sortable and equal on SQLite and PostgreSQL."""
    if instant.tzinfo is UTC:  # the usual case, and the cheap one
        return instant.replace(tzinfo=None)
    return instant.astimezone(UTC).replace(tzinfo=None)


def aware_utc(value: datetime) -> datetime:
    """Read a naive-UTC column value back as an aware UTC instant."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
