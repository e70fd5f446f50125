"""The melding-id reservation's branches after the index check and the insert share one transaction.

``UniqueIds._claim`` asks the index and inserts the reservation (``ON CONFLICT DO NOTHING``)
in one write transaction; a reservation row already there is settled as before: another
command's live reservation refuses, a stale one is taken over, one for the same case leaves
the decision to the case. Each branch is driven here with a row written straight into the
table, on both backends.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.application.reservations import STALE_AFTER, unique_ids
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import RuleViolation
from tests.support import Household, refused


def _melding(h: Household, melding_id: uuid.UUID, **extra: Any) -> dict[str, Any]:
    return {"actor": {"actor_id": "vt-017", "organisation": "vt-rotterdam-rijnmond",
                      "role": "vt_medewerker"},
            "rationale": "melding received by phone from the police",
            "region": h.region, "gemeente": h.gemeente, "melder_type": "politie",
            "persons": h.persons(), "forms_of_violence": ["partnergeweld"],
            "acute": False, "melding_id": str(melding_id)} | extra


def _reserve(app: HgkmApplication, value: uuid.UUID, at: datetime,
             case_id: uuid.UUID | None = None) -> None:
    with app.engine.begin() as conn:
        conn.execute(unique_ids.insert().values(
            kind="melding", value=str(value), reserved_at=at,
            case_id=str(case_id) if case_id is not None else None))


def _events(app: HgkmApplication) -> int:
    return app.recorder.max_notification_id() or 0


def test_a_live_reservation_of_another_command_refuses_and_stores_nothing(
        app: HgkmApplication, clock: SettableClock) -> None:
    mid = uuid.uuid4()
    _reserve(app, mid, datetime.now(UTC))
    before = _events(app)
    error = refused(app, lambda: app.receive_melding(_melding(Household(app, clock), mid)),
                    RuleViolation)
    assert (error.code, error.rule) == ("MELDING_ID_IN_USE", "melding-id-unique")
    assert _events(app) == before
    with app.engine.connect() as conn:  # the other command's reservation is left alone
        assert conn.execute(sa.select(sa.func.count()).select_from(unique_ids)
                            .where(unique_ids.c.value == str(mid))).scalar() == 1


def test_a_stale_reservation_is_taken_over(app: HgkmApplication,
                                           clock: SettableClock) -> None:
    mid = uuid.uuid4()
    _reserve(app, mid, datetime.now(UTC) - STALE_AFTER - STALE_AFTER)
    result = app.receive_melding(_melding(Household(app, clock), mid))
    assert result.ids["melding_id"] == mid
    with app.engine.connect() as conn:
        owner = conn.execute(sa.select(unique_ids.c.case_id)
                             .where(unique_ids.c.value == str(mid))).scalar()
    assert owner is None or owner == str(result.aggregate_id)


def test_a_reservation_for_the_same_case_leaves_the_decision_to_the_case(
        app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.melding()
    mid = uuid.uuid4()
    _reserve(app, mid, datetime.now(UTC), case_id=h.case_id)  # a retry of this case's command
    result = app.receive_melding(_melding(h, mid, case_id=str(h.case_id)))
    assert result.aggregate_id == h.case_id
    assert result.ids["melding_id"] == mid


def test_an_id_the_index_holds_refuses_without_a_reservation(
        app: HgkmApplication, clock: SettableClock) -> None:
    first = Household(app, clock)
    first.melding()
    assert first.melding_id is not None
    app.catch_up()
    with app.engine.begin() as conn:  # only the index knows it now
        conn.execute(unique_ids.delete())
    error = refused(app, lambda: app.receive_melding(
        _melding(Household(app, clock), first.melding_id)), RuleViolation)
    assert error.code == "MELDING_ID_IN_USE"
    with app.engine.connect() as conn:  # refused before any reservation was made
        assert conn.execute(sa.select(sa.func.count()).select_from(unique_ids)).scalar() == 0


def test_the_claim_writes_the_row_sqlalchemy_writes(app: HgkmApplication) -> None:
    from hgkm_workflow.application.reservations import _INSERT
    from hgkm_workflow.projections.monitor_tables import meldingen

    unique = app.intake.unique
    at = datetime(2026, 12, 3, 10, 11, 12, 131415, tzinfo=UTC)
    unique._now = lambda: at
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    owner = str(uuid.uuid4())
    assert unique._claim("melding", meldingen, "melding_id", mine, owner) == (None, at)
    with app.engine.begin() as conn:
        conn.execute(_INSERT, {"kind": "melding", "value": theirs, "reserved_at": at,
                               "case_id": owner})
    with app.engine.connect() as conn:
        rows = {r.value: (r.kind, r.reserved_at, r.case_id) for r in conn.execute(
            sa.select(unique_ids).where(unique_ids.c.value.in_([mine, theirs])))}
        raw = {r[0]: tuple(r[1:]) for r in conn.exec_driver_sql(
            "SELECT value, kind, reserved_at, case_id FROM hgkm_unique_ids")
            if r[0] in (mine, theirs)}
    assert rows[mine] == rows[theirs]
    assert raw[mine] == raw[theirs]  # the same stored form, not only the same value
    # a second claim of the same id meets the reservation and is refused (live, other owner)
    assert unique._claim("melding", meldingen, "melding_id", mine, None) == (None, None)


def test_threads_racing_with_one_melding_id_store_it_once(
        app: HgkmApplication, clock: SettableClock) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from hgkm_workflow.errors import HgkmError

    mid = uuid.uuid4()
    households = [Household(app, clock) for _ in range(6)]
    start = threading.Barrier(len(households))

    def send(h: Household) -> str:
        data = _melding(h, mid, case_id=str(uuid.uuid4()))
        start.wait()
        try:
            app.receive_melding(data)
        except HgkmError as error:
            return error.code
        return "accepted"

    with ThreadPoolExecutor(len(households)) as pool:
        outcomes = sorted(pool.map(send, households))
    assert outcomes.count("accepted") == 1
    assert set(outcomes) - {"accepted"} == {"MELDING_ID_IN_USE"}
    app.catch_up()
    from hgkm_workflow.projections.monitor_tables import meldingen
    with app.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(meldingen)
                            .where(meldingen.c.melding_id == str(mid))).scalar() == 1
