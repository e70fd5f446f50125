"""The pseudonymous person register: identifying data kept apart, erasable per person.

Events and read models know persons only by a random id (never derived from a BSN). The
identifying details live here, each person's encrypted with a key of their own (AES-GCM).
Erasing a person deletes that key: the ciphertext becomes unreadable everywhere it may have
been copied (backups included), the case history still replays, and the details read as
erased. This is crypto-shredding (domain brief section 6).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict, Field

from hgkm_workflow.errors import PersonErased, PersonNotFound

metadata = sa.MetaData()

person_keys = sa.Table(
    "person_register_keys",
    metadata,
    sa.Column("person_id", sa.String(36), primary_key=True),
    sa.Column("key", sa.LargeBinary, nullable=False),
)

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


class PersonRegister:
    """Register, read, update and erase identifying details per pseudonymous person id."""

    def __init__(self, engine: sa.Engine, now: Callable[[], datetime] | None = None) -> None:
        """Use the register in the store's database.

        Args:
            engine: The store's SQLAlchemy engine.
            now: Source of the registration and erasure instants (the application passes its
                clock); default the system clock.
        """
        self._engine = engine
        self._now = now or (lambda: datetime.now(UTC))

    def setup(self) -> None:
        """Create the register's tables if they do not exist."""
        metadata.create_all(self._engine, checkfirst=True)

    def register(self, details: PersonDetails, person_id: UUID | None = None) -> UUID:
        """Store ``details`` under a new random id (or ``person_id``) and return the id."""
        pid = person_id or uuid4()
        key = AESGCM.generate_key(bit_length=256)
        nonce, ciphertext = self._seal(key, pid, details)
        with self._engine.begin() as conn:
            conn.execute(person_keys.insert().values(person_id=str(pid), key=key))
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
        """The person's details, or :class:`ErasedPerson` when they were erased."""
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(person_details.c.nonce, person_details.c.ciphertext,
                                         person_details.c.erased_at)
                               .where(person_details.c.person_id == str(person_id))).first()
            if row is None:
                raise PersonNotFound(f"no person {person_id} in the register")
            key_row = conn.execute(sa.select(person_keys.c.key)
                                   .where(person_keys.c.person_id == str(person_id))).first()
        if key_row is None:
            return ErasedPerson(person_id=person_id)
        plain = AESGCM(key_row.key).decrypt(row.nonce, row.ciphertext, str(person_id).encode())
        return PersonDetails.model_validate(json.loads(plain))

    def erase(self, person_id: UUID) -> None:
        """Destroy the person's key: their details can never be read again."""
        with self._engine.begin() as conn:
            exists = conn.execute(sa.select(person_details.c.person_id)
                                  .where(person_details.c.person_id == str(person_id))).first()
            if exists is None:
                raise PersonNotFound(f"no person {person_id} in the register")
            conn.execute(person_keys.delete().where(person_keys.c.person_id == str(person_id)))
            conn.execute(person_details.update()
                         .where(person_details.c.person_id == str(person_id))
                         .values(erased_at=self._now()))

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

    @staticmethod
    def _key(conn: sa.Connection, person_id: UUID) -> bytes:
        row = conn.execute(sa.select(person_keys.c.key)
                           .where(person_keys.c.person_id == str(person_id))).first()
        if row is None:
            exists = conn.execute(sa.select(person_details.c.person_id)
                                  .where(person_details.c.person_id == str(person_id))).first()
            if exists is None:
                raise PersonNotFound(f"no person {person_id} in the register")
            raise PersonErased(f"person {person_id} was erased")
        key: bytes = row.key
        return key
