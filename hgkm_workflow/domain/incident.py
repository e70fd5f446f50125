"""The incident a melding reports: its time, and Handle with Care counted from it (issue 14).

Handle with Care (T10) is "een interventie met als doel om binnen 24 uur na een ingrijpend
geweldsincident thuis, steun te organiseren voor het kind op school" (seed 001, footnote 14):
the 24 hours run from the **incident**, not from the moment Veilig Thuis received the melding.
A melding may therefore give the incident's time (``incident_at``); T10 then counts from it,
and from the receipt only when the melding gives none. The deadline's counting text says which
start it used.

The incident time is validated against the receipt (business time of the melding): it may not
lie after it (``INCIDENT_AFTER_RECEIPT``) nor more than :data:`MAX_INCIDENT_AGE` before it
(``INCIDENT_TOO_OLD``). The bound is a plausibility check, not a norm from the sources: an
older fact is a history the melding describes, not the incident Handle with Care answers.

``MeldingReceived`` version 2 records ``incident_at``; :meth:`MeldingReceived.upcast_v1_v2`
gives version-1 events ``None`` ("no incident time was given"), which is what they recorded.
The class is declared here and bound in ``case.py`` under its own name, so its topic stays
``hgkm_workflow.case:HouseholdCase.MeldingReceived``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hgkm_workflow.domain.deadline_rules import INCIDENT_START
from hgkm_workflow.domain.recording import ClockedAggregate
from hgkm_workflow.errors import RuleViolation

__all__ = ["INCIDENT_START", "MAX_INCIDENT_AGE", "RULE_INCIDENT_TIME", "MeldingReceived",
           "check_incident_time", "incident_start", "start_note"]

JsonDict = dict[str, Any]

#: How long before the receipt an incident time may lie (a plausibility bound; module doc).
MAX_INCIDENT_AGE = timedelta(days=366)

RULE_INCIDENT_TIME = ("incident time: not after the receipt of the melding, at most a year "
                      "before it (T10 counts from the incident; seed 001 footnote 14)")


class MeldingReceived(ClockedAggregate.Event):
    """A melding was received. Version 2 adds ``incident_at`` (None: the melding gave no
    incident time); :meth:`upcast_v1_v2` sets None for version 1 (docs/event-evolution.md)."""

    class_version = 2
    actor: JsonDict
    at: datetime
    rationale: str
    rule: str
    melding_id: str
    region: str
    gemeente: str
    melder_type: str
    persons: list[JsonDict]
    forms_of_violence: list[str]
    acute: bool
    from_advies: str | None
    reopened: bool
    incident_at: datetime | None

    @staticmethod
    def upcast_v1_v2(state: JsonDict) -> None:
        """Version 1 → 2: no incident time was recorded."""
        state["incident_at"] = None


def check_incident_time(incident_at: datetime | None, received_at: datetime) -> None:
    """Refuse an incident time after the receipt, or implausibly long before it.

    Raises:
        RuleViolation: ``INCIDENT_AFTER_RECEIPT`` or ``INCIDENT_TOO_OLD``.
    """
    if incident_at is None:
        return
    if incident_at > received_at:
        raise RuleViolation("the incident cannot lie after the receipt of the melding",
                            code="INCIDENT_AFTER_RECEIPT", rule=RULE_INCIDENT_TIME)
    if received_at - incident_at > MAX_INCIDENT_AGE:
        raise RuleViolation("the incident time lies more than a year before the receipt",
                            code="INCIDENT_TOO_OLD", rule=RULE_INCIDENT_TIME)


def incident_start(melding: JsonDict) -> datetime:
    """The instant a rule counted from the incident starts: the incident, else the receipt."""
    found: datetime = melding.get("incident_at") or melding["received_at"]
    return found


def start_note(melding: JsonDict) -> str:
    """Which start a rule counted from the incident used, in plain language."""
    if melding.get("incident_at") is not None:
        return "counted from the incident time given on the melding"
    return "counted from the receipt of the melding (it gives no incident time)"
