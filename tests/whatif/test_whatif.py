"""What-if replays (issue 18): the four examples, each on small cases checked by hand.

Every expectation below is worked out from the rules and the calendar in the comments, not
copied from the output. Each test runs on SQLite and PostgreSQL (the ``store_url`` fixture).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.domain.deadline_rules import NATIONAL_RULES
from hgkm_workflow.domain.rulebook import RuleBook, RuleOverride
from hgkm_workflow.settings import ClassificationSettings
from hgkm_workflow.whatif import WhatIfInputs, load_calendar, load_rules, with_settings
from hgkm_workflow.whatif.report import WhatIfReport
from tests.support import READ, VT, Household

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "whatif"
ONDERZOEK_DONE = {"result": "no_further_action", "conclusion": "not_confirmed"}


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def _deadline(report: WhatIfReport, rule: str, checkpoint: int | None = None) -> Any:
    found = [d for d in report.deadlines if d.rule_id == rule and d.checkpoint == checkpoint]
    assert len(found) == 1, [d.as_dict() for d in report.deadlines]
    return found[0]


def _figure(report: WhatIfReport, period: str, name: str) -> Any:
    p = next(p for p in report.periods if p.period == period)
    return next(f for f in p.figures if f.name == name)


def _live_tables(app: HgkmApplication) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows except the access log (a what-if is a logged read)."""
    with app.engine.connect() as conn:
        names = sorted(n for n in sa.inspect(conn).get_table_names()
                       if not n.startswith("hgkm_access_log"))
        return {n: sorted((tuple(map(repr, r)) for r in conn.execute(
            sa.text(f'SELECT * FROM "{n}"'))), key=repr) for n in names}


def _access_log_rows(app: HgkmApplication) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM hgkm_access_log")).scalar_one())


def _onderzoek_done_13_may(app: HgkmApplication, clock: SettableClock) -> None:
    """Melding Monday 2 March 2026; onderzoek from Monday 9 March, completed Wednesday 13 May."""
    h = Household(app, clock)
    h.melding()
    clock.set(_utc(2026, 3, 9, 9))
    h.assess("onderzoek")
    clock.set(_utc(2026, 5, 13, 10))
    app.complete_vt_service(h.cmd(**ONDERZOEK_DONE))


def test_t3_counted_from_receipt(make_app: Callable[..., HgkmApplication], store_url: str,
                                 clock: SettableClock) -> None:
    # Melding Monday 2 March 2026; the onderzoek starts Monday 9 March and is completed on
    # Wednesday 13 May. National T3: 10 weeks from the start = end of Monday 18 May (CEST),
    # met on time. Counted from receipt: end of Monday 11 May, so the completion is late.
    app = make_app(store_url)
    _onderzoek_done_13_may(app, clock)
    rules, label = load_rules(EXAMPLES / "t3-from-receipt.yaml", app.rules)
    before = _live_tables(app)
    logged = _access_log_rows(app)

    report = app.what_if(access=READ, inputs=WhatIfInputs(rules=rules, rules_label=label),
                         region="rotterdam-rijnmond")

    t3 = _deadline(report, "T3")
    assert t3.changed == ("due", "status")
    assert t3.before["due"] == "2026-05-18T21:59:59.999999+00:00"
    assert t3.after["due"] == "2026-05-11T21:59:59.999999+00:00"
    assert (t3.before["status"], t3.after["status"]) == ("met", "met_late")
    assert t3.before["rule"] == "T3 v1 (national)"
    assert t3.after["rule"] == "T3 v2 (whatif:t3-from-receipt)"
    assert "receipt" in t3.after["explanation"] and "receipt" not in t3.before["explanation"]
    assert [d.rule_id for d in report.deadlines] == ["T3"]  # T1 and T5b do not move
    on_time = _figure(report, "2026H1", "timeliness.T3.on_time")
    assert (on_time.before["numerator"], on_time.after["numerator"]) == (1, 0)
    assert on_time.before["denominator"] == on_time.after["denominator"] == 1
    assert report.classifications == () and report.refusals == ()
    again = app.what_if(access=READ, inputs=WhatIfInputs(rules=rules, rules_label=label),
                        region="rotterdam-rijnmond")
    assert again.as_dict() == report.as_dict()  # deterministic: same inputs, same report
    # the live store and its read models are unchanged; the read is in the access log
    assert _live_tables(app) == before
    assert _access_log_rows(app) == logged + 2  # each what-if is one logged read


