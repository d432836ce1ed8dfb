"""The central API: an ASGI app (FastAPI) with its OpenAPI description at /openapi.json.

Every route but /v1/health needs a device credential (Authorization: Bearer ...); without a
valid one the answer is 401. Bodies over MAX_BODY_BYTES are refused with 413 before they
are read whole; a malformed body is 422 with what was wrong. Nothing here logs record data.
"""


import asyncio
import ipaddress
import json
import logging
import math
import time
from collections import OrderedDict
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from json.encoder import encode_basestring
from typing import Annotated

import anyio
from fastapi import Depends, FastAPI, Header, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ohjaus_core import __version__
from ohjaus_core.protocol import (
    MAX_BODY_BYTES,
    MAX_PAGE,
    UUID_PATTERN,
    AccessLogAck,
    AccessLogPush,
    CallbackAck,
    CallbackPush,
    ContactRequestAck,
    Answer,
    ClientAccessLog,
    ClientRecords,
    DeviceInfo,
    DeviceState,
    DeviceStateAck,
    Enrolment,
    EnrolmentAck,
    ErrorBody,
    PullResponse,
    PushRequest,
    PushResponse,
    ReleasedClients,
)
from ohjaus_core.settings import settings
from .batch import prepare_push
from .db import AccessLogRefused, CallbackRefused, CentralStore, Device, EnrolRefused, Revoked

INTEGRATION_ONLY_CALLBACKS = "an integration credential may only push callback requests (POST /v1/callbacks)"
logger = logging.getLogger("ohjaus.central")
THREADS = settings().threads

_ERRORS = {
    400: {"model": ErrorBody}, 401: {"model": ErrorBody}, 413: {"model": ErrorBody}, 422: {"model": ErrorBody},
    429: {"model": ErrorBody},
}


