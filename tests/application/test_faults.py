"""Nothing lost under faults: SIGKILL in the middle of a command and of a projection catch-up.

A driver process (tests/application/fault_driver.py) receives meldingen and prints ``ACK``
after each acknowledged save. It is killed with SIGKILL — at a random moment, and inside the
save transaction of a command; then a backlog is built and a catch-up is killed inside a batch
transaction. After each kill the store is reopened: every acknowledged command is stored,
the command that was killed mid-save left nothing behind, and the read models converge —
equal to a rebuild from the event store, row for row, without doubles. On SQLite and
PostgreSQL.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import sqlalchemy as sa

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.audit.verification import run_verify
from hgkm_workflow.projections.monitor_tables import meldingen
from tests.support import READ

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("fault_driver.py")


class Driver:
    """A driver process whose output lines are read as they come."""

    def __init__(self, url: str, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, str(DRIVER), url, *args], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        self.lines: list[str] = []

    def read_until(self, done: Callable[[str], bool], timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                _, err = self.proc.communicate(timeout=30)
                raise AssertionError(f"the driver ended early: {err[-2000:]}")
            self.lines.append(line.strip())
            if done(line.strip()):
                return line.strip()
        raise AssertionError("the driver did not get there in time")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        # Read the rest through the same buffered reader that read_until used: lines it has
        # already buffered but not yet returned are acknowledgements too. (communicate() reads
        # the raw pipe and would miss them: under load several ACK lines arrive in one chunk.)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.lines.extend(line.strip() for line in self.proc.stdout.read().splitlines())
        self.proc.stdout.close()
        self.proc.stderr.close()
        assert self.proc.returncode == -signal.SIGKILL

    def finish(self) -> None:
        _, err = self.proc.communicate(timeout=120)
        assert self.proc.returncode == 0, err[-2000:]

    @property
    def acked(self) -> list[UUID]:
        return [UUID(line.split()[1]) for line in self.lines if line.startswith("ACK ")]


def stored_meldingen(app: HgkmApplication) -> set[UUID]:
    """Melding ids in the event store itself (not a read model)."""
    found: set[UUID] = set()
    start = 0
    while True:
        batch = app.recorder.select_notifications(start=start, limit=500,
                                                  inclusive_of_start=False)
        if not batch:
            return found
        for n in batch:
            if n.topic.endswith(".MeldingReceived"):
                found.add(UUID(str(app.mapper.to_domain_event(n).melding_id)))
        start = batch[-1].id


def check_store(url: str, acked: set[UUID], lost: set[UUID]) -> set[UUID]:
    """Reopen the store: acknowledged commands are there, killed ones are not, views converge.

    Returns the meldingen in the store: the acknowledged ones, and possibly a command that
    committed just before the kill but was not acknowledged yet.
    """
    app = HgkmApplication(url)
    try:
        in_store = stored_meldingen(app)
        assert acked <= in_store, f"{len(acked - in_store)} acknowledged command(s) lost"
        assert not lost & in_store, "a command killed before its commit left events behind"
        for melding_id in list(acked)[:3]:  # whole cases: replay and a consistent state
            c = app.classification(melding_id, access=READ)
            case = app.load_case(c.case_id, access=READ)
            assert str(melding_id) in case.meldingen and case.phase == "triage"
        app.catch_up()
        with app.engine.connect() as conn:
            rows = conn.execute(sa.select(sa.func.count()).select_from(meldingen)).scalar_one()
        assert rows == len(in_store), "the melding facts are not one row per melding"
        report = run_verify(app, app.engine, app.projections)
        assert report.ok, [d.as_dict() for d in report.differences[:5]]
        return in_store
    finally:
        app.close()


def test_sigkill_during_commands_and_catch_up_loses_nothing(store_url: str) -> None:
    rng = random.Random(7)
    # 1. killed at a random moment while commands run
    first = Driver(store_url, "commands", "400")
    first.read_until(lambda line: line.startswith("ACK "))
    time.sleep(rng.uniform(0.05, 0.4))
    first.kill()
    acked = set(first.acked)
    assert acked
    stored = check_store(store_url, acked, set())
    assert len(stored - acked) <= 1  # at most the one in flight: committed, not yet acked

    # 2. killed inside the save transaction of the 4th command (written, not committed)
    second = Driver(store_url, "commands", "10", "4")
    line = second.read_until(lambda text: text.startswith("IN_TXN "))
    second.kill()
    killed = {UUID(line.split()[1])}
    assert len(second.acked) == 3
    acked |= set(second.acked)
    assert check_store(store_url, acked, killed) == stored | set(second.acked)

    # 3. a backlog of more than one projection batch, then a catch-up killed mid-batch
    backlog = Driver(store_url, "commands", "200")
    backlog.read_until(lambda text: text == "EXIT")
    backlog.finish()
    acked |= set(backlog.acked)
    catching = Driver(store_url, "catch-up")
    catching.read_until(lambda text: text == "IN_BATCH")
    catching.kill()
    assert check_store(store_url, acked, killed) == stored | set(second.acked) | set(
        backlog.acked)
