"""Push and pull through the framework: the requests FastRoutes (hot_path.py) does not serve
itself come here (a malformed one gets the framework's 422, an integration its 403)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from ohjaus_core.protocol import MAX_PAGE, PullResponse, PushRequest, PushResponse
from ..db import Revoked
from ..dependencies import Store, Syncing
from ..hot_path import page, push as push_changes
from .common import ERRORS

router = APIRouter()


@router.post("/v1/push", response_model=PushResponse, responses=ERRORS)
async def push(body: PushRequest, dev: Syncing, central: Store) -> Response:
    return await push_changes(central, dev, body.changes)


@router.get("/v1/changes", response_model=PullResponse, responses=ERRORS)
def pull(
    dev: Syncing,
    central: Store,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 500,
) -> Response:
    try:
        return Response(page(central, dev, after, limit), media_type="application/json")
    except Revoked:
        raise HTTPException(401, "unknown or revoked device credential") from None
