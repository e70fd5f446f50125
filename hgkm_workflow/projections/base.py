"""The read-model projection contract.

A projection turns domain events into rows of its own SQLAlchemy tables (``rm_*``), in the
same database as the events. The :class:`~hgkm_workflow.projections.runner.ProjectionRunner`
feeds it events in notification order and commits its rows together with its tracking
position, so each event is applied exactly once.

Schema or logic changes are handled by bumping :attr:`Projection.version`: the runner then
drops the projection's tables and rebuilds them from the event log (no migrations).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import sqlalchemy as sa

from hgkm_workflow.projections.errors import ProjectionDefinitionError

TABLE_PREFIX = "rm_"


def event_name(topic: str) -> str:
    """The event class name from a stored event topic.

    Args:
        topic: An eventsourcing topic such as ``"pkg.case:HouseholdCase.MeldingReceived"``.

    Returns:
        The last component of the qualified name, e.g. ``"MeldingReceived"``.
    """
    return topic.rpartition(":")[2].rpartition(".")[2]


class Projection(ABC):
    """Base class of read-model projections.

    A projection is written once, as a fold over a batch (:meth:`apply_batch`): it loads
    the rows the batch's events read or change, folds each event, per event kind, into
    those rows in memory, and writes them back (see :mod:`hgkm_workflow.projections.batch`).
    The per-event path, :meth:`apply`, is a batch of one and goes through the same fold, so
    there is no second body to keep in step.

    A projection reads and writes only its own tables: the runner hands a batch to one
    projection after another, not event by event across projections.

    Attributes:
        name: Tracking key, unique among the projections of a database.
        version: Bump on any change of schema or logic; the runner then rebuilds.
        metadata: The projection's own ``MetaData`` holding only its tables (``rm_*``).
        event_names: Event class names the projection wants (``None``: all events). The
            runner skips other notifications without decoding them.
        rebuild_weight: The projection's rebuild cost relative to others (default 1.0);
            a parallel rebuild balances its groups of projections by it.
    """

    name: ClassVar[str]
    version: ClassVar[int] = 1
    metadata: ClassVar[sa.MetaData]
    event_names: ClassVar[frozenset[str] | None] = None
    rebuild_weight: ClassVar[float] = 1.0

    @abstractmethod
    def apply_batch(self, conn: sa.Connection, events: Sequence[tuple[object, int]]) -> None:
        """Fold several events, in the order given, into the projection's rows.

        The runner calls this once per batch with the events this projection wants (see
        :attr:`event_names`) that lie beyond its position, in notification order. It runs
        inside the runner's transaction: do not commit. It must be deterministic and must
        not depend on how the log is split into batches (the same events in the same order
        give the same rows, for rebuilds and catch-ups alike).

        Args:
            conn: The connection of the runner's batch transaction.
            events: ``(decoded event, notification id)`` pairs, ids increasing.
        """

    def apply(self, conn: sa.Connection, event: object, position: int) -> None:
        """Fold one event: a batch of one, through :meth:`apply_batch`.

        Args:
            conn: The connection of the caller's transaction.
            event: The decoded domain event.
            position: The event's notification id in the application sequence.
        """
        self.apply_batch(conn, ((event, position),))

    def settle(self, conn: sa.Connection) -> None:
        """Finish work a projection deferred while catching up (default: nothing).

        The runner calls it at the end of every catch-up and rebuild that reached its stop,
        in a write transaction of its own, for projections that override it. A projection
        that defers derived rows during a rebuild (for example aggregates computed once from
        the finished rows instead of moved event by event) derives them here. It must be
        idempotent and leave the same rows however often it runs.

        Args:
            conn: The connection of the settling transaction.
        """
        return None

    @classmethod
    def settles(cls) -> bool:
        """Whether the class overrides :meth:`settle` (the runner calls only those)."""
        return cls.settle is not Projection.settle

    def wants(self, name: str) -> bool:
        """Whether the projection wants events of the given class name.

        Args:
            name: An event class name, see :func:`event_name`.

        Returns:
            True if :attr:`event_names` is ``None`` or contains ``name``.
        """
        return self.event_names is None or name in self.event_names

    @classmethod
    def tables(cls) -> list[sa.Table]:
        """The projection's tables, in dependency order."""
        return list(cls.metadata.sorted_tables)

    @classmethod
    def validate(cls) -> None:
        """Check the class attributes.

        Raises:
            ProjectionDefinitionError: If the name, version, metadata or a table name is
                unusable.
        """
        name = getattr(cls, "name", "")
        if not isinstance(name, str) or not name:
            raise ProjectionDefinitionError(f"{cls.__qualname__} needs a non-empty name")
        if not isinstance(cls.version, int) or cls.version < 1:
            raise ProjectionDefinitionError(f"projection '{name}' needs a version >= 1")
        metadata = getattr(cls, "metadata", None)
        if not isinstance(metadata, sa.MetaData):
            raise ProjectionDefinitionError(f"projection '{name}' needs its own MetaData")
        for table in metadata.sorted_tables:
            if not table.name.startswith(TABLE_PREFIX):
                raise ProjectionDefinitionError(
                    f"table '{table.name}' of projection '{name}' must start with '{TABLE_PREFIX}'"
                )
