"""A reference service embedding hgkm_workflow with FastAPI (a demo, not a product).

Run it::

    pip install -e ".[service]"
    HGKM_DATABASE_URL=sqlite:///service.db uvicorn examples.service.app:app

Endpoints: ``POST /meldingen`` (201 with the command result), ``GET /cases/{case_id}``,
``GET /events?after=N&limit=M`` (the access-checked feed), ``GET /health`` (503 when the
store does not answer). The statutory clock runs in the lifespan: a background thread with
the interruptible scheduler loop, stopped on shutdown.

**Who reads is taken from request headers** (``X-Actor-Id``, ``X-Organisation``, ``X-Role``,
``X-Purpose``, optionally ``X-Safety-Reason``). This example trusts them *for the demo only*:
a real host authenticates the caller (OIDC, mTLS, …) and builds the access request from the
verified identity, never from what the client claims. Commands carry their actor in the body
for the same reason here; a real host sets it from the verified identity too.
"""


import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any
from uuid import UUID

from fastapi import Body, Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse

from hgkm_workflow import HgkmApplication, HgkmError
from hgkm_workflow.application.feed import FeedPage
from hgkm_workflow.application.health import HealthReport
from hgkm_workflow.service.http import error_body, http_status
from hgkm_workflow.service.loops import run_scheduler
from hgkm_workflow.service.models import CaseModel, CommandResultModel

__all__ = ["app", "create_app"]

_log = logging.getLogger("examples.service")

#: Concurrent commands per application. Intake locks have a pool of their own, so 32
#: threads at once all succeed (docs/embedding.md, "Measured"); above the read models' pool
#: (5 + 10) commands queue for connections, so the service bounds them below FastAPI's 40.
MAX_CONCURRENT_COMMANDS = 16
_commands = threading.BoundedSemaphore(MAX_CONCURRENT_COMMANDS)


def application(request: Request) -> HgkmApplication:
    """The one application of the service (opened in the lifespan)."""
    engine: HgkmApplication = request.app.state.hgkm
    return engine


def access(x_actor_id: Annotated[str, Header()], x_organisation: Annotated[str, Header()],
           x_role: Annotated[str, Header()], x_purpose: Annotated[str, Header()],
           x_safety_reason: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    """Who reads, from the request headers. DEMO ONLY: trusts what the client claims.

    A real host builds this from the authenticated identity (docs/embedding.md).
    """
    data: dict[str, Any] = {"actor": {"actor_id": x_actor_id,
                                      "organisation": x_organisation, "role": x_role},
                            "purpose": x_purpose}
    if x_safety_reason:
        data["safety_reason"] = x_safety_reason
    return data


App = Annotated[HgkmApplication, Depends(application)]
Reader = Annotated[dict[str, Any], Depends(access)]


def create_app(store_url: str | None = None, *, tick_interval: float = 60.0,
               make_application: Callable[[], HgkmApplication] | None = None) -> FastAPI:
    """The FastAPI app over one :class:`HgkmApplication` shared by all request threads.

    Args:
        store_url: The store (default ``HGKM_DATABASE_URL`` or ``sqlite:///hgkm.db``).
        tick_interval: Seconds between ticks of the scheduler thread.
        make_application: Builds the application instead (tests: a settable clock).
    """

    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        engine = make_application() if make_application else HgkmApplication(store_url)
        stop = threading.Event()
        ticker = threading.Thread(target=run_scheduler, args=(engine, stop),
                                  kwargs={"interval": tick_interval}, name="hgkm-scheduler",
                                  daemon=True)
        api.state.hgkm = engine
        ticker.start()
        try:
            yield
        finally:
            stop.set()
            ticker.join(timeout=30)
            engine.close()

    api = FastAPI(title="hgkm_workflow reference service", lifespan=lifespan)

    @api.exception_handler(HgkmError)
    async def refused(_request: Request, error: HgkmError) -> JSONResponse:
        _log.info("refused", extra={"code": error.code})
        return JSONResponse(status_code=http_status(error), content=error_body(error))

    @api.post("/meldingen", status_code=201, response_model=CommandResultModel)
    def receive_melding(engine: App,
                        command: Annotated[dict[str, Any], Body()]) -> CommandResultModel:
        with _commands:
            return CommandResultModel.from_view(engine.receive_melding(command))

    @api.get("/cases/{case_id}", response_model=CaseModel)
    def get_case(case_id: UUID, engine: App, reader: Reader) -> CaseModel:
        return CaseModel.from_view(engine.get_case(case_id, access=reader))

    @api.get("/events", response_model=FeedPage)
    def events(engine: App, reader: Reader, after: Annotated[int, Query(ge=0)] = 0,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> FeedPage:
        return engine.events_since(after, access=reader, limit=limit)

    @api.get("/health", response_model=HealthReport)
    def health(engine: App) -> JSONResponse:
        report = engine.health()
        return JSONResponse(status_code=200 if report.ready else 503,
                            content=report.model_dump(mode="json"))

    return api


app = create_app()
