"""Case events → ZGW requests (Zaken API 1.5.1) and Notificaties messages (1.0.0).

Per case event, at most one Zaken request followed by its notification:

* ``Opened`` → ``POST /zaken`` (identificatie from the case id, never from persons);
* ``PhaseChanged`` → ``POST /statussen`` with the phase's statustype, ``datumStatusGezet`` =
  the business time and a fixed toelichting written from codes; a change *from* ``closed``
  is the reopening: a non-final status after the final one (scope ``zaken.heropenen``);
* ``DeadlineStarted`` of a rule the mapping names → ``PATCH /zaken/{uuid}`` with
  ``uiterlijkeEinddatumAfdoening`` or ``einddatumGepland`` (the due date in Amsterdam);
* ``HuisverbodExtended`` → ``PATCH /zaken/{uuid}`` with ``verlenging``;
* each of them → ``POST /notificaties`` (kanaal ``zaken``).

URLs the server hands out are not known in advance: a request names the zaak as
``urn:hgkm:zaak:<case_id>`` (path ``/zaken/{uuid}``) and a notification names the resource
of its own event as ``urn:hgkm:resource:<case_id>:<version>``; delivery fills them in
(:mod:`hgkm_workflow.integration.zgw.delivery`). Nothing else of the case leaves: no persons,
roles, rationales, rules text or actors.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from hgkm_workflow.integration.zgw.mapping import ZgwMapping, load_mapping
from hgkm_workflow.phases.lifecycle import CasePhase

ZAAK_PATH = "/zaken/{uuid}"
_AMSTERDAM = "Europe/Amsterdam"

PHASE_LABELS: dict[str, str] = {
    "triage": "triage (veiligheidsbeoordeling)",
    "directe_veiligheid": "directe veiligheid",
    "risicogestuurde_zorg": "risicogestuurde zorg",
    "herstel": "herstel",
    "waakvlam": "waakvlam",
    "closed": "afgesloten",
}
HOW_LABELS: dict[str, str] = {
    "melding": "na melding",
    "reopened": "heropend na nieuwe melding",
    "assessment": "na veiligheidsbeoordeling",
    "vt_service": "na dienst van Veilig Thuis",
    "phase_completed": "vorige fase afgerond",
    "loop_back": "terug na acute onveiligheid",
    "closed": "zaak afgesloten",
}


def zaak_ref(case_id: str | UUID) -> str:
    """The placeholder of a case's zaak URL until the server has given one."""
    return f"urn:hgkm:zaak:{case_id}"


def resource_ref(case_id: str | UUID, version: int) -> str:
    """The placeholder of the resource the Zaken request of an event creates or changes."""
    return f"urn:hgkm:resource:{case_id}:{version}"


def identificatie(mapping: ZgwMapping, case_id: UUID) -> str:
    """The zaak's identificatie: the region's prefix and the (random) case id, ≤ 40 chars."""
    return f"{mapping.identificatie_prefix}-{case_id.hex}"


def _local_date(at: datetime) -> str:
    return at.astimezone(ZoneInfo(_AMSTERDAM)).date().isoformat()


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def statustoelichting(to_phase: str, how: str | None) -> str:
    """A short, fixed text from codes only: the phase and how the case got there."""
    label = PHASE_LABELS.get(to_phase, to_phase)
    reason = HOW_LABELS.get(how or "", "")
    return f"Fase: {label}" + (f" ({reason})" if reason else "")


def _notification(mapping: ZgwMapping, case_id: UUID, version: int, resource: str,
                  actie: str, at: datetime) -> dict[str, Any]:
    return {"api": "notificaties", "method": "POST", "path": "/notificaties", "body": {
        "kanaal": "zaken", "hoofdObject": zaak_ref(case_id), "resource": resource,
        "resourceUrl": resource_ref(case_id, version), "actie": actie,
        "aanmaakdatum": _instant(at),
        "kenmerken": {"bronorganisatie": mapping.bronorganisatie,
                      "zaaktype": str(mapping.zaaktype),
                      "vertrouwelijkheidaanduiding": mapping.vertrouwelijkheidaanduiding}}}


def _create_zaak(mapping: ZgwMapping, event: Any, case_id: UUID) -> dict[str, Any]:
    return {"api": "zaken", "method": "POST", "path": "/zaken", "body": {
        "identificatie": identificatie(mapping, case_id),
        "bronorganisatie": mapping.bronorganisatie,
        "verantwoordelijkeOrganisatie": mapping.verantwoordelijke_organisatie,
        "zaaktype": str(mapping.zaaktype),
        "omschrijving": mapping.omschrijving,
        "toelichting": f"Regio {event.region}",
        "startdatum": _local_date(event.opened_at),
        "registratiedatum": _local_date(event.timestamp),
        "vertrouwelijkheidaanduiding": mapping.vertrouwelijkheidaanduiding,
        "kenmerken": [{"kenmerk": str(case_id), "bron": "hgkm_workflow"}]}}


