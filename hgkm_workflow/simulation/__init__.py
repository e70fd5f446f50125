"""Synthetic regions: a calibrated population driven through the real engine in simulated time.

``hgkm simulate --region rotterdam-rijnmond --from 2025-01-01 --until 2026-01-01`` (see
docs/simulation.md) generates households, persons, adviezen and meldingen from a region profile
(``hgkm_workflow/data/regions/*.yaml``) and drives them through
:class:`~hgkm_workflow.application.HgkmApplication` with a
:class:`~hgkm_workflow.clock.SettableClock`: the same commands a service would send, with
actors and rationale, and the scheduler ticking every simulated morning.

    from hgkm_workflow.simulation import SimulationConfig, run_simulation
"""

from hgkm_workflow.simulation.driver import (
    Progress,
    Simulation,
    SimulationConfig,
    SimulationResult,
    run_simulation,
)
from hgkm_workflow.simulation.profiles import (
    RegionProfile,
    UnknownRegion,
    load_profile,
    region_ids,
)

__all__ = [
    "Progress",
    "RegionProfile",
    "Simulation",
    "SimulationConfig",
    "SimulationResult",
    "UnknownRegion",
    "load_profile",
    "region_ids",
    "run_simulation",
]
