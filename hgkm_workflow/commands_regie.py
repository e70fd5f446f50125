"""Commands of casusregie: assignment, the warm handover and MDA++ escalation.

Re-exported by :mod:`hgkm_workflow.commands`; built on the bases of ``commands_base.py``.
"""

from __future__ import annotations

from hgkm_workflow.commands_base import CaseCommand, Regisseur


class AssignCasusregisseur(CaseCommand):
    """Assign the first casusregisseur of a case."""

    regisseur: Regisseur


class OfferHandover(CaseCommand):
    """Offer the casusregie to another party (warm handover, step 1)."""

    to: Regisseur


class AcceptHandover(CaseCommand):
    """The receiving party accepts the casusregie (warm handover, step 2)."""


class DeclineHandover(CaseCommand):
    """The receiving party declines; the sender keeps the casusregie."""


class WithdrawHandover(CaseCommand):
    """The sender withdraws the offer; it keeps the casusregie."""


class EscalateToMda(CaseCommand):
    """Escalate the case to the MDA++ kernteam."""


class ReturnToLocalTeam(CaseCommand):
    """Return an MDA++ case to the local team."""
