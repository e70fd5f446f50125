"""Who is who in a region and a gemeente: Veilig Thuis, police, MDA++ kernteam, burgemeester.

Kept as data in ``data/authority/policy.yaml`` (``regions`` and ``gemeenten``). A region that
is not listed has, by the convention the access policy also follows, the organisation
``vt-<region>`` as its Veilig Thuis and no police or kernteam; a gemeente that is not listed
has no burgemeester here, so its huisverbod commands are refused until it is added.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from hgkm_workflow.domain.mandate import HuisverbodMandate


@dataclass(frozen=True)
class RegionTable:
    """The organisations with a regional role in one VT region."""

    veilig_thuis: frozenset[str]
    mda_kernteam: frozenset[str] = frozenset()
    politie: frozenset[str] = frozenset()


@dataclass(frozen=True)
class GemeenteTable:
    """The burgemeester of one gemeente and the mandates recorded for that burgemeester."""

    burgemeester: str
    mandates: tuple[HuisverbodMandate, ...] = ()
    """The burgemeester's recorded mandates (mandaatbesluiten), each with validity dates."""


@dataclass(frozen=True)
class PolicyTables:
    """The region and gemeente tables, and the library's own organisations."""

    regions: Mapping[str, RegionTable] = field(default_factory=dict)
    gemeenten: Mapping[str, GemeenteTable] = field(default_factory=dict)
    system_organisations: frozenset[str] = frozenset()

    def region(self, region: str) -> RegionTable:
        """The region's table; ``vt-<region>`` as its Veilig Thuis when it is not listed."""
        found = self.regions.get(region)
        return found if found is not None else RegionTable(frozenset({f"vt-{region}"}))

    def veilig_thuis(self, region: str) -> frozenset[str]:
        """Veilig Thuis of the region."""
        return self.region(region).veilig_thuis

    def politie(self, region: str) -> frozenset[str]:
        """The police of the region."""
        return self.region(region).politie

    def mda_kernteam(self, region: str) -> frozenset[str]:
        """The region's MDA++ kernteam."""
        return self.region(region).mda_kernteam

    def all_veilig_thuis(self) -> frozenset[str]:
        """Every listed region's Veilig Thuis."""
        return frozenset(org for r in self.regions.values() for org in r.veilig_thuis)

    def burgemeester(self, gemeente: str) -> str | None:
        """The burgemeester's organisation code of the gemeente (``None``: not listed)."""
        found = self.gemeenten.get(gemeente)
        return found.burgemeester if found is not None else None

    def mandates(self, gemeente: str) -> tuple[HuisverbodMandate, ...]:
        """Every recorded mandate of the gemeente's burgemeester (valid or not)."""
        found = self.gemeenten.get(gemeente)
        return found.mandates if found is not None else ()

    def mandates_at(self, gemeente: str, at: datetime | None
                    ) -> dict[tuple[str, str], HuisverbodMandate]:
        """``(command, organisation)`` → the mandate in force in ``gemeente`` at ``at``.

        ``at`` ``None`` (no business time known, e.g. before a case exists): none.
        """
        if at is None:
            return {}
        return {(command, m.organisation): m for m in self.mandates(gemeente)
                if m.valid_at(at) for command in sorted(m.commands)}
