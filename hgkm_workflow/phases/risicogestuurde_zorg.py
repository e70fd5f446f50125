"""Phase 2, risicogestuurde zorg: remove the risk factors for repetition.

Artefact: the *hulpverleningsplan* with risk factors opened and resolved. Exit criterion:
stable safety — the risk factors no longer affect safety (seed 000).
"""

from __future__ import annotations

from enum import StrEnum

from hgkm_workflow.phases.table import TransitionTable


class RisicogestuurdeZorgState(StrEnum):
    """Progress within risicogestuurde zorg."""

    NO_PLAN = "no_plan"
    PLAN_ACTIVE = "plan_active"
    STABLE_SAFETY = "stable_safety"


S = RisicogestuurdeZorgState

RISICOGESTUURDE_ZORG = TransitionTable(
    "risicogestuurde_zorg",
    RisicogestuurdeZorgState,
    S.NO_PLAN,
    [
        ("set_hulpverleningsplan", S.NO_PLAN, S.PLAN_ACTIVE),
        ("set_hulpverleningsplan", S.PLAN_ACTIVE, S.PLAN_ACTIVE),
        ("open_risk_factor", S.PLAN_ACTIVE, S.PLAN_ACTIVE),
        ("open_risk_factor", S.STABLE_SAFETY, S.PLAN_ACTIVE),
        ("resolve_risk_factor", S.PLAN_ACTIVE, S.PLAN_ACTIVE),
        ("confirm_stable_safety", S.PLAN_ACTIVE, S.STABLE_SAFETY),
        ("exit_phase", S.STABLE_SAFETY, S.STABLE_SAFETY),
    ],
)
