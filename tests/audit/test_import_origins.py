"""The original positions of an import are written in the events' own transaction.

Before, the positions were replaced in a transaction of their own before the insert and
removed again if it raised: a refused import into a store that held positions wiped them, and
a process killed between the two left orphan positions. Now a refused insert (bulk and per
event, both backends) leaves exactly the positions and events that were there.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.audit.exchange import StoreNotEmpty, import_jsonl
from hgkm_workflow.audit.positions import load_origins
from hgkm_workflow.clock import SettableClock
from tests.e2e.test_exchange import _fill, _lines


def _export(app: HgkmApplication, shift: int) -> str:
    lines = _lines(app)
    for number, line in enumerate(lines):  # positions of a first store with gaps
        line["position"] = line["original_position"] = shift + 3 * number
    return "\n".join(json.dumps(line) for line in lines)


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "per-event"])
def test_a_refused_insert_leaves_the_recorded_positions_as_they_were(
    app: HgkmApplication, make_app: Callable[..., HgkmApplication], clock: SettableClock,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bulk: bool,
) -> None:
    donor = make_app(f"sqlite:///{tmp_path / 'donor.db'}")
    _fill(donor, clock)
    app.import_jsonl(io.StringIO(_export(donor, 7)))
    before = load_origins(app.engine)
    events = app.recorder.max_notification_id()
    assert before and events
    # the import's first emptiness check passes, as when a writer fills the store just after
    monkeypatch.setattr(app.recorder, "max_notification_id", lambda: 0)
    with pytest.raises(StoreNotEmpty):  # bulk: the table is not empty; per event: duplicates
        import_jsonl(app, io.StringIO(_export(donor, 1000)), bulk=bulk)
    monkeypatch.undo()
    assert load_origins(app.engine) == before
    assert app.recorder.max_notification_id() == events


def test_an_insert_that_fails_half_way_leaves_no_orphan_positions(
    app: HgkmApplication, make_app: Callable[..., HgkmApplication], clock: SettableClock,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    donor = make_app(f"sqlite:///{tmp_path / 'donor.db'}")
    _fill(donor, clock)
    recorder: Any = app.recorder
    name = "_insert_stored_events" if hasattr(recorder, "lock_table_statements") \
        else "_insert_events"

    def crash(*_args: object, **_kwargs: object) -> None:  # after the positions were written
        raise RuntimeError("the connection dropped")

    monkeypatch.setattr(recorder, name, crash)
    with pytest.raises(RuntimeError):
        import_jsonl(app, io.StringIO(_export(donor, 7)), bulk=False)
    monkeypatch.undo()
    assert load_origins(app.engine) == {} and not app.recorder.max_notification_id()
