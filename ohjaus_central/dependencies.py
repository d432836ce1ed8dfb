"""What the routes are given (FastAPI dependencies): the store, and the device or integration
the Gate recognised, checked for what the route allows."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from .db import CentralStore, Device

INTEGRATION_ONLY_CALLBACKS = "an integration credential may only push callback requests (POST /v1/callbacks)"
_UNKNOWN = "unknown or revoked device credential"


def store(request: Request) -> CentralStore:
    return request.app.state.store


Store = Annotated[CentralStore, Depends(store)]


def recognised(request: Request) -> Device:
    """The credential the Gate checked before the request came this far, or 401."""
    found = request.scope.get("ohjaus.device")
    if found is None:
        if not request.scope.get("ohjaus.credential"):
            raise HTTPException(401, "a device credential is needed (Authorization: Bearer ...)")
        raise HTTPException(401, _UNKNOWN)
    return found


def device_or_integration(
    request: Request, central: Store, authorization: Annotated[str | None, Header()] = None,
) -> Device:
    # The header is named here for the OpenAPI description.
    found = recognised(request)
    if not central.credentials.active(found):  # revoked since the credential was checked and remembered
        raise HTTPException(401, _UNKNOWN)
    return found


def syncing_device(request: Request, authorization: Annotated[str | None, Header()] = None) -> Device:
    # Push and pull: the revocation is checked with their own database work (a device's
    # only: an integration is refused here).
    return _not_integration(recognised(request))


def device(found: Annotated[Device, Depends(device_or_integration)]) -> Device:
    return _not_integration(found)


def _not_integration(found: Device) -> Device:
    if found.integration:
        raise HTTPException(403, INTEGRATION_ONLY_CALLBACKS)
    return found


AnyCredential = Annotated[Device, Depends(device_or_integration)]  # a device's or a phone system's
DeviceOnly = Annotated[Device, Depends(device)]  # a device's, not revoked
Syncing = Annotated[Device, Depends(syncing_device)]  # a device's; revocation checked by push and pull
