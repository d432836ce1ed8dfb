"""Sync under faults, as Jepsen tests it (TRUST.md, "Sync"): several devices edit offline and
sync through a seeded fault proxy (latency, cuts mid-request and mid-response, resets,
hangs); the server is SIGKILLed mid-push; a device is SIGKILLed mid-pull; a device's clock is
a day off. Then the network heals and every device syncs; every acknowledged write must be
on the server exactly once and on every device, nothing duplicated, no conflict silent.

Every test runs on SQLite and on PostgreSQL (the `server` fixture).
"""

from __future__ import annotations

import itertools
import math
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import bindparam, text

from ohjaus_core.domain.clock import now
from ohjaus_core.domain.codes import FollowUpStatus, Language
from ohjaus_tui.store.directory import connect
from ohjaus_tui.store.store import DuplicateClient, Store
from ohjaus_tui.store.sync_side import CURSOR
from ohjaus_tui.sync.client import SyncClient, SyncError
from ohjaus_core.protocol import RecordType

from .. import sync_helpers
from ..fault_proxy import FAULTS, FaultProxy
from ..sync_helpers import ROOT, Device, assert_converged, sync_all, wait_until

# -- helpers ---------------------------------------------------------------------------------


def device_id(device: Device) -> str:
    token = device.store.outbox.sync_config()[1]
    return token.split(".")[1]  # demo.<device id>.<unit>.<registers>.<mac>


def log_counts(central, record_type: str, device_ids: list[str] | None = None) -> Counter:
    """How many times each record of a type is in the server's change log (written by
    changes of the given devices, or of anyone)."""
    sql = "SELECT record_id, count(*) FROM change_log WHERE record_type = :t"
    params: dict = {"t": record_type}
    if device_ids is not None:
        sql += " AND device_id IN :d"
        params["d"] = tuple(device_ids)
    query = text(sql + " GROUP BY record_id")
    if device_ids is not None:
        query = query.bindparams(bindparam("d", expanding=True))
    with central.engine.connect() as conn:
        return Counter(dict(conn.execute(query, params).all()))


def log_seqs(central, record_type: str, record_id: str) -> list[int]:
    """The server sequences of a record's entries in the change log, in order."""
    query = text("SELECT seq FROM change_log WHERE record_type = :t AND record_id = :i ORDER BY seq")
    with central.engine.connect() as conn:
        return [seq for (seq,) in conn.execute(query, {"t": record_type, "i": record_id})]


def local_ids(device: Device, sql: str, **params) -> list[str]:
    with device.store.engine.connect() as conn:
        return [row[0] for row in conn.execute(text(sql), params)]


def fleet(devices, server, names: list[str]) -> list[Device]:
    """Devices that already hold the region's reference data: one device syncs once, the
    others start as copies of its data directory, each with a credential of its own (a
    first pull of ~11 000 slots per device would take most of the time budget)."""
    base = devices("base")
    base.sync()
    base.close()
    made = []
    for name in names:
        target = base.path.parent / name
        shutil.copytree(base.path, target)
        made.append(Device(target, server.url))
    return made


