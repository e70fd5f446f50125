"""Who reads, and why: the access request every query carries, and the decision on it."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hgkm_workflow.commands import Actor, Rationale
from hgkm_workflow.vocabulary import ActorRole


class Purpose(StrEnum):
    """Why an actor reads (doelbinding): every read states one."""

    TRIAGE = "triage"
    CASE_WORK = "case_work"
    CASUSREGIE = "casusregie"
    MDA_CONSULTATION = "mda_consultation"
    MONITORING = "monitoring"
    HUISVERBOD = "huisverbod"
    FEEDBACK_TO_MELDER = "feedback_to_melder"
    AUDIT = "audit"
    ERASURE_REQUEST = "erasure_request"
    EXPORT = "export"
    EMERGENCY = "emergency"
    ADMINISTRATION = "administration"
    """An operator's or the scheduler's administrative command (keys, calendar, tick)."""


class Resource(StrEnum):
    """What is read."""

    CASE = "case"
    TIMELINE = "timeline"
    AS_OF = "as_of"
    EXPLAIN = "explain"
    PERSON_REGISTER = "person_register"
    EXPORT = "export"
    CASE_LIST = "case_list"
    DEADLINES = "deadlines"
    ACCESS_LOG = "access_log"
    EVENTS = "events"
    CLASSIFICATION = "classification"
    ADVIES = "advies"
    VERIFY = "verify"
    COMMAND = "command"
    """A command refused by the authority policy (logged as a refused attempt)."""


class Access(BaseModel):
    """An actor and a purpose; with purpose ``emergency`` a safety reason is required."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: Actor
    purpose: Purpose
    safety_reason: Rationale | None = Field(
        default=None,
        description="Why safety requires access without involvement (emergency access).",
    )


class Verdict(StrEnum):
    """The outcome of an access decision."""

    GRANTED = "granted"
    EMERGENCY = "emergency"
    REFUSED = "refused"


DecisionRule = Annotated[str, StringConstraints(max_length=200)]


class AccessDecision(BaseModel):
    """The policy's answer, with the rule that gave it (logged, never with personal data)."""

    model_config = ConfigDict(frozen=True)

    verdict: Verdict
    rule: DecisionRule
    until_version: int | None = Field(
        default=None, description="A grant through an ended period's involvement: the last "
        "event version the reader may see (what was recorded in that period); None: all.")

    @property
    def allowed(self) -> bool:
        """Whether the read may go ahead."""
        return self.verdict is not Verdict.REFUSED


SYSTEM_ORGANISATION = "hgkm"
"""The organisation code of the library's own components when they read."""


def system_access(component: str = "system") -> Access:
    """The explicit identity of an internal reader: role auditor, purpose audit.

    The scenario runner, the demo, the simulation and the audit verification read cases
    through the same checked queries as people do; they identify themselves with this
    access, and every such read is in the access log like any other.

    Args:
        component: A lower-case code naming the component, e.g. ``scenario-runner``.
    """
    return Access(actor=Actor(actor_id=f"hgkm-{component}", organisation=SYSTEM_ORGANISATION,
                              role=ActorRole.AUDITOR),
                  purpose=Purpose.AUDIT)
