"""How a pulled record becomes rows of the store: one record type at a time, in the order
their references need, and why a record that cannot be applied is kept aside. Used by the
pull (sync_pull) and by the server's answers to a push (sync_outbox)."""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import delete, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError
from sqlmodel import Session, col, select

from ohjaus_core import records
from ohjaus_core.domain.catalogue import catalogue_from_text, shipped_social
from ohjaus_core.domain.codes import ContactStatus
from ohjaus_core.domain.errors import DataFileError
from ohjaus_core.protocol import PulledChange, RecordType
from .models import (
    Appointment, Assessment, Callback, Client, ClientMerge, Consent, Contact, Credential, FollowUp,
    MissedAppointment, Outcome, Professional, SegmentChoice, Setting, Slot, SyncQuarantine, SyncRecord, Unit, Worker,
)

# The reasons a pulled record is kept aside; the screens say them in the worker's language.
MISSING_REFERENCE = "missing_reference"
DUPLICATE_IDENTITY_CODE = "duplicate_identity_code"
INVALID_RECORD = "invalid"
# Not readable as a record by this version (a newer record type or shape, damaged text);
# reported to the central API as invalid, the reason its protocol knows.
UNREADABLE_RECORD = "unreadable"

# Columns whose unknown target the apply itself handles (shown as taken elsewhere, or NULL).
_RESOLVED_LOCALLY = {("slot", "booked_contact_id"), ("callback", "contact_id"), ("callback", "client_id")}

# What a record's content can cause; a disk problem (OperationalError) is not the record's.
_APPLY_ERRORS = (StatementError, ValidationError, ValueError, KeyError, TypeError, AttributeError)



def _reason_of(error: BaseException) -> str:
    if isinstance(error, UnknownValue):
        return UNREADABLE_RECORD
    if isinstance(error, MergeTargetMissing):
        return MISSING_REFERENCE
    if isinstance(error, IntegrityError) and "identity_code" in str(error.orig):
        return DUPLICATE_IDENTITY_CODE
    if isinstance(error, IntegrityError) and "FOREIGN KEY" in str(error.orig):
        return MISSING_REFERENCE
    return INVALID_RECORD


def _detail_of(error: BaseException) -> str:
    """What went wrong, without a value: SQLite's constraint message names tables and
    columns only; a validation error gives its fields and kinds."""
    if isinstance(error, IntegrityError):
        return str(error.orig)[:200]
    if isinstance(error, StatementError) and error.orig is not None:
        return f"{type(error.orig).__name__}: {str(error.orig).splitlines()[0][:200]}"
    if isinstance(error, (CatalogueRefused, MergeTargetMissing, UnknownValue)):
        return str(error)[:200]
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in error.errors()[:3])
    return type(error).__name__


def _quarantine(session: Session, failures, now: datetime) -> None:
    _keep_aside(session, [
        (change.type.value, change.record_id, change.seq, json.dumps(change.data, ensure_ascii=False, sort_keys=True),
         reason, detail)
        for change, reason, detail in failures
    ], now)


def _keep_aside(session: Session, kept: list[tuple[str, str, int, str, str, str]], now: datetime) -> None:
    """Records kept aside: (type, id, seq, data text, reason, detail) each."""
    rows = [
        {
            "record_type": record_type,
            "record_id": record_id,
            "seq": seq,
            "data": data,
            "reason": reason,
            "detail": detail,
            "at": now,
            "reported": False,
            "seen": False,
        }
        for record_type, record_id, seq, data, reason, detail in kept
    ]
    if not rows:
        return
    table = SyncQuarantine.__table__
    statement = sqlite_insert(table)
    # The same version again keeps its marks (reported, seen); a newer one starts afresh.
    statement = statement.on_conflict_do_update(
        index_elements=["record_type", "record_id"],
        set_={
            c.name: statement.excluded[c.name]
            for c in table.columns
            if c.name not in ("record_type", "record_id", "reported", "seen", "at")
        }
        | {
            "reported": text("CASE WHEN sync_quarantine.seq = excluded.seq THEN sync_quarantine.reported ELSE 0 END"),
            "seen": text("CASE WHEN sync_quarantine.seq = excluded.seq THEN sync_quarantine.seen ELSE 0 END"),
        },
    )
    session.execute(statement, rows)


