"""What a what-if reports: per case and in aggregate, before → after, each side explained.

Everything here is built from two replays (:mod:`hgkm_workflow.whatif.replay`) and two scratch
stores' read models; every list is sorted so the same inputs give the same report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hgkm_workflow.monitor.meldingen import ClassifiedMelding
from hgkm_workflow.monitor.report import MonitorReport
from hgkm_workflow.whatif.records import DeadlineKey, Refusal

__all__ = [
    "ClassDiff",
    "DeadlineDiff",
    "FigureDiff",
    "PeriodDiff",
    "WhatIfReport",
    "class_diffs",
    "deadline_diffs",
    "figure_diffs",
]

JsonDict = dict[str, Any]


def _iso(v: datetime | None) -> str | None:
    return None if v is None else v.isoformat()


def deadline_side(d: JsonDict | None) -> JsonDict | None:
    """One side of a deadline: due, status, breach, and how it was counted under which rule."""
    if d is None:
        return None
    return {"due": _iso(d["due"]), "status": d["status"],
            "breached": d["breached_at"] is not None, "met_at": _iso(d["met_at"]),
            "rule": f"{d['rule_id']} v{d['rule_version']} ({d['rule_variant']})",
            "calendar_version": d["calendar_version"], "explanation": d["counting"],
            "skipped": [f"{s['date']} ({s['reason']})" for s in d.get("skipped") or []]}


@dataclass(frozen=True)
class DeadlineDiff:
    """A deadline whose due instant, status or breach differs (or that runs on one side only)."""

    case_id: str
    rule_id: str
    subject_id: str
    checkpoint: int | None
    changed: tuple[str, ...]
    before: JsonDict | None
    after: JsonDict | None

    def as_dict(self) -> JsonDict:
        """JSON-ready form."""
        return {"case_id": self.case_id, "rule_id": self.rule_id, "subject_id": self.subject_id,
                "checkpoint": self.checkpoint, "changed": list(self.changed),
                "before": self.before, "after": self.after}


def deadline_diffs(case_id: str, before: Mapping[DeadlineKey, JsonDict],
                   after: Mapping[DeadlineKey, JsonDict]) -> list[DeadlineDiff]:
    """The deadlines of one case whose due, status or breach differ, sorted by key."""
    out: list[DeadlineDiff] = []
    for key in sorted(set(before) | set(after), key=lambda k: (k[0], k[1], k[2] or 0, k[3])):
        b, a = deadline_side(before.get(key)), deadline_side(after.get(key))
        if b is None or a is None:
            changed: tuple[str, ...] = ("runs",)
        else:
            changed = tuple(f for f in ("due", "status", "breached") if b[f] != a[f])
        if changed:
            out.append(DeadlineDiff(case_id=case_id, rule_id=key[0], subject_id=key[1],
                                    checkpoint=key[2], changed=changed, before=b, after=a))
    return out


@dataclass(frozen=True)
class ClassDiff:
    """A melding whose CBS class (or kind of vervolgmelding) differs."""

    melding_id: str
    case_id: str
    before: JsonDict
    after: JsonDict

    def as_dict(self) -> JsonDict:
        """JSON-ready form."""
        return {"melding_id": self.melding_id, "case_id": self.case_id,
                "before": self.before, "after": self.after}


def _class_side(m: ClassifiedMelding) -> JsonDict:
    d = m.as_dict()
    return {"classification": m.classification, "vervolg_kind": m.vervolg_kind,
            "basis": d["basis"], "cutoff_on": d["cutoff_on"], "settings": d["settings"]}


def class_diffs(before: Sequence[ClassifiedMelding],
                after: Sequence[ClassifiedMelding]) -> list[ClassDiff]:
    """Meldingen classified otherwise after than before, sorted by melding id."""
    b = {m.melding_id: m for m in before}
    out = []
    for m in sorted(after, key=lambda m: m.melding_id):
        old = b.get(m.melding_id)
        if old is None:
            continue
        if (old.classification, old.vervolg_kind) != (m.classification, m.vervolg_kind):
            out.append(ClassDiff(melding_id=m.melding_id, case_id=str(m.row["case_id"]),
                                 before=_class_side(old), after=_class_side(m)))
    return out


@dataclass(frozen=True)
class FigureDiff:
    """One monitor figure before and after, with the counts that moved."""

    name: str
    unit: str
    before: JsonDict
    after: JsonDict

    @property
    def suppressed(self) -> bool:
        """Whether a side is withheld as a small cell (then nothing is said to have moved)."""
        return bool(self.before.get("suppressed") or self.after.get("suppressed"))

    @property
    def moved(self) -> float:
        """How much the numerator moved (after − before); 0 when a side is suppressed."""
        if self.suppressed:
            return 0.0
        return float(self.after["numerator"]) - float(self.before["numerator"])

    def as_dict(self) -> JsonDict:
        """JSON-ready form."""
        return {"name": self.name, "unit": self.unit, "before": self.before,
                "after": self.after, "numerator_moved": self.moved,
                "denominator_moved": 0 if self.suppressed else (self.after["denominator"] or 0)
                - (self.before["denominator"] or 0)}


def _fig(f: Any) -> JsonDict:
    return {"numerator": f.numerator, "denominator": f.denominator, "value": f.value,
            "suppressed": bool(f.suppressed)}


def figure_diffs(before: MonitorReport, after: MonitorReport) -> list[FigureDiff]:
    """Every figure of the period, before and after (unchanged ones too), by name."""
    a = {f.name: f for f in after.figures}
    return [FigureDiff(name=f.name, unit=f.unit, before=_fig(f), after=_fig(a[f.name]))
            for f in sorted(before.figures, key=lambda f: f.name) if f.name in a]


@dataclass(frozen=True)
class PeriodDiff:
    """The monitor figures of one period before and after."""

    period: str
    figures: tuple[FigureDiff, ...]

    @property
    def moved(self) -> tuple[FigureDiff, ...]:
        """The figures whose counts moved."""
        return tuple(f for f in self.figures if not f.suppressed and (
            f.before["numerator"] != f.after["numerator"]
            or f.before["denominator"] != f.after["denominator"]))

    def as_dict(self) -> JsonDict:
        """JSON-ready form."""
        return {"period": self.period, "figures": [f.as_dict() for f in self.figures],
                "moved": [f.name for f in self.moved]}


@dataclass(frozen=True)
class WhatIfReport:
    """Everything a what-if found, per case and in aggregate."""

    selection: JsonDict
    before: JsonDict
    """The recorded side: rule versions changed by the alternative, calendar, settings."""
    after: JsonDict
    cases: int
    deadlines: tuple[DeadlineDiff, ...] = ()
    classifications: tuple[ClassDiff, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    periods: tuple[PeriodDiff, ...] = ()
    timings: JsonDict = field(default_factory=dict, compare=False)

    def as_dict(self) -> JsonDict:
        """JSON-ready form (ids, codes, instants and counts; no personal data)."""
        return {
            "selection": self.selection, "before": self.before, "after": self.after,
            "cases_replayed": self.cases,
            "deadlines": [d.as_dict() for d in self.deadlines],
            "classifications": [c.as_dict() for c in self.classifications],
            "refusals": [r.as_dict() for r in self.refusals],
            "periods": [p.as_dict() for p in self.periods],
        }
