"""The person index projection: one fold per event kind over the rows a batch loads.

:class:`PersonIndexProjection` loads, once per batch,

* the cases of the batch's events: their ``rm_household_cases`` row, members, every VT
  involvement and every person linked to one of them;

then folds each event, in order, into those rows in memory (rows created or changed by
earlier events of the batch are there, so each event sees the index as it stood just before
it), and writes the new and changed rows back in bulk. What the rows mean is described in
:mod:`hgkm_workflow.projections.person_index`; the rules are in
:mod:`hgkm_workflow.projections.person_rules`. The classification of meldingen (by business
time, as known now) runs after the fold, in the same transaction:
:mod:`hgkm_workflow.projections.person_classify`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa

from hgkm_workflow.projections._util import naive_utc
from hgkm_workflow.projections.base import Projection
from hgkm_workflow.projections.batch import (
    Row,
    TableBuffer,
    id_text,
    owner_and_kind,
    select_in,
)
from hgkm_workflow.projections.person_classify import BusinessTimeClassification
from hgkm_workflow.projections.person_found import record_found
from hgkm_workflow.projections.person_rules import (
    CONTINUABLE,
    Classifier,
    involvement_change,
    melding_joins,
    new_involvement,
)
from hgkm_workflow.projections.person_tables import (
    household_cases,
    household_members,
    metadata,
    person_involvement,
    vt_involvements,
)
from hgkm_workflow.settings import ClassificationSettings


class PersonIndexProjection(Projection):
    """Keeps the person index and the classification of every melding.

    Args:
        settings: Lookback and counted roles (default: the CBS definition).
    """

    name: ClassVar[str] = "person_index"
    version: ClassVar[int] = 5  # 3: classification by business time; 4: rm_melding_found;
    # 5: rm_case_facts indexed by melding (the monitor's join)
    metadata: ClassVar[sa.MetaData] = metadata
    # Rebuilt alone it costs about three times another default read model's own work
    # (docs/performance.md, "Rebuilding the read models"); parallel rebuilds balance by it.
    rebuild_weight: ClassVar[float] = 3.0
    event_names: ClassVar[frozenset[str] | None] = frozenset(
        {
            "MeldingReceived",
            "MeldingCaseFound",
            "PersonAdded",
            "PersonRoleCorrected",
            "VeiligheidsbeoordelingCompleted",
            "VtServiceStarted",
            "VtServiceCompleted",
            "VtMonitoringStarted",
            "VtMonitoringEnded",
            "Closed",
        }
    )

    def __init__(self, settings: ClassificationSettings | None = None) -> None:
        self.settings = settings or ClassificationSettings()
        self._classifier = Classifier(self.settings)

    @property
    def counted_roles(self) -> frozenset[str]:
        """The role values whose persons count for the classification."""
        return self._classifier.roles

    def apply_batch(self, conn: sa.Connection, events: Sequence[tuple[object, int]]) -> None:
        """Load the rows the batch reads, fold its events in order, write the rows back."""
        batch = _PersonIndexBatch(self._classifier)
        for item in batch.load(conn, events):
            batch.fold(*item)
        batch.flush(conn)
        BusinessTimeClassification(self._classifier).run(conn, events)
        record_found(conn, events)


def person_index_projection(
    settings: ClassificationSettings | None = None,
) -> PersonIndexProjection:
    """The person index with the given settings, else those of the environment.

    Args:
        settings: Lookback and counted roles; ``None`` reads them through
            :meth:`~hgkm_workflow.settings.ClassificationSettings.from_environment` (CBS
            defaults when unset).
    """
    return PersonIndexProjection(settings or ClassificationSettings.from_environment())


_CASES = select_in(household_cases, household_cases.c.case_id)
_MEMBERS = select_in(household_members, household_members.c.case_id)
_LINKS_OF_CASES = select_in(person_involvement, person_involvement.c.case_id)
_INVOLVEMENTS = select_in(vt_involvements, vt_involvements.c.case_id)

_CHANGES: dict[str, dict[str, Any]] = {
    "Closed": {"close": True},
    "VeiligheidsbeoordelingCompleted": {"pending": -1},
    "VtServiceStarted": {"service": True},
    "VtServiceCompleted": {"service": False},
    "VtMonitoringStarted": {"monitoring": True},
    "VtMonitoringEnded": {"monitoring": False},
}


class _PersonIndexBatch:
    """The rows of the person index that one batch reads or writes, and the folds.

    Args:
        classifier: Classifies the batch's meldingen.
    """

    def __init__(self, classifier: Classifier) -> None:
        self.classifier = classifier
        self.roles = classifier.roles
        self.cases = TableBuffer(household_cases)
        self.members = TableBuffer(household_members)
        self.involvements = TableBuffer(vt_involvements)
        self.links = TableBuffer(person_involvement)
        self.latest: dict[str, int] = {}  # case -> number of its latest involvement
        self.members_of: defaultdict[str, dict[str, Row]] = defaultdict(dict)
        self.linked: defaultdict[tuple[str, int], set[str]] = defaultdict(set)
        self.links_of: defaultdict[str, list[Row]] = defaultdict(list)

    # ------------------------------------------------------------------ loading

    def load(
        self, conn: sa.Connection, events: Sequence[tuple[object, int]]
    ) -> list[tuple[str, str, Any]]:
        """Load every stored row the batch's events can read.

        Returns:
            The events to fold, as ``(kind, case id, event)``.
        """
        items: list[tuple[str, str, Any]] = []
        case_ids: set[str] = set()
        for event, _ in events:
            owner, kind = owner_and_kind(event)
            if owner != "HouseholdCase":
                continue
            ev: Any = event
            case_id = id_text(ev.originator_id)
            items.append((kind, case_id, ev))
            case_ids.add(case_id)
        self.cases.load_in(conn, _CASES, case_ids)
        for row in self.members.load_in(conn, _MEMBERS, case_ids):
            self.members_of[row["case_id"]][row["person_id"]] = row
        self.links.load_in(conn, _LINKS_OF_CASES, case_ids)
        linked_cases = set(case_ids)
        for row in self.links.rows.values():
            self._index_link(row)
            linked_cases.add(row["case_id"])
        for row in self.involvements.load_in(conn, _INVOLVEMENTS, linked_cases):
            self._index_involvement(row)
        return items

    def _index_link(self, row: Row) -> None:
        self.linked[row["case_id"], row["involvement_no"]].add(row["person_id"])
        self.links_of[row["person_id"]].append(row)

    def _index_involvement(self, row: Row) -> None:
        case_id, number = row["case_id"], row["involvement_no"]
        if number > self.latest.get(case_id, 0):
            self.latest[case_id] = number

    def flush(self, conn: sa.Connection) -> None:
        """Write the new and changed rows."""
        for buf in (self.cases, self.members, self.involvements, self.links):
            buf.flush(conn)

    # ------------------------------------------------------------------ folding

    def fold(self, kind: str, case_id: str, ev: Any) -> None:
        """Apply one event of a household case to the buffered rows."""
        at = naive_utc(ev.at)
        if kind == "MeldingReceived":
            self._melding(ev, case_id, at)
        elif kind == "PersonAdded":
            self._person_added(case_id, ev.person_id, ev.role, at)
        elif kind in _CHANGES:
            if kind == "Closed":
                row = self.cases.get(case_id)
                if row is not None:
                    row["is_open"] = False
            self._change(case_id, at, kind, **_CHANGES[kind])

    def _current(self, case_id: str) -> Row | None:
        number = self.latest.get(case_id)
        return None if number is None else self.involvements.get((case_id, number))

    def _new_involvement(self, row: Row) -> None:
        self._index_involvement(self.involvements.insert(row))

    def _melding(self, ev: Any, case_id: str, at: datetime) -> None:
        persons: list[dict[str, str]] = list(ev.persons)
        cur = self._current(case_id)
        if cur is None:
            self.cases.insert({"case_id": case_id, "is_open": True, "last_melding_at": at})
        else:
            row = self.cases.get(case_id)
            if row is not None:
                row["is_open"] = True
                row["last_melding_at"] = at
        if cur is not None and cur["ended_at"] is None:
            number = int(cur["involvement_no"])
            cur.update(melding_joins(
                int(cur["pending_assessments"]), cur["service_running"],
                cur["monitoring_running"]))
        else:
            number = 1 if cur is None else int(cur["involvement_no"]) + 1
            self._new_involvement(new_involvement(case_id, number, at, ev.melding_id, pending=1))
        fresh = cur is None or cur["ended_at"] is not None
        self._link(case_id, number, at, ev.melding_id, persons, fresh=fresh)
        members = self.members_of[case_id]
        if cur is not None and fresh:
            named = {p["person_id"] for p in persons}
            others = [{"person_id": m["person_id"], "role": m["role"]}
                      for m in members.values() if m["person_id"] not in named]
            if others:
                self._link(case_id, number, at, None, others, fresh=True)
        known = set() if cur is None else members.keys() & {p["person_id"] for p in persons}
        new = [p for p in persons if p["person_id"] not in known]
        for p in new:
            self._add_member(p["person_id"], case_id, p["role"], at)

    def _add_member(self, person_id: str, case_id: str, role: str, at: datetime) -> None:
        row = self.members.insert(
            {"person_id": person_id, "case_id": case_id, "role": role, "since": at}
        )
        self.members_of[case_id][person_id] = row

    def _link(
        self,
        case_id: str,
        number: int,
        at: datetime,
        melding_id: str | None,
        persons: Sequence[Mapping[str, str]],
        *,
        fresh: bool = False,
    ) -> None:
        linked = set() if fresh else set(self.linked[case_id, number])
        for p in persons:
            if p["person_id"] not in linked:
                self._index_link(self.links.insert({
                    "person_id": p["person_id"], "case_id": case_id, "involvement_no": number,
                    "role": p["role"], "melding_id": melding_id, "joined_at": at}))

    def _person_added(self, case_id: str, person_id: str, role: str, at: datetime) -> None:
        self._add_member(person_id, case_id, role, at)
        cur = self._current(case_id)
        if cur is not None and cur["ended_at"] is None:
            self._link(case_id, int(cur["involvement_no"]), at, None,
                       [{"person_id": person_id, "role": role}])

    def _change(
        self,
        case_id: str,
        at: datetime,
        kind: str,
        *,
        pending: int = 0,
        service: bool | None = None,
        monitoring: bool | None = None,
        close: bool = False,
    ) -> None:
        cur = self._current(case_id)
        if cur is None:
            return
        number = int(cur["involvement_no"])
        target = cur
        starts = service is True or monitoring is True
        if cur["ended_at"] is not None:
            if not starts:
                return
            if not (cur["ended_at"] == at and cur["end_event"] in CONTINUABLE):
                number += 1
                self._new_involvement(new_involvement(case_id, number, at, None, pending=0))
                members = [{"person_id": m["person_id"], "role": m["role"]}
                           for m in self.members_of[case_id].values()]
                self._link(case_id, number, at, None, members, fresh=True)
                target = self.involvements.rows[case_id, number]
            current = (0, False, False, str(cur["last_stage"]))
        else:
            current = (int(cur["pending_assessments"]), bool(cur["service_running"]),
                       bool(cur["monitoring_running"]), str(cur["last_stage"]))
        target.update(involvement_change(current, at, kind, pending=pending, service=service,
                                         monitoring=monitoring, close=close))
