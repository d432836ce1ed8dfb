"""The clients a device's unit no longer serves, and every record about a client, taken back
whole by a device that removed them."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from ohjaus_core.protocol import UUID_PATTERN, ClientRecords, ErrorBody, ReleasedClients
from ..dependencies import DeviceOnly, Store
from .common import ERRORS, not_here

router = APIRouter()


@router.get("/v1/released", response_model=ReleasedClients, responses=ERRORS)
def released(dev: DeviceOnly, central: Store) -> ReleasedClients:
    """The clients the device's unit no longer serves (`ohjaus client release`): the
    device removes those it holds at this sync (docs/sync.md). Read only: no route lets a
    device release, remove or hide a record on the server."""
    return ReleasedClients(clients=central.clients.released(dev))


@router.get(
    "/v1/clients/{client_id}/records",
    response_model=ClientRecords,
    responses={**ERRORS, 404: {"model": ErrorBody, "description": "not a client this device's unit serves"}},
)
def client_records(client_id: Annotated[str, Path(pattern=UUID_PATTERN)], dev: DeviceOnly, central: Store) -> Response:
    """Every record about the client this device may see, the latest version of each in
    server order: a device that removed the client (past the region's retention on
    devices, or out of its unit's scope) takes them back whole. Access-logged on the
    server; 404 (and logged) for a client its unit does not know or no longer serves."""
    rows = central.clients.client_records(dev, client_id)
    log = central.access_log
    if rows is None:
        log.record_server_access(dev, client_id, "refused", "client records", "out_of_scope")
        return not_here()
    log.record_server_access(dev, client_id, "view", "client records", "restore_to_device")
    changes = [{"seq": seq, "type": kind, "record_id": record_id, "data": json.loads(data)} for seq, kind, record_id, data in rows]
    return Response(
        ClientRecords.model_validate({"client_id": client_id, "changes": changes}).model_dump_json(),
        media_type="application/json",
    )
