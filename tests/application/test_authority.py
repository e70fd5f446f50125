"""Command authority through the application: every command is decided by the policy.

Given a case in some state, when an actor gives a command, then the application refuses it
with ``NOT_AUTHORISED`` (naming the policy rule, no personal data) exactly when the policy
refuses it, stores nothing, and logs the refused attempt in the access log; a granted command
is decided by the domain as before. Also: the warm handover rules of issue 13 in the
aggregate, the administrative commands, and that no command grants a read.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hgkm_workflow import commands as c
from hgkm_workflow.application import HANDLERS, HgkmApplication
from hgkm_workflow.authority import ADMINISTRATIVE_COMMANDS, NotAuthorised, case_facts, decide
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import AccessDenied, HgkmError, RuleViolation
from tests.support import (
    BURGEMEESTER,
    LT,
    LT2,
    LT2_REGISSEUR,
    LT_REGISSEUR,
    MDA,
    READ,
    VT,
    Household,
    refused,
    stored_event_rows,
)

MDA_REGISSEUR = {"actor_id": "zc-002", "organisation": "mda-rotterdam",
                 "organisation_type": "mda_kernteam"}
STRANGER = {"actor_id": "lt-666", "organisation": "wijkteam-elders", "role": "lokaal_team"}
AUDITOR = {"actor_id": "au-1", "organisation": "hgkm-audit", "role": "auditor"}
POLITIE = {"actor_id": "pol-881", "organisation": "politie-rotterdam", "role": "politie"}
BM_ELSEWHERE = {"actor_id": "bm-002", "organisation": "gemeente-leiden", "role": "burgemeester"}
VT_ELSEWHERE = {"actor_id": "vt-900", "organisation": "vt-hollands-midden",
                "role": "vt_medewerker"}
ACTORS = (VT, LT, LT2, BURGEMEESTER, MDA, STRANGER, AUDITOR, POLITIE, BM_ELSEWHERE,
          VT_ELSEWHERE)


def command_log(app: HgkmApplication) -> list[tuple[Any, ...]]:
    """The access log's entries for refused commands: actor, resource, verdict, rule."""
    with app.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT actor_id, case_id, resource, purpose, verdict, rule FROM hgkm_access_log "
            "WHERE resource = 'command' ORDER BY seq"))
        return [tuple(r) for r in rows]


def test_every_command_of_the_handler_table_is_in_the_policy(app: HgkmApplication) -> None:
    known = set(app.authority.policy.commands)
    assert {cls.__name__ for cls in HANDLERS} <= known
    assert set(ADMINISTRATIVE_COMMANDS) <= known
    assert known - {cls.__name__ for cls in HANDLERS} == set(ADMINISTRATIVE_COMMANDS)


