"""Maintained monitor counts: what each fact row contributes, and the fold that moves counts.

Every row of a fact table (:mod:`hgkm_workflow.projections.monitor_tables`) contributes
*entries* to named metrics: a metric, a dimension (melder type, outcome, phase, rule …), one
or two business-time instants and a value (microseconds, for sums of durations). The monitor
fold keeps ``rm_monitor_counts``: per metric, region, gemeente, dimension and Amsterdam day of
the instants, how many entries there are and the sum of their values. When a fold changes a
row (a melding assessed, a deadline met, a case's latest melding moved it to another gemeente)
:class:`CountDelta` subtracts the row's old entries and adds its new ones, in the same batch
and transaction as the row itself; counts that reach zero are deleted, so the table holds
exactly what a rebuild would write.

:func:`entries` is the one definition of what counts: the fold uses it to maintain the
buckets and :mod:`hgkm_workflow.monitor.counted` uses it to count the facts of the last,
partial day of a report exactly.

Entries with one instant are counted by the Amsterdam day and by the month of it: a figure
for a period sums the months before the report instant's month and the days of that month
before its day; a *prefix* metric (:data:`PREFIX`, for states at an instant: occupancy, open
deadlines) sums every month of history the same way. Entries with two instants (an advies
received in the period and converted by the report instant) are counted by the days of
both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from hgkm_workflow.domain.calendar import amsterdam_zone
from hgkm_workflow.projections.fold_io import execute_many
from hgkm_workflow.projections.monitor_tables import monitor_counts

Entry = tuple[str, str, datetime, datetime | None, int]
"""``(metric, dimension, first instant, second instant or None, value in microseconds)``."""
Geo = tuple[str, str]
"""``(region, gemeente)``; ``("", "")`` for a case without a melding."""
NO_GEO: Geo = ("", "")

PREFIX = frozenset({"stay.in", "stay.out", "dl.start", "dl.end", "dl.due", "dl.due_end"})
"""Metrics summed over all history up to the report instant (states at an instant)."""
CASE_TABLES = ("rm_phase_stays", "rm_vt_services", "rm_huisverboden", "rm_case_moments",
               "rm_plegeraanbod", "rm_monitor_deadlines")
"""Fact tables attributed to the region and gemeente of the case's latest melding."""
_LATER = frozenset({"risicogestuurde_zorg", "herstel", "waakvlam"})
_OPEN = frozenset({"triage", "directe_veiligheid"}) | _LATER
"""The open and later phases, as ``OPEN_PHASES`` and ``LATER_PHASES`` of
:mod:`hgkm_workflow.monitor.figures` (the monitor sits above the projections)."""
_DAYS: dict[tuple[int, int, int, int], int] = {}
_MONTHS: dict[int, int] = {}


def day_of(instant: datetime) -> int:
    """The ordinal of the Amsterdam date of a naive-UTC instant (offsets are whole hours)."""
    key = (instant.year, instant.month, instant.day, instant.hour)
    day = _DAYS.get(key)
    if day is None:
        local = instant.replace(tzinfo=UTC).astimezone(amsterdam_zone())
        day = _DAYS[key] = local.date().toordinal()
    return day


def month_of(day: int) -> int:
    """The ordinal of the first day of the month of a date ordinal."""
    month = _MONTHS.get(day)
    if month is None:
        month = _MONTHS[day] = date.fromordinal(day).replace(day=1).toordinal()
    return month


def month_starts(entered: datetime, left: datetime) -> list[int]:
    """The months (date ordinals of their first days) whose Amsterdam midnight lies in
    ``[entered, left)`` (naive UTC)."""
    out: list[int] = []
    day = month_of(day_of(entered))
    while True:
        first = date.fromordinal(day)
        local = datetime(first.year, first.month, 1, tzinfo=amsterdam_zone())
        midnight = local.astimezone(UTC).replace(tzinfo=None)
        if midnight >= left:
            return out
        if midnight >= entered:
            out.append(day)
        day = (first.replace(year=first.year + 1, month=1) if first.month == 12
               else first.replace(month=first.month + 1)).toordinal()


