"""Guard rails for the redesign: what must not change when modules move.

The stored event topics, the snapshot format and the exported event stream of a fixed
scenario set are pinned in ``tests/data``; the tests in ``tests/e2e/test_guard_rails.py``
compare the code against them. Regenerate a pinned file only for a deliberate, documented
change of the stored format (``python -m tests.guard_rails --write``).
"""

from __future__ import annotations

import io
import json
import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

DATA = Path(__file__).parent / "data"
SCENARIOS = Path(__file__).parent.parent / "examples" / "scenarios"
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalise_ids(text: str) -> str:
    """Replace every UUID by its order of first appearance (scenario ids are random)."""
    seen: dict[str, str] = {}
    return UUID_RE.sub(lambda m: seen.setdefault(m.group(0), f"uuid-{len(seen):04d}"), text)


def _aggregates() -> list[type[Aggregate]]:
    from hgkm_workflow.advies import Advies
    from hgkm_workflow.case import HouseholdCase
    from hgkm_workflow.erasure import PersonRecord

    return [HouseholdCase, Advies, PersonRecord]


def event_topics() -> list[str]:
    """Every event class reachable from the stored aggregates, as a stored topic."""
    topics: set[str] = set()
    for aggregate in _aggregates():
        topics.add(get_topic(aggregate))
        for name in dir(aggregate):
            value = getattr(aggregate, name, None)
            if isinstance(value, type) and issubclass(value, Aggregate.Event):
                topic = get_topic(value)
                if topic.startswith("hgkm_workflow."):
                    topics.add(topic)
    return sorted(topics)


def golden_export() -> str:
    """The event stream of every example scenario, ids normalised."""
    from hgkm_workflow.application import HgkmApplication
    from hgkm_workflow.clock import SettableClock
    from hgkm_workflow.projections import dispose_engines
    from hgkm_workflow.scenario import run_scenario
    from tests.support import READ

    parts: list[str] = []
    for path in sorted(SCENARIOS.glob("*.yaml")):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/golden.db"
            run_scenario(path, url, reload_run=False)
            app = HgkmApplication(url, clock=SettableClock(datetime(2030, 1, 1, tzinfo=UTC)))
            buffer = io.StringIO()
            app.export_jsonl(buffer, access=READ)
            app.close()
            dispose_engines()
            parts.append(f"# {path.name}\n" + normalise_ids(buffer.getvalue()))
    return "".join(parts)


def golden_snapshot() -> dict[str, Any]:
    """The stored snapshot of the case of scenario 01 after its last step."""
    from hgkm_workflow.application import HgkmApplication
    from hgkm_workflow.clock import SettableClock
    from hgkm_workflow.projections import dispose_engines
    from hgkm_workflow.scenario import run_scenario

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/golden.db"
        result = run_scenario(SCENARIOS / "01-nieuw-door-alle-fasen.yaml", url,
                              reload_run=False)
        case_id = next(iter(result.case_ids.values()))
        app = HgkmApplication(url, clock=SettableClock(datetime(2030, 1, 1, tzinfo=UTC)))
        app.take_snapshot(case_id)
        snapshot = list(app.snapshots.get(case_id))[-1]  # type: ignore[union-attr]
        stored = app.mapper.to_stored_event(snapshot)
        app.close()
        dispose_engines()
    state = json.loads(normalise_ids(stored.state.decode("utf-8")))
    state.pop("timestamp")  # when the snapshot was taken: the wall clock, not the case
    return {"topic": stored.topic, "state": state}


def main() -> None:  # pragma: no cover - a maintenance entry point
    if "--write" not in sys.argv:
        print(__doc__)
        return
    (DATA / "event-topics.txt").write_text("\n".join(event_topics()) + "\n")
    (DATA / "golden-export.jsonl").write_text(golden_export())
    (DATA / "golden-snapshot.json").write_text(
        json.dumps(golden_snapshot(), indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":  # pragma: no cover
    main()
