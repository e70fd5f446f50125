"""Read models: SQLAlchemy tables in the event store's database, kept up to date by a runner.

See :class:`Projection` for the contract and :class:`ProjectionRunner` for exactly-once,
batched, resumable catch-up.
"""

from hgkm_workflow.projections.base import TABLE_PREFIX, Projection, event_name
from hgkm_workflow.projections.engine import (
    dispose_engines,
    engine_for,
    make_engine,
    write_connection,
)
from hgkm_workflow.projections.errors import (
    ProjectionDefinitionError,
    ProjectionError,
    ProjectionNotSetUpError,
    ProjectionVersionMismatchError,
    UnknownProjectionError,
)
from hgkm_workflow.projections.runner import (
    BeforeTrackingWrite,
    ProgressCallback,
    ProjectionRunner,
)
from hgkm_workflow.projections.tracking import TRACKING_TABLE_NAME, tracking_table

__all__ = [
    "TABLE_PREFIX",
    "TRACKING_TABLE_NAME",
    "BeforeTrackingWrite",
    "ProgressCallback",
    "Projection",
    "ProjectionDefinitionError",
    "ProjectionError",
    "ProjectionNotSetUpError",
    "ProjectionRunner",
    "ProjectionVersionMismatchError",
    "UnknownProjectionError",
    "dispose_engines",
    "engine_for",
    "event_name",
    "make_engine",
    "tracking_table",
    "write_connection",
]
