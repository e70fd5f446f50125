"""The monitor: figures per region, gemeente and period, each with numerator and denominator.

:func:`monitor_report` computes every figure as a SQL aggregate over the read models
(``rm_meldingen``, ``rm_adviezen``, ``rm_phase_stays`` and the other fact tables of
:mod:`hgkm_workflow.projections.monitor_tables`, the classification of
:mod:`hgkm_workflow.projections.person_index` and the deadline index ``rm_deadlines``).
Each :class:`Figure` carries its definition; ``docs/monitor.md`` lists them all.

Periods are Amsterdam calendar periods: ``2025`` (year), ``2025H1`` (half-year), ``2025Q2``
(quarter), ``2025-03`` (month); a period runs from local midnight of its first day up to
(excluding) local midnight after its last day. *In the period* means an instant in that
range and not after the report instant. *At the report instant* (``as_of``) means the
state at the end of the period, or at an earlier ``as_of`` (the application passes its
clock's now, so a running period shows the state so far).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from hgkm_workflow.domain.calendar import amsterdam_zone, local_date
from hgkm_workflow.errors import HgkmError
from hgkm_workflow.projections._util import naive_utc
from hgkm_workflow.projections.deadline_index import deadlines
from hgkm_workflow.projections.monitor_tables import (
    adviezen,
    case_moments,
    huisverboden,
    meldingen,
    monitor_cases,
    phase_stays,
    plegeraanbod,
    vt_services,
)
from hgkm_workflow.projections.person_index import melding_classification as mc
from hgkm_workflow.vocabulary import AssessmentOutcome, MelderType

if TYPE_CHECKING:
    from hgkm_workflow.application import HgkmApplication

#: CBS, Monitor Veilig Thuis, H1 2022: share of hermeldingen nationally (domain brief §5).
NATIONAL_HERMELDING_REFERENCE = 0.38

OPEN_PHASES = ("triage", "directe_veiligheid", "risicogestuurde_zorg", "herstel", "waakvlam")
LATER_PHASES = ("risicogestuurde_zorg", "herstel", "waakvlam")
FUNNEL_PHASES = (*OPEN_PHASES, "closed")
TIMELINESS_RULES = {"T1": "veiligheidsbeoordeling (5 werkdagen)",
                    "T3": "onderzoek / Voorwaarden en Vervolg (10 weken)",
                    "T8": "huisverbod: contactadres (24 uur)",
                    "T9": "huisverbod: hulpaanbod (binnen het huisverbod)"}
VERVOLG_KINDS = ("during_assessment", "after_assessment", "during_monitoring")


class InvalidMinCell(HgkmError):
    """``HGKM_MIN_CELL`` is not a whole number of at least 0."""

    code = "INVALID_SETTING"
    default_rule = "small-cell suppression (docs/monitor.md)"


class InvalidPeriod(HgkmError):
    """A period is not written as 2025, 2025H1, 2025Q2 or 2025-03."""

    code = "INVALID_PERIOD"
    default_rule = "monitor periods: YYYY, YYYYH1-2, YYYYQ1-4, YYYY-MM"


# ---------------------------------------------------------------------- periods


@dataclass(frozen=True, order=True)
class Period:
    """An Amsterdam calendar period: a year, half-year, quarter or month.

    Attributes:
        first_day: The first day of the period.
        months: Its length in months (12, 6, 3 or 1).
    """

    first_day: date
    months: int

    _PATTERNS: ClassVar[tuple[tuple[re.Pattern[str], int], ...]] = (
        (re.compile(r"^(\d{4})$"), 12), (re.compile(r"^(\d{4})H([12])$"), 6),
                 (re.compile(r"^(\d{4})Q([1-4])$"), 3), (re.compile(r"^(\d{4})-(\d{2})$"), 1))

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``2025``, ``2025H1``, ``2025Q2`` or ``2025-03`` (case-insensitive).

        Raises:
            InvalidPeriod: If the text is none of these.
        """
        value = text.strip().upper()
        for pattern, months in cls._PATTERNS:
            match = pattern.match(value)
            if match is None:
                continue
            year = int(match.group(1))
            index = int(match.group(2)) if match.lastindex and match.lastindex > 1 else 1
            if months == 1 and not 1 <= index <= 12:
                break
            if not 2000 <= year <= 2099:
                break
            return cls(date(year, (index - 1) * months + 1, 1), months)
        # the text itself is not repeated: an error message carries no input values
        raise InvalidPeriod("unknown period: expected 2025, 2025H1, 2025Q2 or 2025-03")

    @classmethod
    def containing(cls, instant: datetime, months: int = 6) -> Period:
        """The period of the given length (default a half-year) holding ``instant``."""
        day = local_date(instant)
        return cls(date(day.year, (day.month - 1) // months * months + 1, 1), months)

    @property
    def label(self) -> str:
        """``2025``, ``2025H1``, ``2025Q2`` or ``2025-03``."""
        y, m = self.first_day.year, self.first_day.month
        return {12: f"{y}", 6: f"{y}H{(m - 1) // 6 + 1}", 3: f"{y}Q{(m - 1) // 3 + 1}",
                1: f"{y}-{m:02d}"}[self.months]

    @property
    def end_day(self) -> date:
        """The first day after the period."""
        index = self.first_day.year * 12 + self.first_day.month - 1 + self.months
        return date(index // 12, index % 12 + 1, 1)

    @property
    def start(self) -> datetime:
        """Local midnight of the first day, as UTC."""
        return _local_midnight(self.first_day)

    @property
    def end(self) -> datetime:
        """Local midnight after the last day, as UTC (exclusive)."""
        return _local_midnight(self.end_day)

    def shifted(self, steps: int) -> Period:
        """The period ``steps`` periods of the same length later (earlier if negative)."""
        index = self.first_day.year * 12 + self.first_day.month - 1 + steps * self.months
        return Period(date(index // 12, index % 12 + 1, 1), self.months)

    def split(self, months: int) -> list[Period]:
        """The sub-periods of ``months`` months that make up this period."""
        first = Period(self.first_day, months)
        return [first.shifted(i) for i in range(max(1, self.months // months))]


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=amsterdam_zone()).astimezone(UTC)


# ---------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Figure:
    """One figure of the monitor.

    Attributes:
        name: Stable dotted name, e.g. ``classification.hermelding``.
        numerator: What is counted (or summed, for days).
        denominator: What it is divided by; ``None`` for a plain count.
        definition: What the figure means and where it comes from.
        unit: ``share``, ``count`` or ``days``.
    """

    name: str
    numerator: float
    denominator: float | None
    definition: str
    unit: str = "share"
    suppressed: bool = False
    """A small cell: numerator and denominator withheld (see :func:`suppress_small_cells`)."""

    @property
    def value(self) -> float | None:
        """numerator / denominator; the numerator for a count; ``None`` when dividing by 0.

        ``None`` too for a suppressed figure.
        """
        if self.suppressed:
            return None
        if self.denominator is None:
            return self.numerator
        if self.denominator == 0:
            return None
        return self.numerator / self.denominator

    @property
    def group(self) -> str:
        """The first part of the name (for grouping in tables)."""
        return self.name.split(".")[0].split("@")[0]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (a suppressed figure has no numerator, denominator or value)."""
        out = {"name": self.name, "numerator": _num(self.numerator),
               "denominator": _num(self.denominator), "value": self.value,
               "unit": self.unit, "definition": self.definition}
        if self.suppressed:
            out.update(numerator=None, denominator=None, value=None, suppressed=True)
        return out


MIN_CELL_ENV = "HGKM_MIN_CELL"
#: Default smallest cell shown in reports and exports (statistical disclosure control).
DEFAULT_MIN_CELL = 10


def min_cell_from_env(env: Mapping[str, str]) -> int:
    """``HGKM_MIN_CELL`` as a whole number (default :data:`DEFAULT_MIN_CELL`).

    Raises:
        InvalidMinCell: If the variable is not a whole number of at least 0.
    """
    text = env.get(MIN_CELL_ENV, "").strip()
    if not text:
        return DEFAULT_MIN_CELL
    try:
        value = int(text)
    except ValueError:
        raise InvalidMinCell(f"{MIN_CELL_ENV} must be a whole number") from None
    if value < 0:
        raise InvalidMinCell(f"{MIN_CELL_ENV} must not be negative")
    return value


def _small(x: float | None, min_cell: int) -> bool:
    return x is not None and 0 < x < min_cell


def suppress_small_cells(figure: Figure, min_cell: int) -> Figure:
    """The figure, or a suppressed copy when it rests on fewer than ``min_cell`` units.

    A count is small when it lies between 1 and ``min_cell - 1``; a share when its numerator,
    its denominator or their difference does (so a small group cannot be derived from its
    complement); a mean number of days when its denominator (the number of stays) does.
    Zeros are shown: they single out nobody.
    """
    if figure.suppressed or min_cell <= 1:
        return figure
    num, den = figure.numerator, figure.denominator
    if figure.unit == "days":
        cells = [den]
    elif den is None:
        cells = [num]
    else:
        cells = [num, den, den - num]
    if not any(_small(c, min_cell) for c in cells):
        return figure
    return replace(figure, numerator=0.0, denominator=None if den is None else 0.0,
                   suppressed=True)


def _partition_key(f: Figure) -> tuple[str, float] | None:
    # Shares with the same stem (``classification`` of ``classification.nieuw``, any ``@…``
    # suffix kept) and the same denominator may add up to that denominator.
    if f.unit != "share" or not f.denominator:
        return None
    base, _, at = f.name.partition("@")
    return base.rsplit(".", 1)[0] + (f"@{at}" if at else ""), f.denominator


def suppress_complements(original: Sequence[Figure], shown: Sequence[Figure]) -> list[Figure]:
    """Secondary suppression: no suppressed cell can be recovered by subtraction.

    Where the shares of a group add up to their common denominator (nieuw, vervolgmelding and
    hermelding of all meldingen, say) and exactly one of them was suppressed, the smallest
    other non-zero one is suppressed too, so the two are known only together.

    Args:
        original: The exact figures.
        shown: The same figures after :func:`suppress_small_cells`, in the same order.
    """
    groups: dict[tuple[str, float], list[int]] = {}
    for i, f in enumerate(original):
        key = _partition_key(f)
        if key is not None:
            groups.setdefault(key, []).append(i)
    out = list(shown)
    for (_, den), members in groups.items():
        if len(members) < 2 or sum(original[i].numerator for i in members) != den:
            continue
        if sum(out[i].suppressed for i in members) != 1:
            continue
        others = [i for i in members if not out[i].suppressed and original[i].numerator > 0]
        if others:
            j = min(others, key=lambda i: (original[i].numerator, original[i].name))
            out[j] = replace(out[j], numerator=0.0, denominator=0.0, suppressed=True)
    return out


def _num(x: float | None) -> float | int | None:
    if x is None:
        return None
    return int(x) if float(x).is_integer() else round(float(x), 6)


@dataclass(frozen=True)
class Flow:
    """Phase transitions in the period, from one phase to another."""

    from_phase: str
    to_phase: str
    count: int


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
            hermelding_reference=self.hermelding_reference, min_cell=max(min_cell, 0))

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
        }


# ---------------------------------------------------------------------- computing


def _n(cond: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


@dataclass(frozen=True)
class _Scope:
    region: str | None
    gemeente: str | None
    start: datetime  # naive UTC
    end: datetime
    as_of: datetime
    dialect: str

    def own(self, table: sa.Table) -> list[Any]:
        """Region/gemeente conditions on a table that carries its own."""
        conds = []
        if self.region:
            conds.append(table.c.region == self.region)
        if self.gemeente:
            conds.append(table.c.gemeente == self.gemeente)
        return conds

    def cases(self, case_col: Any) -> list[Any]:
        """Region/gemeente conditions through the case's latest melding."""
        conds = self.own(monitor_cases)
        if not conds:
            return []
        return [case_col.in_(sa.select(monitor_cases.c.case_id).where(*conds))]

    def within(self, col: Any, start: datetime | None = None,
               end: datetime | None = None) -> Any:
        return sa.and_(col >= (start or self.start), col < (end or self.end),
                       col <= self.as_of)

    def days(self, a: Any, b: Any) -> Any:
        if self.dialect == "sqlite":
            return sa.func.julianday(b) - sa.func.julianday(a)
        return sa.extract("epoch", b - a) / 86400.0


class _Builder:
    def __init__(self, conn: sa.Connection, scope: _Scope) -> None:
        self.conn = conn
        self.s = scope
        self.figures: list[Figure] = []

    def add(self, name: str, num: float, den: float | None, definition: str,
            unit: str = "share") -> Figure:
        f = Figure(name, float(num or 0), None if den is None else float(den or 0), definition,
                   unit)
        self.figures.append(f)
        return f

    def one(self, query: Any) -> Any:
        return self.conn.execute(query).one()

    def counts(self, query: Any) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.conn.execute(query)}

    # -- volume, classification, melder types, outcomes

    def volume(self) -> None:
        s, m, a = self.s, meldingen, adviezen
        r = self.one(sa.select(sa.func.count(), _n(m.c.acute), _n(m.c.from_advies),
                               _n(m.c.crisis)).where(s.within(m.c.received_at), *s.own(m)))
        total = r[0]
        self.add("meldingen", total, None, "Meldingen received in the period (rm_meldingen, "
                 "by received_at and the melding's own region and gemeente).", "count")
        self.add("meldingen.acute", r[1], total, "Share of the period's meldingen received as "
                 "acute.")
        self.add("meldingen.from_advies", r[2], total, "Share of the period's meldingen that "
                 "began as an advies (AdviesConvertedToMelding).")
        self.add("crisis.share", r[3], total, "Share of the period's meldingen with a crisis "
                 "intervention: the assessment outcome or an additional measure is "
                 "crisis_intervention, or a crisis measure was recorded on the case while the "
                 "melding awaited its assessment (001: about 10%).")
        r = self.one(sa.select(sa.func.count(),
                               _n(sa.and_(a.c.converted_at.is_not(None),
                                          a.c.converted_at <= s.as_of)))
                     .where(s.within(a.c.received_at), *s.own(a)))
        self.add("adviezen", r[0], None, "Adviezen (advice requests) recorded in the period "
                 "(rm_adviezen, by received_at; adviezen hold no persons).", "count")
        self.add("adviezen.converted", r[1], r[0], "Share of the period's adviezen converted "
                 "into a melding by the report instant.")
        types = self.counts(
            sa.select(m.c.melder_type, sa.func.count()).where(s.within(m.c.received_at),
                                                              *s.own(m))
            .group_by(m.c.melder_type))
        for t in MelderType:
            self.add(f"melder_type.{t.value}", types.get(t.value, 0), total,
                     f"Share of the period's meldingen made by melder type '{t.value}'.")
        by_gemeente = self.conn.execute(
            sa.select(m.c.gemeente, sa.func.count()).where(s.within(m.c.received_at),
                                                           *s.own(m))
            .group_by(m.c.gemeente).order_by(m.c.gemeente)).all()
        for gm, count in by_gemeente:
            self.add(f"gemeente.{gm}", count, total, f"Share of the period's meldingen from "
                     f"gemeente {gm}.")

    def classification(self, start: datetime | None = None, end: datetime | None = None,
                       suffix: str = "") -> None:
        s = self.s
        r = self.one(sa.select(
            sa.func.count(), _n(mc.c.classification == "nieuw"),
            _n(mc.c.classification == "vervolgmelding"),
            _n(mc.c.classification == "hermelding"),
            *(_n(mc.c.vervolg_kind == k) for k in VERVOLG_KINDS))
            .where(s.within(mc.c.received_at, start, end), *s.own(mc)))
        total = r[0]
        base = ("of the meldingen received in the period, classified at receipt "
                "(rm_melding_classification; CBS Monitor Veilig Thuis)")
        self.add(f"classification.nieuw{suffix}", r[1], total, f"Share nieuw {base}: none "
                 "of the counted persons was known at VT (no involvement running at receipt "
                 "or ended within the lookback).")
        self.add(f"classification.vervolgmelding{suffix}", r[2], total, f"Share vervolgmelding "
                 f"{base}: VT was involved with one of the persons at receipt.")
        for i, k in enumerate(VERVOLG_KINDS):
            self.add(f"classification.vervolgmelding.{k}{suffix}", r[4 + i], total,
                     f"Share vervolgmelding {k.replace('_', ' ')} {base}.")
        self.add(f"classification.hermelding{suffix}", r[3], total, f"Share hermelding {base}:"
                 " a person's VT involvement had ended within the lookback (default 3 years, "
                 "boundary day included) and none was running. National reference H1 2022: "
                 "38%.")

    def outcomes(self) -> None:
        s, m = self.s, meldingen
        rows = self.counts(
            sa.select(m.c.outcome, sa.func.count()).where(s.within(m.c.assessed_at), *s.own(m))
            .group_by(m.c.outcome))
        total = sum(rows.values())
        self.add("assessments", total, None, "Veiligheidsbeoordelingen completed in the "
                 "period (rm_meldingen.assessed_at).", "count")
        for o in AssessmentOutcome:
            self.add(f"outcome.{o.value}", rows.get(o.value, 0), total,
                     f"Share of the period's veiligheidsbeoordelingen with outcome '{o.value}'.")
        vt = self.counts(
            sa.select(vt_services.c.service, sa.func.count())
            .where(s.within(vt_services.c.started_at), *s.cases(vt_services.c.case_id))
            .group_by(vt_services.c.service))
        for service in ("onderzoek", "voorwaarden_en_vervolg"):
            self.add(f"vt_services.{service}", vt.get(service, 0), None,
                     f"VT services '{service}' started in the period (VtServiceStarted).",
                     "count")

    # -- timeliness

    def timeliness(self, rule: str, start: datetime | None = None,
                   end: datetime | None = None, suffix: str = "",
                   headline_only: bool = False) -> None:
        s, d = self.s, deadlines
        concluded = s.within(d.c.met_at, start, end)
        late = d.c.status == "met_late"
        r = self.one(sa.select(
            _n(sa.and_(d.c.status == "met", concluded)),
            _n(sa.and_(d.c.status.in_(("met", "met_late")), concluded)),
            sa.func.coalesce(sa.func.sum(sa.case((sa.and_(late, concluded), d.c.late_seconds),
                                                 else_=0)), 0),
            _n(sa.and_(late, concluded)),
            _n(sa.and_(d.c.status == "closed_unmet", concluded)),
        ).where(d.c.rule_id == rule, d.c.checkpoint.is_(None), *s.cases(d.c.case_id)))
        what = TIMELINESS_RULES[rule]
        self.add(f"timeliness.{rule}.on_time{suffix}", r[0], r[1], f"{rule} {what}: share of "
                 "the deadlines concluded (met) in the period that were met on time "
                 "(rm_deadlines: status met / met or met_late, by met_at).")
        if headline_only:
            return
        self.add(f"timeliness.{rule}.days_late{suffix}", r[2] / 86400.0, r[3], f"{rule} "
                 f"{what}: mean days late of the deadlines met late in the period (sum of "
                 "late_seconds / 86400 over their number).", "days")
        self.add(f"timeliness.{rule}.closed_unmet{suffix}", r[4], r[1] + r[4], f"{rule} "
                 f"{what}: share of the deadlines concluded in the period that were closed "
                 "without being met (the case closed with a recorded reason, monitoring ended "
                 "before a check-point, or the duty ended with its huisverbod).")
        open_at = sa.and_(d.c.start <= s.as_of,
                          sa.or_(d.c.status == "open", d.c.met_at > s.as_of))
        r = self.one(sa.select(_n(sa.and_(open_at, d.c.due <= s.as_of)), _n(open_at))
                     .where(d.c.rule_id == rule, d.c.checkpoint.is_(None),
                            *s.cases(d.c.case_id)))
        self.add(f"timeliness.{rule}.open_breaches{suffix}", r[0], r[1], f"{rule} {what}: "
                 "deadlines open and past due at the report instant, of all open at that "
                 "instant.")

    # -- phases

    def phases(self) -> list[Flow]:
        s, p = self.s, phase_stays
        scope = s.cases(p.c.case_id)
        covering = sa.and_(p.c.entered_at <= s.as_of,
                           sa.or_(p.c.left_at.is_(None), p.c.left_at > s.as_of))
        occ = self.counts(
            sa.select(p.c.phase, sa.func.count(sa.distinct(p.c.case_id)))
            .where(covering, p.c.phase.in_(OPEN_PHASES), *scope).group_by(p.c.phase))
        total_open = sum(occ.values())
        for ph in OPEN_PHASES:
            self.add(f"occupancy.{ph}", occ.get(ph, 0), total_open, f"Cases in phase {ph} at "
                     "the report instant, of all cases in an open phase then (rm_phase_stays).")
        days = s.days(p.c.entered_at, p.c.left_at)
        spent = {r[0]: (r[1], r[2]) for r in self.conn.execute(
            sa.select(p.c.phase, sa.func.sum(days), sa.func.count())
            .where(s.within(p.c.left_at), *scope).group_by(p.c.phase))}
        for ph in OPEN_PHASES:
            tot, n = spent.get(ph, (0.0, 0))
            self.add(f"phase_time.{ph}", tot or 0.0, n, f"Mean days spent in phase {ph} by the "
                     "stays that ended in the period (sum of days / number of stays).", "days")
        later = sa.and_(p.c.phase.in_(LATER_PHASES), s.within(p.c.left_at))
        r = self.one(sa.select(_n(sa.and_(later, p.c.how_left == "loop_back")), _n(later))
                     .where(*scope))
        self.add("returns_to_directe_veiligheid", r[0], r[1], "Share of the stays in a later "
                 "phase (risicogestuurde zorg, herstel, waakvlam) ending in the period that "
                 "ended with a return to directe veiligheid (loop-back).")
        self._funnel(scope)
        flows = [Flow(a, b, int(n)) for a, b, n in self.conn.execute(
            sa.select(p.c.from_phase, p.c.phase, sa.func.count())
            .where(s.within(p.c.entered_at), *scope)
            .group_by(p.c.from_phase, p.c.phase).order_by(p.c.from_phase, p.c.phase))]
        total = sum(f.count for f in flows)
        for f in flows:
            self.add(f"flow.{f.from_phase}.{f.to_phase}", f.count, total, f"Transitions from "
                     f"{f.from_phase} to {f.to_phase} in the period, of all transitions.")
        return flows

    def _funnel(self, scope: list[Any]) -> None:
        s, p = self.s, phase_stays
        cohort = (sa.select(p.c.case_id, sa.func.min(p.c.entered_at).label("entered"))
                  .where(p.c.phase == "triage", s.within(p.c.entered_at), *scope)
                  .group_by(p.c.case_id).subquery())
        reached = self.counts(
            sa.select(p.c.phase, sa.func.count(sa.distinct(p.c.case_id)))
            .join(cohort, cohort.c.case_id == p.c.case_id)
            .where(p.c.entered_at >= cohort.c.entered, p.c.entered_at <= s.as_of)
            .group_by(p.c.phase))
        size = reached.get("triage", 0)
        for ph in FUNNEL_PHASES:
            self.add(f"funnel.{ph}", reached.get(ph, 0), size, f"Of the cases that entered "
                     f"triage in the period (a melding opened or reopened them), the share that "
                     f"reached {ph} by the report instant.")

    # -- case-level measures

    def _active(self) -> Any:
        s, p = self.s, phase_stays
        return (sa.select(p.c.case_id).where(
            p.c.phase.in_(OPEN_PHASES), p.c.entered_at < s.end, p.c.entered_at <= s.as_of,
            sa.or_(p.c.left_at.is_(None), p.c.left_at > s.start), *s.cases(p.c.case_id))
            .distinct().subquery())

    def cases(self) -> None:
        s, cm = self.s, case_moments
        active = self._active()
        n_active = self.conn.execute(sa.select(sa.func.count()).select_from(active)).scalar_one()
        self.add("cases.active", n_active, None, "Cases in an open phase (triage to waakvlam) "
                 "at some time in the period (rm_phase_stays).", "count")
        mda = self.conn.execute(sa.select(sa.func.count(sa.distinct(cm.c.case_id))).where(
            cm.c.kind == "mda_escalated", s.within(cm.c.at),
            cm.c.case_id.in_(sa.select(active.c.case_id)))).scalar_one()
        self.add("mda.share", mda, n_active, "Share of the period's active cases escalated to "
                 "MDA++ in the period (EscalatedToMda; 002/004: about 5% of cases).")
        crisis = self.conn.execute(sa.select(sa.func.count()).where(
            cm.c.kind == "crisis_measure", s.within(cm.c.at), *s.cases(cm.c.case_id))
        ).scalar_one()
        self.add("crisis.measures", crisis, None, "Crisis measures recorded in the period "
                 "(CrisisMeasureTaken).", "count")
        emergency = self.conn.execute(sa.select(sa.func.count()).where(
            cm.c.kind == "emergency_access", s.within(cm.c.at), *s.cases(cm.c.case_id))
        ).scalar_one()
        self.add("access.emergency", emergency, None, "Emergency accesses in the period: reads "
                 "by an actor without involvement who stated a safety reason "
                 "(EmergencyAccessRecorded; privacy never blocks safety, seed 004).", "count")
        ed = self.conn.execute(sa.select(sa.func.count()).where(
            monitor_cases.c.case_id.in_(sa.select(active.c.case_id)),
            monitor_cases.c.ervaringsdeskundige_at <= s.as_of)).scalar_one()
        self.add("ervaringsdeskundige.share", ed, n_active, "Share of the period's active "
                 "cases with an ervaringsdeskundige involved by the report instant "
                 "(success criterion of 000).")
        pa = plegeraanbod
        offered_cases = self.conn.execute(sa.select(sa.func.count(sa.distinct(pa.c.case_id)))
                                          .where(s.within(pa.c.offered_at),
                                                 pa.c.case_id.in_(sa.select(active.c.case_id)))
                                          ).scalar_one()
        self.add("plegeraanbod.offered", offered_cases, n_active, "Share of the period's "
                 "active cases in which a plegeraanbod (offender help) was offered in the "
                 "period (success criterion of 000).")
        r = self.one(sa.select(sa.func.count(),
                               _n(sa.and_(pa.c.accepted.is_(True), pa.c.responded_at <= s.as_of)))
                     .where(s.within(pa.c.offered_at), *s.cases(pa.c.case_id)))
        self.add("plegeraanbod.accepted", r[1], r[0], "Share of the plegeraanbod offers made "
                 "in the period that were accepted by the report instant.")

    def huisverboden(self) -> None:
        s, h = self.s, huisverboden
        r = self.one(sa.select(
            sa.func.count(),
            _n(sa.and_(h.c.extended_at.is_not(None), h.c.extended_at <= s.as_of)),
            _n(sa.and_(h.c.revoked_at.is_not(None), h.c.revoked_at <= s.as_of)))
            .where(s.within(h.c.imposed_at), *s.cases(h.c.case_id)))
        self.add("huisverbod.imposed", r[0], None, "Tijdelijke huisverboden imposed in the "
                 "period (HuisverbodImposed).", "count")
        self.add("huisverbod.extended", r[1], r[0], "Share of the period's huisverboden that "
                 "were extended (Hollands Midden 2017: 41 of 100, seed 002).")
        self.add("huisverbod.revoked", r[2], r[0], "Share of the period's huisverboden that "
                 "were revoked by the burgemeester.")


def monitor_report(
    source: HgkmApplication | sa.Engine,
    region: str | None = None,
    gemeente: str | None = None,
    period: str | Period | None = None,
    *,
    as_of: datetime | None = None,
    history: int = 6,
) -> MonitorReport:
    """Compute every monitor figure for a selection and a period.

    Reads the read models as they stand: pass an application after ``catch_up()`` (as
    :meth:`HgkmApplication.monitor` does) or its engine.

    Args:
        source: The application (its ``engine`` is used) or a read-model engine.
        region: Only this region (``None``: all).
        gemeente: Only this gemeente, a CBS code such as ``GM0599`` (``None``: all).
        period: ``2025``, ``2025H1``, ``2025Q2`` or ``2025-03``; default the half-year
            holding ``as_of`` (or now).
        as_of: The report instant, at most the end of the period (default: that end).
        history: Number of half-years in the hermelding series (ending with the period's).

    Returns:
        The report with every figure, the series and the phase flows.

    Raises:
        InvalidPeriod: If ``period`` cannot be parsed.
    """
    engine = source if isinstance(source, sa.Engine) else source.engine
    if isinstance(period, Period):
        chosen = period
    elif period:
        chosen = Period.parse(period)
    else:
        chosen = Period.containing(as_of or datetime.now(UTC))
    instant = min(as_of, chosen.end) if as_of is not None else chosen.end
    scope = _Scope(region or None, gemeente or None, naive_utc(chosen.start),
                   naive_utc(chosen.end), naive_utc(instant), engine.dialect.name)
    series: dict[str, tuple[Figure, ...]] = {}
    with engine.connect() as conn:
        b = _Builder(conn, scope)
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
    first_seen: dict[str, int] = {}
    for i, f in enumerate(b.figures):
        first_seen.setdefault(f.group, i)
    figures = sorted(b.figures, key=lambda f: first_seen[f.group])  # stable within a group
    return MonitorReport(region=region or None, gemeente=gemeente or None, period=chosen,
                         as_of=instant, figures=tuple(figures), series=series,
                         flows=tuple(flows), classification_settings=settings)


def _half_years(period: Period, count: int) -> list[Period]:
    last_day = period.end_day - timedelta(days=1)
    last = Period(date(last_day.year, 1 if last_day.month <= 6 else 7, 1), 6)
    return [last.shifted(i - count + 1) for i in range(count)]


def _series(conn: sa.Connection, scope: _Scope, periods: Sequence[Period],
            kind: str) -> tuple[Figure, ...]:
    out: list[Figure] = []
    for p in periods:
        b = _Builder(conn, scope)
        start, end = naive_utc(p.start), naive_utc(p.end)
        if kind == "hermelding":
            b.classification(start, end, f"@{p.label}")
            out.extend(f for f in b.figures if f.name.startswith("classification.hermelding@"))
        else:
            for rule in ("T1", "T3"):
                b.timeliness(rule, start, end, f"@{p.label}", headline_only=True)
            out.extend(b.figures)
    return tuple(out)
