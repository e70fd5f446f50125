"""An independent CBS classifier, written from docs/monitor.md and docs/export-format.md alone.

It reads an event export (``hgkm export --jsonl``) and nothing of the library: no projection,
no rule module. Each household case's facts are replayed in point order ``(at, line)``; each
melding is classified at its point by the rules of docs/monitor.md ("Classification of
meldingen").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

AMS = ZoneInfo("Europe/Amsterdam")
FACTS = {"MeldingReceived", "PersonAdded", "PersonRoleCorrected",
         "VeiligheidsbeoordelingCompleted", "VtServiceStarted", "VtServiceCompleted",
         "VtMonitoringStarted", "VtMonitoringEnded", "Closed"}
CONTINUES_AFTER = {"VeiligheidsbeoordelingCompleted", "VtServiceCompleted"}


@dataclass
class Inv:
    number: int
    start: tuple[datetime, int]
    pending: int = 0
    service: bool = False
    monitoring: bool = False
    end: tuple[datetime, int] | None = None
    end_kind: str | None = None
    stages: list[tuple[tuple[datetime, int], str]] = field(default_factory=list)
    joined: dict[str, tuple[datetime, int]] = field(default_factory=dict)

    def stage(self) -> str:
        if self.service:
            return "after_assessment"
        if self.monitoring:
            return "during_monitoring"
        return "during_assessment" if self.pending > 0 else "ended"

    def stage_at(self, x: tuple[datetime, int]) -> str:
        s = "ended"
        for p, v in self.stages:
            if p < x:
                s = v
        return s

    def running_at(self, x: tuple[datetime, int]) -> bool:
        return self.start < x and (self.end is None or self.end > x)


@dataclass
class Case:
    invs: list[Inv] = field(default_factory=list)
    members: dict[str, str] = field(default_factory=dict)  # first role
    corrected: dict[str, str] = field(default_factory=dict)

    def role(self, person: str) -> str:
        return self.corrected.get(person) or self.members[person]


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _ams_date(naive_utc: datetime) -> date:
    return naive_utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(AMS).date()


def _cutoff(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:
        return d.replace(year=d.year - years, day=28)


def _replay(facts: list[dict[str, Any]]) -> Case:
    case = Case()
    for f in sorted(facts, key=lambda f: f["point"]):
        kind, p, x = f["kind"], f["payload"], f["point"]
        cur = case.invs[-1] if case.invs else None
        running = cur is not None and cur.end is None
        if kind == "PersonRoleCorrected":
            continue
        named = [(q["person_id"], q["role"]) for q in p.get("persons", [])] if \
            kind == "MeldingReceived" else ([(p["person_id"], p["role"])]
                                            if kind == "PersonAdded" else [])
        for person, role in named:
            case.members.setdefault(person, role)
        target: Inv | None = None
        if kind == "MeldingReceived":
            if running:
                target = cur
            else:
                target = Inv(len(case.invs) + 1, x, joined={m: x for m in case.members})
                case.invs.append(target)
            target.pending += 1
            for person, _ in named:
                target.joined.setdefault(person, x)
        elif kind == "PersonAdded":
            if running and cur is not None:
                cur.joined.setdefault(named[0][0], x)
            continue
        elif cur is not None:
            starts = kind in ("VtServiceStarted", "VtMonitoringStarted")
            target = cur
            if cur.end is not None:
                if not starts:
                    continue
                if cur.end[0] == x[0] and cur.end_kind in CONTINUES_AFTER:
                    cur.end, cur.end_kind = None, None
                else:
                    target = Inv(len(case.invs) + 1, x, joined={m: x for m in case.members})
                    case.invs.append(target)
            if kind == "Closed":
                target.pending, target.service, target.monitoring = 0, False, False
            elif kind == "VeiligheidsbeoordelingCompleted":
                target.pending = max(0, target.pending - 1)
            elif kind in ("VtServiceStarted", "VtServiceCompleted"):
                target.service = kind == "VtServiceStarted"
            elif kind in ("VtMonitoringStarted", "VtMonitoringEnded"):
                target.monitoring = kind == "VtMonitoringStarted"
        if target is None:
            continue
        stage = target.stage()
        if not target.stages or target.stages[-1][1] != stage:
            target.stages.append((x, stage))
        if stage == "ended":
            target.end, target.end_kind = x, kind
    for f in sorted(facts, key=lambda f: f["point"][1]):
        if f["kind"] == "PersonRoleCorrected":
            case.corrected[f["payload"]["person_id"]] = f["payload"]["role"]
    return case


def classify_export(path: Path) -> dict[str, dict[str, Any]]:
    """Every melding of the export: ``{melding_id: {classification, vervolg_kind, basis}}``."""
    facts: dict[str, list[dict[str, Any]]] = {}
    settings: dict[str, Any] = {}
    for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = json.loads(text)
        if line["aggregate"] != "HouseholdCase" or line["event_type"] not in FACTS:
            continue
        if line["event_type"] == "MeldingReceived":
            settings = line["classification"]["settings"]
        facts.setdefault(line["case_id"], []).append({
            "kind": line["event_type"], "payload": line["payload"],
            "point": (_instant(line["payload"]["at"]), n)})
    cases = {cid: _replay(fs) for cid, fs in facts.items()}
    of_person: dict[str, set[str]] = {}
    for cid, case in cases.items():
        for person in case.members:
            of_person.setdefault(person, set()).add(cid)
    roles = set(settings.get("counted_roles", []))
    years = int(settings.get("lookback_years", 3))
    out: dict[str, dict[str, Any]] = {}
    for cid, fs in facts.items():
        own = cases[cid]
        for f in fs:
            if f["kind"] != "MeldingReceived":
                continue
            x = f["point"]
            cutoff = _cutoff(_ams_date(x[0]), years)
            counted = [q["person_id"] for q in f["payload"]["persons"]
                       if own.corrected.get(q["person_id"], q["role"]) in roles]
            active, recent = [], []
            for person in sorted(set(counted)):
                for other in sorted(of_person.get(person, ())):
                    case = cases[other]
                    if case.role(person) not in roles:
                        continue
                    for inv in case.invs:
                        joined = inv.joined.get(person)
                        if joined is None or joined >= x or inv.start >= x:
                            continue
                        if inv.running_at(x):
                            active.append((other, inv, person))
                        elif inv.end is not None and _ams_date(inv.end[0]) >= cutoff:
                            recent.append((other, inv, person))
            mine = next((i for i in own.invs if i.running_at(x)), None)
            result: dict[str, Any]
            if mine is not None:
                result = {"classification": "vervolgmelding", "vervolg_kind": _kind(mine, x),
                          "basis": (cid, mine.number)}
            elif active:
                c, inv, _ = min(active, key=lambda a: (a[0] != cid, -a[1].start[0].timestamp(),
                                                       a[0], a[2]))
                result = {"classification": "vervolgmelding", "vervolg_kind": _kind(inv, x),
                          "basis": (c, inv.number)}
            elif recent:
                c, inv, _ = min(recent, key=lambda a: (-a[1].end[0].timestamp(), a[0], a[2]))
                result = {"classification": "hermelding", "vervolg_kind": None,
                          "basis": (c, inv.number)}
            else:
                result = {"classification": "nieuw", "vervolg_kind": None, "basis": None}
            out[f["payload"]["melding_id"]] = result
    return out


def _kind(inv: Inv, x: tuple[datetime, int]) -> str:
    s = inv.stage_at(x)
    return "during_assessment" if s == "ended" else s


def case_found_from_export(path: Path) -> dict[str, tuple[str, str | None]]:
    """How each melding came to its case, from the raw lines (docs/export-format.md).

    ``match`` is ``opened`` for a case's first melding, ``reopened`` when the payload says so,
    else the ``found_by`` of the case's ``MeldingCaseFound`` line (``given``/``matched``),
    else ``joined``. A ``matched`` melding must name a person already in its case, and its
    case must have been open (no ``Closed`` line since its last melding): the engine only
    matches an open household.
    """
    lines = [json.loads(t) for t in path.read_text(encoding="utf-8").splitlines()]
    found = {x["payload"]["melding_id"]: x["payload"]["found_by"] for x in lines
             if x["event_type"] == "MeldingCaseFound"}
    members: dict[str, set[str]] = {}
    closed: dict[str, bool] = {}
    out: dict[str, tuple[str, str | None]] = {}
    for x in lines:
        case, payload = x["case_id"], x["payload"]
        if x["event_type"] == "Closed":
            closed[case] = True
        elif x["event_type"] == "PersonAdded":
            members.setdefault(case, set()).add(payload["person_id"])
        elif x["event_type"] == "MeldingReceived":
            named = {p["person_id"] for p in payload["persons"]}
            by = found.get(payload["melding_id"])
            if case not in members:
                match = "opened"
            elif payload["reopened"]:
                match = "reopened"
            else:
                match = by if by in ("given", "matched") else "joined"
            if by == "matched" and (not named & members.get(case, set())
                                    or closed.get(case)):
                raise AssertionError("a matched melding names nobody of an open case")
            out[payload["melding_id"]] = (match, by)
            members.setdefault(case, set()).update(named)
            closed[case] = False
    return out
