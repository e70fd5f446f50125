"""Which columns of a series the report marks rather than shows as a plain value.

* **lopend** — the period is still running at the report instant (its end lies after
  ``as_of``): the bar is drawn on a hatched column and labelled with the last day counted.
* **opbouw** — a hermelding share of 0 in the leading half-years of the series, before the
  first half-year with any hermelding. A hermelding needs an earlier melding of the same
  person within the lookback (3 years); in the first years of a store (or a simulation's
  seeded history, whose meldingen are all nieuw by construction) none can be found, so a
  0 there says the history is incomplete, not that nobody returned. Shown hatched with its
  count, never as ``0,0%``.
* **nog niet** — the period begins after the report instant: nothing can have happened yet.
* **leeg** — no meldingen at all in the period (before the store's first melding).
* **te weinig** — suppressed (a small cell): no bar at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from hgkm_workflow.domain.calendar import local_date
from hgkm_workflow.monitor.figures import Figure
from hgkm_workflow.monitor.periods import Period

RUNNING, BUILDING_UP, EMPTY, TOO_FEW, VALUE = "lopend", "opbouw", "leeg", "te weinig", "waarde"
NOT_STARTED = "nog niet"


def last_day_counted(as_of: datetime) -> date:
    """The last Amsterdam day the report counts (``as_of`` at local midnight: the day before)."""
    day = local_date(as_of)
    midnight = local_date(as_of - timedelta(microseconds=1)) != day
    return day - timedelta(days=1) if midnight else day


def running(period: Period, as_of: datetime) -> bool:
    """Whether the period had not ended at the report instant."""
    return as_of < period.end


def not_started(period: Period, as_of: datetime) -> bool:
    """Whether the period begins after the report instant."""
    return as_of < period.start


def building_up(series: Sequence[Figure]) -> set[str]:
    """Names of the leading zero shares before the first nonzero one (see ``opbouw``).

    Empty when no figure of the series is nonzero or shown (nothing to compare with).
    """
    out: set[str] = set()
    for f in series:
        if f.suppressed or f.value is None:
            continue
        if f.value > 0:
            return out
        out.add(f.name)
    return set()


def state(f: Figure, period: Period, as_of: datetime, early: set[str]) -> str:
    """The marking of one figure of a series (one of the constants above; ``VALUE``: a plain bar).

    A running period wins over the others only when a value is shown.
    """
    if not_started(period, as_of):
        return NOT_STARTED
    if f.suppressed:
        return TOO_FEW
    if f.value is None:
        return EMPTY
    if f.name in early:
        return BUILDING_UP
    if running(period, as_of):
        return RUNNING
    return VALUE
