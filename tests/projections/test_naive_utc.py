"""``naive_utc``'s fast path gives exactly ``replace(tzinfo=None)`` (value, type, fold)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from hgkm_workflow.projections._util import naive_utc


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
