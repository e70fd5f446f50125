"""The read models an application keeps in step by default."""

from __future__ import annotations

from hgkm_workflow.projections.base import Projection
from hgkm_workflow.projections.cases import CaseIndexProjection
from hgkm_workflow.projections.deadline_index import DeadlineIndexProjection
from hgkm_workflow.projections.monitor_tables import MonitorFactsProjection
from hgkm_workflow.projections.person_index import person_index_projection


def default_projections() -> list[Projection]:
    """Fresh instances of every default read model, in the order they are applied.

    The person index reads its classification settings from the environment
    (:class:`~hgkm_workflow.settings.ClassificationSettings`, CBS defaults when unset).
    """
    return [
        CaseIndexProjection(),
        DeadlineIndexProjection(),
        person_index_projection(),
        MonitorFactsProjection(),
    ]
