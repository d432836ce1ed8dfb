"""How long a team lead waits for the reports on a large store (issue 6: well under a second).

    python bench/big_store.py                  # once: 1,000,000 clients, 3,000,000 contacts
    python bench/reports.py [--data-dir DIR] [--runs 15] [--today YYYY-MM-DD]
    python bench/reports.py --quick            # a small store in a temp dir: a smoke run in seconds

Opens the store made by bench/big_store.py and times `store.reports.make_report` - the one
computation behind the reports screen and `ohjaus report` - for the last 30 days and the
last 365 days, of every unit and of one unit: median and 95th percentile of N runs (after one
warm-up). Then the cost of keeping the summary true: a contact signed through the store
(a callback client's, in the region's busiest unit) and the next report, which counts its
day again. Prints the figures of the 30-day report as `ohjaus report` does.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ohjaus_tui.context import load_shipped  # noqa: E402
from ohjaus_core.domain.clock import HELSINKI  # noqa: E402
from ohjaus_core.domain.codes import OutcomeKind, Segment, ServiceArea, Urgency  # noqa: E402
from ohjaus_core.domain.contact import ContactDraft  # noqa: E402
from ohjaus_tui.report_text import render_text  # noqa: E402
from ohjaus_tui.store.reports import make_report  # noqa: E402
from ohjaus_tui.store.store import Store  # noqa: E402


QUICK_CLIENTS, QUICK_CONTACTS = 2_000, 6_000


def timed(call, runs: int) -> tuple[float, float]:
    call()  # warm-up: page cache, statement cache
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    return statistics.median(durations), durations[max(0, round(len(durations) * 0.95) - 1)]


def sign_one(store: Store, now: datetime) -> None:
    worker = next(w for w in store.workers() if w.username == "hoitaja1")
    with store.session() as session:
        client_id = session.connection().exec_driver_sql(
            "SELECT client_id FROM contact WHERE client_id IS NOT NULL ORDER BY started_at DESC LIMIT 1"
        ).scalar_one()
    draft = ContactDraft(
        worker_id=worker.id, unit_id=worker.unit_id, started_at=now - timedelta(minutes=10),
        client_id=client_id, reason="bench", service_area=ServiceArea.HEALTH,
        protocol_id="advice_only", protocol_version=1, answers={"has_symptoms_or_worry": False},
        suggested_urgency=Urgency.SELF_CARE, urgency=Urgency.SELF_CARE, segment=Segment.ADVICE,
        outcome_kind=OutcomeKind.ADVICE, advice_text="bench",
    )
    store.contacts.sign(draft, now)


def big_store_parser(description: str) -> argparse.ArgumentParser:
    """The options of a bench that reads the store bench/big_store.py made."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/ohjaus-big-store"))
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--quick", action="store_true",
                        help=f"a smoke run in seconds: a store of {QUICK_CLIENTS:,} clients and "
                             f"{QUICK_CONTACTS:,} contacts built in a temp dir, 3 runs")
    return parser


@contextlib.contextmanager
def store_for(args):
    """The big store's directory; with --quick, a small one built in a temp dir (removed after)."""
    if not args.quick:
        yield args.data_dir
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from big_store import build

    with tempfile.TemporaryDirectory(prefix="ohjaus-quick-store-") as tmp:
        os.environ.setdefault("OHJAUS_KEY_DIR", str(Path(tmp) / "keys"))  # not the user's key directory
        args.data_dir, args.runs = Path(tmp) / "store", 3
        build(args.data_dir, QUICK_CLIENTS, QUICK_CONTACTS, 2026, args.today)
        yield args.data_dir


def no_big_store(data_dir: Path) -> bool:
    if (data_dir / "ohjaus.sqlite3").exists():
        return False
    print(f"no store at {data_dir}: run bench/big_store.py first", file=sys.stderr)
    return True


def main() -> int:
    parser = big_store_parser(__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="no report text")
    args = parser.parse_args()
    with store_for(args):
        return run(args)


def run(args) -> int:
    if no_big_store(args.data_dir):
        return 2
    rules = load_shipped().region
    now = datetime.combine(args.today, clock_time(9), tzinfo=HELSINKI)
    started = time.perf_counter()
    store = Store(args.data_dir)
    opened = (time.perf_counter() - started) * 1000
    with store.session() as session:
        contacts, clients = session.connection().exec_driver_sql(
            "SELECT (SELECT count(*) FROM contact), (SELECT count(*) FROM client)"
        ).one()
    print(f"{clients:,} clients, {contacts:,} contacts; store opened in {opened:.0f} ms; {args.runs} runs each")
    print(f"{'report':<34} {'median':>9} {'p95':>9}")
    unit = store.units()[0].code
    cases = {
        "last 30 days, every unit": (29, None),
        "last 365 days, every unit": (364, None),
        f"last 30 days, {unit}": (29, unit),
        f"last 365 days, {unit}": (364, unit),
    }
    for label, (back, code) in cases.items():
        median, p95 = timed(lambda: make_report(store, rules, args.today - timedelta(days=back), args.today, now, code), args.runs)
        print(f"{label:<34} {median:>7.0f}ms {p95:>7.0f}ms")
    folds = []
    for n in range(5):
        sign_one(store, now + timedelta(minutes=n))
        started = time.perf_counter()
        make_report(store, rules, args.today - timedelta(days=29), args.today, now)
        folds.append((time.perf_counter() - started) * 1000)
    print(f"{'30 days after a new signature':<34} {statistics.median(folds):>7.0f}ms {max(folds):>7.0f}ms  (max of 5)")
    if not args.quiet:
        print()
        print(render_text(make_report(store, rules, args.today - timedelta(days=29), args.today, now)))
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
