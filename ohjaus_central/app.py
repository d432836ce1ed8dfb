"""The central API: an ASGI app (FastAPI) with its OpenAPI description at /openapi.json.

Every route but /v1/health needs a device credential (Authorization: Bearer ...); without a
valid one the answer is 401. Bodies over MAX_BODY_BYTES are refused with 413 before they
are read whole; a malformed body is 422 with what was wrong. Nothing here logs record data.

A request goes through the Gate (gate.py: the credential, the rate limit), the body limit,
FastRoutes (hot_path.py: push and pull of a recognised device) and then the FastAPI app, whose
routes are in routes/ (one router per resource) and whose dependencies (the store, the device)
are in dependencies.py. How the server runs is one ServerSettings (settings.py).
"""

import logging
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ohjaus_core import __version__
from .db import CentralStore
from .gate import BodyLimit, Gate
from .hot_path import FastRoutes
from .routes import ROUTERS
from .settings import ServerSettings

logger = logging.getLogger("ohjaus.central")


def create_app(store: CentralStore, settings: ServerSettings | None = None) -> FastAPI:
    """The API over `store`, run as `settings` say (by default: not the demo, limits from
    the environment). What is returned is the ASGI app with the Gate in front; the FastAPI
    app is its `fastapi` (for app.openapi())."""
    settings = settings or ServerSettings()

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="ohjaus central API",
        version=__version__,
        description=(
            "Devices push their changes (each applied once, its id the idempotency key) and "
            "pull the region's changes in server order, only what their unit and register may see."
        ),
    )
    app.state.store, app.state.settings = store, settings
    _handle_errors(app)

    @app.get("/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    for router in ROUTERS:
        app.include_router(router)
    limiter = Gate.limiter_from(settings.rate_limit)
    wrapped = Gate(BodyLimit(FastRoutes(app, store), settings.max_body_bytes), store, settings.demo, limiter)
    wrapped.fastapi = app  # for app.openapi() and the routes
    return wrapped  # type: ignore[return-value]


def _handle_errors(app: FastAPI) -> None:
    """One error shape: {"error": ..., "detail": ...}."""

    # Starlette's class: also the body-parsing 400 and the routing 404/405, one error shape.
    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(error.detail)}, status_code=error.status_code, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        detail = [
            {"where": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in error.errors()[:20]
        ]
        return JSONResponse({"error": "invalid request", "detail": detail}, status_code=422)

    @app.exception_handler(Exception)
    async def internal(_request: Request, error: Exception) -> JSONResponse:
        # The type only: an exception's message may hold record values.
        logger.error("internal error: %s", type(error).__name__)
        return JSONResponse({"error": "internal error; the request was not applied"}, status_code=500)
