"""Client search at scale: name (FTS5 prefixes), identity code (exact/prefix), phone (E.164).

    python bench/search.py [--clients 1000000] [--queries 200]

Builds a device store with N synthetic clients (plain inserts through the schema's own FTS
triggers), then times `Store.find_clients` as the client step calls it on every keystroke:
median and 95th percentile per query kind. The store file is made in a temp dir and removed.
"""

from __future__ import annotations

import argparse
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
from ohjaus_tui.domain.demo_region import load_names  # noqa: E402
from ohjaus_tui.domain.identity import make_identity_code  # noqa: E402
from ohjaus_tui.store.directory import connect, prepare  # noqa: E402
from ohjaus_tui.store.store import Store  # noqa: E402


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


def timed(store: Store, queries: list[str]) -> tuple[float, float, int]:
    durations, found = [], 0
    for query in queries:
        started = time.perf_counter()
        found += len(store.find_clients(query))
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    return statistics.median(durations), durations[int(len(durations) * 0.95) - 1], found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("OHJAUS_KEY_DIR", str(Path(tmp) / "keys"))  # not the user's key directory
        data_dir = Path(tmp)
        prepare(data_dir)
        started = time.perf_counter()
        samples = fill(data_dir, args.clients, rng)
        built = time.perf_counter() - started
        store = Store(data_dir)
        picks = [rng.choice(samples) for _ in range(args.queries)]
        kinds = {
            "name prefix (3 letters)": [last[:3] for last, _code, _phone in picks],
            "full last name": [last for last, _code, _phone in picks],
            "identity code": [code for _last, code, _phone in picks],
            "phone, national format": ["0" + phone[4:] for _last, _code, phone in picks],
        }
        store.find_clients("warm up")
        print(f"{args.clients:,} clients, built in {built:.0f} s; {args.queries} queries each (results capped at 20)")
        print(f"{'query':<26} {'median':>9} {'p95':>9}")
        for kind, queries in kinds.items():
            median, p95, _found = timed(store, queries)
            print(f"{kind:<26} {median:>7.2f}ms {p95:>7.2f}ms")
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
