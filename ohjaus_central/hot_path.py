"""The hot path: push and pull, in one place for the framework's routes (routes/sync.py) and
for FastRoutes, which serves a well-formed request of a recognised device without the
framework's routing (issue 18)."""

from __future__ import annotations

import asyncio
import json
import logging
from json.encoder import encode_basestring

import anyio
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from ohjaus_core.protocol import MAX_PAGE, Answer, PushRequest
from .batch import prepare_push
from .batch.checks import _orjson
from .db import CentralStore, Device, Revoked
from .gate import replay

logger = logging.getLogger("ohjaus.central")

_ANSWERS = TypeAdapter(list[Answer])
_KINDS: dict[str, str] = {}
_REVOKED = b'{"error":"unknown or revoked device credential"}'
_INTERNAL = b'{"error":"internal error; the request was not applied"}'
INLINE_CHECKS = 20  # a push of at most this many changes is checked on the event loop ...
# ... when its body is at most this large. The checks of a record whose texts are not Latin
# look at every character (~1.5 us each): a 4 MiB push of 17 contacts with long Cyrillic
# notes took ~3 s on the event loop, and every other device's pull and push waited behind it
# (sec2 probe: pulls of another unit 2.8 s median, 8 s at worst, under two such senders).
# An ordinary push of a few contacts stays under it.
INLINE_BYTES = 16 * 1024


def page(store: CentralStore, dev: Device, after: int, limit: int) -> bytes:
    """A pull page as PullResponse's JSON, assembled in one pass: the records go out as
    stored (JSON text the server wrote itself), with no parsing and encoding again."""
    rows, last_seq, more = store.changes.pull(dev, after, limit)
    kinds = _KINDS
    parts = []
    for seq, kind, record_id, data in rows:
        quoted = kinds.get(kind)
        if quoted is None:
            quoted = kinds[kind] = encode_basestring(kind)
        parts.append('{"seq":%d,"type":%s,"record_id":%s,"data":%s}' % (seq, quoted, encode_basestring(record_id), data))
    body = '{"changes":[%s],"last_seq":%d,"more":%s}' % (",".join(parts), last_seq, "true" if more else "false")
    return body.encode()


async def push(store: CentralStore, dev: Device, changes: list, size: int | None = None) -> Response:
    """Check the changes (a large push in a worker thread, not in line with the writes), then
    the writer thread applies them with any others waiting (group commit). `size`: the body's
    bytes, when known; a push of unknown size is checked in a worker thread."""
    if len(changes) <= INLINE_CHECKS and size is not None and size <= INLINE_BYTES:
        written = _checked_and_submitted(store, dev, changes)
    else:
        # The worker thread hands the checked batch to the writer itself: no turn of the
        # event loop between the checks and the writes (one thread wake-up fewer a push,
        # which on a loaded machine can each wait for a core).
        written = await run_in_threadpool(_checked_and_submitted, store, dev, changes)
    try:
        answers = await asyncio.wrap_future(written)
    except Revoked:
        return Response(_REVOKED, status_code=401, media_type="application/json")
    return Response(b'{"answers":%s}' % _ANSWERS.dump_json(answers), media_type="application/json")


def _checked_and_submitted(store: CentralStore, dev: Device, changes: list):
    """The push checked (`prepare_push`) and given to the writer; its answers' future."""
    return store.changes.submit(dev, changes, prepare_push(changes))


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
                body = await anyio.to_thread.run_sync(page, self.store, dev, *query)
            except Revoked:
                return await _send(send, 401, _REVOKED)
            except Exception as error:
                return await _internal(send, error)
            return await _send(send, 200, body)
        if path == "/v1/push" and method == "POST":
            message = await receive()  # BodyLimit gives the body whole, in one message
            raw = message.get("body", b"")
            if len(raw) <= INLINE_BYTES:
                changes = _push_body(scope, raw)
            else:  # (reading 4 MiB is tens of milliseconds: not on the event loop either)
                changes = await anyio.to_thread.run_sync(_push_body, scope, raw)
            if changes is None:
                return await self.app(scope, replay(raw, receive), send)
            try:
                response = await push(self.store, dev, changes, len(raw))
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
        return PushRequest.model_validate(_body_json(raw)).changes
    except (ValueError, ValidationError, RecursionError):  # (a deeply nested body: the framework's 400)
        return None


_DIGITS = bytes.maketrans(b"0123456789", b"0000000000")  # (a C pass; a regex took 5x orjson's time)
_LONG_NUMBER = b"0" * 19


def _body_json(raw: bytes):
    """The body as json.loads reads it; with orjson (the server's extra) a few times faster
    when the same: orjson refuses what json.loads may still take (NaN, a lone surrogate, deep
    nesting), which json.loads then judges, and reads an integer past 64 bits as a float, so a
    body with a run of 19 digits anywhere (a number, or only a text) is json.loads's too."""
    if _orjson is not None and _LONG_NUMBER not in raw.translate(_DIGITS):
        try:
            return _orjson.loads(raw)
        except _orjson.JSONDecodeError:
            pass
    return json.loads(raw)


async def _send(send, status: int, body: bytes) -> None:
    await send({
        "type": "http.response.start", "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})
