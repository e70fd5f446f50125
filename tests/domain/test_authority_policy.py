"""Who may give which command: the shipped policy against the refusals of issue 13.

Given a case's facts (region, gemeente, casusregie, pending handover, MDA++), when an actor
gives a command, then the policy grants it only to the organisation whose task it is.
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest

from hgkm_workflow import commands, commands_period, commands_tracks
from hgkm_workflow.access.models import Purpose
from hgkm_workflow.access.policy import default_policy as default_access_policy
from hgkm_workflow.authority import (
    ADMINISTRATIVE_COMMANDS,
    CommandFacts,
    NotAuthorised,
    allowed_commands,
    case_facts,
    decide,
    default_policy,
    facts_without_case,
    intake_facts,
    render_markdown,
    require,
)
from hgkm_workflow.commands import Actor
from hgkm_workflow.errors import HgkmError

ROOT = Path(__file__).resolve().parents[2]
POLICY = default_policy()
TABLES = POLICY.tables

VT = Actor(actor_id="vt-017", organisation="vt-rotterdam-rijnmond", role="vt_medewerker")
VT_OTHER = Actor(actor_id="vt-900", organisation="vt-hollands-midden", role="vt_medewerker")
LT = Actor(actor_id="lt-003", organisation="wijkteam-noord", role="lokaal_team")
LT2 = Actor(actor_id="lt-044", organisation="wijkteam-zuid", role="lokaal_team")
STRANGER = Actor(actor_id="lt-666", organisation="wijkteam-elders", role="lokaal_team")
BM = Actor(actor_id="bm-001", organisation="gemeente-rotterdam", role="burgemeester")
BM_ELSEWHERE = Actor(actor_id="bm-002", organisation="gemeente-leiden", role="burgemeester")
HOVJ = Actor(actor_id="hovj-1", organisation="politie-rotterdam", role="politie")
MDA = Actor(actor_id="zc-002", organisation="mda-rotterdam", role="zorgcoordinator_mda")
AUDITOR = Actor(actor_id="au-1", organisation="hgkm", role="auditor")
SCHEDULER = Actor(actor_id="hgkm-scheduler", organisation="hgkm", role="scheduler")


def _case(**regie: Any) -> SimpleNamespace:
    state = regie.pop("mda_state", "not_escalated")
    return SimpleNamespace(region="rotterdam-rijnmond", gemeente="GM0599", mda_state=state,
                           regie={"state": "unassigned", "regisseur": None, "offered_to": None,
                                  **regie})


def _reg(org: str) -> dict[str, str]:
    return {"actor_id": "x-1", "organisation": org, "organisation_type": "lokaal_team"}


#: The business time the facts are decided at (selects the mandates in force).
AT = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
NEW = case_facts(_case(), TABLES, at=AT)
WITH_LT = case_facts(_case(state="assigned", regisseur=_reg("wijkteam-noord")), TABLES, at=AT)
OFFERED = case_facts(_case(state="handover_offered", regisseur=_reg("wijkteam-noord"),
                           offered_to=_reg("wijkteam-zuid")), TABLES, at=AT)
MDA_HELD = case_facts(_case(state="assigned", regisseur=_reg("mda-rotterdam"),
                            mda_state="escalated"), TABLES, at=AT)


def _granted(actor: Actor, command: str, facts: CommandFacts) -> bool:
    return decide(actor, command, facts, POLICY).granted


def _command_classes() -> list[str]:
    abstract = {"Command", "CaseCommand"}
    # ``commands`` re-exports the catalogue of the ``commands_*`` modules (split by subject)
    return sorted({name for module in (commands, commands_period, commands_tracks)
                   for name, cls in inspect.getmembers(module, inspect.isclass)
                   if issubclass(cls, commands.Command)
                   and cls.__module__.startswith("hgkm_workflow.commands")
                   and not name.startswith("_") and name not in abstract})


def test_every_command_and_administrative_command_has_authority() -> None:
    expected = {*_command_classes(), *ADMINISTRATIVE_COMMANDS}
    assert set(POLICY.commands) == expected
    assert all(POLICY.rules_for(name, None) for name in expected)


def test_every_purpose_is_an_access_purpose() -> None:
    purposes = {c.purpose for c in POLICY.commands.values() if c.purpose is not None}
    assert purposes <= {p.value for p in Purpose}
    assert all(c.purpose for n, c in POLICY.commands.items() if n not in ADMINISTRATIVE_COMMANDS)


def test_veilig_thuis_tables_agree_with_the_access_policy() -> None:
    access = default_access_policy()
    for region in {*access.regions, *TABLES.regions}:
        assert TABLES.veilig_thuis(region) == access.region(region).veilig_thuis
        assert TABLES.mda_kernteam(region) == access.region(region).mda_kernteam


@pytest.mark.parametrize("command", ["CompleteVeiligheidsbeoordeling", "CompleteVtService",
                                     "EndMonitoring", "RecordMonitoringCheck", "InformMelder"])
def test_statutory_tasks_of_veilig_thuis_are_refused_to_the_local_team(command: str) -> None:
    assert not _granted(LT, command, WITH_LT)  # even as casusregisseur
    assert not _granted(VT_OTHER, command, WITH_LT)  # VT of another region
    assert _granted(VT, command, WITH_LT)


def test_a_stranger_cannot_make_itself_casusregisseur_or_close_the_case() -> None:
    for command in ("AssignCasusregisseur", "OfferHandover", "CloseCase", "CorrectPersonRole",
                    "SetVeiligheidsplan", "EscalateToMda"):
        assert not _granted(STRANGER, command, WITH_LT), command
    assert _granted(VT, "AssignCasusregisseur", NEW)
    assert _granted(LT, "CloseCase", WITH_LT)


def test_veilig_thuis_closes_and_plans_only_while_nobody_holds_casusregie() -> None:
    for command in ("CloseCase", "SetVeiligheidsplan", "ConfirmAcuteUnsafetyRemoved"):
        assert _granted(VT, command, NEW)
        assert not _granted(VT, command, WITH_LT)
    assert not _granted(VT, "CompleteDirecteVeiligheid", NEW)  # leaving the phase: regisseur


def test_warm_handover_sender_offers_and_withdraws_receiver_accepts_or_declines() -> None:
    assert _granted(LT, "OfferHandover", WITH_LT)
    assert not _granted(LT2, "OfferHandover", WITH_LT)
    assert _granted(LT, "WithdrawHandover", OFFERED)
    assert not _granted(LT2, "WithdrawHandover", OFFERED)  # the receiver cannot withdraw
    for command in ("AcceptHandover", "DeclineHandover"):
        assert _granted(LT2, command, OFFERED)
        assert not _granted(LT, command, OFFERED)  # the sender cannot accept for the receiver
        assert not _granted(LT2, command, WITH_LT)  # nothing pending
    assert not _granted(LT, "WithdrawHandover", WITH_LT)


def test_huisverbod_is_the_burgemeester_of_the_case_s_gemeente() -> None:
    for command in ("ImposeHuisverbod", "ExtendHuisverbod", "RevokeHuisverbod"):
        assert _granted(BM, command, WITH_LT)
        assert not _granted(BM_ELSEWHERE, command, WITH_LT)
        assert not _granted(VT, command, WITH_LT)  # VT does not revoke a huisverbod
    unknown = replace(WITH_LT, gemeente="GM9999", burgemeester_organisation=None)
    assert not _granted(BM, "ImposeHuisverbod", unknown)


def test_a_hulpofficier_imposes_only_under_a_recorded_mandate() -> None:
    decision = decide(HOVJ, "ImposeHuisverbod", WITH_LT, POLICY)
    assert decision.granted and decision.rule == "W-hulpofficier-mandaat"
    assert decision.mandate is not None
    assert decision.mandate.mandate_id == "mandaat-gm0599-huisverbod-2020"
    assert not _granted(HOVJ, "ExtendHuisverbod", WITH_LT)
    assert not _granted(HOVJ, "RevokeHuisverbod", WITH_LT)
    no_mandate = replace(WITH_LT, mandates={})
    assert not _granted(HOVJ, "ImposeHuisverbod", no_mandate)
    # the burgemeester decides himself: no mandate on his decision
    assert decide(BM, "ImposeHuisverbod", WITH_LT, POLICY).mandate is None


def test_a_mandate_counts_only_while_in_force_for_the_case_s_gemeente() -> None:
    rotterdam = _case(state="assigned", regisseur=_reg("wijkteam-noord"))
    before = datetime(2019, 12, 31, 22, 59, tzinfo=UTC)  # 23:59 in Amsterdam: not yet
    first = datetime(2019, 12, 31, 23, 0, tzinfo=UTC)    # 1 January 2020, 00:00 Amsterdam
    assert not _granted(HOVJ, "ImposeHuisverbod", case_facts(rotterdam, TABLES, at=before))
    assert _granted(HOVJ, "ImposeHuisverbod", case_facts(rotterdam, TABLES, at=first))
    assert not _granted(HOVJ, "ImposeHuisverbod", case_facts(rotterdam, TABLES))  # no time
    # the same police organisation has no mandate in another gemeente of its region
    schiedam = SimpleNamespace(**{**vars(rotterdam), "gemeente": "GM0606"})
    assert not _granted(HOVJ, "ImposeHuisverbod", case_facts(schiedam, TABLES, at=AT))
    # Leiden's mandate ran from 2024 up to 1 January 2026 (Amsterdam)
    hovj_hm = Actor(actor_id="hovj-2", organisation="politie-hollands-midden", role="politie")
    leiden = SimpleNamespace(region="hollands-midden", gemeente="GM0546",
                             mda_state="not_escalated",
                             regie={"state": "unassigned", "regisseur": None, "offered_to": None})
    in_force = datetime(2025, 12, 31, 22, 59, tzinfo=UTC)
    ended = datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
    assert _granted(hovj_hm, "ImposeHuisverbod", case_facts(leiden, TABLES, at=in_force))
    assert not _granted(hovj_hm, "ImposeHuisverbod", case_facts(leiden, TABLES, at=ended))
    # a police officer of another organisation has no mandate at all
    other = Actor(actor_id="hovj-3", organisation="politie-rotterdam-rijnmond", role="politie")
    assert not _granted(other, "ImposeHuisverbod", WITH_LT)


def test_expiry_is_the_scheduler_s_or_the_burgemeester_s() -> None:
    assert _granted(SCHEDULER, "ExpireHuisverbod", WITH_LT)
    assert _granted(BM, "ExpireHuisverbod", WITH_LT)
    assert not _granted(BM_ELSEWHERE, "ExpireHuisverbod", WITH_LT)
    assert not _granted(VT, "ExpireHuisverbod", WITH_LT)


def test_the_kernteam_assigns_the_first_regisseur_of_an_escalated_case() -> None:
    escalated = case_facts(_case(mda_state="escalated"), TABLES)
    assert _granted(MDA, "AssignCasusregisseur", escalated)
    assert not _granted(MDA, "AssignCasusregisseur", NEW)
    assert not _granted(MDA, "AssignCasusregisseur", MDA_HELD)  # someone holds it already


def test_mda_return_is_the_kernteam_s_while_escalated() -> None:
    assert _granted(MDA, "ReturnToLocalTeam", MDA_HELD)
    assert not _granted(LT, "ReturnToLocalTeam", MDA_HELD)
    assert not _granted(MDA, "ReturnToLocalTeam", WITH_LT)  # not escalated


def test_regional_override_widens_a_regional_task_in_its_region_only() -> None:
    assert _granted(HOVJ, "InformSchool", WITH_LT)  # Handle with Care, Rotterdam-Rijnmond
    hm = intake_facts("hollands-midden", "GM0546", TABLES)
    police_hm = Actor(actor_id="p-1", organisation="politie-rotterdam", role="politie")
    assert not _granted(police_hm, "InformSchool", hm)
    assert _granted(VT, "RecordContactAddressGiven", WITH_LT)  # casusregie huisverbod (001)


def test_intake_is_veilig_thuis_of_the_region_the_command_names() -> None:
    facts = intake_facts("rotterdam-rijnmond", "GM0599", TABLES)
    for command in ("RecordAdvies", "ReceiveMelding", "ConvertAdviesToMelding"):
        assert _granted(VT, command, facts)
        assert not _granted(LT, command, facts)
        assert not _granted(VT_OTHER, command, facts)
    conventional = intake_facts("utrecht", "GM0344", TABLES)
    assert _granted(Actor(actor_id="vt-040", organisation="vt-utrecht", role="vt_medewerker"),
                    "ReceiveMelding", conventional)


def test_administrative_commands_are_the_operators_and_erasure_veilig_thuis_s() -> None:
    none = facts_without_case(TABLES)
    operator = Actor(actor_id="ops-1", organisation="hgkm", role="system")
    assert _granted(operator, "RotateCipherKey", none)
    assert _granted(operator, "ApplyCalendar", none)
    assert _granted(SCHEDULER, "Tick", none)
    assert not _granted(SCHEDULER, "RotateCipherKey", none)
    assert not _granted(VT, "RotateCipherKey", none)
    assert _granted(VT, "RequestErasure", none)
    assert _granted(VT, "RequestErasure", WITH_LT)
    assert not _granted(VT_OTHER, "RequestErasure", WITH_LT)
    assert not _granted(LT, "RequestErasure", WITH_LT)


def test_auditor_and_unknown_commands_are_refused_with_their_rule() -> None:
    decision = decide(AUDITOR, "RotateCipherKey", facts_without_case(TABLES), POLICY)
    assert (decision.granted, decision.rule) == (False, "auditor-reads-only")
    decision = decide(VT, "DeleteEverything", WITH_LT, POLICY)
    assert (decision.granted, decision.rule) == (False, "unknown-command")


def test_refusal_names_the_governing_rule_and_no_personal_data() -> None:
    case_id = str(uuid4())
    with pytest.raises(NotAuthorised) as raised:
        require(LT, "CompleteVeiligheidsbeoordeling", WITH_LT, POLICY, case_id=case_id)
    error = raised.value
    assert isinstance(error, HgkmError)
    assert error.code == "NOT_AUTHORISED"
    assert error.rule == "W-vt-veiligheidsbeoordeling"
    assert error.as_dict()["message"] == (
        f"CompleteVeiligheidsbeoordeling on case {case_id} refused to lt-003 "
        "(wijkteam-noord, lokaal_team)")
    assert error.decision.log_rule.startswith("authority v2: CompleteVeiligheidsbeoordeling")
    assert require(VT, "CompleteVeiligheidsbeoordeling", WITH_LT, POLICY).granted


def test_facts_from_a_case_read_regie_handover_and_mda() -> None:
    assert OFFERED.regisseur_organisation == "wijkteam-noord"
    assert OFFERED.handover_sender_organisation == "wijkteam-noord"
    assert OFFERED.handover_receiver_organisation == "wijkteam-zuid"
    assert not WITH_LT.handover_pending and WITH_LT.handover_sender_organisation is None
    assert "mda-rotterdam" in MDA_HELD.involved_organisations
    assert "mda-rotterdam" not in WITH_LT.involved_organisations
    assert WITH_LT.burgemeester_organisation == "gemeente-rotterdam"
    assert ("ImposeHuisverbod", "politie-rotterdam") in WITH_LT.mandates
    assert ("ExtendHuisverbod", "politie-rotterdam") not in WITH_LT.mandates
    extra = case_facts(_case(), TABLES, involvements=["zorg-1"])
    assert "zorg-1" in extra.involved_organisations


def test_facts_from_a_real_household_case() -> None:
    from hgkm_workflow.case import HouseholdCase

    case = HouseholdCase(id=uuid4(), region="rotterdam-rijnmond", gemeente="GM0599",
                         opened_at=datetime(2026, 1, 5, tzinfo=UTC))
    facts = case_facts(case, TABLES)
    assert facts.region == "rotterdam-rijnmond" and facts.regisseur_organisation is None
    assert facts.vt_organisations == frozenset({"vt-rotterdam-rijnmond"})
    assert not facts.mda_escalated and not facts.handover_pending


def test_docs_authority_md_is_the_rendered_policy() -> None:
    committed = (ROOT / "docs" / "authority.md").read_text(encoding="utf-8")
    assert committed == render_markdown(POLICY), "regenerate docs/authority.md"


def test_naming_oneself_in_a_command_grants_no_read() -> None:
    from hgkm_workflow.access.models import Access
    from hgkm_workflow.access.policy import CaseFacts as AccessFacts
    from hgkm_workflow.access.policy import decide as decide_access

    # A stranger names itself casusregisseur: refused, so the case stays as it was ...
    assert not _granted(STRANGER, "AssignCasusregisseur", NEW)
    assert not _granted(STRANGER, "OfferHandover", WITH_LT)
    before = AccessFacts(region="rotterdam-rijnmond", regie_organisation="wijkteam-noord")
    read = Access(actor=STRANGER, purpose=Purpose.CASUSREGIE)
    assert not decide_access(read, before).allowed  # ... and it still may not read it.
    # Only once Veilig Thuis's assignment is recorded does the named organisation read.
    assert _granted(VT, "AssignCasusregisseur", NEW)
    after = AccessFacts(region="rotterdam-rijnmond", regie_organisation="wijkteam-elders")
    assert decide_access(read, after).allowed


def test_what_an_auditor_a_stranger_and_the_regisseur_may_do() -> None:
    assert allowed_commands(AUDITOR, WITH_LT, POLICY) == ()
    assert allowed_commands(STRANGER, WITH_LT, POLICY) == ()
    mine = set(allowed_commands(LT, WITH_LT, POLICY))
    assert {"OfferHandover", "CloseCase", "SetHerstelplan", "InformSchool"} <= mine
    assert not mine & {"CompleteVeiligheidsbeoordeling", "ImposeHuisverbod", "AcceptHandover"}


def test_the_access_and_authority_policies_list_the_same_regional_organisations() -> None:
    """Who is Veilig Thuis and MDA++ kernteam per region is the same in both policies (issue 13
    item 4: mda-arnhem-achterhoek was missing from one region's kernteam)."""
    access = default_access_policy()
    assert set(access.regions) == set(TABLES.regions)
    for code, table in TABLES.regions.items():
        assert access.region(code).veilig_thuis == table.veilig_thuis, code
        assert access.region(code).mda_kernteam == table.mda_kernteam, code
    assert "mda-arnhem-achterhoek" in TABLES.mda_kernteam("arnhem-achterhoek")
