"""How long a nurse waits for the worklist on a large store (issue 6: well under a second).

    python bench/big_store.py                   # once: 1,000,000 clients, 3,000,000 contacts
    python bench/worklist.py [--data-dir DIR] [--runs 15] [--today YYYY-MM-DD]

Opens the store made by bench/big_store.py. First it gives the bench's nurse (the first
health-care nurse of the unit with the most contacts) what a morning brings, through the
store's own paths: the demo passphrase, this morning's queue of 150 callback requests for
the unit (`import_callbacks`, callers matched to clients by phone; imported once a day, by
the phone system's id) and two unfinished contacts. The follow-ups are the big store's own:
a year of them, most done, some open and overdue.

Then it times, median and 95th percentile of N runs after one warm-up:
- `store.worklist.worklist`: the one query behind the home screen's list (callbacks, follow-ups of
  the worker and their team, bookings to redo, unfinished contacts, most urgent first);
- `store.contacts.recent_signed` and `store.contacts.open_drafts`, the home screen's other two reads;
- the home screen itself, headless: from Enter on the passphrase (checked with the KDF; the
  store already open, as it is by the time a worker has typed) until the worklist is on the
  screen, once and the first time in the process (the home screen's modules imported then);
  and `HomeScreen.refresh_lists()`, as after every contact and sync: the three reads, the
  table filled, the views written to the access log.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from reports import big_store_parser, no_big_store, store_for, timed  # noqa: E402

from ohjaus_tui.app import OhjausApp  # noqa: E402
from ohjaus_tui.context import Context, load_shipped  # noqa: E402
from ohjaus_core.domain.callbacks import CallbackRequest  # noqa: E402
from ohjaus_core.domain.clock import HELSINKI  # noqa: E402
from ohjaus_core.domain.codes import Register  # noqa: E402
from ohjaus_core.domain.contact import ContactDraft  # noqa: E402
from ohjaus_core.domain.credentials import DEMO_PASSPHRASE, make_verifier  # noqa: E402
from ohjaus_tui.screens.home import HomeScreen  # noqa: E402
from ohjaus_tui.store.store import Store  # noqa: E402

QUEUE = 150


def the_nurse(store: Store):
    with store.session() as session:
        busiest = session.connection().exec_driver_sql(
            "SELECT unit_id FROM contact GROUP BY unit_id ORDER BY count(*) DESC LIMIT 1"
        ).scalar_one()
    nurses = [w for w in store.workers() if w.unit_id == busiest and w.role == "nurse" and w.sector == "health"]
    return min(nurses, key=lambda w: w.username)


def morning(store: Store, worker, now: datetime) -> None:
    """The passphrase, this morning's callback queue and two unfinished contacts."""
    store.sign_in.set_verifiers({worker.id: make_verifier(DEMO_PASSPHRASE)}, now)
    rng = random.Random(now.date().toordinal())
    with store.session() as session:
        callers = session.connection().exec_driver_sql(
            "SELECT first_name, last_name, phone FROM client WHERE phone IS NOT NULL LIMIT 400"
        ).all()
    opened = datetime.combine(now.date(), clock_time(7, 30), tzinfo=HELSINKI)
    requests = []
    for number in range(QUEUE):
        caller = rng.choice(callers)
        requests.append(CallbackRequest(
            line=number + 1, requested_at=opened + timedelta(minutes=number),
            phone=caller.phone, name=f"{caller.first_name} {caller.last_name}",
            reason="Kuumetta kolme päivää", source=f"bench-{now.date().isoformat()}-{number}",
            register=Register.HEALTH,
        ))
    result = store.worklist.import_callbacks(requests, worker.unit_id, opened)
    viewer = store.viewer(worker.id)
    if len(store.contacts.open_drafts(worker.id)) < 2:
        for minutes in (40, 20):
            draft = ContactDraft(worker_id=worker.id, unit_id=worker.unit_id, started_at=now - timedelta(minutes=minutes))
            draft.reason = "Kesken jäänyt puhelu"
            store.contacts.save_draft(draft, now, viewer)
    print(f"this morning: {result.added} callback requests imported ({result.already} already), "
          f"{result.matched} callers known by phone")


async def screen_times(data_dir: Path, worker, now: datetime, runs: int) -> tuple[float, float, float, int]:
    ctx = Context(data_dir=data_dir, shipped=load_shipped(), clock=lambda: now)
    app = OhjausApp(ctx)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        ctx.store  # the store opens while the worker reads the list (LoginScreen); done here first
        await pilot.pause()
        # The sign-in as the passphrase field's Enter calls it, timed without the Pilot's own
        # waits for an idle CPU: until the home screen has laid out its list.
        started = time.perf_counter()
        assert app.sign_in(worker.id, DEMO_PASSPHRASE) is None
        while not (homes := [s for s in app.screen_stack if isinstance(s, HomeScreen) and s.items
                             and s.query_one("#worklist").size.height > 0]):
            if time.perf_counter() - started > 60:
                raise SystemExit(f"no worklist after 60 s; on screen: {app.screen!r}")
            await asyncio.sleep(0.001)
        signed_in = (time.perf_counter() - started) * 1000
        home = homes[0]
        shown = len(home.items)
        median, p95 = timed(home.refresh_lists, runs)
    return signed_in, median, p95, shown


def main() -> int:
    args = big_store_parser(__doc__.splitlines()[0]).parse_args()
    with store_for(args):
        return run(args)


def run(args) -> int:
    if no_big_store(args.data_dir):
        return 2
    rules = load_shipped().region
    now = datetime.combine(args.today, clock_time(9), tzinfo=HELSINKI)
    store = Store(args.data_dir)
    with store.session() as session:
        contacts, clients, follow_ups, open_follow_ups = session.connection().exec_driver_sql(
            "SELECT (SELECT count(*) FROM contact), (SELECT count(*) FROM client),"
            " (SELECT count(*) FROM follow_up), (SELECT count(*) FROM follow_up WHERE status = 'open')"
        ).one()
    print(f"{clients:,} clients, {contacts:,} contacts, {follow_ups:,} follow-ups ({open_follow_ups:,} open)")
    worker = the_nurse(store)
    morning(store, worker, now)
    viewer = store.viewer(worker.id)
    items = store.worklist.worklist(viewer, rules, now)
    kinds: dict[str, int] = {}
    for item in items:
        kinds[item.kind.value] = kinds.get(item.kind.value, 0) + 1
    print(f"{worker.username}'s worklist: {len(items)} items {kinds}; {args.runs} runs each")
    print(f"{'':<34} {'median':>9} {'p95':>9}")
    for label, call in {
        "store.worklist.worklist": lambda: store.worklist.worklist(viewer, rules, now),
        "store.contacts.recent_signed": lambda: store.contacts.recent_signed(worker.id),
        "store.contacts.open_drafts": lambda: store.contacts.open_drafts(worker.id),
    }.items():
        median, p95 = timed(call, args.runs)
        print(f"{label:<34} {median:>7.0f}ms {p95:>7.0f}ms")
    store.close()
    signed_in, median, p95, shown = asyncio.run(screen_times(args.data_dir, worker, now, args.runs))
    print(f"{'sign-in to the worklist on screen':<34} {signed_in:>7.0f}ms {'':>9}  (once; {shown} rows)")
    print(f"{'HomeScreen.refresh_lists':<34} {median:>7.0f}ms {p95:>7.0f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
