"""Several application processes on one PostgreSQL database (docs/scaling.md).

Four operating-system processes share a fresh database at the same time:

* two **writers**, each driving its own households (and both adding vervolgmeldingen to three
  shared cases, so optimistic concurrency is exercised across processes), recording every
  command the application acknowledged (case, version, event names);
* one **scheduler**, ticking in a loop at an instant two weeks later, so breaches of T1 and T5
  are recorded on cases the writers are still writing to;
* one **projection process**, following the notification log (LISTEN/NOTIFY) until it is told
  to stop, then catching up once more.

Afterwards the parent checks that no event was lost — every acknowledged command's events are
in the store at the acknowledged versions, and the store holds exactly the acknowledged events
plus the scheduler's breaches — and that every view is complete: the projection process left
no lag, and the case index, the deadline index, the monitor's melding table and the CBS
classification each hold a row for everything in the store. The parent never catches up itself.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support import fresh_pg_database, require_postgres

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
VT = {"actor_id": "vt-mp", "organisation": "vt-mp-region", "role": "vt_medewerker"}
LT = {"actor_id": "lt-mp", "organisation": "lt-mp", "role": "lokaal_team"}
LT_REGISSEUR = {"actor_id": "lt-mp", "organisation": "lt-mp", "organisation_type": "lokaal_team"}
HOUSEHOLDS_PER_WRITER = 40


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database (skipped without a server unless CI requires one)."""
    require_postgres()
    with fresh_pg_database() as url:
        yield url


# ---------------------------------------------------------------------- child processes


def _melding(case_id: uuid.UUID, melding_id: uuid.UUID, persons: list[uuid.UUID],
             melder: str = "politie") -> dict[str, Any]:
    return {"actor": VT, "rationale": "melding received by phone", "region": "mp-region",
            "gemeente": "GM0599", "melder_type": melder, "case_id": str(case_id),
            "melding_id": str(melding_id), "forms_of_violence": ["partnergeweld"],
            "persons": [{"person_id": str(persons[0]), "role": "victim"},
                        {"person_id": str(persons[1]), "role": "alleged_perpetrator"}]}


