"""A process for the fault tests (tests/application/test_faults.py) to kill with SIGKILL.

    python tests/application/fault_driver.py STORE_URL commands N [HANG_AT]
        Receive N meldingen, each opening a new household case; print ``ACK <melding_id>``
        after each acknowledged save. With HANG_AT, the HANG_AT-th command stops *inside* its
        save transaction (events written, not committed) and prints ``IN_TXN <melding_id>``.

    python tests/application/fault_driver.py STORE_URL catch-up
        Catch the read models up with the backlog; once the first batch has been committed, the
        next batch stops inside its transaction and prints ``IN_BATCH``.

Every line is flushed at once, so the killing test sees exactly what was acknowledged. The
driver never catches the read models up while it receives meldingen (an explicit case id
skips the lookup of open cases), so a backlog builds up for the catch-up run.
"""

from __future__ import annotations

import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.projections.tracking import TRACKING_TABLE_NAME

VT = {"actor_id": "vt-017", "organisation": "vt-rotterdam-rijnmond", "role": "vt_medewerker"}


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def hang() -> None:
    time.sleep(120)  # the test kills us long before
    raise SystemExit("not killed")


def commands(app: HgkmApplication, clock: SettableClock, count: int, hang_at: int | None) -> None:
    current: dict[str, Any] = {"n": 0}
    recorder: Any = app.recorder
    original = recorder._insert_events

    def insert_then_maybe_hang(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if hang_at is not None and current["n"] == hang_at:
            say(f"IN_TXN {current['melding']}")
            hang()
        return result

    recorder._insert_events = insert_then_maybe_hang
    for n in range(1, count + 1):
        melding_id = uuid.uuid4()
        current.update(n=n, melding=melding_id)
        clock.advance(timedelta(minutes=7))
        app.receive_melding({
            "actor": VT, "rationale": "melding received by phone from the police",
            "region": "rotterdam-rijnmond", "gemeente": "GM0599", "melder_type": "politie",
            "persons": [{"person_id": str(uuid.uuid4()), "role": "victim"},
                        {"person_id": str(uuid.uuid4()), "role": "alleged_perpetrator"}],
            "forms_of_violence": ["partnergeweld"], "acute": n % 3 == 0,
            "case_id": str(uuid.uuid4()), "melding_id": str(melding_id),
        })
        say(f"ACK {melding_id}")


def catch_up(app: HgkmApplication) -> None:
    state = {"tracked": False}

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if TRACKING_TABLE_NAME in statement and statement.lstrip().upper().startswith(
                ("INSERT", "UPDATE")):
            state["tracked"] = True  # the first batch commits right after this
        elif state["tracked"] and "rm_" in statement and statement.lstrip().upper().startswith(
                ("INSERT", "UPDATE", "DELETE")):
            say("IN_BATCH")
            hang()

    sa.event.listen(app.engine, "before_cursor_execute", before)
    app.catch_up()
    say("DONE")


def main() -> None:
    url, mode = sys.argv[1], sys.argv[2]
    clock = SettableClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    app = HgkmApplication(url, clock=clock, cache_size=0)
    if mode == "commands":
        hang_at = int(sys.argv[4]) if len(sys.argv) > 4 else None
        commands(app, clock, int(sys.argv[3]), hang_at)
    else:
        catch_up(app)
    app.close()
    say("EXIT")


if __name__ == "__main__":
    main()
