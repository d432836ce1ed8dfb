"""A device asking who it is, reporting its own state at every sync, and a worker's first
sign-in on it (the one-time enrolment code)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from ohjaus_core.protocol import DeviceInfo, DeviceState, DeviceStateAck, Enrolment, EnrolmentAck, ErrorBody
from ..db import AccessLogRefused, EnrolRefused
from ..dependencies import DeviceOnly, Store
from .common import ERRORS, access_log_refused

router = APIRouter()


@router.get("/v1/device", response_model=DeviceInfo, responses=ERRORS)
def who_am_i(dev: DeviceOnly) -> DeviceInfo:
    return DeviceInfo(device_id=dev.id, name=dev.name, unit_code=dev.unit_code, registers=list(dev.registers))


@router.post(
    "/v1/device-state",
    response_model=DeviceStateAck,
    responses={**ERRORS, 409: {"model": ErrorBody, "description": "the device's access log shrank or was rewritten"}},
)
def device_state(body: DeviceState, dev: DeviceOnly, central: Store) -> Response:
    """Sent at every sync: the device's access-log anchor (count and last hash), refused
    when it is behind what the server has seen (a cut or emptied log) or differs from
    the entry held under its number; and the pulled records the device keeps aside."""
    try:
        seen, received = central.access_log.device_state(dev, body.access_log, body.quarantine)
    except AccessLogRefused as refusal:
        return access_log_refused(f"access log refused at entry {refusal.seq}: {refusal.problem}", refusal)
    return DeviceStateAck(access_log_count=seen, quarantine_received=received)


@router.post(
    "/v1/enrol",
    response_model=EnrolmentAck,
    responses={**ERRORS, 403: {"model": ErrorBody, "description": "the code is not right or was used, or not this unit's worker"}},
)
def enrol(body: Enrolment, dev: DeviceOnly, central: Store) -> Response:
    """A worker's first sign-in on a device of their unit: the one-time code of
    `ohjaus worker add` and the verifier the device made from the new passphrase (never
    the passphrase). The verifier goes to the unit's devices at their next pull."""
    try:
        seq = central.workers.enrol(dev, body)
    except EnrolRefused as refusal:
        return JSONResponse({"error": refusal.problem, "detail": None}, status_code=refusal.status)
    return EnrolmentAck(seq=seq)
