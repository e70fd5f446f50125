"""The read-model half of ``audit verify``: a live table against its rebuild, row by row.

Rows are keyed by the table's primary key (a table without one is compared as a multiset of
rows) and their values normalised so both backends compare alike: instants as UTC ISO text,
decimals as floats, floats to 6 places, dates as ISO text, UUIDs as text. Differences are
reported in the order of their keys' ``repr``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from hgkm_workflow.audit.aggregate_check import Difference, VerifyReport

__all__ = ["compare_table", "scratch_pragmas"]


def scratch_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """The scratch store is removed afterwards: no syncing to disk, nothing kept durable."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous = OFF")
    cursor.close()


def compare_table(live: sa.Engine, scratch: sa.Engine, table: sa.Table,
                   report: VerifyReport) -> None:
    try:
        with live.connect() as conn:
            names, live_rows = _rows(conn, table)
    except sa.exc.SQLAlchemyError:
        report.differences.append(Difference("table_missing", table.name,
                                             "the table cannot be read in the live store"))
        return
    with scratch.connect() as conn:
        _, rebuilt = _rows(conn, table)
    report.tables[table.name] = len(rebuilt)
    # only differing keys are sorted (by repr, as the report has always ordered them)
    differing = (rebuilt.keys() - live_rows.keys()) | (live_rows.keys() - rebuilt.keys())
    differing.update(k for k, v in live_rows.items() if k in rebuilt and rebuilt[k] != v)
    for key in sorted(differing, key=repr):
        where = f"{table.name}[{', '.join(str(k) for k in key)}]"
        if key not in live_rows:
            report.differences.append(Difference("row_missing", where,
                                                 "in the rebuild but not in the live view"))
        elif key not in rebuilt:
            report.differences.append(Difference("row_extra", where,
                                                 "in the live view but not in the rebuild"))
        else:
            a, b = dict(zip(names, live_rows[key], strict=True)), dict(
                zip(names, rebuilt[key], strict=True))
            cols = [f"{c}: live {a[c]!r} != rebuilt {b[c]!r}" for c in sorted(names)
                    if a[c] != b[c]]
            report.differences.append(Difference("row_differs", where, "; ".join(cols)))


_PLAIN: frozenset[type] = frozenset({str, int, bool, type(None), bytes})
"""Value types :func:`_normal` returns unchanged (checked first: most values are these)."""


def _rows(conn: sa.Connection,
          table: sa.Table) -> tuple[list[str], dict[tuple[Any, ...], list[Any]]]:
    """The column names, and each row's normalised values (in that order) by its key."""
    result = conn.execute(sa.select(table))
    names = list(result.keys())
    at = [names.index(c.name) for c in table.primary_key.columns]
    out: dict[tuple[Any, ...], list[Any]] = {}
    counts: dict[tuple[Any, ...], int] = {}
    plain = _PLAIN
    for row in result:
        values = [v if type(v) in plain else _normal(v) for v in row]
        if at:
            key = tuple(values[i] for i in at)
        else:  # no primary key: compare as a multiset of rows
            base = tuple(sorted((k, repr(v)) for k, v in zip(names, values, strict=True)))
            counts[base] = counts.get(base, 0) + 1
            key = (*base, counts[base])
        out[key] = values
    return names, out


def _instant(value: datetime) -> str:
    from hgkm_workflow.projections._util import aware_utc

    if value.tzinfo is UTC:
        return value.isoformat()
    return aware_utc(value).isoformat()


_BY_TYPE: dict[type, Callable[[Any], Any]] = {
    datetime: _instant, Decimal: float, float: lambda v: round(v, 6), date: date.isoformat,
    UUID: str}
"""Normalisers by exact type (the drivers' own types); anything else: :func:`_normal`'s
``isinstance`` chain (subclasses)."""


def _normal(value: Any) -> Any:
    by_type = _BY_TYPE.get(type(value))
    if by_type is not None:
        return by_type(value)
    if isinstance(value, datetime):
        return _instant(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value