def test_monitoring_checkpoints_3_6_12(make_app: Callable[..., HgkmApplication],
                                       store_url: str, clock: SettableClock) -> None:
    # The store was recorded under a regional rule book with T4 check-points at 6 and 12
    # months only. Monitoring starts with the handover on Tuesday 3 March 2026; one check is
    # recorded on 1 July. Recorded: the check meets the 6-month check-point (due 3 September).
    # With 3, 6 and 12: it meets the 3-month one late (due 3 June), and the 6-month one is
    # still open, and breached, at the end of the selection (1 October 2026).
    regional = RuleBook(NATIONAL_RULES).with_overrides(
        {"T4": RuleOverride(checkpoints=(6, 12))}, variant="region:test")
    app = make_app(store_url, rules=regional)
    h = Household(app, clock)
    h.melding()
    clock.set(_utc(2026, 3, 3, 9))
    h.assess("handover_local_team")
    clock.set(_utc(2026, 7, 1, 9))
    app.record_monitoring_check(h.cmd(safe=True))
    rules, label = load_rules(EXAMPLES / "monitoring-3-6-12.yaml", app.rules)
    clock.set(_utc(2026, 10, 1, 9))

    report = app.what_if(access=READ, inputs=WhatIfInputs(rules=rules, rules_label=label),
                         until=_utc(2026, 10, 1))

    three = _deadline(report, "T4", 3)
    assert three.changed == ("runs",) and three.before is None
    assert three.after["status"] == "met_late"
    assert three.after["due"].startswith("2026-06-03T21:59:59")
    six = _deadline(report, "T4", 6)
    assert (six.before["status"], six.after["status"]) == ("met", "open")
    assert (six.before["breached"], six.after["breached"]) == (False, True)
    assert six.before["due"] == six.after["due"]
    assert six.before["rule"] == "T4 v2 (region:test)"
    assert six.after["rule"] == "T4 v3 (whatif:monitoring-3-6-12)"
    assert {(d.rule_id, d.checkpoint) for d in report.deadlines} == {("T4", 3), ("T4", 6)}


def test_decreed_day_on_24_december(make_app: Callable[..., HgkmApplication], store_url: str,
                                    clock: SettableClock) -> None:
    # Melding Friday 18 December 2026. T1: 5 working days, the day of receipt not counted:
    # 21, 22, 23, 24 and (25, 26 Christmas, 27 Sunday) 28 December = end of Monday 28 December
    # (CET). With 24 December decreed: 21, 22, 23, 28, 29 = end of Tuesday 29 December. The
    # assessment on 29 December at 10:00 is late as recorded and on time under the decree.
    clock.set(_utc(2026, 12, 18, 9))
    app = make_app(store_url)
    h = Household(app, clock)
    h.melding()
    clock.set(_utc(2026, 12, 29, 10))
    h.assess("no_further_action")
    calendar = load_calendar(EXAMPLES / "decreed-24-december.yaml")

    report = app.what_if(access=READ, inputs=WhatIfInputs(calendar=calendar),
                         start=_utc(2026, 12, 1), until=_utc(2027, 1, 1))

    t1 = _deadline(report, "T1")
    assert t1.before["due"] == "2026-12-28T22:59:59.999999+00:00"
    assert t1.after["due"] == "2026-12-29T22:59:59.999999+00:00"
    assert (t1.before["status"], t1.after["status"]) == ("met_late", "met")
    assert (t1.before["calendar_version"], t1.after["calendar_version"]) == \
        ("atw-2", "atw-2-whatif-24dec")
    assert [s for s in t1.after["skipped"] if s.startswith("2026-12-24")] == [
        "2026-12-24 (Besluit gelijkstelling (what-if) van 24 december 2026 (Atw art. 3(3)))"]
    assert not [s for s in t1.before["skipped"] if s.startswith("2026-12-24")]
    on_time = _figure(report, "2026H2", "timeliness.T1.on_time")
    assert (on_time.before["numerator"], on_time.after["numerator"]) == (0, 1)
    assert report.after["calendar"] == "atw-2-whatif-24dec"


