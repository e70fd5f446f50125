"""Dead letters: events a read model could not apply, recorded so the rest carries on.

One bad event (a melding id reused by another case in a store written before uniqueness was
decided, an import, a bug) must never stop the statutory clock. The runner applies each
projection's batch inside a savepoint (:func:`apply_isolating`); when the database refuses it
(a unique or foreign-key violation, a value that does not fit), the savepoint is rolled back
and the batch is applied again event by event, each in a savepoint of its own. An event the
database still refuses is left out of that read model and written to the dead-letter table,
in the same transaction as the projection's rows and position, so it is recorded exactly once.

A row holds the projection, the notification id, the event class name and a reason code
with the constraint or table concerned: never a value, so never personal data. A rebuild
of the projection clears its dead letters (they are recorded again if they still fail).
``hgkm projections status`` and :meth:`ProjectionRunner.status
<hgkm_workflow.projections.runner.ProjectionRunner.status>` list them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from hgkm_workflow.projections.base import Projection
from hgkm_workflow.projections.tracking import read_rows

__all__ = [
    "DEAD_LETTER_TABLE_NAME",
    "DeadLetter",
    "ProjectionStatus",
    "apply_isolating",
    "clear_dead_letters",
    "create_dead_letter_table",
    "projection_statuses",
    "read_dead_letters",
    "record_dead_letter",
]

DEAD_LETTER_TABLE_NAME = "hgkm_projection_dead_letters"

_log = logging.getLogger(__name__)

dead_letter_metadata = sa.MetaData()
dead_letter_table = sa.Table(
    DEAD_LETTER_TABLE_NAME,
    dead_letter_metadata,
    sa.Column("projection", sa.Text, primary_key=True),
    sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("event", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

#: Database refusals that make an event a dead letter (anything else propagates: an outage
#: must stop the catch-up, not skip events).
DEAD_LETTER_ERRORS: tuple[type[Exception], ...] = (sa.exc.IntegrityError, sa.exc.DataError)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,120}")


@dataclass(frozen=True)
class DeadLetter:
    """An event a projection could not apply.

    Attributes:
        projection: The projection's name.
        position: The event's notification id.
        event: The event class name.
        reason: ``UNIQUE_VIOLATION``, ``INTEGRITY_VIOLATION``, ``DATA_ERROR``, or
            ``UNDECODABLE`` (its stored bytes no longer decode: damaged, tampered).
        detail: The constraint, or table and column, the database named (no values); for
            ``UNDECODABLE`` the decoder's error class.
        recorded_at: When the dead letter was recorded.
    """

    projection: str
    position: int
    event: str
    reason: str
    detail: str
    recorded_at: datetime

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form (no personal data: names and codes only)."""
        return {"projection": self.projection, "position": self.position, "event": self.event,
                "reason": self.reason, "detail": self.detail,
                "recorded_at": self.recorded_at.isoformat()}


@dataclass(frozen=True)
class ProjectionStatus:
    """Where a projection stands.

    Attributes:
        name: The projection's name.
        version: The stored version (``None`` before set-up).
        position: The last notification id applied (0 before set-up).
        lag: The maximum notification id minus the position.
        dead_letters: The events it could not apply, oldest first.
    """

    name: str
    version: int | None
    position: int
    lag: int
    dead_letters: tuple[DeadLetter, ...]

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form."""
        return {"name": self.name, "version": self.version, "position": self.position,
                "lag": self.lag, "dead_letters": [d.as_dict() for d in self.dead_letters]}


def create_dead_letter_table(conn: sa.Connection) -> None:
    """Create the dead-letter table if it does not exist (call under the setup lock)."""
    dead_letter_metadata.create_all(conn, checkfirst=True)


def clear_dead_letters(conn: sa.Connection, projection: str) -> None:
    """Forget a projection's dead letters (its rebuild meets them again if they still fail)."""
    conn.execute(dead_letter_table.delete().where(dead_letter_table.c.projection == projection))


