"""The controller's answer to a client's right-to-know request (Client Data Act 703/2023 § 11):
every access-log row the central API holds about the client, of every unit and both registers
(the devices' entries, the server's own, and the answers given before), and the record of
giving this answer. Only an administrator's command reads it (`ohjaus client access-log`); no
route gives it to a device, which is told its own unit's and registers' use only."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from ohjaus_core.domain.access_log import _iso
from ohjaus_core.domain.identity import client_id_for, normalize_identity_code
from ohjaus_core.i18n import localized
from ohjaus_core.protocol import RecordType
from ..tables import access_event, change_log, controller_access_event, device, device_log_anchor, record, server_access_event
from .access_log import _not_after_receipt
from .database import Database, each_among, now


class RightToKnow:
    def __init__(self, db: Database) -> None:
        self.db = db

    def client_ids(self, identity_code: str | None = None, client_id: str | None = None) -> list[str]:
        """The ids the person's data is held under: the one derived from the identity code, any
        client record of any unit that carries exactly this code (the sign is part of the
        identity: 100190-999P and 100190Y999P are two people), and every client merged into
        one of these (a temporary code's or none, whose log entries keep the merged id)."""
        with self.db.engine.connect() as conn:
            ids = {client_id} if client_id else set()
            if identity_code:
                code = normalize_identity_code(identity_code)
                ids.add(client_id_for(code))
                rows = conn.execute(
                    select(change_log.c.record_id, change_log.c.data)
                    .where(change_log.c.record_type == RecordType.CLIENT.value)
                    .where(change_log.c.data.contains(code, autoescape=True))
                )
                ids.update(record_id for record_id, data in rows if json.loads(data).get("identity_code") == code)
            merged = select(record.c.record_id).where(record.c.record_type == RecordType.MERGE.value)
            ids.update(row[0] for row in each_among(conn, merged, record.c.parent_id, sorted(ids)))
        return sorted(ids)

    def names(self, client_ids: list[str]) -> list[str]:
        """The names the server's client records give these ids ("Last First"), to confirm whom
        the answer is about."""
        query = select(record.c.data).where(record.c.record_type == RecordType.CLIENT.value)
        with self.db.engine.connect() as conn:
            people = [json.loads(row[0]) for row in each_among(conn, query, record.c.record_id, client_ids)]
        return sorted({f"{p.get('last_name', '')} {p.get('first_name', '')}".strip() for p in people} - {""})

    def rows(self, client_ids: list[str], since: datetime, until: datetime) -> list[dict]:
        """Every row about these clients from `since` up to (not including) `until`, oldest
        first: dicts of at (UTC), source (device, server, controller), worker, unit_code,
        unit_name, action, item, sector (the register; for the server's and the controller's
        rows the registers of the device or of the answer, "health,social"), purpose, recipient.
        A device's entry is dated by the device's clock but never after the server received it."""
        after = _iso(since)  # a row shown at a moment >= since was written at or after it
        a, s, c = access_event.c, server_access_event.c, controller_access_event.c
        with self.db.engine.connect() as conn:
            units = {
                unit_id: _unit(json.loads(data)) for unit_id, data in conn.execute(
                    select(record.c.record_id, record.c.data).where(record.c.record_type == RecordType.UNIT.value))
            }
            devices = {row.id: row for row in conn.execute(select(device.c.id, device.c.name, device.c.registers))}
            found = []
            query = select(a.at, a.received_at, a.worker_id, a.unit_id, a.action, a.item, a.sector, a.purpose,
                           a.recipient, a.device_id, a.seq).where(a.at >= after)
            for row in each_among(conn, query, a.client_id, client_ids):
                found.append(dict(row._mapping, source="device"))
            query = select(s.at, s.unit_id, s.device_id, s.action, s.item, s.purpose, s.id.label("seq")).where(s.at >= after)
            for row in each_among(conn, query, s.client_id, client_ids):
                held = devices.get(row.device_id)
                found.append(dict(row._mapping, source="server", worker_id=None, recipient="",
                                  sector=held.registers if held else None))
            query = select(c.at, c.action, c.item, c.registers.label("sector"), c.purpose, c.recipient,
                           c.handled_by, c.id.label("seq")).where(c.at >= after)
            for row in each_among(conn, query, c.client_id, client_ids):
                found.append(dict(row._mapping, source="controller", worker_id=None, unit_id=None, device_id=None))
            worker_ids = sorted({row["worker_id"] for row in found if row["worker_id"]})
            workers = select(record.c.record_id, record.c.data).where(record.c.record_type == RecordType.WORKER.value)
            people = {worker_id: json.loads(data) for worker_id, data in each_among(conn, workers, record.c.record_id, worker_ids)}
        out = []
        for row in found:
            at = _not_after_receipt(row["at"], row.get("received_at"))
            if not since <= at < until:
                continue
            person = people.get(row["worker_id"] or "", {})
            held = devices.get(row.get("device_id") or "")
            code, name = units.get(row.get("unit_id") or "", (row.get("unit_id") or "", ""))
            out.append(dict(
                at=at.astimezone(UTC), source=row["source"],
                worker=row.get("handled_by") or person.get("name") or row["worker_id"] or "",
                device=held.name if held and row["source"] == "server" else "",
                unit_code=code, unit_name=name, action=row["action"], item=row["item"],
                sector=row["sector"] or person.get("sector"), purpose=row["purpose"], recipient=row["recipient"] or "",
                order=(row["source"] != "controller", row["seq"]),
            ))
        out.sort(key=lambda row: (row["at"], row["order"]))
        for row in out:
            del row["order"]
        return out

    def unsent_entries(self) -> list[tuple[str, str, int]]:
        """Devices whose access log, by their own last claim, holds entries the server has not
        received yet: (unit code, device name, entries missing). The answer cannot hold those."""
        with self.db.engine.connect() as conn:
            held = dict(conn.execute(
                select(access_event.c.device_id, func.max(access_event.c.seq)).group_by(access_event.c.device_id)).all())
            claims = conn.execute(
                select(device_log_anchor.c.device_id, device_log_anchor.c.count, device.c.unit_code, device.c.name)
                .join(device, device.c.id == device_log_anchor.c.device_id)
                .where(device.c.revoked_at.is_(None))
            ).all()
        return sorted(
            (row.unit_code, row.name, row.count - held.get(row.device_id, 0))
            for row in claims if row.count > held.get(row.device_id, 0)
        )

    def record_answer(self, client_ids: list[str], action: str, registers: str, purpose: str, recipient: str,
                      handled_by: str) -> datetime:
        """The answer itself, written before it is shown or written out: one row a client id."""
        at = now()
        with self.db.engine.begin() as conn:
            conn.execute(insert(controller_access_event), [
                dict(at=_iso(at), client_id=client_id, action=action, item="access log", registers=registers,
                     purpose=purpose, recipient=recipient, handled_by=handled_by)
                for client_id in client_ids
            ])
        return at


def _unit(data: dict) -> tuple[str, str]:
    """A unit's code and its name in the language shown (the name is JSON {fi, sv, en})."""
    try:
        names = json.loads(data.get("name") or "{}")
    except ValueError:
        names = {"fi": data["name"]}
    return data.get("code", ""), localized(names) if isinstance(names, dict) else str(names)
