"""Fact tables of the monitor: one row per melding, advies, phase stay, huisverbod, ….

Every monitor figure (:mod:`hgkm_workflow.monitor`) is a SQL aggregate over these tables,
the classification table of the person index and the deadline index (``rm_deadlines``, for
timeliness). Rows are keyed by the domain id (melding, advies, huisverbod, VT service) or,
for facts without one, by the notification id of the event that created them, so a rebuild
writes exactly the rows incremental processing wrote.

Region and gemeente: a melding and an advies carry their own. Case-level facts (phase stays,
huisverboden, MDA++ moves, crisis measures, plegeraanbod) are attributed through
``rm_monitor_cases``, which holds the region and gemeente of the case's latest melding.
"""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa

from hgkm_workflow.projections._util import naive_utc
from hgkm_workflow.projections.base import Projection

metadata = sa.MetaData()
_ID = sa.String(36)
_B = sa.bindparam

monitor_cases = sa.Table(
    "rm_monitor_cases",
    metadata,
    sa.Column("case_id", _ID, primary_key=True),
    sa.Column("region", sa.String(64), nullable=False),
    sa.Column("gemeente", sa.String(8), nullable=False),
    sa.Column("first_melding_at", sa.DateTime, nullable=False),
    sa.Column("ervaringsdeskundige_at", sa.DateTime, nullable=True),
    sa.Index("ix_rm_monitor_cases_region", "region", "gemeente"),
)

meldingen = sa.Table(
    "rm_meldingen",
    metadata,
    sa.Column("melding_id", _ID, primary_key=True),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("region", sa.String(64), nullable=False),
    sa.Column("gemeente", sa.String(8), nullable=False),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("melder_type", sa.String(32), nullable=False),
    sa.Column("acute", sa.Boolean, nullable=False),
    sa.Column("from_advies", sa.Boolean, nullable=False),
    sa.Column("reopened", sa.Boolean, nullable=False),
    sa.Column("persons", sa.Integer, nullable=False),
    sa.Column("assessed_at", sa.DateTime, nullable=True),
    sa.Column("outcome", sa.String(32), nullable=True),
    sa.Column("additional_measures", sa.String(300), nullable=True),
    sa.Column("handover_type", sa.String(32), nullable=True),
    sa.Column("crisis", sa.Boolean, nullable=False),
    sa.Index("ix_rm_meldingen_region", "region", "received_at"),
    sa.Index("ix_rm_meldingen_received", "received_at"),
    sa.Index("ix_rm_meldingen_case", "case_id"),
)

adviezen = sa.Table(
    "rm_adviezen",
    metadata,
    sa.Column("advies_id", _ID, primary_key=True),
    sa.Column("region", sa.String(64), nullable=False),
    sa.Column("gemeente", sa.String(8), nullable=False),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("melder_type", sa.String(32), nullable=False),
    sa.Column("converted_at", sa.DateTime, nullable=True),
    sa.Column("melding_id", _ID, nullable=True),
    sa.Index("ix_rm_adviezen_region", "region", "received_at"),
)

