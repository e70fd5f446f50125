"""Every ``do:`` a scenario may use, and the application method and command model behind it."""

from __future__ import annotations

from dataclasses import dataclass

from hgkm_workflow import commands as c
from hgkm_workflow import commands_period as cp
from hgkm_workflow import commands_tracks as ct

__all__ = ["COMMANDS", "READ_CASE", "CommandSpec"]


@dataclass(frozen=True)
class CommandSpec:
    """How a ``do:`` name maps onto the application.

    Attributes:
        method: The :class:`HgkmApplication` method.
        model: The command model (None for ``tick``).
        creates: The kind of thing the command creates and ``with:`` names
            (``melding``, ``huisverbod`` or ``advies``), if any.
    """

    method: str
    model: type[c.Command] | None
    creates: str | None = None


def _specs() -> dict[str, CommandSpec]:
    plain: dict[str, type[c.Command]] = {
        "complete_veiligheidsbeoordeling": c.CompleteVeiligheidsbeoordeling,
        "complete_vt_service": c.CompleteVtService, "inform_melder": c.InformMelder,
        "inform_school": c.InformSchool, "correct_person_role": c.CorrectPersonRole,
        "add_person": c.AddPerson, "set_veiligheidsplan": c.SetVeiligheidsplan,
        "confirm_acute_unsafety_removed": c.ConfirmAcuteUnsafetyRemoved,
        "complete_directe_veiligheid": c.CompleteDirecteVeiligheid,
        "set_hulpverleningsplan": c.SetHulpverleningsplan, "open_risk_factor": c.OpenRiskFactor,
        "resolve_risk_factor": c.ResolveRiskFactor,
        "confirm_stable_safety": c.ConfirmStableSafety,
        "complete_risicogestuurde_zorg": c.CompleteRisicogestuurdeZorg,
        "set_herstelplan": c.SetHerstelplan, "complete_herstelplan": c.CompleteHerstelplan,
        "complete_herstel": c.CompleteHerstel,
        "record_waakvlam_contact": c.RecordWaakvlamContact, "loop_back": c.LoopBack,
        "close_case": c.CloseCase, "assign_casusregisseur": c.AssignCasusregisseur,
        "offer_handover": c.OfferHandover, "accept_handover": c.AcceptHandover,
        "decline_handover": c.DeclineHandover, "withdraw_handover": c.WithdrawHandover,
        "escalate_to_mda": c.EscalateToMda, "return_to_local_team": c.ReturnToLocalTeam,
        "take_crisis_measure": c.TakeCrisisMeasure,
        "involve_ervaringsdeskundige": c.InvolveErvaringsdeskundige,
        "offer_plegeraanbod": c.OfferPlegeraanbod,
        "respond_to_plegeraanbod": c.RespondToPlegeraanbod,
        "record_monitoring_check": c.RecordMonitoringCheck, "end_monitoring": c.EndMonitoring,
        "extend_huisverbod": c.ExtendHuisverbod, "revoke_huisverbod": c.RevokeHuisverbod,
        "expire_huisverbod": c.ExpireHuisverbod,
        "record_contact_address_given": c.RecordContactAddressGiven,
        "record_data_subjects_informed": c.RecordDataSubjectsInformed,
        "request_erasure": c.RequestErasure,
        "record_huisverbod_help_offered": c.RecordHuisverbodHelpOffered,
        "record_separation": c.RecordSeparation,
        "take_procesregie": ct.TakeProcesregie,
        "hand_back_procesregie": ct.HandBackProcesregie,
        "end_partner_track": ct.EndPartnerTrack,
        # issue 14, part A
        "record_persons_concerned_informed": cp.RecordPersonsConcernedInformed,
        "record_informing_withheld": cp.RecordInformingWithheld,
        "carry_over_into_period": cp.CarryOverIntoPeriod,
    }
    specs = {name: CommandSpec(name, model) for name, model in plain.items()}
    specs["record_advies"] = CommandSpec("record_advies", c.RecordAdvies, "advies")
    specs["receive_melding"] = CommandSpec("receive_melding", c.ReceiveMelding, "melding")
    specs["convert_advies_to_melding"] = CommandSpec("convert_advies_to_melding",
                                                     c.ConvertAdviesToMelding, "melding")
    specs["impose_huisverbod"] = CommandSpec("impose_huisverbod", c.ImposeHuisverbod,
                                             "huisverbod")
    specs["start_partner_track"] = CommandSpec("start_partner_track", ct.StartPartnerTrack,
                                               "track")
    specs["tick"] = CommandSpec("tick", None)
    # a decree of gelijkstelling published mid-scenario (scenario.inputs.PUBLISH_DECREE)
    specs["publish_decree"] = CommandSpec("apply_calendar", None, "decree")
    # a read of the household's case as the step's actor (need to know; emergency access)
    specs[READ_CASE] = CommandSpec("get_case", None, "access")
    return dict(sorted(specs.items()))


READ_CASE = "read_case"
"""``do: read_case`` reads the household's case ``as:`` an actor ``with: {purpose: …}``; with
``purpose: emergency`` and a ``safety_reason`` it is an emergency access, which ``access:``
names (for ``record_data_subjects_informed``)."""


COMMANDS: dict[str, CommandSpec] = _specs()
"""Every ``do:`` a scenario may use."""
