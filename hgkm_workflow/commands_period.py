"""Commands of issue 14, part A: informing the persons concerned, carry-over into a new period.

Kept beside :mod:`hgkm_workflow.commands` (whose base classes they use) so that module stays
one job; they are validated, authorised and dispatched exactly like the others (handler table,
authority policy, ``HgkmApplication`` methods).
"""

from __future__ import annotations

from uuid import UUID

from pydantic import Field, field_validator, model_validator

from hgkm_workflow.commands import CaseCommand
from hgkm_workflow.vocabulary import RiskFactor

__all__ = ["CarryOverIntoPeriod", "RecordInformingWithheld", "RecordPersonsConcernedInformed"]


def _unique(ids: list[UUID]) -> list[UUID]:
    if len(set(ids)) != len(ids):
        raise ValueError("a person may appear only once")
    return ids


class RecordPersonsConcernedInformed(CaseCommand):
    """The persons concerned were told that a melding about them was made (T12).

    Names who was informed by pseudonymous id only (the case records each one's role); never
    what was said.
    """

    melding_id: UUID
    person_ids: list[UUID] = Field(min_length=1, max_length=50)

    _unique_persons = field_validator("person_ids")(_unique)


class RecordInformingWithheld(CaseCommand):
    """The persons named are not told of the melding, because informing them is itself unsafe.

    The documented exception to informing the persons concerned ("Veiligheid staat altijd
    voorop", seed 004): a recorded decision whose ``rationale`` says why; when nobody was
    informed it stops T12 without a breach (if taken in time).
    """

    melding_id: UUID
    person_ids: list[UUID] = Field(min_length=1, max_length=50)

    _unique_persons = field_validator("person_ids")(_unique)


class CarryOverIntoPeriod(CaseCommand):
    """Carry what the previous period ended with into the new period of a reopened case.

    Nothing is carried over implicitly (``PeriodStarted``); this recorded decision names what
    is: the previous period's casusregisseur, its veiligheidsplan, and/or some of its open risk
    factors, with the ``rationale`` why they still hold.
    """

    regisseur: bool = False
    veiligheidsplan: bool = False
    risk_factors: list[RiskFactor] = Field(default_factory=list, max_length=12)

    @model_validator(mode="after")
    def _names_something(self) -> CarryOverIntoPeriod:
        if not (self.regisseur or self.veiligheidsplan or self.risk_factors):
            raise ValueError("name what is carried over: regisseur, veiligheidsplan or "
                             "risk_factors")
        if len(set(self.risk_factors)) != len(self.risk_factors):
            raise ValueError("a risk factor may appear only once")
        return self
