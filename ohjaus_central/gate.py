"""What every request meets before the framework: the body's size limit, and the Gate (who is
asking, and whether they may ask now). Plain ASGI: a refused request costs no routing."""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from functools import partial

import anyio

from .db import CentralStore


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
            return await self._too_large(send)
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
                return await self._too_large(send)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, replay(b"".join(chunks), receive), send)

    async def _too_large(self, send) -> None:
        body = b'{"error":"request body too large","detail":"at most %d bytes"}' % self.limit
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


def replay(body: bytes, receive):
    """A receive() that gives the body read already, whole, and then what the client sends."""
    replayed = False

    async def again():
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


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
        self.app, self.credentials, self.demo, self.limiter = app, store.credentials, demo, limiter

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
        credentials = self.credentials
        found = credentials.recognised(token) if token else None
        if found is None and self.limiter is not None and not (token and credentials.was_valid(token)):
            wait = self.limiter.take("a:" + client_address(scope), time.monotonic())
            if wait:
                return await _too_many(send, wait)
        if found is None and token:
            found = await anyio.to_thread.run_sync(partial(credentials.authenticate, token, demo=self.demo))
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
