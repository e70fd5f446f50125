"""Ids unique across cases: decided in the command, not discovered by a read model.

A melding id and a huisverbod id name one melding, one huisverbod, in the whole store. A
command that brings its own id (``melding_id``, ``huisverbod_id``) is checked twice before
its events are saved (:meth:`UniqueIds.reserving`):

1. **the index** — ``rm_meldingen`` / ``rm_huisverboden`` are asked whether another case
   holds the id (events that reached the read models without a reservation: imports);
2. **a reservation** — a row ``(kind, value)`` is inserted into ``hgkm_unique_ids``, whose
   primary key makes the database refuse a second one. It is committed *before* the events
   are saved, so two commands racing with the same id (in one process or several, SQLite or
   PostgreSQL) cannot both pass: the loser's insert fails and it is refused. If the save
   fails or the command is refused, the reservation is deleted again (compensation).

A process that dies between the reservation and the save leaves a reservation that no
event backs. It does not block the id for ever: once it is older than
:data:`STALE_AFTER` and the caught-up index still does not know the id, the next command
takes it over with a compare-and-swap on ``reserved_at`` (one taker wins). A command's save
takes milliseconds, far below the grace period, so a live command's reservation is never
taken over. The table is filled from the caught-up index when it is first created, so a
store written before reservations existed is covered too; an id that reaches the store
without either (an import whose catch-up did not finish, a bug) can still meet a read
model, where it becomes a dead letter (:mod:`hgkm_workflow.projections.dead_letters`).
Refused with ``MELDING_ID_IN_USE`` / ``HUISVERBOD_ID_IN_USE``; the message names
the id kind only.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from uuid import UUID

import sqlalchemy as sa

from hgkm_workflow.errors import HgkmError, RuleViolation
from hgkm_workflow.projections.engine import write_connection
from hgkm_workflow.projections.monitor_tables import huisverboden, meldingen

__all__ = ["STALE_AFTER", "UniqueIds"]

#: After this long a reservation no event backs is considered left by a crashed process.
STALE_AFTER = timedelta(minutes=2)

_SETUP_LOCK_KEY = zlib.crc32(b"hgkm_unique_ids")

#: :meth:`UniqueIds._reserve`'s answer when the id is reserved for the same case already.
_SAME_CASE = datetime.min.replace(tzinfo=UTC)

_metadata = sa.MetaData()
unique_ids = sa.Table(
    "hgkm_unique_ids",
    _metadata,
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("value", sa.String(36), primary_key=True),
    sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("case_id", sa.String(36), nullable=True),
)

#: kind → (index table, its id column, refusal code, rule).
_KINDS: dict[str, tuple[sa.Table, str, str, str]] = {
    "melding": (meldingen, "melding_id", "MELDING_ID_IN_USE", "melding-id-unique"),
    "huisverbod": (huisverboden, "huisverbod_id", "HUISVERBOD_ID_IN_USE",
                   "huisverbod-id-unique"),
}


#: The reservation's insert, built once (every command that brings an id runs it).
_INSERT = unique_ids.insert()

_HOLDER_QUERIES: dict[tuple[str, str], sa.Select[tuple[str]]] = {}


def _holder_query(table: sa.Table, column: str) -> sa.Select[tuple[str]]:
    """``SELECT case_id FROM table WHERE column = :value``, built once per index table."""
    key = (table.name, column)
    query = _HOLDER_QUERIES.get(key)
    if query is None:
        query = _HOLDER_QUERIES[key] = sa.select(table.c.case_id).where(
            table.c[column] == sa.bindparam("value"))
    return query


class UniqueIds:
    """Checks and reserves ids that must be unique across cases.

    Args:
        engine: The read models' engine (same database as the events).
        catch_up: Brings the read models up to date (before the table is first filled).
        now: The wall clock for reservation instants (not business time).
    """

    def __init__(self, engine: sa.Engine, catch_up: Callable[[], int],
                 now: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.catch_up = catch_up
        self._now = now or (lambda: datetime.now(UTC))
        self._set_up = False

    def setup(self, *, strict: bool = True) -> None:
        """Create the reservation table if it does not exist, filled from the index.

        The first set-up on a store catches the read models up and reserves every melding
        and huisverbod id they hold (a store written before reservations existed), in the
        transaction that creates the table; concurrent set-ups serialise on it.

        Args:
            strict: Raise when the read models cannot be caught up (a projection waiting
                for a migration); ``False`` (application start) leaves the table to the
                first command that needs it.
        """
        with self.engine.connect() as conn:
            exists = sa.inspect(conn).has_table(unique_ids.name)
        if not exists:
            try:
                self.catch_up()
            except HgkmError:
                if strict:
                    raise
                return
        with write_connection(self.engine) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_SETUP_LOCK_KEY)))
            if not sa.inspect(conn).has_table(unique_ids.name):
                _metadata.create_all(conn)
                at = self._now()
                for kind, (table, column, _, _) in _KINDS.items():
                    conn.execute(unique_ids.insert().from_select(
                        ["kind", "value", "reserved_at", "case_id"],
                        sa.select(sa.literal(kind), table.c[column],
                                  sa.literal(at, sa.DateTime(timezone=True)),
                                  sa.func.min(table.c.case_id))
                        .group_by(table.c[column])))
        self._set_up = True

    @contextmanager
    def reserving(self, kind: str, value: UUID | None, case_id: UUID | None) -> Iterator[None]:
        """Check and reserve ``value`` for the body, which saves the events using it.

        Args:
            kind: ``melding`` or ``huisverbod``.
            value: The id the caller brought; ``None`` (the engine mints a random one) is
                not checked.
            case_id: The case the command is for, if known: an id this case already holds
                is left to the case's own decision (``DUPLICATE_MELDING`` …).

        Raises:
            RuleViolation: ``MELDING_ID_IN_USE`` / ``HUISVERBOD_ID_IN_USE`` when another
                case holds or is reserving the id (nothing is stored).
        """
        if value is None:
            yield
            return
        table, column, code, rule = _KINDS[kind]
        if not self._set_up:
            self.setup()
        holder = self._holder(table, column, str(value))
        if holder is not None:
            if case_id is not None and holder == str(case_id):
                yield  # the case decides (it refuses its own duplicate)
                return
            raise RuleViolation(f"this {kind} id is in use by another case", code=code,
                                rule=rule)
        owner = str(case_id) if case_id is not None else None
        reserved_at = self._reserve(kind, str(value), owner)
        if reserved_at == _SAME_CASE:
            yield  # reserved for this very case before (a retry): the case decides
            return
        if reserved_at is None:
            raise RuleViolation(f"this {kind} id is being used by another command",
                                code=code, rule=rule)
        try:
            yield
        except BaseException:
            self._release(kind, str(value), reserved_at)
            raise

    def _holder(self, table: sa.Table, column: str, value: str) -> str | None:
        with self.engine.connect() as conn:
            found = conn.execute(_holder_query(table, column), {"value": value}).scalar()
        return str(found) if found is not None else None

    def _reserve(self, kind: str, value: str, owner: str | None) -> datetime | None:
        """Insert the reservation (or take over a stale one); its instant, or None if taken.

        Returns :data:`_SAME_CASE` when the id is already reserved for ``owner``.
        """
        at = self._now()
        row = {"kind": kind, "value": value, "reserved_at": at, "case_id": owner}
        try:
            with write_connection(self.engine) as conn:
                conn.execute(_INSERT, row)
            return at
        except sa.exc.IntegrityError:
            pass
        key = (unique_ids.c.kind == kind) & (unique_ids.c.value == value)
        with write_connection(self.engine) as conn:
            found = conn.execute(sa.select(unique_ids.c.reserved_at, unique_ids.c.case_id)
                                 .where(key)).first()
            if found is None:  # released meanwhile: reserve afresh
                conn.execute(unique_ids.insert().values(**row))
                return at
            old = found.reserved_at
            if owner is not None and found.case_id == owner:
                return _SAME_CASE
            stale = (old if old.tzinfo else old.replace(tzinfo=UTC)) < at - STALE_AFTER
            if not stale:
                return None
            # Index checked and still silent: no event backs it. One taker wins.
            taken = conn.execute(unique_ids.update()
                                 .where(key, unique_ids.c.reserved_at == old)
                                 .values(reserved_at=at, case_id=owner))
            return at if taken.rowcount == 1 else None

    def _release(self, kind: str, value: str, reserved_at: datetime) -> None:
        with write_connection(self.engine) as conn:
            conn.execute(unique_ids.delete().where(
                unique_ids.c.kind == kind, unique_ids.c.value == value,
                unique_ids.c.reserved_at == reserved_at))
