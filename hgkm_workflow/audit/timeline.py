"""A case's timeline: its history in plain language, one entry per event, at business time."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from hgkm_workflow.audit.business_time import business_times
from hgkm_workflow.audit.entries import TimelineEntry, describe

if TYPE_CHECKING:
    from hgkm_workflow.access.models import Access

__all__ = ["Timelines", "mark_erased", "timeline", "timeline_of"]


class Timelines(Protocol):
    """Anything that gives access-checked timelines (the application does)."""

    def timeline(self, case_id: UUID, *, access: Access | dict[str, Any]
                 ) -> list[TimelineEntry]:
        """The case's timeline, decided by the access policy and logged."""


def timeline(app: Timelines, case_id: UUID, *, access: Access | dict[str, Any]
             ) -> list[TimelineEntry]:
    """The case's history in plain language, one entry per event.

    Reuses :func:`hgkm_workflow.audit.entries.describe`; the ``at`` of each entry is the event's
    business time as defined by :func:`business_times`, so the timeline and
    :func:`state_as_of` agree on when things happened. Same as :meth:`HgkmApplication.timeline`:
    the read is decided by the access policy and logged.

    Raises:
        CaseNotFound: If there is no such case.
        AccessDenied: If the access policy refuses the read.
    """
    return app.timeline(case_id, access=access)


def timeline_of(events: Sequence[Any]) -> list[TimelineEntry]:
    """The timeline of a case's events (no access check: the caller has decided it)."""
    return [dataclasses.replace(describe(ev), at=at)
            for ev, at in zip(events, business_times(events), strict=True)]


_PERSON_FIELDS = ("person_id", "removed_person_id")


def mark_erased(entries: list[TimelineEntry], erased: frozenset[str]) -> list[TimelineEntry]:
    """Mark the entries that name a person whose details were erased from the register.

    The events keep the pseudonymous id (history replays unchanged); the entry says that the
    person behind it can no longer be identified: ``details["erased_persons"]`` and a note.
    """
    if not erased:
        return entries
    out: list[TimelineEntry] = []
    for entry in entries:
        named = sorted(pid for pid in erased if pid[:8] in entry.what
                       or pid in str(entry.details))
        if not named:
            out.append(entry)
            continue
        note = ", ".join(pid[:8] for pid in named)
        out.append(dataclasses.replace(
            entry, what=f"{entry.what} [erased from the register: {note}]",
            details={**entry.details, "erased_persons": named}))
    return out
