"""Ids unique across cases: refused in the command; a conflict already stored is a dead letter.

Issue 12 point 3: a melding reusing another case's ``melding_id`` (or a huisverbod reusing a
``huisverbod_id``) was accepted, and every read-model catch-up then failed on a UNIQUE
violation, which stopped ``tick`` for the whole store.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from hgkm_workflow import commands as c
from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.cli import app as cli
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.domain.recording import recording_at
from hgkm_workflow.errors import RuleViolation
from tests.support import BURGEMEESTER, READ, Household, refused


def _melding_data(h: Household, melding_id: uuid.UUID) -> dict[str, Any]:
    return {"actor": {"actor_id": "vt-017", "organisation": "vt-rotterdam-rijnmond",
                      "role": "vt_medewerker"},
            "rationale": "melding received by phone from the police",
            "region": h.region, "gemeente": h.gemeente, "melder_type": "politie",
            "persons": h.persons(), "forms_of_violence": ["partnergeweld"],
            "acute": False, "melding_id": str(melding_id)}


def test_melding_id_of_another_case_is_refused_and_stores_nothing(
        app: HgkmApplication, clock: SettableClock) -> None:
    first = Household(app, clock)
    first.melding()
    assert first.melding_id is not None
    other = Household(app, clock)
    error = refused(app, lambda: app.receive_melding(_melding_data(other, first.melding_id)),
                    RuleViolation)
    assert error.code == "MELDING_ID_IN_USE"
    assert error.rule == "melding-id-unique"
    # into an existing other case too
    other.melding()
    data = _melding_data(other, first.melding_id) | {"case_id": str(other.case_id)}
    assert refused(app, lambda: app.receive_melding(data)).code == "MELDING_ID_IN_USE"
    # the freed id of a refused command is not reserved: a fresh id still works
    fresh = uuid.uuid4()
    result = app.receive_melding(_melding_data(Household(app, clock), fresh))
    assert result.ids["melding_id"] == fresh
    assert app.projections.status()[0].dead_letters == ()


def test_same_melding_id_in_the_same_case_is_left_to_the_case(
        app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.melding()
    assert h.melding_id is not None
    data = _melding_data(h, h.melding_id) | {"case_id": str(h.case_id)}
    assert refused(app, lambda: app.receive_melding(data)).code == "DUPLICATE_MELDING"


def test_huisverbod_id_of_another_case_is_refused(
        app: HgkmApplication, clock: SettableClock) -> None:
    a, b = Household(app, clock), Household(app, clock)
    a.melding()
    b.melding()
    hv = uuid.uuid4()
    app.impose_huisverbod(a.cmd(actor=BURGEMEESTER, removed_person_id=str(a.perpetrator),
                                huisverbod_id=str(hv)))
    data = b.cmd(actor=BURGEMEESTER, removed_person_id=str(b.perpetrator),
                 huisverbod_id=str(hv))
    error = refused(app, lambda: app.impose_huisverbod(data), RuleViolation)
    assert error.code == "HUISVERBOD_ID_IN_USE"


def test_a_reservation_left_by_a_crashed_save_is_released(
        app: HgkmApplication, clock: SettableClock, monkeypatch: pytest.MonkeyPatch) -> None:
    h = Household(app, clock)
    mid = uuid.uuid4()

    def crash(*_a: object, **_k: object) -> list[str]:
        raise OSError("disk gone")

    monkeypatch.setattr(app.work, "save", crash)
    with pytest.raises(OSError):
        app.receive_melding(_melding_data(h, mid))
    monkeypatch.undo()
    assert app.receive_melding(_melding_data(h, mid)).ids["melding_id"] == mid


def _conflicting_case(app: HgkmApplication, h: Household, melding_id: uuid.UUID) -> uuid.UUID:
    """Write a case whose melding reuses ``melding_id``, past every command check."""
    cmd = c.validate_command(c.ReceiveMelding, _melding_data(h, melding_id))
    ctx = app.work.context(cmd)
    case_id = uuid.uuid4()
    with recording_at(ctx.recorded_at):
        case = HouseholdCase(id=case_id, region=cmd.region, gemeente=cmd.gemeente,
                             opened_at=ctx.at)
        case.receive_melding(cmd, melding_id, ctx, from_advies=None)
    app.save(case)  # straight to the recorder: an old store, an import, a bug
    return case_id


def test_a_stored_conflict_is_a_dead_letter_and_the_clock_keeps_ticking(
        app: HgkmApplication, clock: SettableClock) -> None:
    first = Household(app, clock)
    first.melding()
    assert first.melding_id is not None
    _conflicting_case(app, Household(app, clock), first.melding_id)
    victim = Household(app, clock)
    victim.melding()  # its deadlines must still be watched
    clock.advance(timedelta(days=40))
    records = app.tick()
    assert any(r.case_id == victim.case_id for r in records)
    assert any(r.case_id == first.case_id for r in records)
    status = {s.name: s for s in app.projections.status()}
    letters = [d for s in status.values() for d in s.dead_letters]
    assert letters, "the conflicting event is recorded"
    assert {d.event for d in letters} == {"MeldingReceived"}
    assert {d.reason for d in letters} == {"UNIQUE_VIOLATION"}
    assert all(s.lag == 0 for s in status.values())
    # the other read models and queries keep working
    assert len(app.list_cases(access=READ)) == 3
    assert app.monitor(access=READ) is not None
    app.verify(access=READ)
    assert app.projections.rebuild() > 0
    again = [d for s in app.projections.status() for d in s.dead_letters]
    assert [(d.projection, d.position) for d in again] == \
        [(d.projection, d.position) for d in letters]


def test_projections_status_command_lists_dead_letters(
        app: HgkmApplication, clock: SettableClock) -> None:
    first = Household(app, clock)
    first.melding()
    assert first.melding_id is not None
    _conflicting_case(app, Household(app, clock), first.melding_id)
    app.catch_up()
    url = app.config.url if hasattr(app.config, "url") else None
    assert url is not None
    out = CliRunner().invoke(cli, ["projections", "status", "--db", url, "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    dead = [d for p in report["projections"] for d in p["dead_letters"]]
    assert dead and dead[0]["event"] == "MeldingReceived"
    assert "Kwikstaartje" not in out.output


def test_ids_of_a_store_older_than_reservations_and_of_an_import_are_refused(
        store_url: str, make_app: Callable[..., HgkmApplication], clock: SettableClock,
        tmp_path: Path) -> None:
    app = make_app(store_url)
    old = Household(app, clock)
    old.melding()
    with app.engine.begin() as conn:  # a store written before reservations existed
        conn.execute(sa.text("DROP TABLE IF EXISTS hgkm_unique_ids"))
    reopened = make_app(store_url)
    data = _melding_data(Household(reopened, clock), old.melding_id)  # type: ignore[arg-type]
    assert refused(reopened, lambda: reopened.receive_melding(data)).code == "MELDING_ID_IN_USE"
    # an imported store: the index knows the ids
    buffer = io.StringIO()
    app.export_jsonl(buffer, access=READ)
    target = make_app(f"sqlite:///{tmp_path / 'imported.db'}")
    target.import_jsonl(io.StringIO(buffer.getvalue()))
    data = _melding_data(Household(target, clock), old.melding_id)  # type: ignore[arg-type]
    assert refused(target, lambda: target.receive_melding(data)).code == "MELDING_ID_IN_USE"
