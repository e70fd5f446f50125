"""The case lifecycle: the route between the phases of gefaseerd samenwerken.

``new → triage → directe veiligheid → risicogestuurde zorg → herstel → waakvlam → closed``,
with loop-backs to directe veiligheid from every later phase and a reopening of a closed case
by a new melding (domain brief sections 1 and 3; seeds 000, 001, 002).
"""

from __future__ import annotations

from enum import StrEnum

from hgkm_workflow.phases.table import TransitionTable


class CasePhase(StrEnum):
    """Where a household case stands."""

    NEW = "new"
    TRIAGE = "triage"
    DIRECTE_VEILIGHEID = "directe_veiligheid"
    RISICOGESTUURDE_ZORG = "risicogestuurde_zorg"
    HERSTEL = "herstel"
    WAAKVLAM = "waakvlam"
    CLOSED = "closed"


P = CasePhase
OPEN_PHASES = (P.TRIAGE, P.DIRECTE_VEILIGHEID, P.RISICOGESTUURDE_ZORG, P.HERSTEL, P.WAAKVLAM)
CARE_PHASES = (P.DIRECTE_VEILIGHEID, P.RISICOGESTUURDE_ZORG, P.HERSTEL, P.WAAKVLAM)
LATER_PHASES = (P.RISICOGESTUURDE_ZORG, P.HERSTEL, P.WAAKVLAM)

LIFECYCLE = TransitionTable(
    "lifecycle",
    CasePhase,
    P.NEW,
    [
        ("receive_melding", (P.NEW, P.CLOSED), P.TRIAGE),
        ("receive_vervolgmelding", P.TRIAGE, P.TRIAGE),
        ("receive_vervolgmelding", P.DIRECTE_VEILIGHEID, P.DIRECTE_VEILIGHEID),
        ("receive_vervolgmelding", P.RISICOGESTUURDE_ZORG, P.RISICOGESTUURDE_ZORG),
        ("receive_vervolgmelding", P.HERSTEL, P.HERSTEL),
        ("receive_vervolgmelding", P.WAAKVLAM, P.WAAKVLAM),
        ("conclude_triage_without_action", P.TRIAGE, P.CLOSED),
        ("conclude_triage_with_action", P.TRIAGE, P.DIRECTE_VEILIGHEID),
        ("complete_directe_veiligheid", P.DIRECTE_VEILIGHEID, P.RISICOGESTUURDE_ZORG),
        ("complete_risicogestuurde_zorg", P.RISICOGESTUURDE_ZORG, P.HERSTEL),
        ("complete_herstel", P.HERSTEL, P.WAAKVLAM),
        ("loop_back", LATER_PHASES, P.DIRECTE_VEILIGHEID),
        ("close", CARE_PHASES, P.CLOSED),
    ],
)
