"""A scenario's tick: record what is due on the scenario's own cases only.

The scheduler of a shared store would also act on other scenarios' cases; a scenario's tick acts
on its own households only (the application's public ``tick(now, case_ids=…)``), so results
never depend on what else the store holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from hgkm_workflow.application import HgkmApplication, TickRecord

__all__ = ["tick_cases"]


def tick_cases(app: HgkmApplication, case_ids: Iterable[UUID], at: datetime) -> list[TickRecord]:
    """Record the breaches and expiries due at ``at`` on the given cases, nothing else.

    Args:
        app: The application of the run.
        case_ids: The scenario's cases.
        at: The instant to tick at.

    Returns:
        What was recorded.
    """
    return app.tick(at, case_ids=list(case_ids))
