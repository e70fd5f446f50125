"""Region profiles: the figures a simulated region is calibrated to, loaded from YAML data files.

A profile (``hgkm_workflow/data/regions/<id>.yaml``) holds the region's municipalities (dated, with
CBS codes, population and where known the meldingen per 1,000 inhabitants), its yearly volumes
(meldingen, adviezen, huisverboden) and the shares the simulation is calibrated to. Every figure
names its source; ``estimate`` marks the ones the sources do not give for the region. The
process assumptions shared by all regions (durations, outcome distributions) live in
``hgkm_workflow/data/simulation_defaults.yaml``; a profile may override them under ``process:``.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hgkm_workflow.errors import HgkmError

_PACKAGE = "hgkm_workflow"


class UnknownRegion(HgkmError):
    """No region profile with that id."""

    code = "UNKNOWN_REGION"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Figure(_Model):
    """One calibrated figure with its provenance."""

    value: float = Field(ge=0)
    source: str
    estimate: bool = False
    note: str = ""


class Distribution(_Model):
    """A categorical distribution (shares summing to 1) with its provenance."""

    value: dict[str, float]
    source: str
    estimate: bool = False
    estimated_keys: list[str] = Field(default_factory=list)
    note: str = ""

    @model_validator(mode="after")
    def _sums_to_one(self) -> Distribution:
        total = sum(self.value.values())
        if abs(total - 1.0) > 0.005 or any(v < 0 for v in self.value.values()):
            raise ValueError(f"shares must be non-negative and sum to 1 (got {total:.4f})")
        return self


class Municipality(_Model):
    """A municipality of the region, valid over a date range."""

    code: str = Field(pattern=r"^GM\d{4}$")
    name: str
    population: int = Field(gt=0)
    melding_rate: float | None = Field(default=None, gt=0)
    valid_from: date | None = None
    valid_until: date | None = None

    def valid_on(self, day: date) -> bool:
        """Whether the municipality existed (in this form) on ``day``."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until)


class Volumes(_Model):
    """Yearly volumes of the region."""

    meldingen: Figure
    adviezen: Figure
    huisverboden: Figure


class Shares(_Model):
    """The shares the simulation is calibrated to."""

    huisverbod_extended: Figure
    crisis: Figure
    mda_of_severe: Figure
    onderzoek: Figure
    melder_types: Distribution
    classification: Distribution

    @model_validator(mode="after")
    def _classes(self) -> Shares:
        if set(self.classification.value) != {"nieuw", "vervolg", "hermelding"}:
            raise ValueError("classification needs exactly nieuw, vervolg and hermelding")
        return self


class RegionProfile(_Model):
    """A region as the simulation sees it."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name: str
    vt_region: str
    reference_year: int
    sources: dict[str, str]
    notes: str = ""
    municipalities: list[Municipality] = Field(min_length=1)
    municipality_source: dict[str, str] = Field(default_factory=dict)
    volumes: Volumes
    shares: Shares
    process: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _sources_known(self) -> RegionProfile:
        cited = [self.volumes.meldingen.source, self.volumes.adviezen.source,
                 self.volumes.huisverboden.source, self.shares.huisverbod_extended.source,
                 self.shares.crisis.source, self.shares.mda_of_severe.source,
                 self.shares.onderzoek.source, self.shares.melder_types.source,
                 self.shares.classification.source, *self.municipality_source.values()]
        unknown = sorted({s for s in cited if s not in self.sources})
        if unknown:
            raise ValueError(f"figures cite unknown sources: {', '.join(unknown)}")
        return self

    def municipalities_on(self, day: date) -> list[Municipality]:
        """The municipalities valid on ``day``, in table order."""
        return [m for m in self.municipalities if m.valid_on(day)]

    def process_settings(self) -> dict[str, Any]:
        """The shared process assumptions with this profile's overrides applied."""
        return {**default_process(), **self.process}


def _read_yaml(*parts: str) -> Any:
    resource = resources.files(_PACKAGE).joinpath("data", *parts)
    return yaml.safe_load(resource.read_text(encoding="utf-8"))


@cache
def default_process() -> dict[str, Any]:
    """The process assumptions of ``data/simulation_defaults.yaml``."""
    data: dict[str, Any] = _read_yaml("simulation_defaults.yaml")
    return data


def region_ids() -> list[str]:
    """The ids of the region profiles shipped with the package, sorted."""
    folder = resources.files(_PACKAGE).joinpath("data", "regions")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir()
                  if p.name.endswith(".yaml"))


@cache
def load_profile(region: str) -> RegionProfile:
    """Load a shipped region profile by id (e.g. ``rotterdam-rijnmond``).

    Raises:
        UnknownRegion: If there is no such profile.
    """
    if region not in region_ids():
        raise UnknownRegion(f"no region profile '{region}'; known: {', '.join(region_ids())}")
    return RegionProfile.model_validate(_read_yaml("regions", f"{region}.yaml"))