def test_a_stranger_is_refused_stores_nothing_and_the_attempt_is_logged(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    exc = refused(app, lambda: app.close_case(h.cmd(actor=STRANGER, reason="other")),
                  NotAuthorised)
    assert exc.code == "NOT_AUTHORISED" and exc.rule == "P-vt-afsluiten-zonder-regisseur"
    assert "lt-666" in str(exc) and str(h.case_id) in str(exc)
    assert str(h.victim) not in str(exc)
    assert command_log(app) == [("lt-666", str(h.case_id), "command", "casusregie", "refused",
                                 "authority v2: CloseCase refused "
                                 "(P-vt-afsluiten-zonder-regisseur)")]
    assert app.verify_access_log(access=READ).ok  # the refusal is chained like any entry


def test_the_issue_13_attacks_are_refused(app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()  # LT holds casusregie
    attacks: list[tuple[str, dict[str, Any]]] = [
        ("assign_casusregisseur", h.cmd(actor=STRANGER, regisseur={
            "actor_id": "lt-666", "organisation": "wijkteam-elders",
            "organisation_type": "lokaal_team"})),
        ("close_case", h.cmd(actor=STRANGER, reason="other")),
        ("correct_person_role", h.cmd(actor=STRANGER, person_id=str(h.victim),
                                      role="alleged_perpetrator")),
        ("offer_handover", h.cmd(actor=LT2, to=LT2_REGISSEUR)),
        ("complete_directe_veiligheid", h.cmd(actor=VT)),
        ("request_erasure", {"actor": POLITIE, "rationale": "forwarded request",
                             "person_id": str(h.child)}),
    ]
    for method, data in attacks:
        refused(app, lambda m=method, d=data: getattr(app, m)(d), NotAuthorised)
    # no command grants a read: the stranger named in the refused assignment still reads nothing
    with pytest.raises(AccessDenied):
        app.get_case(h.case_id, access={"actor": STRANGER, "purpose": "casusregie"})
    assert len(command_log(app)) == len(attacks)


def test_statutory_tasks_stay_with_veilig_thuis_and_the_burgemeester(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    refused(app, lambda: h.assess("no_further_action", actor=LT), NotAuthorised)
    h.assess("handover_local_team")
    hv = app.impose_huisverbod(h.cmd(actor=BURGEMEESTER, removed_person_id=str(h.perpetrator)))
    hid = str(hv.ids["huisverbod_id"])
    for actor in (VT, LT, BM_ELSEWHERE, POLITIE):
        refused(app, lambda a=actor: app.revoke_huisverbod(h.cmd(actor=a, huisverbod_id=hid)),
                NotAuthorised)
    refused(app, lambda: app.impose_huisverbod(h.cmd(
        actor=BM_ELSEWHERE, removed_person_id=str(h.perpetrator))), NotAuthorised)
    refused(app, lambda: app.end_monitoring(h.cmd(actor=LT, stable_safety=True)),
            NotAuthorised)
    app.revoke_huisverbod(h.cmd(actor=BURGEMEESTER, huisverbod_id=hid))


def test_creating_a_case_is_authorised_before_the_persons_are_looked_up(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    other = Household(app, clock)
    other.victim, other.perpetrator, other.child = h.victim, h.perpetrator, h.child
    for a in (LT, AUDITOR, VT_ELSEWHERE):
        exc = refused(app, lambda a=a: app.receive_melding({**_melding(other), "actor": a}),
                      NotAuthorised)
        assert exc.rule == ("auditor-reads-only" if a is AUDITOR else "W-vt-meldpunt")
        assert "on case" not in str(exc)  # the refusal does not reveal the known household
    refused(app, lambda: app.record_advies({
        "actor": LT, "rationale": "advice asked by a school", "region": "rotterdam-rijnmond",
        "gemeente": "GM0599", "melder_type": "onderwijs"}), NotAuthorised)


def _melding(h: Household) -> dict[str, Any]:
    return {"rationale": "melding received by phone", "region": h.region,
            "gemeente": h.gemeente, "melder_type": "politie", "persons": h.persons(),
            "forms_of_violence": ["partnergeweld"]}


def test_administrative_commands_have_authority(
    app: HgkmApplication, clock: SettableClock
) -> None:
    app.tick()  # the default scheduler actor
    with pytest.raises(NotAuthorised):
        app.tick(actor=c.Actor.model_validate(LT))
    with pytest.raises(NotAuthorised):
        app.apply_calendar(app.calendar, "no decree", actor=c.Actor.model_validate(VT))
    assert app.apply_calendar(app.calendar, "same calendar") == []
    assert [r[4] for r in command_log(app)] == ["refused", "refused"]


# ----------------------------------------------------------------------- warm handover


def test_only_the_sender_withdraws_and_the_receiver_decides(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    app.offer_handover(h.cmd(actor=LT, to=LT2_REGISSEUR))
    refused(app, lambda: app.withdraw_handover(h.cmd(actor=LT2)), NotAuthorised)
    refused(app, lambda: app.accept_handover(h.cmd(actor=LT)), NotAuthorised)
    colleague = {**LT2, "actor_id": "lt-045"}  # the receiving organisation, another person
    exc = refused(app, lambda: app.accept_handover(h.cmd(actor=colleague)), RuleViolation)
    assert exc.code == "NOT_HANDOVER_RECEIVER"
    app.withdraw_handover(h.cmd(actor=LT))
    assert app.get_case(h.case_id, access=READ).regisseur == LT_REGISSEUR


def test_an_outcome_never_silently_replaces_a_pending_offer(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.to_directe_veiligheid()
    app.offer_handover(h.cmd(actor=LT, to=LT2_REGISSEUR))
    h.melding()
    exc = refused(app, lambda: h.assess("handover_local_team", handover_to={
        "actor_id": "lt-777", "organisation": "wijkteam-west",
        "organisation_type": "lokaal_team"}), RuleViolation)
    assert exc.code == "HANDOVER_PENDING"


def test_an_mda_case_returns_only_through_an_accepted_handover(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding(acute=True)
    h.assess("escalate_mda")
    exc = refused(app, lambda: app.return_to_local_team(h.cmd(actor=MDA)), RuleViolation)
    assert exc.code == "HANDOVER_REQUIRED"
    app.assign_casusregisseur(h.cmd(actor=MDA, regisseur=MDA_REGISSEUR))
    assert refused(app, lambda: app.return_to_local_team(h.cmd(actor=MDA)),
                   RuleViolation).code == "HANDOVER_REQUIRED"
    app.offer_handover(h.cmd(actor=MDA, to=LT_REGISSEUR))
    assert refused(app, lambda: app.return_to_local_team(h.cmd(actor=MDA)),
                   RuleViolation).code == "HANDOVER_PENDING"
    refused(app, lambda: app.return_to_local_team(h.cmd(actor=LT)), NotAuthorised)
    app.accept_handover(h.cmd(actor=LT))
    app.return_to_local_team(h.cmd(actor=MDA))
    assert app.get_case(h.case_id, access=READ).mda == "returned"


def test_no_field_is_accepted_without_effect(app: HgkmApplication, clock: SettableClock) -> None:
    h = Household(app, clock)
    h.melding()
    with pytest.raises(HgkmError) as info:  # handover_to with an outcome that is no handover
        h.assess("onderzoek", handover_to=LT2_REGISSEUR)
    assert info.value.code == "INVALID_COMMAND"
    exc = refused(app, lambda: h.assess("no_further_action",
                                        veiligheidsvoorwaarden=["geen_geweld"]), RuleViolation)
    assert exc.code == "VOORWAARDEN_WITHOUT_EFFECT"


# ----------------------------------------------------------------------- property

_CASE_COMMANDS: dict[str, dict[str, Any]] = {
    "close_case": {"reason": "other"},
    "confirm_acute_unsafety_removed": {},
    "set_veiligheidsplan": {"voorwaarden": ["geen_geweld"]},
    "complete_directe_veiligheid": {},
    "offer_handover": {"to": LT2_REGISSEUR},
    "accept_handover": {},
    "withdraw_handover": {},
    "escalate_to_mda": {},
    "take_crisis_measure": {"measure": "politie_inzet"},
    "involve_ervaringsdeskundige": {},
    "record_waakvlam_contact": {},
    "impose_huisverbod": {},  # the household's alleged perpetrator (below)
}
_STATES = ("triage", "dv_with_regisseur", "handover_offered", "mda")


def _drive(h: Household, state: str) -> None:
    h.melding(acute=state == "mda")
    if state == "mda":
        h.assess("escalate_mda")
    elif state != "triage":
        h.assess("handover_local_team")
    if state == "handover_offered":
        h.app.offer_handover(h.cmd(actor=LT, to=LT2_REGISSEUR))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=st.sampled_from(_STATES),
       steps=st.lists(st.tuples(st.sampled_from(ACTORS), st.sampled_from(sorted(_CASE_COMMANDS))),
                      min_size=1, max_size=4))
def test_random_actors_never_change_a_case_unless_the_policy_allows_it(
    sqlite_app: HgkmApplication, clock: SettableClock, state: str,
    steps: list[tuple[dict[str, str], str]]
) -> None:
    app = sqlite_app
    h = Household(app, clock)
    _drive(h, state)
    for actor, method in steps:
        case = app.load_case(h.case_id, access=READ)
        name = HANDLERS_BY_NAME[method]
        granted = decide(c.Actor.model_validate(actor), name,  # at the command's business time
                         case_facts(case, app.authority.policy.tables, at=clock.now()),
                         app.authority.policy).granted
        before = stored_event_rows(app)
        person = {"removed_person_id": str(h.perpetrator)} if method == "impose_huisverbod" \
            else {}  # the burgemeester, or politie-rotterdam under the Rotterdam mandate
        data = h.cmd(actor=actor, **_CASE_COMMANDS[method], **person)
        try:
            getattr(app, method)(data)
        except NotAuthorised:
            assert not granted, (actor, method)
            assert stored_event_rows(app) == before
            continue
        except HgkmError:
            assert granted, (actor, method)  # the domain refused a granted command
            assert stored_event_rows(app) == before
            continue
        assert granted, (actor, method)
        assert stored_event_rows(app) != before


HANDLERS_BY_NAME = {h.name: cls.__name__ for cls, h in HANDLERS.items()}


def test_rotating_the_key_is_a_command_with_authority(
    make_app: Any, sqlite_url: str, clock: SettableClock, tmp_path: Any
) -> None:
    from typer.testing import CliRunner

    from hgkm_workflow.adapters.cipher import generate_key
    from hgkm_workflow.cli import app as cli

    key = generate_key()
    store = make_app(sqlite_url, cipher_key=key)
    Household(store, clock).melding()
    before = stored_event_rows(store)
    store.close()
    old_file, new_file = tmp_path / "old.key", tmp_path / "new.key"
    old_file.write_text(key, encoding="ascii")
    new_file.write_text(generate_key(), encoding="ascii")
    args = ["rotate-key", "--db", sqlite_url, "--old-key-file", str(old_file),
            "--new-key-file", str(new_file)]
    result = CliRunner().invoke(cli, [*args, "--actor", "vt-017", "--organisation",
                                      "vt-rotterdam-rijnmond", "--role", "vt_medewerker"])
    assert result.exit_code == 1 and "NOT_AUTHORISED" in result.output
    reopened = make_app(sqlite_url, cipher_key=key)
    assert stored_event_rows(reopened) == before  # nothing re-encrypted
    assert [r[0] for r in command_log(reopened)] == ["vt-017"]
    reopened.close()
    assert CliRunner().invoke(cli, args).exit_code == 0  # the default operator may


def test_being_named_gives_a_read_only_once_the_command_is_authorised_and_recorded(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    h.assess("onderzoek")  # directe veiligheid without a casusregisseur
    named = {"actor": LT2, "purpose": "casusregie"}
    with pytest.raises(AccessDenied):
        app.get_case(h.case_id, access=named)
    refused(app, lambda: app.assign_casusregisseur(h.cmd(actor=LT2, regisseur=LT2_REGISSEUR)),
            NotAuthorised)  # naming itself gives nothing
    with pytest.raises(AccessDenied):
        app.get_case(h.case_id, access=named)
    app.assign_casusregisseur(h.cmd(actor=VT, regisseur=LT2_REGISSEUR))  # VT hands it over
    assert app.get_case(h.case_id, access=named).regisseur == LT2_REGISSEUR


def test_a_melding_naming_a_case_of_another_region_is_refused(
    app: HgkmApplication, clock: SettableClock
) -> None:
    h = Household(app, clock)
    h.melding()
    elsewhere = {**_melding(Household(app, clock, region="hollands-midden", gemeente="GM0546")),
                 "actor": VT_ELSEWHERE, "case_id": str(h.case_id)}
    exc = refused(app, lambda: app.receive_melding(elsewhere), NotAuthorised)
    assert exc.rule == "W-vt-meldpunt" and str(h.case_id) in str(exc)
