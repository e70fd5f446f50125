"""How each melding came to its case, kept beside the classification (``rm_melding_found``).

Folded from ``MeldingReceived`` and ``MeldingCaseFound`` (:mod:`hgkm_workflow.domain.
case_found`) in the person index's batch. ``match`` takes the same values as the event
export's ``classification.match`` (:mod:`hgkm_workflow.audit.melding_match`): ``opened``
(the case's first melding), ``reopened`` (it reopened a closed case), ``given`` or
``matched`` (an open case named by the caller, or matched by the engine to its persons), and
``joined`` (an open case, recorded before ``MeldingCaseFound`` existed: given or matched).
``found_by`` is the event's value (``given``, ``matched``, ``new``) or ``null``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from hgkm_workflow.projections.batch import TableBuffer, owner_and_kind, select_in
from hgkm_workflow.projections.person_tables import melding_found

__all__ = ["FOUND_EVENTS", "record_found"]

FOUND_EVENTS = frozenset({"MeldingReceived", "MeldingCaseFound"})
"""The events this fold reads."""

_OF_CASES = select_in(melding_found, melding_found.c.case_id)
_OF_MELDINGEN = select_in(melding_found, melding_found.c.melding_id)


def record_found(conn: sa.Connection, events: Sequence[tuple[object, int]]) -> None:
    """Fold the batch's ``MeldingReceived`` and ``MeldingCaseFound`` into ``rm_melding_found``."""
    items: list[tuple[str, Any]] = []
    for event, _ in events:
        owner, kind = owner_and_kind(event)
        if owner == "HouseholdCase" and kind in FOUND_EVENTS:
            items.append((kind, event))
    if not items:
        return
    rows = TableBuffer(melding_found)
    cases = {str(ev.originator_id) for kind, ev in items if kind == "MeldingReceived"}
    seen = {row["case_id"] for row in rows.load_in(conn, _OF_CASES, cases)}
    rows.load_in(conn, _OF_MELDINGEN,
                 {str(ev.melding_id) for kind, ev in items if kind == "MeldingCaseFound"})
    for kind, ev in items:
        case_id, melding_id = str(ev.originator_id), str(ev.melding_id)
        if kind == "MeldingReceived":
            match = ("opened" if case_id not in seen else
                     "reopened" if ev.reopened else "joined")
            seen.add(case_id)
            if rows.get(melding_id) is None:
                rows.insert({"melding_id": melding_id, "case_id": case_id, "match": match,
                             "found_by": None})
            continue
        row = rows.get(melding_id)
        if row is None:  # never without its MeldingReceived, which comes first
            raise ValueError("MeldingCaseFound before its MeldingReceived")
        row["found_by"] = str(ev.found_by)
        if row["match"] == "joined" and row["found_by"] in ("given", "matched"):
            row["match"] = row["found_by"]
    rows.flush(conn)
