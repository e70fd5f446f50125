"""The ZGW OpenAPI specifications from ``../shared/specs/zgw/`` and request validation.

Validation uses openapi-core's request validation (``OpenAPI.validate_request``): path,
method, required headers, the bearer security scheme and the request body against its
schema (readOnly properties excluded, as OpenAPI 3.0 prescribes for requests). The specs are
used unchanged except for their ``servers`` entry, which is set to one test host so that the
same paths resolve for every API.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPECS = Path(__file__).resolve().parents[3] / "shared" / "specs" / "zgw"
FILES = {"zaken": "zaken-api-1.5.1.yaml", "notificaties": "notificaties-api-1.0.0.yaml",
         "catalogi": "catalogi-api-1.3.1.yaml"}
HOST = "http://zgw.test"
PREFIX = "/api/v1"


def require_specs() -> Path:
    """The specs folder; fail under ``HGKM_REQUIRE_ZGW_SPECS=1`` when missing, else skip."""
    missing = [name for name in FILES.values() if not (SPECS / name).is_file()]
    if missing:
        if os.environ.get("HGKM_REQUIRE_ZGW_SPECS") == "1":
            pytest.fail(f"ZGW specs required (HGKM_REQUIRE_ZGW_SPECS=1) but missing in {SPECS}")
        pytest.skip(f"ZGW specs not found in {SPECS}")
    return SPECS


@cache
def spec(api: str) -> OpenAPI:
    """The parsed specification of ``"zaken"``, ``"notificaties"`` or ``"catalogi"``."""
    data = yaml.safe_load((require_specs() / FILES[api]).read_text(encoding="utf-8"))
    data["servers"] = [{"url": HOST + PREFIX}]
    return OpenAPI.from_dict(data)


@dataclass
class SpecRequest:
    """A request in the shape openapi-core reads (``openapi_core.protocols.Request``)."""

    path: str
    method: str
    body: bytes | None
    headers: dict[str, str]
    query: str = ""
    host_url: str = HOST
    content_type: str = "application/json"
    parameters: RequestParameters = field(init=False)

    def __post_init__(self) -> None:
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(self.query)), header=Headers(self.headers),
            cookie=ImmutableMultiDict(), path={})


def validate(api: str, method: str, path: str, body: Any, headers: dict[str, str],
             query: str = "") -> None:
    """Raise openapi-core's validation error if the request breaks the contract."""
    raw = None if body is None else json.dumps(body).encode()
    spec(api).validate_request(SpecRequest(PREFIX + path, method.lower(), raw, headers, query))


ZAKEN_HEADERS = {"Authorization": "Bearer test", "Content-Type": "application/json",
                 "Accept-Crs": "EPSG:4326", "Content-Crs": "EPSG:4326"}
EXAMPLE_ZAAK = "http://zgw.test/api/v1/zaken/6a0e3d7c-1111-4c2e-9b8e-3d0f5c1b2a01"


def fill_placeholders(request: dict[str, Any]) -> tuple[str, Any]:
    """A preview request with its ``urn:hgkm:`` placeholders replaced by example URLs."""
    text = json.dumps(request["body"])
    for token in ("urn:hgkm:zaak:", "urn:hgkm:resource:"):
        while token in text:
            start = text.index(token)
            end = text.index('"', start)
            text = text[:start] + EXAMPLE_ZAAK + text[end:]
    path = request["path"].replace("{uuid}", EXAMPLE_ZAAK.rsplit("/", 1)[-1])
    return path, json.loads(text)