def open_months(stay: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``rm_monitor_open_months`` rows of a phase stay (none while it runs, or for a
    phase that is not open)."""
    left = stay["left_at"]
    if left is None or stay["phase"] not in _OPEN:
        return []
    return [{"month": m, "stay_id": stay["stay_id"], "case_id": stay["case_id"]}
            for m in month_starts(stay["entered_at"], left)]


def _us(seconds: float) -> int:
    return round(seconds * 1_000_000)


def entries(table: str, row: Mapping[str, Any]) -> list[Entry]:
    """The metric entries one fact row contributes (none for a table without metrics)."""
    fn = _BY_TABLE.get(table)
    return fn(row) if fn is not None else []


def _melding(r: Mapping[str, Any]) -> list[Entry]:
    t = r["received_at"]
    out: list[Entry] = [("m", "", t, None, 0), ("m.type", r["melder_type"], t, None, 0)]
    for flag in ("acute", "from_advies", "crisis"):
        if r[flag]:
            out.append((f"m.{flag}", "", t, None, 0))
    if r["assessed_at"] is not None:
        out.append(("assessed", str(r["outcome"]), r["assessed_at"], None, 0))
    return out


def _advies(r: Mapping[str, Any]) -> list[Entry]:
    out: list[Entry] = [("a", "", r["received_at"], None, 0)]
    if r["converted_at"] is not None:
        out.append(("a.converted", "", r["received_at"], r["converted_at"], 0))
    return out


def _stay(r: Mapping[str, Any]) -> list[Entry]:
    phase, entered, left = r["phase"], r["entered_at"], r["left_at"]
    out: list[Entry] = [("flow", f"{r['from_phase']}>{phase}", entered, None, 0)]
    if phase not in _OPEN:
        return out
    out.append(("stay.in", phase, entered, None, 0))
    if left is not None:
        out.append(("stay.out", phase, max(entered, left), None, 0))
        out.append(("stay.left", phase, left, None, _us((left - entered).total_seconds())))
        if phase in _LATER and r["how_left"] == "loop_back":
            out.append(("stay.loop", phase, left, None, 0))
    return out


def _service(r: Mapping[str, Any]) -> list[Entry]:
    return [("vt", r["service"], r["started_at"], None, 0)]


def _huisverbod(r: Mapping[str, Any]) -> list[Entry]:
    t = r["imposed_at"]
    out: list[Entry] = [("hv", "", t, None, 0)]
    for col, metric in (("extended_at", "hv.extended"), ("revoked_at", "hv.revoked")):
        if r[col] is not None:
            out.append((metric, "", t, r[col], 0))
    return out


def _moment(r: Mapping[str, Any]) -> list[Entry]:
    return [("moment", r["kind"], r["at"], None, 0)]


def _offer(r: Mapping[str, Any]) -> list[Entry]:
    out: list[Entry] = [("pa", "", r["offered_at"], None, 0)]
    if r["accepted"] is True and r["responded_at"] is not None:
        out.append(("pa.accepted", "", r["offered_at"], r["responded_at"], 0))
    return out


def _deadline(r: Mapping[str, Any]) -> list[Entry]:
    """A main deadline: concluded in a period by status; open at an instant as a difference
    of prefixes (started by it, minus started and concluded by it)."""
    if r["checkpoint"] is not None:
        return []
    rule, status, start, met = r["rule_id"], r["status"], r["start"], r["met_at"]
    due = max(start, r["due"])
    out: list[Entry] = [("dl.start", rule, start, None, 0), ("dl.due", rule, due, None, 0)]
    if status != "open":  # concluded: no longer open from max(start, met_at)
        end = start if met is None else max(start, met)
        out.append(("dl.end", rule, end, None, 0))
        out.append(("dl.due_end", rule, max(due, end), None, 0))
    if met is not None and status in ("met", "met_late", "closed_unmet"):
        late = r["late_seconds"] if status == "met_late" else None
        out.append((f"dl.{status}", rule, met, None, 0 if late is None else _us(late)))
    return out


_BY_TABLE = {
    "rm_meldingen": _melding, "rm_adviezen": _advies, "rm_phase_stays": _stay,
    "rm_vt_services": _service, "rm_huisverboden": _huisverbod, "rm_case_moments": _moment,
    "rm_plegeraanbod": _offer, "rm_monitor_deadlines": _deadline,
}

_KEY = tuple[str, str, int, str, str, int, str]
_NAMES = tuple(c.name for c in monitor_counts.columns)
_UPSERTS: dict[str, Any] = {}
_DELETE_ZERO = monitor_counts.delete().where(
    monitor_counts.c.n == 0, monitor_counts.c.res == sa.bindparam("r"),
    monitor_counts.c.b1.in_(sa.bindparam("days", expanding=True)))


def _upsert(dialect: str) -> Any:
    """``INSERT … ON CONFLICT (key) DO UPDATE`` adding the counts (SQLite and PostgreSQL)."""
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        from sqlalchemy.dialects import postgresql, sqlite

        ins: Any = (postgresql.insert(monitor_counts) if dialect == "postgresql"
                    else sqlite.insert(monitor_counts))
        stmt = _UPSERTS[dialect] = ins.on_conflict_do_update(
            index_elements=list(monitor_counts.primary_key.columns),
            set_={"n": monitor_counts.c.n + ins.excluded.n,
                  "total_us": monitor_counts.c.total_us + ins.excluded.total_us})
    return stmt


def rows_of(delta: CountDelta) -> list[dict[str, Any]]:
    """The changed counts of a delta as rows of ``rm_monitor_counts`` (``n``, ``total_us``:
    the change)."""
    return [dict(zip(_NAMES, (*k, v[0], v[1]), strict=True))
            for k, v in delta.delta.items() if v[0] or v[1]]


class CountDelta:
    """The net change of the counts a batch makes: add a row's entries, subtract its old ones."""

    def __init__(self) -> None:
        self.delta: dict[_KEY, list[int]] = {}

    def add(self, rows: Iterable[tuple[list[Entry], Geo]], sign: int) -> None:
        """Add (``sign`` 1) or subtract (-1) the entries of rows attributed to a geo."""
        delta = self.delta
        for found, (region, gemeente) in rows:
            for metric, dim, t1, t2, value in found:
                b1 = day_of(t1)
                keys = [(metric, "d", b1, region, gemeente, 0 if t2 is None else day_of(t2),
                         dim)]
                if t2 is None:  # one instant: by month too
                    keys.append((metric, "m", month_of(b1), region, gemeente, 0, dim))
                for key in keys:
                    cell = delta.get(key)
                    if cell is None:
                        delta[key] = [sign, sign * value]
                    else:
                        cell[0] += sign
                        cell[1] += sign * value

    def flush(self, conn: sa.Connection) -> None:
        """Apply the net change to ``rm_monitor_counts``: one upsert adding every changed
        count, then the counts that fell to zero are deleted."""
        changed = rows_of(self)
        if not changed:
            return
        execute_many(conn, _upsert(conn.dialect.name), changed)
        fell: dict[str, set[int]] = {}
        for k, v in self.delta.items():
            if v[0] < 0:
                fell.setdefault(k[1], set()).add(k[2])
        for res, days in sorted(fell.items()):
            ordered = sorted(days)
            for i in range(0, len(ordered), 500):
                conn.execute(_DELETE_ZERO, {"r": res, "days": ordered[i:i + 500]})
