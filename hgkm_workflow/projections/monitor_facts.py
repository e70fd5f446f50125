"""The monitor's fact projection: one fold per event kind over the rows a batch loads.

:class:`MonitorFactsProjection` scans a batch for the keys its events read or change, loads
those rows of the fact tables (:mod:`hgkm_workflow.projections.monitor_tables`) once, folds
each event in order into them in memory and writes the new and changed rows back in bulk.
Facts without a domain id are keyed by the notification id of the event that created them,
so a rebuild writes exactly the rows incremental processing wrote.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, ClassVar

import sqlalchemy as sa

from hgkm_workflow.projections._util import naive_utc
from hgkm_workflow.projections.base import Projection
from hgkm_workflow.projections.batch import Row, TableBuffer, owner_and_kind, select_in
from hgkm_workflow.projections.fold_io import execute_many
from hgkm_workflow.projections.monitor_counts import (
    CASE_TABLES,
    NO_GEO,
    CountDelta,
    Entry,
    Geo,
    entries,
    open_months,
)
from hgkm_workflow.projections.monitor_deadlines import deadline_ids, fold_deadline, touch
from hgkm_workflow.projections.monitor_settle import counts_valid, derive_counts
from hgkm_workflow.projections.monitor_tables import (
    adviezen,
    huisverboden,
    meldingen,
    metadata,
    monitor_cases,
    monitor_deadlines,
    monitor_open_months,
    phase_stays,
    plegeraanbod,
    vt_services,
)

_MOMENTS = {
    "CrisisMeasureTaken": "crisis_measure",
    "EscalatedToMda": "mda_escalated",
    "ReturnedToLocalTeam": "mda_returned",
    "EmergencyAccessRecorded": "emergency_access",
}
_DEADLINE_EVENTS = frozenset({"DeadlineStarted", "DeadlineMet", "DeadlineClosedUnmet",
                              "DeadlineRescheduled", "HuisverbodExpiryWithdrawn"})
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
        *_DEADLINE_EVENTS,
    }
)


class MonitorFactsProjection(Projection):
    """Keeps the monitor's fact tables and its maintained counts up to date.

    Version 2 adds ``rm_monitor_counts`` and ``rm_monitor_deadlines``
    (:mod:`hgkm_workflow.projections.monitor_counts`) and indexes on the fact tables' instants.
    Version 3 moves counts only while they are valid and derives them once in :meth:`settle`
    (:mod:`hgkm_workflow.projections.monitor_settle`): a rebuild folds the fact rows alone;
    and it adds ``rm_monitor_deadline_touches`` (the restatement's index of deadlines).
    """

    name: ClassVar[str] = "monitor_facts"
    version: ClassVar[int] = 3
    metadata: ClassVar[sa.MetaData] = metadata
    event_names: ClassVar[frozenset[str] | None] = _EVENTS

    def apply_batch(self, conn: sa.Connection, events: Sequence[tuple[object, int]]) -> None:
        """Load the rows the batch touches, fold its events in order, write the rows back;
        move the counts only if they are valid (not during a rebuild: :meth:`settle`)."""
        batch = _MonitorBatch()
        items = batch.load(conn, events)
        before = batch.contributions() if counts_valid(conn) else None
        for item in items:
            batch.fold(*item)
        batch.flush(conn, before)

    def settle(self, conn: sa.Connection) -> None:
        """Derive the counts from the fact rows if they are not valid (after a rebuild, or
        a rebuild killed midway), in one pass, and mark them valid."""
        derive_counts(conn)


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
_LOAD_DEADLINES = select_in(monitor_deadlines, monitor_deadlines.c.deadline_id)
_LOAD_CASE_ROWS = {t.name: select_in(t, t.c.case_id) for t in metadata.sorted_tables
                   if t.name in CASE_TABLES}
_LOAD_OPEN_OFFERS = select_in(
    plegeraanbod, plegeraanbod.c.case_id, plegeraanbod.c.responded_at.is_(None)
)
_HV_END_COLUMN = {
    "HuisverbodRevoked": "revoked_at",
    "HuisverbodExpired": "expired_at",
    "HuisverbodContactAddressGiven": "contact_address_at",
}


_DERIVED = ("rm_monitor_counts", "rm_monitor_settled", "rm_monitor_open_months")
"""Tables kept with the counts (not fact rows of the batch)."""
_INSERT_OPEN_MONTHS = monitor_open_months.insert()


class _MonitorBatch:
    """The fact rows a batch touches, and the fold of each event kind.

    Besides rows by primary key it indexes, per case, the rows an event changes by a
    condition rather than by key: open phase stays, unassessed meldingen (a crisis measure
    marks them) and unanswered plegeraanbod offers.
    """

    def __init__(self) -> None:
        self.buf = {t.name: TableBuffer(t) for t in metadata.sorted_tables
                    if t.name not in _DERIVED}
        self.open_stays: defaultdict[str, list[Row]] = defaultdict(list)
        self.unassessed: defaultdict[str, list[Row]] = defaultdict(list)
        self.offers: defaultdict[tuple[str, str], list[Row]] = defaultdict(list)
        self.geo_before: dict[str, Geo] = {}
        self.closed: list[Row] = []  # stays this batch ended

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
        deadlines: set[str] = set()
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
            monitor_cases_.add(case_id)  # the geo of every case-level fact
            if kind in _DEADLINE_EVENTS:
                if kind == "DeadlineStarted":
                    created.add(("rm_monitor_deadlines", ev.deadline["deadline_id"]))
                deadlines.update(i for i in deadline_ids(kind, ev)
                                 if ("rm_monitor_deadlines", i) not in created)
            elif kind == "PhaseChanged":
                stay_cases.add(case_id)
            elif kind == "CrisisMeasureTaken":
                crisis_cases.add(case_id)
            elif kind == "PlegeraanbodResponded":
                offer_cases.add(case_id)
        for name, keys in by_id.items():
            self.buf[name].load_in(conn, _LOAD_BY_ID[name], keys)
        for row in self.buf["rm_phase_stays"].load_in(conn, _LOAD_OPEN_STAYS, stay_cases):
            self.open_stays[row["case_id"]].append(row)
        for row in self.buf["rm_meldingen"].load_in(conn, _LOAD_UNASSESSED, crisis_cases):
            self.unassessed[row["case_id"]].append(row)
        self.buf["rm_monitor_deadlines"].load_in(conn, _LOAD_DEADLINES, deadlines)
        # the geo of every case-level row (a row found by its own id may be another case's)
        monitor_cases_.update(row["case_id"] for name in CASE_TABLES
                              for row in self.buf[name].rows.values())
        for row in self.buf["rm_monitor_cases"].load_in(conn, _LOAD_CASES, monitor_cases_):
            self.geo_before[row["case_id"]] = (row["region"], row["gemeente"])
        for row in self.buf["rm_plegeraanbod"].load_in(conn, _LOAD_OPEN_OFFERS, offer_cases):
            self.offers[row["case_id"], row["person_id"]].append(row)
        return items

    def _geo(self, case_id: str, before: bool) -> Geo:
        if before:
            return self.geo_before.get(case_id, NO_GEO)
        row = self.buf["rm_monitor_cases"].get(case_id)
        return NO_GEO if row is None else (row["region"], row["gemeente"])

    def _row_entries(self, name: str, row: Row, before: bool) -> tuple[list[Entry], Geo]:
        found = entries(name, row)
        if not found:  # a table without metrics (the deadline touches)
            return found, NO_GEO
        if name in CASE_TABLES:
            return found, self._geo(row["case_id"], before)
        return found, (row["region"], row["gemeente"])

    def contributions(self) -> dict[tuple[str, int], tuple[list[Entry], Geo]]:
        """The entries of every buffered fact row as they stand (before the fold)."""
        return {(name, id(row)): self._row_entries(name, row, True)
                for name, buf in self.buf.items() for row in buf.rows.values()}

    def flush(self, conn: sa.Connection,
              before: dict[tuple[str, int], tuple[list[Entry], Geo]] | None) -> None:
        """Move the counts from the rows' old entries to their new ones, then write every
        new and changed row (``before`` ``None``: the counts are not valid, write the rows
        only).

        A case whose latest melding moved it to another region or gemeente takes all its
        case-level facts along: those not in the batch are loaded and moved too.
        """
        if before is None:
            for buf in self.buf.values():
                buf.flush(conn)
            return
        moved = [c for c, row in self.buf["rm_monitor_cases"].rows.items()
                 if self._geo(c, True) != (row["region"], row["gemeente"])]
        before = dict(before)
        for name in CASE_TABLES:
            for row in self.buf[name].load_in(conn, _LOAD_CASE_ROWS[name], moved):
                before.setdefault((name, id(row)), self._row_entries(name, row, True))
        delta = CountDelta()
        delta.add(before.values(), -1)
        delta.add((self._row_entries(name, row, False) for name, buf in self.buf.items()
                   for row in buf.rows.values()), 1)
        for buf in self.buf.values():
            buf.flush(conn)
        delta.flush(conn)
        execute_many(conn, _INSERT_OPEN_MONTHS,
                     [r for stay in self.closed for r in open_months(stay)])

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
        if kind in _DEADLINE_EVENTS:
            fold_deadline(self.buf["rm_monitor_deadlines"], kind, case_id, ev)
            touch(self.buf["rm_monitor_deadline_touches"], self.buf["rm_monitor_deadlines"],
                  kind, ev, position)
            return
        at = naive_utc(ev.at)
        if kind == "PhaseChanged":
            for stay in self.open_stays.pop(case_id, ()):
                stay.update(left_at=at, to_phase=ev.to_phase, how_left=ev.how)
                self.closed.append(stay)
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

