"""Restating timeliness (issue 15): T1 on time and breaches as known at a recording instant
beside as known now, with the deadlines that moved and why — on SQLite and PostgreSQL.

The clock starts on Monday 2 March 2026, 09:00 UTC; T1 (veiligheidsbeoordeling, 5 working
days) of a melding received then is due on Monday 9 March.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.cli import app as cli
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.monitor.html import render_html
from hgkm_workflow.projections.deadline_history import RESTATED_RULES, deadline_states
from hgkm_workflow.projections.deadline_index import deadlines
from tests.e2e.test_auditor_recompute import _drive
from tests.support import READ, Household

KNOWN_AT = datetime(2026, 3, 11, 12, tzinfo=UTC)


def _two_late_assessments(app: HgkmApplication,
                          clock: SettableClock) -> tuple[Household, Household]:
    """Both T1 deadlines breach on 10 March; on 12 March one assessment is registered that
    was decided on 6 March (on time: the breach is withdrawn), another decided on 11 March
    after the instant (late: the breach stays)."""
    on_time, late = Household(app, clock), Household(app, clock)
    on_time.melding()
    late.melding()
    clock.set(datetime(2026, 3, 10, 9, tzinfo=UTC))
    app.tick()
    clock.set(datetime(2026, 3, 12, 9, tzinfo=UTC))
    on_time.assess("no_further_action",
                   occurred_at=datetime(2026, 3, 6, 9, tzinfo=UTC).isoformat())
    late.assess("no_further_action",
                occurred_at=datetime(2026, 3, 11, 9, tzinfo=UTC).isoformat())
    return on_time, late


def test_a_late_registered_assessment_withdraws_a_breach_in_the_restatement(
    app: HgkmApplication, clock: SettableClock
) -> None:
    on_time, late = _two_late_assessments(app, clock)
    report = app.monitor(access=READ, period="2026-03", as_known_at=KNOWN_AT)
    assert report.restatement is not None and report.restatement.timeliness is not None
    t = report.restatement.timeliness
    breaches, share = t.figure("timeliness.T1.breaches"), t.figure("timeliness.T1.on_time")
    assert (breaches.then, breaches.now) == (2, 1)            # one breach withdrawn
    assert (share.then, share.then_of) == (0, 0)              # nothing was met as known then
    assert (share.now, share.now_of) == (1, 2)                # one on time, one late now
    # the restated "now" agrees with the report's own figure
    headline = report.figure("timeliness.T1.on_time")
    assert (headline.numerator, headline.denominator) == (share.now, share.now_of)
    moved = {m.case_id: m for m in t.moved}
    assert set(moved) == {str(on_time.case_id), str(late.case_id)}
    withdrawn = moved[str(on_time.case_id)]
    assert (withdrawn.rule_id, withdrawn.then, withdrawn.now) == (
        "T1", "open, breach recorded", "met")
    kinds = {r.split(" of ")[0]: r for r in withdrawn.reasons}
    assert set(kinds) == {"DeadlineMet", "DeadlineBreachWithdrawn"}
    assert "business time 2026-03-06T09:00" in kinds["DeadlineMet"]
    assert f"of case {on_time.case_id}" in kinds["DeadlineMet"]
    assert moved[str(late.case_id)].now == "met_late, breach recorded"
    data = report.as_dict()["restatement"]["timeliness"]
    assert data["moved_count"] == 2
    before = app.monitor(access=READ, period="2026-02", as_known_at=KNOWN_AT)
    assert before.restatement is not None and before.restatement.timeliness is not None
    assert before.restatement.timeliness.moved == ()  # March's deadlines are not February's
    assert all(f.then == f.now == 0 for f in before.restatement.timeliness.figures)
    row = next(f for f in data["figures"] if f["name"] == "timeliness.T1.breaches")
    assert (row["then"], row["now"], row["change"]) == (2, 1, -1)


def test_as_known_now_nothing_moves_and_a_suppressed_copy_lists_no_deadline(
    app: HgkmApplication, clock: SettableClock
) -> None:
    on_time, _ = _two_late_assessments(app, clock)
    later = app.monitor(access=READ, period="2026-03", as_known_at=clock.now()
                        + timedelta(hours=1))
    assert later.restatement is not None and later.restatement.timeliness is not None
    assert later.restatement.timeliness.moved == ()
    assert all(f.then == f.now for f in later.restatement.timeliness.figures)
    shown = app.monitor(access=READ, period="2026-03", as_known_at=KNOWN_AT, min_cell=10)
    assert shown.restatement is not None and shown.restatement.timeliness is not None
    t = shown.restatement.timeliness
    assert t.moved == () and t.moved_withheld
    assert t.figure("timeliness.T1.breaches").suppressed
    assert str(on_time.case_id) not in str(shown.as_dict())


def test_html_and_cli_show_the_timeliness_restatement(
    sqlite_app: HgkmApplication, sqlite_url: str, clock: SettableClock, tmp_path: Path
) -> None:
    on_time, _ = _two_late_assessments(sqlite_app, clock)
    report = sqlite_app.monitor(access=READ, period="2026-03", as_known_at=KNOWN_AT)
    page = render_html(report)
    section = page[page.index('<section id="herziening">'):]
    assert "Tijdigheid" in section and "timeliness.T1.breaches" in section
    assert "0 van 0" in section and "1 van 2" in section and "2 termijn(en) verschoven" in section
    assert str(on_time.case_id) in section and "DeadlineBreachWithdrawn" in section
    hidden = render_html(report.suppress_small_cells(10))
    assert str(on_time.case_id) not in hidden and "te weinig meldingen" in hidden
    assert "herziening" not in render_html(sqlite_app.monitor(access=READ, period="2026-04"))
    result = CliRunner().invoke(cli, ["monitor", "--db", sqlite_url, "--period", "2026-03",
                                      "--min-cell", "0", "--as-known-at",
                                      KNOWN_AT.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)["restatement"]["timeliness"]
    assert {f["name"]: (f["then"], f["now"]) for f in data["figures"]}[
        "timeliness.T1.breaches"] == (2, 1)
    result = CliRunner().invoke(cli, ["monitor", "--db", sqlite_url, "--period", "2026-03",
                                      "--min-cell", "0", "--as-known-at", KNOWN_AT.isoformat()])
    assert result.exit_code == 0 and "timeliness.T1.on_time" in result.output
    assert "2 deadline(s) moved" in result.output


def test_the_history_folded_as_known_now_agrees_with_rm_deadlines(
    app: HgkmApplication, clock: SettableClock
) -> None:
    """Every tracked deadline, folded from its history, is the row rm_deadlines holds."""
    _two_late_assessments(app, clock)
    _drive(app, clock, 11, 120)  # late registrations, closures, reopenings, services
    app.catch_up()
    d = deadlines
    with app.engine.connect() as conn:
        states = deadline_states(conn, RESTATED_RULES)
        rows = conn.execute(sa.select(d).where(d.c.rule_id.in_(sorted(RESTATED_RULES)),
                                               d.c.checkpoint.is_(None))).mappings().all()
    assert len(rows) > 20 and {r["status"] for r in rows} >= {"met", "open"}
    assert {r["deadline_id"]: (r["status"], r["met_at"], r["breached_at"] is not None,
                               r["due"]) for r in rows} == {
        k: (s.status, s.met_at, s.breached, s.due) for k, s in states.items()}
