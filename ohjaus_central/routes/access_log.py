"""The access log: a device's entries pushed in order, and a client's right to know who used
their data (Client Data Act 703/2023 § 11)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from ohjaus_core.protocol import MAX_PAGE, UUID_PATTERN, AccessLogAck, AccessLogPush, ClientAccessLog, ErrorBody
from ..db import AccessLogRefused
from ..dependencies import DeviceOnly, Store
from .common import ERRORS, access_log_refused, not_here

router = APIRouter()


@router.post(
    "/v1/access-log",
    response_model=AccessLogAck,
    responses={**ERRORS, 409: {"model": ErrorBody, "description": "the entries do not continue the log the server holds"}},
)
def access_log(body: AccessLogPush, dev: DeviceOnly, central: Store) -> Response:
    """The device's access-log entries, in order, continuing what the server holds (an
    entry already held is accepted again if it is the same). Append only: no route
    changes or deletes them. Refused whole, naming the entry, when one does not fit."""
    try:
        received, held = central.access_log.add_access_events(dev, body.entries)
    except AccessLogRefused as refusal:
        return access_log_refused(f"access-log entry {refusal.seq} refused: {refusal.problem}", refusal)
    return AccessLogAck(received=received, held_seq=held)


@router.get(
    "/v1/clients/{client_id}/access-log",
    response_model=ClientAccessLog,
    responses={**ERRORS, 404: {"model": ErrorBody, "description": "not a client of this device's unit"}},
)
def client_access_log(
    client_id: Annotated[str, Path(pattern=UUID_PATTERN)],
    dev: DeviceOnly,
    central: Store,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = MAX_PAGE,
) -> Response:
    """Who used the client's data, on every device, newest first: the client's right to
    know (Client Data Act 703/2023 § 11). Only for a client the device's unit knows;
    otherwise 404, and the attempt is recorded (never in the technical log). Only the
    device's own registers' events: social-welfare and health-care data are separate
    registers, and the server decides no read across them on a consent, so a health-only
    device is told nothing of the social register's use (AccessLog.client_access_log). The
    answer with both registers is the controller's; no route gives it to a device."""
    log = central.access_log
    if not central.clients.knows_client(dev, client_id):
        log.record_server_access(dev, client_id, "refused", "access log", "out_of_scope")
        return not_here()
    log.record_server_access(dev, client_id, "view", "access log", "right_to_know")
    events, more = log.client_access_log(client_id, limit, dev.unit_id, dev.registers)
    return ClientAccessLog(client_id=client_id, events=events, more=more)
