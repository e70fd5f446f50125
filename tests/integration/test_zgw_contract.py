"""Contract: every request and notification a case produces validates against the ZGW specs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openapi_core.validation.request.exceptions import RequestValidationError

from hgkm_workflow.access import Access
from hgkm_workflow.application import HgkmApplication
from hgkm_workflow.clock import SettableClock
from hgkm_workflow.errors import AccessDenied
from hgkm_workflow.integration.zgw.mapping import (
    ZgwMapping,
    ZgwMappingError,
    load_mapping,
    mappings_from,
    region_files,
    valid_rsin,
)
from hgkm_workflow.integration.zgw.requests import preview
from hgkm_workflow.phases.lifecycle import CasePhase
from tests.integration.cases import full_case, short_case
from tests.integration.specs import ZAKEN_HEADERS, fill_placeholders, validate
from tests.support import READ

NOTIFY_HEADERS = {"Authorization": "Bearer test", "Content-Type": "application/json"}


def _validate_all(requests: list[dict[str, Any]]) -> None:
    for request in requests:
        path, body = fill_placeholders(request)
        headers = ZAKEN_HEADERS if request["api"] == "zaken" else NOTIFY_HEADERS
        validate(request["api"], request["method"], path, body, headers)


@pytest.fixture
def previews(sqlite_app: HgkmApplication, clock: SettableClock
             ) -> Callable[[], list[dict[str, Any]]]:
    def run() -> list[dict[str, Any]]:
        full = full_case(sqlite_app, clock)
        short = short_case(sqlite_app, clock)
        return (preview(sqlite_app, full, access=READ)
                + preview(sqlite_app, short, access=READ))
    return run


def test_every_request_of_a_full_lifecycle_validates(previews: Callable[[], list[dict[str, Any]]]
                                                     ) -> None:
    requests = previews()
    kinds = {(r["api"], r["method"], r["path"]) for r in requests}
    assert kinds == {("zaken", "POST", "/zaken"), ("zaken", "POST", "/statussen"),
                     ("zaken", "PATCH", "/zaken/{uuid}"),
                     ("notificaties", "POST", "/notificaties")}
    _validate_all(requests)


def test_a_status_per_phase_change_and_a_reopening_after_the_final_status(
        sqlite_app: HgkmApplication, clock: SettableClock) -> None:
    case_id = full_case(sqlite_app, clock)
    requests = preview(sqlite_app, case_id, access=READ)
    mapping = load_mapping("rotterdam-rijnmond")
    by_url = {str(mapping.status(p).url): p for p in CasePhase if p is not CasePhase.NEW}
    phases = [by_url[r["body"]["statustype"]] for r in requests if r["path"] == "/statussen"]
    assert phases == ["triage", "directe_veiligheid", "risicogestuurde_zorg", "herstel",
                      "waakvlam", "closed", "triage"]
    patches = [r["body"] for r in requests if r["method"] == "PATCH"]
    assert "einddatumGepland" in patches[0]
    assert patches[1]["verlenging"]["duur"] == "P5D"
    notes = [r for r in requests if r["api"] == "notificaties"]
    assert len(notes) == len(requests) // 2
    assert {n["body"]["kanaal"] for n in notes} == {"zaken"}
    assert {n["body"]["kenmerken"]["vertrouwelijkheidaanduiding"] for n in notes} == {"geheim"}


def test_the_validator_refuses_a_body_that_breaks_the_contract() -> None:
    body = {"zaak": "http://zgw.test/api/v1/zaken/x", "statustype": "http://zgw.test/s/1"}
    with pytest.raises(RequestValidationError):  # datumStatusGezet is required
        validate("zaken", "POST", "/statussen", body, ZAKEN_HEADERS)
    note = {"kanaal": "zaken", "hoofdObject": "x", "resource": "zaak", "actie": "create"}
    with pytest.raises(RequestValidationError):
        validate("notificaties", "POST", "/notificaties", note, NOTIFY_HEADERS)


def test_no_person_rationale_or_actor_leaves(sqlite_app: HgkmApplication,
                                            clock: SettableClock) -> None:
    case_id = full_case(sqlite_app, clock)
    text = json.dumps(preview(sqlite_app, case_id, access=READ))
    events = sqlite_app.case_events(case_id, access=READ)
    persons = {p["person_id"] for e in events for p in getattr(e, "persons", [])}
    assert persons and not any(p in text for p in persons)
    for secret in ("vt-017", "lt-003", "bm-001", "decided in the team meeting", "victim",
                   "alleged_perpetrator", "melding received by phone"):
        assert secret not in text
    assert f"HGKM-{case_id.hex}" in text


def test_the_shipped_mappings_are_valid_and_a_region_without_a_file_uses_the_default() -> None:
    assert {"default", "rotterdam-rijnmond"} <= set(region_files())
    for region in region_files():
        mapping = load_mapping(region)
        assert mapping.vertrouwelijkheidaanduiding == "geheim"
        assert mapping.status(CasePhase.CLOSED).eindstatus
    other = load_mapping("hollands-midden")
    assert other.region == "hollands-midden"
    assert other.zaaktype == load_mapping("default").zaaktype


def test_a_mapping_without_a_valid_rsin_or_final_status_is_refused() -> None:
    assert valid_rsin("002220647") and not valid_rsin("002220648")
    data = load_mapping("default").model_dump(mode="json")
    with pytest.raises(ValueError, match="RSIN"):
        ZgwMapping.model_validate({**data, "bronorganisatie": "123456789"})
    statuses = dict(data["statustypen"])
    statuses["closed"] = {**statuses["closed"], "eindstatus": False}
    with pytest.raises(ValueError, match="eindstatus"):
        ZgwMapping.model_validate({**data, "statustypen": statuses})
    assert issubclass(ZgwMappingError, Exception)


def test_the_preview_is_an_access_checked_read(sqlite_app: HgkmApplication,
                                             clock: SettableClock) -> None:
    case_id = short_case(sqlite_app, clock)
    stranger = Access.model_validate({"actor": {
        "actor_id": "vt-200", "organisation": "vt-rotterdam-rijnmond", "role": "vt_medewerker"},
        "purpose": "case_work"})
    with pytest.raises(AccessDenied):
        preview(sqlite_app, case_id, access=stranger)


def test_a_host_keeps_its_own_mapping_files(tmp_path: Path, sqlite_app: HgkmApplication,
                                            clock: SettableClock) -> None:
    data = load_mapping("default").model_dump(mode="json")
    own = {**data, "region": "hollands-midden",
           "zaaktype": "https://catalogi.gemeente.example.invalid/api/v1/zaaktypen/7"}
    (tmp_path / "hollands-midden.yaml").write_text(json.dumps(own), encoding="utf-8")
    case_id = short_case(sqlite_app, clock, region="hollands-midden")
    requests = preview(sqlite_app, case_id, access=READ, mapping_for=mappings_from(tmp_path))
    assert requests[0]["body"]["zaaktype"].endswith("/zaaktypen/7")
    assert mappings_from(tmp_path)("rotterdam-rijnmond") == load_mapping("rotterdam-rijnmond")
