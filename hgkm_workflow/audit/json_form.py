"""JSON-ready forms of audit results: instants, dates, ids and decimals as text or numbers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from hgkm_workflow.clock import as_utc

__all__ = ["jsonable"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    return value


def jsonable(value: Any) -> Any:
    """Turn instants, dates and ids inside ``value`` into ISO / string form (for ``--json``)."""
    return _jsonable(value)
