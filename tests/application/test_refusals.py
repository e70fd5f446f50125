"""Refusals through the application: a refused command stores nothing at all.

The rules themselves — which command each state refuses, with which typed error and code —
are tested at the aggregate in ``tests/domain/test_refusals.py``. Here the application's part:
a refusal leaves the database byte-for-byte unchanged (the events, the snapshots, the read
models and the tracking table), for a sample of the same scenarios; the validation of command
input at the boundary; business time against the injected clock; unknown cases; and refusals
of the application's own checks (a decision dated before its case was opened).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
import sqlalchemy as sa

from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import (
    CaseNotFound,
    HgkmError,
    InvalidCommand,
    PersonalDataSuspected,
    RuleViolation,
    TransitionNotAllowed,
)
from tests.domain.refusal_cases import (
    SCENARIOS,
    Expectation,
    Ids,
    Rule,
    Transition,
    _describe,
    check_error_shape,
)
from tests.support import (
    BURGEMEESTER,
    LT,
    LT2,
    LT2_REGISSEUR,
    READ,
    VT,
    Household,
    stored_event_rows,
)

# ---------------------------------------------------------------------------------- helpers


def store_snapshot(app: HgkmApplication) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in the store (events, snapshots, read models, tracking)."""
    with app.engine.connect() as conn:
        names = sorted(sa.inspect(conn).get_table_names())
        return {
            name: sorted((tuple(r) for r in conn.execute(sa.text(f'SELECT * FROM "{name}"'))),
                         key=repr)
            for name in names
        }



def assert_refused(app: HgkmApplication, method: str, data: Any,
                   expect: Expectation | type[HgkmError]) -> HgkmError:
    """Issue the command, check the error, and check that nothing in the store changed."""
    app.catch_up()
    before_events = stored_event_rows(app)
    before = store_snapshot(app)
    with pytest.raises(HgkmError) as info:
        getattr(app, method)(data)
    exc = info.value
    check_error_shape(exc)
    if isinstance(expect, Transition):
        assert isinstance(exc, TransitionNotAllowed), (method, exc.code)
        assert (exc.machine, exc.trigger, exc.state) == (expect.machine, expect.trigger,
                                                         expect.state)
        assert exc.code == "TRANSITION_NOT_ALLOWED"
        assert expect.machine in exc.rule
    elif isinstance(expect, Rule):
        assert isinstance(exc, RuleViolation), (method, exc.code)
        assert exc.code == expect.code
    else:
        assert isinstance(exc, expect), (method, exc.code)
    assert stored_event_rows(app) == before_events
    assert store_snapshot(app) == before
    return exc



_ACTORS = (VT, LT, LT2, BURGEMEESTER,
           {"actor_id": "zc-002", "organisation": "mda-rotterdam", "role": "zorgcoordinator_mda"})


def authorised(app: HgkmApplication, case_id: Any, method: str, data: dict[str, Any]
               ) -> dict[str, Any] | None:
    """The command given by an actor the authority policy lets give it on this case.

    The domain's refusal is what these scenarios test; an actor the policy refuses would be
    refused first (NOT_AUTHORISED, tested in ``test_authority_*``). The given actor is kept
    when the policy grants it the command.
    """
    from hgkm_workflow.application.handlers import handler_named
    from hgkm_workflow.authority import case_facts, decide
    from hgkm_workflow.commands import Actor

    name = handler_named(method).command.__name__
    case = app.load_case(case_id, access=READ)
    facts = case_facts(case, app.authority.policy.tables)
    for actor in (data["actor"], *_ACTORS):
        if decide(Actor.model_validate(actor), name, facts, app.authority.policy).granted:
            return {**data, "actor": actor}
    return None  # nobody may give it in this state: the policy refuses before the domain


#: A sample of the domain's refusal scenarios: a first melding, a huisverbod, a closed case.
STORE_SCENARIOS = ["triage", "huisverbod revoked", "closed"]


@pytest.mark.parametrize("scenario", STORE_SCENARIOS)
def test_illegal_commands_are_refused_and_store_nothing(
    app: HgkmApplication, clock: SettableClock, scenario: str
) -> None:
    build, refusals = SCENARIOS[scenario]
    h = Household(app, clock)
    ids: Ids = {}
    build(h, ids)
    h.advance(minutes=30)
    assert h.case_id is not None
    state = app.load_case(h.case_id, access=READ).state_dict()
    for refusal in refusals:
        try:
            given = refusal.data(h, ids)
            by_policy = isinstance(refusal.expect, Rule) and refusal.expect.code == "NOT_AUTHORISED"
            data = None if by_policy else authorised(app, h.case_id, refusal.method, given)
            if data is None:
                from hgkm_workflow.authority import NotAuthorised
                from tests.support import refused
                refused(app, lambda m=refusal.method, d=given: getattr(app, m)(d), NotAuthorised)
                continue
            assert_refused(app, refusal.method, data, refusal.expect)
        except (AssertionError, pytest.fail.Exception) as exc:
            raise AssertionError(f"{_describe(scenario, refusal)}: {exc}") from None
    assert app.load_case(h.case_id, access=READ).state_dict() == state


