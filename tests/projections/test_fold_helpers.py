"""The folds' small helpers give exactly what they stand for: ``naive_utc``'s fast path is
``replace(tzinfo=None)`` (value, type, fold); ``id_text`` is ``str``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hgkm_workflow.projections import batch
from hgkm_workflow.projections._util import naive_utc
from hgkm_workflow.projections.batch import id_text


class Stamp(datetime):
    """A datetime subclass (the transcoder knows such classes): keeps the slow path."""


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
       st.integers(0, 1))
def test_the_fast_path_equals_replace(naive: datetime, fold: int) -> None:
    instant = naive.replace(tzinfo=UTC, fold=fold)
    fast, slow = naive_utc(instant), instant.replace(tzinfo=None)
    assert fast == slow and type(fast) is datetime and fast.tzinfo is None
    assert fast.fold == slow.fold and fast.isoformat() == slow.isoformat()
    sub = Stamp.fromisoformat(instant.isoformat())
    assert type(naive_utc(sub)) is type(sub.replace(tzinfo=None))
    assert naive_utc(sub) == slow
    other = instant.astimezone(timezone(timedelta(hours=2)))
    assert naive_utc(other) == slow and naive_utc(other).tzinfo is None


@given(st.lists(st.uuids(), min_size=1, max_size=30))
def test_id_text_is_str_also_when_remembered_and_after_forgetting(ids: list[uuid.UUID]) -> None:
    for value in [*ids, *ids]:  # the second time from memory
        assert id_text(value) == str(value)
        assert id_text(uuid.UUID(int=value.int)) == str(value)  # an equal, distinct object
    assert id_text("not-a-uuid") == "not-a-uuid" and id_text(7) == "7"


def test_id_text_forgets_at_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "_ID_TEXT_LIMIT", 3)
    batch._ID_TEXT.clear()
    ids = [uuid.uuid4() for _ in range(10)]
    assert [id_text(i) for i in ids] == [str(i) for i in ids]
    assert len(batch._ID_TEXT) <= 3
