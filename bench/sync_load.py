"""Sync under load: 100 simulated devices syncing at once against one `ohjaus serve --demo`.

    python bench/sync_load.py [--db postgresql://USER:PW@HOST/DB] [--devices 100] [--rounds 5]
                              [--think 0] [--workers N]
    python bench/sync_load.py --db postgresql://... --compare-workers 1,2 --pairs 5

Each simulated device speaks the real protocol over HTTP/1.1 (asyncio, one keep-alive
connection of its own, a minimal client of its own: httpx cost the load generator more CPU than
the server spent)
and a demo credential (`demo_token`), without a device store: every round it pushes one small
batch (POST /v1/push: 1-4 new clients and a signed contact of the first, cloned from the
contacts `ohjaus demo` makes for its unit, so 2-5 changes) and then pulls from its cursor until
caught up (GET /v1/changes). The devices are spread over the demo region's four units and the
registers each unit has. Before the timed part each device is enrolled (GET /v1/device) and its
cursor set to the head of the change log (as a device that synced yesterday); not timed.

All devices start together and run their rounds back to back (`--think` adds a pause between
rounds). Reported: median, 95th percentile and maximum latency of every request (from sending
to the parsed answer, as the client sees it), and changes per second (pushed and accepted, and
pulled) over the wall time of the timed part.

CPU over the timed part, each apart: the server (its process and every child: the workers of
`--workers N`), the load generator (this process) and, on PostgreSQL, the database's backends
serving this database (pg_stat_activity), from /proc.

`--compare-workers 1,2 --pairs N`: N runs with each number of server processes, alternating, each
on a fresh database with new devices; the throughput ratio of each pair and their
median. `--against DIR` (a checkout of another commit, e.g. `git worktree add --detach DIR main`)
adds that checkout's server to every pair: before and after, one and two processes, alternating.

**Goal:** p95 of all requests under 250 ms. Exit status 1 if missed. A --db PostgreSQL database
is emptied first (its name must contain "bench" or "test").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sync_common import (  # noqa: E402
    CentralServer,
    ContactFamilies,
    central_url,
    fresh_central,
    median,
    percentile,
    synthetic_clients,
    table,
)

from ohjaus_tui.context import shipped_data_dir  # noqa: E402
from ohjaus_core.domain.demo_region import load_demo_region  # noqa: E402
from ohjaus_core.protocol import MAX_PAGE, demo_token  # noqa: E402

GOAL_P95_MS = 250.0


@dataclass
class SimulatedDevice:
    token: str
    unit: str
    bodies: list[bytes]  # one push body per round
    cursor: int = 0
    push_ms: list[float] = field(default_factory=list)
    pull_ms: list[float] = field(default_factory=list)
    accepted: int = 0
    pulled: int = 0


def unit_registers() -> dict[str, tuple[str, ...]]:
    """Each demo unit with the registers it has guidance workers in (not team leads)."""
    region = load_demo_region(shipped_data_dir() / "demo")
    found: dict[str, set[str]] = {}
    for worker in region.workers:
        if worker.role.value != "team_lead":
            found.setdefault(worker.unit, set()).add(worker.register.value)
    return {unit: tuple(sorted(registers)) for unit, registers in found.items()}


def make_devices(folder: Path, count: int, rounds: int) -> list[SimulatedDevice]:
    units = unit_registers()
    families = {unit: ContactFamilies(folder, unit, registers, contacts=40) for unit, registers in units.items()}
    rng = random.Random(7)
    sizes = [[rng.randint(1, 4) for _round in range(rounds)] for _device in range(count)]
    clients = iter(synthetic_clients(sum(map(sum, sizes)), seed=7))
    devices = []
    for index in range(count):
        unit = sorted(units)[index % len(units)]
        bodies = []
        for size in sizes[index]:
            batch = [next(clients) for _ in range(size)]
            changes = [
                {"id": str(uuid.uuid4()), "type": "client", "record_id": c["id"], "base_seq": 0, "data": c}
                for c in batch
            ]
            family = families[unit].make(rng, batch[0]["id"])
            changes.append({"id": str(uuid.uuid4()), "type": "contact", "record_id": family["contact"]["id"],
                            "base_seq": 0, "data": family})
            bodies.append(json.dumps({"changes": changes}, ensure_ascii=False).encode())
        devices.append(SimulatedDevice(demo_token(str(uuid.uuid4()), unit, units[unit]), unit, bodies))
    return devices


class RawHttp:
    """HTTP/1.1 on one keep-alive connection with as little client work a request as can be:
    the request written as bytes, the answer's head split by hand, the body read by its
    Content-Length (or its chunks). Only what the benchmark's requests need."""

    def __init__(self, url: str, token: str) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.headers = f"Host: {self.host}:{self.port}\r\nAuthorization: Bearer {token}\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, target: str, body: bytes = b"") -> tuple[int, bytes]:
        head = f"{method} {target} HTTP/1.1\r\n".encode() + self.headers
        if method == "POST":
            head += b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
        while True:
            fresh = self.writer is None
            if fresh:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.writer.write(head + b"\r\n" + body)
            try:
                lines = (await self.reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
                break
            except (asyncio.IncompleteReadError, ConnectionResetError):
                # A kept-alive connection the server closed while it was idle (uvicorn's
                # keep-alive timeout, 5 s: enrolling 100 devices on a loaded machine can take
                # longer): again on a new one, as HTTP clients do (a push is idempotent).
                await self.aclose()
                if fresh:
                    raise
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked, close = 0, False, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = b"close" in value.lower()
        if chunked:
            parts = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append(await self.reader.readexactly(size + 2))
            await self.reader.readuntil(b"\r\n")
            content = b"".join(part[:-2] for part in parts)
        else:
            content = await self.reader.readexactly(length)
        if close:
            await self.aclose()
        return status, content

    async def aclose(self) -> None:
        if self.writer is not None:
            writer, self.writer, self.reader = self.writer, None, None
            writer.close()
            try:
                await writer.wait_closed()
            except OSError:
                pass


def http_client(url: str, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=url,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=httpx.Timeout(120.0),
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )


async def head_cursor(url: str, token: str) -> int:
    """The last sequence number of the change log, by pulling it all once."""
    async with http_client(url, token) as http:
        after = 0
        while True:
            response = await http.get("/v1/changes", params={"after": after, "limit": MAX_PAGE})
            response.raise_for_status()
            page = response.json()
            after = page["last_seq"]
            if not page["more"]:
                return after


async def run_device(http: RawHttp, device: SimulatedDevice, start: asyncio.Event, think: float) -> None:
    await start.wait()
    for body in device.bodies:
        began = time.perf_counter()
        status, content = await http.request("POST", "/v1/push", body)
        answers = orjson.loads(content)["answers"] if status == 200 else None
        device.push_ms.append((time.perf_counter() - began) * 1000)
        if answers is None or any(a["status"] != "accepted" for a in answers):
            raise RuntimeError(f"push refused: {status} {content[:300]!r}")
        device.accepted += len(answers)
        while True:
            began = time.perf_counter()
            status, content = await http.request("GET", f"/v1/changes?after={device.cursor}&limit={MAX_PAGE}")
            page = orjson.loads(content) if status == 200 else None
            device.pull_ms.append((time.perf_counter() - began) * 1000)
            if page is None:
                raise RuntimeError(f"pull refused: {status} {content[:300]!r}")
            device.pulled += len(page["changes"])
            device.cursor = page["last_seq"]
            if not page["more"]:
                break
        if think:
            await asyncio.sleep(think)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and every process below it (Linux /proc):
    with `--workers 2` the server's work is done in the supervisor's child processes."""
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stats[int(entry.name)] = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
    children: dict[int, list[int]] = {}
    for child, fields in stats.items():
        children.setdefault(int(fields[1]), []).append(child)
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        fields = stats.get(current)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])
        todo.extend(children.get(current, []))
    return total / os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds so far of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Backends:
    """The PostgreSQL backends serving the database of `url` (pg_stat_activity), and their CPU
    from /proc: the database's own work for the server, apart from the other databases of a
    shared cluster. A backend that ends within the timed part takes its CPU with it."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.connection = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

    def cpu(self) -> dict[int, float]:
        pids = self.connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
        return {pid: process_cpu(pid) for (pid,) in pids}

    def commits(self) -> int:
        """Transactions committed in the database so far (the statistics a backend reports
        when it goes idle: read after a pause)."""
        self.connection.execute("SELECT pg_stat_clear_snapshot()")
        return self.connection.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0]

    def close(self) -> None:
        self.connection.close()