class CountingTransport(httpx.HTTPTransport):
    """Counts the requests a SyncClient sends (push batches, pull pages)."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: Counter[tuple[str, str]] = Counter()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests[(request.method, request.url.path)] += 1
        return super().handle_request(request)


_PEOPLE = itertools.count(1)
_PHONES = itertools.count(1)  # every phone given in the session is new: an edit always changes the record


def new_person() -> tuple[date, int]:
    """A birth date and individual number no other test in the session uses."""
    n = next(_PEOPLE)
    return date(1940, 1, 1) + timedelta(days=n), 100 + n % 700


# -- a reference model of what the devices did -----------------------------------------------


@dataclass(frozen=True)
class Version:
    """One edit of a record on a device: the value it gave, and the value the device showed
    when the worker made it (what the edit replaced, as far as that worker knew)."""

    device: str
    value: object  # a client's phone; a follow-up's (status, result)
    parent: object


@dataclass
class Ledger:
    """What the workers did on each device, to check the end state against."""

    clients: set[str] = field(default_factory=set)  # added on some device
    contacts: set[str] = field(default_factory=set)  # signed on some device
    bookings: dict[str, str] = field(default_factory=dict)  # contact id -> slot id
    versions: dict[tuple[str, str], list[Version]] = field(default_factory=lambda: defaultdict(list))
    ops: Counter = field(default_factory=Counter)
    synced: Counter = field(default_factory=Counter)  # "ok" / "failed" through the proxy


def _state(row) -> tuple[str, str]:
    return (row["status"], row["result"]) if isinstance(row, dict) else (row.status, row.result)


class World:
    """Named devices, a proxy and a ledger; the operations are the screens' store calls."""

    EDITS = ("add_client", "add_same_person", "sign", "book", "close_follow_up", "reopen_follow_up", "update_phone")

    def __init__(self, server, devices: dict[str, Device], proxy: FaultProxy | None, timeout: float = 1.5) -> None:
        self.server, self.devices, self.proxy, self.timeout = server, devices, proxy, timeout
        self.ledger = Ledger()

    def do(self, op: str, name: str, pick: int):
        return getattr(self, op)(name, pick)

    # Each operation takes a device name and a number to pick with (what to act on).

    def add_client(self, name: str, pick: int) -> None:
        device = self.devices[name]
        born, individual = new_person()
        try:
            client = device.add_client(born, individual, f"Uusi{pick % 10}")
        except DuplicateClient:
            return
        self.ledger.clients.add(client.id)
        self.ledger.versions[("client", client.id)].append(Version(name, None, None))
        self.ledger.ops["add_client"] += 1

    def add_same_person(self, name: str, pick: int) -> None:
        """A person another device added while this one did not know: one record, not two."""
        device = self.devices[name]
        known = set(local_ids(device, "SELECT id FROM client"))
        candidates = sorted(self.ledger.clients - known)
        if not candidates:
            return self.add_client(name, pick)
        client_id = candidates[pick % len(candidates)]
        owner = next(d for d in self.devices.values() if d.store.clients.client(client_id) is not None)
        row = owner.store.clients.client(client_id)
        client = device.store.clients.add_client(
            first_name=row.first_name + "-b",
            last_name=row.last_name,
            identity_code=row.identity_code,
            phone=None,
            language=Language(row.language),
            municipality=row.municipality,
            created_by=device.worker().id,
            now=now(),
            allow_temporary=True,
        )
        assert client.id == client_id  # the id comes from the identity code
        self.ledger.versions[("client", client_id)].append(Version(name, None, None))
        self.ledger.ops["add_same_person"] += 1

    def _pick(self, pick: int, everything: list[str], touched: list[str]) -> str:
        """Mostly a record this world already touched, so that devices meet on it."""
        if touched and pick % 3:
            return touched[pick % len(touched)]
        return everything[pick % len(everything)]

    def _client(self, device: Device, pick: int) -> str:
        ids = local_ids(device, "SELECT id FROM client ORDER BY id")
        touched = sorted({rid for kind, rid in self.ledger.versions if kind == "client"} & set(ids))
        return self._pick(pick, ids, touched)

    def sign(self, name: str, pick: int) -> None:
        device = self.devices[name]
        client_id = None if pick % 4 == 0 else self._client(device, pick)
        draft = device.sign_contact(client_id, f"Syy {pick}")
        self.ledger.contacts.add(draft.id)
        self.ledger.ops["sign"] += 1

    def book(self, name: str, pick: int) -> None:
        device = self.devices[name]
        slot_id = device.free_slot(pick % 3)  # the earliest ones: devices compete for them
        draft = device.sign_contact(self._client(device, pick), "Ajanvaraus", slot_id=slot_id)
        self.ledger.contacts.add(draft.id)
        self.ledger.bookings[draft.id] = slot_id
        self.ledger.ops["book"] += 1

    def _follow_up(self, device: Device, statuses: tuple[str, ...], pick: int) -> str | None:
        """A follow-up of a contact signed in this world (an earlier example's are not ours)."""
        rows = [
            (follow_up_id, contact_id)
            for follow_up_id, contact_id in _rows(
                device,
                f"SELECT id, contact_id FROM follow_up WHERE status IN ({', '.join(repr(s) for s in statuses)}) ORDER BY id",
            )
        ]
        ours = [fid for fid, contact_id in rows if contact_id in self.ledger.contacts]
        if not ours:
            return None
        touched = [fid for fid in ours if ("follow_up", fid) in self.ledger.versions]
        return self._pick(pick, ours, touched)

    def _set_follow_up(self, name: str, follow_up_id: str, status: FollowUpStatus) -> None:
        device = self.devices[name]
        parent = _state(_one(device, "SELECT status, result FROM follow_up WHERE id = :i", i=follow_up_id))
        result = f"{name}: {status.value} #{sum(self.ledger.ops.values())}"
        device.store.worklist.set_follow_up_status(follow_up_id, status, result, now())
        self.ledger.versions[("follow_up", follow_up_id)].append(Version(name, (status.value, result), parent))

    def close_follow_up(self, name: str, pick: int) -> None:
        follow_up_id = self._follow_up(self.devices[name], ("open",), pick)
        if follow_up_id is None:
            return
        self._set_follow_up(name, follow_up_id, FollowUpStatus.DONE if pick % 2 == 0 else FollowUpStatus.CANCELLED)
        self.ledger.ops["close_follow_up"] += 1

    def reopen_follow_up(self, name: str, pick: int) -> None:
        follow_up_id = self._follow_up(self.devices[name], ("done", "cancelled"), pick)
        if follow_up_id is None:
            return self.close_follow_up(name, pick)
        self._set_follow_up(name, follow_up_id, FollowUpStatus.OPEN)
        self.ledger.ops["reopen_follow_up"] += 1

    def update_phone(self, name: str, pick: int) -> None:
        device = self.devices[name]
        client_id = self._client(device, pick)
        parent = device.store.clients.client(client_id).phone
        client = device.store.clients.update_client(client_id, now(), phone=f"040{next(_PHONES):07d}")
        self.ledger.versions[("client", client_id)].append(Version(name, client.phone, parent))
        self.ledger.ops["update_phone"] += 1

    def sync_direct(self, name: str, _pick: int = 0) -> None:
        self.devices[name].sync()
        self.ledger.ops["sync_direct"] += 1

    def sync_faulty(self, name: str, _pick: int = 0) -> bool:
        assert self.proxy is not None
        ok = self.devices[name].try_sync(self.proxy.url, batch=3, page=20, timeout=self.timeout)
        self.ledger.synced["ok" if ok else "failed"] += 1
        return ok

    # -- the end state ------------------------------------------------------------------------

    def heal_and_check(self) -> dict:
        if self.proxy is not None:
            self.proxy.heal()
        everyone = list(self.devices.values())
        sync_all(*everyone, rounds=2)
        records = assert_converged(*everyone)
        central = self.server.central()
        try:
            self._check(records, central)
        finally:
            central.close()
        return records

    def _check(self, records: dict, central) -> None:
        ledger = self.ledger
        held = {key.split(":", 1)[1] for key in records if key.startswith("contact:")}
        on_server = central.records(RecordType.CONTACT)
        contact_log = log_counts(central, "contact")
        # Every contact signed on any device: on every device and on the server, exactly once.
        assert ledger.contacts <= held, sorted(ledger.contacts - held)[:3]
        assert {c: contact_log[c] for c in ledger.contacts} == dict.fromkeys(ledger.contacts, 1)
        duplicated = {c: n for c, n in contact_log.items() if n != 1}
        assert not duplicated, duplicated
        # What the devices hold is what the server holds (all of them are of one unit).
        assert held == on_server.keys()
        clients = central.records(RecordType.CLIENT)
        for client_id in ledger.clients:
            assert f"client:{client_id}" in records and client_id in clients

        ours = [device_id(device) for device in self.devices.values()]
        logs = {"client": log_counts(central, "client", ours), "follow_up": log_counts(central, "follow_up", ours)}
        problems = [p for device in self.devices.values() for p in device.store.outbox.sync_problems(limit=10_000)]
        made_here = {  # rebooking tasks the devices of this world made
            key.split(":", 1)[1]
            for key, row in records.items()
            if key.startswith("follow_up:") and row["kind"] == "rebook" and row["contact_id"] in ledger.contacts
        }
        for (kind, record_id), versions in ledger.versions.items():
            row = records[f"{kind}:{record_id}"]
            final = row["phone"] if kind == "client" else _state(row)
            if kind == "client":
                assert clients[record_id]["phone"] == final
            values = [v.value for v in versions]
            seen_and_replaced = {v.parent for v in versions if v.parent is not None}
            # The record ends as one of the versions made of it, and never as one that a
            # worker had seen and replaced (a change sent again must not undo a later edit).
            assert final in values, (kind, record_id, final, versions)
            assert final not in seen_and_replaced, (kind, record_id, final, versions)
            # A version neither kept nor replaced knowingly lost to a concurrent one: some
            # device shows that (a conflict, or a rejection), it is not silently dropped.
            for version in versions:
                if version.value is not None and version.value != final and version.value not in seen_and_replaced:
                    assert any(p.record_id == record_id for p in problems), (kind, record_id, version, final)
            # Each edit is applied at most once; one close of a task wins.
            logged = logs[kind][record_id] - (record_id in made_here)
            assert 1 <= logged <= len(versions), (kind, record_id, logged, versions)
            if kind == "follow_up" and all(v.value[0] != "open" for v in versions):
                assert logged == 1, (record_id, logged, versions)
        for kind, counts in logs.items():
            for record_id, logged in counts.items():
                if (kind, record_id) not in ledger.versions:
                    assert kind == "follow_up" and record_id in made_here and logged == 1, (kind, record_id, logged)

        # Bookings: each slot holds one contact; a contact that lost its slot has a task to
        # book again, and its device shows why.
        rebooks = {records[f"follow_up:{fid}"]["contact_id"] for fid in made_here}
        slots = central.records(RecordType.SLOT)
        for contact_id, slot_id in ledger.bookings.items():
            holder = slots[slot_id]["booked_contact_id"]
            assert records[f"slot:{slot_id}"]["booked_contact_id"] == holder
            if holder != contact_id:
                assert contact_id in rebooks, (contact_id, slot_id, holder)
                assert any(p.reason == "slot_taken" and p.record_id == slot_id for p in problems)

        # Every conflict the server kept is shown on the device whose change made it; and a
        # client that one device alone edited has none (no false alarms for the workers).
        by_id = {device_id(device): device for device in self.devices.values()}
        conflicted = set()
        for row in central.conflicts():
            device = by_id.get(row["device_id"])
            if device is None:
                continue  # a device of an earlier example
            conflicted.add(row["record_id"])
            shown = device.store.outbox.sync_problems(limit=10_000)
            assert any(p.change_id == row["change_id"] and p.kind == "conflict" for p in shown), row
        for client_id in ledger.clients:
            if len({v.device for v in ledger.versions[("client", client_id)]}) == 1:
                assert client_id not in conflicted, (client_id, ledger.versions[("client", client_id)])


