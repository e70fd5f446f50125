"""The application's case commands: one method per command, one line each over the table.

:class:`CommandMethods` is a base of :class:`~hgkm_workflow.application.HgkmApplication`;
every method validates its command and dispatches it through the command handler table
(:mod:`hgkm_workflow.application.handlers`), exactly as ``app.commands.handle(command)`` does.
"""

from __future__ import annotations

from typing import Any

from hgkm_workflow import commands as c
from hgkm_workflow import commands_period as cp
from hgkm_workflow import commands_tracks as ct
from hgkm_workflow.application.handlers import CommandBus
from hgkm_workflow.application.results import CommandResult

__all__ = ["CommandMethods"]


class CommandMethods:
    """One method per case command (the intake commands are on the application itself)."""

    commands: CommandBus

    def complete_veiligheidsbeoordeling(
        self, command: c.CompleteVeiligheidsbeoordeling | dict[str, Any]
    ) -> CommandResult:
        """Record the outcome of the veiligheidsbeoordeling of a melding."""
        return self.commands.run_case(c.CompleteVeiligheidsbeoordeling, command)

    def complete_vt_service(self, command: c.CompleteVtService | dict[str, Any]) -> CommandResult:
        """Complete the running onderzoek or Voorwaarden en Vervolg."""
        return self.commands.run_case(c.CompleteVtService, command)

    def inform_melder(self, command: c.InformMelder | dict[str, Any]) -> CommandResult:
        """Record feedback to the melder (T5)."""
        return self.commands.run_case(c.InformMelder, command)

    def inform_school(self, command: c.InformSchool | dict[str, Any]) -> CommandResult:
        """Record that the school was informed (Handle with Care, T10)."""
        return self.commands.run_case(c.InformSchool, command)

    def correct_person_role(self, command: c.CorrectPersonRole | dict[str, Any]) -> CommandResult:
        """Record a corrected role (the original stays)."""
        return self.commands.run_case(c.CorrectPersonRole, command)

    def add_person(self, command: c.AddPerson | dict[str, Any]) -> CommandResult:
        """Add a person to the household."""
        return self.commands.run_case(c.AddPerson, command)

    def set_veiligheidsplan(self, command: c.SetVeiligheidsplan | dict[str, Any]) -> CommandResult:
        """Set or revise the veiligheidsplan."""
        return self.commands.run_case(c.SetVeiligheidsplan, command)

    def confirm_acute_unsafety_removed(
        self, command: c.ConfirmAcuteUnsafetyRemoved | dict[str, Any]
    ) -> CommandResult:
        """Confirm that the acute unsafety is removed."""
        return self.commands.run_case(c.ConfirmAcuteUnsafetyRemoved, command)

    def complete_directe_veiligheid(
        self, command: c.CompleteDirecteVeiligheid | dict[str, Any]
    ) -> CommandResult:
        """Move on to risicogestuurde zorg."""
        return self.commands.run_case(c.CompleteDirecteVeiligheid, command)

    def set_hulpverleningsplan(
        self, command: c.SetHulpverleningsplan | dict[str, Any]
    ) -> CommandResult:
        """Set or revise the hulpverleningsplan."""
        return self.commands.run_case(c.SetHulpverleningsplan, command)

    def open_risk_factor(self, command: c.OpenRiskFactor | dict[str, Any]) -> CommandResult:
        """Open a risk factor."""
        return self.commands.run_case(c.OpenRiskFactor, command)

    def resolve_risk_factor(self, command: c.ResolveRiskFactor | dict[str, Any]) -> CommandResult:
        """Resolve a risk factor."""
        return self.commands.run_case(c.ResolveRiskFactor, command)

    def confirm_stable_safety(
        self, command: c.ConfirmStableSafety | dict[str, Any]
    ) -> CommandResult:
        """Confirm stabiele veiligheid."""
        return self.commands.run_case(c.ConfirmStableSafety, command)

    def complete_risicogestuurde_zorg(
        self, command: c.CompleteRisicogestuurdeZorg | dict[str, Any]
    ) -> CommandResult:
        """Move on to herstel."""
        return self.commands.run_case(c.CompleteRisicogestuurdeZorg, command)

    def set_herstelplan(self, command: c.SetHerstelplan | dict[str, Any]) -> CommandResult:
        """Set or revise the herstelplan."""
        return self.commands.run_case(c.SetHerstelplan, command)

    def complete_herstelplan(
        self, command: c.CompleteHerstelplan | dict[str, Any]
    ) -> CommandResult:
        """Record that the herstelplan was carried out."""
        return self.commands.run_case(c.CompleteHerstelplan, command)

    def complete_herstel(self, command: c.CompleteHerstel | dict[str, Any]) -> CommandResult:
        """Move on to the waakvlam."""
        return self.commands.run_case(c.CompleteHerstel, command)

    def record_waakvlam_contact(
        self, command: c.RecordWaakvlamContact | dict[str, Any]
    ) -> CommandResult:
        """Record a waakvlam contact."""
        return self.commands.run_case(c.RecordWaakvlamContact, command)

    def loop_back(self, command: c.LoopBack | dict[str, Any]) -> CommandResult:
        """Return the case to directe veiligheid."""
        return self.commands.run_case(c.LoopBack, command)

    def close_case(self, command: c.CloseCase | dict[str, Any]) -> CommandResult:
        """Close the case with a reason."""
        return self.commands.run_case(c.CloseCase, command)

    def assign_casusregisseur(
        self, command: c.AssignCasusregisseur | dict[str, Any]
    ) -> CommandResult:
        """Assign the first casusregisseur."""
        return self.commands.run_case(c.AssignCasusregisseur, command)

    def offer_handover(self, command: c.OfferHandover | dict[str, Any]) -> CommandResult:
        """Offer the casusregie to another party (warm handover)."""
        return self.commands.run_case(c.OfferHandover, command)

    def accept_handover(self, command: c.AcceptHandover | dict[str, Any]) -> CommandResult:
        """Accept an offered casusregie."""
        return self.commands.run_case(c.AcceptHandover, command)

    def decline_handover(self, command: c.DeclineHandover | dict[str, Any]) -> CommandResult:
        """Decline an offered casusregie."""
        return self.commands.run_case(c.DeclineHandover, command)

    def withdraw_handover(self, command: c.WithdrawHandover | dict[str, Any]) -> CommandResult:
        """Withdraw an offer of casusregie."""
        return self.commands.run_case(c.WithdrawHandover, command)

    def escalate_to_mda(self, command: c.EscalateToMda | dict[str, Any]) -> CommandResult:
        """Escalate to MDA++."""
        return self.commands.run_case(c.EscalateToMda, command)

    def return_to_local_team(self, command: c.ReturnToLocalTeam | dict[str, Any]) -> CommandResult:
        """Return from MDA++ to the local team."""
        return self.commands.run_case(c.ReturnToLocalTeam, command)

    def take_crisis_measure(self, command: c.TakeCrisisMeasure | dict[str, Any]) -> CommandResult:
        """Record a crisis measure."""
        return self.commands.run_case(c.TakeCrisisMeasure, command)

    def involve_ervaringsdeskundige(
        self, command: c.InvolveErvaringsdeskundige | dict[str, Any]
    ) -> CommandResult:
        """Record the involvement of an ervaringsdeskundige."""
        return self.commands.run_case(c.InvolveErvaringsdeskundige, command)

    def offer_plegeraanbod(self, command: c.OfferPlegeraanbod | dict[str, Any]) -> CommandResult:
        """Record offender help offered."""
        return self.commands.run_case(c.OfferPlegeraanbod, command)

    def respond_to_plegeraanbod(
        self, command: c.RespondToPlegeraanbod | dict[str, Any]
    ) -> CommandResult:
        """Record the response to a plegeraanbod."""
        return self.commands.run_case(c.RespondToPlegeraanbod, command)

    def record_data_subjects_informed(
        self, command: c.RecordDataSubjectsInformed | dict[str, Any]
    ) -> CommandResult:
        """Record whether the persons concerned are told of an emergency access (not: why)."""
        return self.commands.run_case(c.RecordDataSubjectsInformed, command)

    def record_monitoring_check(
        self, command: c.RecordMonitoringCheck | dict[str, Any]
    ) -> CommandResult:
        """Record a VT monitoring check-point."""
        return self.commands.run_case(c.RecordMonitoringCheck, command)

    def end_monitoring(self, command: c.EndMonitoring | dict[str, Any]) -> CommandResult:
        """End VT monitoring."""
        return self.commands.run_case(c.EndMonitoring, command)

    def extend_huisverbod(self, command: c.ExtendHuisverbod | dict[str, Any]) -> CommandResult:
        """Extend an active huisverbod (at most 28 days after imposition)."""
        return self.commands.run_case(c.ExtendHuisverbod, command)

    def revoke_huisverbod(self, command: c.RevokeHuisverbod | dict[str, Any]) -> CommandResult:
        """Revoke an active huisverbod."""
        return self.commands.run_case(c.RevokeHuisverbod, command)

    def expire_huisverbod(self, command: c.ExpireHuisverbod | dict[str, Any]) -> CommandResult:
        """Record that a huisverbod ran out."""
        return self.commands.run_case(c.ExpireHuisverbod, command)

    def record_contact_address_given(
        self, command: c.RecordContactAddressGiven | dict[str, Any]
    ) -> CommandResult:
        """Record that the removed person gave a contact address (T8)."""
        return self.commands.run_case(c.RecordContactAddressGiven, command)

    def impose_huisverbod(self, command: c.ImposeHuisverbod | dict[str, Any]) -> CommandResult:
        """Impose a tijdelijk huisverbod (burgemeester); ``ids["huisverbod_id"]`` names it."""
        return self.commands.run_case(c.ImposeHuisverbod, command)

    def record_huisverbod_help_offered(
        self, command: c.RecordHuisverbodHelpOffered | dict[str, Any]
    ) -> CommandResult:
        """Record help offered to one side during a huisverbod (T9 once both sides were)."""
        return self.commands.run_case(c.RecordHuisverbodHelpOffered, command)

    def record_separation(self, command: c.RecordSeparation | dict[str, Any]) -> CommandResult:
        """Record that the partners separated (starts the stalking risk horizon, T11)."""
        return self.commands.run_case(c.RecordSeparation, command)

    def take_procesregie(self, command: ct.TakeProcesregie | dict[str, Any]) -> CommandResult:
        """Take up procesregie beside casusregie (MDA++ kernteam, ZVH or CHG)."""
        return self.commands.run_case(ct.TakeProcesregie, command)

    def hand_back_procesregie(
        self, command: ct.HandBackProcesregie | dict[str, Any]
    ) -> CommandResult:
        """Hand procesregie back; the casusregisseur continues."""
        return self.commands.run_case(ct.HandBackProcesregie, command)

    def start_partner_track(self, command: ct.StartPartnerTrack | dict[str, Any]) -> CommandResult:
        """Start a partner track beside the phases; ``ids["track_id"]`` names it."""
        return self.commands.run_case(ct.StartPartnerTrack, command)

    def end_partner_track(self, command: ct.EndPartnerTrack | dict[str, Any]) -> CommandResult:
        """End a partner track with its outcome."""
        return self.commands.run_case(ct.EndPartnerTrack, command)
    # issue 14, part A (hgkm_workflow/commands_period.py)
    def record_persons_concerned_informed(
        self, command: cp.RecordPersonsConcernedInformed | dict[str, Any]
    ) -> CommandResult:
        """Record who of the persons concerned was told of a melding (meets T12)."""
        return self.commands.run_case(cp.RecordPersonsConcernedInformed, command)

    def record_informing_withheld(
        self, command: cp.RecordInformingWithheld | dict[str, Any]
    ) -> CommandResult:
        """Record that informing the persons named is itself unsafe (stops T12, no breach)."""
        return self.commands.run_case(cp.RecordInformingWithheld, command)

    def carry_over_into_period(
        self, command: cp.CarryOverIntoPeriod | dict[str, Any]
    ) -> CommandResult:
        """Carry the previous period's regisseur, veiligheidsplan or risk factors into the new
        period of a reopened case, by a recorded decision."""
        return self.commands.run_case(cp.CarryOverIntoPeriod, command)
