"""The access policy: need to know, as data per region, decided by a pure function.

:func:`decide` takes the access request (actor and purpose), what is read, and the facts about
the case that matter for involvement (region, casusregie, MDA++ escalation, huisverbod, who
held casusregie when an earlier period ended), and returns granted, emergency or refused with
the rule that decided. An involvement that ended with period N of a reopened case grants what
was recorded in period N only (``AccessDecision.until_version``). It reads no database and no
clock. The policy data is ``hgkm_workflow/data/access/policy.yaml`` (documented defaults); a
host may pass its own :class:`AccessPolicy`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from hgkm_workflow.access.models import Access, AccessDecision, Purpose, Verdict
from hgkm_workflow.errors import HgkmError


class InvalidPolicy(HgkmError):
    """The access policy data cannot be used."""

    code = "INVALID_ACCESS_POLICY"
    default_rule = "access policy data"


@dataclass(frozen=True)
class Grant:
    """One kind of involvement and the purposes it allows."""

    name: str
    purposes: frozenset[Purpose]
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RegionAccess:
    """Who is Veilig Thuis and MDA++ kernteam in a region."""

    veilig_thuis: frozenset[str]
    mda_kernteam: frozenset[str]


@dataclass(frozen=True)
class CaseFacts:
    """What the policy needs to know about a case (ids and codes only)."""

    region: str
    regie_organisation: str | None = None
    offered_to_organisation: str | None = None
    mda_escalated: bool = False
    huisverbod_imposed: bool = False
    past_regie: tuple[PastRegie, ...] = ()
    """Who held casusregie when each earlier period of a reopened case ended."""


@dataclass(frozen=True)
class PastRegie:
    """The organisation holding casusregie when period ``period`` ended at ``last_version``."""

    organisation: str
    period: int
    last_version: int


@dataclass(frozen=True)
class AccessPolicy:
    """Grants and region tables."""

    version: int
    grants: dict[str, Grant]
    regions: dict[str, RegionAccess] = field(default_factory=dict)
    exact_cell_roles: frozenset[str] = frozenset()
    """Roles that may see exact (unsuppressed, unrounded) monitor cells (``exact_cells.roles``
    in the data; none when the data names none: safe by default)."""

    def may_see_exact_cells(self, role: str) -> bool:
        """Whether an actor with this role may see exact small monitor cells."""
        return role in self.exact_cell_roles

    def region(self, region: str) -> RegionAccess:
        """The region's tables; by convention ``vt-<region>`` when the region is not listed."""
        return self.regions.get(region, RegionAccess(frozenset({f"vt-{region}"}), frozenset()))

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> AccessPolicy:
        """Build a policy from its YAML/JSON form."""
        try:
            grants = {
                name: Grant(name=name, purposes=frozenset(Purpose(p) for p in g["purposes"]),
                            roles=frozenset(g.get("roles", [])))
                for name, g in data["grants"].items()
            }
            regions = {
                name: RegionAccess(veilig_thuis=frozenset(r.get("veilig_thuis", [])),
                                   mda_kernteam=frozenset(r.get("mda_kernteam", [])))
                for name, r in (data.get("regions") or {}).items()
            }
            exact = data.get("exact_cells") or {}
            roles = exact.get("roles") or []
            if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
                raise TypeError("exact_cells.roles")
            return cls(version=int(data["version"]), grants=grants, regions=regions,
                       exact_cell_roles=frozenset(roles))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidPolicy(f"access policy data is malformed ({type(exc).__name__})") from None


@cache
def default_policy() -> AccessPolicy:
    """The documented default policy shipped with the library."""
    text = resources.files("hgkm_workflow").joinpath("data/access/policy.yaml").read_text("utf-8")
    return AccessPolicy.from_data(yaml.safe_load(text))


def involvements(access: Access, facts: CaseFacts, policy: AccessPolicy) -> list[str]:
    """The names of the grants the actor holds on this case."""
    org = access.actor.organisation
    role = access.actor.role.value
    region = policy.region(facts.region)
    held: list[str] = []
    if org in region.veilig_thuis:
        held.append("veilig_thuis")
    if org in {facts.regie_organisation, facts.offered_to_organisation} - {None}:
        held.append("casusregie")
    if facts.mda_escalated and org in region.mda_kernteam:
        held.append("mda_kernteam")
    for name, grant in policy.grants.items():
        if grant.roles and role in grant.roles:
            if name == "burgemeester" and not facts.huisverbod_imposed:
                continue
            held.append(name)
    return held


def decide(access: Access, facts: CaseFacts, policy: AccessPolicy | None = None) -> AccessDecision:
    """Decide a read of one case: involvement first, then emergency access, else refusal."""
    pol = policy or default_policy()
    held = involvements(access, facts, pol)
    for name in held:
        grant = pol.grants.get(name)
        if grant is not None and access.purpose in grant.purposes:
            return AccessDecision(verdict=Verdict.GRANTED,
                                  rule=f"policy v{pol.version}: {name} / {access.purpose.value}")
    if access.purpose is Purpose.EMERGENCY:
        if access.safety_reason:
            return AccessDecision(verdict=Verdict.EMERGENCY,
                                  rule=f"policy v{pol.version}: emergency access "
                                       "(privacy never blocks safety, seed 004)")
        return AccessDecision(verdict=Verdict.REFUSED,
                              rule=f"policy v{pol.version}: emergency access needs a safety reason")
    past = _past_period_grant(access, facts, pol)
    if past is not None:
        return past
    why = "no involvement" if not held else f"{', '.join(held)} does not cover this purpose"
    return AccessDecision(verdict=Verdict.REFUSED,
                          rule=f"policy v{pol.version}: {why} ({access.purpose.value})")


