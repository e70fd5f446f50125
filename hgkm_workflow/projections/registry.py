"""The read models an application keeps in step by default."""

from __future__ import annotations

from hgkm_workflow.projections.base import Projection
from hgkm_workflow.projections.cases import CaseIndexProjection
from hgkm_workflow.projections.deadline_history import DeadlineHistoryProjection
from hgkm_workflow.projections.deadline_index import DeadlineIndexProjection
from hgkm_workflow.projections.monitor_facts import MonitorFactsProjection
from hgkm_workflow.projections.person_fold import person_index_projection
from hgkm_workflow.settings import ClassificationSettings


def default_projections(
    classification: ClassificationSettings | None = None,
) -> list[Projection]:
    """Fresh instances of every default read model, in the order they are applied.

    Args:
        classification: The person index's classification settings; ``None`` takes them
            from the environment (``ClassificationSettings.from_environment()`` in
            :mod:`hgkm_workflow.settings`, CBS defaults when unset).
    """
    return [
        CaseIndexProjection(),
        DeadlineIndexProjection(),
        person_index_projection(classification),
        MonitorFactsProjection(),
        DeadlineHistoryProjection(),
    ]
