"""The access log: every read and every refusal, append-only and tamper-evident.

Each entry holds who (pseudonymous actor, organisation, role), when, which case, which
resource, for which purpose, and the verdict with the policy rule — never personal data, and
no free text: for an emergency access it refers to the case event that holds the safety reason. Each
entry's hash covers its fields and the previous entry's hash, so changing or removing an entry
breaks the chain; a head row (count and last hash, written in the same transaction) also
reveals a removed last entry. :meth:`AccessLog.verify` walks the chain.

Appends are serialised (``BEGIN IMMEDIATE`` on SQLite, an advisory transaction lock on
PostgreSQL) so two processes never fork the chain.

Against someone who can write the database (a DBA, a stolen backup restored and edited), two
things outside it close the gap (docs/security.md, *The access log*):

* a **chain key** (``HGKM_ACCESS_LOG_KEY`` / ``_FILE``, or ``chain_key=``): every entry's hash
  is an HMAC-SHA256 under it, so the chain cannot be recomputed without the key;
* an **anchor** (``HGKM_ACCESS_LOG_ANCHOR``, a file, or a host's :class:`AnchorSink`): the head
  (entry count and last hash) is witnessed outside the database every ``anchor_every``
  appends and on :meth:`AccessLog.close`; :meth:`AccessLog.verify` compares the log with it,
  so deleting the last entries, truncating or wiping the log is found.

Values that do not fit their column (an id longer than 64 characters, a NUL character) are
replaced by a digest (``#`` and hex) before the insert, so a read is never left unlogged
because its id was odd.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from hgkm_workflow.access.anchor import (
    AccessLogConfigurationError,
    Anchor,
    AnchorSink,
    FileAnchor,
    anchor_from_settings,
    chain_key_from_settings,
)
from hgkm_workflow.access.models import Access, AccessDecision, Resource
from hgkm_workflow.projections._util import aware_utc, naive_utc
from hgkm_workflow.projections.engine import write_connection
from hgkm_workflow.settings import SecuritySettings

__all__ = ["GENESIS", "AccessLog", "AccessLogConfigurationError", "AccessLogEntry", "Anchor",
           "AnchorSink", "FileAnchor", "VerifyResult", "access_log", "access_log_head",
           "anchor_from_settings", "chain_key_from_settings", "entry_hash", "fit"]

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


#: Column widths of the text fields; a longer value is stored as its digest.
_WIDTHS = {"actor_id": 64, "organisation": 64, "role": 32, "case_id": 36, "resource": 32,
           "purpose": 32, "verdict": 16, "rule": 200, "safety_reason": 500}


def entry_hash(values: dict[str, Any], key: bytes | None = None) -> str:
    """The hash of an entry's fields (including the previous hash), canonically encoded.

    SHA-256 without a chain key; HMAC-SHA256 under ``key`` with one.
    """
    canonical = {f: values[f] for f in _FIELDS}
    at = canonical["at"]
    canonical["at"] = naive_utc(at).isoformat() if isinstance(at, datetime) else at
    blob = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if key is not None:
        return hmac.new(key, blob.encode(), hashlib.sha256).hexdigest()
    return hashlib.sha256(blob.encode()).hexdigest()


def fit(value: str | None, width: int) -> str | None:
    """``value`` if it fits a column of ``width`` characters, else ``#`` and its digest.

    Also for values with control characters (PostgreSQL refuses NUL in text).
    """
    if value is None:
        return None
    if len(value) <= width and value.isprintable():
        return value
    return "#" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:width - 1]


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of walking the chain."""

    ok: bool
    entries: int
    problems: tuple[str, ...]
    last_hash: str = GENESIS
    """The hash of the last entry: copy it outside the database to anchor the chain."""
    keyed: bool = False
    """Whether the chain was checked under a chain key (HMAC), not plain SHA-256."""
    anchored_entries: int | None = None
    """The entry count the anchor witnessed (``None``: no anchor configured or written)."""


