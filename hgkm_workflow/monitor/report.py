"""The monitor report: every figure for one selection and period, computed from an engine.

:func:`monitor_report` reads the read models as they stand (the caller catches them up) and
returns a :class:`MonitorReport`; :meth:`MonitorReport.suppress_small_cells` gives the copy
fit to show or export.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa

from hgkm_workflow.monitor.counted import CountedFigureBuilder as FigureBuilder
from hgkm_workflow.monitor.disclosure import round_figure, rounded
from hgkm_workflow.monitor.figures import (
    NATIONAL_HERMELDING_REFERENCE,
    TIMELINESS_RULES,
    Figure,
    Flow,
    suppress_complements,
    suppress_small_cells,
)
from hgkm_workflow.monitor.meldingen import classified_meldingen
from hgkm_workflow.monitor.periods import Period
from hgkm_workflow.monitor.queries import Scope
from hgkm_workflow.monitor.restate_timeliness import restate_timeliness
from hgkm_workflow.monitor.restatement import Restatement, restatement
from hgkm_workflow.projections._util import naive_utc
from hgkm_workflow.projections.person_tables import melding_classification as mc


class HasEngine(Protocol):
    """Anything that holds a read-model engine (accepted for callers that pass their host)."""

    @property
    def engine(self) -> sa.Engine:
        """The read-model engine."""
        ...


@dataclass(frozen=True)
class MonitorReport:
    """Every monitor figure for one region/gemeente selection and one period."""

    region: str | None
    gemeente: str | None
    period: Period
    as_of: datetime
    figures: tuple[Figure, ...]
    series: dict[str, tuple[Figure, ...]] = field(default_factory=dict)
    flows: tuple[Flow, ...] = ()
    classification_settings: tuple[str, ...] = ()
    hermelding_reference: float = NATIONAL_HERMELDING_REFERENCE
    min_cell: int = 0
    """Cells below this many were suppressed (0: exact figures, as the library computes)."""
    restatement: Restatement | None = None
    """The classification counts as known at an earlier recording instant beside now."""
    rounded_to: int = 1
    """Counts were rounded to this base (1: not rounded; see :meth:`round_counts`)."""
    figures_from: str = "counts"
    """``counts``: read from the maintained counts; ``recomputed``: by the aggregate queries
    (asked for, or the counts not valid after a rebuild that has not settled yet)."""

    def suppress_small_cells(self, min_cell: int) -> MonitorReport:
        """A copy fit to show or export: small cells withheld (see :func:`suppress_small_cells`).

        Args:
            min_cell: The smallest number of meldingen, cases or stays a cell may show
                (``HGKM_MIN_CELL``, default 10); 0 or 1 suppresses nothing.
        """
        def shown(figures: Sequence[Figure]) -> list[Figure]:
            if min_cell <= 1:
                return list(figures)
            return suppress_complements(figures, [suppress_small_cells(f, min_cell)
                                                  for f in figures])

        return MonitorReport(
            region=self.region, gemeente=self.gemeente, period=self.period, as_of=self.as_of,
            figures=tuple(shown(self.figures)),
            series={k: tuple(shown(v)) for k, v in self.series.items()},
            flows=tuple(f for f in self.flows if not 0 < f.count < min_cell),
            classification_settings=self.classification_settings,
            hermelding_reference=self.hermelding_reference, min_cell=max(min_cell, 0),
            restatement=None if self.restatement is None
            else self.restatement.suppress(min_cell), rounded_to=self.rounded_to)

    def round_counts(self, base: int) -> MonitorReport:
        """A copy with counts rounded to ``base`` (e.g. 5, as CBS publishes), after suppression.

        See :func:`~hgkm_workflow.monitor.disclosure.round_figure`; flows are rounded too.

        Raises:
            InvalidRounding: If ``base`` is below 1.
        """
        def r(figures: Sequence[Figure]) -> tuple[Figure, ...]:
            return tuple(round_figure(f, base) for f in figures)

        flows = tuple(replace(f, count=int(rounded(f.count, base))) for f in self.flows)
        return replace(self, figures=r(self.figures),
                       series={k: r(v) for k, v in self.series.items()},
                       flows=flows if base > 1 else self.flows,
                       rounded_to=base if base > 1 else self.rounded_to)

    def figure(self, name: str) -> Figure:
        """The figure with this name (also looks in the series).

        Raises:
            KeyError: If there is no such figure.
        """
        for f in (*self.figures, *(f for s in self.series.values() for f in s)):
            if f.name == name:
                return f
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: selection, period, every figure, the series and the flows."""
        return {
            "region": self.region, "gemeente": self.gemeente, "period": self.period.label,
            "period_start": self.period.start.isoformat(),
            "period_end": self.period.end.isoformat(), "as_of": self.as_of.isoformat(),
            "hermelding_reference": self.hermelding_reference,
            "classification_settings": list(self.classification_settings),
            "figures": [f.as_dict() for f in self.figures],
            "series": {k: [f.as_dict() for f in v] for k, v in self.series.items()},
            "flows": [{"from": f.from_phase, "to": f.to_phase, "count": f.count}
                      for f in self.flows],
            "min_cell": self.min_cell,
            "rounded_to": self.rounded_to,
            "figures_from": self.figures_from,
            "restatement": None if self.restatement is None else self.restatement.as_dict(),
        }


