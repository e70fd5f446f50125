"""The access guard: decide a read, log it, refuse it — the application calls it on every query.

:class:`AccessGuard` holds the policy and the access log. The application loads what the
policy needs (:func:`case_facts` of the case), asks the guard, records an emergency access on
the case when the verdict is *emergency*, and only then appends the log entry — so a granted
read, an emergency read and a refusal are all in the log before any data is returned or the
refusal is raised (:class:`~hgkm_workflow.errors.AccessDenied`, no personal data).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

import sqlalchemy as sa

from hgkm_workflow.access.log import AccessLog, AccessLogEntry
from hgkm_workflow.access.models import Access, AccessDecision, Resource, Verdict
from hgkm_workflow.access.policy import (
    AccessPolicy,
    CaseFacts,
    PastRegie,
    decide,
    decide_listing,
    decide_store_wide,
    decide_without_case,
    default_policy,
)
from hgkm_workflow.commands import validate_command
from hgkm_workflow.errors import AccessDenied, HgkmError

if TYPE_CHECKING:
    from hgkm_workflow.case import HouseholdCase

__all__ = ["PERIOD_RESOURCES", "AccessGuard", "AccessLogUnavailable", "as_access",
           "bound_to_period", "case_facts", "past_regie"]

_log = logging.getLogger(__name__)


class AccessLogUnavailable(HgkmError):
    """The access log could not be written, so the read is refused (never served unlogged)."""

    code = "ACCESS_LOG_UNAVAILABLE"
    default_rule = "every read is logged before data leaves (docs/security.md)"

NO_SUCH_CASE = "no such case"


def as_access(value: Access | Mapping[str, Any]) -> Access:
    """Validate an access request given as a model or a dict (InvalidCommand naming fields)."""
    return validate_command(Access, value)


def case_facts(case: HouseholdCase) -> CaseFacts:
    """What the policy needs to know about a case: region, casusregie, MDA++, huisverbod."""
    regisseur = case.regie.get("regisseur") or {}
    offered = case.regie.get("offered_to") or {}
    return CaseFacts(
        region=case.region,
        regie_organisation=regisseur.get("organisation"),
        offered_to_organisation=offered.get("organisation"),
        mda_escalated=case.mda_state == "escalated",
        huisverbod_imposed=bool(case.huisverboden),
        past_regie=past_regie(case),
    )


def past_regie(case: HouseholdCase) -> tuple[PastRegie, ...]:
    """Who held casusregie when each earlier period ended, with its last event version.

    A period archived without ``last_version`` (state from before it was kept) grants nothing.
    """
    return tuple(
        PastRegie(organisation=p["regisseur"]["organisation"], period=int(p["number"]),
                  last_version=int(p["last_version"]))
        for p in case.__dict__.get("periods", [])
        if p.get("regisseur") and p.get("last_version") is not None)


#: What an ended period's involvement may read: what was recorded in that period — the case as
#: it stood at the period's end, and its events up to then (timeline, events, as-of, explain).
#: Not the current open deadlines, a new melding's classification or the person register.
PERIOD_RESOURCES = frozenset({Resource.CASE, Resource.TIMELINE, Resource.EVENTS,
                              Resource.AS_OF, Resource.EXPLAIN})


def bound_to_period(decision: AccessDecision, resource: Resource | None,
                    version: int | None) -> AccessDecision:
    """Refuse what a grant through an ended period does not cover (another resource, a later
    version); any other decision is returned as it is."""
    until = decision.until_version
    if until is None or not decision.allowed:
        return decision
    if resource not in PERIOD_RESOURCES:
        what = resource.value if resource is not None else "this read"
        return AccessDecision(verdict=Verdict.REFUSED,
                              rule=f"{decision.rule}: {what} is not covered by an ended period")
    if version is not None and version > until:
        return AccessDecision(verdict=Verdict.REFUSED,
                              rule=f"{decision.rule}: version {version} lies after that period")
    return decision


class AccessGuard:
    """The policy and the access log of one store."""

    def __init__(self, engine: sa.Engine, policy: AccessPolicy | None = None) -> None:
        """Guard reads of the store behind ``engine`` with ``policy`` (default: shipped)."""
        self.policy = policy or default_policy()
        self.log = AccessLog(engine)

    def setup(self) -> None:
        """Create the access log's tables if missing."""
        self.log.setup()

    def on_case(self, access: Access, facts: CaseFacts | None, resource: Resource | None = None,
                version: int | None = None) -> AccessDecision:
        """Decide a read of one case (``facts`` None: there is no such case).

        A grant through an ended period covers only the :data:`PERIOD_RESOURCES` up to that
        period's last version (``version``: the one asked for, if any).
        """
        if facts is None:
            return AccessDecision(verdict=Verdict.REFUSED, rule=NO_SUCH_CASE)
        return bound_to_period(decide(access, facts, self.policy), resource, version)

    def without_case(self, access: Access, region: str | None) -> AccessDecision:
        """Decide a read tied to no case (an advies, a person not in any case)."""
        return decide_without_case(access, region, self.policy)

    def listing(self, access: Access, region: str | None
                ) -> tuple[AccessDecision, frozenset[str] | None]:
        """Decide a listing across cases; also the regions it is limited to (None: all)."""
        return decide_listing(access, region, self.policy)

    def store_wide(self, access: Access) -> AccessDecision:
        """Decide a read of the whole store (export, verification, access log)."""
        return decide_store_wide(access, self.policy)

    def record(self, at: datetime, access: Access, resource: Resource, case_id: str | None,
               decision: AccessDecision, note: str | None = None) -> AccessLogEntry:
        """Append the read or refusal to the access log; no entry, no read.

        A database failure is retried once; if it fails again it is logged (to ``logging``:
        resource and error class only) and the read is refused with
        :class:`AccessLogUnavailable` rather than served unlogged.
        """
        for attempt in (1, 2):
            try:
                return self.log.append(at=at, access=access, resource=resource,
                                       case_id=case_id, decision=decision, note=note)
            except sa.exc.DBAPIError as exc:
                _log.error("access-log insert failed (attempt %d, %s, %s)", attempt,
                           resource.value, type(exc.orig).__name__)
        raise AccessLogUnavailable("the access log could not be written; the read is refused")

    def settle(self, at: datetime, access: Access, resource: Resource, case_id: str | None,
               decision: AccessDecision, note: str | None = None) -> None:
        """Log the decision, then raise :class:`AccessDenied` if it is a refusal."""
        self.record(at, access, resource, case_id, decision, note)
        if not decision.allowed:
            refuse(access, resource, case_id, decision)


def refuse(access: Access, resource: Resource, case_id: str | None,
           decision: AccessDecision) -> NoReturn:
    """Raise the refusal: resource, case id and purpose, and the policy rule."""
    what = f"{resource.value} of case {case_id}" if case_id else resource.value
    raise AccessDenied(f"{what} refused to {access.actor.actor_id} "
                       f"({access.actor.organisation}, {access.actor.role.value}) for purpose "
                       f"{access.purpose.value}", rule=decision.rule)