def _rows(device: Device, sql: str, **params) -> list[tuple]:
    with device.store.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql), params)]


def _one(device: Device, sql: str, **params) -> dict:
    with device.store.engine.connect() as conn:
        return dict(conn.execute(text(sql), params).mappings().one())


# -- a. several devices, many rounds through the faulty proxy --------------------------------


def test_devices_converge_after_syncing_through_a_faulty_network(server, devices):
    names = ["a", "b", "c"]
    made = fleet(devices, server, names)
    proxy = FaultProxy(server.port, seed=4, probability=0.5)
    world = World(server, dict(zip(names, made, strict=True)), proxy, timeout=1.5)
    rng = random.Random(4)
    try:
        for _round in range(10):
            # Each device in turn: a few edits, then a sync through the proxy, unless it is
            # offline this round. A failed round is tried again only in the next one, so
            # others may change what it sent meanwhile.
            for name in rng.sample(names, len(names)):
                for _edit in range(rng.randint(1, 3)):
                    world.do(rng.choice(World.EDITS), name, rng.randrange(1000))
                if rng.random() < 0.8:
                    world.sync_faulty(name)
        assert world.ledger.synced["failed"] >= 3 and world.ledger.synced["ok"] >= 3, world.ledger.synced
        counts = proxy.counts
        # The faults really happened, among them the one that tests idempotency: the server
        # did the work and the device never heard the answer.
        assert counts["cut_response"] >= 1 and proxy.faults() >= 5, counts
        assert sum(1 for name in FAULTS if counts[name]) >= 3, counts
        assert world.ledger.ops["sign"] + world.ledger.ops["book"] >= 10, world.ledger.ops
        assert world.ledger.ops["close_follow_up"] + world.ledger.ops["reopen_follow_up"] >= 3, world.ledger.ops
        world.heal_and_check()
    finally:
        proxy.stop()
        for device in world.devices.values():
            device.close()


