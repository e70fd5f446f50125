"""Restatements: a period's classification figures as known then beside as known now.

CBS publishes half-yearly; when a late fact (a melding or assessment registered late, a role
correction) reclassifies meldingen, or a melding of the period is registered after the
figures were published, the figures change. :func:`restatement` puts the counts as they were
known at a recording instant (default: the end of the period) beside the counts now, and
lists every melding that moved with the reason (the late fact's event, or "recorded after").
The timeliness figures are restated beside them (``timeliness``:
:mod:`hgkm_workflow.monitor.restate_timeliness`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hgkm_workflow.monitor.figures import VERVOLG_KINDS
from hgkm_workflow.monitor.meldingen import ClassifiedMelding
from hgkm_workflow.monitor.restate_timeliness import TimelinessRestatement
from hgkm_workflow.monitor.restated_cells import count_is_small, with_complements

CLASSES = ("nieuw", "vervolgmelding", "hermelding")

# Rows that add up to another row: the classes to all (classified) meldingen, the kinds of
# vervolgmelding to vervolgmelding.
_ADDING_UP = (tuple(f"classification.{c}" for c in CLASSES),
              tuple(f"classification.vervolgmelding.{k}" for k in VERVOLG_KINDS))


@dataclass(frozen=True)
class RestatedCount:
    """One classification count then and now."""

    name: str
    then: int
    now: int
    suppressed: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (counts withheld when suppressed)."""
        if self.suppressed:
            return {"name": self.name, "then": None, "now": None, "change": None,
                    "suppressed": True}
        return {"name": self.name, "then": self.then, "now": self.now,
                "change": self.now - self.then, "suppressed": False}


@dataclass(frozen=True)
class MovedMelding:
    """A melding whose class (or whether it was known) differs between then and now."""

    melding_id: str
    then: str | None
    now: str | None
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"melding_id": self.melding_id, "then": self.then, "now": self.now,
                "reasons": list(self.reasons)}


@dataclass(frozen=True)
class Restatement:
    """The period's classification counts as known at ``known_at`` and now."""

    known_at: datetime
    counts: tuple[RestatedCount, ...]
    moved: tuple[MovedMelding, ...]
    moved_withheld: bool = False
    """The moved meldingen are not listed (a suppressed copy of the report)."""
    timeliness: TimelinessRestatement | None = None
    """The timeliness figures (on time, breaches) as known then and now, with the deadlines
    that moved."""

    def suppress(self, min_cell: int) -> Restatement:
        """A copy fit to publish: small cells withheld (:mod:`~hgkm_workflow.monitor.
        restated_cells`: either side, the change, and complements), no melding listed."""
        if min_cell <= 1:
            return self
        primary = [count_is_small(c.then, c.now, min_cell) for c in self.counts]
        names = [c.name for c in self.counts]
        groups = [[names.index(n) for n in group if n in names] for group in _ADDING_UP]
        hidden = with_complements([(c.then, c.now) for c in self.counts], primary, groups)
        counts = tuple(RestatedCount(c.name, c.then, c.now, suppressed=h)
                       for c, h in zip(self.counts, hidden, strict=True))
        timeliness = None if self.timeliness is None else self.timeliness.suppress(min_cell)
        return Restatement(self.known_at, counts, (), moved_withheld=True,
                           timeliness=timeliness)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: the restatement table and the moved meldingen."""
        return {"known_at": self.known_at.isoformat(),
                "counts": [c.as_dict() for c in self.counts],
                "moved": [m.as_dict() for m in self.moved],
                "moved_count": len(self.moved) if not self.moved_withheld else None,
                "moved_withheld": self.moved_withheld,
                "timeliness": None if self.timeliness is None else self.timeliness.as_dict()}


def _label(cls: str | None, kind: str | None) -> str | None:
    return None if cls is None else (f"{cls}.{kind}" if kind else cls)


def restatement(then: list[ClassifiedMelding], now: list[ClassifiedMelding],
                known_at: datetime,
                timeliness: TimelinessRestatement | None = None) -> Restatement:
    """Compare the same period's meldingen as known at ``known_at`` and as known now.

    Args:
        then: The period's meldingen read with ``as_known_at=known_at``.
        now: The same meldingen read as known now.
        known_at: The recording instant (naive UTC).
        timeliness: The timeliness restatement to carry beside the counts.
    """
    def counts(ms: list[ClassifiedMelding]) -> dict[str, int]:
        out = {"meldingen": 0, **{c: 0 for c in CLASSES},
               **{f"vervolgmelding.{k}": 0 for k in VERVOLG_KINDS}}
        for m in ms:
            if m.classification is None:
                continue
            out["meldingen"] += 1
            out[m.classification] += 1
            if m.vervolg_kind:
                out[f"vervolgmelding.{m.vervolg_kind}"] += 1
        return out

    c_then, c_now = counts(then), counts(now)
    rows = tuple(RestatedCount(("" if k == "meldingen" else "classification.") + k,
                               c_then[k], c_now[k]) for k in c_then)
    by_id = {m.melding_id: m for m in then}
    moved: list[MovedMelding] = []
    for m in now:
        old = by_id.get(m.melding_id)
        was = None if old is None else _label(old.classification, old.vervolg_kind)
        is_ = _label(m.classification, m.vervolg_kind)
        if was == is_:
            continue
        if old is None or old.classification is None:
            when = m.recorded_at.isoformat(timespec="minutes") if m.recorded_at else "?"
            reasons: tuple[str, ...] = (f"recorded after {known_at.isoformat()} "
                                        f"(at {when})",)
            reasons += tuple(c.reason for c in m.changes)
        else:
            reasons = tuple(c.reason for c in m.changes
                            if c.recorded_at is not None and c.recorded_at > known_at)
        moved.append(MovedMelding(m.melding_id, was, is_, reasons))
    return Restatement(known_at, rows, tuple(moved), timeliness=timeliness)
