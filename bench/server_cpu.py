"""The central API's CPU per request, in process: the ASGI app called directly (no HTTP
server, no client), so the figure is the app's own work on the request (authentication,
routing, checks, database, JSON), the database included for SQLite (in process) and the
client side of it for PostgreSQL.

    python bench/server_cpu.py [--db postgresql://USER:PW@HOST/DB] [--requests 300] [--runs 9]
    python bench/server_cpu.py --against DIR      # DIR: a checkout of another commit, runs alternating
    python bench/server_cpu.py --quick

Each run is a fresh child process (the app of this checkout, or of DIR), on a fresh central
database with the demo region (as `serve --demo` loads it), one enrolled demo device of JL-KESK
(health and social). Timed, CPU of the whole process (`time.process_time`: the writer thread
and the thread pool included), after a warm-up:

- **empty pull**: GET /v1/changes at the head of the log (a sync round with nothing new);
- **typical round**: POST /v1/push of 2-5 changes (1-4 new clients and a signed contact of
  the first, as bench/sync_load.py's devices send) and the pull of the round's page (the
  changes other devices of the unit pushed meanwhile: about 80); per request (2 a round).

The median over the runs of each figure, the load average beside it. A --db PostgreSQL
database is emptied first (its name must contain "bench" or "test", or be OHJAUS_TEST_PG's).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import asyncio, json, sys, time
root, url, bodies_file, requests = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path.insert(0, root)
from ohjaus_central.app import create_app
from ohjaus_central.serve import load_demo_region
from ohjaus_central.db import CentralStore
from ohjaus_central.tables import metadata
from ohjaus_core.protocol import demo_token

if url.startswith("postgresql"):
    store = CentralStore(url)
    metadata.drop_all(store.engine)
    with store.engine.begin() as connection:  # else Alembic takes the emptied database for an upgraded one
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    store.close()
store = CentralStore(url)
load_demo_region(store)
import ohjaus_central.app as central_app
if hasattr(central_app, "ServerSettings"):
    app = create_app(store, central_app.ServerSettings(demo=True))
else:  # --against a checkout from before ServerSettings (issue 19)
    app = create_app(store, demo=True)
data = json.loads(open(bodies_file).read())
tokens = data["tokens"]
pushes = [body.encode() for body in data["bodies"]]


async def call(method, path, query=b"", body=b"", token=tokens[0]):
    sent = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    headers = [(b"host", b"test"), (b"authorization", b"Bearer " + token.encode())]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
    }
    await app(scope, receive, send)
    status = sent[0]["status"]
    payload = b"".join(m.get("body", b"") for m in sent[1:])
    if status != 200:
        raise SystemExit(f"{method} {path}: {status} {payload[:300]!r}")
    return json.loads(payload)


async def pull_to_head(after, token):
    while True:
        page = await call("GET", "/v1/changes", b"after=%d&limit=1000" % after, token=token)
        after = page["last_seq"]
        if not page["more"]:
            return after


async def main():
    for token in tokens:
        await call("GET", "/v1/device", token=token)
    head = await pull_to_head(0, tokens[0])
    # Warm-up: a few of each.
    for _ in range(20):
        await call("GET", "/v1/changes", b"after=%d&limit=1000" % head)
    begun = time.process_time()
    for _ in range(requests):
        await call("GET", "/v1/changes", b"after=%d&limit=1000" % head)
    empty = (time.process_time() - begun) / requests
    # Typical rounds: the other devices push 24 bodies (about 80 changes), then this one
    # pushes and pulls them.
    others = tokens[1:]
    bodies = iter(pushes)
    cursor, cpu, count, pulled = head, 0.0, 0, 0
    rounds = requests // 10
    for round_ in range(rounds + 2):
        for token in others:
            await call("POST", "/v1/push", body=next(bodies), token=token)
        begun = time.process_time()
        answers = await call("POST", "/v1/push", body=next(bodies))
        page = await call("GET", "/v1/changes", b"after=%d&limit=1000" % cursor)
        spent = time.process_time() - begun
        assert all(a["status"] == "accepted" for a in answers["answers"]), answers
        cursor = page["last_seq"]
        if round_ >= 2:  # the first two warm up
            cpu += spent
            count += 2
            pulled += len(page["changes"])
    print(json.dumps({"empty": empty, "typical": cpu / count, "page": pulled / rounds}))


asyncio.run(main())
store.close()
"""