def monitor_report(
    engine: sa.Engine | HasEngine,
    region: str | None = None,
    gemeente: str | None = None,
    period: str | Period | None = None,
    *,
    as_of: datetime | None = None,
    history: int = 6,
    min_cell: int = 0,
    as_known_at: datetime | None = None,
) -> MonitorReport:
    """Compute every monitor figure for a selection and a period.

    Reads the read models as they stand: the caller catches them up first (as
    ``HgkmApplication.monitor`` does).

    Args:
        engine: The read-model engine. An object with an ``engine`` attribute (such as the
            application) is accepted too, and its engine used.
        region: Only this region (``None``: all).
        gemeente: Only this gemeente, a CBS code such as ``GM0599`` (``None``: all).
        period: ``2025``, ``2025H1``, ``2025Q2`` or ``2025-03``; default the half-year
            holding ``as_of`` (or now).
        as_of: The report instant, at most the end of the period (default: that end).
        history: Number of half-years in the hermelding series (ending with the period's).
        min_cell: Suppress cells below this many units (see
            :meth:`MonitorReport.suppress_small_cells`; e.g. ``min_cell_from_env``); the
            default 0 gives the exact figures.
        as_known_at: Add a restatement: the classification counts of the period as known
            at this recording instant beside as known now (see
            :mod:`hgkm_workflow.monitor.restatement`). Without it, a period that has ended
            by the report instant is restated as known at its end.

    Returns:
        The report with every figure, the series and the phase flows.

    Raises:
        InvalidPeriod: If ``period`` cannot be parsed.
    """
    report = _compute(engine if isinstance(engine, sa.Engine) else engine.engine,
                      region, gemeente, period, as_of, history, as_known_at)
    return report.suppress_small_cells(min_cell) if min_cell else report


def _compute(engine: sa.Engine, region: str | None, gemeente: str | None,
             period: str | Period | None, as_of: datetime | None,
             history: int, as_known_at: datetime | None = None) -> MonitorReport:
    if isinstance(period, Period):
        chosen = period
    elif period:
        chosen = Period.parse(period)
    else:
        chosen = Period.containing(as_of or datetime.now(UTC))
    instant = min(as_of, chosen.end) if as_of is not None else chosen.end
    scope = Scope(region or None, gemeente or None, naive_utc(chosen.start),
                   naive_utc(chosen.end), naive_utc(instant), engine.dialect.name)
    series: dict[str, tuple[Figure, ...]] = {}
    with engine.connect() as conn:
        b = FigureBuilder(conn, scope)
        b.volume()
        b.classification()
        b.outcomes()
        for rule in TIMELINESS_RULES:
            b.timeliness(rule)
        flows = b.phases()
        b.cases()
        b.huisverboden()
        series["hermelding_by_half_year"] = _series(conn, scope, _half_years(chosen, history),
                                                    "hermelding")
        series["timeliness_by_month"] = _series(conn, scope, chosen.split(1), "timeliness")
        settings = tuple(f"lookback {y} years; roles {r}" for y, r in conn.execute(
            sa.select(mc.c.lookback_years, mc.c.counted_roles).distinct()
            .where(scope.within(mc.c.received_at)).order_by(mc.c.lookback_years,
                                                            mc.c.counted_roles)))
        restated = None
        if as_known_at is not None or instant >= chosen.end:
            known = naive_utc(as_known_at or chosen.end)
            sel: dict[str, Any] = {"region": scope.region, "gemeente": scope.gemeente,
                                   "start": scope.start, "end": scope.end}
            restated = restatement(classified_meldingen(conn, **sel, as_known_at=known),
                                   classified_meldingen(conn, **sel), known,
                                   restate_timeliness(conn, scope, known))
    first_seen: dict[str, int] = {}
    for i, f in enumerate(b.figures):
        first_seen.setdefault(f.group, i)
    figures = sorted(b.figures, key=lambda f: first_seen[f.group])  # stable within a group
    return MonitorReport(region=region or None, gemeente=gemeente or None, period=chosen,
                         as_of=instant, figures=tuple(figures), series=series,
                         flows=tuple(flows), classification_settings=settings,
                         restatement=restated, figures_from=b.figures_from)


def _half_years(period: Period, count: int) -> list[Period]:
    last_day = period.end_day - timedelta(days=1)
    last = Period(date(last_day.year, 1 if last_day.month <= 6 else 7, 1), 6)
    return [last.shifted(i - count + 1) for i in range(count)]


def _series(conn: sa.Connection, scope: Scope, periods: Sequence[Period],
            kind: str) -> tuple[Figure, ...]:
    out: list[Figure] = []
    for p in periods:
        b = FigureBuilder(conn, scope)
        start, end = naive_utc(p.start), naive_utc(p.end)
        if kind == "hermelding":
            b.classification(start, end, f"@{p.label}")
            out.extend(f for f in b.figures if f.name.startswith("classification.hermelding@"))
        else:
            for rule in ("T1", "T3"):
                b.timeliness(rule, start, end, f"@{p.label}", headline_only=True)
            out.extend(b.figures)
    return tuple(out)
