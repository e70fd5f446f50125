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

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, ClassVar

import sqlalchemy as sa

from hgkm_workflow.projections._util import naive_utc
from hgkm_workflow.projections.base import Projection
from hgkm_workflow.projections.batch import Row, TableBuffer, owner_and_kind, select_in

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
"""Dated moments of a case: ``mda_escalated``, ``mda_returned``, ``crisis_measure``,
``emergency_access``."""

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
    "EmergencyAccessRecorded": "emergency_access",
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
        "EmergencyAccessRecorded",
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

    def apply_batch(self, conn: sa.Connection, events: Sequence[tuple[object, int]]) -> None:
        """Fold a batch into the fact rows it touches (see :class:`_MonitorBatch`)."""
        batch = _MonitorBatch()
        for item in batch.load(conn, events):
            batch.fold(*item)
        batch.flush(conn)

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


_BY_ID = {  # event kind -> (fact table, event attribute holding the row's id)
    "AdviesConvertedToMelding": (adviezen, "originator_id"),
    "VeiligheidsbeoordelingCompleted": (meldingen, "melding_id"),
    "VtServiceCompleted": (vt_services, "service_id"),
    "HuisverbodExtended": (huisverboden, "huisverbod_id"),
    "HuisverbodRevoked": (huisverboden, "huisverbod_id"),
    "HuisverbodExpired": (huisverboden, "huisverbod_id"),
    "HuisverbodContactAddressGiven": (huisverboden, "huisverbod_id"),
}
_CREATES = {  # event kind -> (fact table, event attribute holding the new row's id)
    "AdviesRecorded": (adviezen, "originator_id"),
    "MeldingReceived": (meldingen, "melding_id"),
    "VtServiceStarted": (vt_services, "service_id"),
    "HuisverbodImposed": (huisverboden, "huisverbod_id"),
}
_LOAD_BY_ID = {t.name: select_in(t, t.c[t.primary_key.columns.keys()[0]])
               for t in (adviezen, meldingen, vt_services, huisverboden)}
_LOAD_OPEN_STAYS = select_in(phase_stays, phase_stays.c.case_id, phase_stays.c.left_at.is_(None))
_LOAD_UNASSESSED = select_in(meldingen, meldingen.c.case_id, meldingen.c.assessed_at.is_(None))
_LOAD_CASES = select_in(monitor_cases, monitor_cases.c.case_id)
_LOAD_OPEN_OFFERS = select_in(
    plegeraanbod, plegeraanbod.c.case_id, plegeraanbod.c.responded_at.is_(None)
)
_HV_END_COLUMN = {
    "HuisverbodRevoked": "revoked_at",
    "HuisverbodExpired": "expired_at",
    "HuisverbodContactAddressGiven": "contact_address_at",
}


