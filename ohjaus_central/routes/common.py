"""What the routes' answers share: the error bodies of the OpenAPI description, and the shape
of a refusal that names its fields."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from ohjaus_core.protocol import ErrorBody
from ..db import AccessLogRefused

ERRORS = {
    400: {"model": ErrorBody}, 401: {"model": ErrorBody}, 413: {"model": ErrorBody}, 422: {"model": ErrorBody},
    429: {"model": ErrorBody},
}


def problems(error: str, found: list[tuple[str, str]], status: int = 422) -> JSONResponse:
    """A refusal naming each field (`where`, "" for the whole) and what is wrong with it."""
    return JSONResponse({"error": error, "detail": [{"where": w, "problem": p} for w, p in found]}, status_code=status)


def not_here() -> JSONResponse:
    return JSONResponse({"error": "no such client at this device's unit", "detail": None}, status_code=404)


def access_log_refused(error: str, refusal: AccessLogRefused) -> JSONResponse:
    """Access-log entries (or a device's claim about its log) not taken, naming the entry."""
    return JSONResponse(
        {"error": error, "detail": {"seq": refusal.seq, "problem": refusal.problem}}, status_code=refusal.status,
    )