def _status(mapping: ZgwMapping, event: Any, case_id: UUID) -> dict[str, Any]:
    phase = CasePhase(str(event.to_phase))
    return {"api": "zaken", "method": "POST", "path": "/statussen", "body": {
        "zaak": zaak_ref(case_id), "statustype": str(mapping.status(phase).url),
        "datumStatusGezet": _instant(event.at),
        "statustoelichting": statustoelichting(phase.value, getattr(event, "how", None))}}


def _patch(body: dict[str, Any]) -> dict[str, Any]:
    return {"api": "zaken", "method": "PATCH", "path": ZAAK_PATH, "body": body}


def translate(mapping: ZgwMapping, event: Any) -> list[dict[str, Any]]:
    """The ZGW requests of one decoded case event (zero, or a request and its notification).

    Args:
        mapping: The mapping of the case's region.
        event: A decoded ``HouseholdCase`` event.

    Returns:
        Payloads ``{"api", "method", "path", "body"}`` in delivery order.
    """
    name = type(event).__name__
    case_id: UUID = event.originator_id
    version: int = event.originator_version
    request: dict[str, Any] | None = None
    resource, actie, at = "zaak", "partial_update", getattr(event, "at", None)
    if name == "Opened":
        request, actie, at = _create_zaak(mapping, event, case_id), "create", event.opened_at
    elif name == "PhaseChanged" and str(event.to_phase) in PHASE_LABELS:
        request, resource, actie = _status(mapping, event, case_id), "status", "create"
    elif name == "DeadlineStarted":
        deadline = event.deadline
        target = mapping.deadlines.field_for(str(deadline.get("rule_id")))
        if target is not None and deadline.get("checkpoint") is None:
            due = deadline["due"]
            due_at = due if isinstance(due, datetime) else datetime.fromisoformat(str(due))
            request = _patch({target: _local_date(due_at)})
            at = event.timestamp
    elif name == "HuisverbodExtended":
        days = max((event.new_end - event.previous_end).days, 1)
        request = _patch({"verlenging": {
            "reden": "Tijdelijk huisverbod verlengd (Wet tijdelijk huisverbod)",
            "duur": f"P{days}D"}})
    if request is None:
        return []
    return [request, _notification(mapping, case_id, version, resource, actie,
                                   at or event.timestamp)]


def is_case_event(event: Any) -> bool:
    """Whether a decoded event belongs to a household case (not an advies or person record)."""
    return type(event).__qualname__.startswith("HouseholdCase.")


class CaseTranslator:
    """Translates events of any case, finding each case's region (and so its mapping).

    Args:
        region_of: The region of a case (read from its ``Opened`` event).
        mapping_for: The mapping of a region (default: the shipped files).
    """

    def __init__(self, region_of: Callable[[UUID], str],
                 mapping_for: Callable[[str], ZgwMapping] = load_mapping) -> None:
        """Keep the two look-ups; regions are remembered per case."""
        self._region_of = region_of
        self._mapping_for = mapping_for
        self._regions: dict[UUID, str] = {}

    def __call__(self, event: Any) -> list[dict[str, Any]]:
        """The requests of one event (none for events of other aggregates)."""
        if not is_case_event(event):
            return []
        case_id: UUID = event.originator_id
        if type(event).__name__ == "Opened":
            self._regions[case_id] = str(event.region)
        region = self._regions.get(case_id)
        if region is None:
            region = self._regions.setdefault(case_id, self._region_of(case_id))
        return translate(self._mapping_for(region), event)


def preview(app: Any, case_id: UUID, *, access: Any,
            mapping_for: Callable[[str], ZgwMapping] = load_mapping) -> list[dict[str, Any]]:
    """The ZGW requests a case produces, without sending anything (``hgkm zgw preview``).

    Reads the case's events through the access-checked ``app.case_events`` (logged).

    Args:
        app: The :class:`~hgkm_workflow.application.HgkmApplication`.
        case_id: The case.
        access: Who reads and why (as for ``app.case_events``).
        mapping_for: The mapping of a region (default: the shipped files).

    Returns:
        ``[{"api": "zaken"|"notificaties", "method", "path", "body"}, …]`` in delivery
        order; server-given URLs appear as ``urn:hgkm:…`` placeholders and ``/zaken/{uuid}``.

    Raises:
        AccessDenied: If the policy refuses the read.
        CaseNotFound: If there is no such case.
    """
    events = app.case_events(case_id, access=access)
    region = next((str(e.region) for e in events if type(e).__name__ == "Opened"), "default")
    mapping = mapping_for(region)
    return [request for event in events if is_case_event(event)
            for request in translate(mapping, event)]
