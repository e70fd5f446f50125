"""How each melding of an export came to its case: the ``classification`` block of its line.

Every ``MeldingReceived`` line of the event export carries ``classification``: ``match``
(how the melding came to its case), ``found_by`` (how the intake found the case, from the
case's ``MeldingCaseFound`` event; :mod:`hgkm_workflow.domain.case_found`) and the
classification settings. ``match`` is

* ``opened`` — the case's first melding: a new case (found by ``new``, or a case id given
  for a case not yet in the store);
* ``reopened`` — the case was closed and this melding reopened it (``payload.reopened``);
* ``given`` — an open case named by the caller;
* ``matched`` — an open case the engine matched to the melding's persons;
* ``joined`` — an open case, recorded before ``MeldingCaseFound`` existed: given or matched,
  the record does not say which (``found_by`` is then ``null``).

``MeldingCaseFound`` follows its ``MeldingReceived`` in the same save, so the export reads
those events first (:func:`found_by_melding`, one pass over the store filtered by topic).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from hgkm_workflow.audit.stored_form import decode_stored_state
from hgkm_workflow.settings import ClassificationSettings

__all__ = ["FOUND_TOPIC", "MATCHES", "classification_meta", "found_by_melding", "mark_melding"]

FOUND_TOPIC = "hgkm_workflow.case:HouseholdCase.MeldingCaseFound"
"""The stored topic of the event that says how a melding's case was found."""

MATCHES = ("opened", "reopened", "given", "matched", "joined")
"""The values of ``classification.match``."""


def found_by_melding(app: Application[Any], batch_size: int = 500) -> dict[str, str]:
    """``found_by`` of every melding that has a ``MeldingCaseFound`` event, by melding id."""
    found: dict[str, str] = {}
    start = 0
    while True:
        batch = app.recorder.select_notifications(start=start, limit=batch_size,
                                                  topics=[FOUND_TOPIC],
                                                  inclusive_of_start=False)
        if not batch:
            return found
        for n in batch:
            state = decode_stored_state(app, n.state)
            found[str(state["melding_id"])] = str(state["found_by"])
        start = batch[-1].id


def classification_meta(settings: ClassificationSettings) -> dict[str, Any]:
    """The classification settings as the export writes them."""
    return {"lookback_years": settings.lookback_years,
            "counted_roles": sorted(r.value for r in settings.counted_roles),
            "hermelding_basis": settings.hermelding_basis}


def mark_melding(line: dict[str, Any], opened: set[UUID], meta: dict[str, Any],
                 found: dict[str, str]) -> None:
    """Add how the melding came to its case and the classification settings to its line."""
    case = UUID(line["case_id"])
    found_by = found.get(str(line["payload"].get("melding_id")))
    if case not in opened:
        match = "opened"
        opened.add(case)
    elif line["payload"].get("reopened"):
        match = "reopened"
    elif found_by in ("given", "matched"):
        match = found_by
    else:
        match = "joined"
    line["classification"] = {"match": match, "found_by": found_by, "settings": meta}