def test_a_change_sent_again_after_its_answer_was_lost_does_not_undo_a_later_edit(server, devices):
    """The server applied A's changes but the answer was cut; B then saw them and changed the
    records again; A, never told, sends the same changes again. They must be answered as
    the first time, not applied again over B's newer versions."""
    a, b = fleet(devices, server, ["a", "b"])
    proxy = FaultProxy(server.port, seed=5, probability=1.0, weights={"cut_response": 1}, response_cut=(1, 40))
    try:
        client = a.add_client(*new_person(), "Toisto")
        draft = a.sign_contact(client.id, "Takaisinsoitto")
        sync_all(a, b)
        follow_up_id = local_ids(b, "SELECT id FROM follow_up WHERE contact_id = :c", c=draft.id)[0]
        a.store.clients.update_client(client.id, now(), phone="0401110001")
        a.store.worklist.set_follow_up_status(follow_up_id, FollowUpStatus.DONE, "Soitettu", now())
        assert not a.try_sync(proxy.url, timeout=5)  # applied on the server, the answer cut
        assert proxy.counts["cut_response"] == 1 and a.store.outbox.pending_count() == 2
        b.sync()  # B sees A's versions and changes both again
        assert b.store.clients.client(client.id).phone == "+358401110001"
        b.store.clients.update_client(client.id, now(), phone="0402220002")
        b.store.worklist.set_follow_up_status(follow_up_id, FollowUpStatus.OPEN, "Ei vastannut, uudestaan", now())
        b.sync()
        result = a.sync()  # the same two changes, sent again directly
        assert (result.pushed, result.accepted, result.rejected, result.conflicts) == (2, 2, 0, 0)
        sync_all(a, b)
        records = assert_converged(a, b)
        assert records[f"client:{client.id}"]["phone"] == "+358402220002"
        assert records[f"follow_up:{follow_up_id}"]["status"] == "open"
        central = server.central()
        try:
            assert len(log_seqs(central, "client", client.id)) == 3  # added, A's edit, B's edit
            assert len(log_seqs(central, "follow_up", follow_up_id)) == 2  # A's close, B's reopening
            assert central.records(RecordType.CLIENT)[client.id]["phone"] == "+358402220002"
            assert not [row for row in central.conflicts() if row["record_id"] in (client.id, follow_up_id)]
        finally:
            central.close()
        assert not a.store.outbox.sync_problems() and not b.store.outbox.sync_problems()
    finally:
        proxy.stop()
        a.close()
        b.close()


