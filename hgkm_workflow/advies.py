"""An advice request (*advies*) to Veilig Thuis: an aggregate without persons.

Adviezen are counted per region and gemeente but are "niet herleidbaar tot personen" (seed
002). An advies can be converted into a melding, which then names the household.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from hgkm_workflow.commands import Command, RecordAdvies
from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.recording import ClockedAggregate
from hgkm_workflow.phases.intake import ADVIES, AdviesState

JsonDict = dict[str, Any]


class Advies(ClockedAggregate):
    """One advice request; never holds persons."""

    @event("AdviesRecorded")
    def __init__(
        self, id: UUID, actor: JsonDict, at: datetime, rationale: str, rule: str,
        region: str, gemeente: str, melder_type: str, forms_of_violence: list[str],
    ) -> None:
        self.state = AdviesState.RECORDED.value
        self.region = region
        self.gemeente = gemeente
        self.melder_type = melder_type
        self.forms_of_violence = forms_of_violence
        self.received_at = at
        self.converted_to: JsonDict | None = None

    @classmethod
    def record(cls, advies_id: UUID, cmd: RecordAdvies, ctx: DecisionContext) -> Advies:
        """Decide and record a new advies."""
        ADVIES.next_state(AdviesState.NONE, "record_advies")
        return cls(
            id=advies_id, **ctx.provenance(cmd, rule="adviesfunctie Veilig Thuis (Wmo 2015)"),
            region=cmd.region, gemeente=cmd.gemeente, melder_type=cmd.melder_type.value,
            forms_of_violence=sorted({f.value for f in cmd.forms_of_violence}),
        )

    def convert(self, cmd: Command, case_id: UUID, melding_id: UUID, ctx: DecisionContext) -> None:
        """Mark this advies as converted into a melding on a case."""
        ADVIES.next_state(AdviesState(self.state), "convert_to_melding")
        self._converted(**ctx.provenance(cmd, rule="advies becomes melding"),
                        case_id=str(case_id), melding_id=str(melding_id))

    @event("AdviesConvertedToMelding")
    def _converted(self, actor: JsonDict, at: datetime, rationale: str, rule: str, case_id: str,
                   melding_id: str) -> None:
        self.state = AdviesState.CONVERTED.value
        self.converted_to = {"case_id": case_id, "melding_id": melding_id, "at": at}