def test_converting_an_advies_twice_is_refused(app: HgkmApplication, clock: SettableClock) -> None:
    advies = app.record_advies({"actor": VT, "rationale": "advice asked by a school",
                                "region": "rotterdam-rijnmond", "gemeente": "GM0599",
                                "melder_type": "onderwijs"})
    h = Household(app, clock)

    def convert() -> dict[str, Any]:
        return {"actor": VT, "rationale": "the advice becomes a melding",
                "advies_id": str(advies.aggregate_id), "region": h.region,
                "gemeente": h.gemeente, "melder_type": "onderwijs", "persons": h.persons(),
                "forms_of_violence": ["kindermishandeling"]}

    first = app.convert_advies_to_melding(convert())
    assert app.get_advies(advies.aggregate_id, access=READ).state == "converted"
    exc = assert_refused(app, "convert_advies_to_melding", convert(),
                         Transition("advies", "convert_to_melding", "converted"))
    assert isinstance(exc, TransitionNotAllowed)
    # the refused conversion did not open a second case either
    assert [s.case_id for s in app.list_cases(access=READ)] == [first.case_id]


# ---------------------------------------------------------------------------------- invalid input


@dataclass(frozen=True)
class Invalid:
    """A command made invalid by ``change``; ``leak`` must not appear in the error."""

    name: str
    method: str
    change: Callable[[dict[str, Any]], Any]
    error: type[HgkmError]
    loc: str
    leak: str | None = field(default=None, repr=False)


def _drop(key: str) -> Callable[[dict[str, Any]], Any]:
    def change(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if k != key}
    return change


