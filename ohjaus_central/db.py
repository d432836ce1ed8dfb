"""The central store: devices, the change log with its sequence, the current version of
every record, the answer given to every change, and the conflicts kept.

The same code runs on SQLite (one file, `ohjaus serve` anywhere) and PostgreSQL (a region).
Pushes are applied one batch at a time (a lock in the process, and on PostgreSQL an advisory
lock for several processes), so sequence numbers become visible in order: a device that
pulled up to N never misses a change numbered below N that was still being written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from ohjaus_core.domain.access_log import GENESIS, Entry, _iso, entry_hash
from ohjaus_core.domain.codes import Register
from ohjaus_core.domain.credentials import DEFAULT_COST, Verifier, needs_upgrade
from ohjaus_core.domain.identity import client_id_for
from ohjaus_core.protocol import (
    AccessEntry, AccessLogAnchor, Answer, Change, Enrolment, QuarantineReport, RecordType, demo_token,
)
from ohjaus_core.settings import settings
from .batch import (
    TAKEN, Batch, Prepared, _json, among, among_sql, driver_rows, prepare_push, references, stored_answer,
)
from .schema import check as check_schema
from .schema import upgrade as upgrade_schema
from .tables import (
    access_event,
    answer,
    change_log,
    client_release,
    conflict,
    device,
    device_log_anchor,
    device_quarantine,
    enrolment,
    integration,
    metadata,
    record,
    region_file,
    slot_source,
    server_access_event,
)

WORKER_ACTIVE = "active"
WORKER_STATUSES = (WORKER_ACTIVE, "locked", "removed")  # a worker record's `status` (absent: active)
ANSWER_COLUMNS = ("device_id", "change_id", "status", "seq", "reason", "detail", "current")
AUTH_CACHE_SECONDS = settings().auth_cache
AUTH_CACHE_SIZE = 10_000  # credentials remembered (valid ones only): more than a region's devices


@dataclass(frozen=True)
class Device:
    id: str
    name: str
    unit_id: str
    unit_code: str
    registers: tuple[str, ...]
    integration: bool = False  # a phone system's credential: POST /v1/callbacks only


def _now() -> datetime:
    return datetime.now(UTC)


def _not_after_receipt(at, received_at) -> datetime:
    """An access event's time as the client is told it: the device's own clock, but never later
    than the server received the entry. A device whose clock ran a day ahead would otherwise
    show a view as tomorrow's and list it first (issue 14); its own log keeps its own time."""
    moment = at if isinstance(at, datetime) else datetime.fromisoformat(at)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if received_at is None:
        return moment
    received = received_at if isinstance(received_at, datetime) else datetime.fromisoformat(received_at)
    received = received if received.tzinfo else received.replace(tzinfo=UTC)
    return min(moment, received)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CentralStore:
    """hide_parameters: a database error never puts record values (client data) in a log."""

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        self.url = url
        self.is_postgres = url.startswith("postgresql")
        if self.is_postgres and url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        if self.is_postgres:
            self.engine: Engine = create_engine(
                url, pool_size=10, max_overflow=20, pool_recycle=1800, hide_parameters=True
            )
        else:
            self.engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._push_lock = threading.Lock()
        self._pull_sql: dict[int, str] = {}
        self._auth_cache: OrderedDict[str, tuple[float, Device]] = OrderedDict()
        self._auth_lock = threading.Lock()
        self._writer = _Writer(self)
        # The schema is Alembic's (central/schema.py): the server and the administrator's
        # commands pass upgrade=False and are refused by a database behind the code; a library
        # caller (tests, benches) upgrades it, as `ohjaus db upgrade` does.
        if upgrade:
            self.schema_found = upgrade_schema(self.engine, self.url)[0]
        else:
            self.schema_found = check_schema(self.engine, self.url)

    def close(self) -> None:
        self.engine.dispose()

    # -- devices ----------------------------------------------------------------------------

    def add_device(self, unit_code: str, registers: list[str], name: str) -> tuple[str, str]:
        """Enrol a device for a unit and its registers; returns (device id, credential).
        Only a hash of the credential is kept."""
        unit_id = self._unit_id(unit_code)
        for register in registers:
            Register(register)
        device_id = str(uuid.uuid4())
        token = f"{device_id}.{secrets.token_urlsafe(32)}"
        self._insert_device(device_id, name, unit_id, unit_code, registers, token)
        return device_id, token

    def _insert_device(self, device_id, name, unit_id, unit_code, registers, token) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(device).values(
                    id=device_id,
                    name=name[:200],
                    unit_id=unit_id,
                    unit_code=unit_code,
                    registers=",".join(registers),
                    token_hash=_hash(token),
                    created_at=_now(),
                )
            )

    def add_integration(self, unit_code: str, registers: list[str], name: str) -> tuple[str, str]:
        """A phone system's credential for one unit and its registers (POST /v1/callbacks
        only); returns (id, credential). Only a hash of the credential is kept."""
        unit_id = self._unit_id(unit_code)
        for register in registers:
            Register(register)
        integration_id = str(uuid.uuid4())
        token = f"{integration_id}.{secrets.token_urlsafe(32)}"
        with self.engine.begin() as conn:
            conn.execute(
                insert(integration).values(
                    id=integration_id, name=name[:200], unit_id=unit_id, unit_code=unit_code,
                    registers=",".join(registers), token_hash=_hash(token), created_at=_now(),
                )
            )
        return integration_id, token

    def integrations(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(integration).order_by(integration.c.created_at)).mappings()
            return [{k: v for k, v in row.items() if k != "token_hash"} for row in rows]

    def revoke_integration(self, integration_id: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                update(integration).where(integration.c.id == integration_id).where(integration.c.revoked_at.is_(None))
                .values(revoked_at=_now())
            )
            return result.rowcount == 1

    # -- callback requests from a phone system ------------------------------------------------

    def push_callback(self, dev: Device, request: "CallbackRequest") -> tuple[str, bool]:
        """A callback request pushed by the phone system (or a device), or a digital contact
        request from an e-service form (origin e_service): the unit's queue gets
        it at the devices' next pull. Its id is derived from the phone system's id, as a file
        import's is, so pushed twice (or pushed and imported from a file) it is one request.
        Returns (the request's id, whether it is new); CallbackRefused when it does not fit
        the credential or the same id came with other content."""
        from ohjaus_core.domain.callbacks import callback_id
        from ohjaus_core.domain.contact_requests import SOURCE_PREFIX as E_SERVICE_PREFIX
        from .batch import CALLBACK_REQUEST, Rejected, callback_record

        if request.origin != "e_service" and request.source.startswith(E_SERVICE_PREFIX):
            raise CallbackRefused(422, "id", f"a phone system's id may not begin with {E_SERVICE_PREFIX!r}")
        if request.unit_code and request.unit_code != dev.unit_code:
            raise CallbackRefused(422, "unit", f"this credential is for unit {dev.unit_code}")
        if request.register.value not in dev.registers:
            raise CallbackRefused(422, "register", f"this credential is for {', '.join(dev.registers)}")
        record_id = callback_id(request.source)
        client_id = client_id_for(request.identity_code) if request.identity_code else None
        if client_id is not None and not self.knows_client(dev, client_id):
            client_id = None  # a person the unit has not met: the device searches by phone
        data = {
            "id": record_id, "unit_id": dev.unit_id, "sector": request.register.value, "client_id": client_id,
            "name": request.name, "phone": request.phone, "reason": request.reason,
            "requested_at": request.requested_at.isoformat(), "status": "open", "taken_by": None, "contact_id": None,
            "result": "", "source": request.source, "imported_at": _now().isoformat(), "queue": request.queue,
            "language": request.language, "priority": request.priority, "attempts": 0,
            "first_attempt_at": None, "last_attempt_at": None, "origin": request.origin,
            "answers": json.dumps(request.answers, sort_keys=True), "other_answers": request.other_answers,
            "own_urgency": request.own_urgency, "preference": request.preference,
            "identity_code": request.identity_code if request.origin == "e_service" else None,
            "protocol_id": request.protocol_id,
        }
        try:
            data = callback_record(data, record_id)
        except Rejected as rejection:
            raise CallbackRefused(422, "", rejection.detail) from None
        with _Writing(self) as conn:
            batch = Batch(conn, dev)
            batch.load({(RecordType.CALLBACK.value, record_id)}, set(), set())
            current = batch.get(RecordType.CALLBACK, record_id)
            if current is not None:
                held = json.loads(current["data"])
                differ = [k for k in CALLBACK_REQUEST if k not in ("unit_id", "source") and k in held and held[k] != data[k]]
                if differ or held.get("unit_id") != dev.unit_id:
                    # Never which fields differ, nor whether another unit holds the id: the
                    # answer would let a credential test another unit's client data field by
                    # field (review of issue 20).
                    raise CallbackRefused(409, "id", "a request with this id was received before with other content")
                return record_id, False
            text = _json(data)
            seq = batch.log(RecordType.CALLBACK, record_id, text, dev.unit_id, data["sector"])
            batch.put(RecordType.CALLBACK, record_id, text, seq, dev.unit_id, data["sector"])
            batch.flush()
        return record_id, True

    def revoke_device(self, device_id: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                update(device).where(device.c.id == device_id).where(device.c.revoked_at.is_(None)).values(revoked_at=_now())
            )
            return result.rowcount == 1

    def devices(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(device).order_by(device.c.created_at)).mappings()
            return [{k: v for k, v in row.items() if k != "token_hash"} for row in rows]

    def authenticate(self, token: str, *, demo: bool) -> Device | None:
        """The device a credential belongs to, or None. A known credential is remembered
        for AUTH_CACHE_SECONDS (default 5): a revocation takes effect within that time.
        Only credentials that were valid are remembered, the last AUTH_CACHE_SIZE of them."""
        cached = self._auth_cache.get(token)
        if cached is not None and time.monotonic() - cached[0] < AUTH_CACHE_SECONDS:
            return cached[1]
        found = self._authenticate(token, demo)
        with self._auth_lock:
            if found is None:
                self._auth_cache.pop(token, None)
            else:
                self._auth_cache[token] = (time.monotonic(), found)
                self._auth_cache.move_to_end(token)
                while len(self._auth_cache) > AUTH_CACHE_SIZE:
                    self._auth_cache.popitem(last=False)
        return found

    def recognised(self, token: str) -> Device | None:
        """The device of a credential checked recently (within AUTH_CACHE_SECONDS), with no
        database work; None when it must be checked."""
        cached = self._auth_cache.get(token)
        if cached is not None and time.monotonic() - cached[0] < AUTH_CACHE_SECONDS:
            return cached[1]
        return None

    def was_valid(self, token: str) -> bool:
        """Whether the credential was valid when last checked (it is checked again, but not
        counted against its address as an unknown one is)."""
        return token in self._auth_cache

    def _authenticate(self, token: str, demo: bool) -> Device | None:
        device_id = token.split(".")[1] if token.startswith("demo.") else token.split(".")[0]
        with self.engine.connect() as conn:
            row = conn.execute(select(device).where(device.c.id == device_id)).mappings().first()
        if row is None:
            with self.engine.connect() as conn:
                row = conn.execute(select(integration).where(integration.c.id == device_id)).mappings().first()
            if row is not None:
                if row["revoked_at"] is not None or not hmac.compare_digest(row["token_hash"], _hash(token)):
                    return None
                return Device(
                    row["id"], row["name"], row["unit_id"], row["unit_code"], tuple(row["registers"].split(",")),
                    integration=True,
                )
        if row is not None:
            if row["revoked_at"] is not None or not hmac.compare_digest(row["token_hash"], _hash(token)):
                return None
            return Device(row["id"], row["name"], row["unit_id"], row["unit_code"], tuple(row["registers"].split(",")))
        if demo and token.startswith("demo."):
            return self._enrol_demo(token)
        return None

    def _enrol_demo(self, token: str) -> Device | None:
        parts = token.split(".")
        if len(parts) != 5:
            return None
        _demo, device_id, unit_code, registers, _mac = parts
        if not hmac.compare_digest(token, demo_token(device_id, unit_code, registers.split("+"))):
            return None
        try:
            unit_id = self._unit_id(unit_code)
            uuid.UUID(device_id)
        except (KeyError, ValueError):
            return None
        for attempt in range(20):
            try:
                with self._push_lock:  # one writer in this process; SQLite's busy wait beside others
                    self._insert_device(device_id, f"demo {unit_code}", unit_id, unit_code, registers.split("+"), token)
                break
            except IntegrityError:  # enrolled meanwhile by a parallel request
                break
            except OperationalError:  # the database was busy: try again shortly
                time.sleep(0.05 * (attempt + 1))
        return self._authenticate(token, demo=False)

    def _unit_id(self, unit_code: str) -> str:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(record.c.record_id, record.c.data).where(record.c.record_type == RecordType.UNIT.value)
            )
            for record_id, data in rows:
                if json.loads(data)["code"] == unit_code:
                    return record_id
        raise KeyError(unit_code)

    def unit_codes(self) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(record.c.data).where(record.c.record_type == RecordType.UNIT.value))
            return sorted(json.loads(data)["code"] for (data,) in rows)

    # -- reference data ---------------------------------------------------------------------

    def load_reference(self, record_type: RecordType, rows: list[dict], *, follow_slots: bool = False) -> "Loaded":
        """Add or update the region's units, workers, professionals and slots in one
        transaction; returns what was added and changed (each change is logged, and devices
        take it at their next pull). A slot's booking is the server's own and never reset by a
        reload. A slot already held is left as it is, unless `follow_slots` (a region's import,
        where the scheduling system's files are the truth): then a free one takes the file's
        time, length and mode (a retired one comes back), and a booked one is kept as it is
        and counted in `kept_booked`."""
        added = changed = kept_booked = 0
        with _Writing(self) as conn:
            batch = Batch(conn, None)
            batch.load({(record_type.value, row["id"]) for row in rows}, set(), set())
            for row in rows:
                current = batch.get(record_type, row["id"])
                if record_type == RecordType.SLOT:
                    if current is not None and not follow_slots:
                        continue
                    holder = json.loads(current["data"]).get("booked_contact_id") if current else None
                    if holder is not None and holder != TAKEN:
                        if _json({**row, "booked_contact_id": holder}) != current["data"]:
                            kept_booked += 1
                        continue
                    row = {**row, "booked_contact_id": None}
                elif record_type == RecordType.WORKER and current is not None:
                    # A removal or lock-out made on the server (set_worker_status) holds through
                    # a region's import and the demo's reload, whatever status the rows carry.
                    held = json.loads(current["data"]).get("status")
                    row = {**row, "status": held} if held else {k: v for k, v in row.items() if k != "status"}
                data = _json(row)
                if current is not None and current["data"] == data:
                    continue
                seq = batch.log(record_type, row["id"], data, None, None)
                batch.put(record_type, row["id"], data, seq)
                if current is None:
                    added += 1
                else:
                    changed += 1
            batch.flush()
        return Loaded(added, changed, kept_booked)

    def retire_slots(self, keep: set[str], after: datetime) -> "Retired":
        """Free slots starting after `after` that are not in `keep` (a region's import: no
        longer in its scheduling system's files) are retired: held as taken by no one, so no
        device offers them and a booking into one is refused (`slot_taken`); an import that
        lists one again brings it back. A booked slot is never retired or removed: those
        missing from the files are counted in `booked_missing`. Returns the counts."""
        retired = booked_missing = 0
        with _Writing(self) as conn:
            rows = conn.execute(
                select(record.c.record_id, record.c.data).where(record.c.record_type == RecordType.SLOT.value)
            ).all()
            gone = []
            for record_id, data in rows:
                if record_id in keep:
                    continue
                slot = json.loads(data)
                if datetime.fromisoformat(slot["starts_at"]) <= after:
                    continue
                if slot.get("booked_contact_id") is None:
                    gone.append(slot)
                elif slot["booked_contact_id"] != TAKEN:
                    booked_missing += 1
            batch = Batch(conn, None)
            batch.load({(RecordType.SLOT.value, slot["id"]) for slot in gone}, set(), set())
            for slot in gone:
                text = _json({**slot, "booked_contact_id": TAKEN})
                seq = batch.log(RecordType.SLOT, slot["id"], text, None, None)
                batch.put(RecordType.SLOT, slot["id"], text, seq)
                retired += 1
            batch.flush()
        return Retired(retired, booked_missing)

    def slot_states(self) -> dict[str, str]:
        """Every slot's state: `free`, `booked` or `retired`."""
        states = {}
        for slot_id, slot in self.records(RecordType.SLOT).items():
            holder = slot.get("booked_contact_id")
            states[slot_id] = "free" if holder is None else "retired" if holder == TAKEN else "booked"
        return states

    # -- workers' enrolment -----------------------------------------------------------------

    def add_worker(self, row: dict) -> tuple[Loaded, str]:
        """Add or update a worker (as a region's import does) and give them a new one-time
        enrolment code (any earlier one stops working); returns what changed and the code,
        which is shown once and kept only as its SHA-256."""
        loaded = self.load_reference(RecordType.WORKER, [row])
        self.set_worker_status(row["id"], WORKER_ACTIVE)  # a removed or locked worker added again is let in
        code = "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(3))
        with self.engine.begin() as conn:
            conn.execute(delete(enrolment).where(enrolment.c.worker_id == row["id"]))
            conn.execute(insert(enrolment).values(worker_id=row["id"], code_hash=_hash(_code(code)), created_at=_now()))
        return loaded, code

    def worker_by_username(self, username: str) -> dict | None:
        with self.engine.connect() as conn:
            rows = conn.execute(select(record.c.data).where(record.c.record_type == RecordType.WORKER.value))
            return next((data for (text,) in rows if (data := json.loads(text))["username"] == username), None)

    def set_worker_status(self, worker_id: str, status: str) -> bool:
        """A worker locked out, removed, or let back in (`ohjaus worker lock|remove|unlock`):
        the worker's record carries its status to every device at its next pull, and the
        devices refuse the worker's sign-in while it is not active; nothing the worker made is
        touched. Locking or removing also revokes an unused enrolment code. Returns whether
        the status changed."""
        if status not in WORKER_STATUSES:
            raise ValueError(status)
        with _Writing(self) as conn:
            batch = Batch(conn, None)
            batch.load({(RecordType.WORKER.value, worker_id)}, set(), set())
            current = batch.get(RecordType.WORKER, worker_id)
            if current is None:
                raise KeyError(worker_id)
            data = json.loads(current["data"])
            changed = data.get("status", WORKER_ACTIVE) != status
            if changed:
                text = _json({**data, "status": status})
                seq = batch.log(RecordType.WORKER, worker_id, text, None, None)
                batch.put(RecordType.WORKER, worker_id, text, seq)
            if status != WORKER_ACTIVE:
                conn.execute(
                    update(enrolment)
                    .where(enrolment.c.worker_id == worker_id)
                    .where(enrolment.c.used_at.is_(None))
                    .where(enrolment.c.revoked_at.is_(None))
                    .values(revoked_at=_now())
                )
            batch.flush()
        return changed

    def enrol(self, dev: Device, body: Enrolment) -> int:
        """A worker's first sign-in on a device of their unit: the one-time code, and the
        verifier the device made from the passphrase. The verifier is logged for the devices
        of the worker's unit; the code is used up. Raises EnrolRefused."""
        worker = self._worker(body.worker_id)
        refused = EnrolRefused(403, "the enrolment code is not right or was used, or the worker is not of this device's unit")
        if worker is None or worker["unit_id"] != dev.unit_id or worker["sector"] not in dev.registers:
            raise refused
        if worker.get("status", WORKER_ACTIVE) != WORKER_ACTIVE:
            raise refused
        try:
            cost = json.loads(body.verifier.params)
        except ValueError:
            raise EnrolRefused(422, "the verifier's params are not JSON") from None
        if not isinstance(cost, dict) or set(cost) != set(DEFAULT_COST) or any(
            not isinstance(v, int) or isinstance(v, bool) or v > 2**22 for v in cost.values()
        ):
            raise EnrolRefused(422, "the verifier's params are not the KDF's")
        if needs_upgrade(Verifier(body.verifier.kdf, body.verifier.params, b"", b"")):
            raise EnrolRefused(422, "the verifier's cost is below the minimum")
        with _Writing(self) as conn:
            row = conn.execute(select(enrolment).where(enrolment.c.worker_id == body.worker_id)).mappings().first()
            if row is None or row["used_at"] is not None or row["revoked_at"] is not None or not hmac.compare_digest(row["code_hash"], _hash(_code(body.code))):
                raise refused
            conn.execute(update(enrolment).where(enrolment.c.worker_id == body.worker_id).values(used_at=_now()))
            batch = Batch(conn, dev)
            batch.load({(RecordType.CREDENTIAL.value, body.worker_id)}, set(), set())
            data = _json({"worker_id": body.worker_id, **body.verifier.model_dump(), "set_at": _now().isoformat()})
            seq = batch.log(RecordType.CREDENTIAL, body.worker_id, data, worker["unit_id"], None)
            batch.put(RecordType.CREDENTIAL, body.worker_id, data, seq, worker["unit_id"], None)
            batch.flush()
        return seq

    # -- a region's own files ---------------------------------------------------------------

    def put_region_files(self, files: dict[str, bytes], sources: dict[str, str]) -> None:
        """The region's files as imported (replacing the ones before) and the scheduling
        system's id of each imported slot."""
        with self.engine.begin() as conn:
            conn.execute(delete(region_file))
            if files:
                now = _now()
                conn.execute(insert(region_file), [dict(name=n, content=c, imported_at=now) for n, c in files.items()])
            held = dict(conn.execute(select(slot_source.c.slot_id, slot_source.c.source)).all())
            new = [dict(slot_id=k, source=v) for k, v in sources.items() if k not in held]
            moved = [dict(key_id=k, new_source=v) for k, v in sources.items() if k in held and held[k] != v]
            if new:
                conn.execute(insert(slot_source), new)
            if moved:
                conn.execute(
                    update(slot_source).where(slot_source.c.slot_id == bindparam("key_id")).values(source=bindparam("new_source")),
                    moved,
                )

    def region_files(self) -> dict[str, bytes]:
        with self.engine.connect() as conn:
            return {name: bytes(content) for name, content in conn.execute(select(region_file.c.name, region_file.c.content))}

    def slot_sources(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return dict(conn.execute(select(slot_source.c.slot_id, slot_source.c.source)).all())

    # -- push -------------------------------------------------------------------------------

    def push(self, dev: Device, changes: list[Change]) -> list[Answer]:
        """Apply a batch in one transaction; one answer per change. A change already
        answered (the same id from the same device) gets the same answer again."""
        answers = self._push_group([(dev, changes)])[0]
        if isinstance(answers, Revoked):
            raise answers
        return answers

    def submit(self, dev: Device, changes: list[Change], prepared: list[Prepared] | None = None) -> Future:
        """`push` through the writer thread: pushes that arrive while one is being written
        go together in the next transaction (group commit: one lock, one disk flush), each
        answered as if alone. The future's result is the list of answers. `prepared` is
        `prepare_push(changes)` done by the caller in its own thread (issue 18: the checks
        then do not wait in line with the writes); without it the writer does it."""
        return self._writer.submit(dev, changes, prepared)

    def _push_group(
        self, requests: list[tuple[Device, list[Change]]], ready: list[list[Prepared] | None] | None = None
    ) -> list[list[Answer] | Revoked]:
        ready = ready or [None] * len(requests)
        prepared = [  # before the lock
            items if items is not None else prepare_push(changes)
            for (_dev, changes), items in zip(requests, ready)
        ]
        keys, clients, corrected = references([item for items in prepared for item in items])
        ids = sorted({change.id for _dev, changes in requests for change in changes})
        devices = sorted({dev.id for dev, _changes in requests})
        with _Writing(self) as conn:
            # A device revoked since its credential was checked (the check is remembered a
            # few seconds) is refused here, in the transaction that would write its push.
            where, params = among_sql(conn, "id", devices)
            revoked = {row[0] for row in driver_rows(conn, f"SELECT id FROM device WHERE revoked_at IS NOT NULL AND {where}", params)}
            known: dict[tuple[str, str], Answer] = {}
            devices_in, device_params = among_sql(conn, "device_id", devices)
            for start in range(0, len(ids), 500):
                # device_id: the primary key's first column, an index lookup
                where, params = among_sql(conn, "change_id", ids[start : start + 500])
                rows = driver_rows(
                    conn, f"SELECT {', '.join(ANSWER_COLUMNS)} FROM answer WHERE {devices_in} AND {where}",
                    [*device_params, *params],
                )
                known.update(((row[0], row[1]), stored_answer(dict(zip(ANSWER_COLUMNS, row)))) for row in rows)
            batch = Batch(conn, None)
            batch.load(keys, clients, corrected)
            results = []
            for (dev, _changes), items in zip(requests, prepared):
                if dev.id in revoked:
                    results.append(Revoked(dev.id))
                    continue
                batch.device = dev
                answers = []
                for item in items:
                    result = known.get((dev.id, item.change.id))
                    if result is None:
                        result = batch.apply(item)
                        batch.answered(result)
                        known[(dev.id, item.change.id)] = result
                    answers.append(result)
                results.append(answers)
            batch.flush()
            return results

    # -- pull -------------------------------------------------------------------------------

    def pull(self, dev: Device, after: int, limit: int) -> tuple[list[tuple[int, str, str, str]], int, bool]:
        """Rows (seq, type, record id, data as stored JSON text) after `after`, in order,
        only what the device may see; the text goes to the device as it is stored. Raises
        Revoked when the device's credential has been revoked (checked in the same
        statement, so a revocation counts from the next request whatever was cached)."""
        sql = self._pull_sql.get(len(dev.registers))
        if sql is None:
            sql = self._pull_sql[len(dev.registers)] = _pull_statement(len(dev.registers), self.is_postgres)
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(sql, (dev.id, after, dev.unit_id, *dev.registers, limit + 1))
            rows = cursor.fetchall()
            cursor.close()
        finally:
            raw.close()
        if rows and rows[0][1] is None:  # the sentinel row, first in seq order (seq 0)
            raise Revoked(dev.id)
        more = len(rows) > limit
        rows = rows[:limit]
        if any(kind == _SLOT for _seq, kind, _record_id, _data in rows):
            with self.engine.connect() as conn:
                rows = self._visible_slots(conn, dev, rows)
        return rows, (rows[-1][0] if rows else after), more

    def active(self, dev: Device) -> bool:
        """Whether the credential is still valid (not revoked since it was checked): a device's
        in the device table, a phone system's in the integration table."""
        table = integration if dev.integration else device
        with self.engine.connect() as conn:
            return conn.execute(
                select(table.c.id).where(table.c.id == dev.id).where(table.c.revoked_at.is_(None))
            ).first() is not None

    def _visible_slots(self, conn: Connection, dev: Device, rows: list[tuple]) -> list[tuple]:
        """Slots go to every device, but a slot's holder only to the devices that may see
        the holding contact (its unit and register); the others get TAKEN."""
        holders = {}
        for number, (_seq, kind, _record_id, data) in enumerate(rows):
            if kind == RecordType.SLOT.value and '"booked_contact_id":"' in data:
                slot = json.loads(data)
                if slot["booked_contact_id"] != TAKEN:
                    holders[number] = slot
        if not holders:
            return rows
        ids = sorted({slot["booked_contact_id"] for slot in holders.values()})
        visible = set()
        for start in range(0, len(ids), 500):
            visible.update(
                conn.execute(
                    select(record.c.record_id)
                    .where(record.c.record_type == RecordType.CONTACT.value)
                    .where(among(conn, record.c.record_id, ids[start : start + 500]))
                    .where(record.c.unit_id == dev.unit_id)
                    .where(record.c.register.in_(dev.registers))
                ).scalars()
            )
        rows = list(rows)
        for number, slot in holders.items():
            if slot["booked_contact_id"] not in visible:
                seq, kind, record_id, _data = rows[number]
                rows[number] = (seq, kind, record_id, _json({**slot, "booked_contact_id": TAKEN}))
        return rows

    # -- the access log ---------------------------------------------------------------------

    def add_access_events(self, dev: Device, entries: list[AccessEntry]) -> tuple[int, int]:
        """Take a device's access-log entries, all or none: each must be what its hash says,
        and they must continue the chain the server holds for the device (the next number,
        linked to the held entry before it). An entry already held is accepted again if it
        is the same. Returns (entries new to the server, the device's last seq held now).
        Raises AccessLogRefused naming the first entry that fails."""
        ordered = sorted(entries, key=lambda e: e.seq)
        if not ordered:
            return 0, self.access_log_held(dev.id)
        workers = {w: self._worker(w) for w in {e.worker_id for e in ordered}}
        known = self._known_clients(dev, sorted({e.client_id for e in ordered if e.client_id}))
        for number, entry in enumerate(ordered):
            if number and entry.seq == ordered[number - 1].seq:
                raise AccessLogRefused(422, entry.seq, "sent twice in one request")
            if entry_hash(_entry(entry)) != entry.hash:
                raise AccessLogRefused(422, entry.seq, "its hash does not match its content: changed after it was written")
            if entry.unit_id != dev.unit_id:
                raise AccessLogRefused(422, entry.seq, "written at another unit than this device's")
            worker = workers[entry.worker_id]
            if worker is None or worker["unit_id"] != dev.unit_id or worker.get("sector") not in dev.registers:
                raise AccessLogRefused(422, entry.seq, "its worker is not a worker of this device's unit and register")
            if entry.client_id and entry.client_id not in known:
                raise AccessLogRefused(422, entry.seq, "about a client this device's unit does not know")
        first, last = ordered[0].seq, ordered[-1].seq
        now = _now()
        with _Writing(self) as conn:
            held = {
                row.seq: row.hash
                for row in conn.execute(
                    select(access_event.c.seq, access_event.c.hash)
                    .where(access_event.c.device_id == dev.id)
                    .where(access_event.c.seq.between(first - 1, last))
                )
            }
            last_held = conn.execute(
                select(func.max(access_event.c.seq)).where(access_event.c.device_id == dev.id)
            ).scalar() or 0
            previous = GENESIS if first == 1 else held.get(first - 1)
            rows = []
            for entry in ordered:
                if entry.seq in held:
                    if held[entry.seq] != entry.hash:
                        raise AccessLogRefused(409, entry.seq, "differs from the entry the server holds under this number")
                    previous = entry.hash
                    continue
                if entry.seq != last_held + 1:
                    raise AccessLogRefused(
                        409, entry.seq, f"does not follow the entries the server holds: entries {last_held + 1}-{entry.seq - 1} are missing"
                    )
                if entry.prev_hash != previous:
                    raise AccessLogRefused(409, entry.seq, f"not linked to entry {entry.seq - 1} as the server holds it")
                rows.append(
                    dict(
                        device_id=dev.id, seq=entry.seq, id=entry.id, at=_iso(entry.at), worker_id=entry.worker_id,
                        unit_id=entry.unit_id, client_id=entry.client_id, action=entry.action, item=entry.item,
                        sector=entry.sector, purpose=entry.purpose, recipient=entry.recipient,
                        prev_hash=entry.prev_hash, hash=entry.hash, received_at=now,
                    )
                )
                previous, last_held = entry.hash, entry.seq
            if rows:
                conn.execute(insert(access_event), rows)
        return len(rows), last_held

    def device_state(
        self, dev: Device, anchor: AccessLogAnchor, quarantine: list[QuarantineReport]
    ) -> tuple[int, int]:
        """A device's claim about its own access log (count and last hash), sent at every
        sync, checked against the entries the server holds and the highest claim it has
        seen: a log that shrank or whose held tail was re-hashed is refused (409, naming
        the first missing entry) and nothing is stored. And the pulled records the device
        keeps aside, by id and reason. Returns (the highest count seen, reports new here)."""
        now = _now()
        with _Writing(self) as conn:
            held = conn.execute(
                select(access_event.c.seq, access_event.c.hash)
                .where(access_event.c.device_id == dev.id)
                .order_by(access_event.c.seq.desc())
                .limit(1)
            ).first()
            stored = conn.execute(
                select(device_log_anchor.c.count, device_log_anchor.c.hash).where(device_log_anchor.c.device_id == dev.id)
            ).first()
            highest = max(held.seq if held else 0, stored.count if stored else 0)
            if anchor.count < highest:
                missing = f"entry {highest} is" if anchor.count + 1 == highest else f"entries {anchor.count + 1}-{highest} are"
                raise AccessLogRefused(
                    409, anchor.count + 1,
                    f"the device's access log has {anchor.count} entries, it had {highest}: {missing} missing",
                )
            for known in (held, stored):
                count = known[0] if known else 0
                if known and anchor.count == count and anchor.hash != known[1]:
                    raise AccessLogRefused(
                        409, anchor.count, f"its last entry {anchor.count} differs from the one the server holds: rewritten"
                    )
            if stored is None:
                conn.execute(insert(device_log_anchor).values(device_id=dev.id, count=anchor.count, hash=anchor.hash, at=now))
            elif anchor.count > stored.count:
                conn.execute(
                    update(device_log_anchor)
                    .where(device_log_anchor.c.device_id == dev.id)
                    .values(count=anchor.count, hash=anchor.hash, at=now)
                )
            received = 0
            if quarantine:
                have = set(
                    conn.execute(
                        select(device_quarantine.c.seq)
                        .where(device_quarantine.c.device_id == dev.id)
                        .where(device_quarantine.c.seq.in_([q.seq for q in quarantine]))
                    ).scalars()
                )
                rows = {
                    q.seq: dict(device_id=dev.id, seq=q.seq, record_type=q.type.value, record_id=q.record_id,
                                reason=q.reason, at=now)
                    for q in quarantine if q.seq not in have
                }
                if rows:
                    conn.execute(insert(device_quarantine), list(rows.values()))
                received = len(rows)
        return max(highest, anchor.count), received

    def quarantine_reports(self, device_id: str | None = None) -> list[dict]:
        query = select(device_quarantine).order_by(device_quarantine.c.device_id, device_quarantine.c.seq)
        if device_id is not None:
            query = query.where(device_quarantine.c.device_id == device_id)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def _worker(self, worker_id: str) -> dict | None:
        with self.engine.connect() as conn:
            data = conn.execute(
                select(record.c.data)
                .where(record.c.record_type == RecordType.WORKER.value)
                .where(record.c.record_id == worker_id)
            ).scalar()
        return json.loads(data) if data else None

    def _known_clients(self, dev: Device, client_ids: list[str]) -> set[str]:
        """Those of the clients the device's unit knows (see knows_client)."""
        known: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(client_ids), 500):
                known.update(
                    conn.execute(
                        select(change_log.c.record_id)
                        .where(change_log.c.record_type == RecordType.CLIENT.value)
                        .where(among(conn, change_log.c.record_id, client_ids[start : start + 500]))
                        .where(change_log.c.unit_id == dev.unit_id)
                        .distinct()
                    ).scalars()
                )
        return known

    def access_log_held(self, device_id: str) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.max(access_event.c.seq)).where(access_event.c.device_id == device_id)
            ).scalar() or 0

    def knows_client(self, dev: Device, client_id: str) -> bool:
        """Whether the device's unit has sent the client or been sent it (the change log
        holds a client entry for the unit)."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(change_log.c.seq)
                .where(change_log.c.record_type == RecordType.CLIENT.value)
                .where(change_log.c.record_id == client_id)
                .where(change_log.c.unit_id == dev.unit_id)
                .limit(1)
            ).first() is not None

    # -- clients leaving a unit's devices (issue 20) -------------------------------------------

    def release_client(self, unit_code: str, client_id: str, *, undo: bool = False) -> bool:
        """The unit no longer serves the client (or, with `undo`, serves them again): its
        devices remove the client at their next sync, or take the client back whole. Nothing
        of the client's records changes here. Returns whether anything changed; KeyError for
        an unknown unit, LookupError for a client the unit never knew."""
        unit_id = self._unit_id(unit_code)
        with self.engine.begin() as conn:
            known = conn.execute(
                select(change_log.c.seq)
                .where(change_log.c.record_type == RecordType.CLIENT.value)
                .where(change_log.c.record_id == client_id)
                .where(change_log.c.unit_id == unit_id)
                .limit(1)
            ).first()
            if known is None:
                raise LookupError(client_id)
            where = (client_release.c.unit_id == unit_id) & (client_release.c.client_id == client_id)
            held = conn.execute(select(client_release.c.client_id).where(where)).first() is not None
            if undo:
                if held:
                    conn.execute(delete(client_release).where(where))
                return held
            if not held:
                conn.execute(insert(client_release).values(unit_id=unit_id, client_id=client_id, released_at=_now()))
            return not held

    def released(self, dev: Device) -> list[str]:
        """The clients the device's unit no longer serves (and only its unit's)."""
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(client_release.c.client_id)
                    .where(client_release.c.unit_id == dev.unit_id)
                    .order_by(client_release.c.client_id)
                ).scalars()
            )

    def client_records(self, dev: Device, client_id: str) -> list[tuple[int, str, str, str]] | None:
        """Every record about a client the device's unit serves, as a pull would have sent
        them to this device (the latest version of each it may see: its unit's and
        registers'), in server order; None for a client its unit does not know or no longer
        serves. For a device that removed the client and now takes them back whole."""
        if not self.knows_client(dev, client_id):
            return None
        with self.engine.connect() as conn:
            if conn.execute(
                select(client_release.c.client_id)
                .where(client_release.c.unit_id == dev.unit_id)
                .where(client_release.c.client_id == client_id)
            ).first() is not None:
                return None
            visible = (
                (change_log.c.unit_id.is_(None) | (change_log.c.unit_id == dev.unit_id))
                & (change_log.c.register.is_(None) | change_log.c.register.in_(dev.registers))
            )
            columns = (change_log.c.seq, change_log.c.record_type, change_log.c.record_id, change_log.c.data)
            types = [t.value for t in (
                RecordType.CLIENT, RecordType.CONTACT, RecordType.FOLLOW_UP, RecordType.CONSENT,
                RecordType.CALLBACK, RecordType.MISSED_APPOINTMENT, RecordType.APPOINTMENT,
            )]
            latest: dict[tuple[str, str], tuple] = {}
            rows = conn.execute(
                select(*columns)
                .where(visible)
                .where(change_log.c.record_type.in_(types))
                .where(change_log.c.data.contains(client_id, autoescape=True))
                .order_by(change_log.c.seq)
            )
            for row in rows:
                latest[(row[1], row[2])] = tuple(row)
            about: dict[tuple[str, str], tuple] = {}
            for key, row in latest.items():
                data = json.loads(row[3])
                owner = (
                    key[1] if key[0] == RecordType.CLIENT.value
                    else (data.get("contact") or {}).get("client_id") if key[0] == RecordType.CONTACT.value
                    else data.get("client_id")
                )
                if owner == client_id:
                    about[key] = row
            # A follow-up without the client's id, made by one of the client's contacts; the
            # slots the client's contacts booked.
            follow_ups, slots = set(), set()
            for (kind, _id), row in about.items():
                if kind == RecordType.CONTACT.value:
                    family = json.loads(row[3])
                    follow_ups.update(f["id"] for f in family.get("follow_ups") or [])
                    if (family.get("outcome") or {}).get("slot_id"):
                        slots.add(family["outcome"]["slot_id"])
            for kind, ids in ((RecordType.FOLLOW_UP.value, sorted(follow_ups)), (RecordType.SLOT.value, sorted(slots))):
                for start in range(0, len(ids), 500):
                    query = (
                        select(*columns)
                        .where(change_log.c.record_type == kind)
                        .where(among(conn, change_log.c.record_id, ids[start : start + 500]))
                        .order_by(change_log.c.seq)
                    )
                    if kind != RecordType.SLOT.value:
                        query = query.where(visible)
                    for row in conn.execute(query):
                        about[(row[1], row[2])] = tuple(row)
            rows = sorted(about.values(), key=lambda row: row[0])
            if any(row[1] == _SLOT for row in rows):
                rows = self._visible_slots(conn, dev, rows)
        return rows

    def record_server_access(self, dev: Device, client_id: str, action: str, item: str, purpose: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(server_access_event).values(
                    at=_iso(_now()), device_id=dev.id, unit_id=dev.unit_id, client_id=client_id,
                    action=action, item=item, purpose=purpose,
                )
            )

    def client_access_log(self, client_id: str, limit: int, unit_id: str) -> tuple[list[dict], bool]:
        """The client's access events from every device of the unit, and the server's own
        for the unit, newest first; each with the worker's name when known and the code of
        the unit of the device. Another unit's events are never given (that unit may know
        the person under its own identification, docs/sync.md)."""
        with self.engine.connect() as conn:
            units = {row.id: row.unit_code for row in conn.execute(select(device.c.id, device.c.unit_code))}
            events = [
                {**dict(row), "source": "device"}
                for row in conn.execute(
                    select(
                        access_event.c.device_id, access_event.c.seq, access_event.c.at, access_event.c.worker_id,
                        access_event.c.action, access_event.c.item, access_event.c.sector,
                        access_event.c.purpose, access_event.c.recipient, access_event.c.received_at,
                    )
                    .where(access_event.c.client_id == client_id)
                    .where(access_event.c.unit_id == unit_id)
                    .order_by(access_event.c.at.desc(), access_event.c.seq.desc())
                    .limit(limit + 1)
                ).mappings()
            ]
            events += [
                {**dict(row), "seq": row["id"], "worker_id": None, "sector": None, "recipient": "", "source": "server"}
                for row in conn.execute(
                    select(
                        server_access_event.c.id, server_access_event.c.device_id, server_access_event.c.at,
                        server_access_event.c.action, server_access_event.c.item, server_access_event.c.purpose,
                    )
                    .where(server_access_event.c.client_id == client_id)
                    .where(server_access_event.c.unit_id == unit_id)
                    .order_by(server_access_event.c.at.desc(), server_access_event.c.id.desc())
                    .limit(limit + 1)
                ).mappings()
            ]
            ids = sorted({e["worker_id"] for e in events if e["worker_id"]})
            names = {}
            for start in range(0, len(ids), 500):
                rows = conn.execute(
                    select(record.c.record_id, record.c.data)
                    .where(record.c.record_type == RecordType.WORKER.value)
                    .where(among(conn, record.c.record_id, ids[start : start + 500]))
                )
                names.update((worker_id, json.loads(data)["name"]) for worker_id, data in rows)
        for event in events:
            event["at"] = _not_after_receipt(event["at"], event.get("received_at"))
        events.sort(key=lambda e: (e["at"], e["source"] == "device", e["seq"]), reverse=True)
        more = len(events) > limit
        out = [
            {
                "at": e["at"],
                "worker_name": names.get(e["worker_id"]) if e["worker_id"] else None,
                "action": e["action"],
                "item": e["item"],
                "sector": e["sector"],
                "purpose": e["purpose"],
                "recipient": e["recipient"],
                "unit_code": units.get(e["device_id"], ""),
                "source": e["source"],
            }
            for e in events[:limit]
        ]
        return out, more

    def server_access_events(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(server_access_event).order_by(server_access_event.c.id)).mappings()
            return [dict(row) for row in rows]

    def access_events(self, device_id: str | None = None) -> list[dict]:
        query = select(access_event).order_by(access_event.c.device_id, access_event.c.seq)
        if device_id is not None:
            query = query.where(access_event.c.device_id == device_id)
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    # -- inspection (tests, admin) ----------------------------------------------------------

    def records(self, record_type: RecordType) -> dict[str, dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(record.c.record_id, record.c.data).where(record.c.record_type == record_type.value)
            )
            return {record_id: json.loads(data) for record_id, data in rows}

    def conflicts(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(select(conflict).order_by(conflict.c.id)).mappings()]

    def log_max(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(change_log.c.seq))).scalar() or 0

    def log_count(self, record_type: RecordType | None = None) -> int:
        query = select(func.count()).select_from(change_log)
        if record_type is not None:
            query = query.where(change_log.c.record_type == record_type.value)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()


# One-time enrolment codes: 12 of these 31 letters and digits (no 0/O, 1/I/L), about 59 bits.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _code(text: str) -> str:
    """A code as typed: case, spaces and dashes do not matter."""
    return "".join(text.split()).replace("-", "").upper()


class CallbackRefused(Exception):
    """A pushed callback request not taken: the status, the field (or "") and why."""

    def __init__(self, status: int, where: str, problem: str) -> None:
        super().__init__(problem)
        self.status, self.where, self.problem = status, where, problem


class EnrolRefused(Exception):
    def __init__(self, status: int, problem: str) -> None:
        super().__init__(problem)
        self.status, self.problem = status, problem


@dataclass(frozen=True)
class Loaded:
    added: int
    changed: int
    kept_booked: int = 0

    @property
    def logged(self) -> int:
        return self.added + self.changed


@dataclass(frozen=True)
class Retired:
    retired: int
    booked_missing: int


class AccessLogRefused(Exception):
    """A device's access-log entries the server does not take: the status (409: they do not
    continue what the server holds; 422: an entry is not what it claims), the entry's number
    and what is wrong. Nothing of the request is stored."""

    def __init__(self, status: int, seq: int, problem: str) -> None:
        super().__init__(problem)
        self.status, self.seq, self.problem = status, seq, problem


def _entry(row: AccessEntry) -> Entry:
    return Entry(
        seq=row.seq, id=row.id, at=row.at, worker_id=row.worker_id, unit_id=row.unit_id,
        client_id=row.client_id, action=row.action, item=row.item, sector=row.sector,
        purpose=row.purpose, recipient=row.recipient, prev_hash=row.prev_hash, hash=row.hash,
    )


def _sqlite_pragmas(connection, _record) -> None:
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA busy_timeout = 30000")




_SLOT = RecordType.SLOT.value


class Revoked(Exception):
    """The device's credential was revoked; found while its request was served (401)."""


