"""The response models mirror the views field for field and convert real views."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from hgkm_workflow.application.results import CommandResult, TickRecord
from hgkm_workflow.projections.case_queries import CaseSummary
from hgkm_workflow.projections.deadline_queries import OpenDeadline
from hgkm_workflow.service import models as m
from hgkm_workflow.views import (
    CaseView,
    DeadlineView,
    EmergencyAccessView,
    HuisverbodView,
    TrackView,
)

PAIRS: list[tuple[type[Any], type[m.ResponseModel]]] = [
    (CaseView, m.CaseModel), (DeadlineView, m.DeadlineModel),
    (HuisverbodView, m.HuisverbodModel), (EmergencyAccessView, m.EmergencyAccessModel),
    (CommandResult, m.CommandResultModel), (TickRecord, m.TickRecordModel),
    (CaseSummary, m.CaseSummaryModel), (OpenDeadline, m.OpenDeadlineModel),
    (TrackView, m.TrackModel),
]


@pytest.mark.parametrize(("view", "model"), PAIRS)
def test_model_fields_match_the_view(view: type[Any], model: type[m.ResponseModel]) -> None:
    assert [f.name for f in dataclasses.fields(view)] == list(model.model_fields)


def test_a_real_case_converts_and_serialises(app: Any) -> None:
    from tests.support import READ, Household

    house = Household(app, app.clock)
    result = house.melding()
    view = app.get_case(result.case_id, access=READ)
    model = m.CaseModel.from_view(view)
    assert model.case_id == view.case_id
    assert model.phase == view.phase
    assert len(model.deadlines) == len(view.deadlines) > 0
    data = json.loads(model.model_dump_json())
    assert data["deadlines"][0]["rule_id"] == view.deadlines[0].rule_id
    assert m.CommandResultModel.from_view(result).events == result.events


def test_from_view_refuses_a_non_view() -> None:
    with pytest.raises(TypeError):
        m.CaseModel.from_view({"case_id": "x"})


def test_open_deadline_row_converts() -> None:
    row = OpenDeadline(deadline_id="d", case_id=__import__("uuid").uuid4(), rule_id="T1",
                       rule_name="n", rule_type="t", due=datetime(2026, 1, 1, tzinfo=UTC),
                       breached=False, checkpoint=None)
    assert m.OpenDeadlineModel.from_view(row).rule_id == "T1"