def _set(**values: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda d: {**d, **values}


FAKE_EMAIL = "zwaluw.testpersoon@example.org"

INVALID: list[Invalid] = [
    Invalid("missing rationale", "set_veiligheidsplan", _drop("rationale"), InvalidCommand,
            "rationale"),
    Invalid("missing actor", "set_veiligheidsplan", _drop("actor"), InvalidCommand, "actor"),
    Invalid("missing case id", "set_veiligheidsplan", _drop("case_id"), InvalidCommand,
            "case_id"),
    Invalid("missing voorwaarden", "set_veiligheidsplan", _drop("voorwaarden"), InvalidCommand,
            "voorwaarden"),
    Invalid("empty voorwaarden", "set_veiligheidsplan", _set(voorwaarden=[]), InvalidCommand,
            "voorwaarden"),
    Invalid("naive occurred_at text", "set_veiligheidsplan",
            _set(occurred_at="2026-03-02T08:30:00"), InvalidCommand, "occurred_at",
            "2026-03-02T08:30:00"),
    Invalid("naive occurred_at datetime", "set_veiligheidsplan",
            _set(occurred_at=datetime(2026, 3, 2, 8, 30)), InvalidCommand, "occurred_at"),
    Invalid("occurred_at before 2000", "set_veiligheidsplan",
            _set(occurred_at="1999-12-31T08:30:00+00:00"), InvalidCommand, "occurred_at",
            "1999-12-31"),
    Invalid("unknown voorwaarde", "set_veiligheidsplan",
            _set(voorwaarden=["zzz_onbekende_voorwaarde"]), InvalidCommand, "voorwaarden.0",
            "zzz_onbekende_voorwaarde"),
    Invalid("unknown actor role", "set_veiligheidsplan",
            _set(actor={**LT, "role": "zzz_koning"}), InvalidCommand, "actor.role", "zzz_koning"),
    Invalid("unknown closure reason", "close_case",
            _set(reason="zzz_geen_zin_meer"), InvalidCommand, "reason", "zzz_geen_zin_meer"),
    Invalid("case id not a uuid", "set_veiligheidsplan", _set(case_id="zzz-not-a-uuid"),
            InvalidCommand, "case_id", "zzz-not-a-uuid"),
    Invalid("unexpected field", "set_veiligheidsplan", _set(**{"naam Zzz Onbekend": "Zzz"}),
            InvalidCommand, "<unknown field>", "Zzz Onbekend"),
    Invalid("rationale too short", "set_veiligheidsplan", _set(rationale="ok"), InvalidCommand,
            "rationale"),
    Invalid("handover without veiligheidsvoorwaarden", "complete_veiligheidsbeoordeling",
            _set(outcome="handover_local_team", handover_to=LT2_REGISSEUR), InvalidCommand,
            "<command>"),
    Invalid("gemeente not a CBS code", "receive_melding", _set(gemeente="Zzzdam"),
            InvalidCommand, "gemeente", "Zzzdam"),
    Invalid("a person twice in a melding", "receive_melding",
            lambda d: {**d, "persons": [*d["persons"], d["persons"][0]]}, InvalidCommand,
            "persons"),
    Invalid("not a mapping at all", "set_veiligheidsplan", lambda d: ["zzz", "list"],
            InvalidCommand, "<command>", "zzz"),
    Invalid("rationale with a BSN-like number", "set_veiligheidsplan",
            _set(rationale="plan besproken, nummer 123456782 genoteerd"),
            PersonalDataSuspected, "rationale", "123456782"),
    Invalid("rationale with an e-mail address", "set_veiligheidsplan",
            _set(rationale=f"afspraak bevestigd via {FAKE_EMAIL}"), PersonalDataSuspected,
            "rationale", FAKE_EMAIL),
    Invalid("rationale with a phone number", "set_veiligheidsplan",
            _set(rationale="teruggebeld op 06-12345678 na overleg"), PersonalDataSuspected,
            "rationale", "06-12345678"),
    Invalid("rationale with a postcode", "set_veiligheidsplan",
            _set(rationale="huisbezoek in 3011 ZW afgerond"), PersonalDataSuspected,
            "rationale", "3011 ZW"),
    Invalid("rationale with a street address", "set_veiligheidsplan",
            _set(rationale="huisbezoek Voorbeeldstraat 99 gedaan"), PersonalDataSuspected,
            "rationale", "Voorbeeldstraat 99"),
    Invalid("rationale with a grouped BSN", "set_veiligheidsplan",
            _set(rationale="plan besproken, BSN 1234.56.782 genoteerd"), PersonalDataSuspected,
            "rationale", "1234.56.782"),
    Invalid("rationale with a spaced BSN", "set_veiligheidsplan",
            _set(rationale="plan besproken, nummer 123 456 782"), PersonalDataSuspected,
            "rationale", "123 456 782"),
    Invalid("rationale with a spaced phone number", "set_veiligheidsplan",
            _set(rationale="teruggebeld op 010 - 123 45 67"), PersonalDataSuspected,
            "rationale", "123 45 67"),
    Invalid("rationale with a date in words", "set_veiligheidsplan",
            _set(rationale="moeder geboren 3 januari 1990, plan gemaakt"), PersonalDataSuspected,
            "rationale", "januari 1990"),
    Invalid("rationale with a date", "set_veiligheidsplan",
            _set(rationale="geboren 03-02-1980, plan gemaakt"), PersonalDataSuspected,
            "rationale", "03-02-1980"),
    Invalid("open_deadline_reason with an e-mail address", "close_case",
            _set(open_deadline_reason=f"zie bericht van {FAKE_EMAIL}"), PersonalDataSuspected,
            "open_deadline_reason", FAKE_EMAIL),
]


def _valid_base(h: Household, method: str) -> dict[str, Any]:
    if method == "set_veiligheidsplan":
        return h.cmd(actor=LT, voorwaarden=["geen_geweld"])
    if method == "close_case":
        return h.cmd(actor=LT, reason="other")
    if method == "complete_veiligheidsbeoordeling":
        return h.cmd(actor=VT, melding_id=str(h.melding_id), outcome="onderzoek")
    assert method == "receive_melding"
    return {"actor": VT, "rationale": "melding from the police", "region": h.region,
            "gemeente": h.gemeente, "melder_type": "politie", "persons": h.persons(),
            "forms_of_violence": ["partnergeweld"], "case_id": str(h.case_id)}


def test_invalid_commands_are_refused_without_echoing_input(
    app: HgkmApplication, clock: SettableClock
) -> None:
    import traceback

    h = Household(app, clock)
    h.melding()
    h.assess("handover_local_team")
    h.melding()  # a second melding, still to be assessed
    for case in INVALID:
        base = _valid_base(h, case.method)
        try:
            exc = assert_refused(app, case.method, case.change(base), case.error)
            assert type(exc) is case.error
            assert isinstance(exc, InvalidCommand)
            assert case.loc in exc.fields, exc.fields
            if case.leak is not None:
                shown = "".join(traceback.format_exception(exc))
                assert case.leak not in str(exc)
                assert case.leak not in repr(exc.as_dict())
                assert case.leak not in shown
        except (AssertionError, pytest.fail.Exception) as err:
            raise AssertionError(f"{case.name}: {err}") from None
    # and the valid forms of the same commands are accepted (the changes made them invalid)
    app.set_veiligheidsplan(_valid_base(h, "set_veiligheidsplan"))
    app.complete_veiligheidsbeoordeling(_valid_base(h, "complete_veiligheidsbeoordeling"))


def test_pydantic_command_objects_screen_rationale_on_construction() -> None:
    from hgkm_workflow.commands import SetVeiligheidsplan

    with pytest.raises(PersonalDataSuspected) as info:
        SetVeiligheidsplan(actor=LT, rationale=f"mail {FAKE_EMAIL}", case_id=uuid4(),
                           voorwaarden=["geen_geweld"])
    assert FAKE_EMAIL not in str(info.value)
    check_error_shape(info.value)


def test_business_time_in_the_future_is_refused(app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    future = clock.now() + timedelta(hours=1)
    exc = assert_refused(app, "take_crisis_measure",
                         h.cmd(actor=LT, measure="crisisopvang", occurred_at=future.isoformat()),
                         Rule("OCCURRED_IN_FUTURE"))
    assert future.isoformat() not in str(exc)
    # a melding dated tomorrow opens no case
    data = _valid_base(h, "receive_melding")
    del data["case_id"]
    data["occurred_at"] = (clock.now() + timedelta(days=1)).isoformat()
    assert_refused(app, "receive_melding", data, Rule("OCCURRED_IN_FUTURE"))
    assert len(app.list_cases(access=READ)) == 1
    # the same command dated in the past (but not before the case was opened) is fine
    opened = app.get_case(h.case_id, access=READ).opened_at
    h.advance(hours=2)
    past = clock.now() - timedelta(hours=1)
    assert opened < past
    app.take_crisis_measure(h.cmd(actor=LT, measure="crisisopvang",
                                  occurred_at=past.isoformat()))


def test_commands_for_an_unknown_case_are_refused(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    unknown = uuid4()
    for method, data in [
        ("set_veiligheidsplan", {"voorwaarden": ["geen_geweld"]}),
        ("take_crisis_measure", {"measure": "crisisopvang"}),
        ("close_case", {"reason": "other"}),
        ("impose_huisverbod", {"removed_person_id": str(h.perpetrator), "actor": BURGEMEESTER}),
        ("accept_handover", {"actor": LT2}),
    ]:
        cmd = {**h.cmd(actor=LT), **data, "case_id": str(unknown)}
        exc = assert_refused(app, method, cmd, CaseNotFound)
        assert exc.code == "CASE_NOT_FOUND"
    for query in (app.get_case, app.load_case, app.case_events):
        with pytest.raises(CaseNotFound):
            query(unknown, access=READ)
    # an advies is not a case
    advies = app.record_advies({"actor": VT, "rationale": "advice asked by a GP",
                                "region": "rotterdam-rijnmond", "gemeente": "GM0599",
                                "melder_type": "gezondheidszorg"})
    cmd = {**h.cmd(actor=LT, voorwaarden=["geen_geweld"]), "case_id": str(advies.aggregate_id)}
    assert_refused(app, "set_veiligheidsplan", cmd, CaseNotFound)
    with pytest.raises(CaseNotFound):
        app.get_case(advies.aggregate_id, access=READ)


def test_a_decision_dated_before_its_case_was_opened_is_refused(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    opened = app.get_case(h.case_id, access=READ).opened_at
    before = (opened - timedelta(days=1)).isoformat()
    assert_refused(app, "take_crisis_measure",
                   h.cmd(actor=LT, measure="crisisopvang", occurred_at=before),
                   Rule("OCCURRED_BEFORE_CASE"))
    # nor can a vervolgmelding be dated before the case it joins was opened
    melding = {**_valid_base(h, "receive_melding"), "occurred_at": before}
    assert_refused(app, "receive_melding", melding, Rule("OCCURRED_BEFORE_CASE"))
    app.take_crisis_measure(h.cmd(actor=LT, measure="crisisopvang",
                                  occurred_at=opened.isoformat()))


def test_clock_reading_is_the_only_time_source_for_refusals(
    make_app: Callable[..., HgkmApplication], sqlite_url: str
) -> None:
    """OCCURRED_IN_FUTURE is measured against the injected clock, not the wall clock."""
    early = SettableClock(datetime(2001, 1, 1, 12, 0, tzinfo=UTC))
    app = make_app(sqlite_url, clock=early)
    h = Household(app, early)
    data = _valid_base(h, "receive_melding")
    del data["case_id"]
    data["occurred_at"] = "2002-01-01T12:00:00+00:00"  # long past by the wall clock
    assert_refused(app, "receive_melding", data, Rule("OCCURRED_IN_FUTURE"))
