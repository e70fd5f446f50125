"""Deadline events whose class carries an upcaster, defined apart from the aggregate.

:class:`~hgkm_workflow.case.HouseholdCase` binds each under its own name, so the stored topic
stays ``hgkm_workflow.case:HouseholdCase.<Event>`` (tests/data/event-topics.txt pins it), as
:mod:`hgkm_workflow.domain.incident` does for ``MeldingReceived``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hgkm_workflow.domain.recording import ClockedAggregate

__all__ = ["DeadlineRescheduled"]

JsonDict = dict[str, Any]


class DeadlineRescheduled(ClockedAggregate.Event):
    """An open deadline moved to a new calendar version. Version 2 adds ``counting`` (the
    recomputed count); :meth:`upcast_v1_v2` sets None for version 1, whose replay keeps
    the text the deadline had."""

    class_version = 2
    deadline_id: str
    old_due: datetime
    new_due: datetime
    calendar_version: str
    decree: str
    skipped: list[JsonDict]
    counting: str | None

    @staticmethod
    def upcast_v1_v2(state: JsonDict) -> None:
        """Version 1 → 2: no recomputed counting text was recorded."""
        state["counting"] = None
