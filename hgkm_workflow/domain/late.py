"""Late registration: business time decides, recording time is kept (issue 14, point 2).

A lawful fact registered late is accepted when it was lawful at its business time. When the
scheduler (or a person) had already recorded what follows from the fact's absence — a
huisverbod that ran out, a deadline breached — that earlier observation is not erased: an
explicit correction event supersedes it and keeps both instants, so the case state follows the
business-time truth while the audit timeline and ``as-of`` by recording time still show what
was known when.

- ``HuisverbodExpiryWithdrawn``: "expiry observed at the end instant X (event version V),
  withdrawn: extended (or revoked) at business time Y, before X". The huisverbod is in force
  again and the deadlines the expiry met or lapsed (T6/T7, T8/T9) run again.
- ``DeadlineBreachWithdrawn`` (decided in ``case_deadlines.py``): "breach observed at
  recording time X, withdrawn: the satisfying fact happened at business time Y, on time".
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.deadline_records import HUISVERBOD_END_RULES, LAPSE_WHEN_HUISVERBOD_ENDS
from hgkm_workflow.domain.guards import RULE_HUISVERBOD, CaseGuards
from hgkm_workflow.phases.huisverbod import HuisverbodState

if TYPE_CHECKING:
    from hgkm_workflow.commands import ExtendHuisverbod, RevokeHuisverbod

JsonDict = dict[str, Any]

RULE_BUSINESS_TIME_DECIDES = ("business time decides, recording time is kept: a lawful fact "
                              "registered late supersedes the earlier observation (issue 14)")

#: Deadlines that end or lapse with a huisverbod, and so run again when its expiry is withdrawn.
_ENDED_WITH_HUISVERBOD = HUISVERBOD_END_RULES | LAPSE_WHEN_HUISVERBOD_ENDS


class LateRegistration(CaseGuards):
    """Corrections of earlier observations by facts registered after them."""

    def _withdraw_expiry_decided_before(self, h: JsonDict, huisverbod_id: str,
                                        cmd: ExtendHuisverbod | RevokeHuisverbod,
                                        ctx: DecisionContext, what: str) -> None:
        # An extension or revocation decided before the end instant, registered after the
        # expiry was recorded: withdraw the expiry (keeping it on record), then decide as usual.
        if h["state"] != HuisverbodState.EXPIRED.value or ctx.at >= h["ends_at"]:
            return
        ended = h["ends_at"]
        reopened = sorted(
            d["deadline_id"] for d in self.deadlines.values()
            if d["subject_id"] == huisverbod_id and d["rule_id"] in _ENDED_WITH_HUISVERBOD
            and d["status"] in ("met", "met_late", "closed_unmet") and d["met_at"] == ended)
        restored = (HuisverbodState.IMPOSED if h.get("extended_at") is None
                    else HuisverbodState.EXTENDED)
        self._huisverbod_expiry_withdrawn(
            **ctx.provenance(cmd, rule=f"{RULE_HUISVERBOD}; {RULE_BUSINESS_TIME_DECIDES}"),
            huisverbod_id=huisverbod_id, observed_end=ended,
            observed_version=h.get("expired_version"), withdrawn_because=what,
            restored_state=restored.value, reopened_deadlines=reopened)


def expiry_withdrawn(self: Any, actor: JsonDict, at: datetime, rationale: str, rule: str,
                     huisverbod_id: str, observed_end: datetime, observed_version: int | None,
                     withdrawn_because: str, restored_state: str,
                     reopened_deadlines: list[str]) -> None:
    """The ``HuisverbodExpiryWithdrawn`` event method: in force again, the expiry on record."""
    h = self.huisverboden[huisverbod_id]
    h.update(state=restored_state, ended_at=None, expired_version=None)
    h.setdefault("expiries_withdrawn", []).append(
        {"observed_end": observed_end, "observed_version": observed_version,
         "withdrawn_at": at, "because": withdrawn_because})
    for deadline_id in reopened_deadlines:
        self.deadlines[deadline_id].update(status="open", met_at=None, late_seconds=None)
        self.deadlines[deadline_id].pop("closed_reason", None)


def breach_withdrawn(self: Any, deadline_id: str, observed_at: datetime, occurred_at: datetime,
                     by_event: str) -> None:
    """The ``DeadlineBreachWithdrawn`` event method: no breach now, the observation on record."""
    d = self.deadlines[deadline_id]
    d["breached_at"] = None
    d.setdefault("breaches_withdrawn", []).append(
        {"observed_at": observed_at, "occurred_at": occurred_at, "by_event": by_event})
