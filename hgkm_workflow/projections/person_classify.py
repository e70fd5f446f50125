"""Classification by business time, as known now, with a row for every late change.

Part of the person index projection (run after its fold, in the same transaction). For
each batch it loads the facts (``rm_case_facts``) of the cases the batch touches and of the
cases of every person those cases name, then takes the batch's events one at a time, in
recording order:

1. the event becomes a fact of its case's timeline (:mod:`.person_timeline`);
2. a ``MeldingReceived`` is classified against the timelines as they stand, just before the
   melding's point ``(at, position)`` in business-time order;
3. every melding recorded earlier that the fact can change — a melding of the case, or
   naming one of the case's persons, received after the fact's business time (any time, for
   a role correction) — is classified again; when its class or vervolg kind changes, a row
   of ``rm_classification_changes`` keeps the old and new values and the event that caused it.

So a melding's stored class is always the one all facts recorded so far give, and a rebuild
gives the same rows whatever the batch size.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from hgkm_workflow.domain.calendar import local_date
from hgkm_workflow.projections._util import naive_utc
from hgkm_workflow.projections.batch import TableBuffer, id_text, owner_and_kind, select_in
from hgkm_workflow.projections.person_rules import (
    Classifier,
    MeldingClass,
    VervolgKind,
    lookback_cutoff,
)
from hgkm_workflow.projections.person_tables import (
    case_facts,
    classification_changes,
    household_members,
    melding_classification,
)
from hgkm_workflow.projections.person_timeline import (
    CHANGES,
    Fact,
    Point,
    Timeline,
    extend,
    replay,
)

FACT_EVENTS = frozenset({"MeldingReceived", "PersonAdded", "PersonRoleCorrected", *CHANGES})
"""The events of a household case the classification replays."""

_FACTS = select_in(case_facts, case_facts.c.case_id)
_CLASSES = select_in(melding_classification, melding_classification.c.melding_id)
_CASES_OF = sa.select(household_members.c.person_id, household_members.c.case_id).where(
    household_members.c.person_id.in_(sa.bindparam("keys", expanding=True)))


def _fact_row(fact: Fact, ev: Any) -> dict[str, Any]:
    stamp = getattr(ev, "timestamp", None)
    return {
        "position": fact.position, "case_id": fact.case_id, "kind": fact.kind, "at": fact.at,
        "recorded_at": naive_utc(stamp) if isinstance(stamp, datetime) else None,
        "melding_id": fact.melding_id, "region": getattr(ev, "region", None),
        "gemeente": getattr(ev, "gemeente", None),
        "persons": persons_text(fact.persons),
    }


_PLAIN = re.compile(r"[A-Za-z0-9_.:-]*")  # needs no escape in JSON, ASCII: as json.dumps


def persons_text(persons: tuple[tuple[str, str], ...]) -> str:
    """``json.dumps`` of the persons as a list of ``[id, role]`` lists (the stored column).

    For ids and roles of plain ASCII (UUIDs, role names) the text is put together directly:
    the same text ``json.dumps`` gives (default separators), without its encoder; anything
    else goes through ``json.dumps``.
    """
    if all(_PLAIN.fullmatch(p) and _PLAIN.fullmatch(r) for p, r in persons):
        return "[" + ", ".join(f'["{p}", "{r}"]' for p, r in persons) + "]"
    return json.dumps([list(p) for p in persons])


def _fact_of(kind: str, case_id: str, ev: Any, position: int) -> Fact:
    if kind == "MeldingReceived":
        persons = tuple((str(p["person_id"]), str(p["role"])) for p in ev.persons)
        return Fact(position, case_id, kind, naive_utc(ev.at), str(ev.melding_id), persons)
    if kind in ("PersonAdded", "PersonRoleCorrected"):
        return Fact(position, case_id, kind, naive_utc(ev.at), None,
                    ((str(ev.person_id), str(ev.role)),))
    return Fact(position, case_id, kind, naive_utc(ev.at))


class BusinessTimeClassification:
    """The classification step of one batch of the person index.

    Args:
        classifier: The classifier with the projection's settings.
    """

    def __init__(self, classifier: Classifier) -> None:
        self.classifier = classifier
        self.basis = classifier.settings.hermelding_basis
        self.facts: defaultdict[str, list[Fact]] = defaultdict(list)
        self.meta: dict[str, tuple[str, str]] = {}  # melding -> (region, gemeente)
        self.timelines: dict[str, Timeline] = {}
        self.last: dict[str, Point] = {}  # case -> latest point of its facts
        self.cases_of: defaultdict[str, set[str]] = defaultdict(set)
        self.meldingen_of: defaultdict[str, set[str]] = defaultdict(set)  # person -> melding
        self.persons_of: defaultdict[str, set[str]] = defaultdict(set)  # case -> persons
        self.meldingen_in: defaultdict[str, set[str]] = defaultdict(set)  # case -> meldingen
        self.melding_fact: dict[str, Fact] = {}
        self.rows = TableBuffer(melding_classification)
        self.changes = TableBuffer(classification_changes)
        self.new_facts = TableBuffer(case_facts)

    def run(self, conn: sa.Connection, events: Sequence[tuple[object, int]]) -> None:
        """Classify the batch's meldingen and reclassify those its late facts change."""
        items: list[tuple[Fact, Any]] = []
        for event, position in events:
            owner, kind = owner_and_kind(event)
            if owner != "HouseholdCase" or kind not in FACT_EVENTS:
                continue
            ev: Any = event
            items.append((_fact_of(kind, id_text(ev.originator_id), ev, position), ev))
        if not items:
            return
        self._load(conn, items)
        for fact, ev in items:
            self._step(fact, ev)
        for buf in (self.new_facts, self.rows, self.changes):
            buf.flush(conn)

    # ------------------------------------------------------------------ loading

    def _load(self, conn: sa.Connection, items: list[tuple[Fact, Any]]) -> None:
        cases = {fact.case_id for fact, _ in items}
        self._load_facts(conn, cases)
        persons = {p for fact, _ in items for p, _ in fact.persons}
        persons |= {p for c in cases for f in self.facts[c] for p, _ in f.persons}
        more = self._cases_of(conn, persons) - self.facts.keys()
        self._load_facts(conn, more)
        second = {p for c in more for f in self.facts[c] if f.kind == "MeldingReceived"
                  for p, _ in f.persons} - persons
        self._load_facts(conn, self._cases_of(conn, second) - self.facts.keys())
        ids = [f.melding_id for fs in self.facts.values() for f in fs if f.melding_id]
        self.rows.load_in(conn, _CLASSES, ids)

    def _cases_of(self, conn: sa.Connection, persons: set[str]) -> set[str]:
        found: set[str] = set()
        ordered = sorted(persons)
        for i in range(0, len(ordered), 500):
            for _person, case_id in conn.execute(_CASES_OF, {"keys": ordered[i:i + 500]}):
                found.add(str(case_id))
        return found

    def _load_facts(self, conn: sa.Connection, cases: set[str]) -> None:
        for case_id in cases:
            self.facts.setdefault(case_id, [])
        ordered = sorted(cases)
        for i in range(0, len(ordered), 500):
            rows = conn.execute(_FACTS, {"keys": ordered[i:i + 500]}).mappings()
            for r in rows:
                persons = tuple((str(p), str(role)) for p, role in json.loads(r["persons"]))
                fact = Fact(int(r["position"]), str(r["case_id"]), str(r["kind"]), r["at"],
                            r["melding_id"], persons)
                self._index(fact)
                if fact.melding_id:
                    self.meta[fact.melding_id] = (str(r["region"]), str(r["gemeente"]))

    def _index(self, fact: Fact) -> None:
        last = self.last.get(fact.case_id)
        self.facts[fact.case_id].append(fact)
        tl = self.timelines.get(fact.case_id)
        if tl is not None and last is not None and fact.point > last:
            extend(tl, fact)  # in business-time order: no replay needed
        else:
            self.timelines.pop(fact.case_id, None)
        if last is None or fact.point > last:
            self.last[fact.case_id] = fact.point
        for person_id, _ in fact.persons:
            self.cases_of[person_id].add(fact.case_id)
            self.persons_of[fact.case_id].add(person_id)
            if fact.melding_id:
                self.meldingen_of[person_id].add(fact.melding_id)
        if fact.melding_id:
            self.melding_fact[fact.melding_id] = fact
            self.meldingen_in[fact.case_id].add(fact.melding_id)

    def _timeline(self, case_id: str) -> Timeline:
        tl = self.timelines.get(case_id)
        if tl is None:
            tl = self.timelines[case_id] = replay(case_id, self.facts.get(case_id, []))
        return tl

    # ------------------------------------------------------------------ one event

    def _step(self, fact: Fact, ev: Any) -> None:
        self.new_facts.insert(_fact_row(fact, ev))
        self._index(fact)
        stamp = getattr(ev, "timestamp", None)
        recorded = naive_utc(stamp) if isinstance(stamp, datetime) else None
        if fact.melding_id:
            self.meta[fact.melding_id] = (str(ev.region), str(ev.gemeente))
            self.rows.insert(self.classify(fact.melding_id))
        version = int(getattr(ev, "originator_version", 0))
        for melding_id in sorted(self._affected(fact)):
            self._reclassify(melding_id, fact, version, recorded)

    def _affected(self, fact: Fact) -> set[str]:
        persons = self.persons_of.get(fact.case_id, set())
        ids = {m for p in persons for m in self.meldingen_of.get(p, ())}
        ids |= self.meldingen_in.get(fact.case_id, set())
        ids.discard(fact.melding_id)
        if fact.kind == "PersonRoleCorrected":
            return {m for m in ids if self.melding_fact[m].position < fact.position}
        return {m for m in ids if self.melding_fact[m].position < fact.position
                and self.melding_fact[m].at > fact.at}

    def _reclassify(self, melding_id: str, cause: Fact, version: int,
                    recorded: datetime | None) -> None:
        row = self.rows.get(melding_id)
        if row is None:  # pragma: no cover - every recorded melding has a row
            return
        new = self.classify(melding_id)
        old = (row["classification"], row["vervolg_kind"])
        if old != (new["classification"], new["vervolg_kind"]):
            self.changes.insert({
                "melding_id": melding_id, "position": cause.position,
                "cause_case_id": cause.case_id, "cause_version": version,
                "cause_event": cause.kind,
                "old_classification": old[0], "old_vervolg_kind": old[1],
                "new_classification": new["classification"],
                "new_vervolg_kind": new["vervolg_kind"], "recorded_at": recorded})
        new["classified_by"] = row["classified_by"] if old == (
            new["classification"], new["vervolg_kind"]) else cause.position
        row.update(new)

    # ------------------------------------------------------------------ the rule

    def classify(self, melding_id: str) -> dict[str, Any]:
        """The classification row of a melding from the timelines as they stand now."""
        fact = self.melding_fact[melding_id]
        point = fact.point
        own = self._timeline(fact.case_id)
        roles = self.classifier.roles
        counted = [p for p, role in fact.persons if own.role_of(p, role) in roles]
        rows: list[tuple[Any, ...]] = []
        for person_id in sorted(set(counted)):
            for case_id in sorted(self.cases_of.get(person_id, ())):
                rows.extend(self._candidates(person_id, self._timeline(case_id), point))
        region, gemeente = self.meta[melding_id]
        ev = SimpleNamespace(melding_id=melding_id, region=region, gemeente=gemeente)
        row = self.classifier.row(ev, fact.case_id, fact.at, counted, rows)
        running = own.running_at(point)
        if running is not None and (row["classification"] != MeldingClass.VERVOLGMELDING.value
                                    or row["ref_case_id"] != fact.case_id):
            row.update(self._household_ref(own, running.number, point, fact.persons))
            row["classification"] = MeldingClass.VERVOLGMELDING.value
            stage = running.stage_at(point)
            row["vervolg_kind"] = stage if stage in set(VervolgKind) else (
                VervolgKind.DURING_ASSESSMENT.value)
        elif (self.basis == "household" and running is None
              and row["classification"] == MeldingClass.NIEUW.value):
            self._household_hermelding(row, own, fact)
        row["hermelding_basis"] = self.basis
        row["classified_by"] = fact.position
        return row

    def _candidates(self, person_id: str, tl: Timeline, point: Point) -> list[tuple[Any, ...]]:
        if person_id not in tl.members:
            return []
        role = tl.role_of(person_id)
        out: list[tuple[Any, ...]] = []
        for inv in tl.involvements:
            joined = inv.joined.get(person_id)
            if joined is None or joined >= point or inv.start >= point:
                continue
            running = inv.running_at(point)
            ended_at = None if running or inv.end is None else inv.end[0]
            stage = inv.stage_at(point)
            out.append((person_id, role, tl.case_id, inv.number, inv.start[0], ended_at,
                        None if ended_at is None else inv.ended_on, stage, inv.last_stage))
        return out

    def _household_ref(self, tl: Timeline, number: int, point: Point,
                       named: tuple[tuple[str, str], ...]) -> dict[str, Any]:
        inv = tl.involvements[number - 1]
        people = sorted(p for p, at in inv.joined.items() if at < point) or sorted(
            p for p, _ in named)
        counted = [p for p in people if tl.role_of(p) in self.classifier.roles]
        person = (counted or people)[0]
        return {"ref_person_id": person, "ref_role": tl.role_of(person),
                "ref_case_id": tl.case_id, "ref_involvement_no": number,
                "ref_started_at": inv.start[0], "ref_ended_at": None}

    def _household_hermelding(self, row: dict[str, Any], tl: Timeline, fact: Fact) -> None:
        cutoff = lookback_cutoff(local_date(fact.at.replace(tzinfo=UTC)),
                                 self.classifier.settings.lookback_years)
        ended = [inv for inv in tl.involvements if inv.end is not None
                 and inv.end < fact.point and inv.ended_on is not None
                 and inv.ended_on >= cutoff]
        if not ended:
            return
        inv = max(ended, key=lambda i: i.end or fact.point)
        person = sorted(inv.joined)[0]
        row.update({"classification": MeldingClass.HERMELDING.value, "vervolg_kind": None,
                    "ref_person_id": person, "ref_role": tl.role_of(person),
                    "ref_case_id": tl.case_id, "ref_involvement_no": inv.number,
                    "ref_started_at": inv.start[0],
                    "ref_ended_at": inv.end[0] if inv.end else None})
