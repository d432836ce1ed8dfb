"""The change log: pushes applied (one writer thread, group commit) and pulls served, only
what the device may see."""

from __future__ import annotations

import json
import queue
import threading
from datetime import UTC, datetime
from concurrent.futures import Future, InvalidStateError

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from ohjaus_core.protocol import Answer, Change, RecordType
from ..batch import TAKEN, Batch, Prepared, _json, among_sql, driver_rows, prepare_push, references, stored_answer
from ..tables import change_log, conflict, record
from .credentials import Device
from .database import Database, each_among

ANSWER_COLUMNS = ("device_id", "change_id", "status", "seq", "reason", "detail", "current")
_SLOT = RecordType.SLOT.value
_MERGE, _CLIENT, _CONTACT = RecordType.MERGE.value, RecordType.CLIENT.value, RecordType.CONTACT.value


class Revoked(Exception):
    """The device's credential was revoked; found while its request was served (401)."""


class Changes:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._pull_sql: dict[int, str] = {}
        self._writer = _Writer(self)

    # -- push -------------------------------------------------------------------------------

    def push(self, dev: Device, changes: list[Change]) -> list[Answer]:
        """Apply a batch in one transaction; one answer per change. A change already
        answered (the same id from the same device) gets the same answer again."""
        try:
            answers = self._push_group([(dev, changes)])[0]
        except Exception:
            # As the writer does: e.g. a change answered by another server process between the
            # reads and the lock (its answer's key); again with every read under the lock.
            answers = self._push_group([(dev, changes)], read_first=False)[0]
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
        self, requests: list[tuple[Device, list[Change]]], ready: list[list[Prepared] | None] | None = None,
        *, read_first: bool = True,
    ) -> list[list[Answer] | Revoked]:
        """The pushes of a group in one transaction under the push lock. What they refer to
        (the answers already given, the records, the clients' units, the corrections) is read
        before the lock (`read_first`), as of the last sequence number then committed; under
        the lock one statement gives what was logged since, and only when that touches what
        the group read (or a merge moved records in place) is it read again there. Sequence
        numbers are still given and committed under the lock, so they become visible in order
        (issue 18: the reads were a third of the time the lock was held, and two server
        processes waited on each other for it)."""
        ready = ready or [None] * len(requests)
        prepared = [  # before the lock
            items if items is not None else prepare_push(changes)
            for (_dev, changes), items in zip(requests, ready)
        ]
        wanted = references([item for items in prepared for item in items])
        ids = sorted({change.id for _dev, changes in requests for change in changes})
        devices = sorted({dev.id for dev, _changes in requests})
        seen = read = None
        if read_first:
            # Each read its own statement's snapshot, as of `seen` or later: no transaction to
            # begin and end around them (two round trips).
            with self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                seen = driver_rows(conn, "SELECT max(seq) FROM change_log")[0][0] or 0
                read = _read_state(conn, ids, devices, wanted)
        with self.db.writing() as conn:
            head, revoked, touched = _since(conn, seen, devices, wanted)
            if read is None or touched:
                read = _read_state(conn, ids, devices, wanted)
            known, batch = read
            batch.conn, batch.next_seq, batch.now = conn, head + 1, datetime.now(UTC)
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
            sql = self._pull_sql[len(dev.registers)] = _pull_statement(len(dev.registers), self.db.is_postgres)
        raw = self.db.engine.raw_connection()
        driver = raw.driver_connection
        try:
            if self.db.is_postgres:
                # One statement, its own snapshot: no BEGIN before it and no ROLLBACK when the
                # pool takes the connection back (two of a pull's three round trips, issue 18).
                driver.autocommit = True
            cursor = raw.cursor()
            cursor.execute(sql, (dev.id, after, dev.unit_id, *dev.registers, limit + 1))
            rows = cursor.fetchall()
            cursor.close()
        finally:
            if self.db.is_postgres:
                try:
                    driver.autocommit = False
                except Exception:
                    raw.invalidate()  # never back into the pool in autocommit: the writer needs its transaction
            raw.close()
        if rows and rows[0][1] is None:  # the sentinel row, first in seq order (seq 0)
            raise Revoked(dev.id)
        more = len(rows) > limit
        rows = rows[:limit]
        if any(kind == _SLOT for _seq, kind, _record_id, _data in rows):
            with self.db.engine.connect() as conn:
                rows = self.visible_slots(conn, dev, rows)
        return rows, (rows[-1][0] if rows else after), more

    def visible_slots(self, conn: Connection, dev: Device, rows: list[tuple]) -> list[tuple]:
        """Slots go to every device, but a slot's holder only to the devices that may see
        the holding contact (its unit and register); the others get TAKEN."""
        holders = {}
        for number, (_seq, kind, _record_id, data) in enumerate(rows):
            if kind == _SLOT and '"booked_contact_id":"' in data:
                slot = json.loads(data)
                if slot["booked_contact_id"] != TAKEN:
                    holders[number] = slot
        if not holders:
            return rows
        ids = sorted({slot["booked_contact_id"] for slot in holders.values()})
        query = (
            select(record.c.record_id)
            .where(record.c.record_type == RecordType.CONTACT.value)
            .where(record.c.unit_id == dev.unit_id)
            .where(record.c.register.in_(dev.registers))
        )
        visible = {row[0] for row in each_among(conn, query, record.c.record_id, ids)}
        rows = list(rows)
        for number, slot in holders.items():
            if slot["booked_contact_id"] not in visible:
                seq, kind, record_id, _data = rows[number]
                rows[number] = (seq, kind, record_id, _json({**slot, "booked_contact_id": TAKEN}))
        return rows

    # -- inspection (tests, admin) ----------------------------------------------------------

    def conflicts(self) -> list[dict]:
        with self.db.engine.connect() as conn:
            return [dict(row) for row in conn.execute(select(conflict).order_by(conflict.c.id)).mappings()]

    def log_max(self) -> int:
        with self.db.engine.connect() as conn:
            return conn.execute(select(func.max(change_log.c.seq))).scalar() or 0

    def log_count(self, record_type: RecordType | None = None) -> int:
        query = select(func.count()).select_from(change_log)
        if record_type is not None:
            query = query.where(change_log.c.record_type == record_type.value)
        with self.db.engine.connect() as conn:
            return conn.execute(query).scalar_one()


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


