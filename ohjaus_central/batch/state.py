"""A batch's state under the push lock: every record it refers to, read once per record type
(`references`, `BatchState.load`), the rows it will write (`log`, `put`, `flush`), and who
may refer to what (the device's unit and registers)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from operator import itemgetter

from sqlalchemy import String, any_, bindparam, insert, literal, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from ohjaus_core.protocol import Answer, Change, Reason, RecordType
from ..tables import answer, change_log, conflict, record
from .checks import Rejected, _json
from .prepare import Prepared

CHUNK = 500
# A slot's holder as a device that may not see the holding contact gets it: taken, by whom
# not said (a device reads any holder it does not hold as "taken elsewhere").
TAKEN = "00000000-0000-0000-0000-000000000000"


def _accepted(change: Change, seq: int, reason: Reason | None = None) -> Answer:
    detail = ""
    if reason == Reason.CONCURRENT_EDIT:
        detail = "changed on another device too; this version is kept and the other is saved as a conflict"
    elif reason == Reason.TWO_CORRECTIONS:
        detail = "another correction of the same contact exists; both are kept"
    return Answer(change_id=change.id, status="accepted", seq=seq, reason=reason, detail=detail)


def stored_answer(row) -> Answer:
    return Answer(
        change_id=row["change_id"],
        status=row["status"],
        seq=row["seq"],
        reason=Reason(row["reason"]) if row["reason"] else None,
        detail=row["detail"] or "",
        current=json.loads(row["current"]) if row["current"] else None,
    )


def among(conn: Connection, column, values: list[str]):
    """`column IN values`; on PostgreSQL as `= ANY(array)`, one parameter instead of
    hundreds (planning a 500-parameter IN was most of a batch's read time)."""
    if conn.dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(String)))
    return column.in_(values)


def driver_rows(conn: Connection, sql: str, params: tuple | list = ()) -> list[tuple]:
    """Rows of driver SQL (`?` marks; `%s` on PostgreSQL) run on the connection's own
    transaction: no statement built, compiled or wrapped per call (issue 18: most of a
    small push's CPU was SQLAlchemy making its handful of reads)."""
    if conn.dialect.name == "postgresql":
        sql = sql.replace("?", "%s")
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def among_sql(conn: Connection, column: str, values: list[str]) -> tuple[str, list]:
    """`column IN (...)` as driver SQL and its parameters; on PostgreSQL `= ANY(array)`, one
    parameter (see among)."""
    if conn.dialect.name == "postgresql":
        return f"{column} = ANY(?)", [list(values)]
    return f"{column} IN ({', '.join('?' * len(values))})", list(values)


