"""Read model ``rm_cases``: one row per household case, for listing and filtering cases."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa

from hgkm_workflow.projections._util import naive_utc
from hgkm_workflow.projections.base import Projection
from hgkm_workflow.projections.batch import TableBuffer, id_text, owner_and_kind, select_in

metadata = sa.MetaData()

cases = sa.Table(
    "rm_cases",
    metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("region", sa.String(64), nullable=False),
    sa.Column("gemeente", sa.String(8), nullable=False),
    sa.Column("phase", sa.String(32), nullable=False),
    sa.Column("opened_at", sa.DateTime, nullable=False),
    sa.Column("phase_entered_at", sa.DateTime, nullable=False),
    sa.Column("last_event_at", sa.DateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("meldingen", sa.Integer, nullable=False, default=0),
    sa.Column("loop_backs", sa.Integer, nullable=False, default=0),
    sa.Column("mda", sa.String(16), nullable=False, default="not_escalated"),
    sa.Column("regie_organisation", sa.String(64), nullable=True),
    sa.Column("regie_offered_to", sa.String(64), nullable=True),
    sa.Column("closure_reason", sa.String(64), nullable=True),
    sa.Index("ix_rm_cases_region_phase", "region", "phase"),
)


_load = select_in(cases, cases.c.case_id)


class CaseIndexProjection(Projection):
    """Keeps ``rm_cases`` up to date from the household case events."""

    name: ClassVar[str] = "case_index"
    version: ClassVar[int] = 2  # 2: follows warm handovers (regie_offered_to)
    metadata: ClassVar[sa.MetaData] = metadata

    def apply_batch(self, conn: sa.Connection, events: Sequence[tuple[object, int]]) -> None:
        """Fold a batch into the case rows it touches: one load, one insert, one update.

        Rows of other aggregates are ignored; an event of a case that has no row (never
        opened) changes nothing.
        """
        rows = TableBuffer(cases)
        opened: set[str] = set()
        needed: set[str] = set()
        items: list[tuple[str, str, Any]] = []
        for event, _ in events:
            owner, kind = owner_and_kind(event)
            if owner != "HouseholdCase":
                continue
            case_id = id_text(getattr(event, "originator_id"))  # noqa: B009
            if kind == "Opened":
                opened.add(case_id)
            elif case_id not in opened:  # a case opened in this batch is not in the table
                needed.add(case_id)
            items.append((kind, case_id, event))
        rows.load_in(conn, _load, needed)
        buffered = rows.rows
        last_at: dict[str, datetime] = {}  # converted once per case, at the end
        for kind, case_id, ev in items:
            if kind == "Opened":
                last_at.pop(case_id, None)
                rows.insert(_opened_row(case_id, ev))
                continue
            row = buffered.get(case_id)
            if row is None:  # a case never opened: nothing to change
                continue
            row["version"] = ev.originator_version
            at = getattr(ev, "at", None)
            if at is not None:
                last_at[case_id] = at
            if kind in _SPECIFIC:
                _SPECIFIC[kind](row, ev)
        for case_id, at in last_at.items():
            buffered[case_id]["last_event_at"] = naive_utc(at)
        rows.flush(conn)


def _opened_row(case_id: str, ev: Any) -> dict[str, Any]:
    opened_at = naive_utc(ev.opened_at)
    return {
        "case_id": case_id, "region": ev.region, "gemeente": ev.gemeente, "phase": "new",
        "opened_at": opened_at, "phase_entered_at": opened_at, "last_event_at": opened_at,
        "version": ev.originator_version, "meldingen": 0, "loop_backs": 0,
        "mda": "not_escalated", "regie_organisation": None, "regie_offered_to": None,
        "closure_reason": None,
    }


def _melding(row: dict[str, Any], ev: Any) -> None:
    row["region"] = ev.region
    row["gemeente"] = ev.gemeente
    row["meldingen"] += 1
    row["closure_reason"] = None


def _phase(row: dict[str, Any], ev: Any) -> None:
    row["phase"] = ev.to_phase
    row["phase_entered_at"] = naive_utc(ev.at)
    if ev.how == "loop_back":
        row["loop_backs"] += 1


def _set(column: str, value: Any) -> Callable[[dict[str, Any], Any], None]:
    def fold(row: dict[str, Any], ev: Any) -> None:
        row[column] = value
    return fold


def _closed(row: dict[str, Any], ev: Any) -> None:
    row["closure_reason"] = ev.reason


def _regisseur(row: dict[str, Any], ev: Any) -> None:
    row["regie_organisation"] = ev.regisseur["organisation"]


def _offered(row: dict[str, Any], ev: Any) -> None:
    row["regie_offered_to"] = ev.to["organisation"]


def _accepted(row: dict[str, Any], ev: Any) -> None:
    row["regie_organisation"] = row["regie_offered_to"]
    row["regie_offered_to"] = None


def _new_period(row: dict[str, Any], ev: Any) -> None:
    # a reopened case starts a new period without casusregie (domain/period.py)
    row["regie_organisation"] = None
    row["regie_offered_to"] = None


def _carried_over(row: dict[str, Any], ev: Any) -> None:
    # a recorded carry-over may give the new period the previous period's regisseur
    if ev.regisseur is not None:
        row["regie_organisation"] = ev.regisseur["organisation"]


# What each event kind changes besides ``version`` and ``last_event_at``.
_SPECIFIC: dict[str, Callable[[dict[str, Any], Any], None]] = {
    "MeldingReceived": _melding,
    "PhaseChanged": _phase,
    "Closed": _closed,
    "EscalatedToMda": _set("mda", "escalated"),
    "ReturnedToLocalTeam": _set("mda", "returned"),
    "CasusregisseurAssigned": _regisseur,
    "HandoverOffered": _offered,
    "HandoverAccepted": _accepted,
    "HandoverEnded": _set("regie_offered_to", None),
    "PeriodStarted": _new_period,
    "PeriodCarryOverDecided": _carried_over,
}
