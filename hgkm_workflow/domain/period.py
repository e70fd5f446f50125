"""A reopened case starts a new period (issue 14, point 4).

A case closed and reopened by a new melding is the same household's case, but not the same
piece of work: the closed period's casusregisseur, plans and open risk factors are not carried
into the new one. ``PeriodStarted`` is triggered first thing when a melding reopens a closed
case: it archives what the closed period ended with (in ``periods``) and resets casusregie to
unassigned, the plans to none and the risk factors to none, so directe veiligheid starts
without a plan, VT's handover assigns the new team as the first regisseur instead of offering
from a team that closed the case, and the old regisseur no longer holds casusregie.

Nothing is carried over implicitly. What the new period still needs is either recorded in it
again, or carried by a recorded decision (``CarryOverIntoPeriod`` → ``PeriodCarryOverDecided``):
taken in the new period by an authorised actor, naming what is carried — the previous period's
casusregisseur, its veiligheidsplan, some of its open risk factors — with the rationale why it
still holds. The archive keeps what such a decision needs (the plan's conditions) and the last
event version of the period, which bounds what the old period's actors may still read
(``access/policy.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from hgkm_workflow.domain.antecedents import note_fact_times
from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.guards import CaseGuards
from hgkm_workflow.errors import RuleViolation
from hgkm_workflow.phases.directe_veiligheid import DirecteVeiligheidState
from hgkm_workflow.phases.lifecycle import CasePhase
from hgkm_workflow.phases.regie import RegieState

if TYPE_CHECKING:
    from hgkm_workflow.commands_period import CarryOverIntoPeriod

__all__ = ["RULE_CARRY_OVER", "RULE_NEW_PERIOD", "PeriodDecisions", "carried_over",
           "period_summary", "start_period"]

JsonDict = dict[str, Any]

RULE_NEW_PERIOD = ("a reopened case starts a new period: no regisseur, plan or open risk "
                   "factor is carried over unless a recorded decision carries it (issue 14)")
RULE_CARRY_OVER = ("carry-over into a new period only by a recorded decision naming what is "
                   "carried (issue 14)")


def _version(plan: JsonDict | None) -> int | None:
    return None if plan is None else int(plan.get("version", 0))


def period_summary(case: Any) -> JsonDict:
    """What the closed period ended with (carried on ``PeriodStarted``; ids and codes only)."""
    closure = case.closure or {}
    return {
        "number": len(case.__dict__.get("periods", [])) + 1,
        "opened_at": case.__dict__.get("period_opened_at", case.opened_at),
        "closed_at": closure.get("at"),
        "regisseur": case.regie.get("regisseur"),
        "veiligheidsplan_version": _version(case.veiligheidsplan),
        "hulpverleningsplan_version": _version(case.hulpverleningsplan),
        "herstelplan_version": _version(case.herstelplan),
        "open_risk_factors": list(case.open_risk_factors),
    }


def start_period(self: Any, actor: JsonDict, at: datetime, rationale: str, rule: str,
                 previous: JsonDict) -> None:
    """The ``PeriodStarted`` event method: archive the closed period, start the new one empty.

    The archive adds, from the state the period ended with, the veiligheidsplan's conditions
    (what a carry-over decision may carry) and ``last_version``, the period's last event.
    """
    plan = self.veiligheidsplan
    self.__dict__.setdefault("periods", []).append({
        **previous, "last_version": self.version,
        "veiligheidsplan": None if plan is None else {"voorwaarden": list(plan["voorwaarden"]),
                                                      "version": plan["version"]}})
    self.period_opened_at = at
    self.regie = {"state": RegieState.UNASSIGNED.value, "regisseur": None, "offered_to": None}
    self.veiligheidsplan = self.hulpverleningsplan = self.herstelplan = None
    self.open_risk_factors = []
    self.resolved_risk_factors = []
    times = self.__dict__.get("fact_times", {})
    for key in [k for k in times if k.startswith("risk_factor:")]:
        del times[key]


def _refuse(message: str, code: str) -> RuleViolation:
    return RuleViolation(message, code=code, rule=RULE_CARRY_OVER)


class PeriodDecisions(CaseGuards):
    """Carrying what the previous period ended with into the new one, by a recorded decision."""

    def carry_over_into_period(self, cmd: CarryOverIntoPeriod, ctx: DecisionContext) -> None:
        """Carry the previous period's regisseur, veiligheidsplan and/or open risk factors.

        Raises:
            RuleViolation: ``NO_PREVIOUS_PERIOD`` (the case was never reopened),
                ``NOT_IN_PREVIOUS_PERIOD`` (the previous period did not end with it),
                ``REGIE_ALREADY_IN_PERIOD`` / ``PLAN_ALREADY_IN_PERIOD`` /
                ``RISK_FACTOR_ALREADY_OPEN`` (the new period already has its own).
        """
        self._require_open("carry_over_into_period")
        periods: list[JsonDict] = self.__dict__.get("periods", [])
        if not periods:
            raise _refuse("the case has no previous period to carry from", "NO_PREVIOUS_PERIOD")
        previous = periods[-1]
        regisseur = plan = None
        if cmd.regisseur:
            regisseur = previous.get("regisseur")
            if regisseur is None:
                raise _refuse("the previous period ended without a casusregisseur",
                              "NOT_IN_PREVIOUS_PERIOD")
            if self.regie["state"] != RegieState.UNASSIGNED.value:
                raise _refuse("the new period already has casusregie (or an offer of it)",
                              "REGIE_ALREADY_IN_PERIOD")
        if cmd.veiligheidsplan:
            plan = previous.get("veiligheidsplan")
            if plan is None:
                raise _refuse("the previous period ended without a veiligheidsplan",
                              "NOT_IN_PREVIOUS_PERIOD")
            if self.veiligheidsplan is not None:
                raise _refuse("the new period already has a veiligheidsplan",
                              "PLAN_ALREADY_IN_PERIOD")
        factors = sorted(f.value for f in cmd.risk_factors)
        if set(factors) - set(previous.get("open_risk_factors", [])):
            raise _refuse("a risk factor named was not open when the previous period ended",
                          "NOT_IN_PREVIOUS_PERIOD")
        if set(factors) & set(self.open_risk_factors):
            raise _refuse("a risk factor named is already open in the new period",
                          "RISK_FACTOR_ALREADY_OPEN")
        self._period_carry_over_decided(
            **ctx.provenance(cmd, rule=RULE_CARRY_OVER), from_period=int(previous["number"]),
            regisseur=regisseur, veiligheidsplan=plan, risk_factors=factors)


def carried_over(self: Any, actor: JsonDict, at: datetime, rationale: str, rule: str,
                 from_period: int, regisseur: JsonDict | None, veiligheidsplan: JsonDict | None,
                 risk_factors: list[str]) -> None:
    """The ``PeriodCarryOverDecided`` event method: what was carried holds in the new period."""
    if regisseur is not None:
        self.regie = {"state": RegieState.ASSIGNED.value, "regisseur": regisseur,
                      "offered_to": None, "since": at}
    if veiligheidsplan is not None:
        self.veiligheidsplan = {**veiligheidsplan, "set_at": at, "carried_from": from_period}
        if self.phase == CasePhase.DIRECTE_VEILIGHEID.value:
            self.dv_state = DirecteVeiligheidState.PLAN_ACTIVE.value
    if risk_factors:
        self.open_risk_factors = sorted({*self.open_risk_factors, *risk_factors})
        self.resolved_risk_factors = [f for f in self.resolved_risk_factors
                                      if f not in risk_factors]
        note_fact_times(self, at, *(f"risk_factor:{f}" for f in risk_factors))
    self.__dict__.setdefault("carry_overs", []).append(
        {"at": at, "from_period": from_period, "regisseur": regisseur is not None,
         "veiligheidsplan": veiligheidsplan is not None, "risk_factors": risk_factors})
