"""The stored format does not change when the code moves: topics, snapshots, exports."""

from __future__ import annotations

import json

from tests.guard_rails import DATA, event_topics, golden_export, golden_snapshot


def test_every_stored_event_topic_is_unchanged() -> None:
    pinned = (DATA / "event-topics.txt").read_text().split()
    assert event_topics() == pinned


def test_the_snapshot_of_a_case_is_stored_as_before() -> None:
    pinned = json.loads((DATA / "golden-snapshot.json").read_text())
    assert golden_snapshot() == pinned


def test_the_export_of_the_example_scenarios_is_unchanged() -> None:
    pinned = (DATA / "golden-export.jsonl").read_text()
    actual = golden_export()
    assert actual.splitlines() == pinned.splitlines()
