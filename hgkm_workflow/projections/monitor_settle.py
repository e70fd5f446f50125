"""The maintained counts derived once from the finished fact rows, and whether they are valid.

Moving the counts event by event (:class:`~hgkm_workflow.projections.monitor_counts.CountDelta`
on every batch) costs the monitor fold about twice its own work during a rebuild, where
every row is written, changed and counted again many times. So the fold moves counts only
while they are *valid* (:func:`counts_valid`: the row ``what = 'counts'`` of
``rm_monitor_settled``). After the tables are reset — a rebuild, or a rebuild killed midway —
that row is absent: the fold keeps only the fact rows, and the monitor recomputes every figure
(:mod:`hgkm_workflow.monitor.counted` asks :func:`counts_valid`). The projection's ``settle``
(called by the runner after a rebuild and after a catch-up that applied events, in a
transaction of its own) then derives every count in one streamed pass over the fact rows with
the same :func:`~hgkm_workflow.projections.monitor_counts.entries` the fold uses, writes them
and marks them valid, in that one transaction: a crash before its commit leaves them not
valid, so the next catch-up that applies events, or the next rebuild, settles again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hgkm_workflow.projections.fold_io import execute_many
from hgkm_workflow.projections.monitor_counts import (
    CASE_TABLES,
    NO_GEO,
    day_of,
    entries,
    month_of,
    open_months,
)
from hgkm_workflow.projections.monitor_tables import (
    metadata,
    monitor_cases,
    monitor_counts,
    monitor_open_months,
    monitor_settled,
    phase_stays,
)

__all__ = ["COUNTS", "counts_valid", "derive_counts"]

COUNTS = "counts"
"""The ``what`` of the row of ``rm_monitor_settled`` that marks the counts valid."""
_COUNTED = ("rm_meldingen", "rm_adviezen", *CASE_TABLES)
_VALID = sa.select(monitor_settled.c.what).where(monitor_settled.c.what == COUNTS)
_INSERT = monitor_counts.insert()
_NAMES = tuple(c.name for c in monitor_counts.columns)
_OPEN_MONTHS = monitor_open_months.insert()
_CHUNK = 20_000


def counts_valid(conn: sa.Connection) -> bool:
    """Whether ``rm_monitor_counts`` holds the counts of every fact row (settled since the
    tables were last reset)."""
    return conn.execute(_VALID).first() is not None


def _fact_rows(name: str) -> sa.Select[tuple[object, ...]]:
    t = metadata.tables[name]
    if name in CASE_TABLES:
        return (sa.select(t, monitor_cases.c.region.label("_region"),
                          monitor_cases.c.gemeente.label("_gemeente"))
                .join(monitor_cases, monitor_cases.c.case_id == t.c.case_id, isouter=True))
    return sa.select(t, t.c.region.label("_region"), t.c.gemeente.label("_gemeente"))


def derive_counts(conn: sa.Connection) -> int:
    """Derive every count (and the open months of the ended stays,
    ``rm_monitor_open_months``) from the fact rows and mark them valid (nothing if they are
    valid already). Idempotent.

    One streamed pass: each fact row's entries are summed by metric, dimension, the days of
    their instants and geo; the month counts are then summed from the day counts of the
    one-instant entries (as :class:`~hgkm_workflow.projections.monitor_counts.CountDelta`
    counts each such entry by its day and its month). The rows are written in key order.

    Returns:
        The number of count rows written (0 if the counts were valid already).
    """
    if counts_valid(conn):
        return 0
    conn.execute(sa.delete(monitor_counts))
    days: dict[datetime, int] = {}  # the day of each instant seen (instants repeat)
    written = 0
    for name in _COUNTED:  # each table has metrics of its own: its counts, then the next
        by_day: dict[tuple[str, str, int, int, str, str], list[int]] = {}
        result = conn.execute(_fact_rows(name), execution_options={"yield_per": _CHUNK})
        keys = tuple(result.keys())
        for part in result.partitions(_CHUNK):
            _sum_entries(name, keys, part, by_day, days)
        rows = _count_rows(by_day)
        _insert(conn, rows)
        written += len(rows)
    conn.execute(sa.delete(monitor_open_months))
    s = phase_stays.c
    result = conn.execute(sa.select(s.stay_id, s.case_id, s.phase, s.entered_at, s.left_at)
                          .where(s.left_at.is_not(None)), execution_options={"yield_per": _CHUNK})
    for ended in result.mappings().partitions(_CHUNK):
        execute_many(conn, _OPEN_MONTHS,
                     [r for stay in ended for r in open_months(dict(stay))])
    conn.execute(monitor_settled.insert(), {"what": COUNTS})
    return written


def _count_rows(by_day: dict[tuple[str, str, int, int, str, str], list[int]]
                ) -> list[tuple[Any, ...]]:
    """The day rows and the month rows (summed from the days of one-instant entries), in
    key order."""
    by_month: dict[tuple[str, str, int, int, str, str], list[int]] = {}
    for (metric, dim, b1, b2, region, gemeente), (n, total) in by_day.items():
        if b2 == 0:
            key = (metric, dim, month_of(b1), 0, region, gemeente)
            cell = by_month.get(key)
            if cell is None:
                by_month[key] = [n, total]
            else:
                cell[0] += n
                cell[1] += total
    return sorted(
        [(metric, "d", b1, region, gemeente, b2, dim, n, total)
         for (metric, dim, b1, b2, region, gemeente), (n, total) in by_day.items()]
        + [(metric, "m", b1, region, gemeente, b2, dim, n, total)
           for (metric, dim, b1, b2, region, gemeente), (n, total) in by_month.items()])


def _insert(conn: sa.Connection, rows: list[tuple[Any, ...]]) -> None:
    """Insert count rows (tuples in column order; no column needs a bind processor): as
    tuples through the driver where its parameters are positional in column order, else
    through :func:`~hgkm_workflow.projections.fold_io.execute_many`."""
    compiled = _INSERT.compile(dialect=conn.dialect)
    for i in range(0, len(rows), _CHUNK):
        chunk = rows[i:i + _CHUNK]
        if compiled.positional and tuple(compiled.positiontup or ()) == _NAMES:
            conn.exec_driver_sql(compiled.string, chunk)
        else:
            execute_many(conn, _INSERT, [dict(zip(_NAMES, r, strict=True)) for r in chunk])


def _sum_entries(name: str, keys: tuple[str, ...], part: Sequence[Sequence[Any]],
                 by_day: dict[tuple[str, str, int, int, str, str], list[int]],
                 days: dict[datetime, int]) -> None:
    """Add the entries of some fact rows (tuples of ``keys``) to the day counts."""
    for values in part:
        row = dict(zip(keys, values, strict=True))
        region = row["_region"]
        geo = NO_GEO if region is None else (region, row["_gemeente"])
        for metric, dim, t1, t2, value in entries(name, row):
            b1 = days.get(t1)
            if b1 is None:
                b1 = days[t1] = day_of(t1)
            b2 = 0
            if t2 is not None:
                b2 = days.get(t2) or 0
                if not b2:
                    b2 = days[t2] = day_of(t2)
            key = (metric, dim, b1, b2, *geo)
            cell = by_day.get(key)
            if cell is None:
                by_day[key] = [1, value]
            else:
                cell[0] += 1
                cell[1] += value
