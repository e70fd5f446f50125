"""After the phases, the waakvlam: low-level contact keeps the family in view.

"Door waakvlamcontact blijven betrokkenen in beeld" (seed 004). The local team records
contacts; the waakvlam ends by closing the case (reason ``waakvlam_completed``).
"""

from __future__ import annotations

from enum import StrEnum

from hgkm_workflow.phases.table import TransitionTable


class WaakvlamState(StrEnum):
    """Progress within the waakvlam."""

    ACTIVE = "active"


S = WaakvlamState

WAAKVLAM = TransitionTable(
    "waakvlam",
    WaakvlamState,
    S.ACTIVE,
    [
        ("record_waakvlam_contact", S.ACTIVE, S.ACTIVE),
    ],
)
