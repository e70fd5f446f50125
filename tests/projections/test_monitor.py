"""Monitor figures checked by hand on a small March 2026 scenario, on both backends.

The scenario (all instants UTC; Amsterdam is UTC+1 in March):

* A (GM0599, politie, acute) 2 Mar 09:00; crisis measure 09:30; huisverbod 10:00, contact
  address 20:00 (T8 on time), extended 5 Mar; assessed 3 Mar 09:00 → handover (T1 on time,
  monitoring starts); ervaringsdeskundige 6 Mar; plegeraanbod 6 Mar, accepted 9 Mar;
  directe veiligheid → risicogestuurde zorg 10 Mar 09:00; loop-back 16 Mar 09:00.
* A2: vervolgmelding on A's case (lokaal_veld) 12 Mar 09:00, during monitoring; assessed
  17 Mar 09:00, no further action (T1 on time).
* B (GM0599, burger) 2 Mar 12:00; assessed 13 Mar 09:00 → onderzoek: T1 due 9 Mar 22:59:59.999999,
  so 3 days 10 hours (and a microsecond) late; escalated to MDA++ 20 Mar.
* C (GM0606, gezondheidszorg) 4 Mar 09:00; assessed 5 Mar 09:00, no further action → closed.
* Advies D (GM0599, onderwijs) 4 Mar, converted 6 Mar 09:00 into melding D; never assessed
  (T1 due 13 Mar: an open breach at the end of March).
* Advies E 4 Mar, never converted.
* F (GM0606, politie) 20 Mar 09:00 about C's victim: a hermelding; T1 due 27 Mar, breached.
* G (haaglanden, GM0518, politie) 25 Mar 09:00; T1 due 1 April, not yet breached.
* H 1 April 08:00 (already April in Amsterdam): outside March.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.monitor import InvalidPeriod, MonitorReport, Period, monitor_report
from tests.support import BURGEMEESTER, LT, READ, VT, Household


def at(day: int, hour: int = 9, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def scenario(app: HgkmApplication, clock: SettableClock) -> dict[str, Any]:
    """Drive the scenario above; return the households."""
    def when(instant: datetime) -> None:
        clock.set(instant)

    when(at(2))
    a = Household(app, clock)
    a.melding(acute=True)
    when(at(2, 9, 30))
    app.take_crisis_measure(a.cmd(measure="politie_inzet"))
    when(at(2, 10))
    hv = app.impose_huisverbod(a.cmd(actor=BURGEMEESTER, removed_person_id=str(a.perpetrator)))
    hid = str(hv.ids["huisverbod_id"])
    when(at(2, 12))
    b = Household(app, clock)
    b.melding(melder_type="burger")
    when(at(2, 20))
    app.record_contact_address_given(a.cmd(huisverbod_id=hid))
    when(at(3))
    a.assess("handover_local_team")
    when(at(4))
    c = Household(app, clock, gemeente="GM0606")
    c.melding(melder_type="gezondheidszorg")
    advies = {"actor": VT, "rationale": "school asks for advice", "region": "rotterdam-rijnmond",
              "gemeente": "GM0599", "melder_type": "onderwijs",
              "forms_of_violence": ["kindermishandeling"]}
    advies_d = app.record_advies(advies).aggregate_id
    app.record_advies(advies)
    when(at(5))
    c.assess("no_further_action")
    app.extend_huisverbod(a.cmd(actor=BURGEMEESTER, huisverbod_id=hid,
                                new_end=at(22, 10).isoformat()))
    when(at(6))
    d = app.convert_advies_to_melding({
        "actor": VT, "rationale": "advice became a melding", "advies_id": str(advies_d),
        "region": "rotterdam-rijnmond", "gemeente": "GM0599", "melder_type": "onderwijs",
        "persons": [{"person_id": str(uuid.uuid4()), "role": "child"},
                    {"person_id": str(uuid.uuid4()), "role": "alleged_perpetrator"}],
        "forms_of_violence": ["kindermishandeling"]})
    app.involve_ervaringsdeskundige(a.cmd(actor=LT))
    app.offer_plegeraanbod(a.cmd(actor=LT, person_id=str(a.perpetrator)))
    when(at(9))
    app.respond_to_plegeraanbod(a.cmd(actor=LT, person_id=str(a.perpetrator), accepted=True))
    when(at(10))
    app.confirm_acute_unsafety_removed(a.cmd(actor=LT))
    app.complete_directe_veiligheid(a.cmd(actor=LT, open_deadline_reason="huisverbod still "
                                                                         "running as planned"))
    when(at(12))
    a2 = Household(app, clock)
    a2.melding(persons=[{"person_id": str(a.child), "role": "child"}], melder_type="lokaal_veld")
    assert a2.case_id == a.case_id
    when(at(13))
    b.assess("onderzoek")
    when(at(16))
    app.loop_back(a.cmd(actor=LT, cause="new_incident"))
    when(at(17))
    a2.assess("no_further_action")
    when(at(20))
    app.escalate_to_mda(b.cmd())
    f = Household(app, clock, gemeente="GM0606")
    f.melding(persons=[{"person_id": str(c.victim), "role": "victim"},
                       {"person_id": str(uuid.uuid4()), "role": "alleged_perpetrator"}])
    when(at(25))
    g = Household(app, clock, region="haaglanden", gemeente="GM0518")
    g.melding()
    when(at(1, 8, month=4))
    h = Household(app, clock)
    h.melding()
    when(at(2, 12, month=4))
    return {"a": a, "a2": a2, "b": b, "c": c, "d": d, "f": f, "g": g, "h": h}


def check(report: MonitorReport, name: str, num: float, den: float | None) -> None:
    f = report.figure(name)
    assert (f.numerator, f.denominator) == (num, den), name


@pytest.fixture
def march(app: HgkmApplication, clock: SettableClock) -> tuple[HgkmApplication, MonitorReport]:
    scenario(app, clock)
    return app, app.monitor(access=READ, period="2026-03")


def test_volume_classification_melder_types(march: tuple[HgkmApplication, Any]) -> None:
    _, r = march
    assert r.as_of == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
    check(r, "meldingen", 7, None)
    assert r.figure("meldingen").value == 7
    check(r, "meldingen.acute", 1, 7)
    check(r, "meldingen.from_advies", 1, 7)
    check(r, "crisis.share", 1, 7)
    check(r, "adviezen", 2, None)
    check(r, "adviezen.converted", 1, 2)
    check(r, "classification.nieuw", 5, 7)
    check(r, "classification.vervolgmelding", 1, 7)
    check(r, "classification.vervolgmelding.during_monitoring", 1, 7)
    check(r, "classification.vervolgmelding.during_assessment", 0, 7)
    check(r, "classification.vervolgmelding.after_assessment", 0, 7)
    check(r, "classification.hermelding", 1, 7)
    assert r.figure("classification.hermelding").value == pytest.approx(1 / 7)
    for melder, n in {"politie": 3, "burger": 1, "gezondheidszorg": 1, "onderwijs": 1,
                      "lokaal_veld": 1, "anoniem": 0}.items():
        check(r, f"melder_type.{melder}", n, 7)
    check(r, "gemeente.GM0599", 4, 7)
    check(r, "gemeente.GM0606", 2, 7)
    check(r, "gemeente.GM0518", 1, 7)


def test_outcomes_and_timeliness(march: tuple[HgkmApplication, Any]) -> None:
    _, r = march
    check(r, "assessments", 4, None)
    check(r, "outcome.handover_local_team", 1, 4)
    check(r, "outcome.no_further_action", 2, 4)
    check(r, "outcome.onderzoek", 1, 4)
    check(r, "outcome.crisis_intervention", 0, 4)
    check(r, "vt_services.onderzoek", 1, None)
    check(r, "timeliness.T1.on_time", 3, 4)
    late = r.figure("timeliness.T1.days_late")
    assert late.denominator == 1
    assert late.value == pytest.approx(3 + 10 / 24, abs=1e-6)
    check(r, "timeliness.T1.closed_unmet", 0, 4)
    check(r, "timeliness.T1.open_breaches", 2, 3)  # D and F past due; G not yet
    check(r, "timeliness.T3.on_time", 0, 0)
    assert r.figure("timeliness.T3.on_time").value is None
    check(r, "timeliness.T3.open_breaches", 0, 1)
    check(r, "timeliness.T8.on_time", 1, 1)


def test_phases_flow_and_case_measures(march: tuple[HgkmApplication, Any]) -> None:
    _, r = march
    check(r, "occupancy.triage", 3, 5)  # D, F, G
    check(r, "occupancy.directe_veiligheid", 2, 5)  # A (after its loop-back), B
    check(r, "occupancy.risicogestuurde_zorg", 0, 5)
    triage = r.figure("phase_time.triage")  # A 1 day, C 1 day, B 10 days 21 hours
    assert triage.denominator == 3
    assert triage.numerator == pytest.approx(1 + 1 + 10 + 21 / 24, abs=1e-6)
    assert r.figure("phase_time.directe_veiligheid").numerator == pytest.approx(7, abs=1e-6)
    assert r.figure("phase_time.risicogestuurde_zorg").numerator == pytest.approx(6, abs=1e-6)
    check(r, "returns_to_directe_veiligheid", 1, 1)
    check(r, "funnel.triage", 6, 6)
    check(r, "funnel.directe_veiligheid", 2, 6)
    check(r, "funnel.risicogestuurde_zorg", 1, 6)
    check(r, "funnel.herstel", 0, 6)
    check(r, "funnel.closed", 1, 6)
    flows = {(f.from_phase, f.to_phase): f.count for f in r.flows}
    assert flows == {("new", "triage"): 6, ("triage", "directe_veiligheid"): 2,
                     ("triage", "closed"): 1, ("directe_veiligheid", "risicogestuurde_zorg"): 1,
                     ("risicogestuurde_zorg", "directe_veiligheid"): 1}
    check(r, "flow.risicogestuurde_zorg.directe_veiligheid", 1, 11)
    check(r, "cases.active", 6, None)
    check(r, "mda.share", 1, 6)
    check(r, "crisis.measures", 1, None)
    check(r, "ervaringsdeskundige.share", 1, 6)
    check(r, "plegeraanbod.offered", 1, 6)
    check(r, "plegeraanbod.accepted", 1, 1)
    check(r, "huisverbod.imposed", 1, None)
    check(r, "huisverbod.extended", 1, 1)
    check(r, "huisverbod.revoked", 0, 1)


def test_series_selection_and_periods(march: tuple[HgkmApplication, Any]) -> None:
    app, r = march
    series = r.series["hermelding_by_half_year"]
    assert [f.name for f in series][-2:] == ["classification.hermelding@2025H2",
                                            "classification.hermelding@2026H1"]
    assert (series[-1].numerator, series[-1].denominator) == (1, 7)  # up to the end of March
    assert series[0].value is None  # no meldingen then
    check(r, "timeliness.T1.on_time@2026-03", 3, 4)
    # Selections.
    haaglanden = app.monitor(access=READ, region="haaglanden", period="2026-03")
    check(haaglanden, "meldingen", 1, None)
    check(haaglanden, "classification.nieuw", 1, 1)
    schiedam = app.monitor(access=READ, gemeente="GM0606", period="2026-03")
    check(schiedam, "meldingen", 2, None)
    check(schiedam, "classification.hermelding", 1, 2)
    check(schiedam, "timeliness.T1.on_time", 1, 1)
    check(schiedam, "timeliness.T1.open_breaches", 1, 1)
    # Other periods: the quarter equals March here; April so far holds H only.
    check(app.monitor(access=READ, period="2026Q1"), "meldingen", 7, None)
    april = app.monitor(access=READ, period="2026-04")
    assert april.as_of == datetime(2026, 4, 2, 12, tzinfo=UTC)
    check(april, "meldingen", 1, None)
    check(app.monitor(access=READ, period="2026H1"), "meldingen", 8, None)
    check(app.monitor(access=READ, period="2026"), "meldingen", 8, None)
    check(app.monitor(access=READ), "meldingen", 8, None)  # default: the clock's half-year
    # The engine alone gives the same figures (report instant: end of the period).
    assert monitor_report(app.engine, period="2026-03").as_dict() == r.as_dict()
    shown = monitor_report(app.engine, period="2026-03", min_cell=3)
    assert shown.as_dict() == r.suppress_small_cells(3).as_dict()
    assert shown.min_cell == 3 and any(f.suppressed for f in shown.figures)
    data = r.as_dict()
    assert all({"name", "numerator", "denominator", "value", "definition"} <= set(f)
               for f in data["figures"])


def test_period_parsing() -> None:
    assert Period.parse("2025H1").label == "2025H1"
    p = Period.parse("2025q2")
    assert (p.first_day.isoformat(), p.end_day.isoformat()) == ("2025-04-01", "2025-07-01")
    assert Period.parse("2025-03").start == datetime(2025, 2, 28, 23, tzinfo=UTC)
    assert Period.parse("2025").end == datetime(2025, 12, 31, 23, tzinfo=UTC)
    assert Period.parse("2025-12").shifted(1).label == "2026-01"
    assert Period.parse("2025H2").shifted(-3).label == "2024H1"
    assert [q.label for q in Period.parse("2025").split(3)] == ["2025Q1", "2025Q2",
                                                              "2025Q3", "2025Q4"]
    assert Period.containing(datetime(2025, 6, 30, 22, 30, tzinfo=UTC)).label == "2025H2"
    for bad in ("2025H3", "2025-13", "25H1", "2025Q5", "H1", "123456782"):
        with pytest.raises(InvalidPeriod) as info:
            Period.parse(bad)
    assert "123456782" not in str(info.value)  # the input is not echoed


def test_every_figure_is_defined_in_the_docs(march: tuple[HgkmApplication, Any]) -> None:
    from pathlib import Path

    _, r = march
    text = (Path(__file__).parents[2] / "docs" / "monitor.md").read_text(encoding="utf-8")
    placeholder = {"melder_type": "<type>", "outcome": "<outcome>", "gemeente": "<code>",
                   "occupancy": "<phase>", "phase_time": "<phase>", "funnel": "<phase>",
                   "vt_services": "<service>", "flow": "<from>.<to>"}
    families = set()
    for f in (*r.figures, *(g for s in r.series.values() for g in s)):
        parts = f.name.split("@")[0].split(".")
        if parts[0] in placeholder:
            parts = [parts[0], placeholder[parts[0]]]
        elif parts[0] == "timeliness":
            parts[1] = "<rule>"
        families.add(".".join(parts))
    missing = sorted(n for n in families if f"`{n}`" not in text)
    assert missing == []


def test_query_after_command_sees_it(sqlite_app: HgkmApplication,
                                     clock: SettableClock) -> None:
    before = sqlite_app.monitor(access=READ).figure("meldingen").numerator
    Household(sqlite_app, clock).melding()
    assert sqlite_app.monitor(access=READ).figure("meldingen").numerator == before + 1
    clock.advance(timedelta(days=1))


def test_the_monitor_does_not_import_the_application() -> None:
    """The monitor takes an engine: no import of the application, not even for typing."""
    import ast
    from pathlib import Path

    from hgkm_workflow import monitor

    for path in Path(monitor.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n == "hgkm_workflow.application"
                           or n.startswith("hgkm_workflow.application.") for n in names), path