class _MonitorBatch:
    """The fact rows a batch touches, and the folds of :meth:`MonitorFactsProjection.apply`.

    Besides rows by primary key it indexes, per case, the rows that the per-event path finds
    with a ``WHERE case_id = ... AND ... IS NULL`` update: open phase stays, unassessed
    meldingen (a crisis measure marks them) and unanswered plegeraanbod offers.
    """

    def __init__(self) -> None:
        self.buf = {t.name: TableBuffer(t) for t in metadata.sorted_tables}
        self.open_stays: defaultdict[str, list[Row]] = defaultdict(list)
        self.unassessed: defaultdict[str, list[Row]] = defaultdict(list)
        self.offers: defaultdict[tuple[str, str], list[Row]] = defaultdict(list)

    def load(
        self, conn: sa.Connection, events: Sequence[tuple[object, int]]
    ) -> list[tuple[str, str, str, Any, int]]:
        """Load every stored row the batch's events read or change.

        Returns:
            The events to fold as ``(owner, kind, originator id, event, position)``.
        """
        items: list[tuple[str, str, str, Any, int]] = []
        created: set[tuple[str, str]] = set()
        by_id: defaultdict[str, set[str]] = defaultdict(set)
        stay_cases: set[str] = set()
        crisis_cases: set[str] = set()
        monitor_cases_: set[str] = set()
        offer_cases: set[str] = set()
        for event, position in events:
            owner, kind = owner_and_kind(event)
            if owner not in ("Advies", "HouseholdCase"):
                continue
            ev: Any = event
            case_id = str(ev.originator_id)
            items.append((owner, kind, case_id, ev, position))
            if kind in _CREATES:
                table, attr = _CREATES[kind]
                created.add((table.name, str(getattr(ev, attr))))
            if kind in _BY_ID:
                table, attr = _BY_ID[kind]
                key = str(getattr(ev, attr))
                if (table.name, key) not in created:  # created in this batch: not stored
                    by_id[table.name].add(key)
            if owner != "HouseholdCase":
                continue
            if kind == "PhaseChanged":
                stay_cases.add(case_id)
            elif kind == "CrisisMeasureTaken":
                crisis_cases.add(case_id)
            elif kind in ("MeldingReceived", "ErvaringsdeskundigeInvolved"):
                monitor_cases_.add(case_id)
            elif kind == "PlegeraanbodResponded":
                offer_cases.add(case_id)
        for name, keys in by_id.items():
            self.buf[name].load_in(conn, _LOAD_BY_ID[name], keys)
        for row in self.buf["rm_phase_stays"].load_in(conn, _LOAD_OPEN_STAYS, stay_cases):
            self.open_stays[row["case_id"]].append(row)
        for row in self.buf["rm_meldingen"].load_in(conn, _LOAD_UNASSESSED, crisis_cases):
            self.unassessed[row["case_id"]].append(row)
        self.buf["rm_monitor_cases"].load_in(conn, _LOAD_CASES, monitor_cases_)
        for row in self.buf["rm_plegeraanbod"].load_in(conn, _LOAD_OPEN_OFFERS, offer_cases):
            self.offers[row["case_id"], row["person_id"]].append(row)
        return items

    def flush(self, conn: sa.Connection) -> None:
        """Write the new and changed rows of every fact table."""
        for buf in self.buf.values():
            buf.flush(conn)

    def fold(self, owner: str, kind: str, case_id: str, ev: Any, position: int) -> None:
        """Apply one event to the buffered rows (``case_id``: the originator id)."""
        if owner == "Advies":
            if kind == "AdviesRecorded":
                self.buf["rm_adviezen"].insert({
                    "advies_id": case_id, "region": ev.region, "gemeente": ev.gemeente,
                    "received_at": naive_utc(ev.at), "melder_type": ev.melder_type,
                    "converted_at": None, "melding_id": None})
            elif kind == "AdviesConvertedToMelding":
                row = self.buf["rm_adviezen"].get(case_id)
                if row is not None:
                    row["converted_at"] = naive_utc(ev.at)
                    row["melding_id"] = ev.melding_id
            return
        at = naive_utc(ev.at)
        if kind == "PhaseChanged":
            for stay in self.open_stays.pop(case_id, ()):
                stay.update(left_at=at, to_phase=ev.to_phase, how_left=ev.how)
            self.open_stays[case_id].append(self.buf["rm_phase_stays"].insert({
                "stay_id": position, "case_id": case_id, "phase": ev.to_phase,
                "from_phase": ev.from_phase, "how_entered": ev.how, "entered_at": at,
                "left_at": None, "to_phase": None, "how_left": None}))
        elif kind == "MeldingReceived":
            self._melding(ev, case_id, at)
        elif kind == "VeiligheidsbeoordelingCompleted":
            row = self.buf["rm_meldingen"].get(ev.melding_id)
            if row is not None:
                measures = list(ev.additional_measures)
                row["assessed_at"] = at
                row["outcome"] = ev.outcome
                row["handover_type"] = (
                    ev.handover_to.get("organisation_type") if ev.handover_to else None
                )
                row["additional_measures"] = ",".join(measures) or None
                row["crisis"] = bool(row["crisis"]) or (
                    "crisis_intervention" in (ev.outcome, *measures)
                )
        elif kind in _MOMENTS:
            self.buf["rm_case_moments"].insert({
                "moment_id": position, "case_id": case_id, "kind": _MOMENTS[kind],
                "detail": getattr(ev, "measure", None), "at": at})
            if kind == "CrisisMeasureTaken":
                for row in self.unassessed.get(case_id, ()):
                    if row["assessed_at"] is None:
                        row["crisis"] = True
        elif kind == "VtServiceStarted":
            self.buf["rm_vt_services"].insert({
                "service_id": ev.service_id, "case_id": case_id, "service": ev.service,
                "melding_id": ev.melding_id, "started_at": at, "completed_at": None,
                "result": None, "conclusion": None})
        elif kind == "VtServiceCompleted":
            row = self.buf["rm_vt_services"].get(ev.service_id)
            if row is not None:
                row.update(completed_at=at, result=ev.result, conclusion=ev.conclusion)
        else:
            self._other(ev, kind, case_id, at, position)

    def _melding(self, ev: Any, case_id: str, at: Any) -> None:
        self.unassessed[case_id].append(self.buf["rm_meldingen"].insert({
            "melding_id": ev.melding_id, "case_id": case_id, "region": ev.region,
            "gemeente": ev.gemeente, "received_at": at, "melder_type": ev.melder_type,
            "acute": bool(ev.acute), "from_advies": ev.from_advies is not None,
            "reopened": bool(ev.reopened), "persons": len(ev.persons), "assessed_at": None,
            "outcome": None, "additional_measures": None, "handover_type": None,
            "crisis": False}))
        cases = self.buf["rm_monitor_cases"]
        row = cases.get(case_id)
        if row is not None:
            row["region"] = ev.region
            row["gemeente"] = ev.gemeente
        else:
            cases.insert({"case_id": case_id, "region": ev.region, "gemeente": ev.gemeente,
                          "first_melding_at": at, "ervaringsdeskundige_at": None})

    def _other(self, ev: Any, kind: str, case_id: str, at: Any, position: int) -> None:
        if kind == "HuisverbodImposed":
            self.buf["rm_huisverboden"].insert({
                "huisverbod_id": ev.huisverbod_id, "case_id": case_id, "imposed_at": at,
                "ends_at": naive_utc(ev.ends_at), "extended_at": None, "revoked_at": None,
                "expired_at": None, "contact_address_at": None})
        elif kind == "HuisverbodExtended" or kind in _HV_END_COLUMN:
            row = self.buf["rm_huisverboden"].get(ev.huisverbod_id)
            if row is None:
                return
            if kind == "HuisverbodExtended":
                row["extended_at"] = at
                row["ends_at"] = naive_utc(ev.new_end)
            else:
                row[_HV_END_COLUMN[kind]] = at
        elif kind == "ErvaringsdeskundigeInvolved":
            row = self.buf["rm_monitor_cases"].get(case_id)
            if row is not None and row["ervaringsdeskundige_at"] is None:
                row["ervaringsdeskundige_at"] = at
        elif kind == "PlegeraanbodOffered":
            self.offers[case_id, ev.person_id].append(self.buf["rm_plegeraanbod"].insert({
                "offer_id": position, "case_id": case_id, "person_id": ev.person_id,
                "offered_at": at, "responded_at": None, "accepted": None}))
        elif kind == "PlegeraanbodResponded":
            for row in self.offers.pop((case_id, ev.person_id), ()):
                row["responded_at"] = at
                row["accepted"] = bool(ev.accepted)
