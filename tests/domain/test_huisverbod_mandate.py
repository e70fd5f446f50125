"""A hulpofficier van justitie imposes a huisverbod only under the burgemeester's mandate.

Wet tijdelijk huisverbod art. 3 lid 1: the burgemeester may mandate the imposition (art. 2) to
a hulpofficier van justitie; extending (art. 9) and revoking stay with the burgemeester. The
aggregate takes the mandate the authority policy resolved and checks it again: the actor's
organisation holds it, it is this case's gemeente's, it covers the imposition and it is in
force at the business time. The ``HuisverbodImposed`` event names it. No database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hgkm_workflow.clock import SettableClock
from hgkm_workflow.domain.mandate import HuisverbodMandate
from hgkm_workflow.errors import HgkmError, RuleViolation
from tests.domain.driver import BURGEMEESTER, VT, DomainCases, Household

HOVJ = {"actor_id": "hovj-001", "organisation": "politie-rotterdam", "role": "politie"}
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def mandate(**overrides: Any) -> HuisverbodMandate:
    values: dict[str, Any] = {
        "mandate_id": "mandaat-test-1", "gemeente": "GM0599", "organisation": "politie-rotterdam",
        "commands": frozenset({"ImposeHuisverbod", "RecordContactAddressGiven"}),
        "valid_from": START - timedelta(days=30), "valid_until": START + timedelta(days=30),
        "source": "mandaatbesluit (test)"}
    values.update(overrides)
    return HuisverbodMandate(**values)


@pytest.fixture
def app(clock: SettableClock) -> DomainCases:
    return DomainCases(clock)


@pytest.fixture
def household(app: DomainCases, clock: SettableClock) -> Household:
    clock.set(START)
    h = Household(app, clock)
    h.to_directe_veiligheid()
    return h


def refused(app: DomainCases, call: Callable[[], Any]) -> HgkmError:
    """The call is refused NOT_AUTHORISED and nothing changed."""
    before = {cid: (case.version, case.state_dict()) for cid, case in app.cases.items()}
    with pytest.raises(RuleViolation) as info:
        call()
    assert info.value.code == "NOT_AUTHORISED"
    assert "Wet tijdelijk huisverbod" in info.value.rule
    assert {cid: (case.version, case.state_dict()) for cid, case in app.cases.items()} == before
    assert all(case.collect_events() == [] for case in app.cases.values())
    return info.value


def impose(app: DomainCases, h: Household, actor: dict[str, str],
           under: HuisverbodMandate | None, **extra: Any) -> Any:
    return app.impose_huisverbod(h.cmd(actor=actor, removed_person_id=str(h.perpetrator),
                                       **extra), under)


def imposed_event(app: DomainCases, h: Household) -> Any:
    (found,) = [e for e in app.case_events(h.case_id) if type(e).__name__ == "HuisverbodImposed"]
    return found


def test_a_hulpofficier_imposes_under_a_mandate_in_force_and_the_event_names_it(
        app: DomainCases, household: Household) -> None:
    result = impose(app, household, HOVJ, mandate())
    assert result.events[0] == "HuisverbodImposed"
    ev = imposed_event(app, household)
    assert ev.mandate_id == "mandaat-test-1"
    assert "mandaat-test-1" in ev.rule and "art. 3" in ev.rule
    assert ev.actor["organisation"] == "politie-rotterdam" and ev.actor["role"] == "politie"
    # replay from the events reproduces the live state
    assert app.replayed(household.case_id).state_dict() == \
        app.load_case(household.case_id).state_dict()


def test_the_burgemeester_imposes_without_a_mandate(app: DomainCases,
                                                    household: Household) -> None:
    impose(app, household, BURGEMEESTER, None)
    ev = imposed_event(app, household)
    assert ev.mandate_id is None and "mandate" not in ev.rule


@pytest.mark.parametrize("why", [
    "no mandate", "another gemeente", "another organisation", "not yet in force",
    "no longer in force", "does not cover the imposition", "not a hulpofficier"])
def test_without_a_mandate_in_force_for_this_gemeente_the_imposition_is_refused(
        app: DomainCases, household: Household, why: str) -> None:
    actor, under = HOVJ, mandate()
    match why:
        case "no mandate":
            under = None  # type: ignore[assignment]
        case "another gemeente":
            under = mandate(gemeente="GM0606")
        case "another organisation":
            under = mandate(organisation="politie-rotterdam-rijnmond")
        case "not yet in force":
            under = mandate(valid_from=START + timedelta(minutes=1))
        case "no longer in force":
            under = mandate(valid_until=START)  # exclusive: not in force at START
        case "does not cover the imposition":
            under = mandate(commands=frozenset({"RecordContactAddressGiven"}))
        case "not a hulpofficier":
            actor = {**VT, "organisation": "politie-rotterdam"}
    refused(app, lambda: impose(app, household, actor, under))


def test_business_time_decides_whether_the_mandate_was_in_force(
        app: DomainCases, household: Household, clock: SettableClock) -> None:
    """Registered after the mandate ended, decided while it was in force: granted."""
    under = mandate(valid_until=START + timedelta(hours=1))
    clock.set(START + timedelta(hours=3))
    impose(app, household, HOVJ, under,
           occurred_at=(START + timedelta(minutes=30)).isoformat(),
           rationale="imposed at the scene, registered after the shift")
    assert imposed_event(app, household).mandate_id == "mandaat-test-1"


def test_decided_after_the_mandate_ended_is_refused(
        app: DomainCases, household: Household, clock: SettableClock) -> None:
    under = mandate(valid_until=START + timedelta(hours=1))
    clock.set(START + timedelta(hours=3))
    refused(app, lambda: impose(app, household, HOVJ, under))


def test_extension_and_revocation_stay_with_the_burgemeester(
        app: DomainCases, household: Household) -> None:
    hid = impose(app, household, HOVJ, mandate()).ids["huisverbod_id"]
    new_end = (START + timedelta(days=20)).isoformat()
    refused(app, lambda: app.extend_huisverbod(
        household.cmd(actor=HOVJ, huisverbod_id=str(hid), new_end=new_end)))
    refused(app, lambda: app.revoke_huisverbod(
        household.cmd(actor=HOVJ, huisverbod_id=str(hid))))
    refused(app, lambda: app.revoke_huisverbod(
        household.cmd(actor=VT, huisverbod_id=str(hid))))
    app.extend_huisverbod(household.cmd(actor=BURGEMEESTER, huisverbod_id=str(hid),
                                        new_end=new_end))
    app.revoke_huisverbod(household.cmd(actor=BURGEMEESTER, huisverbod_id=str(hid)))
    views = app.get_case(household.case_id).huisverboden
    assert [v.state for v in views] == ["revoked"]


def test_an_event_stored_before_the_mandate_field_replays_as_the_burgemeester_s(
        app: DomainCases, household: Household) -> None:
    """Old ``HuisverbodImposed`` events have no ``mandate_id``: they replay unchanged."""
    impose(app, household, BURGEMEESTER, None)
    ev = imposed_event(app, household)
    del ev.__dict__["mandate_id"]  # as decoded from a store written before the field
    replayed = app.replayed(household.case_id)
    assert replayed.state_dict() == app.load_case(household.case_id).state_dict()
    assert len(replayed.huisverboden) == 1
