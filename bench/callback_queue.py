"""A nurse's worklist with 5,000 open items still shows every callback request (issue 20), and
the worklist read stays under 50 ms at that size.

    python bench/callback_queue.py [--quick] [--items 5000] [--callbacks 150] [--runs 15]

Makes a demo device (small: its clients and a few contacts) in a temporary directory, then
gives its first health-care nurse, through SQL in one transaction, `--items` open work items
in all: `--callbacks` callback requests of this morning in three queues (a tenth of high
priority, a tenth put back after no answer) and the rest open follow-ups due before today,
assigned to her. Then times `store.worklist.worklist` (median and 95th percentile of `--runs` after one
warm-up) and checks that every open callback request is on the list, in its own section
first, and that the rest is cut at 200. Exit 1 when a callback is missing or the median is
over 50 ms. --quick: fewer runs (the same size).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from reports import timed  # noqa: E402

from ohjaus_tui.context import load_shipped  # noqa: E402
from ohjaus_tui.demo import make_demo  # noqa: E402
from ohjaus_core.domain.clock import HELSINKI  # noqa: E402
from ohjaus_core.domain.worklist import WorkKind  # noqa: E402
from ohjaus_tui.store.store import Store  # noqa: E402

GOAL_MS = 50.0
TODAY = date(2026, 11, 25)


def stored(moment: datetime) -> str:
    from datetime import UTC

    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def fill(store: Store, worker, items: int, callbacks: int, now: datetime) -> None:
    """`callbacks` requests and `items - callbacks` open follow-ups due before today."""
    follow_ups = items - callbacks
    opened = now.replace(hour=7, minute=30)
    with store.session() as session:
        conn = session.connection()
        contacts = []
        for n in range(follow_ups):
            started = now - timedelta(days=2 + n % 300, minutes=n % 600)
            contacts.append(dict(
                id=str(uuid.uuid4()), unit=worker.unit_id, worker=worker.id, at=stored(started),
            ))
        conn.exec_driver_sql(
            "INSERT INTO contact (id, version, status, step, anonymous, language, channel, reason, unit_id, worker_id,"
            " started_at, updated_at, signed_at, sector) VALUES (:id, 1, 'signed', 7, 1, 'fi', 'phone', 'Bench',"
            " :unit, :worker, :at, :at, :at, 'health')".replace(":id", "?").replace(":unit", "?").replace(":worker", "?")
            .replace(":at", "?"),
            [(c["id"], c["unit"], c["worker"], c["at"], c["at"], c["at"]) for c in contacts],
        )
        conn.exec_driver_sql(
            "INSERT INTO follow_up (id, contact_id, kind, due, assignee_id, status, note, result, created_at)"
            " VALUES (?, ?, 'callback', ?, ?, 'open', '', '', ?)",
            [
                (str(uuid.uuid4()), c["id"], (TODAY - timedelta(days=1 + n % 200)).isoformat(), worker.id, c["at"])
                for n, c in enumerate(contacts)
            ],
        )
        rows = []
        for n in range(callbacks):
            tried = n % 10 == 5
            rows.append((
                str(uuid.uuid4()), worker.unit_id, f"+3584077{n:05d}", f"Soittaja {n}", "Kuumetta",
                stored(opened + timedelta(minutes=n % 90, seconds=n)), f"bench-queue-{n}", stored(opened),
                ("Aikuiset", "Lapsiperheet", "Ikäihmiset")[n % 3], "high" if n % 10 == 0 else "normal",
                1 if tried else 0, stored(now - timedelta(minutes=10)) if tried else None,
                stored(now - timedelta(minutes=10)) if tried else None,
            ))
        conn.exec_driver_sql(
            "INSERT INTO callback (id, unit_id, sector, name, phone, reason, requested_at, status, result, source,"
            " imported_at, queue, priority, attempts, first_attempt_at, last_attempt_at, language, client_id, taken_by,"
            " contact_id) VALUES (?, ?, 'health', ?, ?, ?, ?, 'open', '', ?, ?, ?, ?, ?, ?, ?, 'fi', NULL, NULL, NULL)",
            [(r[0], r[1], r[3], r[2], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12]) for r in rows],
        )
        session.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 runs instead of --runs")
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--callbacks", type=int, default=150)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    runs = 5 if args.quick else args.runs
    rules = load_shipped().region
    now = datetime(TODAY.year, TODAY.month, TODAY.day, 9, 0, tzinfo=HELSINKI)
    with tempfile.TemporaryDirectory() as base:
        import os

        os.environ.setdefault("OHJAUS_KEY_DIR", str(Path(base) / "keys"))
        data_dir = Path(base) / "device"
        make_demo(data_dir, clients=60, contacts=5, seed=3, today=TODAY)
        store = Store(data_dir)
        worker = min((w for w in store.workers() if w.role == "nurse" and w.sector == "health"), key=lambda w: w.username)
        fill(store, worker, args.items, args.callbacks, now)
        viewer = store.viewer(worker.id)
        with store.session() as session:
            open_callbacks = set(session.connection().exec_driver_sql(
                "SELECT id FROM callback WHERE unit_id = ? AND sector = 'health' AND status = 'open' AND attempts < ?",
                (worker.unit_id, rules.callbacks.max_attempts),
            ).scalars())
            open_items = session.connection().exec_driver_sql(
                "SELECT (SELECT count(*) FROM follow_up WHERE status = 'open' AND assignee_id = ?)"
                " + (SELECT count(*) FROM callback WHERE status = 'open' AND unit_id = ?)",
                (worker.id, worker.unit_id),
            ).scalar_one()
        items = store.worklist.worklist(viewer, rules, now)
        # Callbacks and e-service requests (issue 20) each have their own section, never cut.
        listed = [i for i in items if i.kind in (WorkKind.CALLBACK, WorkKind.REQUEST)]
        missing = open_callbacks - {i.id for i in listed}
        rest = len(items) - len(listed)
        median, p95 = timed(lambda: store.worklist.worklist(viewer, rules, now), runs)
        store.close()
    print(f"{worker.username}: {open_items:,} open items ({len(open_callbacks)} callback requests); "
          f"the list: {len(listed)} callbacks first, then {rest} of the rest (cut at 200)")
    print(f"store.worklist.worklist, {runs} runs: median {median:.1f} ms, p95 {p95:.1f} ms (goal: under {GOAL_MS:.0f} ms)")
    ok = True
    if missing or items[: len(listed)] != listed:
        print(f"FAIL: {len(missing)} callback requests missing or not first")
        ok = False
    if median > GOAL_MS:
        print(f"FAIL: the median is over {GOAL_MS:.0f} ms")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