class AccessLog:
    """Append, query and verify the access log in the store's database."""

    def __init__(self, engine: sa.Engine, *, chain_key: bytes | None = None,
                 anchor: AnchorSink | None = None, anchor_every: int = 1,
                 settings: SecuritySettings | None = None) -> None:
        """Use the log in the store's database.

        Args:
            engine: The store's SQLAlchemy engine.
            chain_key: Key of the HMAC chain; default from the settings
                (``HGKM_ACCESS_LOG_KEY``/``_FILE``), else unkeyed SHA-256.
            anchor: Where the head is witnessed; default the file named by
                ``HGKM_ACCESS_LOG_ANCHOR``, else none.
            anchor_every: Witness the head after every this many appends (and on
                :meth:`close`); entries appended since the last anchor can be removed
                unnoticed, so keep it small.
            settings: Settings to read instead of the environment.
        """
        self._engine = engine
        if chain_key is None or anchor is None:
            s = settings if settings is not None else SecuritySettings.from_env()
            chain_key = chain_key if chain_key is not None else chain_key_from_settings(s)
            anchor = anchor if anchor is not None else anchor_from_settings(s)
        self._key = chain_key
        self._anchor = anchor
        self._anchor_every = max(1, anchor_every)
        self._since_anchor = 0

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
            for name, width in _WIDTHS.items():
                values[name] = fit(values[name], width)
            values["entry_hash"] = entry_hash(values, self._key)
            conn.execute(_INSERT_ENTRY, values)
            if head is None:
                conn.execute(_INSERT_HEAD, {"id": 1, "entry_count": 1,
                                            "last_hash": values["entry_hash"]})
            else:
                conn.execute(_UPDATE_HEAD, {"n": count + 1, "h": values["entry_hash"]})
        self._since_anchor += 1
        if self._anchor is not None and self._since_anchor >= self._anchor_every:
            self._witness(count + 1, values["entry_hash"])
        return _entry(values)

    def anchor_now(self) -> Anchor | None:
        """Witness the current head in the anchor now (``None`` without an anchor)."""
        if self._anchor is None:
            return None
        with self._engine.connect() as conn:
            head = conn.execute(_SELECT_HEAD).first()
        count, last = (head.entry_count, head.last_hash) if head is not None else (0, GENESIS)
        return self._witness(int(count), str(last))

    def rekey(self, old_key: bytes | None) -> VerifyResult:
        """Recompute the chain under this log's chain key, in one transaction, then anchor.

        For a log started without a chain key (``old_key`` ``None``) or with another one.
        Every entry must verify under ``old_key`` first; otherwise nothing changes. Run it
        with the application stopped.

        Raises:
            AccessLogConfigurationError: If the log does not verify under ``old_key``.
        """
        with write_connection(self._engine) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
            rows = [dict(r._mapping) for r in
                    conn.execute(sa.select(access_log).order_by(access_log.c.seq))]
            prev = GENESIS
            for values in rows:
                if (values["prev_hash"] != prev
                        or entry_hash(values, old_key) != values["entry_hash"]):
                    raise AccessLogConfigurationError(
                        f"entry {values['seq']} does not verify under the old key; "
                        "nothing was changed")
                prev = values["entry_hash"]
            prev = GENESIS
            for values in rows:
                values["prev_hash"] = prev
                prev = entry_hash(values, self._key)
                conn.execute(access_log.update().where(access_log.c.seq == values["seq"])
                             .values(prev_hash=values["prev_hash"], entry_hash=prev))
            if rows:
                conn.execute(_UPDATE_HEAD, {"n": len(rows), "h": prev})
        self.anchor_now()
        return self.verify()

    def close(self) -> None:
        """Witness the head one last time (call when the application stops)."""
        if self._anchor is not None and self._since_anchor:
            self.anchor_now()

    def _witness(self, count: int, last_hash: str) -> Anchor:
        if self._anchor is None:  # an invariant, kept under python -O
            raise RuntimeError("internal invariant broken: self._anchor is missing")
        at = datetime.now(UTC).isoformat()
        anchor = Anchor(entries=count, last_hash=last_hash, at=at)
        if self._key is not None:
            anchor = Anchor(entries=count, last_hash=last_hash, at=at, mac=hmac.new(
                self._key, anchor.body(), hashlib.sha256).hexdigest())
        self._anchor.write(anchor)
        self._since_anchor = 0
        return anchor

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
        hashes: dict[int, str] = {}
        for values in self._walk():
            count += 1
            if values["seq"] != expected_seq:
                problems.append(f"entry {expected_seq} is missing (next is {values['seq']})")
            if values["prev_hash"] != prev:
                problems.append(f"entry {values['seq']} does not follow its predecessor")
            if entry_hash(values, self._key) != values["entry_hash"]:
                problems.append(f"entry {values['seq']} was changed")
            prev = values["entry_hash"]
            hashes[count] = prev
            expected_seq = values["seq"] + 1
        with self._engine.connect() as conn:
            head = conn.execute(sa.select(access_log_head)
                                .where(access_log_head.c.id == 1)).first()
        if head is not None and (head.entry_count != count or head.last_hash != prev):
            problems.append(f"the log head records {head.entry_count} entries; found {count} "
                            "(entries at the end were removed or added outside the log)")
        if head is None and count:
            problems.append("the log head is missing")
        anchored = self._check_anchor(count, hashes, problems)
        return VerifyResult(ok=not problems, entries=count, problems=tuple(problems),
                            last_hash=prev, keyed=self._key is not None,
                            anchored_entries=anchored)

    def _check_anchor(self, count: int, hashes: dict[int, str], problems: list[str]
                      ) -> int | None:
        if self._anchor is None:
            return None
        anchor = self._anchor.read()
        if anchor is None:
            if count:
                problems.append("no anchor witnessed this log (the anchor is missing)")
            return None
        if self._key is not None and not hmac.compare_digest(
                anchor.mac, hmac.new(self._key, anchor.body(), hashlib.sha256).hexdigest()):
            problems.append("the anchor is not signed with the chain key (forged or foreign)")
        if anchor.entries > count:
            problems.append(f"the anchor witnessed {anchor.entries} entries; the log holds "
                            f"{count} (entries were removed, or the log truncated or wiped)")
        elif anchor.entries and hashes.get(anchor.entries) != anchor.last_hash:
            problems.append(f"entry {anchor.entries} differs from the anchored head "
                            "(the chain was rewritten)")
        return anchor.entries


def _entry(values: dict[str, Any]) -> AccessLogEntry:
    return AccessLogEntry(**{**{f: values[f] for f in _FIELDS}, "at": aware_utc(values["at"]),
                             "entry_hash": values["entry_hash"]})
