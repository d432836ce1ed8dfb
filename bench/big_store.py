"""A device store of a large unit's year: 1,000,000 clients and 3,000,000 signed contacts.

    python bench/big_store.py [--data-dir DIR] [--clients 1000000] [--contacts 3000000] [--seed 2026]
    python bench/big_store.py --quick     # 2,000 clients, 6,000 contacts in a temp dir: a smoke run

The directory is made with the real migrations (`prepare`), the demo region's units,
workers and professionals (and their free slots for the coming four weeks, for the third
next available slot), clients by bench/search.py's `fill` (through the FTS triggers), then a
year of contacts up to yesterday with bulk SQL inserts: each with its assessment, segment and
outcome, a booked slot for the bookings, follow-ups (most done, some open and overdue).
Contacts spread over the four units, the five channels and the service areas; a pool of
frequent callers makes repeat contacts within 7 days. Finally the report summary is counted
(`store.reports.rebuild`), as after an upgrade. The directory is kept for bench/reports.py.

Bulk loading only: foreign keys and fsync are off on the loading connection (the rows are
consistent by construction); the children are written before their contact is marked
signed, as the immutability triggers want.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import json
import random
import shutil
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search import fill  # noqa: E402

from ohjaus_tui.context import load_shipped, shipped_data_dir  # noqa: E402
from ohjaus_tui.demo import ref_id, reference_rows  # noqa: E402
from ohjaus_core.domain.clock import HELSINKI  # noqa: E402
from ohjaus_core.domain.codes import Urgency  # noqa: E402
from ohjaus_core.domain.deadlines.health import urgency_deadline  # noqa: E402
from ohjaus_core.domain.demo_region import load_demo_region  # noqa: E402
from ohjaus_tui.store.directory import prepare  # noqa: E402
from ohjaus_tui.store.reports import rebuild  # noqa: E402
from ohjaus_tui.store.store import Store  # noqa: E402

BATCH = 50_000
CHANNELS = ["phone"] * 50 + ["chat"] * 15 + ["e_service"] * 20 + ["walk_in"] * 10 + ["mobile_point"] * 5
HEALTH_AREAS = ["health"] * 8 + ["oral_health", "mental_substance"]
SOCIAL_AREAS = ["working_age", "family", "older_people", "disability"]
URGENCIES = ["same_day"] * 30 + ["three_days"] * 15 + ["non_urgent"] * 30 + ["self_care"] * 22 + ["emergency"] * 3
OUTCOMES = {"self_care": "advice", "emergency": "emergency"}


def stored(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build(data_dir: Path, clients: int, contacts: int, seed: int, today: date) -> dict[str, float]:
    timings: dict[str, float] = {}
    shipped = load_shipped()
    region = load_demo_region(shipped_data_dir() / "demo")
    prepare(data_dir)
    store = Store(data_dir)
    started = time.perf_counter()
    store.add_all(*reference_rows(region, today))
    rng = random.Random(seed)
    fill(data_dir, clients, rng)
    timings["clients"] = time.perf_counter() - started

    started = time.perf_counter()
    raw = store.engine.raw_connection()  # the store's own connect path (pragmas, and later encryption)
    db = raw.driver_connection
    db.isolation_level = None
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("PRAGMA synchronous = OFF")
    people = db.execute("SELECT id, birth_date FROM client").fetchall()
    frequent = people[: max(1, len(people) // 20)]  # 5 % of the clients make a third of the contacts
    workers: dict[tuple[str, str], list[str]] = {}
    for w in region.workers:
        if w.role.value != "team_lead":
            workers.setdefault((w.unit, w.register.value), []).append(ref_id("worker", w.username))
    units = [u.code for u in region.units]
    professionals: dict[tuple[str, str], list[str]] = {}
    for p in region.professionals:
        professionals.setdefault((p.unit, p.service_area.value), []).append(ref_id("professional", p.code))
    referrals = {
        register: [s.code for s in shipped.catalogue if s.register is None or s.register.value == register]
        for register in ("health", "social")
    }
    deadlines: dict[tuple[date, str, str], date | None] = {}
    first_day = today - timedelta(days=365)
    contact_rows, assessment_rows, segment_rows, outcome_rows, follow_rows, slot_rows = [], [], [], [], [], []

    def flush() -> None:
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO slot (id, professional_id, unit_id, starts_at, minutes, mode, booked_contact_id,"
            " taken_elsewhere) VALUES (?, ?, ?, ?, 30, 'visit', ?, 0)", slot_rows)
        db.executemany(
            "INSERT INTO assessment (id, contact_id, protocol_id, protocol_version, answers, red_flags,"
            " suggested_urgency, urgency) VALUES (?, ?, ?, 1, '{}', '[]', ?, ?)", assessment_rows)
        db.executemany(
            "INSERT INTO segment (id, contact_id, suggested, segment, high_need, triggers)"
            " VALUES (?, ?, ?, ?, ?, ?)", segment_rows)
        db.executemany(
            "INSERT INTO outcome (id, contact_id, kind, advice_text, slot_id, service_code, handover,"
            " consent, care_deadline) VALUES (?, ?, ?, '', ?, ?, ?, 0, ?)", outcome_rows)
        db.executemany(
            "INSERT INTO follow_up (id, contact_id, client_id, kind, due, assignee_id, status, note, result,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, '', '', ?)", follow_rows)
        db.executemany(
            "INSERT INTO contact (id, version, status, step, client_id, anonymous, language, channel, reason,"
            " service_area, unit_id, worker_id, started_at, updated_at, signed_at, sector)"
            " VALUES (?, 1, 'signed', 6, ?, ?, 'fi', ?, '', ?, ?, ?, ?, ?, ?, ?)", contact_rows)
        db.execute("COMMIT")
        for rows in (contact_rows, assessment_rows, segment_rows, outcome_rows, follow_rows, slot_rows):
            rows.clear()

    for index in range(contacts):
        day = first_day + timedelta(days=index * 365 // contacts)
        unit = rng.choice(units)
        social = rng.random() < 0.3 and (unit, "social") in workers
        register = "social" if social else "health"
        area = rng.choice(SOCIAL_AREAS if social else HEALTH_AREAS)
        worker = rng.choice(workers[(unit, register)])
        # 07:00-19:00 local: most in office hours, some after closing.
        start = datetime.combine(day, clock_time(7), tzinfo=HELSINKI) + timedelta(minutes=rng.randrange(12 * 60))
        # Most are signed within minutes; a few are finished later in the day or the next one.
        minutes = rng.randrange(3, 25) if rng.random() < 0.96 else rng.randrange(60, 30 * 60)
        signed = start + timedelta(minutes=minutes)
        roll = rng.random()
        person = None if roll < 0.1 else (rng.choice(frequent) if roll < 0.4 else rng.choice(people))
        client_id = person[0] if person else None
        urgency = rng.choice(URGENCIES)
        kind = OUTCOMES.get(urgency) or ("booking" if rng.random() < 0.65 and person else "referral")
        if social and kind == "booking":
            kind = "referral" if rng.random() < 0.6 else "advice"
        contact_id = new_uuid(rng)
        segment = {"advice": "advice", "emergency": "clear_need"}.get(kind) or rng.choice(
            ["clear_need"] * 4 + ["complex_need"]
        )
        high_need = segment == "complex_need" and person is not None and rng.random() < 0.4
        slot_id = service = handover = care_deadline = None
        if kind == "booking":
            pool = professionals.get((unit, area)) or professionals.get((unit, "health")) or [
                ref_id("professional", region.professionals[0].code)
            ]
            lead = {"same_day": 0, "three_days": rng.randrange(0, 5)}.get(urgency, rng.randrange(0, 21))
            slot_at = datetime.combine(day + timedelta(days=lead), clock_time(8 + rng.randrange(8)), tzinfo=HELSINKI)
            slot_id = new_uuid(rng)
            slot_rows.append((slot_id, rng.choice(pool), ref_id("unit", unit), stored(slot_at), contact_id))
            key = (day, urgency, area)
            if key not in deadlines:
                service = "oral_health" if area == "oral_health" else "primary_care"
                deadlines[key] = urgency_deadline(Urgency(urgency), day, shipped.region, None, service)
            care_deadline = deadlines[key].isoformat() if deadlines[key] else None
            service = None
        elif kind == "referral":
            service = rng.choice(referrals[register])
            handover = "warm" if rng.random() < 0.5 else "cold"
        assessment_rows.append((new_uuid(rng), contact_id, "advice_only" if social else "fever_adult", urgency, urgency))
        segment_rows.append((new_uuid(rng), contact_id, segment, segment, high_need, '["worry"]' if high_need else "[]"))
        outcome_rows.append((new_uuid(rng), contact_id, kind, slot_id, service, handover, care_deadline))
        if person is not None and rng.random() < 0.3:
            follow_kind = rng.choice(["callback", "callback", "check_referral", "check_visit"])
            due = day + timedelta(days=rng.randrange(1, 14))
            # Done, as follow-ups are; some of the last weeks' are still open (and overdue).
            status = "open" if due >= today - timedelta(days=30) and rng.random() < 0.2 else "done"
            follow_rows.append((new_uuid(rng), contact_id, client_id, follow_kind, due.isoformat(), worker, status, stored(signed)))
        contact_rows.append((
            contact_id, client_id, person is None, rng.choice(CHANNELS), area, ref_id("unit", unit), worker,
            stored(start), stored(signed), stored(signed), register,
        ))
        if len(contact_rows) == BATCH:
            flush()
    flush()
    db.execute("PRAGMA foreign_keys = ON")
    raw.close()
    timings["contacts"] = time.perf_counter() - started
    started = time.perf_counter()
    rebuild(store, shipped.region)
    timings["summary"] = time.perf_counter() - started
    store.close()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/ohjaus-big-store"))
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--quick", action="store_true",
                        help="2,000 clients and 6,000 contacts in a temp dir, removed after (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        with tempfile.TemporaryDirectory(prefix="ohjaus-quick-store-") as tmp:
            os.environ.setdefault("OHJAUS_KEY_DIR", str(Path(tmp) / "keys"))  # not the user's key directory
            args.data_dir, args.clients, args.contacts = Path(tmp) / "store", 2_000, 6_000
            return make(args)
    return make(args)


def make(args) -> int:
    if args.data_dir.exists():
        shutil.rmtree(args.data_dir)
    timings = build(args.data_dir, args.clients, args.contacts, args.seed, args.today)
    size = sum(f.stat().st_size for f in args.data_dir.iterdir()) / 1e9
    print(json.dumps({"data_dir": str(args.data_dir), "clients": args.clients, "contacts": args.contacts,
                      "seconds": {k: round(v, 1) for k, v in timings.items()}, "gigabytes": round(size, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
