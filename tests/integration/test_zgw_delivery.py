"""End to end: a simulated quarter delivered to a local ZGW server exactly once per event.

The server (:mod:`tests.integration.fake_zgw`) validates every request against the specs and
injects 500s and late answers (timeouts after the request took effect); the delivering
process dies once between an answer and its record, and a new one takes over from the store.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
import sqlalchemy as sa

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.integration.outbox import Consumer, Message, Outbox, RetryPolicy, health
from hgkm_workflow.integration.outbox import messages as ob_messages
from hgkm_workflow.integration.zgw.delivery import (
    ApiEndpoint,
    ZgwDelivery,
    ZgwSettings,
    jwt_token,
    zgw_consumer,
)
from hgkm_workflow.simulation import SimulationConfig, run_simulation
from tests.integration.cases import full_case
from tests.integration.fake_zgw import ROOTS, SECRET, FakeZgw
from tests.integration.specs import require_specs
from tests.integration.test_outbox import WallClock


class Crash(Exception):
    """The delivering process dies (not a delivery error: nothing is recorded)."""


def _settings(server: FakeZgw, timeout: float = 0.3) -> ZgwSettings:
    return ZgwSettings(
        zaken=ApiEndpoint(server.base + ROOTS["zaken"], "hgkm-test", SECRET),
        notificaties=ApiEndpoint(server.base + ROOTS["notificaties"], "hgkm-test", SECRET),
        timeout=timeout)


def _dying_after(consumer: Consumer, deliveries: int) -> Consumer:
    """The consumer, dying right after its ``deliveries``-th successful Zaken request."""
    done = Counter[str]()

    def deliver(message: Message) -> None:
        consumer.deliver(message)
        if message.payload["api"] == "zaken":
            done["n"] += 1
            if done["n"] == deliveries:
                raise Crash
    return Consumer(consumer.name, consumer.translate, deliver)


def _drain(app: HgkmApplication, outbox: Outbox, consumer: Consumer, wall: WallClock,
           rounds: int = 400) -> None:
    for _ in range(rounds):
        result = outbox.run_once(app, consumer, limit=500)
        wall.advance(120)
        counts = outbox.counts(consumer.name)
        if result.staged == 0 and counts["pending"] == 0:
            return
    pytest.fail(f"not drained: {outbox.counts(consumer.name)}")


def test_a_simulated_quarter_is_delivered_exactly_once_despite_failures_and_a_restart(
        store_url: str, make_app: Callable[..., HgkmApplication], clock: SettableClock) -> None:
    require_specs()
    config = SimulationConfig(region="rotterdam-rijnmond", start=date(2025, 1, 1),
                              until=date(2025, 4, 1), scale=0.01, seed=5, history=False)
    clock.set(datetime(2025, 1, 1, tzinfo=UTC))
    app = make_app(store_url)
    run_simulation(app, clock, config)
    wall = WallClock()
    policy = RetryPolicy(base=timedelta(seconds=1), max_attempts=40)
    # The client waits 1 s and an injected late answer comes after 1.3 s: a margin so that on a
    # busy machine only injected answers are late (a notification whose answer is lost is sent
    # again and would count twice: the Notificaties API cannot be asked what arrived).
    with FakeZgw(p_error=0.12, p_slow=0.03, slow_seconds=1.3) as server, \
            httpx.Client(timeout=1.0) as first_client, httpx.Client(timeout=1.0) as client:
        first = _dying_after(zgw_consumer(app, _settings(server), client=first_client), 40)
        outbox = Outbox(app.engine, now=wall, policy=policy)
        outbox.setup()
        with pytest.raises(Crash):
            _drain(app, outbox, first, wall)
        app.close()
        # A new process on the same store: it finds its checkpoint and its messages there.
        again = make_app(store_url, clock=clock)
        full_case(again, clock)  # new events after the restart: reopening, verlenging
        consumer = zgw_consumer(again, _settings(server), client=client)
        outbox = Outbox(again.engine, now=wall, policy=policy)
        _drain(again, outbox, consumer, wall)
        assert server.violations == []
        with again.engine.connect() as conn:
            keys = list(conn.execute(sa.select(ob_messages.c.key)).scalars())
        assert len(keys) > 150
        assert server.effects == Counter(dict.fromkeys(keys, 1))  # exactly once per message
        assert server.faults["500"] > 0 and server.faults["slow"] > 0
        state = health(again.engine)
        assert state["pending"] == 0 and state["dead_letters"] == 0
        assert state["consumers"]["zgw"]["last_delivery"] is not None
        assert len(server.zaken) == len({k.split(":")[0] for k in keys})
        assert any("verlenging" in z for z in server.zaken.values())


def _one_case_delivery(app: HgkmApplication, clock: SettableClock, server: FakeZgw,
                       client: httpx.Client) -> tuple[Outbox, Consumer]:
    full_case(app, clock)
    consumer = zgw_consumer(app, _settings(server), client=client)
    outbox = Outbox(app.engine, now=WallClock(), policy=RetryPolicy(max_attempts=3))
    outbox.setup()
    return outbox, consumer


def test_a_refused_request_is_dead_lettered_and_holds_back_its_case(
        sqlite_app: HgkmApplication, clock: SettableClock) -> None:
    require_specs()
    with FakeZgw() as server, httpx.Client(timeout=2) as client:
        settings = _settings(server)
        wrong = ZgwSettings(zaken=ApiEndpoint(settings.zaken.base_url, "hgkm-test",
                                         "a-wrong-secret-that-is-long-enough-32"),
                            notificaties=settings.notificaties)
        outbox, consumer = _one_case_delivery(sqlite_app, clock, server, client)
        bad = Consumer("zgw", consumer.translate,
                       ZgwDelivery(sqlite_app.engine, wrong, client=client))
        outbox.run_once(sqlite_app, bad)
        (dead,) = outbox.dead_letters("zgw")
        assert dead["version"] == 1 and dead["last_error"].startswith("zaken:http-403")
        assert outbox.counts("zgw")["pending"] > 0 and server.zaken == {}
        outbox.requeue(dead["key"])
        for _ in range(40):
            outbox.run_once(sqlite_app, consumer)
        assert outbox.counts("zgw")["pending"] == 0 and len(server.zaken) == 1


def test_an_unreachable_api_is_retried_not_lost(sqlite_app: HgkmApplication,
                                               clock: SettableClock) -> None:
    with httpx.Client(timeout=0.2) as client:
        dead_end = ApiEndpoint("http://127.0.0.1:9/api/v1", "hgkm-test", SECRET)
        consumer = zgw_consumer(sqlite_app, ZgwSettings(zaken=dead_end, notificaties=dead_end),
                                client=client)
        full_case(sqlite_app, clock)
        outbox = Outbox(sqlite_app.engine, now=WallClock())
        outbox.setup()
        result = outbox.run_once(sqlite_app, consumer)
        assert result.errors == ["zaken:connection"] and outbox.dead_letters("zgw") == []


def test_the_jwt_carries_the_zgw_claims_and_no_person() -> None:
    secret = "a-secret-value-that-is-long-enough-32"
    endpoint = ApiEndpoint("http://127.0.0.1/api/v1", "hgkm-vt-rr", secret)
    token = jwt_token(endpoint, ZgwSettings(zaken=endpoint, notificaties=endpoint), 1_700_000_000)
    claims: dict[str, Any] = jwt.decode(token, secret, algorithms=["HS256"])
    assert claims == {"iss": "hgkm-vt-rr", "iat": 1_700_000_000, "client_id": "hgkm-vt-rr",
                      "user_id": "hgkm-outbox", "user_representation": "hgkm_workflow outbox"}


def test_a_zaak_or_status_whose_answer_was_lost_is_found_not_made_twice(
        sqlite_app: HgkmApplication, clock: SettableClock) -> None:
    require_specs()
    with FakeZgw() as server, httpx.Client(timeout=2) as client:
        outbox, consumer = _one_case_delivery(sqlite_app, clock, server, client)
        outbox.run_once(sqlite_app, consumer, limit=1000)
        assert outbox.counts("zgw")["pending"] == 0
        statuses = len(server.statussen)
        with sqlite_app.engine.connect() as conn:
            rows = conn.execute(sa.select(ob_messages).where(ob_messages.c.seq == 0)
                                .order_by(ob_messages.c.position).limit(2)).all()
        with sqlite_app.engine.begin() as conn:  # forget the zaak URL: as if the answer was lost
            conn.execute(sa.text("DELETE FROM ob_zgw_zaken"))
        delivery = ZgwDelivery(sqlite_app.engine, _settings(server), client=client)
        for row in rows:  # POST /zaken, then the first POST /statussen, each sent again
            delivery(Message(row.key, row.consumer, row.case_id, row.version, row.seq,
                             json.loads(row.payload), attempts=1))
        assert [json.loads(r.payload)["path"] for r in rows] == ["/zaken", "/statussen"]
        assert len(server.zaken) == 1 and len(server.statussen) == statuses
        assert set(server.effects.values()) == {1}
        assert delivery.zaak_url(rows[0].case_id) == next(iter(server.zaken.values()))["url"]