def _pull_statement(registers: int, is_postgres: bool) -> str:
    """The pull as driver SQL, made once per number of registers (issue 18: no statement
    built or compiled per request; psycopg prepares it on the server after a few uses).
    A first row (seq 0, no type) says the device is revoked: one round trip for both.
    Parameters: device id, after, unit id, the registers, limit."""
    marks = ", ".join("?" * registers)
    sql = (
        "SELECT 0, NULL, NULL, NULL WHERE NOT EXISTS "
        "(SELECT 1 FROM device WHERE id = ? AND revoked_at IS NULL) "
        "UNION ALL SELECT * FROM (SELECT seq, record_type, record_id, data FROM change_log WHERE seq > ? "
        f"AND (unit_id IS NULL OR unit_id = ?) AND (register IS NULL OR register IN ({marks})) "
        "ORDER BY seq LIMIT ?) AS page ORDER BY 1"
    )
    return sql.replace("?", "%s") if is_postgres else sql


class _Writing:
    """A write transaction no other push runs beside: the process lock, and on PostgreSQL
    an advisory lock (several server processes), on SQLite BEGIN IMMEDIATE. Sequence numbers
    are given inside it, so they become visible in order."""

    def __init__(self, store: CentralStore) -> None:
        self.store = store

    def __enter__(self) -> Connection:
        self.store._push_lock.acquire()
        try:
            self.conn = self.store.engine.connect()
            if self.store.is_postgres:
                self.transaction = self.conn.begin()
                self.conn.exec_driver_sql("SELECT pg_advisory_xact_lock(804201)")
            else:
                self.conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.store._push_lock.release()
            raise
        return self.conn

    def __exit__(self, kind, _value, _traceback) -> None:
        try:
            if self.store.is_postgres:
                if kind is None:
                    self.transaction.commit()
                else:
                    self.transaction.rollback()
            else:
                self.conn.exec_driver_sql("COMMIT" if kind is None else "ROLLBACK")
        finally:
            self.conn.close()
            self.store._push_lock.release()


