"""The unit's queue, filled from outside: callback requests from a phone system's queue and
digital contact requests from an e-service form. One route declaration for both (201 new,
200 held before, 409 the same id with other content), one path into the store (queued)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ohjaus_core.protocol import CallbackAck, CallbackPush, ContactRequestAck, ErrorBody
from ..db import CallbackRefused, CentralStore, Device
from ..dependencies import AnyCredential, Store
from .common import ERRORS, problems

router = APIRouter()


def _queue_route(path: str, ack: type, **extra):
    return router.post(
        path,
        status_code=201,
        response_model=ack,
        responses={
            **ERRORS, 200: {"model": ack, "description": "received before under this id: nothing new"},
            403: {"model": ErrorBody}, 409: {"model": ErrorBody, "description": "this id was received with other content"},
        },
        **extra,
    )


@_queue_route("/v1/callbacks", CallbackAck)
def push_callback(body: CallbackPush, response: Response, dev: AnyCredential, central: Store) -> Response | CallbackAck:
    """A callback request from the phone system's queue, for the credential's unit: an
    integration credential (`ohjaus integration add`) or a device's. Idempotent by the
    phone system's id (`id`): the same request pushed again is answered 200 with the same
    request id and adds nothing. Every field is checked; a request with problems is 422
    with each problem and its field."""
    from ohjaus_core.domain.callbacks import check_row

    request, found = check_row(1, body.model_dump(exclude_none=True, by_alias=True))
    taken = queued(central, dev, request, found, response, "callback request", "requested_at", "the phone system")
    if isinstance(taken, Response):
        return taken
    return CallbackAck(id=taken[0], created=taken[1])


@_queue_route(
    "/v1/contact-requests",
    ContactRequestAck,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "description": "the plain form or a FHIR R4 QuestionnaireResponse (see the README)",
    }}}}},
)
async def push_contact_request(
    request: Request, response: Response, dev: AnyCredential, central: Store,
) -> Response | ContactRequestAck:
    """A digital contact request from an e-service form, for the credential's unit: the
    plain form or a FHIR R4 QuestionnaireResponse (domain/contact_requests.py). Answers
    keyed by a protocol question id are filled in for the worker, marked as the client's;
    any other answer is kept as text with the reason and named in `notes`. Idempotent by
    the e-service's id: sent again, 200 with the same id. A request with problems is 422
    with each problem and its field. The unit's devices get it at their next sync."""
    try:
        body = json.loads(await request.body())
        # JSON lets a lone surrogate (\ud800) through; echoed back it broke the answer
        # after the request was stored (review of issue 20): refused before anything.
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        return problems("invalid contact request", [("", "the body is not JSON in UTF-8")])
    return await run_in_threadpool(_contact_request, central, dev, body, response)


@cache
def _questions() -> tuple[frozenset[str], frozenset[str]]:
    """The question ids and protocol ids of the shipped protocols (read at the first request)."""
    from ohjaus_core.data_dir import shipped_data_dir
    from ohjaus_core.domain.protocols.loading import load_protocols

    protocols = load_protocols(shipped_data_dir() / "protocols")
    # (the nurse's own concern is the worker's to answer, never the client's)
    ids = {q.id for p in protocols for q in p.questions if not q.nurse_concern}
    return frozenset(ids), frozenset(p.id for p in protocols)


def _contact_request(central: CentralStore, dev: Device, body, response: Response) -> Response | ContactRequestAck:
    from ohjaus_core.domain.contact_requests import parse_contact_request

    questions, protocols = _questions()
    parsed = parse_contact_request(body, questions, protocols)
    taken = queued(central, dev, parsed.request, parsed.problems, response, "contact request", "submitted_at", "the e-service")
    if isinstance(taken, Response):
        return taken
    return ContactRequestAck(id=taken[0], created=taken[1], notes=parsed.notes)


def queued(
    central: CentralStore, dev: Device, request, found: list, response: Response, what: str, moment: str, sender: str,
) -> Response | tuple[str, bool]:
    """A checked request into the unit's queue: (its id, whether new), or the answer that
    refuses it (422 naming each field, 409, ...). Answered 200 when it was held already."""
    if request is not None and request.requested_at > datetime.now(UTC) + timedelta(minutes=5):
        # A sender's clock that runs ahead would put the request out of order.
        request, found = None, [(moment, f"{moment} is in the future: check {sender}'s clock")]
    if request is None:
        return problems(f"invalid {what}", found)
    try:
        record_id, created = central.callbacks.push_callback(dev, request)
    except CallbackRefused as refusal:
        return problems(refusal.problem, [(refusal.where, refusal.problem)], refusal.status)
    if not created:
        response.status_code = 200
    return record_id, created
