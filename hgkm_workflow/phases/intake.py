"""Intake and triage: adviezen, meldingen and their veiligheidsbeoordeling.

An *advies* is recorded without persons and may be converted into a melding (seed 002:
"adviezen zijn niet herleidbaar tot personen"). Each *melding* is assessed once; the outcome
decides the route (domain brief section 3).
"""

from __future__ import annotations

from enum import StrEnum

from hgkm_workflow.phases.table import TransitionTable
from hgkm_workflow.vocabulary import AssessmentOutcome


class AdviesState(StrEnum):
    """State of an advice request."""

    NONE = "none"
    RECORDED = "recorded"
    CONVERTED = "converted"


class MeldingState(StrEnum):
    """State of one melding in triage."""

    NONE = "none"
    RECEIVED = "received"
    ASSESSED = "assessed"


ADVIES = TransitionTable(
    "advies",
    AdviesState,
    AdviesState.NONE,
    [
        ("record_advies", AdviesState.NONE, AdviesState.RECORDED),
        ("convert_to_melding", AdviesState.RECORDED, AdviesState.CONVERTED),
    ],
)

TRIAGE = TransitionTable(
    "triage",
    MeldingState,
    MeldingState.NONE,
    [
        ("receive", MeldingState.NONE, MeldingState.RECEIVED),
        ("complete_veiligheidsbeoordeling", MeldingState.RECEIVED, MeldingState.ASSESSED),
    ],
)

#: Outcomes after which Veilig Thuis runs a service of its own (and T3 starts).
VT_SERVICE_OUTCOMES = {
    AssessmentOutcome.ONDERZOEK: "onderzoek",
    AssessmentOutcome.VOORWAARDEN_EN_VERVOLG: "voorwaarden_en_vervolg",
}

#: Outcomes that hand the case to the local team or existing care with veiligheidsvoorwaarden
#: (VT monitoring, T4, starts).
HANDOVER_OUTCOMES = frozenset(
    {AssessmentOutcome.HANDOVER_LOCAL_TEAM, AssessmentOutcome.HANDOVER_EXISTING_CARE}
)