def apply_isolating(conn: sa.Connection, projection: Projection,
                    events: Sequence[tuple[object, int]]) -> int:
    """Apply a projection's batch; record the events the database refuses as dead letters.

    Args:
        conn: The runner's batch transaction.
        projection: The projection.
        events: Its ``(event, notification id)`` pairs of this batch.

    Returns:
        The number of events recorded as dead letters (0 in the usual case).
    """
    try:
        with conn.begin_nested():
            projection.apply_batch(conn, events)
        return 0
    except DEAD_LETTER_ERRORS:
        pass  # find the event(s) to blame, one at a time
    dead = 0
    for event, position in events:
        try:
            with conn.begin_nested():
                projection.apply_batch(conn, ((event, position),))
        except DEAD_LETTER_ERRORS as exc:
            dead += 1
            reason, detail = _reason(exc)
            record_dead_letter(conn, projection.name, position, type(event).__name__,
                               reason, detail)
    return dead


def record_dead_letter(conn: sa.Connection, projection: str, position: int, event: str,
                       reason: str, detail: str) -> None:
    """Record one event a projection could not take (in the batch's transaction)."""
    _log.error("projection %s: event %s at %d not applied (%s %s)",
               projection, event, position, reason, detail)
    conn.execute(dead_letter_table.insert().values(
        projection=projection, position=position, event=event, reason=reason,
        detail=detail, recorded_at=datetime.now(UTC)))


def read_dead_letters(conn: sa.Connection,
                      projections: Iterable[str] | None = None) -> list[DeadLetter]:
    """The recorded dead letters (of the named projections), by projection and position."""
    if not sa.inspect(conn).has_table(DEAD_LETTER_TABLE_NAME):
        return []
    stmt = sa.select(dead_letter_table).order_by(dead_letter_table.c.projection,
                                                 dead_letter_table.c.position)
    if projections is not None:
        stmt = stmt.where(dead_letter_table.c.projection.in_(sorted(projections)))
    out: list[DeadLetter] = []
    for row in conn.execute(stmt):
        at = row.recorded_at if row.recorded_at.tzinfo else row.recorded_at.replace(tzinfo=UTC)
        out.append(DeadLetter(row.projection, int(row.position), row.event, row.reason,
                              row.detail, at))
    return out


def projection_statuses(engine: sa.Engine, names: Sequence[str], max_id: int,
                        has_tracking: bool) -> list[ProjectionStatus]:
    """Position, lag and dead letters of each named projection.

    Args:
        engine: The read models' engine.
        names: The projections, in the order to report them.
        max_id: The store's maximum notification id.
        has_tracking: Whether the tracking table exists.
    """
    with engine.connect() as conn:
        rows = read_rows(conn, names) if has_tracking else {}
        letters = read_dead_letters(conn, names)
    by_name: dict[str, list[DeadLetter]] = {}
    for letter in letters:
        by_name.setdefault(letter.projection, []).append(letter)
    out = []
    for name in names:
        row = rows.get(name)
        position = row.position if row is not None else 0
        out.append(ProjectionStatus(name, row.version if row is not None else None, position,
                                    max(0, max_id - position), tuple(by_name.get(name, ()))))
    return out


def _reason(exc: Exception) -> tuple[str, str]:
    """A reason code and the constraint or table the database named, never a value."""
    orig = getattr(exc, "orig", None)
    reason = "DATA_ERROR" if isinstance(exc, sa.exc.DataError) else "INTEGRITY_VIOLATION"
    detail = ""
    diag = getattr(orig, "diag", None)  # psycopg
    if diag is not None:
        if getattr(orig, "sqlstate", None) == "23505":
            reason = "UNIQUE_VIOLATION"
        detail = diag.constraint_name or diag.table_name or ""
    else:  # sqlite3: "UNIQUE constraint failed: rm_meldingen.melding_id"
        text = str(orig) if orig is not None else ""
        if text.startswith("UNIQUE constraint failed"):
            reason = "UNIQUE_VIOLATION"
        head, _, tail = text.partition(": ")
        detail = tail.split(",")[0].strip() if tail and "constraint" in head else ""
    return reason, detail if _NAME.fullmatch(detail or "-") else ""