def test_two_year_lookback(make_app: Callable[..., HgkmApplication], store_url: str,
                           clock: SettableClock) -> None:
    # A father's first case ends on 4 March 2026 (no further action after the assessment).
    # On 1 September 2028 a melding in a new household names him: 2 years and 6 months later.
    # CBS (3 years): hermelding. With a two-year lookback (cutoff 1 September 2026): nieuw.
    app = make_app(store_url)
    old = Household(app, clock)
    old.melding()
    clock.set(_utc(2026, 3, 4, 9))
    old.assess("no_further_action")
    clock.set(_utc(2028, 9, 1, 8))
    new = Household(app, clock)
    new.perpetrator = old.perpetrator
    new.melding(melder_type="gezondheidszorg", persons=[
        {"person_id": str(old.perpetrator), "role": "alleged_perpetrator"},
        {"person_id": str(uuid.uuid4()), "role": "victim"}])
    settings = with_settings(ClassificationSettings(), lookback_years=2)

    report = app.what_if(access=READ, inputs=WhatIfInputs(classification=settings))

    assert [c.melding_id for c in report.classifications] == [str(new.melding_id)]
    change = report.classifications[0]
    assert change.before["classification"] == "hermelding"
    assert change.after["classification"] == "nieuw"
    assert change.before["settings"]["lookback_years"] == 3
    assert change.after["settings"]["lookback_years"] == 2
    share = _figure(report, "2028H2", "classification.hermelding")
    assert (share.before["numerator"], share.after["numerator"]) == (1, 0)
    assert report.deadlines == ()


def test_no_alternative_reproduces_the_live_store(make_app: Callable[..., HgkmApplication],
                                                  sqlite_url: str,
                                                  clock: SettableClock) -> None:
    # Replayed under its own rules, a store with breaches (ticked), late facts and a closure
    # shows no difference at all: the replay is faithful.
    app = make_app(sqlite_url)
    h = Household(app, clock)
    h.melding(acute=True)
    clock.set(_utc(2026, 3, 12, 9))
    app.tick()                                      # T1 and T2 breached
    h.assess("onderzoek")
    clock.set(_utc(2026, 6, 1, 9))
    app.tick()                                      # T3 (due 21 May) breached
    app.complete_vt_service(h.cmd(**ONDERZOEK_DONE))
    report = app.what_if(access=READ)
    assert report.cases == 1
    assert report.deadlines == () and report.classifications == () and report.refusals == ()
    assert all(p.moved == () for p in report.periods)


def test_refused_access_reads_nothing(make_app: Callable[..., HgkmApplication],
                                      sqlite_url: str, clock: SettableClock) -> None:
    from hgkm_workflow.errors import AccessDenied

    app = make_app(sqlite_url)
    Household(app, clock).melding()
    outsider = {"actor": {"actor_id": "x-1", "organisation": "elsewhere",
                          "role": "lokaal_team"}, "purpose": "case_work"}
    with pytest.raises(AccessDenied):
        app.what_if(access=outsider, region="rotterdam-rijnmond")


def test_a_rule_the_store_did_not_run(make_app: Callable[..., HgkmApplication], store_url: str,
                                      clock: SettableClock, tmp_path: Path) -> None:
    # T9 (help offered to both sides within 10 days of a huisverbod) is off nationally. The
    # burgemeester imposes a huisverbod on Monday 2 March 2026 at 12:00 UTC; help is offered to
    # the victim on 4 March and to the removed person on 11 March. Enabled, T9 would have run
    # from the imposition for 10 days to the same wall-clock time (end_of_day=False, like the
    # huisverbod itself): 12 March 12:00 UTC, and been met on 11 March.
    from tests.support import BURGEMEESTER, LT

    app = make_app(store_url)
    h = Household(app, clock)
    h.melding()
    h.assess("handover_local_team")
    clock.set(_utc(2026, 3, 2, 12))
    hid = str(app.impose_huisverbod(h.cmd(actor=BURGEMEESTER,
                                          removed_person_id=str(h.perpetrator)))
              .ids["huisverbod_id"])
    for day, person in ((4, h.victim), (11, h.perpetrator)):
        clock.set(_utc(2026, 3, day, 10))
        app.record_huisverbod_help_offered(h.cmd(actor=LT, huisverbod_id=hid,
                                                 person_id=str(person)))
    rules_file = tmp_path / "t9.yaml"
    rules_file.write_text("overrides:\n  T9: {enabled: true}\n", encoding="utf-8")
    rules, label = load_rules(rules_file, app.rules)

    report = app.what_if(access=READ, inputs=WhatIfInputs(rules=rules, rules_label=label))

    t9 = _deadline(report, "T9")
    assert t9.changed == ("runs",) and t9.before is None
    assert t9.after["due"] == "2026-03-12T12:00:00+00:00"
    assert (t9.after["status"], t9.after["met_at"]) == ("met", "2026-03-11T10:00:00+00:00")
    assert [d.rule_id for d in report.deadlines] == ["T9"]