# -- b. the server SIGKILLed mid-push --------------------------------------------------------


def _outbox(path: Path) -> set[tuple[str, str, str]]:
    connection = connect(path)
    try:
        return set(connection.execute("SELECT change_id, record_type, record_id FROM outbox"))
    finally:
        connection.close()


def test_a_server_killed_mid_push_loses_no_acknowledged_change_and_resumes_from_its_checkpoint(server, devices):
    big = devices("big", contacts=300)
    other = devices("other", contacts=0)  # the same demo clients; every contact comes by pull
    batch = 5
    before = _outbox(big.path)
    total = len(before)
    batches = math.ceil(total / batch)
    assert batches >= 60
    outcome: dict[str, object] = {}

    def push() -> None:
        try:
            outcome["result"] = big.sync(batch=batch, page=1000, timeout=10)
        except SyncError as error:
            outcome["error"] = error

    worker = threading.Thread(target=push)
    worker.start()
    # Kill once a few batches are in, with a little jitter: mid-push, not before or after.
    assert wait_until(lambda: len(_outbox(big.path)) <= total - 3 * batch, timeout=30)
    time.sleep(random.Random(7).uniform(0, 0.05))
    server.kill()
    worker.join(30)
    assert not worker.is_alive()
    assert "error" in outcome, "the push finished before the server was killed"

    after = _outbox(big.path)
    acknowledged = before - after
    done = len(acknowledged) // batch  # k of n batches answered before the cut
    assert 3 <= done < batches and len(acknowledged) % batch == 0
    # Every change the device was told is stored survived the SIGKILL, once.
    central = server.central()
    try:
        contact_log = log_counts(central, "contact")
        for _change_id, record_type, record_id in acknowledged:
            if record_type == "contact":
                assert contact_log[record_id] == 1, record_id
    finally:
        central.close()

    server.start()  # same port, same database
    counting = CountingTransport()
    big.sync(batch=batch, page=1000, timeout=10, transport=counting)
    pushes = counting.requests[("POST", "/v1/push")]
    # TRUST.md: cut after k of n batches, the next run sends at most n-k+1.
    assert pushes <= batches - done + 1, (pushes, batches, done)
    assert pushes == math.ceil(len(after) / batch)
    assert big.store.outbox.pending_count() == 0

    other.sync()
    big.sync()
    records = assert_converged(big, other)
    signed = {key.split(":", 1)[1] for key in records if key.startswith("contact:")}
    assert len(signed) >= 300
    central = server.central()
    try:
        contact_log = log_counts(central, "contact")
        assert {c: contact_log[c] for c in signed} == dict.fromkeys(signed, 1)
        assert set(contact_log) == signed
        assert not big.store.outbox.sync_problems() and not other.store.outbox.sync_problems()
    finally:
        central.close()


# -- c. a device SIGKILLed mid-pull ----------------------------------------------------------


def _cursor(path: Path) -> int:
    connection = connect(path)
    try:
        row = connection.execute("SELECT value FROM setting WHERE key = ?", (CURSOR,)).fetchone()
        return int(row[0]) if row else 0
    finally:
        connection.close()


