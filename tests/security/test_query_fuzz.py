"""Every public query validates its arguments into domain errors (issue 12 point 9).

Hypothesis throws wrong types, bad UUIDs, naive instants, years 1 and 9999, huge limits and
unknown enum values at every public query of the application: only ``HgkmError`` subclasses
with a stable code may come out, never a raw Python or database exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import HgkmError
from tests.support import READ, Household

_CODE = re.compile(r"^[A-Z][A-Z0-9_]+$")

_INSTANTS = st.one_of(
    st.datetimes(),  # naive
    st.datetimes(timezones=st.just(UTC)),
    st.sampled_from([datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
                     datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
                     datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-12))),
                     datetime(2026, 3, 2, 9, 0)]),
)
_JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=40),
    st.binary(max_size=20), st.uuids(), st.uuids().map(str), st.just("not-a-uuid"),
    st.sampled_from([10**30, -(10**30), 2**63, -1, 0, "", "x" * 10_000, "\x00", "Ω" * 80,
                     "business", "recorded", "closed", "open", "2026-H1", "2026-H9", "9999-H1",
                     "GM0599", "rotterdam-rijnmond", "999990019", [], {}, ["a"], {"a": 1}]),
    _INSTANTS,
)
_ACCESS = st.one_of(st.just(READ), _JUNK,
                    st.fixed_dictionaries({"actor": _JUNK, "purpose": _JUNK}))


def _queries(app: HgkmApplication, case_id: UUID) -> dict[str, Callable[[st.DataObject], Any]]:
    def arg(data: st.DataObject, real: Any) -> Any:
        return data.draw(st.one_of(st.just(real), _JUNK))

    def acc(data: st.DataObject) -> Any:
        return data.draw(_ACCESS)

    return {
        "get_case": lambda d: app.get_case(arg(d, case_id), access=acc(d)),
        "load_case": lambda d: app.load_case(arg(d, case_id), arg(d, 1), access=acc(d)),
        "get_advies": lambda d: app.get_advies(arg(d, case_id), access=acc(d)),
        "read_person": lambda d: app.read_person(arg(d, case_id), access=acc(d)),
        "list_cases": lambda d: app.list_cases(access=acc(d), region=arg(d, None),
                                               phase=arg(d, None), limit=arg(d, 10),
                                               offset=arg(d, 0)),
        "open_deadlines": lambda d: app.open_deadlines(access=acc(d), at=arg(d, None),
                                                       case_id=arg(d, None),
                                                       region=arg(d, None)),
        "classification": lambda d: app.classification(arg(d, case_id), access=acc(d)),
        "monitor": lambda d: app.monitor(arg(d, None), arg(d, None), arg(d, None),
                                       access=d.draw(_ACCESS)),
        "case_events": lambda d: app.case_events(arg(d, case_id), access=acc(d)),
        "access_log": lambda d: app.access_log(access=acc(d), case_id=arg(d, None),
                                               actor_id=arg(d, None), limit=arg(d, 5)),
        "timeline": lambda d: app.timeline(arg(d, case_id), access=acc(d)),
        "state_as_of": lambda d: app.state_as_of(arg(d, case_id), arg(d, datetime.now(UTC)),
                                                 arg(d, "business"), access=acc(d)),
        "compare_as_of": lambda d: app.compare_as_of(arg(d, case_id),
                                                     arg(d, datetime.now(UTC)), access=acc(d)),
        "explain_event": lambda d: app.explain_event(arg(d, case_id), arg(d, 2),
                                                     access=acc(d)),
    }


QUERY_NAMES = ["get_case", "load_case", "get_advies", "read_person", "list_cases",
               "open_deadlines", "classification", "monitor", "case_events", "access_log",
               "timeline", "state_as_of", "compare_as_of", "explain_event"]


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_every_query_refuses_bad_arguments_with_a_domain_error(
        name: str, make_app: Callable[..., HgkmApplication], store_url: str,
        clock: SettableClock) -> None:
    app = make_app(store_url)
    h = Household(app, clock)
    h.melding()
    assert h.case_id is not None
    call = _queries(app, h.case_id)[name]

    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(st.data())
    def fuzz(data: st.DataObject) -> None:
        try:
            call(data)
        except HgkmError as exc:
            assert _CODE.fullmatch(exc.code), exc.code
            assert "999990019" not in str(exc)

    fuzz()
