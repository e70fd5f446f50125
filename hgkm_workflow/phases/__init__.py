"""The state machines, one module per machine, each a `transitions` table used as data."""

from __future__ import annotations

from hgkm_workflow.phases.directe_veiligheid import DIRECTE_VEILIGHEID
from hgkm_workflow.phases.herstel import HERSTEL
from hgkm_workflow.phases.huisverbod import HUISVERBOD
from hgkm_workflow.phases.intake import ADVIES, TRIAGE
from hgkm_workflow.phases.lifecycle import LIFECYCLE
from hgkm_workflow.phases.mda import MDA
from hgkm_workflow.phases.regie import REGIE
from hgkm_workflow.phases.risicogestuurde_zorg import RISICOGESTUURDE_ZORG
from hgkm_workflow.phases.table import TransitionTable
from hgkm_workflow.phases.vt import MONITORING, VT_SERVICE
from hgkm_workflow.phases.waakvlam import WAAKVLAM

ALL_TABLES: tuple[TransitionTable, ...] = (  # type: ignore[type-arg]
    LIFECYCLE,
    ADVIES,
    TRIAGE,
    VT_SERVICE,
    MONITORING,
    DIRECTE_VEILIGHEID,
    RISICOGESTUURDE_ZORG,
    HERSTEL,
    WAAKVLAM,
    HUISVERBOD,
    REGIE,
    MDA,
)

__all__ = ["ALL_TABLES", "TransitionTable"]
