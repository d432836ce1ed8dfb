"""Demo data: a fictional region's units, workers, slots, clients and history.

`ohjaus --demo` makes it on first use; `ohjaus demo --data-dir DIR` makes a device
directory headless. Synthetic contacts are made by the same domain code the screens use
(protocol evaluation, segment and outcome suggestions, slot choice, step checks, signing).
Reference ids are UUIDv5 of their codes, and clients come from the seed, so demo devices
made with the same seed share units, workers, slots and clients.
"""

from __future__ import annotations

import os
import random
import shutil
import uuid
from bisect import bisect_left
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Callable

from .context import Shipped, load_shipped, shipped_data_dir
from ohjaus_core.domain.clock import HELSINKI
from ohjaus_core.domain.catalogue import services_for
from ohjaus_core.domain.codes import (
    Channel,
    FollowUpKind,
    Handover,
    HighNeedTrigger,
    Language,
    OutcomeKind,
    PlanType,
    Register,
    ServiceArea,
    WorryLevel,
)
from ohjaus_core.domain.credentials import DEMO_PASSPHRASE, make_verifier
from ohjaus_core.domain.contact import ContactDraft, first_incomplete_step, seeded_ids
from ohjaus_core.domain.datafile import load_toml
from ohjaus_core.domain.demo_region import DemoRegion, Names, load_demo_region, load_names
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.identity import client_id_for, make_identity_code
from ohjaus_core.domain.protocols.evaluation import evaluate
from ohjaus_core.domain.protocols.model import protocols_for
from ohjaus_core.domain.segmentation import suggest_follow_up, suggest_outcome, suggest_segment
from ohjaus_core.domain.slots import slots_for_draft
from ohjaus_core.i18n import _
from ohjaus_core.reference import HISTORY_DAYS, demo_slot_rows, ref_id, region_rows
from . import demo_day
from .store import models
from .store.store import Store
from .store.sync_side import SERVER, TOKEN
from .sync.client import DEMO_SERVER
from ohjaus_core.protocol import demo_token

# progress(what, done, total): the demo tells a caller how far it is (the CLI draws a bar).
Progress = Callable[[str, int, int], None]


def make_demo(
    data_dir: Path,
    *,
    clients: int = 300,
    contacts: int = 150,
    unit_code: str | None = None,
    seed: int = 2026,
    registers: tuple[str, ...] = ("health", "social"),
    today: date | None = None,
    shipped: Shipped | None = None,
    progress: Progress | None = None,
) -> str:
    tick: Progress = progress or (lambda what, done, total: None)
    shipped = shipped or load_shipped()
    root = shipped_data_dir() / "demo"
    region = load_demo_region(root)
    names = load_names(root / "names.toml")
    phrases = load_toml(root / "phrases.toml")
    today = today or date.today()
    unit_code = unit_code or region.units[0].code
    if unit_code not in {u.code for u in region.units}:
        raise DomainError(
            _("Unknown unit {code}; the demo region has {codes}.").format(
                code=unit_code, codes=", ".join(u.code for u in region.units)
            )
        )
    if clients < 1 or contacts < 0:
        raise DomainError(_("Give at least one client and zero or more contacts."))
    # Built from nothing: the commits reach the disk once, when the store is closed.
    store = Store(data_dir, build=True)
    try:
        if store.workers():
            raise DomainError(
                _("{path} already holds ohjaus data; choose an empty directory.").format(path=data_dir)
            )
        rng = random.Random(seed)
        total = contacts + 2
        tick(_("Units, workers and time slots"), 0, total)
        # Reference rows in one transaction, as plain rows (10,000 slots: no ORM object each).
        tables = (models.Unit, models.Worker, models.Professional)
        store.insert_rows(
            *((table, [row.model_dump() for row in rows]) for table, rows in zip(tables, region_rows(region)) if rows),
            (models.Slot, demo_slot_rows(region, today)),
        )
        tick(_("Clients"), 1, total)
        # Demo workers sign in with the demo passphrase; each has a verifier of its own.
        now = datetime.now(HELSINKI)
        store.sign_in.set_verifiers({worker.id: make_verifier(DEMO_PASSPHRASE) for worker in store.workers()}, now)
        # Records made with one seed, unit, registers, size and day have the same ids on every
        # demo device; change any of them and the ids differ (no two contacts share an id).
        key = f"{seed}:{unit_code}:{'+'.join(registers)}:{clients}:{contacts}:{today.isoformat()}"
        with seeded_ids(key):
            client_rows = _clients(store, region, names, rng, clients, today)
            tick(_("Contacts"), 2, total)
            # Every contact in one transaction (each a transaction of its own as the screens
            # sign them, 150 commits, was most of the first start's wait).
            with store.transaction() as session:
                contacts = _contacts(
                    store, shipped, region, phrases, rng, client_rows, contacts, unit_code, registers, today,
                    lambda done: tick(_("Contacts"), 2 + done, total), session,
                )
            _unit_day(store, region, phrases, rng, client_rows, unit_code, registers, today)
        store.set_setting("demo", "1")
        store.set_setting("unit", unit_code)
        store.set_setting("registers", ",".join(registers))
        store.set_setting("seed", str(seed))
        # A demo device is ready for `ohjaus serve --demo` on this machine.
        store.set_setting(SERVER, DEMO_SERVER)
        store.set_setting(TOKEN, demo_token(str(uuid.uuid4()), unit_code, registers))
    finally:
        store.close()
    return _("Demo data directory {path}: unit {unit}, {clients} clients, {contacts} signed contacts.").format(
        path=data_dir, unit=unit_code, clients=clients, contacts=contacts
    )


