"""Projection migrations as an explicit step: what needs a rebuild, and the refusal meanwhile.

A projection whose stored version differs from its class version (or whose tables are gone
while its position is not zero) must be rebuilt from the events. The application does not do
that inside its constructor (it would drop tables under a running service): it opens with
``ProjectionRunner.setup(migrate=False)``, which lists the :class:`PendingMigration` s, and
every catch-up — so every query and every tick — is refused with :class:`MigrationRequired`
(``MIGRATION_REQUIRED``, HTTP 503) until ``app.migrate()`` or ``hgkm migrate`` rebuilds them,
here or in another process. Stale views are never served.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from hgkm_workflow.projections.base import Projection
from hgkm_workflow.projections.errors import ProjectionError
from hgkm_workflow.projections.tracking import TRACKING_TABLE_NAME, read_rows

__all__ = ["MigrationRequired", "PendingMigration", "pending_migrations"]


class MigrationRequired(ProjectionError):
    """Read models of an older version are in the store; run ``hgkm migrate`` first."""

    code = "MIGRATION_REQUIRED"
    default_rule = "projection migrations are an explicit step (docs/embedding.md)"


@dataclass(frozen=True)
class PendingMigration:
    """A projection to rebuild: its name, the version in the store and the code's version."""

    name: str
    stored_version: int
    code_version: int


def pending_migrations(conn: sa.Connection,
                       projections: Iterable[Projection]) -> list[PendingMigration]:
    """The projections the store holds in another version (or without their tables)."""
    chosen = list(projections)
    if not sa.inspect(conn).has_table(TRACKING_TABLE_NAME):
        return []
    rows = read_rows(conn, [p.name for p in chosen])
    existing = set(sa.inspect(conn).get_table_names())
    out: list[PendingMigration] = []
    for projection in chosen:
        row = rows.get(projection.name)
        if row is None:
            continue
        missing = any(t.name not in existing for t in projection.tables())
        if row.version != projection.version or (missing and row.position > 0):
            out.append(PendingMigration(projection.name, row.version, projection.version))
    return out


def refusal(pending: Iterable[PendingMigration]) -> MigrationRequired:
    """The error naming the projections and versions (no data)."""
    what = ", ".join(f"{p.name} v{p.stored_version} → v{p.code_version}" for p in pending)
    return MigrationRequired(f"read models need a rebuild ({what}); run 'hgkm migrate' "
                             "(or app.migrate()) once, from one process")
