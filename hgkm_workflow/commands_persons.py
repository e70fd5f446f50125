"""Commands about persons: roles, additions, plegeraanbod, data subjects and erasure.

Re-exported by :mod:`hgkm_workflow.commands`; built on the bases of ``commands_base.py``.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import Field, model_validator

from hgkm_workflow.commands_base import CaseCommand, Command, Rationale
from hgkm_workflow.vocabulary import PersonRole


class CorrectPersonRole(CaseCommand):
    """Record a corrected role for a person; the role at the melding is kept."""

    person_id: UUID
    role: PersonRole


class AddPerson(CaseCommand):
    """Add a person to the household after the melding (e.g. discovered during onderzoek)."""

    person_id: UUID
    role: PersonRole


class InvolveErvaringsdeskundige(CaseCommand):
    """Record that an ervaringsdeskundige is involved in the case."""


class OfferPlegeraanbod(CaseCommand):
    """Record offender help (plegeraanbod) offered to a person."""

    person_id: UUID


class RespondToPlegeraanbod(CaseCommand):
    """Record whether the offered plegeraanbod was accepted."""

    person_id: UUID
    accepted: bool


class RecordDataSubjectsInformed(CaseCommand):
    """Record whether the persons concerned are told of an emergency access to their case.

    Privacy never blocks safety, but data subjects are told their data was read unless that is
    itself unsafe (seed 004); not informing them needs a reason.
    """

    access_id: UUID = Field(description="The emergency access (see the case view).")
    informed: bool
    reason_not_informed: Rationale | None = Field(
        default=None, description="Required when the persons are not informed.")

    @model_validator(mode="after")
    def _reason_when_not_informed(self) -> RecordDataSubjectsInformed:
        if not self.informed and self.reason_not_informed is None:
            raise ValueError("not informing the persons concerned needs reason_not_informed")
        if self.informed and self.reason_not_informed is not None:
            raise ValueError("reason_not_informed belongs to a decision not to inform")
        return self


class RequestErasure(Command):
    """Request erasure of a person's identifying details from the person register.

    Refused while the retention period runs, unless a legal ground is given (the request is
    recorded either way). Erasure destroys the person's key (crypto-shredding).
    """

    person_id: UUID
    legal_ground: Rationale | None = Field(
        default=None,
        description="The legal ground for erasure before the retention period ends, "
                    "e.g. a court order or AVG art. 17 with the reason it applies.")