def _integrity(path: Path) -> str:
    connection = connect(path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


_TABLES = {"client", "contact", "follow_up", "slot", "unit", "worker", "professional", "missed_appointment", "callback"}  # named as the types


def _server_changes(server_url: str, token: str) -> list[tuple[int, str, str]]:
    """Everything the server has for this device, in server order: (seq, type, record id),
    read through the API as a device reads it."""
    changes: list[tuple[int, str, str]] = []
    after = 0
    with httpx.Client(base_url=server_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        while True:
            response = http.get("/v1/changes", params={"after": after, "limit": 1000})
            response.raise_for_status()
            page = response.json()
            changes += [(c["seq"], c["type"], c["record_id"]) for c in page["changes"]]
            after = page["last_seq"]
            if not page["more"]:
                return changes


def _assert_holds_everything_up_to_cursor(path: Path, changes: list, cursor: int) -> int:
    """Every change the server has for this device up to its cursor is in its store."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for seq, kind, record_id in changes:
        if seq <= cursor:
            wanted[kind].add(record_id)
    connection = connect(path)
    try:
        for kind, ids in wanted.items():
            assert kind in _TABLES, kind
            table = kind
            where = " AND status = 'signed'" if kind == "contact" else ""
            have = {row[0] for row in connection.execute(f"SELECT id FROM {table} WHERE 1=1{where}")}
            missing = ids - have
            assert not missing, (kind, cursor, sorted(missing)[:3])
    finally:
        connection.close()
    return sum(len(ids) for ids in wanted.values())


def test_a_device_killed_mid_pull_keeps_what_it_applied_and_converges(server, devices):
    pusher = devices("pusher", contacts=300)
    pusher.sync()
    puller = devices("puller", contacts=0)
    token = puller.store.outbox.sync_config()[1]
    puller.close()  # the CLI opens it in its own process
    # A device connected afresh has not got the region's calendar yet: ~11 000 slots, in
    # pages of MAX_PAGE, are all new to it (the demo template has them already).
    connection = connect(puller.path)
    with connection:
        assert connection.execute("DELETE FROM slot").rowcount > 10_000
    connection.close()
    command = [sys.executable, "-m", "ohjaus", "sync", "--data-dir", str(puller.path), "--server", server.url]
    rng = random.Random(99)
    cursors = [0]
    interrupted = 0
    changes: list = []
    for attempt in range(4):
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        start = cursors[-1]
        try:
            # Once this run has moved the cursor, kill it: at once (the moment a cursor
            # written apart from its page would show), or a random moment later.
            deadline = time.monotonic() + 30
            while _cursor(puller.path) <= start and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            progressed = time.monotonic() < deadline
            time.sleep(0 if attempt % 2 == 0 else rng.uniform(0, 0.15))
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                interrupted += 1
            process.wait(30)
        assert progressed
        assert _integrity(puller.path) == "ok"
        cursor = _cursor(puller.path)
        assert cursor >= cursors[-1]  # the cursor never goes back
        cursors.append(cursor)
        # The puller's own clients are the demo's, already there: the log does not change.
        changes = changes or _server_changes(server.url, token)
        _assert_holds_everything_up_to_cursor(puller.path, changes, cursor)
        if process.returncode == 0:
            break
    assert interrupted >= 2, cursors
    # Let it finish.
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert _integrity(puller.path) == "ok"
    final = _cursor(puller.path)
    assert final > cursors[1] > 0  # the kills came mid-pull, with pages applied before
    assert final == changes[-1][0]
    held = _assert_holds_everything_up_to_cursor(puller.path, changes, final)
    assert held > 10_000
    puller.store = Store(puller.path)
    pusher.sync()
    records = assert_converged(pusher, puller)
    assert sum(key.startswith("contact:") for key in records) >= 300


# -- d. random operations over several devices (Hypothesis) ----------------------------------

# Syncs are drawn as often as edits, so edits interleave with other devices' syncs.
OPS = st.sampled_from(
    list(World.EDITS)
    + ["sync_direct"] * 2
    + ["sync_faulty"] * 4
)
STEP = st.tuples(OPS, st.integers(min_value=0, max_value=2), st.integers(min_value=0, max_value=999))

_EXAMPLES = itertools.count(1)


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(n_devices=st.integers(min_value=2, max_value=3), steps=st.lists(STEP, min_size=6, max_size=30))
def test_random_operations_with_faults_end_the_same_everywhere(server, devices, base_device, n_devices, steps):
    example = next(_EXAMPLES)
    proxy = base_device["proxy"]
    proxy.break_again(0.45)
    names = [f"d{i}" for i in range(n_devices)]
    made = {}
    for name in names:
        target = base_device["path"].parent / f"ex{example}-{name}"
        shutil.copytree(base_device["path"], target)
        made[name] = Device(target, server.url)
    world = World(server, made, proxy, timeout=1.0)
    try:
        for op, index, pick in steps:
            world.do(op, names[index % n_devices], pick)
        world.heal_and_check()
    finally:
        for device in made.values():
            device.close()


@pytest.fixture
def base_device(server, devices):
    """One synced device per test function; each example copies it (see `fleet`)."""
    base = devices("hbase")
    base.sync()
    base.close()
    proxy = FaultProxy(server.port, seed=1234, probability=0.45)
    yield {"path": base.path, "proxy": proxy}
    proxy.stop()
    assert proxy.faults() > 0, proxy.counts  # the examples' faulty syncs did meet faults


# -- e. a device clock a day off ---------------------------------------------------------------


def test_a_clock_a_day_off_neither_reorders_nor_loses_edits(server, devices, monkeypatch):
    ahead, behind = fleet(devices, server, ["ahead", "behind"])
    day = timedelta(days=1)
    clocks = {"ahead": lambda: now() + day, "behind": lambda: now() - day}

    def sync(device: Device, name: str):
        configured, token = device.store.outbox.sync_config()
        with SyncClient(device.store, configured, token, clock=clocks[name]) as client:
            return client.round()

    try:
        client = ahead.add_client(*new_person(), "Kello")
        sync(ahead, "ahead")
        sync(behind, "behind")
        # Offline on both: the device a day ahead edits first, the one a day behind later and
        # twice more, its clock stepping back again in between; each signs a contact.
        ahead.store.clients.update_client(client.id, clocks["ahead"](), phone="0401000001")
        first_contact = _sign_at(ahead, client.id, "Ensin", clocks["ahead"](), monkeypatch)
        behind.store.clients.update_client(client.id, clocks["behind"](), phone="0402000002")
        behind.store.clients.update_client(client.id, clocks["behind"]() - timedelta(hours=1), phone="0403000003")
        behind.store.clients.update_client(client.id, clocks["behind"]() - timedelta(hours=2), last_name="Myohemmin")
        second_contact = _sign_at(behind, client.id, "Toiseksi", clocks["behind"](), monkeypatch)
        sync(ahead, "ahead")  # reaches the server first, though its clock says tomorrow
        result = sync(behind, "behind")
        assert result.conflicts == 1  # its first edit was made without seeing the other's
        sync(ahead, "ahead")
        records = assert_converged(ahead, behind)
        # Server order decides: the edits that reached it last are kept, in the order made.
        kept = records[f"client:{client.id}"]
        assert (kept["phone"], kept["last_name"]) == ("+358403000003", "Myohemmin")
        signed = {c: datetime.fromisoformat(records[f"contact:{c}"]["signed_at"]) for c in (first_contact, second_contact)}
        assert signed[first_contact] - signed[second_contact] > timedelta(hours=47)  # as the clocks said
        central = server.central()
        try:
            # Both contacts once, in the order they reached the server (not by their clocks).
            first_seqs, second_seqs = log_seqs(central, "contact", first_contact), log_seqs(central, "contact", second_contact)
            assert len(first_seqs) == len(second_seqs) == 1
            assert first_seqs[0] < second_seqs[0]
            # The overwritten version is not silently dropped: kept as a conflict, shown on the
            # device that overwrote it.
            conflicts = [row for row in central.conflicts() if row["record_id"] == client.id]
            assert len(conflicts) == 1 and "+358401000001" in conflicts[0]["other"]
            assert [(p.kind, p.reason) for p in behind.store.outbox.sync_problems()] == [("conflict", "concurrent_edit")]
            assert central.records(RecordType.CLIENT)[client.id]["phone"] == "+358403000003"
        finally:
            central.close()
    finally:
        ahead.close()
        behind.close()


def _sign_at(device: Device, client_id: str, reason: str, moment: datetime, monkeypatch) -> str:
    """Sign a contact at the time the device's clock says (Device.sign_contact asks `now`)."""
    with monkeypatch.context() as patch:
        patch.setattr(sync_helpers, "now", lambda: moment.replace(microsecond=0))
        return device.sign_contact(client_id, reason).id


# -- f. what these tests found: three bugs, fixed in 1b77a9a; these keep them fixed -------------


def test_closing_a_follow_up_made_on_another_device_is_not_reported_as_a_conflict(server, devices):
    """Was: a pulled contact's follow-ups got no server sequence on the device (apply_page), so
    their first edit there went with base_seq 0 and came back as a concurrent edit."""
    a, b = fleet(devices, server, ["a", "b"])
    try:
        client = a.add_client(*new_person(), "Soitto")
        draft = a.sign_contact(client.id, "Takaisinsoitto")
        sync_all(a, b)
        follow_up_id = local_ids(b, "SELECT id FROM follow_up WHERE contact_id = :c", c=draft.id)[0]
        # B's worker closes A's callback task; nobody else touched it.
        b.store.worklist.set_follow_up_status(follow_up_id, FollowUpStatus.DONE, "Soitettu", now())
        result = b.sync()
        a.sync()
        records = assert_converged(a, b)
        assert records[f"follow_up:{follow_up_id}"]["status"] == "done"
        central = server.central()
        try:
            kept = [row for row in central.conflicts() if row["record_id"] == follow_up_id]
        finally:
            central.close()
        assert (result.accepted, result.conflicts) == (1, 0)
        assert not kept and not b.store.outbox.sync_problems()
    finally:
        a.close()
        b.close()


def test_an_edit_made_on_the_latest_version_of_a_client_of_two_units_is_not_a_conflict(server, devices):
    """A person known at two units is each unit's own copy (issue 14, docs/sync.md): the
    second unit naming the same person (same derived id) is accepted without a conflict, its
    edits reach its own devices only, and neither unit's edits are ever taken as concurrent
    with the other's. (Was: one shared record, whose numbering made a device of the first
    unit's next edit count as concurrent.)"""
    kesk = devices("kesk", "JL-KESK", ("health", "social"))
    pohj = devices("pohj", "JL-POHJ", ("health", "social"))
    born, individual = new_person()
    client = kesk.add_client(born, individual, "Kaksi")
    kesk.sync()
    pohj.sync()
    pohj.add_client(born, individual, "Kaksi", phone="0405550001")
    assert pohj.sync().conflicts == 0
    kesk.sync()
    results = []
    for device, phone in ((kesk, "0405550002"), (pohj, "0405550003"), (kesk, "0405550004"), (pohj, "0405550005")):
        device.sync()
        device.store.clients.update_client(client.id, now(), phone=phone)
        results.append(device.sync())
    kesk.sync()
    pohj.sync()
    assert kesk.store.clients.client(client.id).phone == "+358405550004"  # its own unit's latest
    assert pohj.store.clients.client(client.id).phone == "+358405550005"
    assert [r.conflicts for r in results] == [0, 0, 0, 0]
    central = server.central()
    try:
        assert [row for row in central.conflicts() if row["record_id"] == client.id] == []
    finally:
        central.close()


def test_a_booking_made_while_a_pull_is_in_flight_ends_as_the_server_has_it(server, devices, monkeypatch):
    """The app syncs in a background thread while the worker goes on working (app.py): here
    B's worker books a slot just as a pull that holds A's booking of it is being applied.
    Was: apply_page skipped the pulled slot (a local booking pending) yet moved the cursor
    past it, and the slot_taken rejection carried no server version: B never learnt who
    holds the slot and kept it as 'taken elsewhere' while A and the server had A's contact."""
    a, b = fleet(devices, server, ["a", "b"])
    try:
        slot_id = a.free_slot()
        assert b.free_slot() == slot_id
        client_b = b.add_client(*new_person(), "Toka")
        b.sync()
        first = a.sign_contact(a.add_client(*new_person(), "Eka").id, "Verenpaine", slot_id=slot_id)
        a.sync()
        pull_page = b.store.pull.apply_page
        booked: list[str] = []

        def booking_meanwhile(changes, last_seq, *rest, **named):
            if not booked:  # the slot is still free on B's screen
                booked.append(b.sign_contact(client_b.id, "Verenpaine", slot_id=slot_id).id)
            return pull_page(changes, last_seq, *rest, **named)

        with monkeypatch.context() as patch:
            patch.setattr(b.store.pull, "apply_page", booking_meanwhile)
            b.sync()  # pulls A's booking of the slot
        assert booked
        assert b.sync().rejected == 1  # the slot went to A's contact first
        sync_all(a, b)
        assert [(p.kind, p.reason) for p in b.store.outbox.sync_problems()] == [("rejected", "slot_taken")]
        records = assert_converged(a, b)
        assert records[f"slot:{slot_id}"]["booked_contact_id"] == first.id
    finally:
        a.close()
        b.close()
