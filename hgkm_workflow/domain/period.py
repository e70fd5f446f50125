"""A reopened case starts a new period (issue 14, point 4).

A case closed and reopened by a new melding is the same household's case, but not the same
piece of work: the closed period's casusregisseur, plans and open risk factors are not carried
into the new one. ``PeriodStarted`` is triggered first thing when a melding reopens a closed
case: it archives what the closed period ended with (in ``periods``) and resets casusregie to
unassigned, the plans to none and the risk factors to none, so directe veiligheid starts
without a plan, VT's handover assigns the new team as the first regisseur instead of offering
from a team that closed the case, and the old regisseur no longer holds casusregie.

Nothing is carried over implicitly; a plan or risk factor the new period needs is recorded in
it again, by a decision with its own provenance.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hgkm_workflow.phases.regie import RegieState

__all__ = ["RULE_NEW_PERIOD", "period_summary", "start_period"]

JsonDict = dict[str, Any]

RULE_NEW_PERIOD = ("a reopened case starts a new period: no regisseur, plan or open risk "
                   "factor is carried over unless a recorded decision carries it (issue 14)")


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
    """The ``PeriodStarted`` event method: archive the closed period, start the new one empty."""
    self.__dict__.setdefault("periods", []).append(previous)
    self.period_opened_at = at
    self.regie = {"state": RegieState.UNASSIGNED.value, "regisseur": None, "offered_to": None}
    self.veiligheidsplan = self.hulpverleningsplan = self.herstelplan = None
    self.open_risk_factors = []
    self.resolved_risk_factors = []
    times = self.__dict__.get("fact_times", {})
    for key in [k for k in times if k.startswith("risk_factor:")]:
        del times[key]