class WaitSampler:
    """`--waits`: pg_stat_activity of the bench's database sampled every 2 ms in a thread of its
    own connection over the timed part: what its backends were doing (running, waiting on a
    lock - the advisory lock is `Lock/advisory` - on the disk, or idle in a transaction while
    the server works). Its CPU counts as the load generator's."""

    def __init__(self, url: str) -> None:
        import threading

        import psycopg

        self.connection = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
        self.counts: dict[str, int] = {}
        self.samples = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        sql = ("SELECT state, wait_event_type, wait_event FROM pg_stat_activity WHERE datname = current_database() "
               "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
        while not self.stop.is_set():
            self.samples += 1
            for state, kind, event in self.connection.execute(sql).fetchall():
                if state == "idle":
                    continue
                name = state if state != "active" else ("running" if kind is None else f"waiting {kind}/{event}")
                self.counts[name] = self.counts.get(name, 0) + 1
            self.stop.wait(0.002)

    def __enter__(self) -> WaitSampler:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop.set()
        self.thread.join()
        self.connection.close()

    def report(self) -> str:
        """Backends in each state, on average over the samples (1.00: one backend all the time)."""
        shares = sorted(self.counts.items(), key=lambda item: -item[1])
        return ", ".join(f"{name} {count / self.samples:.2f}" for name, count in shares[:8])


@dataclass
class Usage:
    wall: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    database_cpu: float | None = None
    commits: int | None = None  # transactions committed in the bench's database (pg_stat_database)
    waits: str | None = None  # --waits: what the backends were doing


async def load(server: CentralServer, devices: list[SimulatedDevice], think: float, db: str | None = None,
               waits: bool = False) -> Usage:
    url, server_pid = server.url, server.process.pid
    head = await head_cursor(url, devices[0].token)
    clients = [RawHttp(url, device.token) for device in devices]
    backends = Backends(db) if db else None
    try:
        # Enrol every device and open its connection: not timed. One at a time: on SQLite,
        # demo devices enrolling at the same moment can be refused (see bench/README.md).
        for http in clients:
            status, content = await http.request("GET", "/v1/device")
            if status != 200:
                raise RuntimeError(f"enrolment refused: {status} {content[:300]!r}")
        for device in devices:
            device.cursor = head
        start = asyncio.Event()
        tasks = [asyncio.create_task(run_device(http, device, start, think)) for http, device in zip(clients, devices)]
        server.profile_from_here()
        await asyncio.sleep(0.2)
        database = backends.cpu() if backends else {}
        commits = backends.commits() if backends else 0
        server_cpu, client_cpu = cpu_seconds(server_pid), time.process_time()
        sampler = WaitSampler(db).__enter__() if db and waits else None
        began = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        if sampler:
            sampler.__exit__()
        usage = Usage(time.perf_counter() - began, cpu_seconds(server_pid) - server_cpu,
                      time.process_time() - client_cpu)
        if backends:
            usage.database_cpu = sum(cpu - database.get(pid, 0.0) for pid, cpu in backends.cpu().items())
            await asyncio.sleep(1.2)  # the backends report their statistics when idle, at most every second
            usage.commits = backends.commits() - commits
        if sampler:
            usage.waits = sampler.report()
        return usage
    finally:
        await asyncio.gather(*(http.aclose() for http in clients))
        if backends:
            backends.close()


def run_once(folder: Path, args: argparse.Namespace, workers: int, name: str,
             code: Path | None = None) -> tuple[list[SimulatedDevice], Usage]:
    """A fresh central database, new devices, one server of `workers` processes (of the checkout
    `code`, by default this one), one timed load."""
    folder = folder / name
    folder.mkdir()
    url = central_url(args.db, folder, "load.db")
    fresh_central(url).close()
    devices = make_devices(folder, args.devices, args.rounds)
    server = CentralServer(url, folder / "server.log", args.profile_server, ["--workers", str(workers)], code).start()
    try:
        return devices, asyncio.run(load(server, devices, args.think, args.db, args.waits))
    finally:
        server.stop()


def report(devices: list[SimulatedDevice], usage: Usage, args: argparse.Namespace, workers: int) -> float:
    """Print one run's figures; returns its p95 of all requests."""
    wall = usage.wall
    push = [ms for d in devices for ms in d.push_ms]
    pull = [ms for d in devices for ms in d.pull_ms]
    every = push + pull
    accepted = sum(d.accepted for d in devices)
    pulled = sum(d.pulled for d in devices)
    kind = "PostgreSQL" if args.db else "SQLite"
    print(f"{args.devices} devices x {args.rounds} rounds at once against `serve --demo --workers {workers}` on "
          f"{kind}; {len(every):,} requests in {wall:.1f} s ({len(every) / wall:,.0f} requests/s; "
          f"load {load_average()})")
    rows = [
        [name, f"{len(values):,}", f"{median(values):.0f} ms", f"{percentile(values, 0.95):.0f} ms",
         f"{max(values):.0f} ms"]
        for name, values in (("POST /v1/push", push), ("GET /v1/changes", pull), ("all requests", every))
    ]
    print(table(rows, ["request", "count", "median", "p95", "max"]))
    database = ""
    if usage.database_cpu is not None:
        database = (f", PostgreSQL backends {usage.database_cpu:.1f} s ({usage.database_cpu / wall:.0%}, "
                    f"{usage.database_cpu / len(every) * 1000:.2f} ms a request; {usage.commits:,} commits, "
                    f"{usage.commits / wall:,.0f}/s)")
    print(f"CPU over the timed part: server {usage.server_cpu:.1f} s ({usage.server_cpu / wall:.0%} of one core, "
          f"{usage.server_cpu / len(every) * 1000:.2f} ms a request), "
          f"load generator {usage.client_cpu:.1f} s ({usage.client_cpu / wall:.0%}, "
          f"{usage.client_cpu / len(every) * 1000:.2f} ms a request){database}; {os.cpu_count()} cores")
    print(f"changes: {accepted:,} pushed and accepted ({accepted / wall:,.0f}/s), {pulled:,} pulled "
          f"({pulled / wall:,.0f}/s)")
    if usage.waits:
        print(f"PostgreSQL backends, on average: {usage.waits}")
    return percentile(every, 0.95)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="postgresql://... for the central database (emptied!); default: a SQLite file")
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1, help="server processes (ohjaus serve --workers)")
    parser.add_argument("--compare-workers", metavar="A,B",
                        help="two numbers of server processes, run alternately on the same database")
    parser.add_argument("--pairs", type=int, default=3, help="runs of each with --compare-workers (default 3)")
    parser.add_argument("--waits", action="store_true",
                        help="PostgreSQL: sample what the database's backends wait on (pg_stat_activity, every 2 ms)")
    parser.add_argument("--against", type=Path, metavar="DIR",
                        help="with --compare-workers: also the server of another checkout, every run alternating")
    parser.add_argument("--rounds", type=int, default=5, help="sync rounds of each device (default 5)")
    parser.add_argument("--think", type=float, default=0.0, help="seconds between a device's rounds (default 0)")
    parser.add_argument("--profile-server", metavar="FILE",
                        help="run the server under pyinstrument, endpoints inline (a text report; .html beside)")
    parser.add_argument("--quick", action="store_true",
                        help="10 devices x 2 rounds: a smoke run in seconds; figures printed, the goal not judged")
    args = parser.parse_args()
    if args.quick:
        args.devices, args.rounds = 10, 2
        if args.compare_workers:
            args.pairs = 1
    with tempfile.TemporaryDirectory(prefix="ohjaus-sync-load-") as tmp:
        os.environ.setdefault("OHJAUS_KEY_DIR", str(Path(tmp) / "keys"))  # not the user's key directory
        folder = Path(tmp)
        if args.compare_workers:
            counts = [int(n) for n in args.compare_workers.split(",")]
            if len(counts) != 2 or min(counts) < 1:
                parser.error("--compare-workers takes two numbers, e.g. 1,2")
            codes = [("this checkout", None)] + ([(str(args.against), args.against.resolve())] if args.against else [])
            rates: dict[tuple[str, int], list[float]] = {(name, n): [] for name, _code in codes for n in counts}
            for pair in range(args.pairs):
                runs = [(name, code, n) for name, code in codes for n in counts]
                for name, code, n in (runs if pair % 2 == 0 else runs[::-1]):
                    print(f"[{name}]")
                    devices, usage = run_once(folder, args, n, f"{pair}-{n}-{len(rates[(name, n)])}-{code is None}", code)
                    report(devices, usage, args, n)
                    requests = sum(len(d.push_ms) + len(d.pull_ms) for d in devices)
                    rates[(name, n)].append(requests / usage.wall)
                    print()
            for name, _code in codes:
                one, two = rates[(name, counts[0])], rates[(name, counts[1])]
                ratios = [b / a for a, b in zip(one, two)]
                print(f"[{name}] requests/s, --workers {counts[0]}: " + ", ".join(f"{r:.0f}" for r in one)
                      + f" (median {median(one):.0f})")
                print(f"[{name}] requests/s, --workers {counts[1]}: " + ", ".join(f"{r:.0f}" for r in two)
                      + f" (median {median(two):.0f})")
                print(f"[{name}] throughput {counts[1]}/{counts[0]} processes, each pair: "
                      + ", ".join(f"{r:.2f}x" for r in ratios) + f"; median {median(ratios):.2f}x")
            if args.against:
                for n in counts:
                    ratios = [a / b for a, b in zip(rates[(codes[0][0], n)], rates[(codes[1][0], n)])]
                    print(f"--workers {n}: this checkout / {args.against}, each pair: "
                          + ", ".join(f"{r:.2f}x" for r in ratios) + f"; median {median(ratios):.2f}x")
            print(f"load {load_average()}")
            return 0
        devices, usage = run_once(folder, args, args.workers, "run")
    p95 = report(devices, usage, args, args.workers)
    ok = p95 < GOAL_P95_MS
    print(f"goal: p95 under {GOAL_P95_MS:.0f} ms: {p95:.0f} ms, {'PASS' if ok else 'MISS'}")
    return 0 if ok or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
