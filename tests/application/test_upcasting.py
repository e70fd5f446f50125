"""Schema evolution: PhaseChanged v2 adds ``loop_back_cause``, DeadlineRescheduled v2 ``counting``.

See docs/event-evolution.md.

Events stored in the old form (version 1: no ``class_version`` in the stored state and no
``loop_back_cause``) are written straight through the recorder on SQLite and PostgreSQL, and
must replay: the upcaster derives the cause from the rule text of a loop-back.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.audit import explain_event, verify
from hgkm_workflow.audit.exchange import decode_stored_state, export_jsonl, import_jsonl
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.domain.calendar import Decree
from tests.support import LT, READ, Household


def _history_with_loop_backs(app: HgkmApplication, clock: SettableClock) -> Household:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    h.through_directe_veiligheid()
    app.loop_back(h.cmd(actor=LT, cause="acute_unsafety"))           # from risicogestuurde zorg
    h.through_directe_veiligheid()
    h.through_risicogestuurde_zorg()
    app.loop_back(h.cmd(actor=LT, cause="new_incident"))             # from herstel
    h.through_directe_veiligheid()
    app.confirm_stable_safety(h.cmd(actor=LT))
    app.complete_risicogestuurde_zorg(h.cmd(actor=LT))
    h.through_herstel()
    h.advance(days=10)
    h.melding()                                                       # in the waakvlam
    h.assess("handover_local_team")                                   # loop-back, new_melding
    return h


def _as_version_1(line: dict[str, Any]) -> dict[str, Any]:
    """Rewrite an exported PhaseChanged line into the form version 1 stored."""
    if line["event_type"] == "PhaseChanged":
        line["class_version"] = 1
        del line["payload"]["loop_back_cause"]
    return line


def _old_form_store(source: HgkmApplication, target: HgkmApplication) -> None:
    out = io.StringIO()
    export_jsonl(source, out, access=READ)
    lines = [json.dumps(_as_version_1(json.loads(text))) for text in out.getvalue().splitlines()]
    import_jsonl(target, io.StringIO("\n".join(lines) + "\n"))


def test_new_phase_changed_events_are_stored_as_version_2(sqlite_app: HgkmApplication,
                                                          clock: SettableClock) -> None:
    h = _history_with_loop_backs(sqlite_app, clock)
    assert h.case_id is not None
    stored = sqlite_app.recorder.select_events(h.case_id)
    phases = [s for s in stored if s.topic.endswith(".PhaseChanged")]
    states = [decode_stored_state(sqlite_app, s.state) for s in phases]
    assert {s["class_version"] for s in states} == {2}
    causes = [s["loop_back_cause"] for s in states if s["how"] == "loop_back"]
    assert causes == ["acute_unsafety", "new_incident", "new_melding"]
    assert all(s["loop_back_cause"] is None for s in states if s["how"] != "loop_back")
    others = [decode_stored_state(sqlite_app, s.state) for s in stored if s not in phases
              and not s.topic.endswith(".MeldingReceived")]  # version 2 since issue 14
    assert all("class_version" not in s for s in others)


def test_events_stored_in_version_1_are_read_as_version_2(
    app: HgkmApplication, make_app: Callable[..., HgkmApplication], clock: SettableClock,
    tmp_path: Path,
) -> None:
    source = make_app(f"sqlite:///{tmp_path / 'source.db'}")
    h = _history_with_loop_backs(source, clock)
    assert h.case_id is not None
    _old_form_store(source, app)

    # The target store really holds the old form ...
    raw = [decode_stored_state(app, s.state) for s in app.recorder.select_events(h.case_id)
           if s.topic.endswith(".PhaseChanged")]
    assert raw and all("class_version" not in s and "loop_back_cause" not in s for s in raw)

    # ... and reading it upcasts every PhaseChanged to version 2.
    events = [e for e in app.case_events(h.case_id, access=READ)
              if isinstance(e, HouseholdCase.PhaseChanged)]
    assert [e.loop_back_cause for e in events if e.how == "loop_back"] == [
        "acute_unsafety", "new_incident", "new_melding"]
    assert all(e.loop_back_cause is None for e in events if e.how != "loop_back")
    assert app.load_case(h.case_id, access=READ).state_dict() == \
        source.load_case(h.case_id, access=READ).state_dict()
    assert verify(app, access=READ).ok

    # The audit names the stored version; an export keeps it, so a re-import upcasts again.
    first = next(e for e in app.case_events(h.case_id, access=READ)
                 if type(e).__name__ == "PhaseChanged")
    explained = explain_event(app, h.case_id, first.originator_version, access=READ)
    assert explained.stored_class_version == 1
    out = io.StringIO()
    export_jsonl(app, out, access=READ)
    versions = {json.loads(line)["class_version"] for line in out.getvalue().splitlines()
                if '"PhaseChanged"' in line}
    assert versions == {1}


def test_commands_after_an_upgrade_append_version_2_to_an_old_history(
    app: HgkmApplication, make_app: Callable[..., HgkmApplication], clock: SettableClock,
    tmp_path: Path,
) -> None:
    source = make_app(f"sqlite:///{tmp_path / 'source.db'}")
    h = _history_with_loop_backs(source, clock)
    assert h.case_id is not None
    _old_form_store(source, app)
    h.app = app
    app.confirm_acute_unsafety_removed(h.cmd(actor=LT))
    app.complete_directe_veiligheid(h.cmd(actor=LT))
    app.loop_back(h.cmd(actor=LT, cause="acute_unsafety"))
    stored = [decode_stored_state(app, s.state) for s in app.recorder.select_events(h.case_id)
              if s.topic.endswith(".PhaseChanged")]
    assert [s.get("class_version", 1) for s in stored][-3:] == [1, 2, 2]
    assert app.load_case(h.case_id, access=READ).loop_backs == 4
    assert verify(app, access=READ).ok


def test_the_upcaster_derives_the_cause_only_for_loop_backs() -> None:
    upcast = HouseholdCase.PhaseChanged.upcast_v1_v2
    loop = {"rule": "loop-back (new_incident): op acute onveiligheid wordt altijd direct "
                    "gehandeld (000)", "how": "loop_back"}
    upcast(loop)
    assert loop["loop_back_cause"] == "new_incident"
    other = {"rule": "loop-back (new_incident): quoted in another rule", "how": "melding"}
    upcast(other)
    assert other["loop_back_cause"] is None
    unknown = {"rule": "", "how": "loop_back"}
    upcast(unknown)
    assert unknown["loop_back_cause"] is None
    assert HouseholdCase.PhaseChanged.class_version == 2


# ------------------------------------------------------------ DeadlineRescheduled version 2


def test_deadline_rescheduled_version_1_replays_with_the_earlier_counting_text(
    app: HgkmApplication, make_app: Callable[..., HgkmApplication], clock: SettableClock,
    tmp_path: Path,
) -> None:
    """Version 2 carries the recomputed ``counting``; version 1 replays keeping the old text."""
    source = make_app(f"sqlite:///{tmp_path / 'source.db'}")
    clock.set(datetime(2026, 4, 2, 8, 15, tzinfo=UTC))  # T1 spans Easter and 8 April
    h = Household(source, clock)
    h.melding()
    assert h.case_id is not None
    before = {k: d["counting"] for k, d in source.load_case(h.case_id, access=READ)
              .deadlines.items()}
    decree = Decree(name="Besluit gelijkstelling van 8 april 2026 (testbesluit)",
                    dates=(date(2026, 4, 8),), years=(2026,))
    moved = source.apply_calendar(source.calendar.with_decree(decree), decree.name)
    assert moved
    after = {k: d["counting"] for k, d in source.load_case(h.case_id, access=READ)
             .deadlines.items()}
    moved_ids = {m["deadline_id"] for m in moved}
    assert all(after[k] != before[k] for k in moved_ids)  # version 2 recomputes the text
    stored = [decode_stored_state(source, s.state)
              for s in source.recorder.select_events(h.case_id)
              if s.topic.endswith(".DeadlineRescheduled")]
    assert {s["class_version"] for s in stored} == {2}

    out = io.StringIO()
    export_jsonl(source, out, access=READ)
    lines = []
    for text in out.getvalue().splitlines():
        line = json.loads(text)
        if line["event_type"] == "DeadlineRescheduled":
            line["class_version"] = 1
            del line["payload"]["counting"]
        lines.append(json.dumps(line))
    import_jsonl(app, io.StringIO("\n".join(lines) + "\n"))

    events = [e for e in app.case_events(h.case_id, access=READ)
              if isinstance(e, HouseholdCase.DeadlineRescheduled)]
    assert len(events) == len(moved) and all(e.counting is None for e in events)
    old_form = app.load_case(h.case_id, access=READ)
    assert {k: d["counting"] for k, d in old_form.deadlines.items()} == before
    # everything else about the moved deadlines is the same as in the version-2 store
    new_form = source.load_case(h.case_id, access=READ)
    for k in moved_ids:
        assert {**old_form.deadlines[k], "counting": None} == \
            {**new_form.deadlines[k], "counting": None}
    assert verify(app, access=READ).ok
