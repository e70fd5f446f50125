"""``hgkm outbox run``: a delivery process that stops cleanly and delivers what was due.

The process runs as a real subprocess against the local ZGW server
(:mod:`tests.integration.fake_zgw`, which validates every request against the specs);
SIGTERM and SIGINT end it with exit 0 after the round in progress, with every attempt
recorded. ``--once`` drains and exits (1 when dead letters remain); a bad configuration is
one line on stderr (exit 2) and never shows a secret.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.integration.outbox import Consumer, Outgoing, health
from hgkm_workflow.integration.outbox import messages as ob_messages
from hgkm_workflow.service.loops import run_outbox
from tests.integration.cases import full_case
from tests.integration.fake_zgw import ROOTS, SECRET, FakeZgw
from tests.integration.specs import require_specs

ROOT = Path(__file__).resolve().parents[2]


def _config(path: Path, server: FakeZgw, secret: str = SECRET) -> Path:
    (path.parent / "zaken.secret").write_text(secret + "\n", encoding="utf-8")
    path.write_text(json.dumps({"consumers": {"zgw": {
        "kind": "zgw", "timeout": 5,
        "zaken": {"base_url": server.base + ROOTS["zaken"], "client_id": "hgkm-test",
                  "secret_file": str(path.parent / "zaken.secret")},
        "notificaties": {"base_url": server.base + ROOTS["notificaties"],
                         "client_id": "hgkm-test", "secret": secret}}}}), encoding="utf-8")
    return path


def _start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "hgkm_workflow.cli", "outbox", "run",
                             *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _counts(engine: sa.Engine) -> Counter[str]:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(ob_messages.name):
            return Counter()
        return Counter(dict(conn.execute(sa.select(ob_messages.c.status, sa.func.count())
                                         .group_by(ob_messages.c.status)).tuples().all()))


def _delivered_keys(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(ob_messages.c.key, ob_messages.c.status,
                                      ob_messages.c.attempts)).all()
    assert all(r.status == "delivered" or r.attempts == 0 for r in rows), \
        "an attempt was started but its outcome not recorded"
    return {r.key: 1 for r in rows if r.status == "delivered"}


@pytest.fixture
def store(sqlite_app: HgkmApplication, clock: SettableClock) -> HgkmApplication:
    require_specs()
    full_case(sqlite_app, clock)
    return sqlite_app


@pytest.mark.parametrize(("when", "sig"), [("drained", signal.SIGTERM),
                                           ("delivering", signal.SIGINT)])
def test_a_signal_ends_the_process_cleanly_after_delivering_what_was_due(
        store: HgkmApplication, tmp_path: Path, when: str, sig: signal.Signals) -> None:
    with FakeZgw() as server:
        config = _config(tmp_path / "outbox.json", server)
        proc = _start(["--config", str(config), "--interval", "3600", "--db",
                       store.config.url], tmp_path)
        assert proc.stdout is not None
        assert "stop with SIGTERM" in proc.stdout.readline()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            counts = _counts(store.engine)
            if when == "delivering" and counts["delivered"] >= 1:
                break
            if when == "drained" and counts["delivered"] and not counts["pending"]:
                break
            time.sleep(0.05)
        else:
            proc.kill()
            pytest.fail(f"nothing delivered: {proc.communicate()[1][-2000:]}")
        signalled = time.monotonic()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert time.monotonic() - signalled < 30  # the idle wait of an hour was interrupted
        assert "outbox stopped" in out and "Traceback" not in err
        assert SECRET not in out + err
        # every message whose attempt started was delivered and recorded, once
        assert server.effects == Counter(_delivered_keys(store.engine))
        assert server.violations == []
        if when == "drained":
            assert _counts(store.engine)["pending"] == 0 and len(server.zaken) == 1


def test_once_drains_and_exits(store: HgkmApplication, tmp_path: Path) -> None:
    with FakeZgw() as server:
        config = _config(tmp_path / "outbox.json", server)
        proc = _start(["--config", str(config), "--once", "--json", "--db", store.config.url],
                      tmp_path)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    data = json.loads(out)
    state = health(store.engine)
    assert state["pending"] == 0 and state["dead_letters"] == 0
    assert data["delivered"] == state["consumers"]["zgw"]["delivered"] == len(server.effects)
    assert set(server.effects.values()) == {1}


def test_once_with_a_refused_secret_exits_1_with_dead_letters(
        store: HgkmApplication, tmp_path: Path) -> None:
    with FakeZgw() as server:
        config = _config(tmp_path / "outbox.json", server,
                         secret="a-wrong-secret-that-is-long-enough-32")
        proc = _start(["--config", str(config), "--once", "--db", store.config.url], tmp_path)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "1 dead letter(s)" in out and server.zaken == {}
    assert "a-wrong-secret" not in out + err


def test_bad_configuration_is_one_line_and_exit_2(sqlite_app: HgkmApplication,
                                                  tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("consumers:\n  zgw:\n    kind: zgw\n    zaken:\n      base_url: ftp://x\n"
                   "      client_id: c\n      secret: s3cr3t-value\n", encoding="utf-8")
    proc = _start(["--config", str(bad), "--db", sqlite_app.config.url], tmp_path)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "zaken.base_url" in err and "https" in err and "s3cr3t-value" not in err


def test_an_unknown_consumer_names_the_configured_ones(sqlite_app: HgkmApplication,
                                                       tmp_path: Path) -> None:
    with FakeZgw() as server:
        config = _config(tmp_path / "outbox.json", server)
        proc = _start(["--config", str(config), "--consumer", "school", "--once",
                       "--db", sqlite_app.config.url], tmp_path)
        _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "school" in err and "configured: zgw" in err


def test_a_stop_during_a_round_finishes_the_round(
        sqlite_app: HgkmApplication, clock: SettableClock) -> None:
    full_case(sqlite_app, clock)
    stop = threading.Event()
    delivered: list[str] = []

    def deliver(message: Any) -> None:
        delivered.append(message.key)
        stop.set()  # SIGTERM arrives while the first message is being delivered

    consumer = Consumer("test", lambda e: [Outgoing({"t": type(e).__name__})]
                        if type(e).__name__ == "PhaseChanged" else [], deliver)
    rounds = run_outbox(sqlite_app, [consumer], stop, interval=3600)
    assert rounds == 1 and len(delivered) > 1  # the round went on after the stop
    state = health(sqlite_app.engine)["consumers"]["test"]
    assert state["delivered"] == len(delivered)


def test_once_stops_after_the_first_idle_round(
        sqlite_app: HgkmApplication, clock: SettableClock,
        make_app: Callable[..., HgkmApplication]) -> None:
    full_case(sqlite_app, clock)
    seen: list[str] = []
    consumer = Consumer("test", lambda e: [Outgoing({})], lambda m: seen.append(m.key))
    from hgkm_workflow.integration.outbox import RunResult

    totals = RunResult()
    stop = threading.Event()
    rounds = run_outbox(sqlite_app, [consumer], stop, limit=5, once=True, totals=totals)
    assert stop.is_set() and rounds > 2
    assert totals.delivered == len(seen) == sqlite_app.recorder.max_notification_id()
