"""The device's side of sync, in the store: the outbox, applying the central API's answers
and pulled pages, and the status the screens show. Each method is one transaction.

The outbox entry of a change is written by the store method that makes the change, in the
same transaction (see `enqueue`), so a record is never saved without it, nor it without
the record. The conflict rules are in docs/sync.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from ..domain.clock import local
from ..domain.codes import ContactStatus, FollowUpKind, FollowUpStatus
from ..domain.contact import new_id
from ..i18n import _, format_date, format_time
from ..sync.protocol import Answer, PulledChange, Reason, RecordType
from .models import (
    Assessment,
    Callback,
    Client,
    Consent,
    Contact,
    FollowUp,
    MissedAppointment,
    Outbox,
    Outcome,
    Professional,
    SegmentChoice,
    Setting,
    Slot,
    SyncProblem,
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
    base = session.get(SyncRecord, (record_type.value, record_id))
    session.add(
        Outbox(
            change_id=new_id(),
            record_type=record_type.value,
            record_id=record_id,
            base_seq=base.seq if base else 0,
            data=json.dumps(data, ensure_ascii=False, sort_keys=True),
            made_at=now,
        )
    )


def contact_family(session: Session, contact_id: str) -> dict:
    """A signed contact as one change: the contact with its assessment, segment, outcome and
    the follow-ups it made. They are immutable together, so they travel together."""
    contact = session.get(Contact, contact_id)

    def child(model: type) -> dict | None:
        row = session.exec(select(model).where(model.contact_id == contact_id)).first()
        return dump(row) if row else None

    follow_ups = session.exec(
        select(FollowUp).where(FollowUp.contact_id == contact_id).order_by(FollowUp.id)
    )
    return {
        "contact": dump(contact),
        "assessment": child(Assessment),
        "segment": child(SegmentChoice),
        "outcome": child(Outcome),
        "follow_ups": [dump(row) for row in follow_ups],
    }


@dataclass(frozen=True)
class SyncStatus:
    configured: bool
    pending: int
    problems: int  # rejected changes and conflicts the worker has not yet looked at
    last_sync_at: datetime | None
    last_error: str


@dataclass(frozen=True)
class AnswerCounts:
    accepted: int = 0
    rejected: int = 0
    conflicts: int = 0


class SyncSide:
    """Mixed into Store."""

    def session(self):  # provided by Store
        raise NotImplementedError

    # -- configuration and status -----------------------------------------------------------

    def sync_config(self) -> tuple[str | None, str | None]:
        with self.session() as session:
            server, token = session.get(Setting, SERVER), session.get(Setting, TOKEN)
            return (server.value if server else None, token.value if token else None)

    def sync_status(self) -> SyncStatus:
        with self.session() as session:
            settings = {
                row.key: row.value
                for row in session.exec(
                    select(Setting).where(col(Setting.key).in_([SERVER, LAST_SYNC, LAST_ERROR]))
                )
            }
            pending = session.exec(select(func.count()).select_from(Outbox)).one()
            problems = session.exec(
                select(func.count()).select_from(SyncProblem).where(SyncProblem.seen == False)  # noqa: E712
            ).one()
        last = settings.get(LAST_SYNC)
        return SyncStatus(
            configured=SERVER in settings,
            pending=pending,
            problems=problems,
            last_sync_at=datetime.fromisoformat(last) if last else None,
            last_error=settings.get(LAST_ERROR, ""),
        )

    def record_sync_result(self, now: datetime, error: str = "") -> None:
        with self.session() as session:
            if not error:
                session.merge(Setting(key=LAST_SYNC, value=now.isoformat()))
            session.merge(Setting(key=LAST_ERROR, value=error))
            session.commit()

    def sync_problems(self, limit: int = 200) -> list[SyncProblem]:
        with self.session() as session:
            query = select(SyncProblem).order_by(col(SyncProblem.at).desc()).limit(limit)
            return list(session.exec(query))

    def mark_problems_seen(self) -> None:
        with self.session() as session:
            session.exec(text("UPDATE sync_problem SET seen = 1 WHERE seen = 0"))
            session.commit()

    # -- push -------------------------------------------------------------------------------

    def pending_changes(self, limit: int) -> list[Outbox]:
        with self.session() as session:
            return list(session.exec(select(Outbox).order_by(Outbox.seq).limit(limit)))

    def pending_count(self) -> int:
        with self.session() as session:
            return session.exec(select(func.count()).select_from(Outbox)).one()

    def apply_answers(self, sent: list[Outbox], answers: list[Answer], now: datetime) -> AnswerCounts:
        """Take the server's answers to a pushed batch, in one transaction: accepted changes
        leave the outbox; rejected ones and conflicts become problems the worker sees; a
        booking into a slot someone else took first becomes a follow-up to rebook."""
        by_id = {answer.change_id: answer for answer in answers}
        accepted = rejected = conflicts = 0
        seen: dict[tuple[str, str], int] = {}
        done: list[int] = []
        with self.session() as session:
            for entry in sent:
                answer = by_id.get(entry.change_id)
                if answer is None:
                    continue  # not answered: stays in the outbox and goes again
                record_type = RecordType(entry.record_type)
                if answer.status == "accepted":
                    accepted += 1
                    if answer.seq is not None:
                        _remember(seen, record_type, entry, answer.seq)
                    if answer.reason is not None:
                        conflicts += 1
                        _problem(session, entry, "conflict", answer, now)
                else:
                    rejected += 1
                    _problem(session, entry, "rejected", answer, now)
                    if answer.reason == Reason.SLOT_TAKEN:
                        self._needs_rebooking(session, json.loads(entry.data), now)
                if answer.current is not None and answer.seq is not None:
                    # The server's version of a record whose change it did not take as sent.
                    kind = RecordType.SLOT if record_type == RecordType.BOOKING else record_type
                    _apply(session, kind, entry.record_id, answer.current, answer.seq)
                    seen.pop((record_type.value, entry.record_id), None)
                    seen.pop((kind.value, entry.record_id), None)
                done.append(entry.seq)
            _upsert(
                session,
                SyncRecord,
                [{"record_type": t, "record_id": i, "seq": seq} for (t, i), seq in seen.items()],
                keys=("record_type", "record_id"),
            )
            for start in range(0, len(done), 500):
                session.execute(delete(Outbox.__table__).where(Outbox.__table__.c.seq.in_(done[start : start + 500])))
            session.commit()
        return AnswerCounts(accepted, rejected, conflicts)

    def _needs_rebooking(self, session: Session, booking: dict, now: datetime) -> None:
        """The slot went to another device's client first: the contact stays as signed, the
        slot is marked taken, and the worker who booked gets a follow-up to book again."""
        contact_id, slot_id = booking.get("contact_id"), booking.get("slot_id")
        if not contact_id:
            return
        session.exec(
            text(
                "UPDATE slot SET booked_contact_id = NULL, taken_elsewhere = 1 "
                "WHERE id = :slot AND booked_contact_id = :contact"
            ).bindparams(slot=slot_id, contact=contact_id)
        )
        contact = session.get(Contact, contact_id)
        slot = session.get(Slot, slot_id)
        if contact is None:
            return
        when = f"{format_date(local(slot.starts_at))} {format_time(local(slot.starts_at))}" if slot else slot_id
        follow_up = FollowUp(
            id=new_id(),
            contact_id=contact_id,
            client_id=contact.client_id,
            kind=FollowUpKind.REBOOK.value,
            due=local(now).date(),
            assignee_id=contact.worker_id,
            status=FollowUpStatus.OPEN.value,
            note=_("The time {when} was booked on another device first: book a new time.").format(
                when=when
            ),
            created_at=now,
        )
        session.add(follow_up)
        session.flush()
        enqueue(session, RecordType.FOLLOW_UP, follow_up.id, dump(follow_up), now)

    # -- the access log (sent by itself, not through the outbox) -----------------------------

    def access_log_sent(self) -> int:
        with self.session() as session:
            row = session.get(Setting, ACCESS_LOG_SENT)
            return int(row.value) if row else 0

    def set_access_log_sent(self, seq: int) -> None:
        with self.session() as session:
            session.merge(Setting(key=ACCESS_LOG_SENT, value=str(seq)))
            session.commit()

    # -- pull -------------------------------------------------------------------------------

    def sync_cursor(self) -> int:
        with self.session() as session:
            row = session.get(Setting, CURSOR)
            return int(row.value) if row else 0

    def apply_page(self, changes: list[PulledChange], last_seq: int) -> int:
        """Apply one pulled page and store the cursor, in one transaction: a device killed
        mid-pull pulls the page again and applies it again, to the same result."""
        with self.session() as session:
            session.exec(text("PRAGMA defer_foreign_keys = ON"))
            pending = _pending_records(session)
            latest: dict[tuple[RecordType, str], PulledChange] = {}
            for change in changes:
                if (change.type.value, change.record_id) in pending:
                    continue  # a local edit is on its way; the server's answer decides
                latest.pop((change.type, change.record_id), None)
                latest[(change.type, change.record_id)] = change
            by_type: dict[RecordType, list[PulledChange]] = {}
            for (record_type, _id), change in latest.items():
                by_type.setdefault(record_type, []).append(change)
            for record_type in _APPLY_ORDER:
                if by_type.get(record_type):
                    _apply_many(session, record_type, [c.data for c in by_type[record_type]])
            if latest:
                seqs: dict[tuple[str, str], int] = {}
                for change in sorted(latest.values(), key=lambda c: c.seq):
                    if change.type == RecordType.CONTACT:
                        # The follow-ups a contact made are versions of their own: the base
                        # of their next edit here.
                        for follow_up in change.data.get("follow_ups", []):
                            key = (RecordType.FOLLOW_UP.value, follow_up["id"])
                            if key not in pending:
                                seqs[key] = max(seqs.get(key, 0), change.seq)
                    if change.type != RecordType.BOOKING:
                        key = (change.type.value, change.record_id)
                        seqs[key] = max(seqs.get(key, 0), change.seq)
                _upsert(
                    session,
                    SyncRecord,
                    [{"record_type": t, "record_id": i, "seq": seq} for (t, i), seq in seqs.items()],
                    keys=("record_type", "record_id"),
                )
            session.merge(Setting(key=CURSOR, value=str(last_seq)))
            session.commit()
        return len(latest)


_APPLY_ORDER = (
    RecordType.UNIT,
    RecordType.WORKER,
    RecordType.PROFESSIONAL,
    RecordType.CLIENT,
    RecordType.CONSENT,  # after the client it belongs to
    RecordType.CONTACT,
    RecordType.CALLBACK,  # after the clients and contacts it refers to
    RecordType.FOLLOW_UP,
    RecordType.SLOT,
    RecordType.MISSED_APPOINTMENT,
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


def _apply_many(session: Session, record_type: RecordType, items: list[dict]) -> None:
    if record_type in _REFERENCE:
        model = _REFERENCE[record_type]
        _upsert(session, model, [model.model_validate(d).model_dump() for d in items])
    elif record_type == RecordType.CLIENT:
        _upsert(session, Client, _clients(session, items))
    elif record_type == RecordType.FOLLOW_UP:
        _upsert(session, FollowUp, [FollowUp.model_validate(d).model_dump() for d in items])
    elif record_type == RecordType.CONTACT:
        _insert_contacts(session, items)
    elif record_type == RecordType.SLOT:
        _upsert(session, Slot, _slots(session, items))
    elif record_type == RecordType.MISSED_APPOINTMENT:
        _upsert(session, MissedAppointment, [MissedAppointment.model_validate(d).model_dump() for d in items])
    elif record_type == RecordType.CONSENT:
        _upsert(session, Consent, [Consent.model_validate(d).model_dump() for d in items])
    elif record_type == RecordType.CALLBACK:
        _upsert(session, Callback, _callbacks(session, items))


def _clients(session: Session, items: list[dict]) -> list[dict]:
    rows = [Client.model_validate(d).model_dump() for d in items]
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
        row = Contact.model_validate(d["contact"]).model_dump()
        row["status"] = ContactStatus.DRAFT.value
        contacts.append(row)
    session.execute(sqlite_insert(Contact.__table__), contacts)
    for key, model in (("assessment", Assessment), ("segment", SegmentChoice), ("outcome", Outcome)):
        rows = [model.model_validate(d[key]).model_dump() for d in new if d.get(key)]
        if rows:
            session.execute(sqlite_insert(model.__table__), rows)
    _upsert(session, FollowUp, [FollowUp.model_validate(f).model_dump() for d in new for f in d.get("follow_ups", [])])
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
        row = Slot.model_validate({**d, "taken_elsewhere": False}).model_dump()
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
    rows = [Callback.model_validate(d).model_dump() for d in items]
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


def _pending_records(session: Session) -> set[tuple[str, str]]:
    rows = session.exec(select(Outbox.record_type, Outbox.record_id))
    pending = set()
    for record_type, record_id in rows:
        if record_type == RecordType.BOOKING.value:
            pending.add((RecordType.SLOT.value, record_id))
        else:
            pending.add((record_type, record_id))
    return pending


def _remember(seen: dict[tuple[str, str], int], record_type: RecordType, entry: Outbox, seq: int) -> None:
    """The server sequence of the version this device now holds (the base of its next edit)."""
    if record_type == RecordType.CONTACT:
        for follow_up in json.loads(entry.data).get("follow_ups", []):
            seen[("follow_up", follow_up["id"])] = seq
    if record_type == RecordType.BOOKING:
        seen[(RecordType.SLOT.value, entry.record_id)] = seq
        return
    seen[(record_type.value, entry.record_id)] = seq


def _problem(session: Session, entry: Outbox, kind: str, answer: Answer, now: datetime) -> None:
    exists = session.exec(
        select(SyncProblem).where(SyncProblem.change_id == entry.change_id).where(SyncProblem.kind == kind)
    ).first()
    if exists:
        return
    session.add(
        SyncProblem(
            id=new_id(),
            change_id=entry.change_id,
            kind=kind,
            record_type=entry.record_type,
            record_id=entry.record_id,
            reason=(answer.reason or Reason.INVALID).value,
            detail=answer.detail[:2000],
            data=entry.data,
            at=now,
        )
    )


def _apply(session: Session, record_type: RecordType, record_id: str, data: dict, seq: int) -> None:
    """Make the local copy of one record equal to the server's version."""
    if record_type == RecordType.BOOKING:
        return
    _apply_many(session, record_type, [data])
    session.merge(SyncRecord(record_type=record_type.value, record_id=record_id, seq=seq))