def _read_state(conn: Connection, ids: list[str], devices: list[str], wanted) -> tuple[dict, Batch]:
    """The answers already given to these change ids of these devices, and a batch with
    every record the group refers to loaded (`wanted`: references())."""
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
    batch = Batch(conn, None, head=0)  # its next sequence number is set under the lock
    batch.load(*wanted)
    return known, batch


def _since(conn: Connection, seen: int | None, devices: list[str], wanted) -> tuple[int, set[str], bool]:
    """Under the push lock, in one statement: the last sequence number given, which of the
    devices are revoked (a device revoked since its credential was checked is refused in the
    transaction that would write its push), and whether anything logged after `seen` touches
    what the group read before the lock: one of its records, a client whose units it read, a
    contact (a correction of one it corrects), or a merge (it moves records in place, without
    a log entry of their own). With `seen` None only the head and the revoked."""
    keys, clients, corrected = wanted
    where, params = among_sql(conn, "id", devices)
    revoked_sql = f"SELECT NULL, NULL, id FROM device WHERE revoked_at IS NOT NULL AND {where}"
    if seen is None:
        rows = driver_rows(conn, f"SELECT max(seq), NULL, NULL FROM change_log UNION ALL {revoked_sql}", params)
    else:
        rows = driver_rows(
            conn, f"SELECT seq, record_type, record_id FROM change_log WHERE seq > ? UNION ALL {revoked_sql}", [seen, *params]
        )
    head, revoked, touched = seen or 0, set(), False
    for seq, kind, record_id in rows:
        if kind is None and seq is None:
            if record_id is not None:
                revoked.add(record_id)
            continue
        head = max(head, seq)
        if kind is not None and not touched:
            touched = (
                (kind, record_id) in keys or kind == _MERGE or (kind == _CLIENT and record_id in clients)
                or (kind == _CONTACT and bool(corrected))
            )
    return head, revoked, touched


class _Writer:
    """One thread that writes pushes, several at a time when they queue up."""

    GROUP = 64  # requests in one transaction at most

    def __init__(self, changes: Changes) -> None:
        self.changes = changes
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
                results = self.changes._push_group(
                    [(dev, changes) for dev, changes, _prepared, _future in group],
                    [prepared for _dev, _changes, prepared, _future in group],
                )
            except Exception:
                # One request's trouble must not fail the others: each again, alone.
                for dev, changes, prepared, future in group:
                    try:
                        answers = self.changes._push_group([(dev, changes)], [prepared], read_first=False)[0]
                    except Exception as error:
                        answers = error
                    _settle(future, answers)
                continue
            for (_dev, _changes, _prepared, future), answers in zip(group, results):
                _settle(future, answers)


def _settle(future: Future, answers: list[Answer] | Exception) -> None:
    """Give a waiting request its answers or its error; one whose request is gone is passed over.

    A push whose request was cancelled while it waited (the client went away, the server is
    stopping) has a cancelled future; setting it would raise in the writer's thread and end it,
    and every later push in the region would wait for ever. Its changes are written all the same:
    a push is idempotent, and the device's resend gets the stored answers.
    """
    try:
        if isinstance(answers, Exception):
            future.set_exception(answers)
        else:
            future.set_result(answers)
    except InvalidStateError:
        pass
