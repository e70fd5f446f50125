"""The access log: every read and every refusal, append-only and tamper-evident.

Each entry holds who (pseudonymous actor, organisation, role), when, which case, which
resource, for which purpose, and the verdict with the policy rule — never personal data, and
no free text: for an emergency access it refers to the case event that holds the safety reason. Each
entry's hash covers its fields and the previous entry's hash, so changing or removing an entry
breaks the chain; a head row (count and last hash, written in the same transaction) also
reveals a removed last entry. :meth:`AccessLog.verify` walks the chain.

Appends are serialised (``BEGIN IMMEDIATE`` on SQLite, an advisory transaction lock on
PostgreSQL) so two processes never fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hgkm_workflow.access.models import Access, AccessDecision, Resource
from hgkm_workflow.projections._util import aware_utc, naive_utc
from hgkm_workflow.projections.engine import write_connection

metadata = sa.MetaData()

GENESIS = "0" * 64
_LOCK_KEY = 0x48474B4D  # "HGKM"

access_log = sa.Table(
    "hgkm_access_log",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor_id", sa.String(64), nullable=False),
    sa.Column("organisation", sa.String(64), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("case_id", sa.String(36), nullable=True),
    sa.Column("resource", sa.String(32), nullable=False),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("verdict", sa.String(16), nullable=False),
    sa.Column("rule", sa.String(200), nullable=False),
    sa.Column("safety_reason", sa.String(500), nullable=True),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
    sa.Index("ix_hgkm_access_log_case", "case_id"),
    sa.Index("ix_hgkm_access_log_actor", "actor_id"),
)

access_log_head = sa.Table(
    "hgkm_access_log_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("entry_count", sa.BigInteger, nullable=False),
    sa.Column("last_hash", sa.String(64), nullable=False),
)

# Prebuilt statements: SQLAlchemy caches their compiled form (every read appends one entry).
_SELECT_HEAD = sa.select(access_log_head.c.entry_count, access_log_head.c.last_hash).where(
    access_log_head.c.id == 1)
_MAX_SEQ = sa.select(sa.func.max(access_log.c.seq))
_INSERT_ENTRY = access_log.insert()
_INSERT_HEAD = access_log_head.insert()
_UPDATE_HEAD = access_log_head.update().where(access_log_head.c.id == 1).values(
    entry_count=sa.bindparam("n"), last_hash=sa.bindparam("h"))

_FIELDS = ("seq", "at", "actor_id", "organisation", "role", "case_id", "resource", "purpose",
           "verdict", "rule", "safety_reason", "prev_hash")


@dataclass(frozen=True)
class AccessLogEntry:
    """One logged read or refusal."""

    seq: int
    at: datetime
    actor_id: str
    organisation: str
    role: str
    case_id: str | None
    resource: str
    purpose: str
    verdict: str
    rule: str
    safety_reason: str | None
    prev_hash: str
    entry_hash: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**{f: getattr(self, f) for f in _FIELDS}, "at": self.at.isoformat(),
                "entry_hash": self.entry_hash}


def entry_hash(values: dict[str, Any]) -> str:
    """The SHA-256 of an entry's fields (including the previous hash), canonically encoded."""
    canonical = {f: values[f] for f in _FIELDS}
    at = canonical["at"]
    canonical["at"] = naive_utc(at).isoformat() if isinstance(at, datetime) else at
    blob = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of walking the chain."""

    ok: bool
    entries: int
    problems: tuple[str, ...]
    last_hash: str = GENESIS
    """The hash of the last entry: copy it outside the database to anchor the chain."""


class AccessLog:
    """Append, query and verify the access log in the store's database."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def setup(self) -> None:
        """Create the log tables if missing."""
        metadata.create_all(self._engine, checkfirst=True)

    def append(self, *, at: datetime, access: Access, resource: Resource, case_id: str | None,
               decision: AccessDecision, note: str | None = None) -> AccessLogEntry:
        """Append one entry, chained to the previous one.

        The safety reason of an emergency access is free text: it is recorded (encrypted at
        rest with the events) on the case as ``EmergencyAccessRecorded``, and the log keeps only
        ``note``, a reference to that event, in its ``safety_reason`` column.
        """
        with write_connection(self._engine) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
            head = conn.execute(_SELECT_HEAD).first()
            prev = head.last_hash if head is not None else GENESIS
            count = head.entry_count if head is not None else 0
            last_seq = conn.execute(_MAX_SEQ).scalar()
            values: dict[str, Any] = {
                "seq": int(last_seq or 0) + 1,
                "at": naive_utc(at),
                "actor_id": access.actor.actor_id,
                "organisation": access.actor.organisation,
                "role": access.actor.role.value,
                "case_id": case_id,
                "resource": resource.value,
                "purpose": access.purpose.value,
                "verdict": decision.verdict.value,
                "rule": decision.rule,
                "safety_reason": note,
                "prev_hash": prev,
            }
            values["entry_hash"] = entry_hash(values)
            conn.execute(_INSERT_ENTRY, values)
            if head is None:
                conn.execute(_INSERT_HEAD, {"id": 1, "entry_count": 1,
                                            "last_hash": values["entry_hash"]})
            else:
                conn.execute(_UPDATE_HEAD, {"n": count + 1, "h": values["entry_hash"]})
        return _entry(values)

    def entries(self, *, case_id: str | None = None, actor_id: str | None = None,
                limit: int | None = None) -> list[AccessLogEntry]:
        """Entries in order, optionally for one case or one actor."""
        query = sa.select(access_log).order_by(access_log.c.seq)
        if case_id is not None:
            query = query.where(access_log.c.case_id == case_id)
        if actor_id is not None:
            query = query.where(access_log.c.actor_id == actor_id)
        if limit is not None:
            query = query.limit(limit)
        with self._engine.connect() as conn:
            return [_entry(dict(r._mapping)) for r in conn.execute(query)]

    def _walk(self) -> Iterator[dict[str, Any]]:
        with self._engine.connect() as conn:
            for row in conn.execute(sa.select(access_log).order_by(access_log.c.seq)):
                yield dict(row._mapping)

    def verify(self) -> VerifyResult:
        """Walk the chain; report changed, removed or reordered entries."""
        problems: list[str] = []
        prev = GENESIS
        expected_seq = 1
        count = 0
        for values in self._walk():
            count += 1
            if values["seq"] != expected_seq:
                problems.append(f"entry {expected_seq} is missing (next is {values['seq']})")
            if values["prev_hash"] != prev:
                problems.append(f"entry {values['seq']} does not follow its predecessor")
            if entry_hash(values) != values["entry_hash"]:
                problems.append(f"entry {values['seq']} was changed")
            prev = values["entry_hash"]
            expected_seq = values["seq"] + 1
        with self._engine.connect() as conn:
            head = conn.execute(sa.select(access_log_head)
                                .where(access_log_head.c.id == 1)).first()
        if head is not None and (head.entry_count != count or head.last_hash != prev):
            problems.append(f"the log head records {head.entry_count} entries; found {count} "
                            "(entries at the end were removed or added outside the log)")
        if head is None and count:
            problems.append("the log head is missing")
        return VerifyResult(ok=not problems, entries=count, problems=tuple(problems),
                            last_hash=prev)


def _entry(values: dict[str, Any]) -> AccessLogEntry:
    return AccessLogEntry(**{**{f: values[f] for f in _FIELDS}, "at": aware_utc(values["at"]),
                             "entry_hash": values["entry_hash"]})
