"""The tijdelijk huisverbod: imposition, extension, revocation, expiry, contact address (T6–T8).

The statutory bounds (T6: 10 days; T7: at most 28 days after imposition) are computed here,
when the huisverbod is imposed or extended, and carried on the events.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from hgkm_workflow.clock import as_utc
from hgkm_workflow.domain.context import DecisionContext
from hgkm_workflow.domain.deadline_records import ACTIVE_HUISVERBOD, LAPSE_WHEN_HUISVERBOD_ENDS
from hgkm_workflow.domain.due import compute_due
from hgkm_workflow.domain.guards import RULE_HUISVERBOD
from hgkm_workflow.domain.late import LateRegistration
from hgkm_workflow.domain.mandate import HuisverbodMandate
from hgkm_workflow.errors import RuleViolation
from hgkm_workflow.phases.huisverbod import HUISVERBOD, HuisverbodState

if TYPE_CHECKING:
    from hgkm_workflow.commands import (
        ExpireHuisverbod,
        ExtendHuisverbod,
        ImposeHuisverbod,
        RecordContactAddressGiven,
        RevokeHuisverbod,
    )

JsonDict = dict[str, Any]


def huisverbod_bounds(ctx: DecisionContext, imposed_at: datetime) -> tuple[datetime, datetime]:
    """End of a new huisverbod (T6) and the latest end any extension may reach (T7)."""
    t6 = compute_due(ctx.rules.get("T6"), imposed_at, ctx.calendar)
    t7 = compute_due(ctx.rules.get("T7"), imposed_at, ctx.calendar)
    return t6.due, t7.due


def check_huisverbod_extension(h: JsonDict, ctx: DecisionContext, new_end: datetime) -> None:
    """Statutory hard limits on extending a huisverbod (Wet tijdelijk huisverbod art. 9)."""
    if ctx.at >= h["ends_at"]:
        raise RuleViolation(
            "the huisverbod has expired and can no longer be extended",
            code="HUISVERBOD_EXPIRED", rule="T7 huisverbod_verlenging (Wet tijdelijk huisverbod "
                                            "art. 9): decided before expiry",
        )
    end = as_utc(new_end)
    if end > h["max_end"]:
        raise RuleViolation(
            "an extension may run to at most 28 days after imposition",
            code="HUISVERBOD_EXTENSION_TOO_LONG",
            rule="T7 huisverbod_verlenging (Wet tijdelijk huisverbod art. 9): at most 28 days",
        )
    if end <= h["ends_at"]:
        raise RuleViolation("the new end must be later than the current end",
                            code="HUISVERBOD_EXTENSION_NOT_LATER", rule="T7 huisverbod_verlenging")


class HuisverbodDecisions(LateRegistration):
    """Decisions on the huisverboden of a case."""

    def impose_huisverbod(self, cmd: ImposeHuisverbod, huisverbod_id: UUID,
                          ctx: DecisionContext, mandate: HuisverbodMandate | None = None
                          ) -> None:
        """The burgemeester imposes a tijdelijk huisverbod for 10 days (T6).

        A hulpofficier van justitie (role ``politie``) imposes only under ``mandate``: the
        burgemeester's recorded mandate for this case's gemeente, held by the actor's
        organisation and in force at the business time (Wet tijdelijk huisverbod art. 3 lid 1;
        the authority policy resolves it). The event names the mandate (``mandate_id``).
        """
        self._require_open("impose_huisverbod")
        self._require_person(cmd.removed_person_id)
        HUISVERBOD.next_state(HuisverbodState.NONE, "impose")
        under = self._imposing_mandate(cmd, ctx, mandate)
        for h in self.huisverboden.values():
            if h["state"] in ACTIVE_HUISVERBOD and ctx.at < h["ends_at"] and \
                    h["removed_person_id"] == str(cmd.removed_person_id):
                raise RuleViolation("this person already has an active huisverbod",
                                    code="HUISVERBOD_ALREADY_ACTIVE", rule=RULE_HUISVERBOD)
        if str(huisverbod_id) in self.huisverboden:
            raise RuleViolation("huisverbod id already used", code="DUPLICATE_HUISVERBOD",
                                rule="huisverbod-id-unique")
        self._expire_run_out(ctx)  # ran out, but no tick recorded it yet
        ends_at, max_end = huisverbod_bounds(ctx, ctx.at)
        rule = f"{RULE_HUISVERBOD} art. 2" if under is None else \
            f"{RULE_HUISVERBOD} art. 2, under mandate {under.mandate_id} (art. 3)"
        prov = ctx.provenance(cmd, rule=rule)
        self._huisverbod_imposed(**prov, huisverbod_id=str(huisverbod_id),
                                 removed_person_id=str(cmd.removed_person_id),
                                 ends_at=ends_at, max_end=max_end,
                                 mandate_id=under.mandate_id if under is not None else None)
        self._satisfy_deadlines(ctx, "HuisverbodImposed", str(huisverbod_id))
        self._start_deadlines(ctx, "HuisverbodImposed", ctx.at, str(huisverbod_id), {})

    def _imposing_mandate(self, cmd: ImposeHuisverbod, ctx: DecisionContext,
                          mandate: HuisverbodMandate | None) -> HuisverbodMandate | None:
        """The mandate the imposition is made under (``None``: by the burgemeester himself).

        Raises:
            RuleViolation: ``NOT_AUTHORISED`` for any other role, or a hulpofficier without a
                mandate of this gemeente in force at the business time for their organisation.
        """
        role = cmd.actor.role.value
        if role == "burgemeester":
            return None
        if role == "politie" and mandate is not None and mandate.covers(
                "ImposeHuisverbod", cmd.actor.organisation, self.gemeente, ctx.at):
            return mandate
        raise RuleViolation("only the burgemeester, or a hulpofficier van justitie under the "
                            "burgemeester's recorded mandate in force for this gemeente, "
                            "imposes a huisverbod", code="NOT_AUTHORISED",
                            rule=f"{RULE_HUISVERBOD} art. 2 and art. 3 lid 1 (mandaat)")

    def _huisverbod(self, huisverbod_id: UUID) -> JsonDict:
        h = self.huisverboden.get(str(huisverbod_id))
        if h is None:
            raise RuleViolation("no such huisverbod in this case", code="HUISVERBOD_NOT_FOUND",
                                rule="huisverbod-exists")
        return h

    def extend_huisverbod(self, cmd: ExtendHuisverbod, ctx: DecisionContext) -> None:
        """Extend an active huisverbod, before it expires, to at most 28 days after imposition."""
        h = self._huisverbod(cmd.huisverbod_id)
        if cmd.actor.role.value != "burgemeester":  # art. 9: not mandatable (art. 3 lid 1)
            raise RuleViolation("only the burgemeester extends a huisverbod",
                                code="NOT_AUTHORISED", rule=f"{RULE_HUISVERBOD} art. 9")
        self._withdraw_expiry_decided_before(h, str(cmd.huisverbod_id), cmd, ctx, "extended")
        HUISVERBOD.next_state(HuisverbodState(h["state"]), "extend")
        check_huisverbod_extension(h, ctx, cmd.new_end)
        prov = ctx.provenance(cmd, rule=f"{RULE_HUISVERBOD} art. 9 (T7)")
        new_end = as_utc(cmd.new_end)
        self._huisverbod_extended(**prov, huisverbod_id=str(cmd.huisverbod_id), new_end=new_end,
                                  previous_end=h["ends_at"])
        self._satisfy_deadlines(ctx, "HuisverbodExtended", str(cmd.huisverbod_id))
        self._start_deadlines(ctx, "HuisverbodExtended", ctx.at, str(cmd.huisverbod_id),
                 {"due_override": new_end})

    def revoke_huisverbod(self, cmd: RevokeHuisverbod, ctx: DecisionContext) -> None:
        """Revoke an active huisverbod (the burgemeester; a revocation cannot be mandated)."""
        h = self._huisverbod(cmd.huisverbod_id)
        if cmd.actor.role.value != "burgemeester":
            raise RuleViolation("only the burgemeester revokes a huisverbod",
                                code="NOT_AUTHORISED", rule=f"{RULE_HUISVERBOD} art. 2 lid 6")
        self._withdraw_expiry_decided_before(h, str(cmd.huisverbod_id), cmd, ctx, "revoked")
        HUISVERBOD.next_state(HuisverbodState(h["state"]), "revoke")
        if ctx.at >= h["ends_at"]:
            raise RuleViolation("the huisverbod has already run out", code="HUISVERBOD_EXPIRED",
                                rule=f"{RULE_HUISVERBOD} art. 2 (T6/T7)")
        self._huisverbod_revoked(**ctx.provenance(cmd, rule=f"{RULE_HUISVERBOD} art. 2 lid 6"),
                                 huisverbod_id=str(cmd.huisverbod_id))
        self._satisfy_deadlines(ctx, "HuisverbodRevoked", str(cmd.huisverbod_id))
        self._lapse_deadlines(str(cmd.huisverbod_id), LAPSE_WHEN_HUISVERBOD_ENDS, ctx.at,
                 "the huisverbod was revoked; the duty ended with it")

    def expire_huisverbod(self, cmd: ExpireHuisverbod | None, ctx: DecisionContext,
                          huisverbod_id: UUID | None = None) -> None:
        """Record that a huisverbod ran out (at its end instant, not before)."""
        hid = cmd.huisverbod_id if cmd is not None else huisverbod_id
        if hid is None:  # a programming error, not a business rule
            raise TypeError("expire_huisverbod needs a command or a huisverbod id")
        h = self._huisverbod(hid)
        HUISVERBOD.next_state(HuisverbodState(h["state"]), "expire")
        if ctx.at < h["ends_at"]:
            raise RuleViolation("the huisverbod has not yet run out",
                                code="HUISVERBOD_NOT_YET_EXPIRED", rule=f"{RULE_HUISVERBOD} T6/T7")
        prov = (ctx.provenance(cmd, rule=f"{RULE_HUISVERBOD} T6/T7") if cmd is not None
                else ctx.system_provenance("the huisverbod ran out without extension",
                                           f"{RULE_HUISVERBOD} T6/T7"))
        self._huisverbod_expired(**{**prov, "at": h["ends_at"]}, huisverbod_id=str(hid))
        self._satisfy_deadlines(ctx, "HuisverbodExpired", str(hid), at=h["ends_at"])
        self._lapse_deadlines(str(hid), LAPSE_WHEN_HUISVERBOD_ENDS, h["ends_at"],
                 "the huisverbod ran out; the duty ended with it")

    def record_contact_address_given(self, cmd: RecordContactAddressGiven,
                                     ctx: DecisionContext) -> None:
        """The removed person gave a contact address (T8); the address is in the register."""
        h = self._huisverbod(cmd.huisverbod_id)
        HUISVERBOD.next_state(HuisverbodState(h["state"]), "give_contact_address")
        if ctx.at >= h["ends_at"]:
            raise RuleViolation("the huisverbod has already run out", code="HUISVERBOD_EXPIRED",
                                rule=f"{RULE_HUISVERBOD} T8")
        if h["contact_address_given"]:
            raise RuleViolation("contact address already recorded",
                                code="CONTACT_ADDRESS_ALREADY_GIVEN", rule="T8 contactadres")
        self._contact_address_given(**ctx.provenance(cmd, rule=f"{RULE_HUISVERBOD} T8"),
                                    huisverbod_id=str(cmd.huisverbod_id))
        self._satisfy_deadlines(ctx, "HuisverbodContactAddressGiven", str(cmd.huisverbod_id))
