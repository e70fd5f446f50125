"""The command handler table: for every command class, how the application carries it out.

:data:`HANDLERS` maps each command class to a :class:`CommandHandler`: the application method
of the same command (``name``), and either the aggregate decision (``decides``: which
:class:`~hgkm_workflow.case.HouseholdCase` method, on the case named by the command's
``case_id``, with the ids the application mints when the command leaves them out) or, for the
commands that open or name no case (intake, adviezen, erasure), the service that runs it.

:class:`CommandBus` dispatches: ``bus.handle(command)`` for a validated command of any class,
``bus.run_case(CommandClass, data)`` for a case command given as a model or a dict. The
application's public command methods are one line each over it, and scenarios and the CLI can
dispatch through the same table (``handler_named("close_case").command`` is the class).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar
from uuid import uuid4

from hgkm_workflow import commands as c
from hgkm_workflow import commands_period as cp
from hgkm_workflow import commands_tracks as ct
from hgkm_workflow.application.authorise import CommandGate
from hgkm_workflow.application.erasure import ErasureService
from hgkm_workflow.application.intake import Intake
from hgkm_workflow.application.results import CommandResult
from hgkm_workflow.application.unit_of_work import UnitOfWork
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.erasure import ErasureResult

__all__ = ["HANDLERS", "CommandBus", "CommandHandler", "handler_named"]

Cmd = TypeVar("Cmd", bound=c.CaseCommand)

Runner = Callable[["CommandBus", Any], CommandResult | ErasureResult]
"""``run(bus, command)``: carry out a command that opens or names no case."""


@dataclass(frozen=True)
class CommandHandler:
    """How one command class is carried out.

    Attributes:
        command: The command class.
        name: The application method that takes this command (``app.<name>(data)``).
        decides: For a case command: the :class:`~hgkm_workflow.case.HouseholdCase` method
            that decides it, called on the case ``command.case_id`` as
            ``case.<decides>(command, *minted ids, ctx)``.
        mints: Ids the application generates when the command leaves them out, passed to the
            decision and returned in ``CommandResult.ids`` (e.g. ``huisverbod_id``).
        run: For intake, adviezen and erasure: the service call instead of ``decides``.
        takes_mandate: The decision takes the burgemeester's mandate the authority policy
            granted the command under (``mandate=``; a hulpofficier's imposition).
    """

    command: type[c.Command]
    name: str
    decides: str | None = None
    mints: tuple[str, ...] = ()
    run: Runner | None = None
    takes_mandate: bool = False


_CASE: tuple[tuple[type[c.CaseCommand], str, str], ...] = (
    (c.CompleteVeiligheidsbeoordeling, "complete_veiligheidsbeoordeling",
     "complete_veiligheidsbeoordeling"),
    (c.CompleteVtService, "complete_vt_service", "complete_vt_service"),
    (c.InformMelder, "inform_melder", "inform_melder"),
    (c.InformSchool, "inform_school", "inform_school"),
    (c.CorrectPersonRole, "correct_person_role", "correct_person_role"),
    (c.AddPerson, "add_person", "add_person"),
    (c.SetVeiligheidsplan, "set_veiligheidsplan", "set_veiligheidsplan"),
    (c.ConfirmAcuteUnsafetyRemoved, "confirm_acute_unsafety_removed",
     "confirm_acute_unsafety_removed"),
    (c.CompleteDirecteVeiligheid, "complete_directe_veiligheid",
     "complete_directe_veiligheid"),
    (c.SetHulpverleningsplan, "set_hulpverleningsplan", "set_hulpverleningsplan"),
    (c.OpenRiskFactor, "open_risk_factor", "open_risk_factor"),
    (c.ResolveRiskFactor, "resolve_risk_factor", "resolve_risk_factor"),
    (c.ConfirmStableSafety, "confirm_stable_safety", "confirm_stable_safety"),
    (c.CompleteRisicogestuurdeZorg, "complete_risicogestuurde_zorg",
     "complete_risicogestuurde_zorg"),
    (c.SetHerstelplan, "set_herstelplan", "set_herstelplan"),
    (c.CompleteHerstelplan, "complete_herstelplan", "complete_herstelplan"),
    (c.CompleteHerstel, "complete_herstel", "complete_herstel"),
    (c.RecordWaakvlamContact, "record_waakvlam_contact", "record_waakvlam_contact"),
    (c.LoopBack, "loop_back", "loop_back"),
    (c.CloseCase, "close_case", "close"),
    (c.AssignCasusregisseur, "assign_casusregisseur", "assign_casusregisseur"),
    (c.OfferHandover, "offer_handover", "offer_handover"),
    (c.AcceptHandover, "accept_handover", "accept_handover"),
    (c.DeclineHandover, "decline_handover", "decline_handover"),
    (c.WithdrawHandover, "withdraw_handover", "withdraw_handover"),
    (c.EscalateToMda, "escalate_to_mda", "escalate_to_mda"),
    (c.ReturnToLocalTeam, "return_to_local_team", "return_to_local_team"),
    (c.TakeCrisisMeasure, "take_crisis_measure", "take_crisis_measure"),
    (c.InvolveErvaringsdeskundige, "involve_ervaringsdeskundige",
     "involve_ervaringsdeskundige"),
    (c.OfferPlegeraanbod, "offer_plegeraanbod", "offer_plegeraanbod"),
    (c.RespondToPlegeraanbod, "respond_to_plegeraanbod", "respond_to_plegeraanbod"),
    (c.RecordDataSubjectsInformed, "record_data_subjects_informed",
     "record_data_subjects_informed"),
    (c.RecordMonitoringCheck, "record_monitoring_check", "record_monitoring_check"),
    (c.EndMonitoring, "end_monitoring", "end_monitoring"),
    (c.ExtendHuisverbod, "extend_huisverbod", "extend_huisverbod"),
    (c.RevokeHuisverbod, "revoke_huisverbod", "revoke_huisverbod"),
    (c.ExpireHuisverbod, "expire_huisverbod", "expire_huisverbod"),
    (c.RecordContactAddressGiven, "record_contact_address_given",
     "record_contact_address_given"),
    (c.RecordHuisverbodHelpOffered, "record_huisverbod_help_offered",
     "record_huisverbod_help_offered"),
    (c.RecordSeparation, "record_separation", "record_separation"),
    # issue 14 part B: procesregie and the partners' tracks (commands_tracks.py)
    (ct.TakeProcesregie, "take_procesregie", "take_procesregie"),
    (ct.HandBackProcesregie, "hand_back_procesregie", "hand_back_procesregie"),
    (ct.EndPartnerTrack, "end_partner_track", "end_partner_track"),
    # issue 14, part A (hgkm_workflow/commands_period.py)
    (cp.RecordPersonsConcernedInformed, "record_persons_concerned_informed",
     "record_persons_concerned_informed"),
    (cp.RecordInformingWithheld, "record_informing_withheld", "record_informing_withheld"),
    (cp.CarryOverIntoPeriod, "carry_over_into_period", "carry_over_into_period"),
)

_OTHER: tuple[CommandHandler, ...] = (
    CommandHandler(c.RecordAdvies, "record_advies",
                   run=lambda bus, cmd: bus.intake.record_advies(cmd)),
    CommandHandler(c.ReceiveMelding, "receive_melding",
                   run=lambda bus, cmd: bus.intake.receive_melding(cmd)),
    CommandHandler(c.ConvertAdviesToMelding, "convert_advies_to_melding",
                   run=lambda bus, cmd: bus.intake.convert_advies_to_melding(cmd)),
    CommandHandler(c.ImposeHuisverbod, "impose_huisverbod", decides="impose_huisverbod",
                   mints=("huisverbod_id",), takes_mandate=True),
    CommandHandler(ct.StartPartnerTrack, "start_partner_track", decides="start_partner_track",
                   mints=("track_id",)),
    CommandHandler(c.RequestErasure, "request_erasure",
                   run=lambda bus, cmd: bus.erasure.request(cmd)),
)

#: Every command class → its handler (read-only).
HANDLERS: Mapping[type[c.Command], CommandHandler] = MappingProxyType({
    **{cls: CommandHandler(cls, name, decides=method) for cls, name, method in _CASE},
    **{h.command: h for h in _OTHER},
})

_BY_NAME = {h.name: h for h in HANDLERS.values()}


def handler_named(name: str) -> CommandHandler:
    """The handler of the application method ``name`` (e.g. ``"close_case"``).

    Raises:
        KeyError: No command method has that name.
    """
    return _BY_NAME[name]


class CommandBus:
    """Dispatches commands through :data:`HANDLERS` to the unit of work and the services."""

    work: UnitOfWork
    intake: Intake
    erasure: ErasureService
    gate: CommandGate | None

    def __init__(self, work: UnitOfWork, intake: Intake, erasure: ErasureService,
                 gate: CommandGate | None = None) -> None:
        """Decide case commands through ``work``; intake and erasure through their services.

        ``gate`` authorises every case command on the loaded case before the aggregate
        decides (the application always gives one; ``None`` only in unit tests of the bus).
        """
        self.work = work
        self.intake = intake
        self.erasure = erasure
        self.gate = gate

    def handle(self, command: c.Command) -> CommandResult | ErasureResult:
        """Carry out a validated command of any class (the table picks the handler).

        Raises:
            KeyError: The command's class has no handler.
            HgkmError: The refusal of the command (nothing is stored).
        """
        handler = HANDLERS[type(command)]
        if handler.run is not None:
            return handler.run(self, command)
        if not isinstance(command, c.CaseCommand):  # pragma: no cover - the table's invariant
            raise KeyError(type(command).__name__)
        return self._decide(handler, command)

    def run_case(self, command_type: type[Cmd], command: Cmd | dict[str, Any]) -> CommandResult:
        """Validate a case command given as a model or a dict, then carry it out.

        Raises:
            InvalidCommand: The data does not validate (fields named, values not).
            HgkmError: The refusal of the command (nothing is stored).
        """
        return self._decide(HANDLERS[command_type], c.validate_command(command_type, command))

    def _decide(self, handler: CommandHandler, cmd: c.CaseCommand) -> CommandResult:
        method = handler.decides
        if method is None:  # pragma: no cover - the table gives every case command a decision
            raise KeyError(handler.name)
        ids = {name: getattr(cmd, name, None) or uuid4() for name in handler.mints}
        gate = self.gate
        name = type(cmd).__name__

        def decide(case: HouseholdCase, ctx: DecisionContext) -> None:
            extra: dict[str, Any] = {}
            if gate is not None:  # on the freshly loaded case, at business time, every retry
                decision = gate.on_case(cmd.actor, name, case, cmd.case_id, ctx.at)
                if handler.takes_mandate:
                    extra["mandate"] = decision.mandate
            getattr(case, method)(cmd, *ids.values(), ctx, **extra)

        with self.intake.unique.reserving("huisverbod", getattr(cmd, "huisverbod_id", None)
                                          if "huisverbod_id" in handler.mints else None,
                                          cmd.case_id):
            _, result = self.work.on_case(cmd.case_id, cmd, decide)
        if not ids:
            return result
        return CommandResult(result.aggregate_id, result.version, result.events, ids)
