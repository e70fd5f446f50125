"""Commands of the phases: the plans, the exit criteria, leaving a phase, looping back, closure.

Re-exported by :mod:`hgkm_workflow.commands`; built on the bases of ``commands_base.py``.
"""

from __future__ import annotations

from pydantic import Field

from hgkm_workflow.commands_base import CaseCommand, Rationale
from hgkm_workflow.vocabulary import (
    ClosureReason,
    HerstelIntervention,
    LoopBackCause,
    RiskFactor,
    Voorwaarde,
)


class SetVeiligheidsplan(CaseCommand):
    """Set (or revise) the veiligheidsplan with its veiligheidsvoorwaarden."""

    voorwaarden: list[Voorwaarde] = Field(min_length=1, max_length=20)


class ConfirmAcuteUnsafetyRemoved(CaseCommand):
    """Confirm the exit criterion of directe veiligheid."""


class _LeavesPhase(CaseCommand):
    open_deadline_reason: Rationale | None = Field(
        default=None,
        description="Required when a statutory deadline is still open on leaving the phase.",
    )


class CompleteDirecteVeiligheid(_LeavesPhase):
    """Move the case on to risicogestuurde zorg."""


class SetHulpverleningsplan(CaseCommand):
    """Set (or revise) the hulpverleningsplan; lists the risk factors it addresses."""

    risk_factors: list[RiskFactor] = Field(min_length=1, max_length=12)


class OpenRiskFactor(CaseCommand):
    """Record a risk factor for repetition."""

    factor: RiskFactor


class ResolveRiskFactor(CaseCommand):
    """Record that a risk factor no longer affects safety."""

    factor: RiskFactor


class ConfirmStableSafety(CaseCommand):
    """Confirm the exit criterion of risicogestuurde zorg (stabiele veiligheid)."""


class CompleteRisicogestuurdeZorg(_LeavesPhase):
    """Move the case on to herstel."""


class SetHerstelplan(CaseCommand):
    """Set (or revise) the herstelplan."""

    interventions: list[HerstelIntervention] = Field(min_length=1, max_length=12)


class CompleteHerstelplan(CaseCommand):
    """Record that the herstelplan has been carried out."""


class CompleteHerstel(_LeavesPhase):
    """Move the case on to the waakvlam."""


class RecordWaakvlamContact(CaseCommand):
    """Record a waakvlam contact with the household."""


class LoopBack(CaseCommand):
    """Return the case to directe veiligheid after a new incident or acute unsafety."""

    cause: LoopBackCause


class CloseCase(CaseCommand):
    """Close the case with a reason."""

    reason: ClosureReason
    open_deadline_reason: Rationale | None = Field(
        default=None,
        description="Required when a statutory deadline is still open at closure.",
    )
