"""A scripted household lifecycle, driven through the public API with simulated time.

Used by ``hgkm demo`` and ``examples/full_lifecycle.py``: a police melding late on the
Thursday before Koningsdag, a huisverbod imposed and extended, an MDA++ escalation and return,
a warm handover of casusregie, every phase, a loop-back after a new incident, the waakvlam and
closure — with the scheduler ticking so breaches and the end of the huisverbod are recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from hgkm_workflow.adapters.persons import PersonDetails
from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock

VT = {"actor_id": "vt-medewerker-17", "organisation": "vt-rotterdam-rijnmond",
      "role": "vt_medewerker"}
POLITIE = {"actor_id": "politie-4411", "organisation": "politie-rotterdam", "role": "politie"}
BURGEMEESTER = {"actor_id": "burgemeester-1", "organisation": "gemeente-rotterdam",
                "role": "burgemeester"}
MDA = {"actor_id": "zorgcoordinator-2", "organisation": "mda-rotterdam",
       "role": "zorgcoordinator_mda"}
MDA_REGIE = {"actor_id": "zorgcoordinator-2", "organisation": "mda-rotterdam",
             "organisation_type": "mda_kernteam"}
WIJKTEAM = {"actor_id": "wijkteam-3", "organisation": "wijkteam-feijenoord", "role": "lokaal_team"}
WIJKTEAM_REGIE = {"actor_id": "wijkteam-3", "organisation": "wijkteam-feijenoord",
                  "organisation_type": "lokaal_team"}

START_LOCAL = datetime(2026, 4, 23, 23, 10)  # Thursday before Koningsdag (Monday 27 April)


def start_instant() -> datetime:
    """When the story begins (aware)."""
    return START_LOCAL.replace(tzinfo=ZoneInfo("Europe/Amsterdam"))


def drive_household(app: HgkmApplication, clock: SettableClock,
                    say: Callable[[str], None] = lambda _: None) -> UUID:
    """Run the whole story on ``app``; return the case id. ``say`` narrates each step."""
    clock.set(start_instant())
    # Identifying details go to the register only; the case knows random ids.
    victim = app.persons.register(PersonDetails(name="(demo) volwassene A"))
    perpetrator = app.persons.register(PersonDetails(name="(demo) volwassene B"))
    child = app.persons.register(PersonDetails(name="(demo) kind C"))

    def later(**delta: float) -> None:
        clock.advance(timedelta(**delta))

    def cmd(actor: dict[str, str], why: str, **data: Any) -> dict[str, Any]:
        return {"actor": actor, "rationale": why, "case_id": str(case_id), **data}

    say("Thursday 23:10 — the police report an acute incident with a child present")
    melding = app.receive_melding({
        "actor": VT, "rationale": "police report after a call-out at night",
        "region": "rotterdam-rijnmond", "gemeente": "GM0599", "melder_type": "politie",
        "persons": [{"person_id": str(victim), "role": "victim"},
                    {"person_id": str(perpetrator), "role": "alleged_perpetrator"},
                    {"person_id": str(child), "role": "child"}],
        "forms_of_violence": ["partnergeweld", "getuige_huiselijk_geweld"], "acute": True,
    })
    case_id, melding_id = melding.case_id, melding.ids["melding_id"]

    later(minutes=50)
    say("The burgemeester imposes a tijdelijk huisverbod for 10 days")
    hv = app.impose_huisverbod(cmd(BURGEMEESTER, "risk assessment (RiHG) shows acute danger",
                                   removed_person_id=str(perpetrator)))
    huisverbod_id = hv.ids["huisverbod_id"]
    app.take_crisis_measure(cmd(POLITIE, "police removed the alleged perpetrator",
                                measure="politie_inzet"))
    later(hours=18)
    app.record_contact_address_given(cmd(POLITIE, "contact address received and registered",
                                         huisverbod_id=str(huisverbod_id)))
    later(hours=3)
    app.inform_school(cmd(POLITIE, "Handle with Care: school told the child needs extra care",
                          melding_id=str(melding_id)))

    later(days=4)
    say("Veiligheidsbeoordeling: severe and persistent — escalate to MDA++, inform police/OM")
    app.complete_veiligheidsbeoordeling(cmd(
        VT, "repeated severe violence with a child present; several agencies involved",
        melding_id=str(melding_id), outcome="escalate_mda",
        additional_measures=["inform_police_om"], veiligheidsvoorwaarden=["geen_geweld"]))
    app.assign_casusregisseur(cmd(MDA, "MDA++ kernteam takes casusregie",
                                  regisseur=MDA_REGIE))
    app.set_veiligheidsplan(cmd(MDA, "plan agreed with both adults",
                                voorwaarden=["geen_geweld", "contactverbod_naleven",
                                             "pleger_accepteert_hulp"]))
    app.tick()

    later(days=4)
    say("Day 9: the huisverbod is extended to the legal maximum of 28 days")
    # the burgemeester reads the case for the huisverbod: need to know, and logged
    case = app.get_case(case_id, access={"actor": BURGEMEESTER, "purpose": "huisverbod"})
    max_end = case.huisverboden[0].max_end
    app.extend_huisverbod(cmd(BURGEMEESTER, "risk persists; help has only just started",
                              huisverbod_id=str(huisverbod_id), new_end=max_end.isoformat()))
    later(days=2)
    app.inform_melder(cmd(VT, "police informed of the outcome", melding_id=str(melding_id)))

    say("Warm handover: MDA++ offers casusregie to the wijkteam, which accepts")
    app.offer_handover(cmd(MDA, "acute phase under control; local team continues",
                           to=WIJKTEAM_REGIE))
    later(days=1)
    app.accept_handover(cmd(WIJKTEAM, "wijkteam accepts after the joint meeting"))
    app.return_to_local_team(cmd(MDA, "kernteam returns the case to the local team"))

    later(days=20)
    say("Day 28+: the scheduler records that the huisverbod ran out")
    app.tick()
    app.confirm_acute_unsafety_removed(cmd(WIJKTEAM, "no incidents since the huisverbod"))
    app.complete_directe_veiligheid(cmd(WIJKTEAM, "acute unsafety removed; move to risk work"))

    say("Risicogestuurde zorg: risk factors addressed, offender help accepted")
    app.set_hulpverleningsplan(cmd(WIJKTEAM, "hulpverleningsplan agreed",
                                   risk_factors=["verslaving", "schulden"]))
    app.offer_plegeraanbod(cmd(WIJKTEAM, "offender programme offered",
                               person_id=str(perpetrator)))
    later(days=7)
    app.respond_to_plegeraanbod(cmd(WIJKTEAM, "programme started", person_id=str(perpetrator),
                                    accepted=True))
    later(days=60)
    app.resolve_risk_factor(cmd(WIJKTEAM, "addiction treatment completed", factor="verslaving"))
    later(days=30)
    app.resolve_risk_factor(cmd(WIJKTEAM, "debt counselling arrangement in place",
                                factor="schulden"))
    app.confirm_stable_safety(cmd(WIJKTEAM, "no risk factor affects safety any more"))
    app.complete_risicogestuurde_zorg(cmd(WIJKTEAM, "stabiele veiligheid reached"))

    say("Herstel — then a new incident sends the case back to directe veiligheid")
    app.set_herstelplan(cmd(WIJKTEAM, "trauma care for the child and the adult victim",
                            interventions=["traumabehandeling_kind",
                                           "traumabehandeling_volwassene"]))
    app.involve_ervaringsdeskundige(cmd(WIJKTEAM, "expert by experience supports the family"))
    later(days=21)
    app.loop_back(cmd(WIJKTEAM, "new incident reported by the school", cause="new_incident"))
    app.set_veiligheidsplan(cmd(WIJKTEAM, "plan revised after the incident",
                                voorwaarden=["geen_geweld", "samenwerken_met_regisseur"]))
    later(days=10)
    app.confirm_acute_unsafety_removed(cmd(WIJKTEAM, "safety restored with revised plan"))
    app.complete_directe_veiligheid(cmd(WIJKTEAM, "back to risk work"))
    app.confirm_stable_safety(cmd(WIJKTEAM, "risk factors still resolved"))
    app.complete_risicogestuurde_zorg(cmd(WIJKTEAM, "stable again"))
    later(days=90)
    app.complete_herstelplan(cmd(WIJKTEAM, "herstelplan carried out"))
    app.complete_herstel(cmd(WIJKTEAM, "harm repaired as far as possible"))

    say("Waakvlam: low-level contact, then closure")
    for _ in range(2):
        later(days=60)
        app.record_waakvlam_contact(cmd(WIJKTEAM, "periodic check-in, all well"))
    app.close_case(cmd(WIJKTEAM, "waakvlam period completed without incidents",
                       reason="waakvlam_completed"))
    return case_id
