"""Import is atomic and validated (issue 12 point 4).

Every line is checked with the rules of the commands, and the events replayed in memory,
before anything is written; then all events go in one transaction. A refused import stores
nothing (events, read models, tracking), names the line and the rule (never the value), and
a retry with a corrected file works.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.audit.exchange import ExchangeError, export_jsonl
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.projections.tracking import tracking_table
from tests.support import BURGEMEESTER, READ, Household

Line = dict[str, Any]


def _export(make_app: Callable[..., HgkmApplication], clock: SettableClock,
            tmp_path: Path) -> tuple[list[Line], list[uuid.UUID]]:
    source = make_app(f"sqlite:///{tmp_path / 'source.db'}")
    cases = []
    for _ in range(3):
        h = Household(source, clock)
        h.melding()
        h.assess("handover_local_team")
        source.impose_huisverbod(h.cmd(actor=BURGEMEESTER,
                                       removed_person_id=str(h.perpetrator)))
        assert h.case_id is not None
        cases.append(h.case_id)
    buffer = io.StringIO()
    export_jsonl(source, buffer, access=READ)
    states = {cid: source.load_case(cid, access=READ).state_dict() for cid in cases}
    _export.states = states  # type: ignore[attr-defined]
    return [json.loads(t) for t in buffer.getvalue().splitlines()], cases


def _late(lines: list[Line], event_type: str) -> int:
    """Index of a line of ``event_type`` in the second half of the file (else the last one)."""
    found = [i for i, line in enumerate(lines) if line["event_type"] == event_type]
    later = [i for i in found if i >= len(lines) // 2]
    return (later or found)[0]


def _set(path: str, value: Any, *, typed: str | None = None) -> Callable[[Line], None]:
    def damage(line: Line) -> None:
        holder = line["payload"]
        *parents, last = path.split("/")
        for p in parents:
            holder = holder[p]
        holder[last] = value
        if typed is not None:
            line.setdefault("types", {})[f"/{path}"] = typed
    return damage


def _drop(name: str) -> Callable[[Line], None]:
    return lambda line: line["payload"].pop(name)


BSN_NAME = "Jan Kwikstaartje, BSN 999990019, tel 0612345678"
DAMAGES: list[tuple[str, str, Callable[[Line], None], str]] = [
    ("MeldingReceived", "5 MB rationale", _set("rationale", "x" * 5_000_000),
     "line longer than"),
    ("MeldingReceived", "long rationale", _set("rationale", "y" * 600),
     "rationale is longer than 500"),
    ("PhaseChanged", "personal data", _set("rationale", BSN_NAME), "identifying data"),
    ("MeldingReceived", "code with a name", _set("actor/actor_id", "Jan Kwikstaartje"),
     "actor_id is not a code"),
    ("MeldingReceived", "region with a BSN", _set("region", "r-999990019"),
     "region looks like identifying data"),
    ("MeldingReceived", "unknown field", _set("payload_extra", "x"), "payload has fields"),
    ("VeiligheidsbeoordelingCompleted", "missing field", _drop("outcome"), "payload lacks"),
    ("MeldingReceived", "wrong type", _set("acute", "yes"), "acute is not of the type"),
    ("MeldingReceived", "naive instant", _set("at", "2026-03-02T09:00:00", typed="datetime"),
     "has no UTC offset"),
    ("MeldingReceived", "year 9999", _set("at", "9999-01-01T00:00:00+00:00", typed="datetime"),
     "outside 2000..2100"),
    ("VeiligheidsbeoordelingCompleted", "unreplayable", _set("melding_id", str(uuid.uuid4())),
     "does not replay"),
]


def _is_empty(app: HgkmApplication) -> None:
    assert not app.recorder.max_notification_id()
    with app.engine.connect() as conn:
        positions = conn.execute(sa.select(tracking_table.c.position)).scalars().all()
        names = sa.inspect(conn).get_table_names()
        rows = sum(conn.execute(sa.text(f"SELECT COUNT(*) FROM {n}")).scalar_one()
                   for n in names if n.startswith("rm_"))
    assert set(positions) <= {0} and rows == 0


def test_a_bad_line_halfway_stores_nothing_and_a_retry_works(
        store_url: str, make_app: Callable[..., HgkmApplication], clock: SettableClock,
        tmp_path: Path) -> None:
    lines, cases = _export(make_app, clock, tmp_path)
    target = make_app(store_url)
    for event_type, what, damage, words in DAMAGES:
        index = _late(lines, event_type)
        assert index >= 1
        broken = json.loads(json.dumps(lines))
        damage(broken[index])
        text = "\n".join(json.dumps(x) for x in broken)
        with pytest.raises(ExchangeError) as info:
            target.import_jsonl(io.StringIO(text))
        message = str(info.value)
        assert message.startswith(f"[INVALID_EXPORT] line {index + 1}: "), (what, message)
        assert words in message, (what, message)
        assert "Kwikstaartje" not in message and "999990019" not in message
        _is_empty(target)
    result = target.import_jsonl(io.StringIO("\n".join(json.dumps(x) for x in lines)))
    assert result.events == len(lines) and result.aggregates == 3
    for cid in cases:  # every imported case replays to the exported state
        assert target.load_case(cid, access=READ).state_dict() == \
            _export.states[cid]  # type: ignore[attr-defined]


def test_a_melding_id_of_two_cases_is_refused(
        sqlite_url: str, make_app: Callable[..., HgkmApplication], clock: SettableClock,
        tmp_path: Path) -> None:
    lines, _ = _export(make_app, clock, tmp_path)
    received = [i for i, x in enumerate(lines) if x["event_type"] == "MeldingReceived"]
    first, second = received[0], received[1]
    reused = lines[first]["payload"]["melding_id"]
    old = lines[second]["payload"]["melding_id"]
    text = "\n".join(json.dumps(x) for x in lines).replace(old, reused)
    target = make_app(sqlite_url)
    with pytest.raises(ExchangeError) as info:
        target.import_jsonl(io.StringIO(text))
    assert "melding id is used by two cases" in str(info.value)
    _is_empty(target)