_MODELS: dict[RecordType, type] = {
    RecordType.UNIT: Unit,
    RecordType.WORKER: Worker,
    RecordType.PROFESSIONAL: Professional,
    RecordType.CLIENT: Client,
    RecordType.CONSENT: Consent,
    RecordType.FOLLOW_UP: FollowUp,
    RecordType.SLOT: Slot,
    RecordType.MISSED_APPOINTMENT: MissedAppointment,
    RecordType.CALLBACK: Callback,
    RecordType.CREDENTIAL: Credential,
    RecordType.APPOINTMENT: Appointment,
    RecordType.MERGE: ClientMerge,
}
_REFERENCE = {t: _MODELS[t] for t in (RecordType.UNIT, RecordType.WORKER, RecordType.PROFESSIONAL)}
_TABLES: dict[str, type] = {model.__table__.name: model for model in (*_MODELS.values(), Contact)}

_APPLY_ORDER = (
    RecordType.UNIT,
    RecordType.WORKER,
    RecordType.CREDENTIAL,  # a worker's sign-in verifier, after the worker
    RecordType.CATALOGUE,
    RecordType.PROFESSIONAL,
    RecordType.CLIENT,
    RecordType.CONSENT,  # after the client it belongs to
    RecordType.CONTACT,
    RecordType.CALLBACK,  # after the clients and contacts it refers to
    RecordType.FOLLOW_UP,
    RecordType.SLOT,
    RecordType.MISSED_APPOINTMENT,
    RecordType.APPOINTMENT,  # after the contacts and slots it names
    RecordType.MERGE,  # last: the records of the merged client it moves are in by then
)


def _upsert(session: Session, model: type, rows: list[dict], keys: tuple[str, ...] = ("id",)) -> None:
    """INSERT ... ON CONFLICT DO UPDATE for many rows at once."""
    if not rows:
        return
    table = model.__table__
    statement = sqlite_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys},
    )
    session.execute(statement, rows)


def _held_versions(session: Session, seqs: dict[tuple[str, str], int]) -> None:
    """The server sequence of each (record type, id) this device now holds: the base of
    its next edit here."""
    rows = [{"record_type": t, "record_id": i, "seq": seq} for (t, i), seq in seqs.items()]
    _upsert(session, SyncRecord, rows, keys=("record_type", "record_id"))


def _row(model: type, data: dict) -> dict:
    """A pulled record's row as `model.model_validate(data).model_dump()` gives it, checked
    by the same validator, without the ORM object: SQLModel sets each field of a table
    model's instance through SQLAlchemy's instrumentation, which was two thirds of a pulled
    page's time (issue 18); the row goes to a Core statement anyway. Refuses what
    model_validate refuses (pydantic's ValidationError)."""
    instance = model.__new__(model)
    model.__pydantic_validator__.validate_python(data, self_instance=instance)
    row = model.__pydantic_serializer__.to_python(instance)
    for name, members in _ENUM_FIELDS.get(model, ()):
        if row[name] is not None and row[name] not in members:
            raise UnknownValue(f"{model.__table__.name}.{name}: not a value this version knows")
    return row


class UnknownValue(ValueError):
    """A pulled value of an enumeration this version does not know (a newer central API's):
    the record is kept aside rather than stored for a screen to fail on. No value in it."""


_SCHEMAS = {
    Client: records.Client, Contact: records.Contact, Assessment: records.Assessment,
    SegmentChoice: records.Segment, Outcome: records.Outcome, FollowUp: records.FollowUp,
}
# The store's model -> its enumerated fields, each with its values (records.ENUMS).
_ENUM_FIELDS: dict[type, tuple[tuple[str, dict], ...]] = {
    model: tuple((name, enum._value2member_map_) for (kind, name), enum in records.ENUMS.items() if kind is schema)
    for model, schema in _SCHEMAS.items()
}


def _apply_many(session: Session, record_type: RecordType, items: list[dict]) -> None:
    if record_type in _REFERENCE:
        model = _REFERENCE[record_type]
        _upsert(session, model, [_row(model, d) for d in items])
    elif record_type == RecordType.CLIENT:
        _upsert(session, Client, _clients(session, items))
    elif record_type == RecordType.FOLLOW_UP:
        _upsert(session, FollowUp, [_row(FollowUp, d) for d in items])
    elif record_type == RecordType.CONTACT:
        _insert_contacts(session, items)
    elif record_type == RecordType.SLOT:
        _upsert(session, Slot, _slots(session, items))
    elif record_type == RecordType.MISSED_APPOINTMENT:
        _upsert(session, MissedAppointment, [_row(MissedAppointment, d) for d in items])
    elif record_type == RecordType.CONSENT:
        _upsert(session, Consent, [_row(Consent, d) for d in items])
    elif record_type == RecordType.CALLBACK:
        _upsert(session, Callback, _callbacks(session, items))
    elif record_type == RecordType.CREDENTIAL:
        _credentials(session, items)
    elif record_type == RecordType.APPOINTMENT:
        from .bookings import appointment_slots

        rows = [_row(Appointment, d) for d in items]
        _upsert(session, Appointment, rows)
        appointment_slots(session, rows)
        # Booked where its contact booked it, never moved: the visit as it is without a row
        # (the central API's answer to a refused first change), so none is kept.
        plain = [r["id"] for r in rows if r["status"] == "booked" and r["moves"] == "[]"]
        if plain:
            session.execute(delete(Appointment.__table__).where(Appointment.__table__.c.id.in_(plain)))
    elif record_type == RecordType.CATALOGUE:
        _catalogue(session, items)
    elif record_type == RecordType.MERGE:
        _merges(session, items)