class BodyLimit:
    """Refuse request bodies larger than the limit with 413, counting what arrives (a
    missing or false Content-Length does not get past it)."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await _too_large(send)
        # Read the body here (it is small by design), stopping at the limit; the app then
        # gets it replayed as one message.
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return await _too_large(send)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class Limiter:
    """Token buckets, `rate` a second in bursts of `burst`, in a bounded table: at most
    `size` keys, the least recently used forgotten first (its bucket then starts full
    again). O(1) work per request, whatever the number of keys."""

    def __init__(self, rate: float, burst: float, size: int = 50_000) -> None:
        self.rate, self.burst, self.size = rate, burst, size
        self.buckets: OrderedDict[str, list[float]] = OrderedDict()  # key: [tokens, at]

    def take(self, key: str, now: float) -> int:
        """0 when the key may make a request now (and counts it), else the seconds to wait."""
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = [self.burst, now]
            if len(self.buckets) > self.size:
                self.buckets.popitem(last=False)
        else:
            self.buckets.move_to_end(key)
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens < 1:
            bucket[0] = tokens
            return max(1, math.ceil((1 - tokens) / self.rate))
        bucket[0] = tokens - 1
        return 0


def bearer(value: bytes | None) -> str | None:
    """The credential of an Authorization header: "Bearer" in any case, spaces around and
    between ignored. None without a header; "" for a header that is not a bearer credential."""
    if value is None:
        return None
    parts = value.decode("latin-1").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return ""
    return parts[1]


def client_address(scope) -> str:
    """The address a request came from; for IPv6 its /64 (what one machine is given)."""
    host = str((scope.get("client") or ("?", 0))[0])
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class Gate:
    """Who is asking, and whether they may ask now, before any other work is done.

    The credential (Authorization: Bearer ..., normalised) is checked here and the device
    handed to the routes (scope "ohjaus.device"). Rate limit, when `limiter` is given: a
    request that does not come with a credential recently found valid counts against its
    address *before* the credential is checked (so unknown, forged or missing credentials
    from one address are limited however many there are); a valid one then counts against
    its device. More than the limit gets 429 with Retry-After. The health check is exempt."""

    def __init__(self, app, store: CentralStore, demo: bool, limiter: Limiter | None) -> None:
        self.app, self.store, self.demo, self.limiter = app, store, demo, limiter

    @staticmethod
    def limiter_from(value: str | None) -> Limiter | None:
        """OHJAUS_RATE_LIMIT="RATE/BURST" (default 50/200); "0" turns it off."""
        value = (value or "50/200").strip()
        if value == "0":
            return None
        rate, _slash, burst = value.partition("/")
        return Limiter(float(rate), float(burst or rate))

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("path") == "/v1/health":
            return await self.app(scope, receive, send)
        header = next((v for k, v in scope.get("headers") or [] if k == b"authorization"), None)
        token = bearer(header)
        found = self.store.recognised(token) if token else None
        if found is None and self.limiter is not None and not (token and self.store.was_valid(token)):
            wait = self.limiter.take("a:" + client_address(scope), time.monotonic())
            if wait:
                return await _too_many(send, wait)
        if found is None and token:
            found = await anyio.to_thread.run_sync(partial(self.store.authenticate, token, demo=self.demo))
        if found is not None and self.limiter is not None:
            wait = self.limiter.take("d:" + found.id, time.monotonic())
            if wait:
                return await _too_many(send, wait)
        scope["ohjaus.device"], scope["ohjaus.credential"] = found, header is not None
        await self.app(scope, receive, send)


async def _too_many(send, wait: int) -> None:
    body = b'{"error":"too many requests","detail":"retry after %d s"}' % wait
    await send({
        "type": "http.response.start", "status": 429,
        "headers": [(b"content-type", b"application/json"), (b"retry-after", str(wait).encode())],
    })
    await send({"type": "http.response.body", "body": body})


async def _too_large(send) -> None:
    body = b'{"error":"request body too large","detail":"at most %d bytes"}' % MAX_BODY_BYTES
    await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


def create_app(store: CentralStore, *, demo: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        # Few threads for the (synchronous) routes: pushes run one at a time anyway, and
        # dozens of threads contending for the GIL slow the one holding the push lock.
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
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

    def recognised(request: Request) -> Device:
        """The credential the Gate checked before the request came this far, or 401."""
        found = request.scope.get("ohjaus.device")
        if found is None:
            if not request.scope.get("ohjaus.credential"):
                raise HTTPException(401, "a device credential is needed (Authorization: Bearer ...)")
            raise HTTPException(401, "unknown or revoked device credential")
        return found

    def device_or_integration(request: Request, authorization: Annotated[str | None, Header()] = None) -> Device:
        # The header is named here for the OpenAPI description.
        found = recognised(request)
        if not store.active(found):  # revoked since the credential was checked and remembered
            raise HTTPException(401, "unknown or revoked device credential")
        return found

    def current_device(request: Request, authorization: Annotated[str | None, Header()] = None) -> Device:
        # Push and pull: the revocation is checked with their own database work (a device's
        # only: an integration is refused here).
        found = recognised(request)
        if found.integration:
            raise HTTPException(403, INTEGRATION_ONLY_CALLBACKS)
        return found

    def device(request: Request, authorization: Annotated[str | None, Header()] = None) -> Device:
        found = device_or_integration(request, authorization)
        if found.integration:
            raise HTTPException(403, INTEGRATION_ONLY_CALLBACKS)
        return found

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

    @app.get("/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/device", response_model=DeviceInfo, responses=_ERRORS)
    def who_am_i(dev: Annotated[Device, Depends(device)]) -> DeviceInfo:
        return DeviceInfo(device_id=dev.id, name=dev.name, unit_code=dev.unit_code, registers=list(dev.registers))

    @app.post("/v1/push", response_model=PushResponse, responses=_ERRORS)
    async def push(body: PushRequest, dev: Annotated[Device, Depends(current_device)]) -> Response:
        # (Requests FastRoutes takes never come here: see there.)
        return await _push(store, dev, body.changes)

    @app.get("/v1/changes", response_model=PullResponse, responses=_ERRORS)
    def pull(
        dev: Annotated[Device, Depends(current_device)],
        after: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 500,
    ) -> Response:
        try:
            return Response(_page(store, dev, after, limit), media_type="application/json")
        except Revoked:
            raise HTTPException(401, "unknown or revoked device credential") from None

    @app.post(
        "/v1/access-log",
        response_model=AccessLogAck,
        responses={**_ERRORS, 409: {"model": ErrorBody, "description": "the entries do not continue the log the server holds"}},
    )
    def access_log(body: AccessLogPush, dev: Annotated[Device, Depends(device)]) -> Response:
        """The device's access-log entries, in order, continuing what the server holds (an
        entry already held is accepted again if it is the same). Append only: no route
        changes or deletes them. Refused whole, naming the entry, when one does not fit."""
        try:
            received, held = store.add_access_events(dev, body.entries)
        except AccessLogRefused as refusal:
            return JSONResponse(
                {
                    "error": f"access-log entry {refusal.seq} refused: {refusal.problem}",
                    "detail": {"seq": refusal.seq, "problem": refusal.problem},
                },
                status_code=refusal.status,
            )
        return AccessLogAck(received=received, held_seq=held)

    @app.post(
        "/v1/device-state",
        response_model=DeviceStateAck,
        responses={**_ERRORS, 409: {"model": ErrorBody, "description": "the device's access log shrank or was rewritten"}},
    )
    def device_state(body: DeviceState, dev: Annotated[Device, Depends(device)]) -> Response:
        """Sent at every sync: the device's access-log anchor (count and last hash), refused
        when it is behind what the server has seen (a cut or emptied log) or differs from
        the entry held under its number; and the pulled records the device keeps aside."""
        try:
            seen, received = store.device_state(dev, body.access_log, body.quarantine)
        except AccessLogRefused as refusal:
            return JSONResponse(
                {
                    "error": f"access log refused at entry {refusal.seq}: {refusal.problem}",
                    "detail": {"seq": refusal.seq, "problem": refusal.problem},
                },
                status_code=refusal.status,
            )
        return DeviceStateAck(access_log_count=seen, quarantine_received=received)

    @app.post(
        "/v1/enrol",
        response_model=EnrolmentAck,
        responses={**_ERRORS, 403: {"model": ErrorBody, "description": "the code is not right or was used, or not this unit's worker"}},
    )
    def enrol(body: Enrolment, dev: Annotated[Device, Depends(device)]) -> Response:
        """A worker's first sign-in on a device of their unit: the one-time code of
        `ohjaus worker add` and the verifier the device made from the new passphrase (never
        the passphrase). The verifier goes to the unit's devices at their next pull."""
        try:
            seq = store.enrol(dev, body)
        except EnrolRefused as refusal:
            return JSONResponse({"error": refusal.problem, "detail": None}, status_code=refusal.status)
        return EnrolmentAck(seq=seq)

    @app.post(
        "/v1/callbacks",
        status_code=201,
        response_model=CallbackAck,
        responses={
            **_ERRORS, 200: {"model": CallbackAck, "description": "received before under this id: nothing new"},
            403: {"model": ErrorBody}, 409: {"model": ErrorBody, "description": "this id was received with other content"},
        },
    )
    def push_callback(
        body: CallbackPush, response: Response, dev: Annotated[Device, Depends(device_or_integration)],
    ) -> Response | CallbackAck:
        """A callback request from the phone system's queue, for the credential's unit: an
        integration credential (`ohjaus integration add`) or a device's. Idempotent by the
        phone system's id (`id`): the same request pushed again is answered 200 with the same
        request id and adds nothing. Every field is checked; a request with problems is 422
        with each problem and its field."""
        from ohjaus_core.domain.callbacks import check_row

        request, problems = check_row(1, body.model_dump(exclude_none=True, by_alias=True))
        taken = _queued(store, dev, request, problems, response, "callback request", "requested_at", "the phone system")
        if isinstance(taken, Response):
            return taken
        return CallbackAck(id=taken[0], created=taken[1])

    @app.post(
        "/v1/contact-requests",
        status_code=201,
        response_model=ContactRequestAck,
        responses={
            **_ERRORS, 200: {"model": ContactRequestAck, "description": "received before under this id: nothing new"},
            403: {"model": ErrorBody}, 409: {"model": ErrorBody, "description": "this id was received with other content"},
        },
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "description": "the plain form or a FHIR R4 QuestionnaireResponse (see the README)",
        }}}}},
    )
    async def push_contact_request(
        request: Request, response: Response, dev: Annotated[Device, Depends(device_or_integration)],
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
            return JSONResponse(
                {"error": "invalid contact request", "detail": [{"where": "", "problem": "the body is not JSON in UTF-8"}]},
                status_code=422,
            )
        return await run_in_threadpool(_contact_request, store, dev, body, response)

    @app.get(
        "/v1/clients/{client_id}/access-log",
        response_model=ClientAccessLog,
        responses={**_ERRORS, 404: {"model": ErrorBody, "description": "not a client of this device's unit"}},
    )
    def client_access_log(
        client_id: Annotated[str, Path(pattern=UUID_PATTERN)],
        dev: Annotated[Device, Depends(device)],
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = MAX_PAGE,
    ) -> Response:
        """Who used the client's data, on every device, newest first: the client's right to
        know (Client Data Act 703/2023 § 11). Only for a client the device's unit knows;
        otherwise 404, and the attempt is recorded (never in the technical log)."""
        if not store.knows_client(dev, client_id):
            store.record_server_access(dev, client_id, "refused", "access log", "out_of_scope")
            return JSONResponse(
                {"error": "no such client at this device's unit", "detail": None}, status_code=404
            )
        store.record_server_access(dev, client_id, "view", "access log", "right_to_know")
        events, more = store.client_access_log(client_id, limit, dev.unit_id)
        return ClientAccessLog(client_id=client_id, events=events, more=more)

    @app.get("/v1/released", response_model=ReleasedClients, responses=_ERRORS)
    def released(dev: Annotated[Device, Depends(device)]) -> ReleasedClients:
        """The clients the device's unit no longer serves (`ohjaus client release`): the
        device removes those it holds at this sync (docs/sync.md). Read only: no route lets a
        device release, remove or hide a record on the server."""
        return ReleasedClients(clients=store.released(dev))

    @app.get(
        "/v1/clients/{client_id}/records",
        response_model=ClientRecords,
        responses={**_ERRORS, 404: {"model": ErrorBody, "description": "not a client this device's unit serves"}},
    )
    def client_records(
        client_id: Annotated[str, Path(pattern=UUID_PATTERN)], dev: Annotated[Device, Depends(device)],
    ) -> Response:
        """Every record about the client this device may see, the latest version of each in
        server order: a device that removed the client (past the region's retention on
        devices, or out of its unit's scope) takes them back whole. Access-logged on the
        server; 404 (and logged) for a client its unit does not know or no longer serves."""
        rows = store.client_records(dev, client_id)
        if rows is None:
            store.record_server_access(dev, client_id, "refused", "client records", "out_of_scope")
            return JSONResponse({"error": "no such client at this device's unit", "detail": None}, status_code=404)
        store.record_server_access(dev, client_id, "view", "client records", "restore_to_device")
        changes = [{"seq": seq, "type": kind, "record_id": record_id, "data": json.loads(data)} for seq, kind, record_id, data in rows]
        return Response(
            ClientRecords.model_validate({"client_id": client_id, "changes": changes}).model_dump_json(),
            media_type="application/json",
        )

    limiter = Gate.limiter_from(settings().rate_limit)
    wrapped = Gate(BodyLimit(FastRoutes(app, store), MAX_BODY_BYTES), store, demo, limiter)
    wrapped.fastapi = app  # for app.openapi() and the routes
    return wrapped  # type: ignore[return-value]


# -- the hot path: push and pull without the framework's routing (issue 18) -------------------

_ANSWERS = TypeAdapter(list[Answer])
_KINDS: dict[str, str] = {}
_REVOKED = b'{"error":"unknown or revoked device credential"}'
_INTERNAL = b'{"error":"internal error; the request was not applied"}'
INLINE_CHECKS = 20  # a push of at most this many changes is checked on the event loop


@cache
def _questions() -> tuple[frozenset[str], frozenset[str]]:
    """The question ids and protocol ids of the shipped protocols (read at the first request)."""
    from ohjaus_core.data_dir import shipped_data_dir
    from ohjaus_core.domain.protocols.loading import load_protocols

    protocols = load_protocols(shipped_data_dir() / "protocols")
    # (the nurse's own concern is the worker's to answer, never the client's)
    ids = {q.id for p in protocols for q in p.questions if not q.nurse_concern}
    return frozenset(ids), frozenset(p.id for p in protocols)


def _contact_request(store: CentralStore, dev: Device, body, response: Response) -> Response | ContactRequestAck:
    from ohjaus_core.domain.contact_requests import parse_contact_request

    questions, protocols = _questions()
    parsed = parse_contact_request(body, questions, protocols)
    taken = _queued(store, dev, parsed.request, parsed.problems, response, "contact request", "submitted_at", "the e-service")
    if isinstance(taken, Response):
        return taken
    return ContactRequestAck(id=taken[0], created=taken[1], notes=parsed.notes)


def _queued(
    store: CentralStore, dev: Device, request, problems: list, response: Response, what: str, moment: str, sender: str,
) -> Response | tuple[str, bool]:
    """A checked request into the unit's queue: (its id, whether new), or the answer that
    refuses it (422 naming each field, 409, ...). Answered 200 when it was held already."""
    if request is not None and request.requested_at > datetime.now(UTC) + timedelta(minutes=5):
        # A sender's clock that runs ahead would put the request out of order.
        request, problems = None, [(moment, f"{moment} is in the future: check {sender}'s clock")]
    if request is None:
        return JSONResponse(
            {"error": f"invalid {what}", "detail": [{"where": w, "problem": p} for w, p in problems]}, status_code=422,
        )
    try:
        record_id, created = store.push_callback(dev, request)
    except CallbackRefused as refusal:
        return JSONResponse(
            {"error": refusal.problem, "detail": [{"where": refusal.where, "problem": refusal.problem}]},
            status_code=refusal.status,
        )
    if not created:
        response.status_code = 200
    return record_id, created


def _page(store: CentralStore, dev: Device, after: int, limit: int) -> bytes:
    """A pull page as PullResponse's JSON, assembled in one pass: the records go out as
    stored (JSON text the server wrote itself), with no parsing and encoding again."""
    rows, last_seq, more = store.pull(dev, after, limit)
    kinds = _KINDS
    parts = []
    for seq, kind, record_id, data in rows:
        quoted = kinds.get(kind)
        if quoted is None:
            quoted = kinds[kind] = encode_basestring(kind)
        parts.append('{"seq":%d,"type":%s,"record_id":%s,"data":%s}' % (seq, quoted, encode_basestring(record_id), data))
    body = '{"changes":[%s],"last_seq":%d,"more":%s}' % (",".join(parts), last_seq, "true" if more else "false")
    return body.encode()


async def _push(store: CentralStore, dev: Device, changes: list) -> Response:
    """Check the changes (a large push in a worker thread, not in line with the writes), then
    the writer thread applies them with any others waiting (group commit)."""
    if len(changes) <= INLINE_CHECKS:
        prepared = prepare_push(changes)
    else:
        prepared = await run_in_threadpool(prepare_push, changes)
    try:
        answers = await asyncio.wrap_future(store.submit(dev, changes, prepared))
    except Revoked:
        return Response(_REVOKED, status_code=401, media_type="application/json")
    return Response(b'{"answers":%s}' % _ANSWERS.dump_json(answers), media_type="application/json")


def _query(raw: bytes) -> tuple[int, int] | None:
    """after and limit of a pull's query string when it is plainly well formed (each at most
    once, digits only, in range); None for anything else, which the framework then answers
    (with its 422 where it is wrong)."""
    after, limit = 0, 500
    seen = set()
    if raw:
        for part in raw.split(b"&"):
            key, _eq, value = part.partition(b"=")
            if key in seen or not (0 < len(value) <= 19 and value.isdigit()):
                return None
            seen.add(key)
            if key == b"after":
                after = int(value)
            elif key == b"limit":
                limit = int(value)
            else:
                return None
    if after > 2**62 or not 1 <= limit <= MAX_PAGE:
        return None
    return after, limit


class FastRoutes:
    """GET /v1/changes and POST /v1/push of a device the Gate recognised, well formed, served
    here without the framework's routing, dependency and response machinery (most of the
    CPU of a small sync request). Anything else - no or a bad credential, a query or body
    that is not plainly right, another route - goes on to the FastAPI app unchanged, so its
    answers (401, 422 with what is wrong, OpenAPI) stay the framework's."""

    def __init__(self, app, store: CentralStore) -> None:
        self.app, self.store = app, store

    async def __call__(self, scope, receive, send):
        dev = scope.get("ohjaus.device")
        if dev is None or dev.integration or scope["type"] != "http":
            # An integration (a phone system's credential) is the framework's to refuse (403).
            return await self.app(scope, receive, send)
        path, method = scope["path"], scope["method"]
        if path == "/v1/changes" and method == "GET":
            query = _query(scope.get("query_string", b""))
            if query is None:
                return await self.app(scope, receive, send)
            try:
                body = await anyio.to_thread.run_sync(_page, self.store, dev, *query)
            except Revoked:
                return await _send(send, 401, _REVOKED)
            except Exception as error:
                return await _internal(send, error)
            return await _send(send, 200, body)
        if path == "/v1/push" and method == "POST":
            message = await receive()  # BodyLimit gives the body whole, in one message
            raw = message.get("body", b"")
            changes = _push_body(scope, raw)
            if changes is None:
                return await self.app(scope, _replay(raw, receive), send)
            try:
                response = await _push(self.store, dev, changes)
            except Exception as error:
                return await _internal(send, error)
            return await _send(send, response.status_code, response.body)
        return await self.app(scope, receive, send)


async def _internal(send, error: Exception) -> None:
    logger.error("internal error: %s", type(error).__name__)  # the type only: as the app's handler
    await _send(send, 500, _INTERNAL)


def _push_body(scope, raw: bytes) -> list | None:
    """The changes of a push body that is JSON and a valid PushRequest, else None."""
    content_type = next((v for k, v in scope.get("headers") or [] if k == b"content-type"), None)
    if content_type is None or content_type.split(b";")[0].strip().lower() != b"application/json":
        return None
    try:
        return PushRequest.model_validate(json.loads(raw)).changes
    except (ValueError, ValidationError, RecursionError):  # (a deeply nested body: the framework's 400)
        return None


def _replay(body: bytes, receive):
    replayed = False

    async def again():
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


async def _send(send, status: int, body: bytes) -> None:
    await send({
        "type": "http.response.start", "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})
