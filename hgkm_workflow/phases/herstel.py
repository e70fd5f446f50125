"""Phase 3, herstel: repair or limit the harm (trauma care, also for children).

Artefact: the *herstelplan*. Exit criterion: the herstelplan is completed.
"""

from __future__ import annotations

from enum import StrEnum

from hgkm_workflow.phases.table import TransitionTable


class HerstelState(StrEnum):
    """Progress within herstel."""

    NO_PLAN = "no_plan"
    PLAN_ACTIVE = "plan_active"
    COMPLETED = "completed"


S = HerstelState

HERSTEL = TransitionTable(
    "herstel",
    HerstelState,
    S.NO_PLAN,
    [
        ("set_herstelplan", S.NO_PLAN, S.PLAN_ACTIVE),
        ("set_herstelplan", S.PLAN_ACTIVE, S.PLAN_ACTIVE),
        ("complete_herstelplan", S.PLAN_ACTIVE, S.COMPLETED),
        ("exit_phase", S.COMPLETED, S.COMPLETED),
    ],
)
