"""A local Zaken + Notificaties API (stdlib ``http.server`` on 127.0.0.1) for end-to-end tests.

Every request is validated against the same OpenAPI specs as the contract tests and its JWT
checked; the server answers as the API does (201 with a ``url``, 400 ``ValidatieFout`` for a
duplicate ``identificatie``, paginated lists for searches). Faults are injected from a seeded
random stream: a 500 before anything is done, or — on the Zaken API — an answer held back
longer than the client waits *after* the request took effect (the hard case: the client must
recognise the resource on its retry). ``effects`` counts, per ``Idempotency-Key``, how many
times a request changed the server's state.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt

from tests.integration.specs import spec, validate

SECRET = "test-secret-for-the-local-server"
ROOTS = {"zaken": "/zaken/api/v1", "notificaties": "/notificaties/api/v1"}


class FakeZgw:
    """The server's state, its faults and what it saw."""

    def __init__(self, *, seed: int = 7, p_error: float = 0.0, p_slow: float = 0.0,
                 slow_seconds: float = 0.6) -> None:
        self.lock = threading.Lock()
        spec("zaken"), spec("notificaties")  # parsed before the first request (seconds)
        self.rng = random.Random(seed)
        self.p_error, self.p_slow, self.slow_seconds = p_error, p_slow, slow_seconds
        self.zaken: dict[str, dict[str, Any]] = {}
        self.statussen: list[dict[str, Any]] = []
        self.notificaties: list[dict[str, Any]] = []
        self.effects: Counter[str] = Counter()
        self.violations: list[str] = []
        self.faults: Counter[str] = Counter()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeZgw:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, body, slow = fake.handle(self.command, self.path, dict(self.headers), raw)
                if slow:
                    time.sleep(fake.slow_seconds)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    return

            do_GET = do_POST = do_PATCH = _handle  # noqa: N815

        return Handler

    # ------------------------------------------------------------------ the API

    def handle(self, method: str, target: str, headers: dict[str, str],
               raw: bytes) -> tuple[int, Any, bool]:
        """Answer one request: (status, body, answer late)."""
        parts = urlsplit(target)
        api = next((a for a, root in ROOTS.items() if parts.path.startswith(root)), None)
        if api is None:
            return 404, {"detail": "no such API"}, False
        path = parts.path[len(ROOTS[api]):]
        body = json.loads(raw) if raw else None
        with self.lock:
            try:
                self._check_jwt(headers)
            except (KeyError, ValueError, jwt.PyJWTError):
                return 403, {"code": "permission_denied", "detail": "JWT refused"}, False
            try:
                validate(api, method, path, body, headers, parts.query)
            except Exception as error:  # a contract violation: record it and refuse
                self.violations.append(f"{method} {api}{path}: {type(error).__name__}: {error}")
                return 400, {"detail": "contract violation"}, False
            roll = self.rng.random()
            if roll < self.p_error:
                self.faults["500"] += 1
                return 500, {"detail": "injected"}, False
            slow = api == "zaken" and roll < self.p_error + self.p_slow
            self.faults["slow"] += int(slow)
            key = headers.get("Idempotency-Key", "")
            status, answer = self._apply(api, method, path, body, dict(parse_qsl(parts.query)),
                                         key)
            return status, answer, slow

    def _check_jwt(self, headers: dict[str, str]) -> None:
        token = headers["Authorization"].removeprefix("Bearer ")
        claims = jwt.decode(token, SECRET, algorithms=["HS256"])
        missing = {"iss", "iat", "client_id", "user_id", "user_representation"} - set(claims)
        if missing:
            raise ValueError(f"JWT claims missing: {sorted(missing)}")

    def _url(self, kind: str, key: str) -> str:
        return f"{self.base}{ROOTS['zaken']}/{kind}/{key}"

    def _apply(self, api: str, method: str, path: str, body: Any, query: dict[str, str],
               key: str) -> tuple[int, Any]:
        if api == "notificaties":
            self.notificaties.append(body)
            self.effects[key] += 1
            return 200, body
        if method == "POST" and path == "/zaken":
            if any(z["identificatie"] == body["identificatie"]
                   and z["bronorganisatie"] == body["bronorganisatie"]
                   for z in self.zaken.values()):
                return 400, {"code": "invalid", "title": "Invalid input.", "status": 400,
                             "detail": "", "instance": "urn:uuid:" + str(uuid.uuid4()),
                             "invalidParams": [{"name": "identificatie",
                                                "code": "identificatie-niet-uniek",
                                                "reason": "Deze identificatie bestaat al"}]}
            zid = str(uuid.uuid4())
            self.zaken[zid] = {**body, "url": self._url("zaken", zid), "uuid": zid}
            self.effects[key] += 1
            return 201, self.zaken[zid]
        if method == "GET" and path == "/zaken":
            found = [z for z in self.zaken.values()
                     if z["identificatie"] == query.get("identificatie")]
            return 200, {"count": len(found), "next": None, "previous": None, "results": found}
        if method == "PATCH" and path.startswith("/zaken/"):
            zaak = self.zaken[path.rsplit("/", 1)[-1]]
            changed = {**zaak, **body}
            if changed != zaak:
                self.effects[key] += 1
                self.zaken[zaak["uuid"]] = changed
            return 200, changed
        if method == "POST" and path == "/statussen":
            if not any(z["url"] == body["zaak"] for z in self.zaken.values()):
                return 400, {"detail": "unknown zaak"}
            sid = str(uuid.uuid4())
            status = {**body, "url": self._url("statussen", sid), "uuid": sid}
            self.statussen.append(status)
            self.effects[key] += 1
            return 201, status
        if method == "GET" and path == "/statussen":
            found = [s for s in self.statussen if s["zaak"] == query.get("zaak")
                     and s["statustype"] == query.get("statustype", s["statustype"])]
            return 200, {"count": len(found), "next": None, "previous": None, "results": found}
        return 405, {"detail": "not supported by the fake"}
