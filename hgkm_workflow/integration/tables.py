"""The outbox's tables in the store's database (prefix ``ob_``; the read models own ``rm_``).

``ob_checkpoints`` (per consumer the last notification position handed over),
``ob_messages`` (every message with its idempotency key, status, attempts and next attempt)
and ``ob_attempts`` (one row per attempt). Integrations add their own ``ob_<name>_*`` tables
to the same :data:`metadata`.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

checkpoints = sa.Table(
    "ob_checkpoints", metadata,
    sa.Column("consumer", sa.String(100), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

messages = sa.Table(
    "ob_messages", metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("consumer", sa.String(100), nullable=False),
    sa.Column("case_id", sa.String(36), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime, nullable=False),
    sa.Column("last_error", sa.String(200)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("delivered_at", sa.DateTime),
    sa.Index("ob_messages_queue", "consumer", "status", "case_id", "position", "seq"),
)

attempts = sa.Table(
    "ob_attempts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(200), nullable=False, index=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("error", sa.String(200)),
)
