"""The tijdelijk huisverbod as a sub-machine.

Imposed by the burgemeester for 10 days (T6); extended while active up to at most 28 days after
imposition (T7); revoked; or expired (Wet tijdelijk huisverbod; seed 001 "tien tot 28 dagen").
"""

from __future__ import annotations

from enum import StrEnum

from hgkm_workflow.phases.table import TransitionTable


class HuisverbodState(StrEnum):
    """State of one huisverbod."""

    NONE = "none"
    IMPOSED = "imposed"
    EXTENDED = "extended"
    REVOKED = "revoked"
    EXPIRED = "expired"


S = HuisverbodState
ACTIVE_STATES = (S.IMPOSED, S.EXTENDED)

HUISVERBOD = TransitionTable(
    "huisverbod",
    HuisverbodState,
    S.NONE,
    [
        ("impose", S.NONE, S.IMPOSED),
        ("give_contact_address", S.IMPOSED, S.IMPOSED),
        ("give_contact_address", S.EXTENDED, S.EXTENDED),
        ("extend", S.IMPOSED, S.EXTENDED),
        ("revoke", ACTIVE_STATES, S.REVOKED),
        ("expire", ACTIVE_STATES, S.EXPIRED),
    ],
)
