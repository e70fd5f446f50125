"""Audit and replay on SQLite and PostgreSQL: timeline, as-of, explain, verify (API and CLI).

The clock starts on Monday 2 March 2026, 09:00 UTC (10:00 in Amsterdam).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.audit import (
    EventNotFound,
    business_times,
    compare_as_of,
    explain_event,
    state_as_of,
    timeline,
    verify,
)
from hgkm_workflow.cli import app as cli
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import CaseNotFound
from hgkm_workflow.projections.cases import cases
from tests.support import BURGEMEESTER, LT, READ, Household, poison_event

runner = CliRunner()
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _late_registered(app: HgkmApplication, clock: SettableClock) -> Household:
    """A case that left directe veiligheid on day 7, registered only on day 10."""
    h = Household(app, clock)
    h.to_directe_veiligheid()                       # day 0: melding and handover
    h.advance(days=10)
    app.confirm_acute_unsafety_removed(h.cmd(actor=LT, occurred_at=(T0 + timedelta(days=7))
                                             .isoformat()))
    app.complete_directe_veiligheid(h.cmd(actor=LT, occurred_at=(T0 + timedelta(days=7))
                                          .isoformat()))
    return h


def test_timeline_lines_say_when_who_what_why_and_deadline_details(
        app: HgkmApplication, clock: SettableClock) -> None:
    h = _late_registered(app, clock)
    assert h.case_id is not None
    entries = timeline(app, h.case_id, access=READ)
    assert app.timeline(h.case_id, access=READ) == entries
    assert [e.version for e in entries] == list(range(1, len(entries) + 1))
    t1 = next(e for e in entries if e.event == "DeadlineStarted" and "T1" in e.what)
    assert "due 2026-03-09 23:59" in t1.what and "skipped 2026-03-07 (Saturday)" in t1.what
    assert "calendar atw-" in t1.what
    assess = next(e for e in entries if e.event == "VeiligheidsbeoordelingCompleted")
    assert assess.actor is not None and assess.actor["role"] == "vt_medewerker"
    assert "decided in the team meeting" in assess.line()
    assert assess.rule.startswith("veiligheidsbeoordeling")
    late = next(e for e in entries if e.event == "PhaseChanged" and "risicogestuurde" in e.what)
    assert late.at == T0 + timedelta(days=7)                   # business time
    assert late.recorded_at == T0 + timedelta(days=10)         # recording time
    assert "lt-003 (wijkteam-noord, lokaal_team)" in late.line()


def test_business_times_follow_the_decision_and_the_due_instant(
        app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.melding()
    clock.advance(timedelta(days=20))
    app.tick()
    assert h.case_id is not None
    events = app.case_events(h.case_id, access=READ)
    pairs = list(zip(events, business_times(events), strict=True))
    breaches = [(e, t) for e, t in pairs if type(e).__name__ == "DeadlineBreached"]
    assert breaches
    for breach, when in breaches:
        assert when == breach.due                                 # true from the due instant
        assert breach.timestamp == T0 + timedelta(days=20)        # known at the tick
    assert all(t == T0 for e, t in pairs if type(e).__name__ == "DeadlineStarted")


def test_as_of_distinguishes_what_was_true_from_what_was_known(
        app: HgkmApplication, clock: SettableClock) -> None:
    h = _late_registered(app, clock)
    assert h.case_id is not None
    day8 = T0 + timedelta(days=8)
    business = state_as_of(app, h.case_id, day8, access=READ)
    recorded = state_as_of(app, h.case_id, day8, basis="recorded", access=READ)
    assert business.state["phase"] == "risicogestuurde_zorg"
    assert recorded.state["phase"] == "directe_veiligheid"
    assert recorded.state["sub_state"] == "plan_active"
    both = compare_as_of(app, h.case_id, day8, access=READ)
    assert app.compare_as_of(h.case_id, day8, access=READ).as_dict() == both.as_dict()
    assert both.differ
    fields = {d["field"] for d in both.differences}
    assert {"phase", "sub_state"} <= fields
    assert [e.event for e in both.late_facts] == ["AcuteUnsafetyRemoved", "PhaseChanged"]
    # After the registration both agree again; before the opening there was no case.
    assert not compare_as_of(app, h.case_id, T0 + timedelta(days=11), access=READ).differ
    before = state_as_of(app, h.case_id, T0 - timedelta(hours=1), access=READ)
    assert not before.existed and before.version is None and before.state == {}


def test_as_of_shows_a_huisverbod_that_ran_out_before_it_was_recorded(
        app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.melding(acute=True)
    app.impose_huisverbod(h.cmd(actor=BURGEMEESTER, removed_person_id=str(h.perpetrator)))
    clock.advance(timedelta(days=12))
    app.tick()                                       # records the expiry at day 10
    assert h.case_id is not None
    day11 = T0 + timedelta(days=11)
    business = state_as_of(app, h.case_id, day11, access=READ).state["huisverboden"][0]
    recorded = state_as_of(app, h.case_id, day11, "recorded", access=READ).state["huisverboden"][0]
    assert business["state"] == "expired" and not business["in_force"]
    assert recorded["state"] == "imposed" and not recorded["in_force"]   # ran out, unrecorded
    open_recorded = state_as_of(app, h.case_id, day11, "recorded",
                                access=READ).state["open_deadlines"]
    # T2 was met by the huisverbod; the contact address (T8, 24 hours) was never given
    t8 = next(d for d in open_recorded if d["rule_id"] == "T8")
    assert t8["overdue"] and not t8["breach_recorded"]
    # in business time the duty ended with the huisverbod on day 10: T8 is no longer open ...
    open_business = state_as_of(app, h.case_id, day11, access=READ).state["open_deadlines"]
    assert all(d["rule_id"] != "T8" for d in open_business)
    # ... and on day 9 it was open, overdue and (in business time) already breached
    day9 = T0 + timedelta(days=9)
    t8_day9 = next(d for d in state_as_of(app, h.case_id, day9, access=READ)
                   .state["open_deadlines"] if d["rule_id"] == "T8")
    assert t8_day9["overdue"] and t8_day9["breach_recorded"]


def test_explain_a_deadline_decision(app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.melding()
    assert h.case_id is not None
    events = app.case_events(h.case_id, access=READ)
    version = next(e.originator_version for e in events
                   if type(e).__name__ == "DeadlineStarted" and e.deadline["rule_id"] == "T1")
    x = explain_event(app, h.case_id, version, access=READ)
    assert app.explain_event(h.case_id, version, access=READ).as_dict() == x.as_dict()
    assert x.event == "DeadlineStarted" and x.rule == "T1 veiligheidsbeoordeling"
    assert x.rule_version == 1 and x.stored_class_version == 1
    d = x.deadlines[0]
    assert d["calendar_version"].startswith("atw-")
    assert "5 working days" in d["counting"]
    assert [s["date"] for s in d["skipped"]] == ["2026-03-07", "2026-03-08"]
    assert d["recomputation_matches"] is True
    assert x.state_before is None                    # the decision opened the case
    assert [e["event"] for e in x.decision][:3] == ["Opened", "MeldingReceived", "PhaseChanged"]
    json.dumps(x.as_dict())                          # JSON-ready


def test_explain_a_decision_names_actor_inputs_state_and_consequences(
        app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.melding()
    h.advance(days=1)
    h.assess("handover_local_team")
    assert h.case_id is not None
    version = next(e.originator_version for e in app.case_events(h.case_id, access=READ)
                   if type(e).__name__ == "VeiligheidsbeoordelingCompleted")
    x = explain_event(app, h.case_id, version, access=READ)
    assert x.actor is not None and x.actor["actor_id"] == "vt-017"
    assert x.rationale == "decided in the team meeting"
    assert x.inputs["outcome"] == "handover_local_team"
    assert x.state_before is not None and x.state_before["phase"] == "triage"
    assert {d["rule_id"] for d in x.state_before["open_deadlines"]} == {"T1", "T10"}
    names = [e["event"] for e in x.decision]
    assert names[0] == "VeiligheidsbeoordelingCompleted" and "PhaseChanged" in names
    assert {d["rule_id"] for d in x.deadlines} >= {"T1", "T4", "T5"}
    met = next(d for d in x.deadlines if d["rule_id"] == "T1")
    assert [h["event"] for h in met["history"]] == ["DeadlineMet"]


def test_explain_refuses_unknown_versions_and_cases(app: HgkmApplication,
                                                    clock: SettableClock) -> None:
    h = Household(app, clock)
    h.melding()
    assert h.case_id is not None
    with pytest.raises(EventNotFound):
        explain_event(app, h.case_id, 999, access=READ)
    with pytest.raises(CaseNotFound):
        explain_event(app, uuid4(), 1, access=READ)
    with pytest.raises(CaseNotFound):
        state_as_of(app, uuid4(), T0, access=READ)


def test_verify_passes_and_reports_progress(app: HgkmApplication, clock: SettableClock) -> None:
    for _ in range(3):
        Household(app, clock).to_waakvlam()
    calls: list[tuple[str, int, int]] = []
    report = verify(app, access=READ,
                    progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert report.ok, report.as_dict()
    assert report.aggregates == 3 and report.events > 60
    assert report.tables["rm_cases"] == 3 and report.tables["rm_deadlines"] > 0
    assert ("replay", 3, 3) in calls and any(c[0] == "read models" for c in calls)
    assert app.verify(access=READ).ok


def test_verify_finds_a_tampered_view(app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    other = Household(app, clock)
    other.melding()
    app.catch_up()
    with app.engine.begin() as conn:
        conn.execute(sa.update(cases).where(cases.c.case_id == str(h.case_id))
                     .values(phase="herstel"))
        conn.execute(sa.delete(cases).where(cases.c.case_id == str(other.case_id)))
    report = verify(app, access=READ)
    assert not report.ok
    kinds = {(d.kind, d.where.split("[")[0]) for d in report.differences}
    assert ("row_differs", "rm_cases") in kinds and ("row_missing", "rm_cases") in kinds
    differs = next(d for d in report.differences if d.kind == "row_differs")
    assert "phase: live 'herstel' != rebuilt 'directe_veiligheid'" in differs.detail


def test_verify_in_worker_processes_reports_what_the_serial_replay_reports(
        app: HgkmApplication, clock: SettableClock) -> None:
    households = [Household(app, clock) for _ in range(6)]
    for n, h in enumerate(households):
        h.to_waakvlam() if n % 2 else h.to_directe_veiligheid()
    clean_serial = verify(app, access=READ)
    clean_parallel = verify(app, access=READ, workers=3)
    assert clean_serial.ok and clean_parallel.ok
    assert (clean_parallel.aggregates, clean_parallel.events) == (
        clean_serial.aggregates, clean_serial.events) and clean_serial.aggregates == 6

    poison_event(app, households[4].case_id)
    app.repository.cache = None  # the loads below must come from the store
    serial = verify(app, access=READ)
    calls: list[tuple[str, int, int]] = []
    parallel = verify(app, access=READ, workers=3,
                      progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert not serial.ok
    assert [d.as_dict() for d in parallel.differences] == [
        d.as_dict() for d in serial.differences]
    assert any(d.kind == "error" and d.where == str(households[4].case_id)
               for d in parallel.differences)
    assert (parallel.aggregates, parallel.events) == (serial.aggregates, serial.events)
    assert ("replay", 6, 6) in calls


def test_cli_audit_commands(app: HgkmApplication, clock: SettableClock) -> None:
    h = _late_registered(app, clock)
    url = app.config.url
    case = str(h.case_id)
    out = runner.invoke(cli, ["audit", "timeline", case, "--db", url])
    assert out.exit_code == 0, out.output
    assert "v1 " in out.output and "veiligheidsbeoordeling" in out.output
    data = json.loads(runner.invoke(cli, ["audit", "timeline", case, "--db", url,
                                          "--json"]).output)
    assert data[0]["event"] == "Opened" and {"at", "recorded_at", "actor", "why",
                                               "rule"} <= set(data[0])
    as_of = runner.invoke(cli, ["audit", "as-of", case, "--at", "2026-03-10T09:00:00Z",
                                "--db", url])
    assert as_of.exit_code == 0, as_of.output
    assert "true then" in as_of.output and "Registered later" in as_of.output
    as_of_json = json.loads(runner.invoke(cli, ["audit", "as-of", case, "--at",
                                                "2026-03-10T09:00:00Z", "--db", url,
                                                "--json"]).output)
    assert as_of_json["differ"] is True
    assert as_of_json["business"]["state"]["phase"] == "risicogestuurde_zorg"
    explain = runner.invoke(cli, ["audit", "explain", case, "--event", "4", "--db", url])
    assert explain.exit_code == 0, explain.output
    assert "calendar" in explain.output and "recomputed" in explain.output
    explain_json = json.loads(runner.invoke(cli, ["audit", "explain", case, "--event", "4",
                                                  "--db", url, "--json"]).output)
    assert explain_json["event"] == "DeadlineStarted"
    missing = runner.invoke(cli, ["audit", "explain", case, "--event", "500", "--db", url])
    assert missing.exit_code == 2 and "EVENT_NOT_FOUND" in missing.output
    naive = runner.invoke(cli, ["audit", "as-of", case, "--at", "2026-03-10T09:00", "--db", url])
    assert naive.exit_code != 0
    ok = runner.invoke(cli, ["audit", "verify", "--db", url])
    assert ok.exit_code == 0 and "OK" in ok.output
    with app.engine.begin() as conn:
        conn.execute(sa.update(cases).values(loop_backs=7))
    bad = runner.invoke(cli, ["audit", "verify", "--db", url, "--json"])
    assert bad.exit_code == 1
    assert json.loads(bad.output)["ok"] is False
