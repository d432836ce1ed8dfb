"""Callback requests a device holds twice, or under an id the central API no longer takes
(docs/sync.md, callback request). Ids were derived from the phone system's id alone before
5.12.2026 and from the unit, the register and that id since; the unit's requests held under
the earlier id keep it.

- A device that imported a file before it first pulled holds a copy of a request the unit
  holds under its earlier id. The central API answers the copy with the unit's request (its
  own unit's and register's only); the device drops the copy and keeps the unit's, with what
  the worker did on the copy carried over (`take_held`).
- A device that imported before the upgrade and had not sent the imports holds them under
  the earlier id, which the central API takes for no new request. Once, before its first
  push, the device gives each of them the id they get now (`rekey_earlier_imports`); one the
  unit holds under the earlier id is then answered as above.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session, col, select

from ohjaus_core.domain.callbacks import callback_id, legacy_callback_id
from ohjaus_core.domain.contact import new_id
from ohjaus_core.protocol import Answer, Reason, RecordType
from .models import Callback, Outbox, Setting, SyncProblem, SyncRecord
from .sync_apply import apply_or_set_aside
from .sync_side import dump, enqueue

REKEYED = "callback_ids_rekeyed"  # set once the device's earlier imports have their ids


def held_elsewhere(record_type: RecordType, record_id: str, answer: Answer) -> str | None:
    """The id the server holds a rejected callback request under when that is not the id
    this device sent it with: the unit's request held under its id made before 5.12.2026,
    which the server answers with (only ever the device's own unit's and register's)."""
    if record_type != RecordType.CALLBACK or answer.status != "rejected" or answer.current is None or answer.seq is None:
        return None
    held = answer.current.get("id")
    return held if isinstance(held, str) and held and held != record_id else None


def take_held(session: Session, copy_id: str, held_id: str, held: dict, seq: int, now: datetime) -> str | None:
    """Drop this device's copy of a request the unit holds under `held_id` and keep the
    unit's: the server's version (`held` at `seq`), with what the worker did on the copy here
    (a take and its draft contact, calls without an answer, a result) carried over and sent
    as a change of the unit's request. Returns None, or the copy (as JSON) when what was done
    on it could not be carried over (the unit's request is taken or done already, or its
    version could not be applied): the caller keeps it as a problem the worker sees (F6); a
    draft contact started from it stays as it is."""
    work = _drop(session, copy_id)
    if work is None:
        return None  # dropped at an earlier answer of the same push
    changed_here = session.exec(
        select(Outbox.seq).where(Outbox.record_type == RecordType.CALLBACK.value).where(Outbox.record_id == held_id)
    ).first()
    if changed_here is None:  # (a change of it made here goes to the server as made)
        apply_or_set_aside(session, RecordType.CALLBACK, held_id, held, seq, now)
    return _carry(session, work, held_id, now)


def rekey_earlier_imports(session: Session, now: datetime) -> int:
    """Once on a device: its requests under the id made before 5.12.2026 that the server has
    never acknowledged (imported before the upgrade and not sent, or sent and refused) get
    the id derived from their unit, register and source, their changes queued under it, and
    their refusals under the earlier id leave F6. One the device also holds under that id
    (pulled meanwhile) is one request: the copy goes, and what was done on it is carried over
    where it can be. One already under the derived id, never acknowledged and with nothing
    queued (the previous version sent it and it was refused) is queued once more. Returns how
    many were re-keyed."""
    if session.get(Setting, REKEYED) is not None:
        return 0
    acknowledged = select(SyncRecord.record_id).where(SyncRecord.record_type == RecordType.CALLBACK.value)
    rows = session.exec(
        select(Callback).where(Callback.source != "").where(col(Callback.id).not_in(acknowledged))
    ).all()
    queued = select(Outbox.record_id).where(Outbox.record_type == RecordType.CALLBACK.value)
    waiting = set(session.exec(queued).all())
    moved = 0
    for row in rows:
        new = callback_id(row.unit_id, row.sector, row.source)
        if row.id == new and row.id not in waiting:
            # Refused by the previous version (a copy of one the unit holds under the
            # earlier id) and no longer queued: sent once more, the server answers it.
            enqueue(session, RecordType.CALLBACK, row.id, dump(row), now)
            continue
        if row.id != legacy_callback_id(row.source):
            continue
        # A refusal under the earlier id is not the worker's to mend once it has the new one.
        session.execute(
            text("DELETE FROM sync_problem WHERE record_type = 'callback' AND record_id = :id").bindparams(id=row.id)
        )
        if session.get(Callback, new) is not None:
            copy = _carry(session, _drop(session, row.id), new, now, source=row.source)
            if copy is not None:
                session.add(SyncProblem(
                    id=new_id(), change_id=new_id(), kind="rejected", record_type=RecordType.CALLBACK.value,
                    record_id=row.id, reason=Reason.CALLBACK_TAKEN.value, detail="another worker took this callback request first",
                    data=copy, at=now,
                ))
            continue
        fields = row.model_dump()
        _drop(session, row.id)
        fresh = Callback.model_validate({**fields, "id": new})
        session.add(fresh)
        session.flush()
        enqueue(session, RecordType.CALLBACK, new, dump(fresh), now)
        moved += 1
    session.merge(Setting(key=REKEYED, value=now.isoformat()))
    return moved


def _drop(session: Session, record_id: str) -> dict | None:
    """Remove a copy and its queued changes; what it held (None when it is gone)."""
    session.execute(text("DELETE FROM outbox WHERE record_type = 'callback' AND record_id = :id").bindparams(id=record_id))
    session.execute(text("DELETE FROM sync_record WHERE record_type = 'callback' AND record_id = :id").bindparams(id=record_id))
    row = session.get(Callback, record_id)
    if row is None:
        return None
    held = row.model_dump()
    session.delete(row)
    session.flush()
    return held


def _carry(session: Session, copy: dict | None, into: str, now: datetime, source: str = "") -> str | None:
    """What the worker did on a dropped copy, onto the request `into` and queued; None, or
    the copy as JSON when it could not be (`into` is not here or no longer open)."""
    if copy is None:
        return None
    ours = session.get(Callback, into)
    worked = copy["status"] != "open" or copy["attempts"] > 0
    if ours is not None and source and not ours.source:
        ours.source = source  # (a pull blanks it while a copy has it)
    if not worked:
        return None
    if ours is None or ours.status != "open":
        return json.dumps(dump(Callback.model_validate(copy)), ensure_ascii=False, sort_keys=True)
    if copy["status"] != "open":
        ours.status, ours.taken_by, ours.contact_id, ours.result = (
            copy["status"], copy["taken_by"], copy["contact_id"], copy["result"],
        )
    if copy["attempts"]:
        ours.attempts += copy["attempts"]
        ours.first_attempt_at = min(t for t in (ours.first_attempt_at, copy["first_attempt_at"]) if t is not None)
        ours.last_attempt_at = max(t for t in (ours.last_attempt_at, copy["last_attempt_at"]) if t is not None)
    session.add(ours)
    session.flush()
    enqueue(session, RecordType.CALLBACK, into, dump(ours), now)
    return None
