"""The tracking table: one row per projection with its position and version.

The position is the notification id of the last event the projection has applied; it is
written in the same transaction as the projection's rows, so the two never disagree.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from hgkm_workflow.projections.base import Projection
from hgkm_workflow.projections.errors import (
    ProjectionNotSetUpError,
    ProjectionVersionMismatchError,
)

TRACKING_TABLE_NAME = "hgkm_projection_tracking"

tracking_metadata = sa.MetaData()
tracking_table = sa.Table(
    TRACKING_TABLE_NAME,
    tracking_metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Key of the PostgreSQL advisory lock that serialises setup (concurrent CREATE TABLE
# IF NOT EXISTS and first inserts of tracking rows would otherwise race).
_SETUP_LOCK_KEY = zlib.crc32(TRACKING_TABLE_NAME.encode())


@dataclass(frozen=True)
class TrackingRow:
    """A projection's stored position and version."""

    name: str
    position: int
    version: int


def create_tracking_table(conn: sa.Connection) -> None:
    """Create the tracking table if it does not exist, serialised among setups."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_SETUP_LOCK_KEY)))
    tracking_metadata.create_all(conn, checkfirst=True)


def read_rows(
    conn: sa.Connection, names: Iterable[str], *, for_update: bool = False
) -> dict[str, TrackingRow]:
    """Read the tracking rows of the named projections (missing ones are left out).

    Args:
        conn: A connection, inside a transaction when ``for_update`` is set.
        names: Projection names.
        for_update: Lock the rows until the transaction ends (``FOR UPDATE`` on
            PostgreSQL; on SQLite the ``BEGIN IMMEDIATE`` transaction already excludes
            other writers).

    Returns:
        The rows by projection name.
    """
    stmt = (
        sa.select(tracking_table.c.name, tracking_table.c.position, tracking_table.c.version)
        .where(tracking_table.c.name.in_(sorted(names)))
        .order_by(tracking_table.c.name)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return {
        row.name: TrackingRow(row.name, int(row.position), int(row.version))
        for row in conn.execute(stmt)
    }


def write_row(conn: sa.Connection, name: str, position: int, version: int) -> None:
    """Insert or update a projection's tracking row.

    Call with the row locked (or inside a write transaction) so no other writer races.
    """
    values = {"position": position, "version": version, "updated_at": datetime.now(UTC)}
    result = conn.execute(
        sa.update(tracking_table).where(tracking_table.c.name == name).values(**values)
    )
    if result.rowcount == 0:
        conn.execute(sa.insert(tracking_table).values(name=name, **values))


def checked_row(rows: dict[str, TrackingRow], projection: Projection) -> TrackingRow:
    """The projection's tracking row from ``rows``, at the projection's version.

    Raises:
        ProjectionNotSetUpError: If the projection has no tracking row.
        ProjectionVersionMismatchError: If the row is at another version than the code.
    """
    row = rows.get(projection.name)
    if row is None:
        raise ProjectionNotSetUpError(f"projection '{projection.name}' has no tracking row")
    if row.version != projection.version:
        raise ProjectionVersionMismatchError(
            f"projection '{projection.name}' is stored at version {row.version}, "
            f"code is at version {projection.version}"
        )
    return row