phase_stays = sa.Table(
    "rm_phase_stays",
    metadata,
    sa.Column("stay_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("phase", sa.String(32), nullable=False),
    sa.Column("from_phase", sa.String(32), nullable=False),
    sa.Column("how_entered", sa.String(32), nullable=False),
    sa.Column("entered_at", sa.DateTime, nullable=False),
    sa.Column("left_at", sa.DateTime, nullable=True),
    sa.Column("to_phase", sa.String(32), nullable=True),
    sa.Column("how_left", sa.String(32), nullable=True),
    sa.Index("ix_rm_phase_stays_case", "case_id", "left_at"),
    sa.Index("ix_rm_phase_stays_entered", "entered_at"),
)

vt_services = sa.Table(
    "rm_vt_services",
    metadata,
    sa.Column("service_id", _ID, primary_key=True),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("service", sa.String(32), nullable=False),
    sa.Column("melding_id", _ID, nullable=True),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("completed_at", sa.DateTime, nullable=True),
    sa.Column("result", sa.String(32), nullable=True),
    sa.Column("conclusion", sa.String(32), nullable=True),
)

huisverboden = sa.Table(
    "rm_huisverboden",
    metadata,
    sa.Column("huisverbod_id", _ID, primary_key=True),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("imposed_at", sa.DateTime, nullable=False),
    sa.Column("ends_at", sa.DateTime, nullable=False),
    sa.Column("extended_at", sa.DateTime, nullable=True),
    sa.Column("revoked_at", sa.DateTime, nullable=True),
    sa.Column("expired_at", sa.DateTime, nullable=True),
    sa.Column("contact_address_at", sa.DateTime, nullable=True),
    sa.Index("ix_rm_huisverboden_imposed", "imposed_at"),
)

case_moments = sa.Table(
    "rm_case_moments",
    metadata,
    sa.Column("moment_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("detail", sa.String(32), nullable=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Index("ix_rm_case_moments_kind", "kind", "at"),
)
"""Dated moments of a case: ``mda_escalated``, ``mda_returned``, ``crisis_measure``."""

plegeraanbod = sa.Table(
    "rm_plegeraanbod",
    metadata,
    sa.Column("offer_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("person_id", _ID, nullable=False),
    sa.Column("offered_at", sa.DateTime, nullable=False),
    sa.Column("responded_at", sa.DateTime, nullable=True),
    sa.Column("accepted", sa.Boolean, nullable=True),
    sa.Index("ix_rm_plegeraanbod_case", "case_id", "person_id"),
)

# Prebuilt statements (SQLAlchemy caches their compiled form; parameters vary per event).
_leave_stay = (
    phase_stays.update()
    .where(phase_stays.c.case_id == _B("c"), phase_stays.c.left_at.is_(None))
    .values(left_at=_B("at"), to_phase=_B("to"), how_left=_B("how"))
)
_update_case = (
    monitor_cases.update()
    .where(monitor_cases.c.case_id == _B("c"))
    .values(region=_B("region"), gemeente=_B("gemeente"))
)
_assess = (
    meldingen.update()
    .where(meldingen.c.melding_id == _B("m"))
    .values(
        assessed_at=_B("at"),
        outcome=_B("outcome"),
        handover_type=_B("handover"),
        additional_measures=_B("measures"),
        crisis=sa.or_(meldingen.c.crisis, _B("crisis", type_=sa.Boolean)),
    )
)
_crisis_pending = (
    meldingen.update()
    .where(meldingen.c.case_id == _B("c"), meldingen.c.assessed_at.is_(None))
    .values(crisis=True)
)
_service_done = (
    vt_services.update()
    .where(vt_services.c.service_id == _B("s"))
    .values(completed_at=_B("at"), result=_B("result"), conclusion=_B("conclusion"))
)
_ervaringsdeskundige = (
    monitor_cases.update()
    .where(monitor_cases.c.case_id == _B("c"), monitor_cases.c.ervaringsdeskundige_at.is_(None))
    .values(ervaringsdeskundige_at=_B("at"))
)
_responded = (
    plegeraanbod.update()
    .where(
        plegeraanbod.c.case_id == _B("c"),
        plegeraanbod.c.person_id == _B("p"),
        plegeraanbod.c.responded_at.is_(None),
    )
    .values(responded_at=_B("at"), accepted=_B("accepted"))
)
_converted = (
    adviezen.update()
    .where(adviezen.c.advies_id == _B("a"))
    .values(converted_at=_B("at"), melding_id=_B("m"))
)


def _hv_update(**values: Any) -> sa.Update:
    return huisverboden.update().where(huisverboden.c.huisverbod_id == _B("h")).values(**values)


_hv_extended = _hv_update(extended_at=_B("at"), ends_at=_B("ends"))
_hv_revoked = _hv_update(revoked_at=_B("at"))
_hv_expired = _hv_update(expired_at=_B("at"))
_hv_address = _hv_update(contact_address_at=_B("at"))
_INSERT = {t.name: t.insert() for t in metadata.sorted_tables}

_MOMENTS = {
    "CrisisMeasureTaken": "crisis_measure",
    "EscalatedToMda": "mda_escalated",
    "ReturnedToLocalTeam": "mda_returned",
}
_HUISVERBOD_ENDS = {
    "HuisverbodRevoked": _hv_revoked,
    "HuisverbodExpired": _hv_expired,
    "HuisverbodContactAddressGiven": _hv_address,
}

_EVENTS = frozenset(
    {
        "AdviesRecorded",
        "AdviesConvertedToMelding",
        "MeldingReceived",
        "VeiligheidsbeoordelingCompleted",
        "PhaseChanged",
        "VtServiceStarted",
        "VtServiceCompleted",
        "CrisisMeasureTaken",
        "EscalatedToMda",
        "ReturnedToLocalTeam",
        "ErvaringsdeskundigeInvolved",
        "PlegeraanbodOffered",
        "PlegeraanbodResponded",
        "HuisverbodImposed",
        "HuisverbodExtended",
        "HuisverbodRevoked",
        "HuisverbodExpired",
        "HuisverbodContactAddressGiven",
    }
)


class MonitorFactsProjection(Projection):
    """Keeps the monitor's fact tables up to date."""

    name: ClassVar[str] = "monitor_facts"
    version: ClassVar[int] = 1
    metadata: ClassVar[sa.MetaData] = metadata
    event_names: ClassVar[frozenset[str] | None] = _EVENTS

    def apply(self, conn: sa.Connection, event: object, position: int) -> None:
        """Write the fact rows for one event."""
        ev: Any = event
        kind = type(event).__name__
        owner = type(event).__qualname__.partition(".")[0]
        if owner == "Advies":
            if kind == "AdviesRecorded":
                conn.execute(
                    _INSERT["rm_adviezen"],
                    {
                        "advies_id": str(ev.originator_id),
                        "region": ev.region,
                        "gemeente": ev.gemeente,
                        "received_at": naive_utc(ev.at),
                        "melder_type": ev.melder_type,
                    },
                )
            elif kind == "AdviesConvertedToMelding":
                conn.execute(
                    _converted,
                    {"a": str(ev.originator_id), "at": naive_utc(ev.at), "m": ev.melding_id},
                )
            return
        if owner != "HouseholdCase":
            return
        case_id = str(ev.originator_id)
        at = naive_utc(ev.at)
        if kind == "PhaseChanged":
            conn.execute(_leave_stay, {"c": case_id, "at": at, "to": ev.to_phase, "how": ev.how})
            conn.execute(
                _INSERT["rm_phase_stays"],
                {
                    "stay_id": position,
                    "case_id": case_id,
                    "phase": ev.to_phase,
                    "from_phase": ev.from_phase,
                    "how_entered": ev.how,
                    "entered_at": at,
                },
            )
        elif kind == "MeldingReceived":
            self._melding(conn, ev, case_id, at)
        elif kind == "VeiligheidsbeoordelingCompleted":
            measures = list(ev.additional_measures)
            handover = ev.handover_to.get("organisation_type") if ev.handover_to else None
            conn.execute(
                _assess,
                {
                    "m": ev.melding_id,
                    "at": at,
                    "outcome": ev.outcome,
                    "handover": handover,
                    "measures": ",".join(measures) or None,
                    "crisis": "crisis_intervention" in (ev.outcome, *measures),
                },
            )
        elif kind in _MOMENTS:
            conn.execute(
                _INSERT["rm_case_moments"],
                {
                    "moment_id": position,
                    "case_id": case_id,
                    "kind": _MOMENTS[kind],
                    "detail": getattr(ev, "measure", None),
                    "at": at,
                },
            )
            if kind == "CrisisMeasureTaken":
                conn.execute(_crisis_pending, {"c": case_id})
        elif kind == "VtServiceStarted":
            conn.execute(
                _INSERT["rm_vt_services"],
                {
                    "service_id": ev.service_id,
                    "case_id": case_id,
                    "service": ev.service,
                    "melding_id": ev.melding_id,
                    "started_at": at,
                },
            )
        elif kind == "VtServiceCompleted":
            conn.execute(
                _service_done,
                {"s": ev.service_id, "at": at, "result": ev.result, "conclusion": ev.conclusion},
            )
        else:
            self._other(conn, ev, kind, case_id, at, position)

    @staticmethod
    def _melding(conn: sa.Connection, ev: Any, case_id: str, at: Any) -> None:
        conn.execute(
            _INSERT["rm_meldingen"],
            {
                "melding_id": ev.melding_id,
                "case_id": case_id,
                "region": ev.region,
                "gemeente": ev.gemeente,
                "received_at": at,
                "melder_type": ev.melder_type,
                "acute": bool(ev.acute),
                "from_advies": ev.from_advies is not None,
                "reopened": bool(ev.reopened),
                "persons": len(ev.persons),
                "crisis": False,
            },
        )
        params = {"c": case_id, "region": ev.region, "gemeente": ev.gemeente}
        if conn.execute(_update_case, params).rowcount == 0:
            conn.execute(
                _INSERT["rm_monitor_cases"],
                {
                    "case_id": case_id,
                    "region": ev.region,
                    "gemeente": ev.gemeente,
                    "first_melding_at": at,
                },
            )

    @staticmethod
    def _other(
        conn: sa.Connection, ev: Any, kind: str, case_id: str, at: Any, position: int
    ) -> None:
        if kind == "HuisverbodImposed":
            conn.execute(
                _INSERT["rm_huisverboden"],
                {
                    "huisverbod_id": ev.huisverbod_id,
                    "case_id": case_id,
                    "imposed_at": at,
                    "ends_at": naive_utc(ev.ends_at),
                },
            )
        elif kind == "HuisverbodExtended":
            conn.execute(
                _hv_extended, {"h": ev.huisverbod_id, "at": at, "ends": naive_utc(ev.new_end)}
            )
        elif kind in _HUISVERBOD_ENDS:
            conn.execute(_HUISVERBOD_ENDS[kind], {"h": ev.huisverbod_id, "at": at})
        elif kind == "ErvaringsdeskundigeInvolved":
            conn.execute(_ervaringsdeskundige, {"c": case_id, "at": at})
        elif kind == "PlegeraanbodOffered":
            conn.execute(
                _INSERT["rm_plegeraanbod"],
                {
                    "offer_id": position,
                    "case_id": case_id,
                    "person_id": ev.person_id,
                    "offered_at": at,
                },
            )
        elif kind == "PlegeraanbodResponded":
            conn.execute(
                _responded,
                {"c": case_id, "p": ev.person_id, "at": at, "accepted": bool(ev.accepted)},
            )
