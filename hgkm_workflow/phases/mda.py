"""MDA++ escalation and return to the local team.

The multidisciplinary approach (MDA++ kernteam, zorgcoördinator++) for the ~5% most severe and
persistent cases (seeds 002, 004).
"""

from __future__ import annotations

from enum import StrEnum

from hgkm_workflow.phases.table import TransitionTable


class MdaState(StrEnum):
    """MDA++ involvement in a case."""

    NOT_ESCALATED = "not_escalated"
    ESCALATED = "escalated"
    RETURNED = "returned"


S = MdaState

MDA = TransitionTable(
    "mda",
    MdaState,
    S.NOT_ESCALATED,
    [
        ("escalate_to_mda", (S.NOT_ESCALATED, S.RETURNED), S.ESCALATED),
        ("return_to_local_team", S.ESCALATED, S.RETURNED),
    ],
)
