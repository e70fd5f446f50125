"""The monitor's SQL aggregates over the read models.

:class:`FigureBuilder` computes the figures of one selection (region, gemeente) and period
(:class:`Scope`) as aggregate queries over the fact tables of
:mod:`hgkm_workflow.projections.monitor_tables`, the classification table of the person
index and the deadline index ``rm_deadlines``. *In the period* means an instant in the period
and not after the report instant; *at the report instant* means the state at ``as_of``.

Each figure group asks its numbers of a hook (``volume_numbers``, ``timeliness_numbers``, …)
and adds the figures with their names and definitions; :class:`FigureBuilder`'s hooks are the
aggregate queries (the recomputing path, the reference), and
:class:`~hgkm_workflow.monitor.counted.CountedFigureBuilder` overrides them to read the
maintained counts, so both give the same figures in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hgkm_workflow.monitor.figures import (
    FUNNEL_PHASES,
    LATER_PHASES,
    OPEN_PHASES,
    TIMELINESS_RULES,
    VERVOLG_KINDS,
    Figure,
    Flow,
)
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
from hgkm_workflow.projections.person_tables import melding_classification as mc
from hgkm_workflow.vocabulary import AssessmentOutcome, MelderType


def _n(cond: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


@dataclass(frozen=True)
class Scope:
    """A selection and a period: region and gemeente (``None``: all), the period's bounds
    and the report instant (naive UTC), and the SQL dialect (for day differences)."""

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


class FigureBuilder:
    """Adds figures to :attr:`figures`, one group of aggregate queries per method.

    Args:
        conn: A read connection on the read models.
        scope: The selection, period and report instant.
    """

    def __init__(self, conn: sa.Connection, scope: Scope) -> None:
        self.conn = conn
        self.s = scope
        self.figures: list[Figure] = []

    def add(self, name: str, num: float, den: float | None, definition: str,
            unit: str = "share") -> Figure:
        """Add a figure (missing numbers count as 0) and return it."""
        f = Figure(name, float(num or 0), None if den is None else float(den or 0), definition,
                   unit)
        self.figures.append(f)
        return f

    def one(self, query: Any) -> Any:
        """The single row of an aggregate query."""
        return self.conn.execute(query).one()

    def counts(self, query: Any) -> dict[str, int]:
        """A ``key, count`` query as a mapping."""
        return {str(k): int(v) for k, v in self.conn.execute(query)}

    # -- volume, classification, melder types, outcomes

    def volume(self) -> None:
        """Meldingen, adviezen, melder types and gemeenten of the period."""
        r, adv, types, by_gemeente = self.volume_numbers()
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
        r = adv
        self.add("adviezen", r[0], None, "Adviezen (advice requests) recorded in the period "
                 "(rm_adviezen, by received_at; adviezen hold no persons).", "count")
        self.add("adviezen.converted", r[1], r[0], "Share of the period's adviezen converted "
                 "into a melding by the report instant.")
        for t in MelderType:
            self.add(f"melder_type.{t.value}", types.get(t.value, 0), total,
                     f"Share of the period's meldingen made by melder type '{t.value}'.")
        for gm, count in by_gemeente:
            self.add(f"gemeente.{gm}", count, total, f"Share of the period's meldingen from "
                     f"gemeente {gm}.")

    def volume_numbers(self) -> tuple[Any, Any, dict[str, int], list[tuple[str, int]]]:
        """Meldingen (total, acute, from an advies, crisis), adviezen (total, converted by
        the report instant), meldingen by melder type and by gemeente (in code order)."""
        s, m, a = self.s, meldingen, adviezen
        r = self.one(sa.select(sa.func.count(), _n(m.c.acute), _n(m.c.from_advies),
                               _n(m.c.crisis)).where(s.within(m.c.received_at), *s.own(m)))
        adv = self.one(sa.select(sa.func.count(),
                                 _n(sa.and_(a.c.converted_at.is_not(None),
                                            a.c.converted_at <= s.as_of)))
                       .where(s.within(a.c.received_at), *s.own(a)))
        types = self.counts(
            sa.select(m.c.melder_type, sa.func.count()).where(s.within(m.c.received_at),
                                                              *s.own(m))
            .group_by(m.c.melder_type))
        by_gemeente = [(str(g), int(n)) for g, n in self.conn.execute(
            sa.select(m.c.gemeente, sa.func.count()).where(s.within(m.c.received_at),
                                                           *s.own(m))
            .group_by(m.c.gemeente).order_by(m.c.gemeente))]
        return r, adv, types, by_gemeente

    def classification(self, start: datetime | None = None, end: datetime | None = None,
                       suffix: str = "") -> None:
        """The classification shares of the meldingen received in the period (or in
        ``start``..``end``, with ``suffix`` on the names)."""
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
        """Assessment outcomes and VT services started in the period."""
        rows, vt = self.outcome_numbers()
        total = sum(rows.values())
        self.add("assessments", total, None, "Veiligheidsbeoordelingen completed in the "
                 "period (rm_meldingen.assessed_at).", "count")
        for o in AssessmentOutcome:
            self.add(f"outcome.{o.value}", rows.get(o.value, 0), total,
                     f"Share of the period's veiligheidsbeoordelingen with outcome '{o.value}'.")
        for service in ("onderzoek", "voorwaarden_en_vervolg"):
            self.add(f"vt_services.{service}", vt.get(service, 0), None,
                     f"VT services '{service}' started in the period (VtServiceStarted).",
                     "count")

    def outcome_numbers(self) -> tuple[dict[str, int], dict[str, int]]:
        """Assessments completed in the period by outcome; VT services started by service."""
        s, m = self.s, meldingen
        rows = self.counts(
            sa.select(m.c.outcome, sa.func.count()).where(s.within(m.c.assessed_at), *s.own(m))
            .group_by(m.c.outcome))
        vt = self.counts(
            sa.select(vt_services.c.service, sa.func.count())
            .where(s.within(vt_services.c.started_at), *s.cases(vt_services.c.case_id))
            .group_by(vt_services.c.service))
        return rows, vt

    # -- timeliness

    def timeliness(self, rule: str, start: datetime | None = None,
                   end: datetime | None = None, suffix: str = "",
                   headline_only: bool = False) -> None:
        """Timeliness of a deadline rule (T1, T3, T8, T9) in the period (or in
        ``start``..``end``, with ``suffix`` on the names; ``headline_only``: on time only)."""
        r = self.timeliness_numbers(rule, start, end)
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
        r = self.open_numbers(rule)
        self.add(f"timeliness.{rule}.open_breaches{suffix}", r[0], r[1], f"{rule} {what}: "
                 "deadlines open and past due at the report instant, of all open at that "
                 "instant.")

    def timeliness_numbers(self, rule: str, start: datetime | None,
                           end: datetime | None) -> Any:
        """Of a rule's main deadlines concluded in the period: met on time, met (on time or
        late), the sum of seconds late, the number late, closed unmet."""
        s, d = self.s, deadlines
        concluded = s.within(d.c.met_at, start, end)
        late = d.c.status == "met_late"
        return self.one(sa.select(
            _n(sa.and_(d.c.status == "met", concluded)),
            _n(sa.and_(d.c.status.in_(("met", "met_late")), concluded)),
            sa.func.coalesce(sa.func.sum(sa.case((sa.and_(late, concluded), d.c.late_seconds),
                                                 else_=0)), 0),
            _n(sa.and_(late, concluded)),
            _n(sa.and_(d.c.status == "closed_unmet", concluded)),
        ).where(d.c.rule_id == rule, d.c.checkpoint.is_(None), *s.cases(d.c.case_id)))

    def open_numbers(self, rule: str) -> Any:
        """A rule's main deadlines open at the report instant and past due, and all open."""
        s, d = self.s, deadlines
        open_at = sa.and_(d.c.start <= s.as_of,
                          sa.or_(d.c.status == "open", d.c.met_at > s.as_of))
        return self.one(sa.select(_n(sa.and_(open_at, d.c.due <= s.as_of)), _n(open_at))
                        .where(d.c.rule_id == rule, d.c.checkpoint.is_(None),
                               *s.cases(d.c.case_id)))

    # -- phases

    def phases(self) -> list[Flow]:
        """Occupancy, time in phase, returns, the funnel and the flows between phases.

        Returns:
            The phase transitions of the period.
        """
        scope = self.s.cases(phase_stays.c.case_id)
        occ = self.occupancy_numbers()
        total_open = sum(occ.values())
        for ph in OPEN_PHASES:
            self.add(f"occupancy.{ph}", occ.get(ph, 0), total_open, f"Cases in phase {ph} at "
                     "the report instant, of all cases in an open phase then (rm_phase_stays).")
        spent, r = self.stay_numbers()
        for ph in OPEN_PHASES:
            tot, n = spent.get(ph, (0.0, 0))
            self.add(f"phase_time.{ph}", tot or 0.0, n, f"Mean days spent in phase {ph} by the "
                     "stays that ended in the period (sum of days / number of stays).", "days")
        self.add("returns_to_directe_veiligheid", r[0], r[1], "Share of the stays in a later "
                 "phase (risicogestuurde zorg, herstel, waakvlam) ending in the period that "
                 "ended with a return to directe veiligheid (loop-back).")
        self._funnel(scope)
        flows = self.flow_numbers()
        total = sum(f.count for f in flows)
        for f in flows:
            self.add(f"flow.{f.from_phase}.{f.to_phase}", f.count, total, f"Transitions from "
                     f"{f.from_phase} to {f.to_phase} in the period, of all transitions.")
        return flows

    def occupancy_numbers(self) -> dict[str, int]:
        """Cases per open phase at the report instant."""
        s, p = self.s, phase_stays
        covering = sa.and_(p.c.entered_at <= s.as_of,
                           sa.or_(p.c.left_at.is_(None), p.c.left_at > s.as_of))
        return self.counts(
            sa.select(p.c.phase, sa.func.count(sa.distinct(p.c.case_id)))
            .where(covering, p.c.phase.in_(OPEN_PHASES), *s.cases(p.c.case_id))
            .group_by(p.c.phase))

    def stay_numbers(self) -> tuple[dict[str, tuple[float, int]], Any]:
        """Per phase, days spent in and number of the stays that ended in the period; the
        stays in a later phase ending in the period with a loop-back, and all of them."""
        s, p = self.s, phase_stays
        scope = s.cases(p.c.case_id)
        days = s.days(p.c.entered_at, p.c.left_at)
        spent = {r[0]: (r[1], r[2]) for r in self.conn.execute(
            sa.select(p.c.phase, sa.func.sum(days), sa.func.count())
            .where(s.within(p.c.left_at), *scope).group_by(p.c.phase))}
        later = sa.and_(p.c.phase.in_(LATER_PHASES), s.within(p.c.left_at))
        r = self.one(sa.select(_n(sa.and_(later, p.c.how_left == "loop_back")), _n(later))
                     .where(*scope))
        return spent, r

    def flow_numbers(self) -> list[Flow]:
        """The phase transitions of the period, by from and to phase."""
        s, p = self.s, phase_stays
        return [Flow(a, b, int(n)) for a, b, n in self.conn.execute(
            sa.select(p.c.from_phase, p.c.phase, sa.func.count())
            .where(s.within(p.c.entered_at), *s.cases(p.c.case_id))
            .group_by(p.c.from_phase, p.c.phase).order_by(p.c.from_phase, p.c.phase))]

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
        """Case-level measures of the period's active cases (MDA++, crisis, emergency
        access, ervaringsdeskundige, plegeraanbod)."""
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
        crisis = self.moment_number("crisis_measure")
        self.add("crisis.measures", crisis, None, "Crisis measures recorded in the period "
                 "(CrisisMeasureTaken).", "count")
        emergency = self.moment_number("emergency_access")
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
        r = self.offer_numbers()
        self.add("plegeraanbod.accepted", r[1], r[0], "Share of the plegeraanbod offers made "
                 "in the period that were accepted by the report instant.")

    def moment_number(self, kind: str) -> int:
        """Moments of a kind (crisis measure, emergency access) recorded in the period."""
        s, cm = self.s, case_moments
        return int(self.conn.execute(sa.select(sa.func.count()).where(
            cm.c.kind == kind, s.within(cm.c.at), *s.cases(cm.c.case_id))).scalar_one())

    def offer_numbers(self) -> Any:
        """Plegeraanbod offers made in the period, and those accepted by the report instant."""
        s, pa = self.s, plegeraanbod
        return self.one(sa.select(sa.func.count(),
                                  _n(sa.and_(pa.c.accepted.is_(True),
                                             pa.c.responded_at <= s.as_of)))
                        .where(s.within(pa.c.offered_at), *s.cases(pa.c.case_id)))

    def huisverbod_numbers(self) -> Any:
        """Huisverboden imposed in the period; of those, extended and revoked by the report
        instant."""
        s, h = self.s, huisverboden
        return self.one(sa.select(
            sa.func.count(),
            _n(sa.and_(h.c.extended_at.is_not(None), h.c.extended_at <= s.as_of)),
            _n(sa.and_(h.c.revoked_at.is_not(None), h.c.revoked_at <= s.as_of)))
            .where(s.within(h.c.imposed_at), *s.cases(h.c.case_id)))

    def huisverboden(self) -> None:
        """Huisverboden imposed in the period, and the shares extended and revoked."""
        r = self.huisverbod_numbers()
        self.add("huisverbod.imposed", r[0], None, "Tijdelijke huisverboden imposed in the "
                 "period (HuisverbodImposed).", "count")
        self.add("huisverbod.extended", r[1], r[0], "Share of the period's huisverboden that "
                 "were extended (Hollands Midden 2017: 41 of 100, seed 002).")
        self.add("huisverbod.revoked", r[2], r[0], "Share of the period's huisverboden that "
                 "were revoked by the burgemeester.")
