"""Casusregie: one casusregisseur at a time, handed over warmly.

"1 gezin, 1 plan, 1 regisseur" (seeds 002, 004). A handover is offered and then accepted; the
sender stays responsible until acceptance ("We laten niet los voordat de ander beet heeft",
004). A case that has had a regisseur is never without one.
"""

from __future__ import annotations

from enum import StrEnum

from hgkm_workflow.phases.table import TransitionTable


class RegieState(StrEnum):
    """State of the casusregie of a case."""

    UNASSIGNED = "unassigned"
    ASSIGNED = "assigned"
    HANDOVER_OFFERED = "handover_offered"


S = RegieState

REGIE = TransitionTable(
    "casusregie",
    RegieState,
    S.UNASSIGNED,
    [
        ("assign_first_regisseur", S.UNASSIGNED, S.ASSIGNED),
        ("offer_handover", S.ASSIGNED, S.HANDOVER_OFFERED),
        ("accept_handover", S.HANDOVER_OFFERED, S.ASSIGNED),
        ("decline_handover", S.HANDOVER_OFFERED, S.ASSIGNED),
        ("withdraw_handover", S.HANDOVER_OFFERED, S.ASSIGNED),
    ],
)
