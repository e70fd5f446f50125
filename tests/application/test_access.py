"""Need-to-know access, emergency access and the tamper-evident access log, on both backends.

Access follows involvement: Veilig Thuis of the region, the organisation holding casusregie (or
offered it), the MDA++ kernteam while the case is escalated, the burgemeester for a huisverbod,
auditors for audits; anyone else is refused — unless they state a safety reason, which grants
emergency access, records it on the case (who looked and why), counts it in the monitor and
asks for a recorded decision on informing the persons. Every read and every refusal is in the
hash-chained access log, which finds a changed or removed entry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from hgkm_workflow.access import Access
from hgkm_workflow.access.log import access_log
from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.cli import app as cli
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import AccessDenied, CaseNotFound, InvalidCommand, RuleViolation
from tests.support import (
    BURGEMEESTER,
    LT,
    LT2,
    LT2_REGISSEUR,
    MDA,
    READ,
    VT,
    Household,
)

POLITIE = {"actor_id": "pol-881", "organisation": "politie-rotterdam", "role": "politie"}
VT_ELSEWHERE = {"actor_id": "vt-200", "organisation": "vt-hollands-midden",
                "role": "vt_medewerker"}
SAFETY = "threat reported at the door; officers need the safety conditions now"


def access(actor: dict[str, str], purpose: str, **extra: Any) -> Access:
    return Access.model_validate({"actor": actor, "purpose": purpose, **extra})


def refused(app: HgkmApplication, case_id: Any, who: Access) -> AccessDenied:
    with pytest.raises(AccessDenied) as info:
        app.get_case(case_id, access=who)
    return info.value


def test_access_follows_involvement(app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()  # VT hands over to wijkteam-noord (LT)
    case_id = h.case_id
    assert app.get_case(case_id, access=access(VT, "triage")).phase.value == "directe_veiligheid"
    app.get_case(case_id, access=access(LT, "casusregie"))
    # the regisseur may not read for a purpose its involvement does not cover
    assert "does not cover" in refused(app, case_id, access(LT, "mda_consultation")).rule
    # another region's Veilig Thuis, another wijkteam, the police: no involvement
    for stranger in (VT_ELSEWHERE, LT2, POLITIE):
        error = refused(app, case_id, access(stranger, "case_work"))
        assert error.code == "ACCESS_DENIED" and "no involvement" in error.rule
    # a warm handover offer makes the receiving party involved
    app.offer_handover(h.cmd(actor=LT, to=LT2_REGISSEUR))
    app.get_case(case_id, access=access(LT2, "case_work"))
    # MDA++ only while the case is escalated
    refused(app, case_id, access(MDA, "mda_consultation"))
    app.escalate_to_mda(h.cmd(actor=VT))
    app.timeline(case_id, access=access(MDA, "mda_consultation"))
    # the burgemeester only for a huisverbod, once one is imposed
    refused(app, case_id, access(BURGEMEESTER, "huisverbod"))
    app.impose_huisverbod(h.cmd(actor=BURGEMEESTER, removed_person_id=str(h.perpetrator)))
    app.get_case(case_id, access=access(BURGEMEESTER, "huisverbod"))
    refused(app, case_id, access(BURGEMEESTER, "case_work"))
    # every query is checked, not only get_case
    stranger = access(POLITIE, "case_work")
    for read in (lambda: app.timeline(case_id, access=stranger),
                 lambda: app.case_events(case_id, access=stranger),
                 lambda: app.load_case(case_id, access=stranger),
                 lambda: app.state_as_of(case_id, clock.now(), access=stranger),
                 lambda: app.compare_as_of(case_id, clock.now(), access=stranger),
                 lambda: app.explain_event(case_id, 1, access=stranger),
                 lambda: app.open_deadlines(case_id=case_id, access=stranger),
                 lambda: app.classification(h.melding_id, access=stranger),  # type: ignore[arg-type]
                 lambda: app.read_person(h.victim, access=stranger)):
        with pytest.raises(AccessDenied):
            read()


def test_store_wide_reads_and_listings(app: HgkmApplication, clock: SettableClock,
                                       tmp_path: Path) -> None:
    here = Household(app, clock)
    here.melding()
    there = Household(app, clock, region="hollands-midden", gemeente="GM0546")
    there.melding(actor=VT_ELSEWHERE)
    mine = {c.case_id for c in app.list_cases(access=access(VT, "triage"))}
    assert mine == {here.case_id}
    assert {c.case_id for c in app.list_cases(access=READ)} == {here.case_id, there.case_id}
    with pytest.raises(AccessDenied):
        app.list_cases(access=access(VT, "triage"), region="hollands-midden")
    with pytest.raises(AccessDenied):
        app.list_cases(access=access(LT, "case_work"))
    assert {d.case_id for d in app.open_deadlines(access=access(VT, "triage"))} == {here.case_id}
    for store_wide in (lambda who: app.export_jsonl(tmp_path / "x.jsonl", access=who),
                       lambda who: app.verify(access=who),
                       lambda who: app.access_log(access=who)):
        with pytest.raises(AccessDenied):
            store_wide(access(VT, "export"))
    assert app.export_jsonl(tmp_path / "x.jsonl", access=READ).events > 0
    with pytest.raises(InvalidCommand) as info:
        app.get_case(here.case_id, access={"actor": VT, "purpose": "curiosity"})  # type: ignore[arg-type]
    assert info.value.fields == ["purpose"]
    with pytest.raises(CaseNotFound):
        app.get_case(uuid4(), access=READ)


def test_emergency_access_is_granted_recorded_counted_and_needs_a_decision_on_informing(
        app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.melding()
    no_reason = refused(app, h.case_id, access(POLITIE, "emergency"))
    assert "safety reason" in no_reason.rule
    before = app.monitor(access=READ).figure("access.emergency").numerator
    emergency = access(POLITIE, "emergency", safety_reason=SAFETY)
    view = app.get_case(h.case_id, access=emergency)
    (looked,) = view.emergency_accesses
    assert (looked.actor["actor_id"], looked.reason, looked.informed) == ("pol-881", SAFETY, None)
    # the case shows who looked and why; the monitor counts it
    entry = next(e for e in app.timeline(h.case_id, access=READ)
                 if e.event == "EmergencyAccessRecorded")
    assert entry.actor is not None and entry.actor["actor_id"] == "pol-881"
    assert entry.why == SAFETY and "emergency" in entry.rule
    assert app.monitor(access=READ).figure("access.emergency").numerator == before + 1
    # not informing the persons is a decision with a reason, taken once
    decision = h.cmd(actor=VT, access_id=looked.access_id, informed=False)
    with pytest.raises(InvalidCommand) as info:
        app.record_data_subjects_informed(decision)
    assert "reason_not_informed" in info.value.message or info.value.fields
    app.record_data_subjects_informed({**decision, "reason_not_informed":
                                       "informing the alleged perpetrator endangers the victim"})
    (looked,) = app.get_case(h.case_id, access=READ).emergency_accesses
    assert looked.informed is False and looked.reason_not_informed
    with pytest.raises(RuleViolation) as again:
        app.record_data_subjects_informed({**decision, "informed": True})
    assert again.value.code == "INFORMED_ALREADY_RECORDED"
    with pytest.raises(RuleViolation) as unknown:
        app.record_data_subjects_informed({**decision, "informed": True,
                                           "access_id": str(uuid4())})
    assert unknown.value.code == "EMERGENCY_ACCESS_NOT_FOUND"
    # the access log refers to the case event; the free-text reason is not in it
    logged = app.access_log(access=READ, case_id=h.case_id)
    emergency_entries = [e for e in logged if e.verdict == "emergency"]
    assert len(emergency_entries) == 1
    assert SAFETY not in json.dumps([e.as_dict() for e in logged])
    assert "EmergencyAccessRecorded" in (emergency_entries[0].safety_reason or "")


def test_every_read_and_refusal_is_logged_and_the_chain_finds_tampering(
        app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.melding()
    app.get_case(h.case_id, access=access(VT, "triage"))
    refused(app, h.case_id, access(LT2, "case_work"))
    app.timeline(h.case_id, access=READ)
    entries = app.access_log(access=READ, case_id=h.case_id)
    assert [(e.actor_id, e.organisation, e.role, e.resource, e.purpose, e.verdict)
            for e in entries] == [
        ("vt-017", "vt-rotterdam-rijnmond", "vt_medewerker", "case", "triage", "granted"),
        ("lt-044", "wijkteam-zuid", "lokaal_team", "case", "case_work", "refused"),
        ("test-auditor", "hgkm-test", "auditor", "timeline", "audit", "granted"),
    ]
    assert all(e.at == clock.now() and e.case_id == str(h.case_id) for e in entries)
    assert [e.actor_id for e in app.access_log(access=READ, actor_id="lt-044")] == ["lt-044"]
    assert app.verify_access_log(access=READ).ok
    # change an entry: found
    with app.engine.begin() as conn:
        conn.execute(access_log.update().where(access_log.c.seq == 2).values(verdict="granted"))
    result = app.verify_access_log(access=READ)
    assert not result.ok and any("entry 2 was changed" in p for p in result.problems)
    with app.engine.begin() as conn:
        conn.execute(access_log.update().where(access_log.c.seq == 2).values(verdict="refused"))
    assert app.verify_access_log(access=READ).ok
    # remove an entry in the middle, or the last one: found
    with app.engine.begin() as conn:
        conn.execute(access_log.delete().where(access_log.c.seq == 1))
    assert any("missing" in p for p in app.verify_access_log(access=READ).problems)
    with app.engine.begin() as conn:
        last = conn.execute(sa.select(sa.func.max(access_log.c.seq))).scalar_one()
        conn.execute(access_log.delete().where(access_log.c.seq == last))
    assert not app.verify_access_log(access=READ).ok


def test_cli_reads_state_who_reads_and_the_access_log_command(
        app: HgkmApplication, clock: SettableClock, store_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HGKM_ACTOR", "HGKM_ORGANISATION", "HGKM_ROLE", "HGKM_PURPOSE"):
        monkeypatch.delenv(name, raising=False)
    h = Household(app, clock)
    h.melding()
    runner = CliRunner()
    # the default: the local operator, an auditor reading for an audit
    ok = runner.invoke(cli, ["audit", "timeline", str(h.case_id), "--db", store_url])
    assert ok.exit_code == 0, ok.output
    denied = runner.invoke(cli, ["audit", "timeline", str(h.case_id), "--db", store_url,
                                 "--actor", "pol-881", "--organisation", "politie-rotterdam",
                                 "--role", "politie", "--purpose", "case_work"])
    assert denied.exit_code == 1 and "ACCESS_DENIED" in denied.output
    monkeypatch.setenv("HGKM_ACTOR", "vt-017")
    monkeypatch.setenv("HGKM_ORGANISATION", "vt-rotterdam-rijnmond")
    monkeypatch.setenv("HGKM_ROLE", "vt_medewerker")
    monkeypatch.setenv("HGKM_PURPOSE", "triage")
    assert runner.invoke(cli, ["cases", "list", "--db", store_url, "--json"]).exit_code == 0
    for name in ("HGKM_ACTOR", "HGKM_ORGANISATION", "HGKM_ROLE", "HGKM_PURPOSE"):
        monkeypatch.delenv(name)
    shown = runner.invoke(cli, ["access-log", "--db", store_url, "--case", str(h.case_id),
                                "--json"])
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.output)
    assert [(r["actor_id"], r["verdict"]) for r in rows] == [
        ("local-operator", "granted"), ("pol-881", "refused")]
    newest = runner.invoke(cli, ["access-log", "--db", store_url, "--case", str(h.case_id),
                                 "--json", "--limit", "1"])
    assert [r["actor_id"] for r in json.loads(newest.output)] == ["pol-881"]
    by_actor = runner.invoke(cli, ["access-log", "--db", store_url, "--actor", "vt-017"])
    assert by_actor.exit_code == 0 and "case_list" in by_actor.output
    intact = runner.invoke(cli, ["access-log", "verify", "--db", store_url])
    assert intact.exit_code == 0 and "intact" in intact.output
    # this test's store has no anchor: verify says what it therefore cannot see
    assert ("no anchor is configured" in intact.output) == (
        app.verify_access_log(access=READ).anchored_entries is None)
    with app.engine.begin() as conn:
        conn.execute(access_log.update().where(access_log.c.seq == 1).values(purpose="triage"))
    broken = runner.invoke(cli, ["access-log", "verify", "--db", store_url])
    assert broken.exit_code == 1 and "changed" in broken.output


def test_an_emergency_read_hands_out_a_copy_not_the_cached_case(
    app: HgkmApplication, clock: SettableClock
) -> None:
    """What an emergency reader holds cannot change the case or be changed under them."""
    h = Household(app, clock)
    h.to_directe_veiligheid()
    emergency = access(POLITIE, "emergency", safety_reason=SAFETY)
    held = app.load_case(h.case_id, access=emergency)
    version = held.version
    held.phase = "closed"                                  # a careless caller
    app.take_crisis_measure(h.cmd(actor=LT, measure="crisisopvang"))  # decided on the real state
    assert held.version == version                         # not moved under the reader
    replay = HgkmApplication(app.config.url, clock=clock, snapshot_interval=0, cache_size=0)
    try:
        assert app.load_case(h.case_id, access=READ).state_dict() == \
            replay.load_case(h.case_id, access=READ).state_dict()
    finally:
        replay.close()
