"""The access-checked event feed: typed, personal-data-free integration events.

``app.events_since(position, access=…, limit=…)`` reads the store's notification log after
``position`` and returns the events of household cases the reader may list, as
:class:`IntegrationEvent` values. A call is a *listing* (resource ``events``): the access
policy decides it like the case list (an auditor reads every region, Veilig Thuis its own
region(s), anyone else is refused) and the access log holds one entry per call.

What an integration event carries, and what it never carries (decided here, documented in
docs/embedding.md):

* carried: the position (notification id), the case id, the case's version, the event type,
  the business time (``at``) and the recording time, the case's region and gemeente code, the
  phase entered (on ``PhaseChanged``), the rule the event cites, the acting role, and the
  event's *codes*: the payload fields named in :data:`CODE_FIELDS` whose values are short
  codes, flags, numbers or instants;
* never carried: rationale text, person ids, the actor's id and organisation, plans,
  voorwaarden and any other free text. The policy grants no exceptions today; a host that
  needs more reads the case itself (``get_case``, logged per case).

Events of adviezen and of the person register (erasures) are not in the feed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.application import Application
from pydantic import BaseModel, ConfigDict

from hgkm_workflow.access.models import Resource
from hgkm_workflow.application.read_gate import AccessArg, ReadGate
from hgkm_workflow.application.unit_of_work import UnitOfWork
from hgkm_workflow.errors import InvalidCommand
from hgkm_workflow.projections.cases import cases as case_index

__all__ = ["CASE_TOPIC_PREFIX", "CODE_FIELDS", "EventFeed", "FeedPage", "IntegrationEvent"]

CASE_TOPIC_PREFIX = "hgkm_workflow.case:HouseholdCase."
"""Stored topics of household-case events (the only events in the feed)."""

CODE_FIELDS: frozenset[str] = frozenset({
    "acute", "accepted", "calendar_version", "conclusion", "counting", "deadline_id", "decree",
    "due", "ends_at", "factor", "forms_of_violence", "from_phase", "to_phase", "how",
    "huisverbod_id", "informed", "loop_back_cause", "measure", "melder_type", "melding_id",
    "monitoring_id", "new_due", "new_end", "old_due", "max_end", "previous_end", "outcome",
    "reopened", "safe", "service_id", "stable_safety", "risk_factors", "interventions",
    "late_seconds", "opened_at", "detected_at",
})
"""Payload fields that hold codes, flags, numbers or instants: the only ones copied."""

MAX_CODE_LENGTH = 80
"""A text value longer than this is not a code and is left out, whatever its field."""

MAX_LIMIT = 1000

CodeValue = str | int | float | bool | None | list[str]


class IntegrationEvent(BaseModel):
    """One case event as an integration sees it: ids, codes and instants only."""

    model_config = ConfigDict(frozen=True)

    position: int
    case_id: UUID
    version: int
    event_type: str
    business_time: datetime | None
    recorded_at: datetime
    region: str | None
    gemeente: str | None
    phase: str | None
    rule: str | None
    actor_role: str | None
    codes: dict[str, CodeValue]


class FeedPage(BaseModel):
    """A page of the feed; ask again from ``next_position`` (it moves past skipped events)."""

    model_config = ConfigDict(frozen=True)

    events: tuple[IntegrationEvent, ...]
    next_position: int
    regions: tuple[str, ...] | None
    """The regions the reader's page was limited to (None: every region)."""


def _code(value: Any) -> tuple[bool, CodeValue]:
    if value is None or isinstance(value, bool | int | float):
        return True, value
    if isinstance(value, datetime):
        return True, value.isoformat()
    if isinstance(value, str):
        return len(value) <= MAX_CODE_LENGTH, value
    if isinstance(value, list | tuple) and all(
            isinstance(v, str) and len(v) <= MAX_CODE_LENGTH for v in value):
        return True, list(value)
    return False, None


def codes_of(state: dict[str, Any]) -> dict[str, CodeValue]:
    """The code fields of an event's state (see :data:`CODE_FIELDS`)."""
    out: dict[str, CodeValue] = {}
    for key in sorted(CODE_FIELDS & state.keys()):
        keep, value = _code(state[key])
        if keep:
            out[key] = value
    return out


class EventFeed:
    """Reads the notification log for integrations, through the read gate."""

    def __init__(self, store: Application[UUID], gate: ReadGate, work: UnitOfWork,
                 engine: sa.Engine, catch_up: Callable[[], int]) -> None:
        """Read events of ``store``; decide with ``gate``; regions from the case index."""
        self.store = store
        self.gate = gate
        self.work = work
        self.engine = engine
        self.catch_up = catch_up

    def since(self, position: int, access: AccessArg, limit: int = 100) -> FeedPage:
        """Events after ``position`` that the reader may list, at most ``limit`` scanned.

        Raises:
            InvalidCommand: ``position`` is negative or ``limit`` outside 1…1000.
            AccessDenied: The policy refuses the listing (logged).
        """
        if position < 0 or not 1 <= limit <= MAX_LIMIT:
            raise InvalidCommand(f"position must be >= 0 and limit 1…{MAX_LIMIT}",
                                 fields=["position", "limit"])
        scope = self.gate.listing(access, Resource.EVENTS, None)
        self.catch_up()
        notes = self.store.recorder.select_notifications(position + 1, limit)
        ids = {str(n.originator_id) for n in notes if n.topic.startswith(CASE_TOPIC_PREFIX)}
        places = self._places(ids)
        events: list[IntegrationEvent] = []
        for note in notes:
            if not note.topic.startswith(CASE_TOPIC_PREFIX):
                continue
            region, gemeente = places.get(str(note.originator_id), (None, None))
            if scope is not None and region not in scope:
                continue
            events.append(self._integration_event(note, region, gemeente))
        next_position = notes[-1].id if notes else position
        return FeedPage(events=tuple(events), next_position=next_position,
                        regions=tuple(sorted(scope)) if scope is not None else None)

    def _places(self, case_ids: set[str]) -> dict[str, tuple[str, str]]:
        if not case_ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(case_index.c.case_id, case_index.c.region,
                                          case_index.c.gemeente)
                                .where(case_index.c.case_id.in_(sorted(case_ids))))
            return {r.case_id: (r.region, r.gemeente) for r in rows}

    def _integration_event(self, note: Any, region: str | None,
                           gemeente: str | None) -> IntegrationEvent:
        event: Any = self.store.mapper.to_domain_event(note)
        state = dict(vars(event))
        actor = state.get("actor")
        role = actor.get("role") if isinstance(actor, dict) else None
        rule = state.get("rule")
        return IntegrationEvent(
            position=note.id, case_id=note.originator_id, version=note.originator_version,
            event_type=note.topic[len(CASE_TOPIC_PREFIX):],
            business_time=state.get("at") if isinstance(state.get("at"), datetime) else None,
            recorded_at=event.timestamp, region=region, gemeente=gemeente,
            phase=state.get("to_phase") if isinstance(state.get("to_phase"), str) else None,
            rule=rule if isinstance(rule, str) else None,
            actor_role=role if isinstance(role, str) else None, codes=codes_of(state))
