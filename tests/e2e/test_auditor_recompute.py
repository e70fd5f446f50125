"""Issue 15's check: an independent classifier run on an event export agrees, melding by
melding, with the per-melding classification export.

The store is driven by a seeded random walk over a small pool of shared persons: meldingen
with and without a case id, registered late (``occurred_at`` days in the past), assessments
(some registered late) with outcomes that end, hand over or start an onderzoek, services
completed, role corrections, closures and reopenings, and jumps of about three years so
involvements end near the lookback boundary. Refused commands are simply skipped.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.cli import app as cli
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import HgkmError
from tests.e2e.auditor_classifier import case_found_from_export, classify_export
from tests.support import LT_REGISSEUR, READ, VT

ROLES = ("victim", "alleged_perpetrator", "child", "witness", "other")


def _drive(app: HgkmApplication, clock: SettableClock, seed: int, steps: int) -> int:
    rng = random.Random(seed)
    households = [[str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(3)]
                  for _ in range(12)]
    pool = [p for h in households for p in h]
    cases: dict[str, list[str]] = {}
    done = 0
    last: list[str] = []

    def base(case_id: str, late_days: int = 0) -> dict[str, Any]:
        data: dict[str, Any] = {"actor": VT, "rationale": "decided in the team meeting",
                                "case_id": case_id}
        if late_days:
            data["occurred_at"] = (clock.now() - timedelta(days=late_days)).isoformat()
        return data

    for _ in range(steps):
        jump = rng.random()
        clock.advance(timedelta(days=3 * 365 - rng.randint(0, 6)) if jump < 0.03
                      else timedelta(hours=rng.randint(2, 48)))
        action = rng.random()
        try:
            if action < 0.4 or not cases:
                late = rng.random() < 0.35
                household = last if late and last and rng.random() < 0.6 else rng.choice(
                    households)
                last = household
                chosen = rng.sample(household, rng.randint(1, 2))
                if rng.random() < 0.15:  # a person shared with another household
                    chosen.append(rng.choice(pool))
                persons = [{"person_id": p, "role": rng.choice(ROLES)}
                           for p in sorted(set(chosen))]
                data: dict[str, Any] = {
                    "actor": VT, "rationale": "melding received by phone",
                    "region": "rotterdam-rijnmond", "gemeente": "GM0599",
                    "melder_type": "politie", "persons": persons,
                    "forms_of_violence": ["partnergeweld"], "acute": False}
                if cases and rng.random() < 0.3:
                    data["case_id"] = rng.choice(list(cases))
                if late:
                    data["occurred_at"] = (clock.now() - timedelta(
                        days=rng.randint(1, 12), hours=rng.randint(0, 20))).isoformat()
                r = app.receive_melding(data)
                cases.setdefault(str(r.case_id), []).append(str(r.ids["melding_id"]))
            elif action < 0.75:
                case_id = rng.choice(list(cases))
                outcome = rng.choice(("no_further_action", "onderzoek",
                                      "handover_local_team", "no_further_action"))
                data = base(case_id, rng.choice((0, 0, 1, 3)))
                if not cases[case_id]:
                    continue
                melding_id = rng.choice(cases[case_id])
                data.update(melding_id=melding_id, outcome=outcome)
                if outcome == "handover_local_team":
                    data.update(veiligheidsvoorwaarden=["geen_geweld"],
                                handover_to=LT_REGISSEUR)
                app.complete_veiligheidsbeoordeling(data)
                cases[case_id].remove(melding_id)
            elif action < 0.83:
                data = base(rng.choice(list(cases)), rng.choice((0, 2)))
                data["result"] = rng.choice(("no_further_action", "handover_local_team"))
                data["conclusion"] = "confirmed"
                if data["result"] == "handover_local_team":
                    data.update(veiligheidsvoorwaarden=["geen_geweld"],
                                handover_to=LT_REGISSEUR)
                app.complete_vt_service(data)
            elif action < 0.92:
                case_id = rng.choice(list(cases))
                events = app.case_events(uuid.UUID(case_id), access=READ)
                named = sorted({p["person_id"] for e in events
                                for p in getattr(e, "persons", [])})
                data = base(case_id)
                data.update(person_id=rng.choice(named), role=rng.choice(ROLES))
                app.correct_person_role(data)
            else:
                data = base(rng.choice(list(cases)))
                data["reason"] = "other"
                data["open_deadline_reason"] = "household moved abroad, file closed"
                app.close_case(data)
            done += 1
        except HgkmError:
            continue
    return done


def _compare(app: HgkmApplication, tmp: Path) -> tuple[int, dict[str, int]]:
    export = tmp / "events.jsonl"
    app.export_jsonl(export, access=READ)
    independent = classify_export(export)
    ours = {m.melding_id: m.as_dict() for m in app.melding_classifications(access=READ)}
    assert set(independent) == set(ours)
    disagree = []
    classes: dict[str, int] = {}
    for melding_id, mine in independent.items():
        theirs = ours[melding_id]
        basis = theirs["basis"]
        got = {"classification": theirs["classification"],
               "vervolg_kind": theirs["vervolg_kind"],
               "basis": None if theirs["classification"] == "nieuw" or basis is None
               else (basis["case_id"], basis["involvement_no"])}
        if got != mine:
            disagree.append((melding_id, mine, got))
        classes[mine["classification"]] = classes.get(mine["classification"], 0) + 1
    assert not disagree, disagree[:3]
    lines = [json.loads(t) for t in export.read_text().splitlines()]
    marks = [(x["classification"]["match"], x["payload"]["reopened"])
             for x in lines if x["event_type"] == "MeldingReceived"]
    assert all((m == "reopened") == reopened for m, reopened in marks)
    found = case_found_from_export(export)  # how each case was found, from the raw lines
    assert found == {x["payload"]["melding_id"]: (x["classification"]["match"],
                                                  x["classification"]["found_by"])
                     for x in lines if x["event_type"] == "MeldingReceived"}
    assert found == {k: (m["case_found"]["match"], m["case_found"]["found_by"])
                     for k, m in ours.items()}
    matches = {m for m, _ in found.values()}
    assert {"opened", "given", "matched"} <= matches and "joined" not in matches
    classes["reopened"] = sum(m == "reopened" for m, _ in marks)
    return len(independent), classes


def test_independent_classifier_agrees_melding_by_melding(
    app: HgkmApplication, clock: SettableClock, tmp_path: Path
) -> None:
    done = sum(_drive(app, clock, seed, 150) for seed in (1, 2, 3))
    total, classes = _compare(app, tmp_path)
    assert done > 250 and total > 120
    assert {"nieuw", "vervolgmelding", "hermelding"} <= set(classes)
    assert classes["reopened"] > 0
    changes = sum(len(m.changes) for m in app.melding_classifications(access=READ))
    assert changes > 0  # late facts did reclassify meldingen


def test_restricted_roles_and_household_basis_agree_too(
    make_app: Callable[..., HgkmApplication], sqlite_url: str, clock: SettableClock,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HGKM_HERMELDING_ROLES", "victim,child")
    monkeypatch.setenv("HGKM_HERMELDING_LOOKBACK_YEARS", "2")
    app = make_app(sqlite_url)
    _drive(app, clock, 7, 160)
    total, _ = _compare(app, tmp_path)
    assert total > 40


def test_cli_writes_the_per_melding_export(
    sqlite_app: HgkmApplication, sqlite_url: str, clock: SettableClock, tmp_path: Path
) -> None:
    _drive(sqlite_app, clock, 4, 40)
    out = tmp_path / "meldingen.jsonl"
    result = CliRunner().invoke(cli, ["monitor", "meldingen", "--db", sqlite_url,
                                      "--jsonl", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(t) for t in out.read_text().splitlines()]
    assert {m.melding_id for m in sqlite_app.melding_classifications(access=READ)} == {
        x["melding_id"] for x in lines}
    assert all(x["read_model"] == "person_index/5" for x in lines)
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    result = CliRunner().invoke(cli, ["monitor", "meldingen", "--db", sqlite_url])
    assert result.exit_code != 0


def test_the_per_melding_export_survives_export_and_import(
    make_app: Callable[..., HgkmApplication], sqlite_app: HgkmApplication,
    clock: SettableClock, tmp_path: Path,
) -> None:
    _drive(sqlite_app, clock, 5, 120)
    export = tmp_path / "events.jsonl"
    sqlite_app.export_jsonl(export, access=READ)
    copy = make_app(f"sqlite:///{tmp_path / 'copy.db'}")
    copy.import_jsonl(export)
    before = [m.as_dict() for m in sqlite_app.melding_classifications(access=READ)]
    after = [m.as_dict() for m in copy.melding_classifications(access=READ)]
    assert before == after and len(before) > 30
    assert any(m["changes"] for m in before)
