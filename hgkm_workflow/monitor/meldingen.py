"""The classification of every melding, one record each, as known now or at a recording instant.

:func:`classified_meldingen` reads ``rm_melding_classification`` (the class as known now),
the recording time of each melding (``rm_case_facts``) and every late change
(``rm_classification_changes``), and returns one :class:`ClassifiedMelding` per melding
received in a selection and period. With ``as_known_at`` a melding's class is the one it
had at that recording instant: the old class of the first change recorded after it, else
the class now; a melding recorded after it was not known then. This is the auditor's
per-melding export (``hgkm monitor meldingen --jsonl``) and the basis of restatements
(:mod:`hgkm_workflow.monitor.restatement`). Ids are pseudonymous; no personal data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hgkm_workflow.projections.person_fold import PersonIndexProjection
from hgkm_workflow.projections.person_tables import (
    case_facts,
    classification_changes,
    melding_found,
)
from hgkm_workflow.projections.person_tables import melding_classification as mc

READ_MODEL = f"{PersonIndexProjection.name}/{PersonIndexProjection.version}"
"""The read model (and its version) the classifications come from."""


@dataclass(frozen=True)
class ClassChange:
    """A late fact changed a melding's class or vervolg kind."""

    old_classification: str
    old_vervolg_kind: str | None
    new_classification: str
    new_vervolg_kind: str | None
    cause_case_id: str
    cause_version: int
    cause_event: str
    recorded_at: datetime | None

    @property
    def reason(self) -> str:
        """Why, in one line (codes and pseudonymous ids only)."""
        when = self.recorded_at.isoformat(timespec="minutes") if self.recorded_at else "?"
        return (f"{self.cause_event} of case {self.cause_case_id} (version "
                f"{self.cause_version}), recorded {when}")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "old_classification": self.old_classification,
            "old_vervolg_kind": self.old_vervolg_kind,
            "new_classification": self.new_classification,
            "new_vervolg_kind": self.new_vervolg_kind,
            "cause": {"case_id": self.cause_case_id, "version": self.cause_version,
                      "event_type": self.cause_event},
            "recorded_at": self.recorded_at.isoformat() if self.recorded_at else None,
        }


@dataclass(frozen=True)
class ClassifiedMelding:
    """One melding's classification, with its basis, settings and history of changes."""

    row: dict[str, Any]
    recorded_at: datetime | None
    changes: tuple[ClassChange, ...]
    classification: str | None
    vervolg_kind: str | None

    @property
    def melding_id(self) -> str:
        """The melding's id."""
        return str(self.row["melding_id"])

    def as_dict(self) -> dict[str, Any]:
        """The export record (``hgkm monitor meldingen --jsonl``; docs/export-format.md)."""
        r = self.row

        def iso(v: Any) -> str | None:
            return None if v is None else v.isoformat()

        basis = None if r["ref_person_id"] is None else {
            "person_id": r["ref_person_id"], "role": r["ref_role"],
            "case_id": r["ref_case_id"], "involvement_no": r["ref_involvement_no"],
            "involvement_started_at": iso(r["ref_started_at"]),
            "involvement_ended_at": iso(r["ref_ended_at"]),
        }
        return {
            "melding_id": self.melding_id, "case_id": r["case_id"], "region": r["region"],
            "gemeente": r["gemeente"], "received_at": iso(r["received_at"]),
            "recorded_at": iso(self.recorded_at),
            "case_found": {"match": r.get("case_match"), "found_by": r.get("case_found_by")},
            "classification": self.classification, "vervolg_kind": self.vervolg_kind,
            "basis": basis, "persons_counted": r["persons_counted"],
            "persons_matched": r["persons_matched"], "cutoff_on": iso(r["cutoff_on"]),
            "settings": {"lookback_years": r["lookback_years"],
                         "counted_roles": r["counted_roles"].split(","),
                         "hermelding_basis": r["hermelding_basis"]},
            "read_model": READ_MODEL,
            "changes": [c.as_dict() for c in self.changes],
        }


def classified_meldingen(
    conn: sa.Connection,
    *,
    region: str | None = None,
    gemeente: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    regions: Collection[str] | None = None,
    as_known_at: datetime | None = None,
) -> list[ClassifiedMelding]:
    """Every melding received in ``start``..``end`` (naive UTC), in order of receipt.

    Args:
        conn: A read-model connection.
        region: Only this region.
        gemeente: Only this gemeente.
        start: Received at or after (``None``: from the first).
        end: Received before (``None``: to the last).
        regions: Only these regions (the caller's access scope; ``None``: all).
        as_known_at: The class each melding had at this recording instant (naive UTC);
            meldingen recorded after it have class ``None``.
    """
    mf = melding_found
    q = sa.select(mc, case_facts.c.recorded_at.label("melding_recorded_at"),
                  mf.c.match.label("case_match"), mf.c.found_by.label("case_found_by")).join(
        case_facts, sa.and_(case_facts.c.melding_id == mc.c.melding_id,
                            case_facts.c.kind == "MeldingReceived"), isouter=True).join(
        mf, mf.c.melding_id == mc.c.melding_id, isouter=True)
    if region:
        q = q.where(mc.c.region == region)
    if gemeente:
        q = q.where(mc.c.gemeente == gemeente)
    if start is not None:
        q = q.where(mc.c.received_at >= start)
    if end is not None:
        q = q.where(mc.c.received_at < end)
    if regions is not None:
        q = q.where(mc.c.region.in_(sorted(regions)))
    rows = [dict(r) for r in conn.execute(q.order_by(mc.c.received_at, mc.c.melding_id))
            .mappings()]
    changes: defaultdict[str, list[ClassChange]] = defaultdict(list)
    ids = [r["melding_id"] for r in rows]
    cc = classification_changes
    for i in range(0, len(ids), 500):
        for c in conn.execute(sa.select(cc).where(cc.c.melding_id.in_(ids[i:i + 500]))
                              .order_by(cc.c.melding_id, cc.c.position)).mappings():
            changes[c["melding_id"]].append(ClassChange(
                c["old_classification"], c["old_vervolg_kind"], c["new_classification"],
                c["new_vervolg_kind"], c["cause_case_id"], c["cause_version"],
                c["cause_event"], c["recorded_at"]))
    out = []
    for r in rows:
        recorded = r.pop("melding_recorded_at")
        history = tuple(changes.get(r["melding_id"], ()))
        cls, kind = _known_at(r, recorded, history, as_known_at)
        out.append(ClassifiedMelding(r, recorded, history, cls, kind))
    return out


def _known_at(row: dict[str, Any], recorded: datetime | None,
              history: tuple[ClassChange, ...],
              at: datetime | None) -> tuple[str | None, str | None]:
    if at is None:
        return row["classification"], row["vervolg_kind"]
    if recorded is not None and recorded > at:
        return None, None
    for change in history:
        if change.recorded_at is not None and change.recorded_at > at:
            return change.old_classification, change.old_vervolg_kind
    return row["classification"], row["vervolg_kind"]