def _past_period_grant(access: Access, facts: CaseFacts,
                       policy: AccessPolicy) -> AccessDecision | None:
    # Need to know of an ended period's casusregisseur covers that period, not the new one:
    # granted for the casusregie purposes, bounded to the period's last event version.
    mine = [p for p in facts.past_regie if p.organisation == access.actor.organisation]
    grant = policy.grants.get("casusregie")
    if not mine or grant is None or access.purpose not in grant.purposes:
        return None
    last = max(mine, key=lambda p: p.last_version)
    return AccessDecision(
        verdict=Verdict.GRANTED, until_version=last.last_version,
        rule=f"policy v{policy.version}: casusregie of period {last.period} / "
             f"{access.purpose.value} (what was recorded up to version {last.last_version})")


def decide_without_case(access: Access, region: str | None,
                        policy: AccessPolicy | None = None) -> AccessDecision:
    """Decide a read not tied to one case (lists, exports): Veilig Thuis or audit only."""
    pol = policy or default_policy()
    org = access.actor.organisation
    if region is not None and org in pol.region(region).veilig_thuis \
            and access.purpose in pol.grants["veilig_thuis"].purposes:
        return AccessDecision(verdict=Verdict.GRANTED,
                              rule=f"policy v{pol.version}: veilig_thuis / {access.purpose.value}")
    if region is None and any(org in r.veilig_thuis for r in pol.regions.values()) \
            and access.purpose in pol.grants["veilig_thuis"].purposes:
        return AccessDecision(verdict=Verdict.GRANTED,
                              rule=f"policy v{pol.version}: veilig_thuis / {access.purpose.value}")
    auditor = pol.grants.get("auditor")
    if auditor is not None and access.actor.role.value in auditor.roles \
            and access.purpose in auditor.purposes:
        return AccessDecision(verdict=Verdict.GRANTED,
                              rule=f"policy v{pol.version}: auditor / {access.purpose.value}")
    return AccessDecision(verdict=Verdict.REFUSED,
                          rule=f"policy v{pol.version}: not Veilig Thuis of the region nor auditor")


def vt_regions(organisation: str, policy: AccessPolicy | None = None) -> frozenset[str]:
    """The regions whose Veilig Thuis the organisation is (listed, or ``vt-<region>``)."""
    pol = policy or default_policy()
    regions = {name for name, r in pol.regions.items() if organisation in r.veilig_thuis}
    if organisation.startswith("vt-"):
        conventional = organisation[3:]
        if conventional and conventional not in pol.regions:
            regions.add(conventional)
    return frozenset(regions)


def _auditor(access: Access, pol: AccessPolicy) -> AccessDecision | None:
    auditor = pol.grants.get("auditor")
    if auditor is not None and access.actor.role.value in auditor.roles \
            and access.purpose in auditor.purposes:
        return AccessDecision(verdict=Verdict.GRANTED,
                              rule=f"policy v{pol.version}: auditor / {access.purpose.value}")
    return None


def decide_listing(access: Access, region: str | None, policy: AccessPolicy | None = None
                   ) -> tuple[AccessDecision, frozenset[str] | None]:
    """Decide a listing across cases (case list, open deadlines) and how far it reaches.

    An auditor sees every region. Veilig Thuis sees its own region(s): the listing is limited
    to them (``region`` must be one of them when given). Anyone else is refused: they reach
    the cases that concern them one by one.

    Returns:
        The decision, and the regions the listing is limited to (``None``: no limit).
    """
    pol = policy or default_policy()
    audited = _auditor(access, pol)
    if audited is not None:
        return audited, (frozenset({region}) if region else None)
    mine = vt_regions(access.actor.organisation, pol)
    vt = pol.grants.get("veilig_thuis")
    if mine and vt is not None and access.purpose in vt.purposes \
            and (region is None or region in mine):
        scope = frozenset({region}) if region else mine
        return (AccessDecision(verdict=Verdict.GRANTED,
                               rule=f"policy v{pol.version}: veilig_thuis / "
                                    f"{access.purpose.value}"), scope)
    return (AccessDecision(verdict=Verdict.REFUSED,
                           rule=f"policy v{pol.version}: listing needs Veilig Thuis of the "
                                "region or an auditor"), None)


def decide_store_wide(access: Access, policy: AccessPolicy | None = None) -> AccessDecision:
    """Decide a read of the whole store (export, verification, the access log): auditors."""
    pol = policy or default_policy()
    audited = _auditor(access, pol)
    if audited is not None:
        return audited
    return AccessDecision(verdict=Verdict.REFUSED,
                          rule=f"policy v{pol.version}: a store-wide read needs an auditor")