class MergeTargetMissing(ValueError):
    """A pulled merge into a client this device does not hold (yet): kept aside, tried again."""


def _merges(session: Session, items: list[dict]) -> None:
    """Merges made on another device of the unit (issue 20): the merged client's records move
    to the real client here too. One into a client not held here waits in the quarantine."""
    from .merge import record_merge  # (merge.py builds on this module)

    for item in items:
        merge = ClientMerge.model_validate(item).model_dump(mode="json")
        if session.get(Client, merge["into_id"]) is None:
            raise MergeTargetMissing("client_merge.into_id -> client")
        record_merge(session, merge)


REGION_CATALOGUE = "region_catalogue"  # the setting holding the catalogue the region imported
# ... and the fields of it this version may leave out (records.Catalogue.optional), as JSON
REGION_CATALOGUE_OPTIONAL = "region_catalogue_optional"


class CatalogueRefused(ValueError):
    """A pulled catalogue that does not read: its file, line and reason (no client data)."""


def checked_catalogue(toml: str, optional, social) -> list:
    """The region's catalogue read from its text as strictly as the data folder's file, against
    `social` (the device's own social protocol), leaving out the `optional` fields this version
    does not know; CatalogueRefused (file, line and reason) when it does not fit."""
    if not (isinstance(optional, list) and all(isinstance(name, str) for name in optional)):
        raise CatalogueRefused("catalogue.optional: not a list of field names")
    try:
        return catalogue_from_text(toml, social=social, may_ignore=optional)
    except DataFileError as error:
        raise CatalogueRefused(str(error)) from None


def _catalogue(session: Session, items: list[dict]) -> None:
    """The region's catalogue from its import: checked as strictly as the data folder's file,
    against this device's own social protocol as `ohjaus check` and the start check it (a
    central API of another version let it in) - a broken one is kept aside with the reason,
    shown in F6, and the one held before stays in use - but for the fields the central API
    names optional that this version does not know (a newer version's ordering hints): left
    out, and said in F6 (`SyncPull.region_catalogue_ignored`)."""
    for item in items:
        optional = item.get("optional") or []
        checked_catalogue(item["toml"], optional, shipped_social())
        session.merge(Setting(key=REGION_CATALOGUE, value=item["toml"]))
        session.merge(Setting(key=REGION_CATALOGUE_OPTIONAL, value=json.dumps(optional)))


def _credentials(session: Session, items: list[dict]) -> None:
    """Workers' verifiers set at enrolment on another device of the unit; this device's count
    of wrong tries and any wait stay as they are."""
    rows = [
        {
            "worker_id": d["worker_id"], "kdf": d["kdf"], "params": d["params"], "salt": bytes.fromhex(d["salt"]),
            "digest": bytes.fromhex(d["digest"]), "set_at": datetime.fromisoformat(d["set_at"]),
        }
        for d in items
    ]
    table = Credential.__table__
    statement = sqlite_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["worker_id"],
        set_={key: statement.excluded[key] for key in ("kdf", "params", "salt", "digest", "set_at")},
    )
    session.execute(statement, rows)


def _clients(session: Session, items: list[dict]) -> list[dict]:
    rows = [_row(Client, d) for d in items]
    codes = [row["identity_code"] for row in rows if row["identity_code"]]
    taken: dict[str, str] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        taken.update(
            session.exec(select(Client.identity_code, Client.id).where(col(Client.identity_code).in_(chunk))).all()
        )
    for row in rows:
        other = taken.get(row["identity_code"]) if row["identity_code"] else None
        if other is not None and other != row["id"]:
            # An older local record of the same person under another id: keep both apart
            # rather than break the page; the code stays on the older one.
            row["identity_code"] = None
    return rows


