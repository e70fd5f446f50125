"""Phase 1, directe veiligheid: stop the violence now.

Artefact: the *veiligheidsplan* with *veiligheidsvoorwaarden*. Exit criterion: the acute
unsafety is removed ("de acute onveiligheid is weggenomen", seed 001).
"""

from __future__ import annotations

from enum import StrEnum

from hgkm_workflow.phases.table import TransitionTable


class DirecteVeiligheidState(StrEnum):
    """Progress within directe veiligheid."""

    NO_PLAN = "no_plan"
    PLAN_ACTIVE = "plan_active"
    ACUTE_UNSAFETY_REMOVED = "acute_unsafety_removed"


S = DirecteVeiligheidState

DIRECTE_VEILIGHEID = TransitionTable(
    "directe_veiligheid",
    DirecteVeiligheidState,
    S.NO_PLAN,
    [
        ("set_veiligheidsplan", S.NO_PLAN, S.PLAN_ACTIVE),
        ("set_veiligheidsplan", S.PLAN_ACTIVE, S.PLAN_ACTIVE),
        ("set_veiligheidsplan", S.ACUTE_UNSAFETY_REMOVED, S.PLAN_ACTIVE),
        ("confirm_acute_unsafety_removed", S.PLAN_ACTIVE, S.ACUTE_UNSAFETY_REMOVED),
        ("exit_phase", S.ACUTE_UNSAFETY_REMOVED, S.ACUTE_UNSAFETY_REMOVED),
    ],
)
