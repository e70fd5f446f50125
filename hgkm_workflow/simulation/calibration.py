"""Calibration check: the figures a simulated region produced, measured from the read models.

Every figure is measured the way the monitor measures it — from the read models, not from what
the generator intended: ``rm_meldingen``, ``rm_adviezen``, ``rm_huisverboden`` (monitor
tables) and ``rm_melding_classification`` (the person index's CBS classification). The period
is the simulated one, ``[start, until)`` in Amsterdam time; the history before it is left out.
Each row states the target from the region profile, the simulated value and the tolerance the
calibration test holds it to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa

from hgkm_workflow.domain.calendar import amsterdam_zone
from hgkm_workflow.projections._util import naive_utc
from hgkm_workflow.projections.monitor_tables import adviezen, huisverboden, meldingen
from hgkm_workflow.projections.person_index import melding_classification as mc
from hgkm_workflow.simulation.profiles import RegionProfile

#: Absolute tolerance per share, relative tolerance per yearly volume (see docs/simulation.md).
TOLERANCES: dict[str, float] = {
    "meldingen_per_year": 0.05, "adviezen_per_year": 0.05, "huisverboden_per_year": 0.15,
    "police_share": 0.03, "crisis_share": 0.03, "huisverbod_extended_share": 0.15,
    "onderzoek_share": 0.03, "mda_of_severe_share": 0.04, "nieuw_share": 0.06,
    "vervolg_share": 0.06, "hermelding_share": 0.06,
}


@dataclass(frozen=True)
class CalibrationRow:
    """One calibrated figure: target, simulated value and whether it is within tolerance."""

    name: str
    target: float
    simulated: float | None
    tolerance: float
    relative: bool
    source: str
    estimate: bool
    numerator: float
    denominator: float

    @property
    def within(self) -> bool:
        """Whether the simulated value lies within the tolerance of the target."""
        if self.simulated is None:
            return False
        bound = self.tolerance * self.target if self.relative else self.tolerance
        return abs(self.simulated - self.target) <= bound + 1e-9

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"name": self.name, "target": self.target, "simulated": self.simulated,
                "tolerance": self.tolerance, "relative": self.relative, "source": self.source,
                "estimate": self.estimate, "within": self.within,
                "numerator": self.numerator, "denominator": self.denominator}


def _bounds(start: date, until: date) -> tuple[datetime, datetime]:
    zone = amsterdam_zone()
    lo = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC)
    hi = datetime.combine(until, time(0), tzinfo=zone).astimezone(UTC)
    return naive_utc(lo), naive_utc(hi)


def _count(conn: sa.Connection, query: Any) -> int:
    return int(conn.execute(query).scalar_one() or 0)


def measure(engine: sa.Engine, profile: RegionProfile, start: date, until: date,
            scale: float) -> list[CalibrationRow]:
    """Measure the calibrated figures of ``profile``'s region over ``[start, until)``."""
    lo, hi = _bounds(start, until)
    years = (until - start).days / 365.25
    m, a, h = meldingen, adviezen, huisverboden
    region = profile.id
    in_period = sa.and_(m.c.region == region, m.c.received_at >= lo, m.c.received_at < hi)
    with engine.connect() as conn:
        n_m = _count(conn, sa.select(sa.func.count()).where(in_period))
        n_police = _count(conn, sa.select(sa.func.count()).where(in_period,
                                                                 m.c.melder_type == "politie"))
        n_crisis = _count(conn, sa.select(sa.func.count()).where(in_period, m.c.crisis))
        n_onderzoek = _count(conn, sa.select(sa.func.count()).where(
            in_period, m.c.outcome == "onderzoek"))
        severe = sa.or_(m.c.crisis, m.c.outcome == "onderzoek")
        n_severe = _count(conn, sa.select(sa.func.count()).where(in_period, severe))
        escalated = sa.or_(m.c.outcome == "escalate_mda",
                           m.c.additional_measures.like("%escalate_mda%"))
        n_mda = _count(conn, sa.select(sa.func.count()).where(in_period, severe, escalated))
        n_a = _count(conn, sa.select(sa.func.count()).where(
            a.c.region == region, a.c.received_at >= lo, a.c.received_at < hi))
        case_in_region = sa.select(m.c.case_id).where(m.c.region == region)
        hv_in_period = sa.and_(h.c.imposed_at >= lo, h.c.imposed_at < hi,
                               h.c.case_id.in_(case_in_region))
        n_hv = _count(conn, sa.select(sa.func.count()).where(hv_in_period))
        n_ext = _count(conn, sa.select(sa.func.count()).where(hv_in_period,
                                                              h.c.extended_at.is_not(None)))
        classes = {str(k): int(v) for k, v in conn.execute(
            sa.select(mc.c.classification, sa.func.count()).where(
                mc.c.region == region, mc.c.received_at >= lo, mc.c.received_at < hi)
            .group_by(mc.c.classification))}
    n_class = sum(classes.values())
    vol, sh = profile.volumes, profile.shares
    cls = sh.classification
    per_year = scale * years

    def share(name: str, target: float, num: float, den: float, source: str,
              estimate: bool) -> CalibrationRow:
        return CalibrationRow(name, target, num / den if den else None, TOLERANCES[name],
                              False, source, estimate, num, den)

    def volume(name: str, figure: Any, num: float) -> CalibrationRow:
        return CalibrationRow(name, figure.value, num / per_year if per_year else None,
                              TOLERANCES[name], True, figure.source, figure.estimate, num,
                              per_year)

    return [
        volume("meldingen_per_year", vol.meldingen, n_m),
        volume("adviezen_per_year", vol.adviezen, n_a),
        volume("huisverboden_per_year", vol.huisverboden, n_hv),
        share("police_share", sh.melder_types.value.get("politie", 0.0), n_police, n_m,
              sh.melder_types.source, sh.melder_types.estimate),
        share("crisis_share", sh.crisis.value, n_crisis, n_m, sh.crisis.source,
              sh.crisis.estimate),
        share("huisverbod_extended_share", sh.huisverbod_extended.value, n_ext, n_hv,
              sh.huisverbod_extended.source, sh.huisverbod_extended.estimate),
        share("onderzoek_share", sh.onderzoek.value, n_onderzoek, n_m, sh.onderzoek.source,
              sh.onderzoek.estimate),
        share("mda_of_severe_share", sh.mda_of_severe.value, n_mda, n_severe,
              sh.mda_of_severe.source, sh.mda_of_severe.estimate),
        share("nieuw_share", cls.value["nieuw"], classes.get("nieuw", 0), n_class, cls.source,
              cls.estimate or "nieuw" in cls.estimated_keys),
        share("vervolg_share", cls.value["vervolg"], classes.get("vervolgmelding", 0), n_class,
              cls.source, cls.estimate or "vervolg" in cls.estimated_keys),
        share("hermelding_share", cls.value["hermelding"], classes.get("hermelding", 0),
              n_class, cls.source, cls.estimate or "hermelding" in cls.estimated_keys),
    ]