def _existing(session: Session, model: type, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update(session.exec(select(model.id).where(col(model.id).in_(chunk))).all())
    return found


def _insert_contacts(session: Session, items: list[dict]) -> None:
    """Signed contacts never change: one already here is the same. New ones go in as drafts
    with their parts, then are signed, so the immutability triggers stay as they are."""
    existing = _existing(session, Contact, [d["contact"]["id"] for d in items])
    new = [d for d in items if d["contact"]["id"] not in existing]
    if not new:
        return
    contacts = []
    for d in new:
        row = _row(Contact, d["contact"])
        row["status"] = ContactStatus.DRAFT.value
        contacts.append(row)
    session.execute(sqlite_insert(Contact.__table__), contacts)
    for key, model in (("assessment", Assessment), ("segment", SegmentChoice), ("outcome", Outcome)):
        rows = [_row(model, d[key]) for d in new if d.get(key)]
        if rows:
            session.execute(sqlite_insert(model.__table__), rows)
    _upsert(session, FollowUp, [_row(FollowUp, f) for d in new for f in d.get("follow_ups", [])])
    ids = [row["id"] for row in contacts]
    for start in range(0, len(ids), 500):
        session.execute(
            update(Contact.__table__)
            .where(Contact.__table__.c.id.in_(ids[start : start + 500]))
            .values(status=ContactStatus.SIGNED.value)
        )


def _slots(session: Session, items: list[dict]) -> list[dict]:
    """A slot booked by a contact this device may not see is marked taken elsewhere; a
    slot held by a local draft keeps the hold until the server gives it to someone else."""
    holders = [d["booked_contact_id"] for d in items if d.get("booked_contact_id")]
    known = _existing(session, Contact, holders)
    local_holds: dict[str, str] = {}
    ids = [d["id"] for d in items]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        local_holds.update(
            session.exec(
                select(Slot.id, Slot.booked_contact_id)
                .join(Contact, Contact.id == Slot.booked_contact_id)
                .where(col(Slot.id).in_(chunk))
                .where(Contact.status == ContactStatus.DRAFT.value)
            ).all()
        )
    rows = []
    for d in items:
        row = _row(Slot, {**d, "taken_elsewhere": False})
        holder = row["booked_contact_id"]
        if holder is None and row["id"] in local_holds:
            row["booked_contact_id"] = local_holds[row["id"]]
        elif holder is not None and holder not in known:
            row["booked_contact_id"], row["taken_elsewhere"] = None, True
        rows.append(row)
    return rows


def _callbacks(session: Session, items: list[dict]) -> list[dict]:
    """Callback requests as the server has them. A contact this device does not hold
    (another device's draft) or a client it does not hold is stored as NULL, as `_slots`
    does for slots booked by contacts it cannot see; its own draft keeps the request."""
    rows = [_row(Callback, d) for d in items]
    contacts = _existing(session, Contact, [r["contact_id"] for r in rows if r["contact_id"]])
    clients = _existing(session, Client, [r["client_id"] for r in rows if r["client_id"]])
    sources = [r["source"] for r in rows if r["source"]]
    local: dict[str, str] = {}
    for start in range(0, len(sources), 500):
        chunk = sources[start : start + 500]
        local.update(session.exec(select(Callback.source, Callback.id).where(col(Callback.source).in_(chunk))).all())
    for row in rows:
        if row["contact_id"] and row["contact_id"] not in contacts:
            row["contact_id"] = None
        if row["client_id"] and row["client_id"] not in clients:
            row["client_id"] = None
        other = local.get(row["source"]) if row["source"] else None
        if other is not None and other != row["id"]:
            # The same phone-system request under an older random id here: keep both apart
            # rather than break the page (the source stays on the local one).
            row["source"] = ""
    return rows


def _apply(session: Session, record_type: RecordType, record_id: str, data: dict, seq: int) -> None:
    """Make the local copy of one record equal to the server's version."""
    if record_type == RecordType.BOOKING:
        return
    _apply_many(session, record_type, [data])
    session.merge(SyncRecord(record_type=record_type.value, record_id=record_id, seq=seq))


def apply_or_set_aside(session: Session, record_type: RecordType, record_id: str, data: dict, seq: int, now: datetime) -> None:
    """The server's version of one record (an answer's `current`) made the local copy, in a
    savepoint; one this device cannot apply is kept aside as a pulled one would be."""
    try:
        with session.begin_nested():
            _apply(session, record_type, record_id, data, seq)
    except OperationalError:
        raise
    except _APPLY_ERRORS as error:
        change = PulledChange(seq=seq, type=record_type, record_id=record_id, data=data)
        _quarantine(session, [(change, _reason_of(error), _detail_of(error))], now)
