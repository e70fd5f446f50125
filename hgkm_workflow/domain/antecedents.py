"""What came first: the fact each command answers, and the guard that a decision follows it.

Every case command answers an earlier fact of the case — the case itself, a melding, a
huisverbod, an offer of casusregie, a plegeraanbod, a risk factor, a plan, the current phase,
a VT service, VT monitoring, an MDA++ escalation, a partner track, procesregie, the current
period of a reopened case. :data:`ANTECEDENTS` declares, per command class, which facts it
answers and which command field names the fact; :func:`check_antecedents` refuses a decision
whose business time lies before one of them, with the code ``OCCURRED_BEFORE_<FACT>``
(``OCCURRED_BEFORE_HUISVERBOD``, ``OCCURRED_BEFORE_OFFER``, …).

The check is written once: :func:`answers_antecedents` wraps every public decision of the
aggregate, so no decision method calls it by hand and none can forget it. A fact the case does
not have (no such huisverbod, no pending offer) is left to the decision itself, which refuses
with its own code (``HUISVERBOD_NOT_FOUND``, ``TRANSITION_NOT_ALLOWED``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from types import MappingProxyType
from typing import Any, TypeVar

from hgkm_workflow import commands as c
from hgkm_workflow import commands_period as cp
from hgkm_workflow import commands_tracks as ct
from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.errors import RuleViolation

__all__ = ["ANTECEDENTS", "RULE_BUSINESS_TIME", "Antecedent", "Fact", "answers_antecedents",
           "check_antecedents", "fact_instant", "note_fact_times"]

JsonDict = dict[str, Any]
T = TypeVar("T", bound=type)

RULE_BUSINESS_TIME = "business-time"
"""The rule every ``OCCURRED_BEFORE_*`` refusal names (as ``OCCURRED_BEFORE_CASE`` does)."""


class Fact(Enum):
    """An earlier fact of the case that a later decision answers."""

    CASE = "case"
    MELDING = "melding"
    HUISVERBOD = "huisverbod"
    OFFER = "offer"
    PLEGERAANBOD = "plegeraanbod"
    RISK_FACTOR = "risk_factor"
    VEILIGHEIDSPLAN = "veiligheidsplan"
    HULPVERLENINGSPLAN = "hulpverleningsplan"
    HERSTELPLAN = "herstelplan"
    PHASE = "phase"
    VT_SERVICE = "vt_service"
    MONITORING = "monitoring"
    ESCALATION = "escalation"
    TRACK = "track"
    PROCESREGIE = "procesregie"
    PERIOD = "period"

    @property
    def code(self) -> str:
        """The refusal code: ``OCCURRED_BEFORE_<FACT>`` (plans share ``OCCURRED_BEFORE_PLAN``)."""
        name = "PLAN" if self.name.endswith("PLAN") else self.name
        return f"OCCURRED_BEFORE_{name}"


@dataclass(frozen=True)
class Antecedent:
    """One fact a command answers.

    Attributes:
        fact: Which kind of fact.
        key: The command field naming the fact (``huisverbod_id``, ``factor``, ``person_id``),
            or None when the case has at most one (the pending offer, the current phase).
    """

    fact: Fact
    key: str | None = None


_HV = Antecedent(Fact.HUISVERBOD, "huisverbod_id")
_MELDING = Antecedent(Fact.MELDING, "melding_id")
_PHASE = Antecedent(Fact.PHASE)
_OFFER = Antecedent(Fact.OFFER)

#: Per command class, the facts (besides the case) it answers.
ANTECEDENTS: Mapping[type[c.CaseCommand], tuple[Antecedent, ...]] = MappingProxyType({
    c.CompleteVeiligheidsbeoordeling: (_MELDING,),
    c.InformMelder: (_MELDING,),
    c.InformSchool: (_MELDING,),
    c.CompleteVtService: (Antecedent(Fact.VT_SERVICE),),
    c.RecordMonitoringCheck: (Antecedent(Fact.MONITORING),),
    c.EndMonitoring: (Antecedent(Fact.MONITORING),),
    c.SetVeiligheidsplan: (Antecedent(Fact.VEILIGHEIDSPLAN),),
    c.ConfirmAcuteUnsafetyRemoved: (_PHASE, Antecedent(Fact.VEILIGHEIDSPLAN)),
    c.CompleteDirecteVeiligheid: (_PHASE,),
    c.SetHulpverleningsplan: (Antecedent(Fact.HULPVERLENINGSPLAN),),
    c.ResolveRiskFactor: (Antecedent(Fact.RISK_FACTOR, "factor"),),
    c.ConfirmStableSafety: (_PHASE, Antecedent(Fact.HULPVERLENINGSPLAN)),
    c.CompleteRisicogestuurdeZorg: (_PHASE,),
    c.SetHerstelplan: (Antecedent(Fact.HERSTELPLAN),),
    c.CompleteHerstelplan: (Antecedent(Fact.HERSTELPLAN),),
    c.CompleteHerstel: (_PHASE,),
    c.RecordWaakvlamContact: (_PHASE,),
    c.LoopBack: (_PHASE,),
    c.CloseCase: (_PHASE,),
    c.AcceptHandover: (_OFFER,),
    c.DeclineHandover: (_OFFER,),
    c.WithdrawHandover: (_OFFER,),
    c.ReturnToLocalTeam: (Antecedent(Fact.ESCALATION),),
    c.RespondToPlegeraanbod: (Antecedent(Fact.PLEGERAANBOD, "person_id"),),
    c.ExtendHuisverbod: (_HV,),
    c.RevokeHuisverbod: (_HV,),
    c.ExpireHuisverbod: (_HV,),
    c.RecordContactAddressGiven: (_HV,),
    c.RecordHuisverbodHelpOffered: (_HV,),
    ct.EndPartnerTrack: (Antecedent(Fact.TRACK, "track_id"),),
    ct.HandBackProcesregie: (Antecedent(Fact.PROCESREGIE),),
    # issue 14, part A: informing the persons concerned; carry-over into the new period
    cp.RecordPersonsConcernedInformed: (_MELDING,),
    cp.RecordInformingWithheld: (_MELDING,),
    cp.CarryOverIntoPeriod: (Antecedent(Fact.PERIOD),),
})


def note_fact_times(case: Any, at: datetime, *keys: str, replace: bool = False) -> None:
    """Note when earlier facts began (for an ``@event`` method: it only assigns).

    Kept in ``fact_times``, which appears in the case's state when first used, so snapshots
    written before it existed stay valid. A key already noted keeps its first instant unless
    ``replace`` (a new escalation replaces the previous one).
    """
    times = case.__dict__.setdefault("fact_times", {})
    for key in keys:
        times[key] = at if replace else times.get(key, at)


def _key(cmd: c.CaseCommand, field: str | None) -> str | None:
    value = getattr(cmd, field, None) if field is not None else None
    if value is None:
        return None
    return str(value.value if isinstance(value, Enum) else value)


def fact_instant(case: Any, antecedent: Antecedent, cmd: c.CaseCommand) -> datetime | None:
    """The business time of the fact ``cmd`` answers, or None when the case has no such fact."""
    key = _key(cmd, antecedent.key)
    fact = antecedent.fact
    times: JsonDict = case.__dict__.get("fact_times", {})
    found: Any = None
    if fact is Fact.CASE:
        found = case.opened_at
    elif fact is Fact.MELDING:
        found = case.meldingen.get(key or "", {}).get("received_at")
    elif fact is Fact.HUISVERBOD:
        found = case.huisverboden.get(key or "", {}).get("imposed_at")
    elif fact is Fact.OFFER:
        found = case.regie.get("offered_at") if case.regie.get("offered_to") else None
    elif fact is Fact.PLEGERAANBOD:
        found = case.plegeraanbod.get(key or "", {}).get("offered_at")
    elif fact is Fact.RISK_FACTOR:
        found = times.get(f"risk_factor:{key}") if key in case.open_risk_factors else None
    elif fact in (Fact.VEILIGHEIDSPLAN, Fact.HULPVERLENINGSPLAN, Fact.HERSTELPLAN):
        found = (getattr(case, fact.value) or {}).get("set_at")
    elif fact is Fact.PHASE:
        found = case.phase_entered_at
    elif fact is Fact.VT_SERVICE:
        found = case.vt_service.get("started_at")
    elif fact is Fact.MONITORING:
        found = case.monitoring.get("started_at")
    elif fact is Fact.ESCALATION:
        found = times.get("mda_escalation")
    elif fact is Fact.TRACK:
        found = case.__dict__.get("tracks", {}).get(key or "", {}).get("started_at")
    elif fact is Fact.PROCESREGIE:
        found = case.__dict__.get("procesregie", {}).get("since")
    elif fact is Fact.PERIOD:
        found = case.__dict__.get("period_opened_at")
    return found if isinstance(found, datetime) else None


def check_antecedents(case: Any, cmd: c.Command, ctx: DecisionContext) -> None:
    """Refuse a decision dated before the case or a fact its command answers.

    Raises:
        RuleViolation: ``OCCURRED_BEFORE_<FACT>``, rule ``business-time``.
    """
    if not isinstance(cmd, c.CaseCommand):
        return
    for antecedent in (Antecedent(Fact.CASE), *ANTECEDENTS.get(type(cmd), ())):
        instant = fact_instant(case, antecedent, cmd)
        if instant is not None and ctx.at < instant:
            raise RuleViolation(
                f"business time lies before the {antecedent.fact.value.replace('_', ' ')} "
                "this decision answers", code=antecedent.fact.code, rule=RULE_BUSINESS_TIME)


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def decide(self: Any, *args: Any, **kwargs: Any) -> Any:
        cmd = args[0] if args else None
        ctx = next((a for a in (*args, *kwargs.values()) if isinstance(a, DecisionContext)),
                   None)
        if isinstance(cmd, c.Command) and ctx is not None:
            check_antecedents(self, cmd, ctx)
        return method(self, *args, **kwargs)

    decide.__answers_antecedents__ = True  # type: ignore[attr-defined]
    return decide


def answers_antecedents(cls: T) -> T:
    """Class decorator: every public decision of ``cls`` (a method of a ``domain`` mixin taking
    a command and a :class:`DecisionContext`) first checks the facts its command answers."""
    for name in dir(cls):
        if name.startswith("_"):
            continue
        value = inspect.getattr_static(cls, name)
        if not inspect.isfunction(value) or getattr(value, "__answers_antecedents__", False):
            continue
        if not value.__module__.startswith("hgkm_workflow.domain."):
            continue
        params = list(inspect.signature(value).parameters)
        if len(params) >= 3 and params[1] == "cmd" and "ctx" in params:
            setattr(cls, name, _guarded(value))
    return cls
