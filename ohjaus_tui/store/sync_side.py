"""The device's side of sync, in the store: the outbox, applying the central API's answers
and pulled pages, and the status the screens show. Each method is one transaction.

The outbox entry of a change is written by the store method that makes the change, in the
same transaction (see `enqueue`), so a record is never saved without it, nor it without
the record. The conflict rules are in docs/sync.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from pydantic import ValidationError
from pydantic_core import to_jsonable_python
from sqlalchemy import bindparam, delete, func, insert, text, tuple_, update
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from ohjaus_core.domain.clock import local
from ohjaus_core.domain.codes import ContactStatus, FollowUpKind, FollowUpStatus
from ohjaus_core.domain.contact import new_id
from ohjaus_core.domain.catalogue import catalogue_from_text
from ohjaus_core.domain.errors import DataFileError, DomainError
from ohjaus_core.domain.identity import client_id_for
from ohjaus_core.i18n import _, format_date, format_time
from ohjaus_core.protocol import Answer, PulledChange, Reason, RecordType
from .models import (
    AccessLog,
    Appointment,
    Assessment,
    Callback,
    Client,
    ClientMerge,
    ClientRemoved,
    Consent,
    Contact,
    Credential,
    FollowUp,
    MissedAppointment,
    Outbox,
    Outcome,
    Professional,
    RemovalGate,
    SegmentChoice,
    Setting,
    Slot,
    SyncProblem,
    SyncQuarantine,
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


def dump(row: Any) -> dict:
    return row.model_dump(mode="json")


def enqueue(session: Session, record_type: RecordType, record_id: str, data: dict, now: datetime) -> None:
    """Write the outbox entry of a change, in the caller's transaction."""
    base_query, insert_ = _enqueue_statements()
    base = session.exec(base_query, params={"type": record_type.value, "id": record_id}).first()
    session.exec(
        insert_,
        params={
            "change_id": new_id(),
            "record_type": record_type.value,
            "record_id": record_id,
            "base_seq": base or 0,
            "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
            "made_at": now,
        },
    )


@lru_cache(maxsize=None)
def _enqueue_statements():
    """enqueue's two statements, built once (a Core insert: no ORM object a change)."""
    base = (
        select(SyncRecord.seq)
        .where(SyncRecord.record_type == bindparam("type"))
        .where(SyncRecord.record_id == bindparam("id"))
    )
    return base, insert(Outbox.__table__)


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
        params=[
            {
                "change_id": new_id(),
                "record_type": record_type.value,
                "record_id": record_id,
                "base_seq": bases.get(record_id, 0),
                "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
                "made_at": now,
            }
            for record_id, data in changes
        ],
    )


def contact_family(session: Session, contact_id: str) -> dict:
    """A signed contact as one change: the contact with its assessment, segment, outcome and
    the follow-ups it made. They are immutable together, so they travel together.

    Read with Core (no ORM object a row); each row as `dump` gives it (model_dump, JSON mode)."""

    def rows(model: type, column: str) -> list[dict]:
        query = _family_query(model, column)
        return [_json_row(model, row) for row in session.execute(query, {"id": contact_id}).mappings()]

    def child(model: type) -> dict | None:
        found = rows(model, "contact_id")
        return found[0] if found else None

    contact = rows(Contact, "id")
    return {
        "contact": contact[0] if contact else None,
        "assessment": child(Assessment),
        "segment": child(SegmentChoice),
        "outcome": child(Outcome),
        "follow_ups": rows(FollowUp, "contact_id"),
    }


@lru_cache(maxsize=None)
def _family_query(model: type, column: str):
    table = model.__table__
    fields = [table.c[name] for name in model.model_fields]
    query = select(*fields).where(table.c[column] == bindparam("id"))
    if model is FollowUp:
        query = query.order_by(table.c.id)
    else:
        query = query.limit(1)
    return query


def _json_row(model: type, row) -> dict:
    """A row read with Core as model_dump(mode="json") gives it: dates and times in ISO form."""
    return {
        name: to_jsonable_python(value) if isinstance(value, (datetime, date)) else value
        for name, value in ((name, row[name]) for name in model.model_fields)
    }
