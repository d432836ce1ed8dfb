"""What the sync benchmarks share: the central database to run on, a real `ohjaus serve --demo`
child process, and synthetic clients and signed contacts in the shape the API takes.

Not a benchmark itself; imported by bench/sync_throughput.py and bench/sync_load.py.
"""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ohjaus_central.batch import _json, contact_family as _contact_family, validated as _validated  # noqa: E402
from ohjaus_central.db import CentralStore  # noqa: E402
from ohjaus_core import records  # noqa: E402
from ohjaus_central.tables import metadata  # noqa: E402
from ohjaus_central.serve import load_demo_region  # noqa: E402
from ohjaus_tui.demo import make_demo, ref_id  # noqa: E402
from ohjaus_core.domain.identity import client_id_for, make_identity_code  # noqa: E402
from ohjaus_tui.store.models import Client  # noqa: E402
from tests.sync_helpers import CentralServer as _CentralServer  # noqa: E402

__all__ = [
    "CentralServer",
    "ContactFamilies",
    "central_url",
    "fresh_central",
    "median",
    "percentile",
    "synthetic_clients",
    "table",
]


# The server child under pyinstrument: sync endpoints run inline on the event-loop thread
# (pyinstrument samples one thread), every CPU second of a request in one tree. Only for
# finding where the time goes; the requests are then served one at a time.
_PROFILED = """
import signal, sys, anyio.to_thread
from pyinstrument import Profiler

# uvicorn raises SIGTERM again after its graceful shutdown: end with the report, not killed.
signal.signal(signal.SIGTERM, lambda *_args: sys.exit(0))

async def inline(func, *args, **_kwargs):
    return func(*args)

anyio.to_thread.run_sync = inline
out = sys.argv.pop(1)
profiler = Profiler(interval=0.0005, async_mode="disabled")
profiler.start()


def restart(*_args):  # SIGUSR1: forget the start-up and set-up, profile from here on
    global profiler
    profiler.stop()
    profiler = Profiler(interval=0.0005, async_mode="disabled")
    profiler.start()


signal.signal(signal.SIGUSR1, restart)
try:
    from ohjaus.cli import main
    main(sys.argv[1:])
finally:
    profiler.stop()
    with open(out, "w") as f:
        f.write(profiler.output_text(unicode=True, color=False, show_all=False))
    profiler.write_html(out + ".html")
    profiler.last_session.save(out + ".pyisession")  # pyinstrument --load FILE -r text --show-all
"""


class CentralServer(_CentralServer):
    """`ohjaus serve --demo` as a child process (tests/sync_helpers.CentralServer), optionally
    under pyinstrument (`profile`: the text report's path; .html and .pyisession beside it)."""

    def __init__(self, db_url: str, log: Path, profile: str | None = None, extra: list[str] | None = None,
                 code: Path | None = None) -> None:
        super().__init__(db_url, log, extra)
        self.profile = profile
        self.code = code  # another checkout whose server runs (its packages first on the path)

    def command(self) -> list[str]:
        if self.code is not None:
            run = f"import runpy, sys; sys.path.insert(0, {str(self.code)!r}); runpy.run_module('ohjaus', run_name='__main__')"
            return [sys.executable, "-c", run, *super().command()[3:]]
        if not self.profile:
            return super().command()
        self.START_SECONDS = 60  # under the profiler
        return [sys.executable, "-c", _PROFILED, self.profile, *super().command()[3:]]

    def profile_from_here(self) -> None:
        """Drop what the profiler saw so far (start-up, set-up requests)."""
        if self.profile and self.process:
            import signal

            self.process.send_signal(signal.SIGUSR1)

    def stop(self) -> None:
        if self.profile and self.process and self.process.poll() is None:
            self.process.terminate()  # uvicorn shuts down; the report is written on the way out
            self.process.wait(120)
        super().stop()


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share 0.95 = p95) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def central_url(db: str | None, folder: Path, name: str) -> str:
    """The central database: a new SQLite file in `folder`, or the PostgreSQL URL given.
    A PostgreSQL database is emptied first, so only one whose name says bench or test (or
    the tests' own, OHJAUS_TEST_PG)."""
    if not db:
        return f"sqlite:///{folder / name}"
    if not db.startswith("postgresql"):
        raise SystemExit("--db takes postgresql://USER:PASSWORD@HOST/DB (the default is a new SQLite file)")
    database = db.rsplit("/", 1)[-1].split("?")[0]
    if "bench" not in database and "test" not in database and db != os.environ.get("OHJAUS_TEST_PG"):
        raise SystemExit(f"refusing to empty the database {database!r}: its name must contain 'bench' or 'test'")
    return db


