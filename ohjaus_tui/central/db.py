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
import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine

from ..domain.codes import Channel, FollowUpKind, FollowUpStatus, Register, ServiceArea
from ..store.models import Assessment, Client, Contact, FollowUp, Outcome, SegmentChoice
from ..sync.protocol import MAX_TEXT, Answer, Change, PulledChange, Reason, RecordType, demo_token

SCHEMA_VERSION = 1
_SEQ = BigInteger().with_variant(Integer, "sqlite")

metadata = MetaData()

device = Table(
    "device",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("unit_code", String(64), nullable=False),
    Column("registers", String(40), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

change_log = Table(
    "change_log",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("record_type", String(20), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("unit_id", String(64)),  # NULL: every device of the region
    Column("register", String(10)),  # NULL: every register
    Column("data", Text, nullable=False),
    Column("device_id", String(36)),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
Index("change_log_record", change_log.c.record_type, change_log.c.record_id)

record = Table(
    "record",
    metadata,
    Column("record_type", String(20), primary_key=True),
    Column("record_id", String(64), primary_key=True),
    Column("data", Text, nullable=False),
    Column("seq", _SEQ, nullable=False),
    Column("device_id", String(36)),  # who wrote the current version
    Column("unit_id", String(64)),
    Column("register", String(10)),
    Column("parent_id", String(64)),  # contact: the version it corrects; follow-up: its contact
)
Index("record_parent", record.c.record_type, record.c.parent_id)

answer = Table(
    "answer",
    metadata,
    Column("device_id", String(36), primary_key=True),
    Column("change_id", String(36), primary_key=True),
    Column("status", String(10), nullable=False),
    Column("seq", _SEQ),
    Column("reason", String(30)),
    Column("detail", Text, nullable=False, default=""),
    Column("current", Text),
)

conflict = Table(
    "conflict",
    metadata,
    Column("id", _SEQ, primary_key=True, autoincrement=True),
    Column("record_type", String(20), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("change_id", String(36), nullable=False),
    Column("device_id", String(36), nullable=False),
    Column("reason", String(30), nullable=False),
    Column("kept", Text, nullable=False),
    Column("other", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

schema = Table("schema_version", metadata, Column("version", Integer, primary_key=True))



@dataclass(frozen=True)
class Device:
    id: str
    name: str
    unit_id: str
    unit_code: str
    registers: tuple[str, ...]


class Rejected(Exception):
    def __init__(self, reason: Reason, detail: str, current: dict | None = None) -> None:
        super().__init__(detail)
        self.reason, self.detail, self.current = reason, detail, current


def _now() -> datetime:
    return datetime.now(UTC)


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CentralStore:
    """hide_parameters: a database error never puts record values (client data) in a log."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_postgres = url.startswith("postgresql")
        if self.is_postgres and url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        if self.is_postgres:
            self.engine: Engine = create_engine(
                url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True
            )
        else:
            self.engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._push_lock = threading.Lock()
        metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            found = conn.execute(select(schema.c.version)).scalar()
            if found is None:
                conn.execute(insert(schema).values(version=SCHEMA_VERSION))
            elif found > SCHEMA_VERSION:
                raise RuntimeError(f"the central database has schema {found}; this server knows {SCHEMA_VERSION}")

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
        device_id = token.split(".")[1] if token.startswith("demo.") else token.split(".")[0]
        with self.engine.connect() as conn:
            row = conn.execute(select(device).where(device.c.id == device_id)).mappings().first()
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
        try:
            self._insert_device(device_id, f"demo {unit_code}", unit_id, unit_code, registers.split("+"), token)
        except Exception:  # enrolled meanwhile by a parallel request
            pass
        return self.authenticate(token, demo=False)

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

    def load_reference(self, record_type: RecordType, rows: list[dict]) -> int:
        """Add or update the region's units, workers, professionals and slots; a slot's
        booking is the server's own and is never reset by a reload. Returns changes logged."""
        logged = 0
        with self._push_lock, self.engine.begin() as conn:
            self._serialize(conn)
            existing = {
                record_id: data
                for record_id, data in conn.execute(
                    select(record.c.record_id, record.c.data).where(record.c.record_type == record_type.value)
                )
            }
            for row in rows:
                if record_type == RecordType.SLOT:
                    if row["id"] in existing:
                        continue
                    row = {**row, "booked_contact_id": None}
                data = _json(row)
                if existing.get(row["id"]) == data:
                    continue
                seq = self._log(conn, record_type, row["id"], data, None, None, None)
                self._put(conn, record_type, row["id"], data, seq, None, None, None, None, exists=row["id"] in existing)
                logged += 1
        return logged

    # -- push -------------------------------------------------------------------------------

    def push(self, dev: Device, changes: list[Change]) -> list[Answer]:
        """Apply a batch in one transaction; one answer per change. A change already
        answered (the same id from the same device) gets the same answer again."""
        with self._push_lock, self.engine.begin() as conn:
            self._serialize(conn)
            ids = [c.id for c in changes]
            known = {
                row["change_id"]: _stored_answer(row)
                for row in conn.execute(
                    select(answer).where(answer.c.device_id == dev.id).where(answer.c.change_id.in_(ids))
                ).mappings()
            }
            answers = []
            for change in changes:
                if change.id in known:
                    answers.append(known[change.id])
                    continue
                try:
                    result = self._apply(conn, dev, change)
                except Rejected as rejection:
                    result = Answer(
                        change_id=change.id,
                        status="rejected",
                        reason=rejection.reason,
                        detail=rejection.detail,
                        current=rejection.current,
                        seq=self._seq_of(conn, change) if rejection.current is not None else None,
                    )
                conn.execute(
                    insert(answer).values(
                        device_id=dev.id,
                        change_id=change.id,
                        status=result.status,
                        seq=result.seq,
                        reason=result.reason.value if result.reason else None,
                        detail=result.detail,
                        current=_json(result.current) if result.current is not None else None,
                    )
                )
                known[change.id] = result
                answers.append(result)
            return answers

    def _serialize(self, conn: Connection) -> None:
        if self.is_postgres:
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(804201)")

    def _seq_of(self, conn: Connection, change: Change) -> int | None:
        record_type = RecordType.SLOT if change.type == "booking" else RecordType(change.type)
        current = self._get(conn, record_type, change.record_id)
        return current["seq"] if current else None

    def _apply(self, conn: Connection, dev: Device, change: Change) -> Answer:
        handler = {
            "client": self._apply_client,
            "contact": self._apply_contact,
            "follow_up": self._apply_follow_up,
            "booking": self._apply_booking,
        }[change.type]
        return handler(conn, dev, change)

    def _apply_client(self, conn: Connection, dev: Device, change: Change) -> Answer:
        data = _validated(Client, change.data, change.record_id)
        text = _json(data)
        current = self._get(conn, RecordType.CLIENT, change.record_id)
        if current is None:
            seq = self._log(conn, RecordType.CLIENT, change.record_id, text, dev.unit_id, None, dev.id)
            self._put(conn, RecordType.CLIENT, change.record_id, text, seq, dev.id, dev.unit_id, None, None, exists=False)
            return _accepted(change, seq)
        units = self._client_units(conn, change.record_id)
        if current["data"] == text:
            if dev.unit_id not in units:  # the same person, now known at this unit too
                self._log(conn, RecordType.CLIENT, change.record_id, text, dev.unit_id, None, dev.id)
            return _accepted(change, current["seq"])
        # A newer version: the later one in server order is kept; when it was made without
        # seeing the current one (another device's), the overwritten one is kept as a conflict.
        concurrent = current["seq"] != change.base_seq and current["device_id"] != dev.id
        seq = 0
        for unit_id in sorted(units | {dev.unit_id}):
            seq = self._log(conn, RecordType.CLIENT, change.record_id, text, unit_id, None, dev.id)
        self._put(conn, RecordType.CLIENT, change.record_id, text, seq, dev.id, None, None, None, exists=True)
        if concurrent:
            self._conflict(conn, change, dev, Reason.CONCURRENT_EDIT, text, current["data"])
            return _accepted(change, seq, Reason.CONCURRENT_EDIT)
        return _accepted(change, seq)

    def _apply_contact(self, conn: Connection, dev: Device, change: Change) -> Answer:
        data = _contact_family(change.data, change.record_id)
        contact = data["contact"]
        register = ServiceArea(contact["service_area"]).register.value
        if contact["unit_id"] != dev.unit_id or register not in dev.registers:
            raise Rejected(Reason.OUT_OF_SCOPE, "the contact is not of this device's unit and register")
        text = _json(data)
        current = self._get(conn, RecordType.CONTACT, change.record_id)
        if current is not None:
            if current["data"] == text:
                return _accepted(change, current["seq"])
            raise Rejected(Reason.IMMUTABLE, "a signed contact cannot change; a correction is a new version")
        self._require(conn, RecordType.WORKER, contact["worker_id"])
        if contact["client_id"]:
            self._require(conn, RecordType.CLIENT, contact["client_id"])
        if contact["supersedes_id"]:
            self._require(conn, RecordType.CONTACT, contact["supersedes_id"])
        if data["outcome"] and data["outcome"]["slot_id"]:
            self._require(conn, RecordType.SLOT, data["outcome"]["slot_id"])
        for follow_up in data["follow_ups"]:
            self._require(conn, RecordType.WORKER, follow_up["assignee_id"])
        seq = self._log(conn, RecordType.CONTACT, change.record_id, text, dev.unit_id, register, dev.id)
        self._put(conn, RecordType.CONTACT, change.record_id, text, seq, dev.id, dev.unit_id, register, contact["supersedes_id"], exists=False)
        for follow_up in data["follow_ups"]:
            self._put(conn, RecordType.FOLLOW_UP, follow_up["id"], _json(follow_up), seq, dev.id, dev.unit_id, register, contact["id"], exists=False)
        if contact["supersedes_id"]:
            others = conn.execute(
                select(record.c.record_id)
                .where(record.c.record_type == RecordType.CONTACT.value)
                .where(record.c.parent_id == contact["supersedes_id"])
                .where(record.c.record_id != change.record_id)
            ).first()
            if others is not None:
                self._conflict(conn, change, dev, Reason.TWO_CORRECTIONS, text, _json({"contact_id": others[0]}))
                return _accepted(change, seq, Reason.TWO_CORRECTIONS)
        return _accepted(change, seq)

    def _apply_follow_up(self, conn: Connection, dev: Device, change: Change) -> Answer:
        data = _validated(FollowUp, change.data, change.record_id)
        FollowUpKind(data["kind"]), FollowUpStatus(data["status"])
        contact = self._require(conn, RecordType.CONTACT, data["contact_id"])
        if contact["unit_id"] != dev.unit_id or contact["register"] not in dev.registers:
            raise Rejected(Reason.OUT_OF_SCOPE, "the follow-up is not of this device's unit and register")
        self._require(conn, RecordType.WORKER, data["assignee_id"])
        text = _json(data)
        current = self._get(conn, RecordType.FOLLOW_UP, change.record_id)
        conflict_with = None
        if current is not None:
            if current["data"] == text:
                return _accepted(change, current["seq"])
            concurrent = current["seq"] != change.base_seq and current["device_id"] != dev.id
            closed = json.loads(current["data"])["status"] in (FollowUpStatus.DONE.value, FollowUpStatus.CANCELLED.value)
            if concurrent and closed:
                # A task closed on another device first stays closed.
                raise Rejected(Reason.FOLLOW_UP_CLOSED, "the follow-up was closed on another device first", json.loads(current["data"]))
            if concurrent:
                conflict_with = current["data"]
        seq = self._log(conn, RecordType.FOLLOW_UP, change.record_id, text, contact["unit_id"], contact["register"], dev.id)
        self._put(conn, RecordType.FOLLOW_UP, change.record_id, text, seq, dev.id, contact["unit_id"], contact["register"], data["contact_id"], exists=current is not None)
        if conflict_with is not None:
            self._conflict(conn, change, dev, Reason.CONCURRENT_EDIT, text, conflict_with)
            return _accepted(change, seq, Reason.CONCURRENT_EDIT)
        return _accepted(change, seq)

    def _apply_booking(self, conn: Connection, dev: Device, change: Change) -> Answer:
        data = change.data
        if set(data) != {"slot_id", "contact_id", "previous_contact_id"} or not all(
            value is None or (isinstance(value, str) and len(value) <= 64) for value in data.values()
        ) or data["slot_id"] != change.record_id:
            raise Rejected(Reason.INVALID, "a booking has slot_id (the record id), contact_id and previous_contact_id")
        slot = self._require(conn, RecordType.SLOT, data["slot_id"])
        for key in ("contact_id", "previous_contact_id"):
            if data[key]:
                contact = self._require(conn, RecordType.CONTACT, data[key])
                if contact["unit_id"] != dev.unit_id:
                    raise Rejected(Reason.OUT_OF_SCOPE, "the contact is not of this device's unit")
        slot_data = json.loads(slot["data"])
        holder = slot_data.get("booked_contact_id")
        wanted, previous = data["contact_id"], data["previous_contact_id"]
        if wanted is None:  # given back: only by the contact that held it
            if holder is None or holder != previous:
                return _accepted(change, slot["seq"])
        elif holder not in (None, wanted, previous):
            raise Rejected(Reason.SLOT_TAKEN, "another device booked this time first")
        if holder == wanted:
            return _accepted(change, slot["seq"])
        slot_data["booked_contact_id"] = wanted
        text = _json(slot_data)
        seq = self._log(conn, RecordType.SLOT, slot_data["id"], text, None, None, dev.id)
        self._put(conn, RecordType.SLOT, slot_data["id"], text, seq, dev.id, None, None, None, exists=True)
        return _accepted(change, seq)

    # -- helpers ----------------------------------------------------------------------------

    def _get(self, conn: Connection, record_type: RecordType, record_id: str) -> dict | None:
        row = conn.execute(
            select(record).where(record.c.record_type == record_type.value).where(record.c.record_id == record_id)
        ).mappings().first()
        return dict(row) if row else None

    def _require(self, conn: Connection, record_type: RecordType, record_id: str) -> dict:
        row = self._get(conn, record_type, record_id)
        if row is None:
            raise Rejected(Reason.UNKNOWN_REFERENCE, f"no {record_type.value} {record_id} on the server")
        return row

    def _client_units(self, conn: Connection, client_id: str) -> set[str]:
        rows = conn.execute(
            select(change_log.c.unit_id)
            .where(change_log.c.record_type == RecordType.CLIENT.value)
            .where(change_log.c.record_id == client_id)
            .distinct()
        )
        return {unit_id for (unit_id,) in rows if unit_id}

    def _log(self, conn, record_type, record_id, data, unit_id, register, device_id) -> int:
        result = conn.execute(
            insert(change_log).values(
                record_type=record_type.value,
                record_id=record_id,
                unit_id=unit_id,
                register=register,
                data=data,
                device_id=device_id,
                received_at=_now(),
            )
        )
        return result.inserted_primary_key[0]

    def _put(self, conn, record_type, record_id, data, seq, device_id, unit_id, register, parent_id, *, exists) -> None:
        values = dict(data=data, seq=seq, device_id=device_id)
        if exists:
            conn.execute(
                update(record)
                .where(record.c.record_type == record_type.value)
                .where(record.c.record_id == record_id)
                .values(**values)
            )
        else:
            conn.execute(
                insert(record).values(
                    record_type=record_type.value,
                    record_id=record_id,
                    unit_id=unit_id,
                    register=register,
                    parent_id=parent_id,
                    **values,
                )
            )

    def _conflict(self, conn, change: Change, dev: Device, reason: Reason, kept: str, other: str) -> None:
        conn.execute(
            insert(conflict).values(
                record_type=change.type,
                record_id=change.record_id,
                change_id=change.id,
                device_id=dev.id,
                reason=reason.value,
                kept=kept,
                other=other,
                at=_now(),
            )
        )

    # -- pull -------------------------------------------------------------------------------

    def pull(self, dev: Device, after: int, limit: int) -> tuple[list[PulledChange], int, bool]:
        query = (
            select(change_log.c.seq, change_log.c.record_type, change_log.c.record_id, change_log.c.data)
            .where(change_log.c.seq > after)
            .where(or_(change_log.c.unit_id.is_(None), change_log.c.unit_id == dev.unit_id))
            .where(or_(change_log.c.register.is_(None), change_log.c.register.in_(dev.registers)))
            .order_by(change_log.c.seq)
            .limit(limit + 1)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        more = len(rows) > limit
        rows = rows[:limit]
        changes = [
            PulledChange(seq=seq, type=RecordType(kind), record_id=record_id, data=json.loads(data))
            for seq, kind, record_id, data in rows
        ]
        return changes, (rows[-1][0] if rows else after), more

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

    def log_count(self, record_type: RecordType | None = None) -> int:
        from sqlalchemy import func

        query = select(func.count()).select_from(change_log)
        if record_type is not None:
            query = query.where(change_log.c.record_type == record_type.value)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()


def _sqlite_pragmas(connection, _record) -> None:
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA busy_timeout = 30000")


def _stored_answer(row) -> Answer:
    return Answer(
        change_id=row["change_id"],
        status=row["status"],
        seq=row["seq"],
        reason=Reason(row["reason"]) if row["reason"] else None,
        detail=row["detail"] or "",
        current=json.loads(row["current"]) if row["current"] else None,
    )


def _accepted(change: Change, seq: int, reason: Reason | None = None) -> Answer:
    detail = ""
    if reason == Reason.CONCURRENT_EDIT:
        detail = "changed on another device too; this version is kept and the other is saved as a conflict"
    elif reason == Reason.TWO_CORRECTIONS:
        detail = "another correction of the same contact exists; both are kept"
    return Answer(change_id=change.id, status="accepted", seq=seq, reason=reason, detail=detail)


def _validated(model: type, data: dict, record_id: str) -> dict:
    """The record as the model reads it, or Rejected(INVALID) saying which field is wrong."""
    if not isinstance(data, dict):
        raise Rejected(Reason.INVALID, "the record must be an object")
    unknown = set(data) - set(model.model_fields)
    if unknown:
        raise Rejected(Reason.INVALID, f"unknown fields: {', '.join(sorted(unknown))[:200]}")
    try:
        row = model.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:5]
        )
        raise Rejected(Reason.INVALID, problems[:1000]) from None
    dumped = row.model_dump(mode="json")
    missing = [
        name for name, field in model.model_fields.items() if field.is_required() and name not in data
    ]
    if missing:
        raise Rejected(Reason.INVALID, f"missing fields: {', '.join(missing)}")
    for name, value in dumped.items():
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise Rejected(Reason.INVALID, f"{name}: longer than {MAX_TEXT} characters")
    if dumped.get("id") != record_id:
        raise Rejected(Reason.INVALID, "the record's id is not the change's record_id")
    return dumped


def _contact_family(data: dict, record_id: str) -> dict:
    expected = {"contact", "assessment", "segment", "outcome", "follow_ups"}
    if not isinstance(data, dict) or set(data) != expected:
        raise Rejected(Reason.INVALID, f"a contact has exactly: {', '.join(sorted(expected))}")
    contact = _validated(Contact, data["contact"], record_id)
    if contact["status"] != "signed":
        raise Rejected(Reason.INVALID, "only signed contacts are sent")
    try:
        ServiceArea(contact["service_area"])
        Channel(contact["channel"])
    except ValueError:
        raise Rejected(Reason.INVALID, "unknown service area or channel") from None
    family = {"contact": contact}
    for key, model in (("assessment", Assessment), ("segment", SegmentChoice), ("outcome", Outcome)):
        child = data[key]
        if child is None:
            family[key] = None
            continue
        if not isinstance(child, dict):
            raise Rejected(Reason.INVALID, f"{key} must be an object or null")
        family[key] = _validated(model, child, child.get("id", ""))
        if family[key]["contact_id"] != record_id:
            raise Rejected(Reason.INVALID, f"{key} belongs to another contact")
    if not isinstance(data["follow_ups"], list) or len(data["follow_ups"]) > 20:
        raise Rejected(Reason.INVALID, "follow_ups must be a list of at most 20")
    family["follow_ups"] = []
    for item in data["follow_ups"]:
        if not isinstance(item, dict):
            raise Rejected(Reason.INVALID, "a follow-up must be an object")
        follow_up = _validated(FollowUp, item, item.get("id", ""))
        if follow_up["contact_id"] != record_id:
            raise Rejected(Reason.INVALID, "a follow-up belongs to another contact")
        family["follow_ups"].append(follow_up)
    return family


