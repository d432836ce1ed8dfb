"""The clients a unit knows and serves: whether its devices have met a client, a client the
unit no longer serves (issue 20), and every record about a client taken back whole."""

from __future__ import annotations

import json

from sqlalchemy import delete, insert, select

from ohjaus_core.protocol import RecordType
from ..tables import change_log, client_release
from .changes import Changes
from .credentials import Device
from .database import Database, each_among, now
from .reference import Reference

_SLOT = RecordType.SLOT.value
_ABOUT_A_CLIENT = [t.value for t in (
    RecordType.CLIENT, RecordType.CONTACT, RecordType.FOLLOW_UP, RecordType.CONSENT,
    RecordType.CALLBACK, RecordType.MISSED_APPOINTMENT, RecordType.APPOINTMENT,
)]


class Clients:
    def __init__(self, db: Database, reference: Reference, changes: Changes) -> None:
        self.db, self.reference, self.changes = db, reference, changes

    def knows_client(self, dev: Device, client_id: str) -> bool:
        """Whether the device's unit has sent the client or been sent it (the change log
        holds a client entry for the unit)."""
        with self.db.engine.connect() as conn:
            return _known(conn, dev.unit_id, client_id)

    def known_clients(self, dev: Device, client_ids: list[str]) -> set[str]:
        """Those of the clients the device's unit knows (see knows_client)."""
        query = (
            select(change_log.c.record_id)
            .where(change_log.c.record_type == RecordType.CLIENT.value)
            .where(change_log.c.unit_id == dev.unit_id)
            .distinct()
        )
        with self.db.engine.connect() as conn:
            return {row[0] for row in each_among(conn, query, change_log.c.record_id, client_ids)}

    def release_client(self, unit_code: str, client_id: str, *, undo: bool = False) -> bool:
        """The unit no longer serves the client (or, with `undo`, serves them again): its
        devices remove the client at their next sync, or take the client back whole. Nothing
        of the client's records changes here. Returns whether anything changed; KeyError for
        an unknown unit, LookupError for a client the unit never knew."""
        unit_id = self.reference.unit_id(unit_code)
        with self.db.engine.begin() as conn:
            if not _known(conn, unit_id, client_id):
                raise LookupError(client_id)
            where = (client_release.c.unit_id == unit_id) & (client_release.c.client_id == client_id)
            held = conn.execute(select(client_release.c.client_id).where(where)).first() is not None
            if undo:
                if held:
                    conn.execute(delete(client_release).where(where))
                return held
            if not held:
                conn.execute(insert(client_release).values(unit_id=unit_id, client_id=client_id, released_at=now()))
            return not held

    def released(self, dev: Device) -> list[str]:
        """The clients the device's unit no longer serves (and only its unit's)."""
        with self.db.engine.connect() as conn:
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
        with self.db.engine.connect() as conn:
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
            latest: dict[tuple[str, str], tuple] = {}
            rows = conn.execute(
                select(*columns)
                .where(visible)
                .where(change_log.c.record_type.in_(_ABOUT_A_CLIENT))
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
            for kind, ids in ((RecordType.FOLLOW_UP.value, sorted(follow_ups)), (_SLOT, sorted(slots))):
                query = select(*columns).where(change_log.c.record_type == kind).order_by(change_log.c.seq)
                if kind != _SLOT:
                    query = query.where(visible)
                for row in each_among(conn, query, change_log.c.record_id, ids):
                    about[(row[1], row[2])] = tuple(row)
            rows = sorted(about.values(), key=lambda row: row[0])
            if any(row[1] == _SLOT for row in rows):
                rows = self.changes.visible_slots(conn, dev, rows)
        return rows


def _known(conn, unit_id: str, client_id: str) -> bool:
    return conn.execute(
        select(change_log.c.seq)
        .where(change_log.c.record_type == RecordType.CLIENT.value)
        .where(change_log.c.record_id == client_id)
        .where(change_log.c.unit_id == unit_id)
        .limit(1)
    ).first() is not None
