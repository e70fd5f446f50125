"""Monitor figures from the maintained counts: cost by the number of buckets, not of meldingen.

:class:`CountedFigureBuilder` gives the same figures as
:class:`~hgkm_workflow.monitor.queries.FigureBuilder` (the same names, definitions and order:
it only replaces how the numbers are found) from ``rm_monitor_counts``, which the monitor fold
keeps (:mod:`hgkm_workflow.projections.monitor_counts`). A figure for a period is a sum over
the months of the period before the report instant's month and the days of that month before
the instant's day; a state at the report instant (occupancy, open deadlines) a sum over the
months of history before that month and the same days. The facts of the report instant's own
day up to the instant (*the partial day*) are counted exactly from the fact rows, with the
same entries the fold counts (:func:`~hgkm_workflow.projections.monitor_counts.entries`),
found by the indexes on their instants. So a report reads a few hundred buckets and one day
of facts, whatever the size of the store.

Still recomputed by :class:`FigureBuilder` (their cost grows with the store, see
``docs/monitor.md``): the classification shares (the person index's table, by its
``received_at`` index: the period's meldingen), the distinct-case figures (``cases.active``,
``mda.share``, ``ervaringsdeskundige.share``, ``plegeraanbod.offered``, ``funnel.*``) and the
restatements. :func:`recomputing` switches a report to the recomputing path entirely (tests
compare the two).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa

from hgkm_workflow.domain.calendar import amsterdam_zone
from hgkm_workflow.monitor.figures import LATER_PHASES, OPEN_PHASES, Flow
from hgkm_workflow.monitor.queries import FigureBuilder, Scope
from hgkm_workflow.projections.monitor_counts import (
    CASE_TABLES,
    NO_GEO,
    PREFIX,
    Entry,
    Geo,
    day_of,
    entries,
    month_of,
)
from hgkm_workflow.projections.monitor_settle import counts_valid
from hgkm_workflow.projections.monitor_tables import (
    metadata,
    monitor_cases,
    monitor_counts,
    monitor_open_months,
    phase_stays,
)

__all__ = ["CountedFigureBuilder", "Scope", "recomputing"]

_RECOMPUTE: ContextVar[bool] = ContextVar("hgkm_monitor_recompute", default=False)
_INSTANTS = {
    "rm_meldingen": ("received_at", "assessed_at"),
    "rm_adviezen": ("received_at", "converted_at"),
    "rm_phase_stays": ("entered_at", "left_at"),
    "rm_vt_services": ("started_at",),
    "rm_huisverboden": ("imposed_at", "extended_at", "revoked_at"),
    "rm_case_moments": ("at",),
    "rm_plegeraanbod": ("offered_at", "responded_at"),
    "rm_monitor_deadlines": ("start", "due", "met_at"),
}
_Counts = dict[tuple[str, str], list[int]]


@contextmanager
def recomputing() -> Iterator[None]:
    """Within the block, monitor reports recompute every figure from the fact tables."""
    token = _RECOMPUTE.set(True)
    try:
        yield
    finally:
        _RECOMPUTE.reset(token)


def _midnight(day: int) -> datetime:
    local = datetime.combine(date.fromordinal(day), time(0), tzinfo=amsterdam_zone())
    return local.astimezone(UTC).replace(tzinfo=None)


class CountedFigureBuilder(FigureBuilder):
    """A :class:`FigureBuilder` that reads its numbers from ``rm_monitor_counts``."""

    def __init__(self, conn: sa.Connection, scope: Scope) -> None:
        super().__init__(conn, scope)
        self.recompute = _RECOMPUTE.get() or not counts_valid(conn)
        """Recompute every figure: asked for (:func:`recomputing`), or the counts are not
        valid (a rebuild not yet settled, see :mod:`hgkm_workflow.projections.monitor_settle`)."""
        self.cutday = day_of(scope.as_of)
        self.cut = _midnight(self.cutday)
        self._partial: list[tuple[Entry, Geo]] | None = None
        self._ranges: dict[tuple[datetime, datetime, str], _Counts] = {}
        self._prefixes: _Counts | None = None

    @property
    def figures_from(self) -> str:
        """``counts`` (the maintained counts) or ``recomputed`` (the aggregate queries)."""
        return "recomputed" if self.recompute else "counts"

    # -- reading the counts

    def _geo_ok(self, geo: Geo) -> bool:
        s = self.s
        return (not s.region or geo[0] == s.region) and (not s.gemeente or geo[1] == s.gemeente)

    def partial(self) -> list[tuple[Entry, Geo]]:
        """The entries of the fact rows with an instant in the partial day (the report
        instant's day up to the instant), in the selection."""
        if self._partial is not None:
            return self._partial
        out: list[tuple[Entry, Geo]] = []
        lo, hi = self.cut, self.s.as_of
        for name, cols in _INSTANTS.items():
            t = metadata.tables[name]
            window = sa.or_(*(t.c[c].between(lo, hi) for c in cols))
            if name in CASE_TABLES:
                q = (sa.select(t, monitor_cases.c.region.label("_region"),
                               monitor_cases.c.gemeente.label("_gemeente"))
                     .join(monitor_cases, monitor_cases.c.case_id == t.c.case_id, isouter=True)
                     .where(window))
            else:
                q = sa.select(t, t.c.region.label("_region"), t.c.gemeente.label("_gemeente")
                              ).where(window)
            for row in self.conn.execute(q).mappings():
                geo = NO_GEO if row["_region"] is None else (row["_region"], row["_gemeente"])
                if self._geo_ok(geo):
                    out.extend((e, geo) for e in entries(name, dict(row)))
        self._partial = out
        return out

    def _range(self, start: datetime | None = None, end: datetime | None = None,
               by: str = "dim") -> _Counts:
        """Every range metric with its first instant in ``start``..``end`` (default the
        period) and not after the report instant, its second by it: ``(metric, dim or
        gemeente) -> [count, sum of values in µs]``."""
        s = self.s
        lo_t, hi_t = start or s.start, end or s.end
        cached = self._ranges.get((lo_t, hi_t, by))
        if cached is not None:
            return cached
        out: _Counts = defaultdict(lambda: [0, 0])
        lo, hi = day_of(lo_t), min(day_of(hi_t), self.cutday)
        c = monitor_counts.c
        key = c.dim if by == "dim" else c.gemeente
        if lo < hi:
            # whole months at month resolution (periods start on the first of a month), the
            # days of the report instant's month by day, two-instant entries by day
            mh = month_of(hi) if date.fromordinal(lo).day == 1 else lo
            q = (sa.select(c.metric, key, sa.func.sum(c.n), sa.func.sum(c.total_us))
                 .where(sa.or_(
                     sa.and_(c.res == "m", c.b1 >= lo, c.b1 < mh),
                     sa.and_(c.res == "d", c.b1 >= max(lo, mh), c.b1 < hi, c.b2 == 0),
                     sa.and_(c.res == "d", c.b1 >= lo, c.b1 < hi, c.b2 > 0,
                             c.b2 < self.cutday)),
                     c.metric.not_in(sorted(PREFIX)), *s.own(monitor_counts))
                 .group_by(c.metric, key))
            if by != "dim":
                q = q.where(c.metric == "m")
            for metric, k, n, total in self.conn.execute(q):
                out[metric, k] = [int(n), int(total)]
        if lo_t <= s.as_of and hi_t > self.cut:
            for (metric, dim, t1, t2, value), geo in self.partial():
                if max(t1, t2 or t1) < self.cut or not lo_t <= t1 < hi_t or t1 > s.as_of:
                    continue
                if t2 is not None and t2 > s.as_of:
                    continue
                cell = out[metric, dim if by == "dim" else geo[1]]
                cell[0] += 1
                cell[1] += value
        self._ranges[lo_t, hi_t, by] = out
        return out

    def _prefix(self) -> _Counts:
        """Every prefix metric with its instant at or before the report instant."""
        if self._prefixes is not None:
            return self._prefixes
        out: _Counts = defaultdict(lambda: [0, 0])
        c, month = monitor_counts.c, month_of(self.cutday)
        q = (sa.select(c.metric, c.dim, sa.func.sum(c.n))
             .where(sa.or_(sa.and_(c.res == "m", c.b1 < month),
                           sa.and_(c.res == "d", c.b1 >= month, c.b1 < self.cutday)),
                    c.metric.in_(sorted(PREFIX)), *self.s.own(monitor_counts))
             .group_by(c.metric, c.dim))
        for metric, dim, n in self.conn.execute(q):
            out[metric, dim][0] = int(n)
        for (metric, dim, t1, _, _), _geo in self.partial():
            if metric in PREFIX and self.cut <= t1 <= self.s.as_of:
                out[metric, dim][0] += 1
        self._prefixes = out
        return out

    def _of(self, counts: _Counts, metric: str) -> dict[str, int]:
        return {k: v[0] for (m, k), v in counts.items() if m == metric and v[0]}

    # -- the numbers of each figure group

    def volume_numbers(self) -> tuple[Any, Any, dict[str, int], list[tuple[str, int]]]:
        """See :meth:`FigureBuilder.volume_numbers`."""
        if self.recompute:
            return super().volume_numbers()
        r = self._range()
        n = {m: r[m, ""][0] for m in ("m", "m.acute", "m.from_advies", "m.crisis", "a",
                                      "a.converted") if (m, "") in r}
        gm = sorted(self._of(self._range(by="gemeente"), "m").items())
        return ((n.get("m", 0), n.get("m.acute", 0), n.get("m.from_advies", 0),
                 n.get("m.crisis", 0)), (n.get("a", 0), n.get("a.converted", 0)),
                self._of(r, "m.type"), gm)

    def outcome_numbers(self) -> tuple[dict[str, int], dict[str, int]]:
        """See :meth:`FigureBuilder.outcome_numbers`."""
        if self.recompute:
            return super().outcome_numbers()
        r = self._range()
        return self._of(r, "assessed"), self._of(r, "vt")

    def timeliness_numbers(self, rule: str, start: datetime | None,
                           end: datetime | None) -> Any:
        """See :meth:`FigureBuilder.timeliness_numbers`."""
        if self.recompute:
            return super().timeliness_numbers(rule, start, end)
        r = self._range(start, end)
        met, late, closed = (r.get((m, rule), [0, 0]) for m in
                             ("dl.met", "dl.met_late", "dl.closed_unmet"))
        return met[0], met[0] + late[0], late[1] / 1_000_000, late[0], closed[0]

    def open_numbers(self, rule: str) -> Any:
        """See :meth:`FigureBuilder.open_numbers`."""
        if self.recompute:
            return super().open_numbers(rule)
        p = self._prefix()

        def n(metric: str) -> int:
            return p.get((metric, rule), [0])[0]

        return n("dl.due") - n("dl.due_end"), n("dl.start") - n("dl.end")

    def occupancy_numbers(self) -> dict[str, int]:
        """See :meth:`FigureBuilder.occupancy_numbers` (stays: a case is in one phase at a
        time)."""
        if self.recompute:
            return super().occupancy_numbers()
        p = self._prefix()
        occ = {ph: n - p.get(("stay.out", ph), [0])[0]
               for ph, n in self._of(p, "stay.in").items()}
        return {ph: n for ph, n in occ.items() if n}

    def stay_numbers(self) -> tuple[dict[str, tuple[float, int]], Any]:
        """See :meth:`FigureBuilder.stay_numbers`."""
        if self.recompute:
            return super().stay_numbers()
        r = self._range()
        spent = {ph: (v[1] / 86_400_000_000, v[0]) for (m, ph), v in r.items()
                 if m == "stay.left" and v[0]}
        loop = sum(v[0] for (m, _), v in r.items() if m == "stay.loop")
        later = sum(v[0] for (m, ph), v in r.items() if m == "stay.left" and ph in LATER_PHASES)
        return spent, (loop, later)

    def flow_numbers(self) -> list[Flow]:
        """See :meth:`FigureBuilder.flow_numbers`."""
        if self.recompute:
            return super().flow_numbers()
        flows = sorted((dim.split(">", 1)[0], dim.split(">", 1)[1], n)
                       for dim, n in self._of(self._range(), "flow").items())
        return [Flow(a, b, n) for a, b, n in flows]

    def moment_number(self, kind: str) -> int:
        """See :meth:`FigureBuilder.moment_number`."""
        if self.recompute:
            return super().moment_number(kind)
        return self._of(self._range(), "moment").get(kind, 0)

    def offer_numbers(self) -> Any:
        """See :meth:`FigureBuilder.offer_numbers`."""
        if self.recompute:
            return super().offer_numbers()
        r = self._range()
        return r.get(("pa", ""), [0])[0], r.get(("pa.accepted", ""), [0])[0]

    def _active(self) -> Any:
        """The period's active cases from the period's own rows: the ended stays covering
        the period's start (``rm_monitor_open_months`` of its first month), the stays still
        running that began by the start, and the stays entered after the start in the period
        (see :meth:`FigureBuilder._active`, the reference)."""
        s, p, om = self.s, phase_stays, monitor_open_months
        if self.recompute or s.as_of < s.start:
            return super()._active()
        month = day_of(s.start)
        covering = sa.select(om.c.case_id).where(om.c.month == month, *s.cases(om.c.case_id))
        running = sa.select(p.c.case_id).where(
            p.c.left_at.is_(None), p.c.entered_at <= s.start, p.c.phase.in_(OPEN_PHASES),
            *s.cases(p.c.case_id))
        entered = sa.select(p.c.case_id).where(
            p.c.entered_at > s.start, p.c.entered_at < s.end, p.c.entered_at <= s.as_of,
            p.c.phase.in_(OPEN_PHASES), *s.cases(p.c.case_id))
        return sa.union(covering, running, entered).subquery()

    def huisverbod_numbers(self) -> Any:
        """See :meth:`FigureBuilder.huisverbod_numbers`."""
        if self.recompute:
            return super().huisverbod_numbers()
        r = self._range()
        return tuple(r.get((m, ""), [0])[0] for m in ("hv", "hv.extended", "hv.revoked"))
