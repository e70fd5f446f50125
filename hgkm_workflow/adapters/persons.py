"""The pseudonymous person register: identifying data kept apart, erasable per person.

Events and read models know persons only by a random id (never derived from a BSN). The
identifying details live here, each person's encrypted with a key of their own (AES-GCM).
Erasing a person deletes that key: the ciphertext becomes unreadable everywhere it may have
been copied (backups included), the case history still replays, and the details read as
erased. This is crypto-shredding (domain brief section 6).

The per-person data keys are never stored in clear: each is wrapped by a key-encryption key
(KEK) from a :class:`~hgkm_workflow.adapters.keys.KeyStore` outside the database, and the
KEK's id is stored beside the wrapped key (``person_register_wrapped_keys``). A copy of the
database alone opens nothing. :meth:`PersonRegister.destroy_key` erases crash-safely and
idempotently, and on SQLite also truncates the write-ahead log (``secure_delete`` zeroes the
deleted row), on PostgreSQL rewrites the key table (``VACUUM FULL``), so the wrapped key is
gone from the live files. :func:`rotate_kek` re-wraps every key under a new KEK in one
transaction; destroying the old KEK then makes every older copy (WAL archives, backups) of an
erased person's wrapped key useless. Stores made before wrapping keep their clear keys in the
legacy table ``person_register_keys`` until :func:`rotate_kek` wraps and removes them.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict, Field

from hgkm_workflow.adapters.keys import (
    KeyEncryptionKey,
    KeyStore,
    RegisterKeyUnavailable,
    key_store_from_settings,
)
from hgkm_workflow.errors import PersonErased, PersonNotFound

metadata = sa.MetaData()

#: Before key wrapping: data keys in clear. Read for old stores, emptied by :func:`rotate_kek`.
legacy_keys = sa.Table(
    "person_register_keys",
    metadata,
    sa.Column("person_id", sa.String(36), primary_key=True),
    sa.Column("key", sa.LargeBinary, nullable=False),
)

wrapped_keys = sa.Table(
    "person_register_wrapped_keys",
    metadata,
    sa.Column("person_id", sa.String(36), primary_key=True),
    sa.Column("kek_id", sa.String(64), nullable=False),
    sa.Column("wrapped", sa.LargeBinary, nullable=False),
)

#: The table holding each live person's (wrapped) key; a destroyed key has no row.
person_keys = wrapped_keys

person_details = sa.Table(
    "person_register_details",
    metadata,
    sa.Column("person_id", sa.String(36), primary_key=True),
    sa.Column("nonce", sa.LargeBinary, nullable=False),
    sa.Column("ciphertext", sa.LargeBinary, nullable=False),
    sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
)


class PersonDetails(BaseModel):
    """Identifying details of a person. Stored only encrypted, only in the register."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    bsn: str | None = Field(default=None, pattern=r"^\d{9}$")
    birth_date: date | None = None
    address: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=40)
    contact_address: str | None = Field(default=None, max_length=300)

    def __repr__(self) -> str:  # never print personal data by accident
        return "PersonDetails(<redacted>)"

    __str__ = __repr__


class ErasedPerson(BaseModel):
    """What a lookup returns for a person whose key was destroyed."""

    model_config = ConfigDict(frozen=True)

    person_id: UUID
    erased: bool = True


#: Whether the current role may VACUUM a table (owner, member of the owner role, superuser).
_OWNS = sa.text("SELECT pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE') "
                "FROM pg_catalog.pg_class c WHERE c.oid = CAST(:t AS regclass)")


@dataclass(frozen=True)
class DestroyOutcome:
    """What :meth:`PersonRegister.destroy_key` did.

    Attributes:
        newly_erased: The key was destroyed now (``False``: it already was — a retry).
        purged: The old pages are gone from the live files too (SQLite: the write-ahead log
            was checkpointed and truncated; PostgreSQL: the key table was rewritten). When
            ``False`` (a long reader blocked it), call :meth:`PersonRegister.purge` again.
    """

    newly_erased: bool
    purged: bool


def _context(person_id: UUID | str) -> bytes:
    return f"hgkm person register key {person_id}".encode()


