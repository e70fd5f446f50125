"""Delivery of ZGW requests over HTTP: the ZGW JWT, idempotency, retry through the outbox.

:func:`zgw_consumer` builds the outbox :class:`~hgkm_workflow.integration.outbox.Consumer`
named ``zgw``: it translates case events (:mod:`~hgkm_workflow.integration.zgw.requests`)
and delivers each request with a fresh JWT (HS256 with the client's secret; claims ``iss``,
``iat``, ``client_id``, ``user_id``, ``user_representation`` — pseudonymous codes of this
service, never a person).

Idempotency: the zaak URL the Zaken API returns is kept per case (``ob_zgw_zaken``) and the
URL of every created or changed resource per event (``ob_zgw_resources``); they replace the
``urn:hgkm:…`` placeholders of later requests. A redelivered ``POST /zaken`` is recognised by
the server's "identificatie not unique" answer and the existing zaak looked up; a status sent
again after an attempt whose answer was lost is looked up (same statustype and
``datumStatusGezet``) before it is posted anew. Every request carries an ``Idempotency-Key``
header (the outbox key). Timeouts, connection errors, 5xx and 429 are retried with back-off;
other 4xx go to the dead letter with the server's error code (no body is kept).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx
import jwt
import sqlalchemy as sa

from hgkm_workflow.adapters.schema_lock import schema_lock
from hgkm_workflow.integration.outbox import (
    Consumer,
    Message,
    Outgoing,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from hgkm_workflow.integration.tables import metadata
from hgkm_workflow.integration.zgw.mapping import ZgwMapping, load_mapping
from hgkm_workflow.integration.zgw.requests import (
    ZAAK_PATH,
    CaseTranslator,
    resource_ref,
    zaak_ref,
)

zgw_zaken = sa.Table(
    "ob_zgw_zaken", metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("zaak_url", sa.String(1000), nullable=False),
)

zgw_resources = sa.Table(
    "ob_zgw_resources", metadata,
    sa.Column("ref", sa.String(200), primary_key=True),
    sa.Column("url", sa.String(1000), nullable=False),
)

_CRS = {"Accept-Crs": "EPSG:4326", "Content-Crs": "EPSG:4326"}


@dataclass(frozen=True)
class ApiEndpoint:
    """One ZGW API: its root URL (``…/api/v1``) and the JWT client credentials."""

    base_url: str
    client_id: str
    secret: str


@dataclass(frozen=True)
class ZgwSettings:
    """Where and as whom to deliver.

    Attributes:
        zaken: The Zaken API.
        notificaties: The Notificaties API.
        user_id: The JWT ``user_id`` claim (a service code, not a person).
        user_representation: The JWT ``user_representation`` claim.
        timeout: Seconds per HTTP request.
    """

    zaken: ApiEndpoint
    notificaties: ApiEndpoint
    user_id: str = "hgkm-outbox"
    user_representation: str = "hgkm_workflow outbox"
    timeout: float = 10.0

    def endpoint(self, api: str) -> ApiEndpoint:
        """The endpoint of ``"zaken"`` or ``"notificaties"``."""
        return self.zaken if api == "zaken" else self.notificaties


def jwt_token(endpoint: ApiEndpoint, settings: ZgwSettings, now: float) -> str:
    """A ZGW JWT (HS256) for one request."""
    claims = {"iss": endpoint.client_id, "iat": int(now), "client_id": endpoint.client_id,
              "user_id": settings.user_id, "user_representation": settings.user_representation}
    return jwt.encode(claims, endpoint.secret, algorithm="HS256")


def _fill(value: Any, refs: dict[str, str]) -> Any:
    if isinstance(value, str):
        return refs.get(value, value)
    if isinstance(value, dict):
        return {k: _fill(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, refs) for v in value]
    return value


def _error_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"http-{response.status_code}"
    code = body.get("code") if isinstance(body, dict) else None
    names = [p.get("code", "") for p in body.get("invalidParams", [])
             if isinstance(p, dict)] if isinstance(body, dict) else []
    return ":".join(str(x) for x in (f"http-{response.status_code}", code, *names) if x)


def _duplicate_identificatie(response: httpx.Response) -> bool:
    if response.status_code != 400:
        return False
    try:
        params = response.json().get("invalidParams", [])
    except (ValueError, AttributeError):
        return False
    return any(p.get("name") == "identificatie" and ("uniek" in str(p.get("code"))
                                                    or "unique" in str(p.get("code")))
               for p in params if isinstance(p, dict))


def _results(response: httpx.Response) -> list[dict[str, Any]]:
    body = response.json()
    found = body.get("results", []) if isinstance(body, dict) else body
    return [r for r in found if isinstance(r, dict)]


class ZgwDelivery:
    """Delivers one outbox message to the configured ZGW APIs (the consumer's ``deliver``)."""

    def __init__(self, engine: sa.Engine, settings: ZgwSettings, *,
                 client: httpx.Client | None = None,
                 wall_clock: Callable[[], float] = time.time) -> None:
        """Bind to the store's engine (tables created) and an HTTP client."""
        self.engine = engine
        self.settings = settings
        self.client = client or httpx.Client(timeout=settings.timeout)
        self.wall_clock = wall_clock
        with schema_lock(engine):
            metadata.create_all(engine, tables=[zgw_zaken, zgw_resources])

    # ------------------------------------------------------------------ state

    def zaak_url(self, case_id: str) -> str | None:
        """The zaak URL the Zaken API gave for a case, if it was created."""
        with self.engine.connect() as conn:
            url = conn.execute(sa.select(zgw_zaken.c.zaak_url).where(
                zgw_zaken.c.case_id == case_id)).scalar()
        return str(url) if url else None

    def _resource(self, ref: str) -> str | None:
        with self.engine.connect() as conn:
            url = conn.execute(sa.select(zgw_resources.c.url).where(
                zgw_resources.c.ref == ref)).scalar()
        return str(url) if url else None

    def _remember(self, message: Message, url: str, *, zaak: bool = False) -> None:
        ref = resource_ref(message.case_id, message.version)
        new_zaak = zaak and self.zaak_url(message.case_id) is None
        with self.engine.begin() as conn:
            if new_zaak:
                conn.execute(zgw_zaken.insert().values(case_id=message.case_id, zaak_url=url))
            conn.execute(zgw_resources.delete().where(zgw_resources.c.ref == ref))
            conn.execute(zgw_resources.insert().values(ref=ref, url=url))

    # ------------------------------------------------------------------ HTTP

    def _send(self, message: Message, api: str, method: str, path: str,
              body: Any = None, params: dict[str, str] | None = None) -> httpx.Response:
        endpoint = self.settings.endpoint(api)
        token = jwt_token(endpoint, self.settings, self.wall_clock())
        headers = {"Authorization": f"Bearer {token}",
                   "Idempotency-Key": message.key, "Accept": "application/json"}
        if api == "zaken":
            headers.update(_CRS)
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self.client.request(method, endpoint.base_url.rstrip("/") + path,
                                           json=body, params=params, headers=headers)
        except httpx.TimeoutException:
            raise RetryableDeliveryError(f"{api}:timeout") from None
        except httpx.TransportError:
            raise RetryableDeliveryError(f"{api}:connection") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise RetryableDeliveryError(f"{api}:{_error_code(response)}")
        return response

    def _refuse(self, api: str, response: httpx.Response) -> PermanentDeliveryError:
        return PermanentDeliveryError(f"{api}:{_error_code(response)}")

    # ------------------------------------------------------------------ deliver

    def __call__(self, message: Message) -> None:
        """Deliver one request or notification; raise a delivery error on failure."""
        payload = message.payload
        api, method, path = payload["api"], payload["method"], payload["path"]
        if api == "zaken" and method == "POST" and path == "/zaken":
            self._create_zaak(message, payload["body"])
            return
        zaak = self.zaak_url(message.case_id)
        if zaak is None:
            raise RetryableDeliveryError("zaak-not-created-yet")
        refs = {zaak_ref(message.case_id): zaak}
        own = resource_ref(message.case_id, message.version)
        known = self._resource(own)
        if known is not None:
            refs[own] = known
        body = _fill(payload["body"], refs)
        if api == "notificaties":
            if own not in refs:
                raise RetryableDeliveryError("resource-not-delivered-yet")
            self._ok(api, self._send(message, api, method, path, body))
            return
        if path == ZAAK_PATH:
            path = "/zaken/" + zaak.rstrip("/").rsplit("/", 1)[-1]
        if path == "/statussen" and message.attempts > 0:
            existing = self._find_status(message, body)
            if existing is not None:
                self._remember(message, existing)
                return
        response = self._ok(api, self._send(message, api, method, path, body))
        url = response.json().get("url") if path == "/statussen" else zaak
        self._remember(message, str(url or zaak))

    def _ok(self, api: str, response: httpx.Response) -> httpx.Response:
        if not response.is_success:
            raise self._refuse(api, response)
        return response

    def _create_zaak(self, message: Message, body: dict[str, Any]) -> None:
        if self.zaak_url(message.case_id) is not None:
            return  # created by an earlier attempt whose outcome was recorded
        response = self._send(message, "zaken", "POST", "/zaken", body)
        if _duplicate_identificatie(response):
            found = _results(self._ok("zaken", self._send(
                message, "zaken", "GET", "/zaken",
                params={"identificatie": body["identificatie"],
                        "bronorganisatie": body["bronorganisatie"]})))
            if not found:
                raise self._refuse("zaken", response)
            self._remember(message, str(found[0]["url"]), zaak=True)
            return
        self._remember(message, str(self._ok("zaken", response).json()["url"]), zaak=True)

    def _find_status(self, message: Message, body: dict[str, Any]) -> str | None:
        response = self._ok("zaken", self._send(
            message, "zaken", "GET", "/statussen",
            params={"zaak": body["zaak"], "statustype": body["statustype"]}))
        wanted = datetime.fromisoformat(body["datumStatusGezet"])
        for status in _results(response):
            gezet = status.get("datumStatusGezet")
            if gezet and datetime.fromisoformat(str(gezet)) == wanted:
                return str(status["url"])
        return None


def zgw_consumer(app: Any, settings: ZgwSettings, *, name: str = "zgw",
                 mapping_for: Callable[[str], ZgwMapping] = load_mapping,
                 client: httpx.Client | None = None,
                 wall_clock: Callable[[], float] = time.time) -> Consumer:
    """The outbox consumer that keeps municipal zaaksystemen in step with the cases.

    Args:
        app: The :class:`~hgkm_workflow.application.HgkmApplication` (its engine and events).
        settings: The two APIs and the JWT claims.
        name: The consumer's name (checkpoint and idempotency keys).
        mapping_for: The mapping of a region (default: the shipped files).
        client: An HTTP client (default: a new ``httpx.Client`` with the settings' timeout).
        wall_clock: Seconds since the epoch for the JWT ``iat``.
    """

    def region_of(case_id: UUID) -> str:
        first = next(iter(app.events.get(case_id, lte=1)), None)
        return str(getattr(first, "region", "default"))

    translator = CaseTranslator(region_of, mapping_for)
    delivery = ZgwDelivery(app.engine, settings, client=client, wall_clock=wall_clock)

    def translate(event: Any) -> list[Outgoing]:
        return [Outgoing(p) for p in translator(event)]

    return Consumer(name=name, translate=translate, deliver=delivery)
