"""The monitor: figures per region, gemeente and period, each with numerator and denominator.

:func:`monitor_report` computes every figure from a read-model engine, as a SQL aggregate
over the read models (``rm_meldingen``, ``rm_adviezen``, ``rm_phase_stays`` and the other
fact tables of :mod:`hgkm_workflow.projections.monitor_tables`, the classification of
:mod:`hgkm_workflow.projections.person_index` and the deadline index ``rm_deadlines``).
Each :class:`Figure` carries its definition; ``docs/monitor.md`` lists them all.

Periods are Amsterdam calendar periods: ``2025`` (year), ``2025H1`` (half-year), ``2025Q2``
(quarter), ``2025-03`` (month); a period runs from local midnight of its first day up to
(excluding) local midnight after its last day. *In the period* means an instant in that
range and not after the report instant. *At the report instant* (``as_of``) means the
state at the end of the period, or at an earlier ``as_of`` (the application passes its
clock's now, so a running period shows the state so far).

The package: :mod:`~hgkm_workflow.monitor.figures` (what a figure is, the figure groups,
small-cell suppression), :mod:`~hgkm_workflow.monitor.periods` (calendar periods),
:mod:`~hgkm_workflow.monitor.queries` (the SQL aggregates), :mod:`~hgkm_workflow.monitor.report`
(the report object and :func:`monitor_report`) and :mod:`~hgkm_workflow.monitor.html` (the
page). The names below are re-exported from them.
"""

from hgkm_workflow.monitor.figures import (
    DEFAULT_MIN_CELL,
    FUNNEL_PHASES,
    LATER_PHASES,
    MIN_CELL_ENV,
    NATIONAL_HERMELDING_REFERENCE,
    OPEN_PHASES,
    TIMELINESS_RULES,
    VERVOLG_KINDS,
    Figure,
    Flow,
    InvalidMinCell,
    min_cell_from_env,
    suppress_complements,
    suppress_small_cells,
)
from hgkm_workflow.monitor.periods import InvalidPeriod, Period
from hgkm_workflow.monitor.report import HasEngine, MonitorReport, monitor_report

__all__ = [
    "DEFAULT_MIN_CELL",
    "FUNNEL_PHASES",
    "LATER_PHASES",
    "MIN_CELL_ENV",
    "NATIONAL_HERMELDING_REFERENCE",
    "OPEN_PHASES",
    "TIMELINESS_RULES",
    "VERVOLG_KINDS",
    "Figure",
    "Flow",
    "HasEngine",
    "InvalidMinCell",
    "InvalidPeriod",
    "MonitorReport",
    "Period",
    "min_cell_from_env",
    "monitor_report",
    "suppress_complements",
    "suppress_small_cells",
]