class PersonRegister:
    """Register, read, update and erase identifying details per pseudonymous person id."""

    def __init__(self, engine: sa.Engine, now: Callable[[], datetime] | None = None,
                 keys: KeyStore | None = None) -> None:
        """Use the register in the store's database.

        Args:
            engine: The store's SQLAlchemy engine.
            now: Source of the registration and erasure instants (the application passes its
                clock); default the system clock.
            keys: Where the key-encryption keys come from; default
                :func:`~hgkm_workflow.adapters.keys.key_store_from_settings` (the
                environment). Without a key the register is locked
                (:class:`~hgkm_workflow.adapters.keys.RegisterKeyUnavailable`).
        """
        self._engine = engine
        self._now = now or (lambda: datetime.now(UTC))
        self._keys: KeyStore = keys if keys is not None else key_store_from_settings()

    def setup(self) -> None:
        """Create the register's tables if they do not exist."""
        metadata.create_all(self._engine, checkfirst=True)

    def register(self, details: PersonDetails, person_id: UUID | None = None) -> UUID:
        """Store ``details`` under a new random id (or ``person_id``) and return the id.

        Raises:
            RegisterKeyUnavailable: If no key-encryption key is configured.
        """
        pid = person_id or uuid4()
        kek = self._keys.current()
        key = AESGCM.generate_key(bit_length=256)
        nonce, ciphertext = self._seal(key, pid, details)
        wrapped = kek.wrap(key, _context(pid))
        with self._engine.begin() as conn:
            conn.execute(wrapped_keys.insert().values(person_id=str(pid), kek_id=kek.kek_id,
                                                      wrapped=wrapped))
            conn.execute(person_details.insert().values(
                person_id=str(pid), nonce=nonce, ciphertext=ciphertext,
                registered_at=self._now(), erased_at=None))
        return pid

    def update(self, person_id: UUID, details: PersonDetails) -> None:
        """Replace a person's details (refused after erasure)."""
        with self._engine.begin() as conn:
            key = self._key(conn, person_id)
            nonce, ciphertext = self._seal(key, person_id, details)
            conn.execute(person_details.update()
                         .where(person_details.c.person_id == str(person_id))
                         .values(nonce=nonce, ciphertext=ciphertext))

    def get(self, person_id: UUID) -> PersonDetails | ErasedPerson:
        """The person's details, or :class:`ErasedPerson` when they were erased.

        Raises:
            PersonNotFound: For an unknown id.
            RegisterKeyUnavailable: If the key-encryption key that wrapped the person's key
                is not configured.
        """
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(person_details.c.nonce, person_details.c.ciphertext,
                                         person_details.c.erased_at)
                               .where(person_details.c.person_id == str(person_id))).first()
            if row is None:
                raise PersonNotFound(f"no person {person_id} in the register")
            if row.erased_at is not None:
                return ErasedPerson(person_id=person_id)
            key = self._find_key(conn, person_id)
        if key is None:
            return ErasedPerson(person_id=person_id)
        plain = AESGCM(key).decrypt(row.nonce, row.ciphertext, str(person_id).encode())
        return PersonDetails.model_validate(json.loads(plain))

    def erase(self, person_id: UUID) -> None:
        """Destroy the person's key: their details can never be read again (idempotent).

        Kept for callers of the first version; :meth:`destroy_key` also says what it did.
        """
        self.destroy_key(person_id)

    def destroy_key(self, person_id: UUID) -> DestroyOutcome:
        """Destroy the person's data key, crash-safely and idempotently, and purge old pages.

        One transaction deletes the wrapped key (and any legacy clear key), blanks the
        ciphertext and records the erasure instant; a crash before the commit leaves the
        person as they were, a retry after it finds nothing to delete and purges again.
        Then the old pages are purged from the live files: SQLite ``secure_delete`` has
        zeroed the deleted rows in the database file, and ``wal_checkpoint(TRUNCATE)``
        empties the write-ahead log; PostgreSQL rewrites the two register tables
        (``VACUUM FULL``), leaving no dead tuple. Copies outside the live files (WAL
        archives, backups) hold the key wrapped: they become useless once the KEK that
        wrapped it is rotated away and destroyed (docs/security.md).

        Raises:
            PersonNotFound: For an unknown id.
        """
        pid = str(person_id)
        with self._engine.begin() as conn:
            erased_at = conn.execute(sa.select(person_details.c.erased_at)
                                     .where(person_details.c.person_id == pid)).first()
            if erased_at is None:
                raise PersonNotFound(f"no person {person_id} in the register")
            gone = conn.execute(wrapped_keys.delete().where(wrapped_keys.c.person_id == pid))
            legacy = conn.execute(legacy_keys.delete().where(legacy_keys.c.person_id == pid))
            newly = bool(gone.rowcount or legacy.rowcount) or erased_at[0] is None
            conn.execute(person_details.update()
                         .where(person_details.c.person_id == pid)
                         .values(nonce=b"", ciphertext=b"",
                                 erased_at=erased_at[0] if erased_at[0] is not None
                                 else self._now()))
        return DestroyOutcome(newly_erased=newly, purged=self.purge())

    def purge(self, attempts: int = 20) -> bool:
        """Remove deleted register rows from the live database files; ``True`` when done.

        SQLite: checkpoint and truncate the write-ahead log (retried while readers hold old
        pages). PostgreSQL: ``VACUUM FULL`` of the register tables; ``False`` when the
        database role does not own them (run :meth:`purge` as the owner then).
        """
        if self._engine.dialect.name == "sqlite":
            for attempt in range(attempts):
                with self._engine.connect() as conn:
                    busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
                    conn.commit()
                if busy is None or not busy[0]:
                    return True
                time.sleep(0.05 * (attempt + 1))
            return False
        if self._engine.dialect.name == "postgresql":
            tables = (wrapped_keys.name, legacy_keys.name, person_details.name)
            with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                owned = all(c.execute(_OWNS, {"t": t}).scalar() for t in tables)
                if not owned:  # VACUUM would only warn and skip: say it did not purge
                    return False
                for table in tables:
                    c.exec_driver_sql(f"VACUUM FULL {table}")
            return True
        return False

    def registered_at(self, person_id: UUID) -> datetime:
        """When the person was registered (aware UTC)."""
        with self._engine.connect() as conn:
            at = conn.execute(sa.select(person_details.c.registered_at)
                              .where(person_details.c.person_id == str(person_id))).scalar()
        if at is None:
            raise PersonNotFound(f"no person {person_id} in the register")
        instant: datetime = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        return instant.astimezone(UTC)

    def erased_among(self, person_ids: Iterable[UUID | str]) -> frozenset[str]:
        """The ids among ``person_ids`` whose details were erased (unknown ids are left out)."""
        wanted = sorted({str(p) for p in person_ids})
        found: set[str] = set()
        with self._engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                found.update(conn.execute(
                    sa.select(person_details.c.person_id)
                    .where(person_details.c.person_id.in_(wanted[i:i + 500]),
                           person_details.c.erased_at.is_not(None))).scalars())
        return frozenset(found)

    def erased_ids(self) -> frozenset[str]:
        """Every erased person's id."""
        with self._engine.connect() as conn:
            return frozenset(conn.execute(sa.select(person_details.c.person_id)
                                          .where(person_details.c.erased_at.is_not(None)))
                             .scalars())

    def is_erased(self, person_id: UUID) -> bool:
        """Whether the person's key has been destroyed."""
        return isinstance(self.get(person_id), ErasedPerson)

    @staticmethod
    def _seal(key: bytes, person_id: UUID, details: PersonDetails) -> tuple[bytes, bytes]:
        nonce = os.urandom(12)
        plain = details.model_dump_json(exclude_none=True).encode()
        return nonce, AESGCM(key).encrypt(nonce, plain, str(person_id).encode())

    def _find_key(self, conn: sa.Connection, person_id: UUID) -> bytes | None:
        """The person's data key, unwrapped; ``None`` when it was destroyed."""
        row = conn.execute(sa.select(wrapped_keys.c.kek_id, wrapped_keys.c.wrapped)
                           .where(wrapped_keys.c.person_id == str(person_id))).first()
        if row is not None:
            kek = self._keys.find(row.kek_id)
            if kek is None:
                self._keys.current()  # no key at all: say so
                raise RegisterKeyUnavailable(
                    f"the key-encryption key {row.kek_id} that wrapped this entry is not "
                    "configured")
            return kek.unwrap(bytes(row.wrapped), _context(person_id))
        legacy = conn.execute(sa.select(legacy_keys.c.key)
                              .where(legacy_keys.c.person_id == str(person_id))).first()
        return bytes(legacy.key) if legacy is not None else None

    def _key(self, conn: sa.Connection, person_id: UUID) -> bytes:
        key = self._find_key(conn, person_id)
        if key is None:
            exists = conn.execute(sa.select(person_details.c.person_id)
                                  .where(person_details.c.person_id == str(person_id))).first()
            if exists is None:
                raise PersonNotFound(f"no person {person_id} in the register")
            raise PersonErased(f"person {person_id} was erased")
        return key


