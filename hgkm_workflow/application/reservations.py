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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
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

class _ClaimStatements:
    """The claim's two statements compiled once per dialect and index, run on the DBAPI.

    SQLAlchemy compiles them (the same SQL as :func:`_holder_query` and :data:`_INSERT`);
    parameters go through the columns' own bind processors (``reserved_at`` on SQLite is
    stored as SQLAlchemy stores it), so the rows are those a ``Connection`` would write.
    """

    _cache: ClassVar[dict[tuple[str, str, str], _ClaimStatements]] = {}

    def __init__(self, dialect: sa.Dialect, table: sa.Table, column: str) -> None:
        """Compile for ``dialect``."""
        holder = _holder_query(table, column).compile(dialect=dialect)
        insert = _INSERT.compile(dialect=dialect, column_keys=list(_INSERT_KEYS))
        self.holder, self.insert = holder.string, insert.string
        self._holder_order = holder.positiontup
        self._insert_order = insert.positiontup
        at_type = unique_ids.c.reserved_at.type.dialect_impl(dialect)
        self._at = at_type.bind_processor(dialect)
        self.begin = "BEGIN IMMEDIATE" if dialect.name == "sqlite" else None
        self.integrity_error: type[Exception] = dialect.loaded_dbapi.IntegrityError

    @classmethod
    def of(cls, dialect: sa.Dialect, table: sa.Table, column: str) -> _ClaimStatements:
        """The statements for ``dialect`` and the index ``table.column`` (built once)."""
        key = (dialect.name, table.name, column)
        found = cls._cache.get(key)
        if found is None:
            found = cls._cache[key] = cls(dialect, table, column)
        return found

    def holder_params(self, value: str) -> Any:
        """The holder query's parameters in the dialect's style."""
        return self._ordered({"value": value}, self._holder_order)

    def insert_params(self, kind: str, value: str, at: datetime, owner: str | None) -> Any:
        """The insert's parameters in the dialect's style, ``reserved_at`` processed."""
        row = {"kind": kind, "value": value,
               "reserved_at": self._at(at) if self._at is not None else at, "case_id": owner}
        return self._ordered(row, self._insert_order)

    @staticmethod
    def _ordered(params: dict[str, Any], order: Sequence[str] | None) -> Any:
        return tuple(params[name] for name in order) if order is not None else params


_INSERT_KEYS = ("kind", "value", "reserved_at", "case_id")

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
        owner = str(case_id) if case_id is not None else None
        holder, reserved_at = self._claim(kind, table, column, str(value), owner)
        if holder is not None:
            if case_id is not None and holder == str(case_id):
                yield  # the case decides (it refuses its own duplicate)
                return
            raise RuleViolation(f"this {kind} id is in use by another case", code=code,
                                rule=rule)
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

    def _claim(self, kind: str, table: sa.Table, column: str, value: str,
               owner: str | None) -> tuple[str | None, datetime | None]:
        """The index's holder of ``value`` and, if none, the reservation, in one transaction.

        Returns ``(holder, None)`` when the index names a case, else ``(None, reserved_at)``
        as :meth:`_reserve` answers. A reservation already there fails the insert (primary
        key), which rolls the transaction back (it wrote nothing else); :meth:`_reserve`
        then settles it (same case, stale, or refused). Both statements run on the pooled
        DBAPI connection (:class:`_ClaimStatements`: SQLAlchemy's per-statement work was
        most of a reservation's cost), in the transaction :func:`write_connection` would
        open: ``BEGIN IMMEDIATE`` on SQLite, the driver's implicit one on PostgreSQL.
        """
        at = self._now()
        sql = _ClaimStatements.of(self.engine.dialect, table, column)
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                if sql.begin is not None:
                    cursor.execute(sql.begin)
                cursor.execute(sql.holder, sql.holder_params(value))
                found = cursor.fetchone()
                if found is not None:
                    raw.rollback()
                    return str(found[0]), None
                try:
                    cursor.execute(sql.insert, sql.insert_params(kind, value, at, owner))
                except sql.integrity_error:
                    raw.rollback()
                    return None, self._reserve(kind, value, owner, tried=True)
                raw.commit()
                return None, at
            except BaseException:
                raw.rollback()
                raise
            finally:
                cursor.close()
        finally:
            raw.close()  # back to the pool

    def _reserve(self, kind: str, value: str, owner: str | None, *,
                 tried: bool = False) -> datetime | None:
        """Insert the reservation (or take over a stale one); its instant, or None if taken.

        Returns :data:`_SAME_CASE` when the id is already reserved for ``owner``.
        ``tried``: the plain insert was made and met a reservation (:meth:`_claim`).
        """
        at = self._now()
        row = {"kind": kind, "value": value, "reserved_at": at, "case_id": owner}
        if not tried:
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
