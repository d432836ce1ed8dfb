"""A small seeded TCP fault proxy for the sync tests (what Toxiproxy does, in the test suite).

`FaultProxy(upstream_port, seed=..., probability=...)` listens on a free loopback port in a
thread of its own (with its own asyncio loop) and forwards every connection to the server's
port. For each connection a seeded `random.Random` picks one fault, in the order the
connections arrive:

- ``pass``: forwarded untouched;
- ``delay``: 0-300 ms before anything is forwarded;
- ``cut_request``: both sides closed after k bytes of what the client sent (the server
  never gets the whole request);
- ``cut_response``: the request is forwarded whole, then both sides are closed after k
  bytes of the answer (the server did the work; the client never hears about it);
- ``reset``: the client's connection is reset at once (RST, nothing forwarded);
- ``hang``: the connection is held open and nothing is forwarded, until the client gives up.

`counts` tells which faults really happened (a cut is counted only when the k-th byte was
reached, not when the connection ended before). `heal()` passes everything through from then
on; `stop()` closes the listener and every connection and ends the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
from collections import Counter

FAULTS = ("delay", "cut_request", "cut_response", "reset", "hang")
DEFAULT_WEIGHTS = {"delay": 3, "cut_request": 3, "cut_response": 4, "reset": 2, "hang": 1}


class FaultProxy:
    def __init__(
        self,
        upstream_port: int,
        *,
        seed: int = 0,
        probability: float = 0.4,
        weights: dict[str, float] | None = None,
        max_delay: float = 0.3,
        request_cut: tuple[int, int] = (1, 1500),
        response_cut: tuple[int, int] = (1, 4000),
        upstream_host: str = "127.0.0.1",
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.rng = random.Random(seed)
        self.probability = probability
        self.weights = dict(weights or DEFAULT_WEIGHTS)
        unknown = set(self.weights) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)}")
        self.max_delay = max_delay
        self.request_cut, self.response_cut = request_cut, response_cut
        self.connections = 0
        self._counts: Counter[str] = Counter()  # faults picked
        self._happened: Counter[str] = Counter()  # faults that really hit a connection
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._tasks: set[asyncio.Task] = set()
        self._server: asyncio.AbstractServer | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._server is None:
            raise RuntimeError("the fault proxy did not start")
        self.port: int = self._server.sockets[0].getsockname()[1]

    # -- control (from the test's thread) ---------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def counts(self) -> Counter[str]:
        """Faults that really happened, by name (and ``pass`` for untouched connections)."""
        with self._lock:
            return Counter(self._happened)

    @property
    def picked(self) -> Counter[str]:
        with self._lock:
            return Counter(self._counts)

    def faults(self) -> int:
        """How many connections a fault really hit."""
        counts = self.counts
        return sum(counts[name] for name in FAULTS)

    def heal(self) -> None:
        with self._lock:
            self.probability = 0.0

    def break_again(self, probability: float) -> None:
        with self._lock:
            self.probability = probability

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        with contextlib.suppress(Exception):
            future.result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> "FaultProxy":
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    # -- the loop's thread -----------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0)
            )
        finally:
            self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _pick(self) -> tuple[str, float | int]:
        with self._lock:
            self.connections += 1
            if self.rng.random() >= self.probability:
                fault: str = "pass"
            else:
                names = [name for name in FAULTS if self.weights.get(name, 0) > 0]
                fault = self.rng.choices(names, weights=[self.weights[n] for n in names])[0]
            if fault == "delay":
                parameter: float | int = self.rng.uniform(0, self.max_delay)
            elif fault == "cut_request":
                parameter = self.rng.randint(*self.request_cut)
            elif fault == "cut_response":
                parameter = self.rng.randint(*self.response_cut)
            else:
                parameter = 0
            self._counts[fault] += 1
            return fault, parameter

    def _happen(self, fault: str) -> None:
        with self._lock:
            self._happened[fault] += 1

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        upstream: asyncio.StreamWriter | None = None
        abort = False
        try:
            fault, parameter = self._pick()
            if fault == "reset":
                self._happen("reset")
                _reset(writer)
                return
            if fault == "hang":
                self._happen("hang")
                # Take what the client sends and answer nothing, until it gives up.
                while await reader.read(65536):
                    pass
                return
            if fault == "delay":
                await asyncio.sleep(float(parameter))
            if fault in ("pass", "delay"):
                self._happen(fault)
            up_reader, upstream = await asyncio.open_connection(*self.upstream)
            cut = asyncio.Event()
            to_server = asyncio.create_task(
                _pump(reader, upstream, int(parameter) if fault == "cut_request" else None, cut)
            )
            to_client = asyncio.create_task(
                _pump(up_reader, writer, int(parameter) if fault == "cut_response" else None, cut)
            )
            cut_seen = asyncio.create_task(cut.wait())
            try:
                await asyncio.wait({to_server, to_client, cut_seen}, return_when=asyncio.FIRST_COMPLETED)
                if not cut.is_set() and not to_client.done():
                    # The client finished sending (half-close): let the answer through.
                    await asyncio.wait({to_client, cut_seen}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pending in (to_server, to_client, cut_seen):
                    pending.cancel()
            if cut.is_set():
                self._happen(fault)
                abort = True
        except (ConnectionError, OSError):
            abort = True
        except asyncio.CancelledError:
            abort = True
        finally:
            for side in (writer, upstream):
                if side is not None:
                    with contextlib.suppress(Exception):
                        if abort:
                            side.transport.abort()
                        else:
                            side.close()
            self._tasks.discard(task)


async def _pump(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, limit: int | None, cut: asyncio.Event
) -> None:
    """Copy bytes one way until the end; with a limit, set `cut` at the limit-th byte."""
    sent = 0
    with contextlib.suppress(ConnectionError, OSError):
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            if limit is not None and sent + len(chunk) > limit:
                writer.write(chunk[: limit - sent])
                with contextlib.suppress(ConnectionError, OSError):
                    await writer.drain()
                cut.set()
                return
            sent += len(chunk)
            writer.write(chunk)
            await writer.drain()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST rather than FIN (SO_LINGER 0), as a dropped connection looks."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