@dataclass(frozen=True)
class KekRotation:
    """What :func:`rotate_kek` did: entries re-wrapped, legacy clear keys wrapped."""

    rewrapped: int
    legacy_wrapped: int
    kek_id: str


def rotate_kek(engine: sa.Engine, old: KeyStore, new: KeyEncryptionKey) -> KekRotation:
    """Re-wrap every person's data key under ``new``, in one transaction.

    Every wrapped key is opened with the key ``old`` holds for its id, and every legacy clear
    key (stores made before wrapping) is wrapped and removed from the legacy table. Nothing
    changes if one entry does not open. Afterwards the old pages are purged (as after an
    erasure); keep the old KEK only as long as backups made before the rotation, then destroy
    it — that is when erasures reach those backups.

    Raises:
        RegisterKeyUnavailable: If an entry's KEK is not in ``old`` (nothing changed).
    """
    metadata.create_all(engine, checkfirst=True)
    rewrapped = legacy_count = 0
    with engine.begin() as conn:
        for pid, kek_id, blob in conn.execute(sa.select(
                wrapped_keys.c.person_id, wrapped_keys.c.kek_id, wrapped_keys.c.wrapped)).all():
            kek = old.find(kek_id)
            if kek is None:
                raise RegisterKeyUnavailable(
                    f"an entry is wrapped by key-encryption key {kek_id}, which the old key "
                    "store does not hold; nothing was changed")
            data_key = kek.unwrap(bytes(blob), _context(pid))
            conn.execute(wrapped_keys.update().where(wrapped_keys.c.person_id == pid)
                         .values(kek_id=new.kek_id, wrapped=new.wrap(data_key, _context(pid))))
            rewrapped += 1
        for pid, key in conn.execute(sa.select(legacy_keys.c.person_id, legacy_keys.c.key)).all():
            conn.execute(wrapped_keys.insert().values(
                person_id=pid, kek_id=new.kek_id, wrapped=new.wrap(bytes(key), _context(pid))))
            conn.execute(legacy_keys.delete().where(legacy_keys.c.person_id == pid))
            legacy_count += 1
    PersonRegister(engine, keys=old).purge()
    return KekRotation(rewrapped=rewrapped, legacy_wrapped=legacy_count, kek_id=new.kek_id)


def rotate_register_kek(store_url: str | None, old_kek: str | None, new_kek: str
                        ) -> KekRotation:
    """:func:`rotate_kek` for the CLI: keys as base64 text (``hgkm rotate-register-key``).

    ``old_kek`` ``None`` is for a store whose keys are still in clear (or wrapped by the
    development key). Run it with the application stopped.
    """
    from hgkm_workflow.adapters.keys import LocalKeyStore, insecure_dev_kek, kek_from_text
    from hgkm_workflow.adapters.store import parse_store_url
    from hgkm_workflow.projections import make_engine

    old = LocalKeyStore(kek_from_text(old_kek, "the old key") if old_kek else None,
                        previous=[insecure_dev_kek()])
    new = kek_from_text(new_kek, "the new key")
    engine = make_engine(parse_store_url(store_url))
    try:
        return rotate_kek(engine, old, new)
    finally:
        engine.dispose()
