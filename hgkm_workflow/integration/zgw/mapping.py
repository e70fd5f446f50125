"""The ZGW mapping as data: per region, how a case appears in a municipal zaaksysteem.

One YAML file per region in ``hgkm_workflow/data/zgw/<region>.yaml`` (``default.yaml`` for a
region without its own): the zaaktype URL the municipality gives, a statustype URL and
``volgnummer`` per phase (``closed`` is the final status), the
``vertrouwelijkheidaanduiding``, the RSINs of the ``bronorganisatie`` and the
``verantwoordelijkeOrganisatie``, and which deadline rules set ``uiterlijkeEinddatumAfdoening``
and ``einddatumGepland``. A host may keep its own files (:func:`load_mapping_file`,
:func:`mappings_from`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator, model_validator

from hgkm_workflow.errors import HgkmError
from hgkm_workflow.phases.lifecycle import OPEN_PHASES, CasePhase

#: The phases that have a ZGW status: every open phase and the final ``closed``.
STATUS_PHASES: tuple[CasePhase, ...] = (*OPEN_PHASES, CasePhase.CLOSED)

Vertrouwelijkheid = Literal["openbaar", "beperkt_openbaar", "intern", "zaakvertrouwelijk",
                            "vertrouwelijk", "confidentieel", "geheim", "zeer_geheim"]


class ZgwMappingError(HgkmError):
    """A ZGW mapping file is missing or invalid."""

    code = "ZGW_MAPPING_INVALID"


def valid_rsin(value: str) -> bool:
    """Whether ``value`` is nine digits passing the 11-proef (as the Zaken API demands)."""
    if len(value) != 9 or not value.isdigit():
        return False
    digits = [int(d) for d in value]
    total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
    return total % 11 == 0


class StatusType(BaseModel):
    """The Catalogi StatusType a phase maps to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: AnyHttpUrl
    volgnummer: int = Field(ge=1, le=9999)
    eindstatus: bool = False


class DeadlineFields(BaseModel):
    """Which deadline rule ids set the zaak's two end dates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    uiterlijke_einddatum_afdoening: tuple[str, ...] = ()
    einddatum_gepland: tuple[str, ...] = ()

    def field_for(self, rule_id: str) -> str | None:
        """The Zaak attribute a rule's due date feeds, or None."""
        if rule_id in self.uiterlijke_einddatum_afdoening:
            return "uiterlijkeEinddatumAfdoening"
        if rule_id in self.einddatum_gepland:
            return "einddatumGepland"
        return None


class ZgwMapping(BaseModel):
    """One region's mapping (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    region: str
    bronorganisatie: str
    verantwoordelijke_organisatie: str
    zaaktype: AnyHttpUrl
    vertrouwelijkheidaanduiding: Vertrouwelijkheid = "geheim"
    identificatie_prefix: str = Field(default="HGKM", pattern=r"^[A-Z0-9-]{1,7}$")
    omschrijving: str = Field(default="HGKM-casus", max_length=80)
    statustypen: dict[CasePhase, StatusType]
    deadlines: DeadlineFields = DeadlineFields()

    @field_validator("bronorganisatie", "verantwoordelijke_organisatie")
    @classmethod
    def _rsin(cls, value: str) -> str:
        if not valid_rsin(value):
            raise ValueError("not an RSIN (9 digits passing the 11-proef)")
        return value

    @model_validator(mode="after")
    def _phases(self) -> ZgwMapping:
        missing = [p.value for p in STATUS_PHASES if p not in self.statustypen]
        if missing:
            raise ValueError(f"statustypen missing for {', '.join(missing)}")
        finals = [p for p, s in self.statustypen.items() if s.eindstatus]
        if finals != [CasePhase.CLOSED]:
            raise ValueError("exactly the phase 'closed' must be the eindstatus")
        numbers = [s.volgnummer for s in self.statustypen.values()]
        if len(set(numbers)) != len(numbers):
            raise ValueError("volgnummers must differ")
        return self

    def status(self, phase: CasePhase) -> StatusType:
        """The StatusType of a phase."""
        return self.statustypen[phase]


def _parse(data: Any, source: str) -> ZgwMapping:
    try:
        return ZgwMapping.model_validate(data)
    except ValueError as error:
        raise ZgwMappingError(f"ZGW mapping {source} is invalid: {error}") from None


def region_files() -> list[str]:
    """The regions with a shipped mapping file (``default`` included)."""
    folder = resources.files("hgkm_workflow") / "data" / "zgw"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


@cache
def load_mapping(region: str) -> ZgwMapping:
    """The shipped mapping of ``region``, or the default one adapted to the region.

    Raises:
        ZgwMappingError: If the file is invalid.
    """
    name = region if region in region_files() else "default"
    text = (resources.files("hgkm_workflow") / "data" / "zgw" / f"{name}.yaml").read_text(
        encoding="utf-8")
    mapping = _parse(yaml.safe_load(text), f"{name}.yaml")
    return mapping if name == region else mapping.model_copy(update={"region": region})


def load_mapping_file(path: str | Path) -> ZgwMapping:
    """A mapping from a file the host keeps (its own URLs and RSINs)."""
    file = Path(path)
    return _parse(yaml.safe_load(file.read_text(encoding="utf-8")), file.name)


def mappings_from(folder: str | Path) -> Callable[[str], ZgwMapping]:
    """A ``mapping_for`` reading ``<folder>/<region>.yaml``, else the folder's or shipped default.

    For a host that keeps its municipalities' URLs and RSINs outside the package.
    """
    root = Path(folder)

    def mapping_for(region: str) -> ZgwMapping:
        for name in (region, "default"):
            if (root / f"{name}.yaml").is_file():
                mapping = load_mapping_file(root / f"{name}.yaml")
                return mapping if name == region else mapping.model_copy(
                    update={"region": region})
        return load_mapping(region)

    return mapping_for
