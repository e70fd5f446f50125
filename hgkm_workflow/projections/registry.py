"""The read models an application keeps in step by default."""

from __future__ import annotations

from hgkm_workflow.projections.base import Projection
from hgkm_workflow.projections.cases import CaseIndexProjection
from hgkm_workflow.projections.deadline_index import DeadlineIndexProjection


def default_projections() -> list[Projection]:
    """Fresh instances of every default read model, in the order they are applied."""
    return [CaseIndexProjection(), DeadlineIndexProjection()]