def test_counted_roles_and_the_household_basis(make_app: Callable[..., HgkmApplication],
                                               store_url: str, clock: SettableClock) -> None:
    # A household's first case ends on 4 March 2026 (no further action). On 1 June 2026:
    # (a) a melding in another household names the first household's child (as a child) and a
    #     new victim: a hermelding through the child under CBS (every role counts); counting
    #     only victims and alleged perpetrators, the child does not count: nieuw;
    # (b) a melding on the first household's own case names two persons new to VT: nieuw on
    #     the persons basis; a hermelding on the household basis (the case's VT involvement
    #     ended within the lookback).
    app = make_app(store_url)
    first = Household(app, clock)
    first.melding()
    clock.set(_utc(2026, 3, 4, 9))
    first.assess("no_further_action")
    clock.set(_utc(2026, 6, 1, 8))
    other = Household(app, clock)
    other.melding(melder_type="onderwijs", persons=[
        {"person_id": str(first.child), "role": "child"},
        {"person_id": str(uuid.uuid4()), "role": "victim"}])
    clock.set(_utc(2026, 6, 1, 9))
    first.melding(melder_type="burger", persons=[
        {"person_id": str(uuid.uuid4()), "role": "victim"},
        {"person_id": str(uuid.uuid4()), "role": "alleged_perpetrator"}])

    roles = app.what_if(access=READ, inputs=WhatIfInputs(classification=with_settings(
        ClassificationSettings(), roles=["victim", "alleged_perpetrator"])))
    assert [(c.melding_id, c.before["classification"], c.after["classification"])
            for c in roles.classifications] == [(str(other.melding_id), "hermelding", "nieuw")]

    household = app.what_if(access=READ, inputs=WhatIfInputs(classification=with_settings(
        ClassificationSettings(), basis="household")))
    assert [(c.melding_id, c.before["classification"], c.after["classification"])
            for c in household.classifications] == [(str(first.melding_id), "nieuw",
                                                     "hermelding")]


def test_figures_are_safe_by_default_for_a_reader_without_exact_cells(
        make_app: Callable[..., HgkmApplication], store_url: str, clock: SettableClock) -> None:
    # The T3 example again, read by Veilig Thuis of the region: it may list the region's
    # cases, but not exact small cells. The per-case lists would show what the suppressed
    # cell hides (the one deadline that moved), so by default they are withheld, as the
    # monitor's restatement withholds its moved deadlines; asked for, they are the same.
    app = make_app(store_url)
    _onderzoek_done_13_may(app, clock)
    rules, label = load_rules(EXAMPLES / "t3-from-receipt.yaml", app.rules)
    vt_reader = {"actor": VT, "purpose": "triage"}
    inputs = WhatIfInputs(rules=rules, rules_label=label)
    exact = app.what_if(access=READ, inputs=inputs, region="rotterdam-rijnmond")
    safe = app.what_if(access=vt_reader, inputs=inputs, region="rotterdam-rijnmond")
    listed = app.what_if(access=vt_reader, inputs=inputs, region="rotterdam-rijnmond",
                         case_lists=True)

    assert exact.deadlines and not exact.case_lists_withheld
    assert safe.case_lists_withheld and safe.as_dict()["case_lists_withheld"] is True
    assert (safe.deadlines, safe.classifications, safe.refusals) == ((), (), ())
    assert safe.as_dict()["deadlines"] == []
    assert not listed.case_lists_withheld
    assert [d.as_dict() for d in listed.deadlines] == [d.as_dict() for d in exact.deadlines]
    assert [p.as_dict() for p in listed.periods] == [p.as_dict() for p in safe.periods]
    exact_t3 = _figure(exact, "2026H1", "timeliness.T3.on_time")
    safe_t3 = _figure(safe, "2026H1", "timeliness.T3.on_time")
    assert not exact_t3.suppressed and exact_t3.moved == -1
    assert safe_t3.suppressed and safe_t3.moved == 0  # 1 of 1 would single out a household
    assert safe_t3.before["numerator"] == 0 and safe_t3.after["suppressed"] is True
    moved = next(p for p in safe.periods if p.period == "2026H1").moved
    assert "timeliness.T3.on_time" not in {f.name for f in moved}
