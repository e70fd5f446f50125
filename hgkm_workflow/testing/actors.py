"""Typical actors per role for tests, matching the shipped access and authority policies.

They belong to the region ``rotterdam-rijnmond`` and the gemeente Rotterdam (``GM0599``) as
the policies name them (``data/access/policy.yaml``, ``data/authority/policy.yaml``): the
Veilig Thuis of the region, a wijkteam, the police of the region, the burgemeester, the MDA++
kernteam, an auditor and the scheduler. All ids are pseudonymous test ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Actors", "default_actors"]

Actor = dict[str, str]


@dataclass(frozen=True)
class Actors:
    """The actors, each as the ``actor`` dict a command carries."""

    region: str
    gemeente: str
    vt: Actor
    gedragswetenschapper: Actor
    lokaal_team: Actor
    politie: Actor
    burgemeester: Actor
    mda: Actor
    auditor: Actor
    scheduler: Actor

    def access(self, actor: Actor, purpose: str = "case_work",
               safety_reason: str | None = None) -> dict[str, Any]:
        """An access request for reads (``access=`` of every query)."""
        data: dict[str, Any] = {"actor": dict(actor), "purpose": purpose}
        if safety_reason is not None:
            data["safety_reason"] = safety_reason
        return data

    @property
    def read(self) -> dict[str, Any]:
        """The auditor reading for audit: granted on every case (and logged)."""
        return self.access(self.auditor, "audit")

    def regisseur(self, actor: Actor, organisation_type: str = "lokaal_team") -> Actor:
        """The actor as a casusregisseur (``handover_to``, ``regisseur`` fields)."""
        return {"actor_id": actor["actor_id"], "organisation": actor["organisation"],
                "organisation_type": organisation_type}


def default_actors() -> Actors:
    """The actors of ``rotterdam-rijnmond`` / ``GM0599``."""
    return Actors(
        region="rotterdam-rijnmond", gemeente="GM0599",
        vt={"actor_id": "vt-017", "organisation": "vt-rotterdam-rijnmond",
            "role": "vt_medewerker"},
        gedragswetenschapper={"actor_id": "vt-021", "organisation": "vt-rotterdam-rijnmond",
                              "role": "vt_gedragswetenschapper"},
        lokaal_team={"actor_id": "lt-003", "organisation": "wijkteam-noord",
                     "role": "lokaal_team"},
        politie={"actor_id": "po-101", "organisation": "politie-rotterdam-rijnmond",
                 "role": "politie"},
        burgemeester={"actor_id": "bm-001", "organisation": "gemeente-rotterdam",
                      "role": "burgemeester"},
        mda={"actor_id": "zc-002", "organisation": "mda-rotterdam",
             "role": "zorgcoordinator_mda"},
        auditor={"actor_id": "au-001", "organisation": "hgkm-audit", "role": "auditor"},
        scheduler={"actor_id": "scheduler", "organisation": "hgkm", "role": "scheduler"},
    )
