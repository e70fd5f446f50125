"""A durable outbox: case events handed over to integrations, at least once, in case order.

A :class:`Consumer` turns a decoded domain event into zero or more :class:`Outgoing`
messages and delivers one message at a time. The outbox keeps, in the store's own database
(tables ``ob_*``; the projection runner owns ``rm_*``):

* ``ob_checkpoints`` — per consumer the last notification position handed over. Staging a
  batch writes its messages and moves the checkpoint in one transaction, so each event is
  handed over exactly once, also after a crash.
* ``ob_messages`` — every message with its idempotency key
  (``"{case_id}:{version}:{consumer}#{seq}"``), status (``pending``, ``delivered``,
  ``dead``), attempts and the instant of its next attempt.
* ``ob_attempts`` — one row per delivery attempt (outcome and a short error code).

Delivery is at least once: a message is marked delivered only after its consumer returned;
each attempt is counted before it starts, so after a crash the consumer is told (``attempts``)
that an earlier attempt may have reached the receiver. A failed attempt is retried with
exponential back-off (:class:`RetryPolicy`); a permanent failure, or too many attempts, puts
the message in the consumer's dead letter. Order holds per case: only the oldest undelivered
message of a case is tried, so a dead-lettered message holds back that case's later messages
while other cases go on; :meth:`Outbox.requeue` puts it back.
Time comes from an injected ``now`` and waiting from an injected ``wait``: tests never sleep.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from hgkm_workflow.adapters.schema_lock import schema_lock
from hgkm_workflow.integration.messages import (
    Consumer,
    DeliveryError,
    Message,
    Outgoing,
    PermanentDeliveryError,
    RetryableDeliveryError,
    RetryPolicy,
    RunResult,
    message_key,
)
from hgkm_workflow.integration.tables import attempts, checkpoints, messages, metadata

__all__ = [
    "Consumer",
    "DeliveryError",
    "Message",
    "Outbox",
    "Outgoing",
    "PermanentDeliveryError",
    "RetryPolicy",
    "RetryableDeliveryError",
    "RunResult",
    "attempts",
    "checkpoints",
    "health",
    "message_key",
    "messages",
    "metadata",
    "run_loop",
    "run_once",
]

_log = logging.getLogger(__name__)

def _utcnow() -> datetime:
    return datetime.now(UTC)


def _naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


class Outbox:
    """The outbox tables on one engine, with an injected clock."""

    def __init__(self, engine: sa.Engine, *, now: Callable[[], datetime] = _utcnow,
                 policy: RetryPolicy | None = None) -> None:
        """Bind to ``engine`` (the store's database); call :meth:`setup` once."""
        self.engine = engine
        self.now = now
        self.policy = policy or RetryPolicy()

    def setup(self) -> None:
        """Create the ``ob_*`` tables if missing (under the store's schema lock)."""
        with schema_lock(self.engine):
            metadata.create_all(self.engine)

    # ------------------------------------------------------------------ staging

    def checkpoint(self, consumer: str) -> int:
        """The last notification position handed over to ``consumer`` (0: none)."""
        with self.engine.connect() as conn:
            pos = conn.execute(sa.select(checkpoints.c.position).where(
                checkpoints.c.consumer == consumer)).scalar()
        return int(pos or 0)

    def stage(self, app: Any, consumer: Consumer, limit: int = 100) -> int:
        """Hand the next ``limit`` notifications over to ``consumer``; return messages staged.

        Events are read and translated first; the messages and the moved checkpoint are then
        written in one short transaction, which stages nothing if another runner moved the
        checkpoint meanwhile.
        """
        start = self.checkpoint(consumer.name)
        notes = app.recorder.select_notifications(start + 1, limit)
        if not notes:
            return 0
        now = _naive(self.now())
        rows = []
        for note in notes:
            case_id = str(note.originator_id)
            for seq, out in enumerate(consumer.translate(app.mapper.to_domain_event(note))):
                rows.append({
                    "key": message_key(case_id, note.originator_version, consumer.name, seq),
                    "consumer": consumer.name, "case_id": case_id,
                    "version": note.originator_version, "position": note.id, "seq": seq,
                    "payload": json.dumps(out.payload, sort_keys=True), "status": "pending",
                    "attempts": 0, "next_attempt_at": now, "created_at": now})
        values = {"position": int(notes[-1].id), "updated_at": now}
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(checkpoints.c.position).where(
                checkpoints.c.consumer == consumer.name).with_for_update()).scalar()
            if int(row or 0) != start:
                return 0  # another runner staged these events
            if rows:
                conn.execute(messages.insert(), rows)
            if row is None:
                conn.execute(checkpoints.insert().values(consumer=consumer.name, **values))
            else:
                conn.execute(checkpoints.update().where(
                    checkpoints.c.consumer == consumer.name).values(**values))
        return len(rows)

    # ------------------------------------------------------------------ delivery

    def _heads(self, consumer: str, limit: int) -> list[sa.Row[Any]]:
        # The oldest undelivered message of every case whose head is pending and due.
        m = messages
        older = m.alias("older")
        blocked = sa.exists().where(
            older.c.consumer == m.c.consumer, older.c.case_id == m.c.case_id,
            older.c.status != "delivered",
            sa.or_(older.c.position < m.c.position,
                   sa.and_(older.c.position == m.c.position, older.c.seq < m.c.seq)))
        query = (sa.select(m).where(m.c.consumer == consumer, m.c.status == "pending",
                                    m.c.next_attempt_at <= _naive(self.now()), ~blocked)
                 .order_by(m.c.position, m.c.seq).limit(limit))
        with self.engine.connect() as conn:
            return list(conn.execute(query).all())

    def deliver_due(self, consumer: Consumer, limit: int = 100) -> RunResult:
        """Try due head-of-case messages, at most ``limit`` attempts.

        A delivered message makes the next one of its case the head: the round goes on
        until nothing due is left or the limit is reached. A failed message waits for its
        back-off, so it is tried once per round.
        """
        result = RunResult()
        tried = 0
        while tried < limit:
            heads = self._heads(consumer.name, limit - tried)
            if not heads:
                break
            for row in heads:
                message = Message(key=row.key, consumer=row.consumer, case_id=row.case_id,
                                  version=row.version, seq=row.seq,
                                  payload=json.loads(row.payload), attempts=row.attempts)
                self._attempt(consumer, message, result)
            tried += len(heads)
        return result

    def _attempt(self, consumer: Consumer, message: Message, result: RunResult) -> None:
        tries = message.attempts + 1
        # Written ahead: a crash during delivery leaves the attempt counted (the consumer
        # then knows a request may have reached the receiver) and the message leased.
        with self.engine.begin() as conn:
            conn.execute(messages.update().where(messages.c.key == message.key).values(
                attempts=tries,
                next_attempt_at=_naive(self.now() + self.policy.delay(tries))))
        try:
            consumer.deliver(message)
        except DeliveryError as error:
            dead = (isinstance(error, PermanentDeliveryError)
                    or tries >= self.policy.max_attempts)
            self._record(message.key, "dead" if dead else "failed", error.code, {
                "status": "dead" if dead else "pending", "last_error": error.code})
            result.failed += 1
            result.dead += int(dead)
            result.errors.append(error.code)
            _log.warning("outbox %s: %s attempt %d failed: %s%s", consumer.name, message.key,
                         tries, error.code, " (dead letter)" if dead else "")
            return
        self._record(message.key, "delivered", None, {
            "status": "delivered", "last_error": None, "delivered_at": _naive(self.now())})
        result.delivered += 1

    def _record(self, key: str, outcome: str, error: str | None,
                values: Mapping[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(messages.update().where(messages.c.key == key).values(**values))
            conn.execute(attempts.insert().values(key=key, at=_naive(self.now()),
                                                  outcome=outcome, error=error))

    def run_once(self, app: Any, consumer: Consumer, limit: int = 100) -> RunResult:
        """Stage up to ``limit`` new events, then try the due messages once."""
        staged = self.stage(app, consumer, limit)
        result = self.deliver_due(consumer, limit)
        result.staged = staged
        return result

    # ------------------------------------------------------------------ dead letter

    def dead_letters(self, consumer: str) -> list[dict[str, Any]]:
        """The consumer's dead letter in case order: key, case, version, attempts, error."""
        m = messages
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(m.c.key, m.c.case_id, m.c.version, m.c.attempts,
                                          m.c.last_error)
                                .where(m.c.consumer == consumer, m.c.status == "dead")
                                .order_by(m.c.case_id, m.c.position, m.c.seq)).all()
        return [dict(r._mapping) for r in rows]

    def requeue(self, key: str) -> bool:
        """Put a dead-lettered message back in the queue (attempts reset); True if it was dead."""
        with self.engine.begin() as conn:
            done = conn.execute(messages.update().where(
                messages.c.key == key, messages.c.status == "dead").values(
                status="pending", attempts=0, next_attempt_at=_naive(self.now())))
        return bool(done.rowcount)

    def counts(self, consumer: str) -> dict[str, Any]:
        """Pending, delivered and dead messages and the last delivery instant of a consumer."""
        m = messages
        with self.engine.connect() as conn:
            by_status = dict(conn.execute(sa.select(m.c.status, sa.func.count()).where(
                m.c.consumer == consumer).group_by(m.c.status)).tuples().all())
            last = conn.execute(sa.select(sa.func.max(m.c.delivered_at)).where(
                m.c.consumer == consumer)).scalar()
        return {"pending": int(by_status.get("pending", 0)),
                "delivered": int(by_status.get("delivered", 0)),
                "dead_letters": int(by_status.get("dead", 0)),
                "checkpoint": self.checkpoint(consumer),
                "last_delivery": last.replace(tzinfo=UTC).isoformat() if last else None}


def health(engine: sa.Engine) -> dict[str, Any]:
    """Per consumer: pending, delivered and dead-lettered messages, checkpoint, last delivery.

    For ``app.health()``: ``{"consumers": {name: {...}}, "pending": n, "dead_letters": n}``.
    """
    box = Outbox(engine)
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(checkpoints.name):
            return {"consumers": {}, "pending": 0, "dead_letters": 0}
        names = set(conn.execute(sa.select(checkpoints.c.consumer)).scalars())
        names |= set(conn.execute(sa.select(messages.c.consumer).distinct()).scalars())
    per = {name: box.counts(name) for name in sorted(names)}
    return {"consumers": per, "pending": sum(c["pending"] for c in per.values()),
            "dead_letters": sum(c["dead_letters"] for c in per.values())}


def run_loop(app: Any, outbox: Outbox, consumers: Iterable[Consumer], stop: threading.Event,
             *, interval: float = 5.0, limit: int = 100,
             wait: Callable[[float], object] | None = None) -> int:
    """Run every consumer until ``stop`` is set; return the number of rounds.

    A round stages and delivers for each consumer; an idle round waits ``interval`` seconds
    on ``stop`` (interruptible: setting ``stop`` ends the wait at once). An unexpected error
    in one round is logged and the loop goes on.
    """
    pause = wait or stop.wait
    chosen = list(consumers)
    rounds = 0
    while not stop.is_set():
        rounds += 1
        busy = False
        for consumer in chosen:
            try:
                result = outbox.run_once(app, consumer, limit)
            except Exception:
                _log.exception("outbox %s: round failed", consumer.name)
                continue
            busy = busy or result.staged > 0 or result.delivered > 0
        if not busy:
            pause(interval)
    return rounds


def run_once(app: Any, consumer: Consumer, limit: int = 100, *,
             outbox: Outbox | None = None) -> RunResult:
    """Stage and deliver once for ``consumer`` on ``app.engine`` (tables created if needed)."""
    box = outbox or Outbox(app.engine)
    if outbox is None:
        box.setup()
    return box.run_once(app, consumer, limit)