def make_bodies(folder: Path, requests: int) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    from sync_common import ContactFamilies, synthetic_clients
    from ohjaus_core.protocol import demo_token

    unit, registers = "JL-KESK", ("health", "social")
    families = ContactFamilies(folder, unit, registers, contacts=40)
    rng = random.Random(7)
    rounds = requests // 10 + 2
    count = rounds * 25
    sizes = [rng.randint(1, 4) for _ in range(count)]
    clients = iter(synthetic_clients(sum(sizes), seed=7))
    bodies = []
    for size in sizes:
        batch = [next(clients) for _ in range(size)]
        changes = [{"id": str(uuid.uuid4()), "type": "client", "record_id": c["id"], "base_seq": 0, "data": c}
                   for c in batch]
        family = families.make(rng, batch[0]["id"])
        changes.append({"id": str(uuid.uuid4()), "type": "contact", "record_id": family["contact"]["id"],
                        "base_seq": 0, "data": family})
        bodies.append(json.dumps({"changes": changes}, ensure_ascii=False))
    tokens = [demo_token(str(uuid.uuid4()), unit, registers) for _ in range(25)]
    path = folder / "bodies.json"
    path.write_text(json.dumps({"tokens": tokens, "bodies": bodies}))
    return path


def run(root: Path, url: str, bodies: Path, requests: int) -> dict:
    env = {**os.environ, "OHJAUS_RATE_LIMIT": "0", "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), url, str(bodies), str(requests)],
        capture_output=True, text=True, cwd=root, env=env,
    )
    if done.returncode != 0:
        raise SystemExit(f"the child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="postgresql://... (emptied!); default: a SQLite file per run")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--against", type=Path, help="another checkout, run alternately with this one")
    parser.add_argument("--quick", action="store_true", help="3 runs of 50 requests")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.requests = 3, 50
    if args.db:
        sys.path.insert(0, str(ROOT / "bench"))
        from sync_common import central_url

        central_url(args.db, Path("."), "")  # refuses a database that is not a bench's or the tests'
    roots = [("this checkout", ROOT)] + ([(f"{args.against}", args.against.resolve())] if args.against else [])
    results: dict[str, list[dict]] = {name: [] for name, _root in roots}
    loads = []
    with tempfile.TemporaryDirectory(prefix="ohjaus-server-cpu-") as tmp:
        folder = Path(tmp)
        os.environ.setdefault("OHJAUS_KEY_DIR", str(folder / "keys"))
        bodies = make_bodies(folder, args.requests)
        for number in range(args.runs):
            order = roots if number % 2 == 0 else roots[::-1]
            for index, (name, root) in enumerate(order):
                url = args.db or f"sqlite:///{folder / f'central-{number}-{index}.db'}"
                results[name].append(run(root, url, bodies, args.requests))
            loads.append(os.getloadavg()[0])
            print(f"run {number + 1}/{args.runs}: " + "; ".join(
                f"{name}: empty {results[name][-1]['empty'] * 1000:.2f} ms, typical {results[name][-1]['typical'] * 1000:.2f} ms"
                for name, _root in roots), flush=True)
    kind = "PostgreSQL" if args.db else "SQLite"
    print(f"\n{kind}, {args.runs} runs of {args.requests} requests each, load average {min(loads):.2f}-{max(loads):.2f}")
    print("code | empty pull, CPU median | typical round, CPU per request median | pulled a round")
    for name, _root in roots:
        empty = statistics.median(r["empty"] for r in results[name]) * 1000
        typical = statistics.median(r["typical"] for r in results[name]) * 1000
        page = statistics.median(r["page"] for r in results[name])
        print(f"{name} | {empty:.2f} ms | {typical:.2f} ms | {page:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
