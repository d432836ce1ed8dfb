"""The access log on the server: the devices' hash-chained entries (append only, checked
against the chain held), each device's claim about its own log, the records it keeps aside,
and the server's own access events; the client's right to know who used their data."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import func, insert, select, update

from ohjaus_core.domain.access_log import GENESIS, Entry, _iso, entry_hash
from ohjaus_core.protocol import AccessEntry, AccessLogAnchor, QuarantineReport, RecordType
from ..tables import access_event, device, device_log_anchor, device_quarantine, record, server_access_event
from .clients import Clients
from .credentials import Device
from .database import Database, each_among, now
from .workers import Workers


class AccessLogRefused(Exception):
    """A device's access-log entries the server does not take: the status (409: they do not
    continue what the server holds; 422: an entry is not what it claims), the entry's number
    and what is wrong. Nothing of the request is stored."""

    def __init__(self, status: int, seq: int, problem: str) -> None:
        super().__init__(problem)
        self.status, self.seq, self.problem = status, seq, problem


class AccessLog:
    def __init__(self, db: Database, workers: Workers, clients: Clients) -> None:
        self.db, self.workers, self.clients = db, workers, clients

    def add_access_events(self, dev: Device, entries: list[AccessEntry]) -> tuple[int, int]:
        """Take a device's access-log entries, all or none: each must be what its hash says,
        and they must continue the chain the server holds for the device (the next number,
        linked to the held entry before it). An entry already held is accepted again if it
        is the same. Returns (entries new to the server, the device's last seq held now).
        Raises AccessLogRefused naming the first entry that fails."""
        ordered = sorted(entries, key=lambda e: e.seq)
        if not ordered:
            return 0, self.access_log_held(dev.id)
        workers = {w: self.workers.worker(w) for w in {e.worker_id for e in ordered}}
        known = self.clients.known_clients(dev, sorted({e.client_id for e in ordered if e.client_id}))
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
        received_at = now()
        with self.db.writing() as conn:
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
                        prev_hash=entry.prev_hash, hash=entry.hash, received_at=received_at,
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
        at = now()
        with self.db.writing() as conn:
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
                conn.execute(insert(device_log_anchor).values(device_id=dev.id, count=anchor.count, hash=anchor.hash, at=at))
            elif anchor.count > stored.count:
                conn.execute(
                    update(device_log_anchor)
                    .where(device_log_anchor.c.device_id == dev.id)
                    .values(count=anchor.count, hash=anchor.hash, at=at)
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
                    q.seq: dict(device_id=dev.id, seq=q.seq, record_type=q.type, record_id=q.record_id,
                                reason=q.reason, at=at)
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
        with self.db.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def catalogue_refused(self) -> set[str]:
        """The devices that reported keeping aside the region's catalogue as imported now (its
        current version): a version that cannot read it, which keeps the catalogue it had until
        the application is updated (docs/sync.md, "A catalogue newer than the device")."""
        current = (
            select(record.c.seq)
            .where(record.c.record_type == RecordType.CATALOGUE.value)
            .scalar_subquery()
        )
        query = (
            select(device_quarantine.c.device_id)
            .where(device_quarantine.c.record_type == RecordType.CATALOGUE.value)
            .where(device_quarantine.c.seq >= current)
            .distinct()
        )
        with self.db.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def access_log_held(self, device_id: str) -> int:
        with self.db.engine.connect() as conn:
            return conn.execute(
                select(func.max(access_event.c.seq)).where(access_event.c.device_id == device_id)
            ).scalar() or 0

    def record_server_access(self, dev: Device, client_id: str, action: str, item: str, purpose: str) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(
                insert(server_access_event).values(
                    at=_iso(now()), device_id=dev.id, unit_id=dev.unit_id, client_id=client_id,
                    action=action, item=item, purpose=purpose,
                )
            )

    def client_access_log(
        self, client_id: str, limit: int, unit_id: str, registers: "tuple[str, ...] | None" = None,
    ) -> tuple[list[dict], bool]:
        """The client's access events from every device of the unit, and the server's own
        for the unit, newest first; each with the worker's name when known and the code of
        the unit of the device. Another unit's events are never given (that unit may know
        the person under its own identification, docs/sync.md).

        `registers`: the asking device's. Social-welfare and health-care data are separate
        registers (TRUST.md), and the server decides no read across them on a consent (a
        device pulls its own registers' records only), so a device is told its own
        registers' use only: an event whose register (`sector`) is one of them, one without
        a register made by a worker of one of them, and the server's own events caused by
        a device with no other register than these. Another register's events - even that
        the client is known there - are not given. None: both registers, the controller's
        whole answer to the client (no route gives that to a device)."""
        with self.db.engine.connect() as conn:
            devices = conn.execute(select(device.c.id, device.c.unit_code, device.c.unit_id, device.c.registers)).all()
            units = {row.id: row.unit_code for row in devices}
            a, s = access_event.c, server_access_event.c
            device_rows, server_rows = [], []
            if registers is not None:
                own = set(registers)
                device_rows = [a.sector.in_(sorted(own))]
                unmarked = conn.execute(
                    select(a.worker_id).where(a.client_id == client_id).where(a.unit_id == unit_id)
                    .where(a.sector.is_(None)).distinct()
                ).scalars().all()
                workers = select(record.c.record_id, record.c.data).where(record.c.record_type == RecordType.WORKER.value)
                ours = sorted(
                    worker_id for worker_id, data in each_among(conn, workers, record.c.record_id, sorted(unmarked))
                    if json.loads(data).get("sector") in own
                )
                if ours:
                    device_rows = [a.sector.in_(sorted(own)) | (a.sector.is_(None) & a.worker_id.in_(ours))]
                server_rows = [s.device_id.in_(sorted(
                    row.id for row in devices if row.unit_id == unit_id and set(row.registers.split(",")) <= own
                ))]

            def newest(table, order, where, *columns):
                return conn.execute(
                    select(*columns)
                    .where(table.c.client_id == client_id)
                    .where(table.c.unit_id == unit_id)
                    .where(*where)
                    .order_by(table.c.at.desc(), order.desc())
                    .limit(limit + 1)
                ).mappings()

            events = [
                {**dict(row), "source": "device"}
                for row in newest(
                    access_event, a.seq, device_rows, a.device_id, a.seq, a.at, a.worker_id, a.action, a.item, a.sector,
                    a.purpose, a.recipient, a.received_at,
                )
            ]
            events += [
                {**dict(row), "seq": row["id"], "worker_id": None, "sector": None, "recipient": "", "source": "server"}
                for row in newest(server_access_event, s.id, server_rows, s.id, s.device_id, s.at, s.action, s.item, s.purpose)
            ]
            ids = sorted({e["worker_id"] for e in events if e["worker_id"]})
            workers = select(record.c.record_id, record.c.data).where(record.c.record_type == RecordType.WORKER.value)
            names = {worker_id: json.loads(data)["name"] for worker_id, data in each_among(conn, workers, record.c.record_id, ids)}
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
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(server_access_event).order_by(server_access_event.c.id)).mappings()
            return [dict(row) for row in rows]

    def access_events(self, device_id: str | None = None) -> list[dict]:
        query = select(access_event).order_by(access_event.c.device_id, access_event.c.seq)
        if device_id is not None:
            query = query.where(access_event.c.device_id == device_id)
        with self.db.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]


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


def _entry(row: AccessEntry) -> Entry:
    return Entry(
        seq=row.seq, id=row.id, at=row.at, worker_id=row.worker_id, unit_id=row.unit_id,
        client_id=row.client_id, action=row.action, item=row.item, sector=row.sector,
        purpose=row.purpose, recipient=row.recipient, prev_hash=row.prev_hash, hash=row.hash,
    )