def fresh_central(url: str, *, demo_region: bool = True) -> CentralStore:
    """An empty central database (PostgreSQL: its tables dropped and made again), with the
    demo region loaded as `serve --demo` loads it at start."""
    if url.startswith("postgresql"):
        store = CentralStore(url)
        metadata.drop_all(store.engine)
        with store.engine.begin() as connection:  # else Alembic takes the empty database for an upgraded one
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        store.close()
    store = CentralStore(url)
    if demo_region:
        load_demo_region(store)
    return store


def synthetic_clients(count: int, seed: int, created_by: str | None = None) -> list[dict]:
    """`count` clients with distinct synthetic identity codes (individual numbers 900-999),
    as the API takes them (Client.model_dump(mode="json"), the server's own normal form)."""
    rng = random.Random(seed)
    used: set[str] = set()
    rows = []
    first = ["Aino", "Eino", "Helmi", "Väinö", "Linnea", "Oliver", "Saga", "Elias", "Ella", "Leo"]
    last = ["Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Lindqvist", "Heikkinen", "Koskinen", "Järvinen"]
    while len(rows) < count:
        born = date(1925, 1, 1) + timedelta(days=rng.randrange(36_000))
        code = make_identity_code(born, rng.randrange(900, 1000))
        if code in used:
            continue
        used.add(code)
        client_id = client_id_for(code)
        client = Client(
            id=client_id,
            first_name=rng.choice(first),
            last_name=rng.choice(last),
            identity_code=code,
            identity_temporary=True,
            birth_date=born,
            phone=f"+35840{rng.randrange(1_000_000, 9_999_999)}",
            language="fi",
            municipality="Järvilaakso",
            created_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
            created_by=created_by,
        )
        rows.append(_validated(records.Client, client.model_dump(mode="json"), client_id))
    return rows


class ContactFamilies:
    """Signed contacts (contact, assessment, segment, outcome, follow-ups) cloned from the
    ones `ohjaus demo` makes for a unit: the same content, new ids, and the client swapped
    for the one given. Cloning costs microseconds where signing through the store costs
    milliseconds."""

    def __init__(self, folder: Path, unit: str, registers: tuple[str, ...], contacts: int = 120) -> None:
        path = folder / f"templates-{unit}-{'+'.join(registers)}"
        make_demo(path, clients=60, contacts=contacts, unit_code=unit, registers=registers, seed=5)
        from ohjaus_tui.store.directory import connect

        connection = connect(path)
        rows = connection.execute(
            "SELECT record_id, data FROM outbox WHERE record_type = 'contact' ORDER BY seq"
        ).fetchall()
        connection.close()
        self.templates: list[tuple[str, list[str], str | None]] = []
        for record_id, data in rows:
            family = _contact_family(json.loads(data), record_id)  # the server's normal form
            ids = [family["contact"]["id"]] + [
                family[key]["id"] for key in ("assessment", "segment", "outcome") if family[key]
            ] + [f["id"] for f in family["follow_ups"]]
            self.templates.append((_json(family), ids, family["contact"]["client_id"]))
        if not self.templates:
            raise RuntimeError(f"the demo made no contacts for {unit} {registers}")
        self.unit_id = ref_id("unit", unit)

    def make(self, rng: random.Random, client_id: str) -> dict:
        """A new contact family of `client_id` (anonymous templates stay anonymous)."""
        text, ids, old_client = rng.choice(self.templates)
        for old in ids:
            text = text.replace(old, str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        if old_client:
            text = text.replace(old_client, client_id)
        return json.loads(text)


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i])
                       for i, cell in enumerate(row)) for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
