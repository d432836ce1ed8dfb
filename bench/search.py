"""Client search at scale: name (prefixes), identity code (exact/prefix), phone (E.164).

    python bench/search.py [--clients 1000000] [--queries 200]
    python bench/search.py --quick          # 20,000 clients, 30 queries: a smoke run in seconds

Builds a device store with N synthetic clients (plain inserts through the schema's own
triggers), then times `Store.find_clients` as the client step calls it on every keystroke:
median and 95th percentile of CPU time (time.process_time) and wall time per query kind, and
the machine's load average beside them. For the name kinds, the same queries also run through
the query used before issue 18 (every FTS match looked up and sorted, then 20 kept), in the
same run, so the ratio holds on a busy machine. The store is made in a temp dir and removed.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ohjaus_tui.context import shipped_data_dir  # noqa: E402
from ohjaus_core.domain.demo_region import load_names  # noqa: E402
from ohjaus_core.domain.identity import make_identity_code  # noqa: E402
from ohjaus_tui.store.directory import connect, prepare  # noqa: E402
from ohjaus_tui.store.models import Client  # noqa: E402
from ohjaus_tui.store.store import Store  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import select  # noqa: E402


def fill(data_dir: Path, count: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """Insert `count` clients; returns (last name, identity code, phone) samples."""
    names = load_names(shipped_data_dir() / "demo" / "names.toml")
    first = names.fi_female + names.fi_male + names.sv_female + names.sv_male
    last = names.fi_last + names.sv_last
    connection = connect(data_dir)
    samples, used = [], set()
    rows = []
    for index in range(count):
        while True:
            born = date(1920, 1, 1) + timedelta(days=rng.randrange(36500))
            code = make_identity_code(born, rng.randrange(2, 1000))
            if code not in used:
                used.add(code)
                break
        phone = f"+35840{rng.randrange(1_000_000, 9_999_999)}"
        rows.append((str(uuid.UUID(int=rng.getrandbits(128), version=4)), rng.choice(first),
                     rng.choice(last), code, code[7] == "9", born.isoformat(), phone))
        if index % 997 == 0:
            samples.append((rows[-1][2], code, phone))
        if len(rows) == 50_000:
            _insert(connection, rows)
            rows = []
    _insert(connection, rows)
    connection.close()
    return samples


def _insert(connection, rows: list) -> None:
    connection.executemany(
        "INSERT INTO client (id, first_name, last_name, identity_code, identity_temporary, birth_date,"
        " phone, language, municipality, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'fi', '', "
        "'2026-01-01 00:00:00.000000')",
        rows,
    )
    connection.commit()


def legacy_find(store: Store, query: str) -> list[Client]:
    """`Store.find_clients`'s name search before issue 18: every FTS match looked up, sorted
    by name in a temporary B-tree, then 20 kept."""
    terms = [t.replace('"', "") for t in query.split() if t.replace('"', "")]
    match = " ".join(f'"{term}"*' for term in terms)
    with store.session() as session:
        return list(session.exec(
            select(Client)
            .where(text("client.rowid IN (SELECT rowid FROM client_fts WHERE client_fts MATCH :match)")
                   .bindparams(match=match))
            .order_by(Client.last_name, Client.first_name)
            .limit(20)
        ))


def names(clients: list[Client]) -> list[tuple[str, str]]:
    return [(client.last_name, client.first_name) for client in clients]


def timed(searches: dict, queries: list[str]) -> dict:
    """Per search: median and p95 of CPU and wall milliseconds over the queries. The searches
    take turns query by query, so they see the same machine load."""
    cpu = {label: [] for label in searches}
    wall = {label: [] for label in searches}
    for query in queries:
        for label, search in searches.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            search(query)
            cpu[label].append((time.process_time() - started_cpu) * 1000)
            wall[label].append((time.perf_counter() - started) * 1000)
    return {label: (_median_p95(cpu[label]), _median_p95(wall[label])) for label in searches}


def _median_p95(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values), values[max(0, math.ceil(len(values) * 0.95) - 1)]


def load() -> str:
    return "load " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="20,000 clients, 30 queries (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.queries = 20_000, 30
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("OHJAUS_KEY_DIR", str(Path(tmp) / "keys"))  # not the user's key directory
        data_dir = Path(tmp) / "device"  # the key directory may not be inside the data directory
        prepare(data_dir)
        started = time.perf_counter()
        samples = fill(data_dir, args.clients, rng)
        built = time.perf_counter() - started
        store = Store(data_dir)
        picks = [rng.choice(samples) for _ in range(args.queries)]
        kinds = {
            "name prefix (1 letter)": [last[:1] for last, _code, _phone in picks],
            "name prefix (3 letters)": [last[:3] for last, _code, _phone in picks],
            "full last name": [last for last, _code, _phone in picks],
            "identity code": [code for _last, code, _phone in picks],
            "phone, national format": ["0" + phone[4:] for _last, _code, phone in picks],
        }
        store.clients.find_clients("warm up")
        legacy_find(store, "warm up")
        print(f"{args.clients:,} clients, built in {built:.0f} s; {args.queries} queries each "
              f"(results capped at 20); {load()}")
        print(f"{'query':<34} {'CPU median':>10} {'CPU p95':>9} {'wall p95':>9}  load")
        for kind, queries in kinds.items():
            searches = {kind: store.clients.find_clients}
            if kind.startswith(("name", "full")):
                searches["  the query before issue 18"] = lambda q: legacy_find(store, q)
            for label, ((median, p95), (_wall_median, wall_p95)) in timed(searches, queries).items():
                print(f"{label:<34} {median:>8.2f}ms {p95:>7.2f}ms {wall_p95:>7.2f}ms  {load()}")
            if len(searches) > 1:
                same = sum(names(store.clients.find_clients(q)) == names(legacy_find(store, q)) for q in queries)
                print(f"  (the same names in the same order as before issue 18: {same} of {len(queries)})")
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