PARTIAL = ".{name}.partial-{pid}"


def make_demo_atomically(data_dir: Path, **options) -> str:
    """make_demo into a hidden sibling directory, moved into place when whole: a first use
    interrupted half-way (Ctrl+C, a kill, a full disk) leaves no directory that a later
    `ohjaus --demo` would refuse, and the next one starts again from nothing (issue 17).

    A directory that already holds something is left to make_demo, which refuses data."""
    data_dir = Path(data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        return make_demo(data_dir, **options)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    _discard_stale_partials(data_dir)
    partial = data_dir.parent / PARTIAL.format(name=data_dir.name, pid=os.getpid())
    try:
        summary = make_demo(partial, **options)
        if data_dir.exists():
            data_dir.rmdir()  # empty, checked above
        os.rename(partial, data_dir)
    except BaseException:
        _discard(partial)
        raise
    from .store.keys import fsync_directory

    fsync_directory(data_dir.parent)
    return summary.replace(str(partial), str(data_dir))


def _discard(partial: Path) -> None:
    """A half-made demo directory and the device key made for it."""
    from .store.keys import key_path

    try:
        key = key_path(partial)
    except Exception:  # a damaged key id: the directory goes all the same
        key = None
    if key is not None:
        key.unlink(missing_ok=True)
    shutil.rmtree(partial, ignore_errors=True)


def _discard_stale_partials(data_dir: Path) -> None:
    """Leftovers of a demo build killed before it could clean up (kill -9, power cut)."""
    prefix = PARTIAL.format(name=data_dir.name, pid="")
    for candidate in data_dir.parent.glob(f"{prefix}*"):
        pid = candidate.name.removeprefix(prefix)
        if pid.isdigit() and not _alive(int(pid)):
            _discard(candidate)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True



def reference_rows(region: DemoRegion, today: date) -> tuple[list, list, list, list]:
    """The demo region's units, workers, professionals and slots as the device's rows (the
    central API loads the same records: ohjaus_core/reference.py)."""
    units, workers, professionals = region_rows(region)
    return (
        [models.Unit(**row.model_dump()) for row in units],
        [models.Worker(**row.model_dump()) for row in workers],
        [models.Professional(**row.model_dump()) for row in professionals],
        [models.Slot(**row) for row in demo_slot_rows(region, today)],
    )


def _clients(
    store: Store, region: DemoRegion, names: Names, rng: random.Random, count: int, today: date
) -> list[models.Client]:
    municipalities = list(region.municipalities)
    used: set[str] = set()
    rows = []
    for _index in range(count):
        municipality = rng.choice(municipalities)
        swedish = municipality.languages[0] == Language.SV if rng.random() < 0.8 else rng.random() < 0.06
        female = rng.random() < 0.52
        if swedish:
            first = rng.choice(names.sv_female if female else names.sv_male)
            last = rng.choice(names.sv_last)
        else:
            first = rng.choice(names.fi_female if female else names.fi_male)
            last = rng.choice(names.fi_last)
        while True:
            born = date(1930, 1, 1) + timedelta(days=rng.randrange((today - date(1930, 1, 1)).days))
            # Individual numbers 900-999 are not in the population register: synthetic.
            code = make_identity_code(born, rng.randrange(900, 1000))
            if code not in used:
                used.add(code)
                break
        phone = f"+35840{rng.randrange(1000000, 9999999)}" if rng.random() < 0.85 else None
        rows.append(
            models.Client(
                id=client_id_for(code),
                first_name=first,
                last_name=last,
                identity_code=code,
                identity_temporary=True,
                birth_date=born,
                phone=phone,
                language=(Language.SV if swedish else Language.FI).value,
                municipality=municipality.names["sv" if swedish else "fi"],
                # Within the demo region's retention on devices (365 days, issue 20): a demo
                # device keeps its clients at its first sync (they were all 400 days old and
                # two thirds of them left the device at once).
                created_at=datetime.combine(today - timedelta(days=30 + len(rows) % 300), time(9), tzinfo=HELSINKI),
            )
        )
    _special_clients(rows)
    store.clients.add_clients(rows, datetime.combine(today, time(7), tzinfo=HELSINKI))
    return rows


def _special_clients(rows: list[models.Client]) -> None:
    """Issue 20: two clients with a non-disclosure order (turvakielto) and one served in
    Russian with an interpreter. Chosen by place, not drawn: the rest of the demo stays as
    the same seed makes it."""
    for row in rows[:2]:
        row.protected = True
    if len(rows) > 2:
        rows[2].service_language, rows[2].interpreter = "ru", True


def _contacts(
    store: Store,
    shipped: Shipped,
    region: DemoRegion,
    phrases: dict,
    rng: random.Random,
    clients: list[models.Client],
    count: int,
    unit_code: str,
    registers: tuple[str, ...],
    today: date,
    made: Callable[[int], None] = lambda done: None,
    session=None,
) -> int:
    workers = _unit_workers(region, unit_code, registers)
    if not workers:
        return 0
    signed = 0
    free = _FreeSlots(store, today)
    # A few clients call often: the repeated-contacts trigger has something to find.
    weights = [8 if i % 25 == 0 else 1 for i in range(len(clients))]
    for index in range(count):
        made(index)
        worker = rng.choice(workers)
        # Spread over the history window up to yesterday; their follow-ups fall due today and later.
        day = today - timedelta(days=1 + int((HISTORY_DAYS - 1) * (1 - (index + 1) / count)))
        started = datetime.combine(day, time(8), tzinfo=HELSINKI) + timedelta(minutes=rng.randrange(0, 7 * 60))
        client = rng.choices(clients, weights)[0] if rng.random() < 0.9 else None
        # The last contacts go one to each worker, for a client, with a follow-up: every demo
        # worker's list has an open follow-up whatever the protocols suggest (issue 13 changed
        # them; the demo must not lose its follow-ups when a protocol changes).
        last_round = index >= count - len(workers)
        if last_round:
            worker = workers[(count - 1 - index) % len(workers)]
            client = client or clients[index % len(clients)]
        if worker.register == Register.SOCIAL:
            area = rng.choice([ServiceArea.WORKING_AGE, ServiceArea.FAMILY, ServiceArea.OLDER_PEOPLE])
        else:
            area = rng.choice([ServiceArea.HEALTH] * 6 + [ServiceArea.ORAL_HEALTH, ServiceArea.MENTAL_SUBSTANCE])
        draft = ContactDraft(
            worker_id=ref_id("worker", worker.username),
            unit_id=ref_id("unit", worker.unit),
            started_at=started,
            client_id=client.id if client else None,
            anonymous=client is None,
            language=Language(client.language) if client else Language.FI,
            channel=rng.choice(list(Channel)),
            service_area=area,
        )
        protocol = rng.choice(protocols_for(shipped.protocols, area))
        # Most answers are no; a red flag is rare, as on a real line (a protocol asks over ten);
        # a health protocol's self-care criterion (mild, recovered fully) is often yes. The
        # social protocol's (information only, manages once informed: version 12) are asked as
        # any other question, so its contacts stay the mix they were.
        criteria = (
            protocol.self_care_if + protocol.self_care_if_any if protocol.register is Register.HEALTH else ()
        )
        answers = {
            q.id: rng.random() < (0.002 if q.red_flag else 0.7 if q.id in criteria else 0.15)
            for q in protocol.questions
        }
        worry = None
        if protocol.asks_worry:
            worry = rng.choices(list(WorryLevel), [4, 4, 2, 1])[0]
        result = evaluate(protocol, answers, worry)
        draft.protocol_id, draft.protocol_version = protocol.id, protocol.version
        draft.answers, draft.red_flags = answers, list(result.red_flags)
        draft.worry_level, draft.duties = worry, list(result.duties)
        draft.domains = list(result.domains)
        draft.suggested_urgency = draft.urgency = result.suggested
        draft.reason = rng.choice(phrases["reasons"].get(protocol.id, ["-"]))
        # A counsellor ticks a manual trigger now and then: complex needs and referrals.
        triggers = []
        if client is not None and worker.register == Register.SOCIAL and rng.random() < 0.35:
            triggers = [rng.choice([HighNeedTrigger.WORRY, HighNeedTrigger.UNCLEAR_CORE])]
        draft.suggested_segment = draft.segment = suggest_segment(
            draft.urgency, triggers, worry, result.domains
        )
        draft.triggers, draft.high_need = triggers, bool(triggers)
        if draft.high_need_plan:
            draft.plan_type = PlanType.CLIENT_PLAN
            draft.named_contact = f"worker:{draft.worker_id}"
        kind = suggest_outcome(draft.segment, draft.red_flags, draft.urgency)
        if kind == OutcomeKind.BOOKING and client is None:
            kind = OutcomeKind.ADVICE
        draft.outcome_kind = kind
        if kind == OutcomeKind.ADVICE:
            draft.advice_text = rng.choice(phrases["advice"]["texts"])
        elif kind == OutcomeKind.EMERGENCY:
            draft.outcome_note = "112"
        elif kind == OutcomeKind.REFERRAL:
            service = rng.choice(services_for(shipped.catalogue, area.register, area) or shipped.catalogue)
            draft.service_code = service.code
            draft.handover = Handover.WARM if service.warm_handover and rng.random() < 0.6 else Handover.COLD
            draft.consent = draft.handover == Handover.WARM
        elif kind == OutcomeKind.BOOKING:
            # Demo devices of different units book only their own unit's slots, so their
            # histories never ask the central API for the same slot.
            own = [o for o in free.offers(area, started, started + timedelta(days=28)) if o.unit_id == draft.unit_id]
            offers = slots_for_draft(own, draft, deadline=None, not_before=started, limit=3)
            if not offers:
                draft.outcome_kind, draft.advice_text = OutcomeKind.ADVICE, phrases["advice"]["texts"][0]
            else:
                draft.slot_id = rng.choice(offers).slot_id
        follow_kind, due = suggest_follow_up(draft.outcome_kind, draft.segment, day)
        if client is None and follow_kind == FollowUpKind.CALLBACK:
            follow_kind = FollowUpKind.NONE  # an unidentified client cannot be called back
        if last_round and follow_kind == FollowUpKind.NONE and client is not None:
            follow_kind, due = FollowUpKind.CALLBACK, today
        if follow_kind != FollowUpKind.NONE:
            draft.follow_up_kind, draft.follow_up_due = follow_kind, due
            draft.follow_up_assignee_id = draft.worker_id
        if first_incomplete_step(draft) is not None:
            continue
        store.contacts.sign(draft, started + timedelta(minutes=rng.randrange(3, 15)), session=session)
        if draft.outcome_kind == OutcomeKind.BOOKING:
            free.booked(draft.slot_id)
        signed += 1
    return signed


def _unit_day(
    store: Store, region: DemoRegion, phrases: dict, rng: random.Random, clients: list[models.Client],
    unit_code: str, registers: tuple[str, ...], today: date,
) -> None:
    """After the contacts: the frequent callers' missed appointments and this morning's
    callback queue (when the unit has workers of the registers)."""
    if not _unit_workers(region, unit_code, registers):
        return
    frequent = [c for i, c in enumerate(clients) if i % 25 == 0]
    demo_day.missed_appointments(store, rng, frequent, ref_id("unit", unit_code), registers, today)
    demo_day.callbacks(store, phrases, rng, clients, ref_id("unit", unit_code), registers, today)
    if "health" in registers:
        demo_day.contact_requests(store, clients, ref_id("unit", unit_code), today)


def _unit_workers(region: DemoRegion, unit_code: str, registers: tuple[str, ...]) -> list:
    """The device's own unit and registers: what it may send to the central API."""
    return [
        w
        for w in region.workers
        if w.unit == unit_code and w.role.value != "team_lead" and w.register.value in registers
    ]


class _FreeSlots:
    """The store's free slots of each service area, read once (not once a booking) and kept
    as the demo books them: `offers` gives what `Store.free_slots` would (earliest first, at
    most 500, then the caller's own filter). The slots booked in the demo's transaction,
    which other connections do not see yet, are in `taken`."""

    def __init__(self, store: Store, today: date) -> None:
        self.store = store
        self.start = datetime.combine(today - timedelta(days=HISTORY_DAYS + 1), time(0), tzinfo=HELSINKI)
        self.until = datetime.combine(today + timedelta(days=3660), time(0), tzinfo=HELSINKI)
        self.by_area: dict[ServiceArea, tuple[list, list[float]]] = {}
        self.taken: set[str] = set()

    def offers(self, area: ServiceArea, start: datetime, until: datetime) -> list:
        if start < self.start or until > self.until:
            return [o for o in self.store.bookings.free_slots(area, start, until) if o.slot_id not in self.taken]
        if area not in self.by_area:
            offers = self.store.bookings.free_slots(area, self.start, self.until, limit=None)
            self.by_area[area] = (offers, [o.starts_at.timestamp() for o in offers])
        offers, times = self.by_area[area]
        found = []
        for index in range(bisect_left(times, start.timestamp()), bisect_left(times, until.timestamp())):
            if offers[index].slot_id not in self.taken:
                found.append(offers[index])
                if len(found) == 500:
                    break
        return found

    def booked(self, slot_id: str) -> None:
        self.taken.add(slot_id)
