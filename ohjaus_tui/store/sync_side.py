"""The device's side of sync, in the store: the outbox, applying the central API's answers
and pulled pages, and the status the screens show. Each method is one transaction.

The outbox entry of a change is written by the store method that makes the change, in the
same transaction (see `enqueue`), so a record is never saved without it, nor it without
the record. The conflict rules are in docs/sync.md.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from ohjaus_core.domain.contact import new_id
from ohjaus_core import records
from ohjaus_core.protocol import RecordType
from .driver_sql import DriverSql
from .models import (
    Appointment,
    Assessment,
    Callback,
    Client,
    ClientMerge,
    Consent,
    Contact,
    FollowUp,
    MissedAppointment,
    Outbox,
    Outcome,
    Professional,
    SegmentChoice,
    SyncRecord,
    Unit,
    Worker,
)

CURSOR = "sync_cursor"
LAST_SYNC = "sync_last_at"
LAST_ERROR = "sync_last_error"
SERVER = "sync_server"
TOKEN = "sync_token"
ACCESS_LOG_SENT = "access_log_sent"  # the highest access-log seq the central API has acknowledged

_REFERENCE = {
    RecordType.UNIT: Unit,
    RecordType.WORKER: Worker,
    RecordType.PROFESSIONAL: Professional,
}


# The contract's schema of each table whose rows a device pushes (ohjaus_core/records.py):
# what goes on the wire of a row is the schema's fields, as its serialiser writes them.
_PUSHED: dict[type, type[records.Record]] = {
    Client: records.Client,
    FollowUp: records.FollowUp,
    MissedAppointment: records.MissedAppointment,
    Appointment: records.Appointment,
    Consent: records.Consent,
    Callback: records.Callback,
    ClientMerge: records.Merge,
}
# A signed contact's parts: the table, the contract's schema, and the column naming the contact.
_FAMILY = {
    "contact": (Contact, records.Contact, "id"),
    "assessment": (Assessment, records.Assessment, "contact_id"),
    "segment": (SegmentChoice, records.Segment, "contact_id"),
    "outcome": (Outcome, records.Outcome, "contact_id"),
    "follow_ups": (FollowUp, records.FollowUp, "contact_id"),
}


def dump(row: Any) -> dict:
    """A row of a pushed table as its record travels (its loaded values, through the schema)."""
    return _PUSHED[type(row)].wire(row.__dict__)


def enqueue(session: Session | DriverSql, record_type: RecordType, record_id: str, data: dict, now: datetime) -> None:
    """Write the outbox entry of a change, in the caller's transaction (driver SQL on its
    connection: no statement built a change)."""
    sql = session if isinstance(session, DriverSql) else DriverSql(session)
    base = sql.first("SELECT seq FROM sync_record WHERE record_type = ? AND record_id = ?", (record_type.value, record_id))
    sql.insert(_OUTBOX, _outbox_row(record_type, record_id, base[0] if base else 0, data, now))


def _outbox_row(record_type: RecordType, record_id: str, base_seq: int, data: dict, now: datetime) -> dict:
    return {
        "change_id": new_id(),
        "record_type": record_type.value,
        "record_id": record_id,
        "base_seq": base_seq,
        "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
        "made_at": now,
    }


_OUTBOX = Outbox.__table__


def enqueue_many(
    session: Session, record_type: RecordType, changes: list[tuple[str, dict]], now: datetime
) -> None:
    """enqueue for many records of one type: one query for their base versions and one
    insert (the outbox order is the order given)."""
    if not changes:
        return
    ids = [record_id for record_id, _data in changes]
    bases: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        bases.update(
            session.exec(
                select(SyncRecord.record_id, SyncRecord.seq)
                .where(SyncRecord.record_type == record_type.value)
                .where(col(SyncRecord.record_id).in_(chunk))
            ).all()
        )
    session.exec(
        insert(Outbox.__table__),
        params=[_outbox_row(record_type, record_id, bases.get(record_id, 0), data, now) for record_id, data in changes],
    )


def contact_family(session: Session | DriverSql, contact_id: str) -> dict:
    """A signed contact as one change (records.ContactFamily): the contact with its
    assessment, segment, outcome and the follow-ups it made. They are immutable together, so
    they travel together. Read with driver SQL (no ORM object a row), each row through its
    schema."""
    sql = session if isinstance(session, DriverSql) else DriverSql(session)
    family: dict[str, Any] = {}
    for part, (model, schema, column) in _FAMILY.items():
        where = f"{column} = ? ORDER BY id" if part == "follow_ups" else f"{column} = ? LIMIT 1"
        rows = [schema.wire(row) for row in sql.records(model.__table__, schema.model_fields, where, (contact_id,))]
        family[part] = rows if part == "follow_ups" else (rows[0] if rows else None)
    return family