def writer_main(url: str, name: str, seed: int, shared: list[str], out: str) -> None:
    """A writer process: drive households through the first phases; record every ack."""
    from hgkm_workflow import HgkmApplication, HgkmError, SettableClock

    rng = random.Random(seed)
    clock = SettableClock(START + timedelta(minutes=seed))
    app = HgkmApplication(url, clock=clock)
    acks: list[dict[str, Any]] = []
    refusals: list[str] = []

    def send(method: str, data: dict[str, Any]) -> bool:
        clock.advance(timedelta(minutes=rng.randrange(1, 30)))
        try:
            result = getattr(app, method)(data)
        except HgkmError as exc:
            refusals.append(exc.code)
            return False
        acks.append({"case_id": str(result.aggregate_id), "version": result.version,
                     "events": list(result.events), "command": method})
        return True

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    for i in range(HOUSEHOLDS_PER_WRITER):
        case_id, melding_id = new_id(), new_id()
        cmd = {"actor": LT, "rationale": "decided in the team meeting", "case_id": str(case_id)}
        if not send("receive_melding", _melding(case_id, melding_id, [new_id(), new_id()])):
            continue
        if i % 4 == 0 and shared:  # a vervolgmelding on a case the other writer also writes
            target = uuid.UUID(shared[i // 4 % len(shared)])
            send("receive_melding", _melding(target, new_id(), [new_id(), new_id()], "burger"))
        if i % 5 == 4:
            continue  # left unassessed: the scheduler records its breach
        send("complete_veiligheidsbeoordeling", {
            **cmd, "actor": VT, "melding_id": str(melding_id), "outcome": "handover_local_team",
            "veiligheidsvoorwaarden": ["geen_geweld"], "handover_to": LT_REGISSEUR})
        send("inform_melder", {**cmd, "actor": VT, "melding_id": str(melding_id)})
        send("confirm_acute_unsafety_removed", cmd)
        send("complete_directe_veiligheid", cmd)
        send("set_hulpverleningsplan", {**cmd, "risk_factors": ["schulden"]})
    app.close()
    Path(out).write_text(json.dumps({"acks": acks, "refusals": refusals}))


def scheduler_main(url: str, out: str) -> None:
    """The scheduler process: tick two weeks ahead until stdin closes; count what it recorded."""
    from hgkm_workflow import HgkmApplication, SettableClock

    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    at = START + timedelta(days=14)
    app = HgkmApplication(url, clock=SettableClock(at))
    kinds: dict[str, int] = {}
    ticks = 0
    while True:
        last = stop.is_set()
        for record in app.tick(at):
            kinds[record.kind] = kinds.get(record.kind, 0) + 1
        ticks += 1
        if last:
            break
        time.sleep(0.1)
    app.close()
    Path(out).write_text(json.dumps({"ticks": ticks, "records": kinds}))


def projector_main(url: str, out: str) -> None:
    """The projection process: follow the log until stdin closes, then catch up once more."""
    from hgkm_workflow import HgkmApplication

    app = HgkmApplication(url)
    stop = threading.Event()
    follower = threading.Thread(target=app.projections.follow, args=(stop, 0.2), daemon=True)
    follower.start()
    sys.stdin.read()
    stop.set()
    follower.join(timeout=30)
    applied = app.projections.catch_up()
    app.close()
    Path(out).write_text(json.dumps({"final_catch_up": applied}))


def opener_main(url: str) -> None:
    """A process that opens the store the moment the parent says go (one line on stdin)."""
    from hgkm_workflow import HgkmApplication

    sys.stdin.readline()
    HgkmApplication(url).close()


def _spawn(function: str, *args: str) -> subprocess.Popen[str]:
    code = (f"import sys; from tests.e2e.test_multiprocess_pg import {function}; "
            f"{function}(*sys.argv[1:])")
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE)


# ---------------------------------------------------------------------- the tests


@pytest.mark.parametrize("initialised", [False, True], ids=["empty-store", "initialised-store"])
def test_processes_opening_one_store_at_the_same_moment(pg_url: str, initialised: bool) -> None:
    """Six processes open one store together: none fails on a schema race (docs/scaling.md).

    Without the schema lock, PostgreSQL refuses some of the concurrent ``CREATE … IF NOT
    EXISTS`` statements ("tuple concurrently updated", a duplicate pg_type key), also when
    the tables already exist.
    """
    if initialised:
        init = subprocess.run([sys.executable, "-m", "hgkm_workflow.cli", "init", "--db", pg_url],
                              check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert init.returncode == 0, init.stderr
    openers = [_spawn("opener_main", pg_url) for _ in range(6)]
    failures: list[str] = []
    try:
        time.sleep(3)  # every process imported the package and waits on stdin
        for p in openers:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
    finally:
        for p in openers:
            _, err = _finish(p)
            if p.returncode != 0:
                failures.append(err.strip().splitlines()[-1] if err.strip() else "no stderr")
    assert failures == []
    engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as c:
            tables = set(sa.inspect(c).get_table_names())
    finally:
        engine.dispose()
    assert {"hgkm_events", "rm_cases", "person_register_keys", "hgkm_access_log"} <= tables


def _finish(p: subprocess.Popen[str], timeout: float = 120) -> tuple[str, str]:
    """Wait for a child (killing it after ``timeout``) and close its pipes."""
    try:
        out, err = p.communicate(input=None, timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    return out or "", err or ""


def test_two_writers_a_scheduler_and_a_projection_process(pg_url: str, tmp_path: Path) -> None:
    from hgkm_workflow import HgkmApplication, SettableClock

    # The schema is created once, before the processes start (docs/scaling.md).
    init = subprocess.run([sys.executable, "-m", "hgkm_workflow.cli", "init", "--db", pg_url],
                          check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    assert "hgkm_events" in init.stdout and "rm_deadlines" in init.stdout
    setup_clock = SettableClock(START)
    parent = HgkmApplication(pg_url, clock=setup_clock)
    shared: list[str] = []
    setup_acks: list[dict[str, Any]] = []
    for _ in range(3):
        case_id = uuid.uuid4()
        result = parent.receive_melding(_melding(case_id, uuid.uuid4(),
                                                 [uuid.uuid4(), uuid.uuid4()]))
        shared.append(str(case_id))
        setup_acks.append({"case_id": str(case_id), "version": result.version,
                           "events": list(result.events), "command": "receive_melding"})
    projector = _spawn("projector_main", pg_url, str(tmp_path / "projector.json"))
    scheduler = _spawn("scheduler_main", pg_url, str(tmp_path / "scheduler.json"))
    shared_arg = ",".join(shared)
    code = ("import sys; from tests.e2e.test_multiprocess_pg import writer_main; "
            "writer_main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split(','), "
            "sys.argv[5])")
    writers = [subprocess.Popen(
        [sys.executable, "-c", code, pg_url, name, str(seed), shared_arg,
         str(tmp_path / f"{name}.json")], cwd=ROOT, text=True, stderr=subprocess.PIPE)
        for name, seed in (("writer-a", 1), ("writer-b", 2))]
    errors: dict[str, str] = {}
    try:
        for name, w in zip(("writer-a", "writer-b"), writers, strict=True):
            _, err = _finish(w)
            if w.returncode != 0:
                errors[name] = err
    finally:
        # Every child is waited for and its pipes closed, also when a writer failed; closing
        # their input tells the scheduler and the projector to stop (and catch up once more).
        for name, p in (("scheduler", scheduler), ("projector", projector)):
            _, err = _finish(p)
            if p.returncode != 0:
                errors[name] = err
    assert errors == {}, errors

    results = [json.loads((tmp_path / f"{n}.json").read_text()) for n in ("writer-a",
                                                                           "writer-b")]
    scheduler_out = json.loads((tmp_path / "scheduler.json").read_text())
    acks = setup_acks + [a for r in results for a in r["acks"]]
    refused = [code for r in results for code in r["refusals"]]
    assert refused == [], refused
    assert len(acks) > 2 * HOUSEHOLDS_PER_WRITER * 4
    breaches = scheduler_out["records"].get("breach", 0)
    assert breaches > 0, "the scheduler recorded breaches while the writers wrote"

    # No event lost: every acknowledged command's events are stored at its versions.
    for ack in acks:
        stored = list(parent.events.get(uuid.UUID(ack["case_id"]),
                                        gt=ack["version"] - len(ack["events"]),
                                        lte=ack["version"]))
        assert [type(e).__name__ for e in stored] == ack["events"], ack
    with parent.engine.connect() as conn:
        tables = sa.inspect(conn).get_table_names()
        events_table = next(t for t in tables if t.endswith("events") and "snapshot" not in t
                            and not t.startswith("rm_"))
        total = conn.execute(sa.text(f"SELECT count(*) FROM {events_table}")).scalar_one()
    assert total == sum(len(a["events"]) for a in acks) + breaches

    # Every view is complete, as the projection process left it (the parent never caught up).
    assert parent.projections.lag() == 0
    from hgkm_workflow.projections.cases import cases
    from hgkm_workflow.projections.deadline_index import deadlines
    from hgkm_workflow.projections.monitor_tables import meldingen
    from hgkm_workflow.projections.person_index import melding_classification

    case_versions: dict[str, int] = {}
    for ack in acks:
        case_versions[ack["case_id"]] = max(case_versions.get(ack["case_id"], 0),
                                            ack["version"])
    n_meldingen = sum(a["events"].count("MeldingReceived") for a in acks)
    n_deadlines = sum(a["events"].count("DeadlineStarted") for a in acks)
    with parent.engine.connect() as conn:
        rows = dict(conn.execute(sa.select(cases.c.case_id, cases.c.version)).all())
        assert set(rows) == set(case_versions)
        for case_id, version in rows.items():
            stored_version = max(e.originator_version
                                 for e in parent.events.get(uuid.UUID(case_id)))
            assert version == stored_version, case_id
        assert conn.execute(sa.select(sa.func.count()).select_from(meldingen)).scalar_one() \
            == n_meldingen
        assert conn.execute(sa.select(sa.func.count()).select_from(melding_classification)
                            ).scalar_one() == n_meldingen
        assert conn.execute(sa.select(sa.func.count()).select_from(deadlines)).scalar_one() \
            == n_deadlines
        assert conn.execute(sa.select(sa.func.count()).select_from(deadlines).where(
            deadlines.c.breached_at.is_not(None))).scalar_one() == breaches
    parent.close()