def insert_rows(conn: Connection, table, rows: list[dict]) -> None:
    """`insert(table)` of the rows (dicts with the same keys) as one driver executemany on the
    connection's own transaction, each value through its column type's bind processing as
    SQLAlchemy would (a time's text on SQLite): issue 18, SQLAlchemy's per-row parameter work
    was a third of a push's writing."""
    names = list(rows[0])
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    columns = f"{quote(table.name)} ({', '.join(map(quote, names))})"
    if dialect.name == "postgresql":
        # COPY: one statement for all the rows, each row's values adapted by psycopg in C (issue
        # 18: a push group's ~200 change-log and ~200 record rows as executemany were most of
        # the time the writer holds the push lock). A duplicate key fails it as it would fail
        # the INSERT, and the transaction with it.
        values = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
        cursor = conn.connection.cursor()
        try:
            with cursor.copy(f"COPY {columns} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(values(row))
        finally:
            cursor.close()
        return
    sql = f"INSERT INTO {columns} VALUES ({', '.join(['?'] * len(names))})"
    processors = [(index, processor) for index, name in enumerate(names)
                  if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None]
    values = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    params = list(map(values, rows))
    if processors:
        params = [list(row) for row in params]
        for index, processor in processors:
            # A value shared by every row (the batch's one time received) converted once.
            given, made = object(), None
            for row in params:
                value = row[index]
                if value is not given:
                    given, made = value, processor(value)
                row[index] = made
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()


RECORD_COLUMNS = ("record_type", "record_id", "data", "seq", "device_id", "unit_id", "register", "parent_id")
_RECORD_SELECT = f"SELECT {', '.join(RECORD_COLUMNS)} FROM record WHERE record_type = ? AND "


class BatchState:
    """The state a batch works on, and the rows it will write; its rules: rules.Batch."""

    def __init__(self, conn: Connection, device, head: int | None = None) -> None:
        """`head`: the last sequence number given, when the caller read it under the push lock
        itself (else read here: the caller holds the lock)."""
        self.conn, self.device = conn, device
        self.now = datetime.now(UTC)
        self.records: dict[tuple[str, str], dict | None] = {}
        self.client_units: dict[str, set[str]] = defaultdict(set)
        self.corrections: dict[str, set[str]] = defaultdict(set)  # corrected id -> correcting ids
        if head is None:
            head = driver_rows(conn, "SELECT max(seq) FROM change_log")[0][0] or 0
        self.next_seq = head + 1
        self.log_rows: list[dict] = []
        self.new_records: dict[tuple[str, str], dict] = {}
        self.changed_records: dict[tuple[str, str], dict] = {}
        self.answer_rows: list[dict] = []
        self.conflict_rows: list[dict] = []
        self.workers: dict[str, tuple[str, dict]] = {}  # worker id -> (its stored text, read)

    # -- reading, once per batch ---------------------------------------------------------------

    def load(self, keys: set[tuple[str, str]], clients: set[str], corrected: set[str]) -> None:
        by_type: dict[str, list[str]] = defaultdict(list)
        for record_type, record_id in keys:
            self.records[(record_type, record_id)] = None
            by_type[record_type].append(record_id)
        conn = self.conn
        for record_type, ids in by_type.items():
            for start in range(0, len(ids), CHUNK):
                where, params = among_sql(conn, "record_id", ids[start : start + CHUNK])
                for row in driver_rows(conn, _RECORD_SELECT + where, [record_type, *params]):
                    self.records[(record_type, row[1])] = dict(zip(RECORD_COLUMNS, row))
        clients_sql = "SELECT DISTINCT record_id, unit_id FROM change_log WHERE record_type = ? AND "
        for record_id, unit_id in self._rows_among(clients_sql, RecordType.CLIENT, "record_id", clients):
            if unit_id:
                self.client_units[record_id].add(unit_id)
        corrections_sql = "SELECT record_id, parent_id FROM record WHERE record_type = ? AND "
        for record_id, parent_id in self._rows_among(corrections_sql, RecordType.CONTACT, "parent_id", corrected):
            self.corrections[parent_id].add(record_id)

    def _rows_among(self, sql: str, record_type: RecordType, column: str, values: set[str]) -> list[tuple]:
        """The rows of `sql` (ending in AND) for a record type and `column` among the values."""
        ids, rows = sorted(values), []
        for start in range(0, len(ids), CHUNK):
            where, params = among_sql(self.conn, column, ids[start : start + CHUNK])
            rows += driver_rows(self.conn, sql + where, [record_type.value, *params])
        return rows

    def get(self, record_type: RecordType, record_id: str | None) -> dict | None:
        if record_id is None:
            return None
        return self.records.get((record_type._value_, record_id))

    def require(self, record_type: RecordType, record_id: str) -> dict:
        row = self.get(record_type, record_id)
        if row is None:
            raise Rejected(Reason.UNKNOWN_REFERENCE, f"no {record_type.value} {record_id} on the server")
        return row

    # -- writing, at the end ---------------------------------------------------------------------

    def log(self, record_type: RecordType, record_id: str, text: str, unit_id, register) -> int:
        seq = self.next_seq
        self.next_seq += 1
        self.log_rows.append(
            dict(
                seq=seq,
                record_type=record_type._value_,
                record_id=record_id,
                unit_id=unit_id,
                register=register,
                data=text,
                device_id=self.device.id if self.device else None,
                received_at=self.now,
            )
        )
        return seq

    def put(self, record_type: RecordType, record_id: str, text: str, seq: int, unit_id=None, register=None, parent_id=None) -> None:
        key = (record_type._value_, record_id)
        device_id = self.device.id if self.device else None
        existing = self.records.get(key)
        row = dict(
            record_type=key[0],
            record_id=record_id,
            data=text,
            seq=seq,
            device_id=device_id,
            unit_id=existing["unit_id"] if existing else unit_id,
            register=existing["register"] if existing else register,
            parent_id=existing["parent_id"] if existing else parent_id,
        )
        if key in self.new_records or existing is None:
            self.new_records[key] = row
        else:
            self.changed_records[key] = row
        self.records[key] = row

    def flush(self) -> None:
        conn = self.conn
        if self.log_rows:
            insert_rows(conn, change_log, self.log_rows)
        if self.new_records:
            insert_rows(conn, record, list(self.new_records.values()))
        if self.changed_records:
            conn.execute(
                update(record)
                .where(record.c.record_type == bindparam("key_type"))
                .where(record.c.record_id == bindparam("key_id"))
                .values(data=bindparam("data"), seq=bindparam("seq"), device_id=bindparam("device_id")),
                [
                    {"key_type": r["record_type"], "key_id": r["record_id"], "data": r["data"], "seq": r["seq"], "device_id": r["device_id"]}
                    for r in self.changed_records.values()
                ],
            )
        if self.answer_rows:
            insert_rows(conn, answer, self.answer_rows)
        if self.conflict_rows:
            conn.execute(insert(conflict), self.conflict_rows)

    def answered(self, result: Answer) -> None:
        self.answer_rows.append(
            dict(
                device_id=self.device.id,
                change_id=result.change_id,
                status=result.status,
                seq=result.seq,
                reason=result.reason.value if result.reason else None,
                detail=result.detail,
                current=_json(result.current) if result.current is not None else None,
            )
        )

    def conflict(self, change: Change, reason: Reason, kept: str, other: str) -> None:
        self.conflict_rows.append(
            dict(
                record_type=change.type,
                record_id=change.record_id,
                change_id=change.id,
                device_id=self.device.id,
                reason=reason.value,
                kept=kept,
                other=other,
                at=self.now,
            )
        )

    # -- who may refer to what --------------------------------------------------------------------

    def knows(self, client_id: str) -> bool:
        """Whether the device's unit knows the client: one of its devices sent it (the change
        log holds a client entry for the unit)."""
        return self.device.unit_id in self.client_units[client_id]

    def require_client(self, client_id: str) -> None:
        """A client the device's unit knows; any other (another unit's, or none) is refused
        the same way, so that the answer does not tell which ids exist."""
        if not self.knows(client_id):
            raise Rejected(Reason.OUT_OF_SCOPE, "no such client at this device's unit")

    def require_worker(self, worker_id: str, role: str) -> dict:
        """A worker of the device's unit, in one of its registers."""
        worker = self.require(RecordType.WORKER, worker_id)
        text = worker["data"]
        known = self.workers.get(worker_id)
        if known is not None and known[0] is text:
            data = known[1]
        else:  # a worker's record read once a batch (issue 18: every contact names one or two)
            data = json.loads(text)
            self.workers[worker_id] = (text, data)
        if data["unit_id"] != self.device.unit_id or data.get("sector") not in self.device.registers:
            raise Rejected(Reason.OUT_OF_SCOPE, f"{role} is not a worker of this device's unit and register")
        return worker

    def require_own_contact(self, contact_id: str, role: str) -> dict:
        """A contact of the device's unit and register (one it may see)."""
        contact = self.get(RecordType.CONTACT, contact_id)
        if contact is None or not self._sees(contact):
            raise Rejected(Reason.OUT_OF_SCOPE, f"{role} is not a contact of this device's unit and register")
        return contact

    def _sees(self, row: dict) -> bool:
        return row["unit_id"] == self.device.unit_id and row["register"] in self.device.registers

    def may_see(self, record_type: str, row: dict) -> bool:
        """Whether a record the server holds may go back to this device (as `current`)."""
        if record_type == RecordType.CLIENT.value:
            return row["unit_id"] == self.device.unit_id  # the unit whose identification it is
        if record_type == RecordType.CONSENT.value:
            return row["unit_id"] == self.device.unit_id
        if record_type == RecordType.SLOT.value:
            return True  # sent as `visible_slot` makes it
        return self._sees(row)

    def visible_slot(self, data: dict) -> dict:
        """A slot as this device may see it: its holder only when the holder is a contact of
        the device's unit and register, else TAKEN (taken, by whom not said)."""
        holder = data.get("booked_contact_id")
        if holder is None or holder == TAKEN:
            return data
        key = (RecordType.CONTACT.value, holder)
        if key not in self.records:
            self.load({key}, set(), set())
        contact = self.records[key]
        if contact is not None and self._sees(contact):
            return data
        return {**data, "booked_contact_id": TAKEN}


# What a pushed record refers to (a contact: `_contact_references`), read before its rules:
# the record type and the field naming it ("" for the change's own record id) ...
REFERS: dict[str, tuple[tuple[RecordType, str], ...]] = {
    "client": ((RecordType.CLIENT, ""),),
    "follow_up": ((RecordType.FOLLOW_UP, ""), (RecordType.CONTACT, "contact_id"), (RecordType.WORKER, "assignee_id")),
    "missed_appointment": ((RecordType.MISSED_APPOINTMENT, ""), (RecordType.CLIENT, "client_id")),
    "callback": ((RecordType.CALLBACK, ""), (RecordType.WORKER, "taken_by"), (RecordType.CLIENT, "client_id")),
    "consent": ((RecordType.CONSENT, ""), (RecordType.CLIENT, "client_id"), (RecordType.WORKER, "recorded_by")),
    "appointment": (
        (RecordType.APPOINTMENT, ""), (RecordType.CONTACT, "contact_id"), (RecordType.WORKER, "changed_by"),
        (RecordType.SLOT, "slot_id"),
    ),
    "merge": (
        (RecordType.CLIENT, ""), (RecordType.MERGE, ""), (RecordType.CLIENT, "into_id"),
        (RecordType.MERGE, "into_id"), (RecordType.WORKER, "worker_id"),
    ),
    "booking": ((RecordType.SLOT, "slot_id"), (RecordType.CONTACT, "contact_id"), (RecordType.CONTACT, "previous_contact_id")),
}
# ... and the fields naming a client whose units matter (an appointment's client does not).
CLIENT_FIELDS: dict[str, tuple[str, ...]] = {
    "client": ("",), "follow_up": ("client_id",), "missed_appointment": ("client_id",),
    "callback": ("client_id",), "consent": ("client_id",), "merge": ("", "into_id"),
}


def references(items: list[Prepared]) -> tuple[set[tuple[str, str]], set[str], set[str]]:
    """The records a batch reads: (type, id) keys, the clients whose units matter, and the
    contacts that corrections in the batch correct."""
    keys: set[tuple[str, str]] = set()
    clients: set[str] = set()
    corrected: set[str] = set()
    for item in items:
        if item.error is not None:
            continue
        data, change = item.data, item.change
        if change.type == "contact":
            _contact_references(data, keys, clients, corrected)
            continue
        for record_type, field in REFERS[change.type]:
            record_id = data[field] if field else change.record_id
            if record_id:
                keys.add((record_type._value_, record_id))
        for field in CLIENT_FIELDS.get(change.type, ()):
            client_id = data[field] if field else change.record_id
            if client_id:
                clients.add(client_id)
    for client_id in clients:  # a client merged since the device last pulled: see Batch._redirected
        keys.add((RecordType.MERGE.value, client_id))
    return keys, clients, corrected


def _contact_references(family: dict, keys: set, clients: set[str], corrected: set[str]) -> None:
    """What a contact refers to: its signer, client, the contact it corrects, its booked slot,
    the follow-up it was taken for, and its follow-ups with their assignees and clients."""
    contact, outcome = family["contact"], family["outcome"]
    wanted = [
        (RecordType.CONTACT, contact["id"]), (RecordType.WORKER, contact["worker_id"]),
        (RecordType.CLIENT, contact["client_id"]), (RecordType.CONTACT, contact["supersedes_id"]),
        (RecordType.SLOT, outcome["slot_id"] if outcome else None), (RecordType.FOLLOW_UP, contact["for_follow_up_id"]),
    ]
    if contact["client_id"]:
        clients.add(contact["client_id"])
    if contact["supersedes_id"]:
        corrected.add(contact["supersedes_id"])
    for follow_up in family["follow_ups"]:
        wanted += [(RecordType.WORKER, follow_up["assignee_id"]), (RecordType.FOLLOW_UP, follow_up["id"])]
        if follow_up["client_id"]:
            clients.add(follow_up["client_id"])
    keys.update((record_type._value_, record_id) for record_type, record_id in wanted if record_id)
