"""Synthetic households: pseudonymous persons, their actors, and a mirror of the case.

A :class:`Household` holds what the simulation needs to choose the next command without reading
the store: the case id, the persons (random ids only — nothing identifying, not even invented
names), the gemeente, and a *mirror* of the case state that matters for choosing commands
(phase, VT involvement, huisverbod, casusregie, MDA++). The mirror follows from the commands
the simulation sent; when the engine refuses a command, the simulation resynchronises the
mirror from the case itself (:meth:`Household.resync`) and counts the refusal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from hgkm_workflow.authority import default_policy
from hgkm_workflow.views import CaseView

JsonDict = dict[str, Any]

LATER_PHASES = ("risicogestuurde_zorg", "herstel", "waakvlam")
OPEN_PHASES = ("triage", "directe_veiligheid", *LATER_PHASES)
PARTNER_FORMS = ("partnergeweld", "ex_partnergeweld", "complexe_scheiding", "stalking",
                 "eergerelateerd_geweld")


def _slug(gemeente: str) -> str:
    return gemeente.lower()


@dataclass(frozen=True)
class Actors:
    """The pseudonymous actors of a region (codes only: no names)."""

    region: str

    def vt(self, n: int) -> JsonDict:
        """A VT medewerker."""
        return {"actor_id": f"vt-{n % 40:03d}", "organisation": f"vt-{self.region}",
                "role": "vt_medewerker"}

    def burgemeester(self, gemeente: str) -> JsonDict:
        """The burgemeester of a gemeente (the organisation from the authority policy's table)."""
        organisation = default_policy().tables.burgemeester(gemeente) \
            or f"gemeente-{_slug(gemeente)}"
        return {"actor_id": f"bm-{_slug(gemeente)}", "organisation": organisation,
                "role": "burgemeester"}

    def school_teller(self, n: int) -> JsonDict:
        """Who tells the school under Handle with Care: the police where the region agreed so
        (a regional rule of the authority policy), else Veilig Thuis."""
        rules = default_policy().rules_for("InformSchool", self.region)
        return self.politie() if any(r.relation == "politie" for r in rules) else self.vt(n)

    def politie(self) -> JsonDict:
        """A police officer of the region's unit."""
        return {"actor_id": "politie-wijkagent", "organisation": f"politie-{self.region}",
                "role": "politie"}

    def local_team(self, gemeente: str, n: int) -> JsonDict:
        """A casusregisseur of the gemeente's local team (as a Regisseur)."""
        return {"actor_id": f"lt-{_slug(gemeente)}-{n % 12:02d}",
                "organisation": f"lokaal-team-{_slug(gemeente)}",
                "organisation_type": "lokaal_team"}

    def existing_care(self, n: int) -> JsonDict:
        """A care provider already involved (as a Regisseur)."""
        return {"actor_id": f"zorg-{n % 25:02d}", "organisation": f"zorgaanbieder-{n % 5}",
                "organisation_type": "zorgaanbieder"}

    def mda(self) -> JsonDict:
        """The zorgcoördinator++ of the region's MDA++ kernteam (as a Regisseur).

        The organisation is the kernteam the authority policy lists for the region (its first,
        by name), else ``mda-<region>``.
        """
        listed = sorted(default_policy().tables.mda_kernteam(self.region))
        return {"actor_id": "zorgcoordinator-mda",
                "organisation": listed[0] if listed else f"mda-{self.region}",
                "organisation_type": "mda_kernteam"}


_ROLE_OF_TYPE = {"lokaal_team": "lokaal_team", "zorgaanbieder": "hulpverlener",
                 "mda_kernteam": "zorgcoordinator_mda"}


def actor_of(regisseur: JsonDict) -> JsonDict:
    """The command actor for a casusregisseur."""
    return {"actor_id": regisseur["actor_id"], "organisation": regisseur["organisation"],
            "role": _ROLE_OF_TYPE.get(regisseur["organisation_type"], "casusregisseur")}


@dataclass(slots=True)
class Household:
    """One synthetic household and the simulation's mirror of its case."""

    index: int
    case_id: UUID
    gemeente: str
    persons: list[tuple[UUID, str]]
    form: str
    history: bool = False
    # -- mirror of the case
    phase: str = "new"
    dv_state: str = "no_plan"
    plan_ever: bool = False
    pending: list[UUID] = field(default_factory=list)
    service: int = 0
    service_kind: str = ""
    service_melding: UUID | None = None
    service_melder: str = ""
    monitoring: int = 0
    regisseur: JsonDict | None = None
    offered_to: JsonDict | None = None
    mda: str = "not_escalated"
    huisverbod: UUID | None = None
    huisverbod_ends: datetime | None = None
    t8_open: list[UUID] = field(default_factory=list)
    """Huisverboden whose contact address (T8) was never given: T8 stays open."""
    risk_open: list[str] = field(default_factory=list)
    risk_resolved: list[str] = field(default_factory=list)
    herstel_done: bool = False
    plegeraanbod_open: bool = False
    ervaringsdeskundige: bool = False
    epoch: int = 0
    # -- VT involvement as the CBS classification sees it
    involved: bool = False
    ended_at: datetime | None = None

    @property
    def has_children(self) -> bool:
        """Whether a child belongs to the household."""
        return any(role == "child" for _, role in self.persons)

    @property
    def perpetrator(self) -> UUID:
        """The alleged perpetrator (every synthetic household has one)."""
        return next(pid for pid, role in self.persons if role == "alleged_perpetrator")

    @property
    def is_open(self) -> bool:
        """Whether the case is in an open phase."""
        return self.phase in OPEN_PHASES

    def vt_active(self) -> bool:
        """Whether VT is involved: a melding awaits assessment, a service or monitoring runs."""
        return bool(self.pending) or self.service != 0 or self.monitoring != 0

    def statutory_open(self) -> bool:
        """Whether a statutory deadline may be open (T1, T3, T6/T7, T8): leaving needs a reason."""
        return bool(self.pending) or self.service != 0 or self.huisverbod is not None \
            or bool(self.t8_open)

    def enter_directe_veiligheid(self) -> None:
        """Mirror: the case entered directe veiligheid (from triage or by a loop-back)."""
        self.phase = "directe_veiligheid"
        self.dv_state = "plan_active" if self.plan_ever else "no_plan"
        self.epoch += 1

    def plan_set(self) -> None:
        """Mirror: a veiligheidsplan was set (only takes effect in directe veiligheid)."""
        if self.phase == "directe_veiligheid":
            self.plan_ever = True
            self.dv_state = "plan_active"

    def closed(self) -> None:
        """Mirror: the case was closed (monitoring ends, MDA++ ends, every deadline closes)."""
        self.phase = "closed"
        if self.mda == "escalated":
            self.mda = "returned"
        self.monitoring = 0
        self.service = 0
        self.t8_open = []
        self.offered_to = None
        self.epoch += 1

    def resync(self, view: CaseView) -> None:
        """Take the mirrored state from the case itself (after a refused command)."""
        self.phase = view.phase.value
        if view.sub_state is not None and self.phase == "directe_veiligheid":
            self.dv_state = view.sub_state
        self.plan_ever = view.veiligheidsplan is not None
        self.regisseur = view.regisseur
        self.offered_to = view.handover_offered_to
        self.mda = view.mda
        if view.vt_service.get("state") != "running":
            self.service = 0
        if view.monitoring.get("state") != "monitoring":
            self.monitoring = 0
        active = [h for h in view.huisverboden if h.state in ("imposed", "extended")]
        self.huisverbod = UUID(active[0].huisverbod_id) if active else None
        self.huisverbod_ends = active[0].ends_at if active else None
        # which huisverbod an open T8 belongs to is not in the view: keep a marker
        self.t8_open = [UUID(int=0)] if any(d.rule_id == "T8" for d in view.open_deadlines) \
            else []
        self.risk_open = list(view.open_risk_factors)
        self.epoch += 1