class _Writer:
    """One thread that writes pushes, several at a time when they queue up."""

    GROUP = 64  # requests in one transaction at most

    def __init__(self, store: CentralStore) -> None:
        self.store = store
        self.queue: queue.Queue = queue.Queue()
        self.thread: threading.Thread | None = None
        self.starting = threading.Lock()

    def submit(self, dev: Device, changes: list[Change], prepared: list[Prepared] | None) -> Future:
        future: Future = Future()
        self.queue.put((dev, changes, prepared, future))
        if self.thread is None:
            with self.starting:
                if self.thread is None:
                    self.thread = threading.Thread(target=self._run, name="central-writer", daemon=True)
                    self.thread.start()
        return future

    def _run(self) -> None:
        while True:
            group = [self.queue.get()]
            while len(group) < self.GROUP:
                try:
                    group.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            try:
                results = self.store._push_group(
                    [(dev, changes) for dev, changes, _prepared, _future in group],
                    [prepared for _dev, _changes, prepared, _future in group],
                )
            except Exception:
                # One request's trouble must not fail the others: each again, alone.
                for dev, changes, prepared, future in group:
                    try:
                        answers = self.store._push_group([(dev, changes)], [prepared])[0]
                        if isinstance(answers, Revoked):
                            raise answers
                        future.set_result(answers)
                    except Exception as error:
                        future.set_exception(error)
                continue
            for (_dev, _changes, _prepared, future), answers in zip(group, results):
                if isinstance(answers, Revoked):
                    future.set_exception(answers)
                else:
                    future.set_result(answers)
