"""Commands of safety measures: crisis measures, the huisverbod, monitoring and separation.

Re-exported by :mod:`hgkm_workflow.commands`; built on the bases of ``commands_base.py``.
"""

from __future__ import annotations

from uuid import UUID

from hgkm_workflow.commands_base import CaseCommand, Instant
from hgkm_workflow.vocabulary import CrisisMeasure


class TakeCrisisMeasure(CaseCommand):
    """Record a crisis measure."""

    measure: CrisisMeasure


class ImposeHuisverbod(CaseCommand):
    """The burgemeester imposes a tijdelijk huisverbod on a person of the household."""

    huisverbod_id: UUID | None = None
    removed_person_id: UUID


class ExtendHuisverbod(CaseCommand):
    """Extend an active huisverbod up to at most 28 days after imposition."""

    huisverbod_id: UUID
    new_end: Instant


class RevokeHuisverbod(CaseCommand):
    """Revoke an active huisverbod."""

    huisverbod_id: UUID


class ExpireHuisverbod(CaseCommand):
    """Record that a huisverbod ran out (normally done by the scheduler)."""

    huisverbod_id: UUID


class RecordContactAddressGiven(CaseCommand):
    """The removed person gave a contact address (T8); the address itself goes to the register."""

    huisverbod_id: UUID


class RecordMonitoringCheck(CaseCommand):
    """Record a VT monitoring check-point."""

    safe: bool


class EndMonitoring(CaseCommand):
    """End VT monitoring (stable safety reached, or the maximum reached)."""

    stable_safety: bool


class RecordHuisverbodHelpOffered(CaseCommand):
    """Help was offered, during a huisverbod, to one side: the removed person or a person who
    stayed at home (T9 is met once both sides were offered help; seed 001)."""

    huisverbod_id: UUID
    person_id: UUID


class RecordSeparation(CaseCommand):
    """The partners separated: the stalking risk horizon (T11) starts (seed 001)."""
