"""The outbox and what the central API answers to it: the changes waiting to be sent, the
answers to a pushed batch, the problems the worker sees, and the sync status the screens show.
A repository of the Store (store.outbox); each method is one transaction.

The outbox entry of a change is written by the store method that makes the change, in the
same transaction (sync_side.enqueue). The conflict rules are in docs/sync.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, func, text
from sqlmodel import Session, col, select

from ohjaus_core.domain.clock import local
from ohjaus_core.domain.codes import FollowUpKind, FollowUpStatus
from ohjaus_core.domain.contact import new_id
from ohjaus_core.i18n import _, format_date, format_time
from ohjaus_core.protocol import Answer, Reason, RecordType
from .models import Contact, FollowUp, Outbox, Setting, Slot, SyncProblem, SyncQuarantine
from .repository import Repository
from .sync_apply import apply_or_set_aside
from .sync_callbacks import held_elsewhere, rekey_earlier_imports, take_held
from .sync_side import ACCESS_LOG_SENT, LAST_ERROR, LAST_SYNC, SERVER, TOKEN, dump, enqueue


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



class SyncOutbox(Repository):
    """The device's outgoing side of sync (store.outbox)."""

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
            ).one() + session.exec(
                select(func.count()).select_from(SyncQuarantine).where(SyncQuarantine.seen == False)  # noqa: E712
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
            session.exec(text("UPDATE sync_quarantine SET seen = 1 WHERE seen = 0"))
            session.commit()

    # -- push -------------------------------------------------------------------------------

    def pending_changes(self, limit: int, after: int = 0) -> list[Row]:
        """The first entries of the outbox (those after outbox seq `after`), in order: rows
        with the columns a push sends as attributes (seq, change_id, record_type, record_id,
        base_seq, data), read as driver SQL (issue 18: the rows' type processing was a
        quarter of a device's push)."""
        with self.session() as session:
            return session.connection().exec_driver_sql(_PENDING, (after, limit)).fetchall()

    def rekey_earlier_imports(self, now: datetime) -> int:
        """Once on a device, before its first push after the upgrade of 5.12.2026: requests
        imported before it and never acknowledged get the ids the central API takes
        (sync_callbacks.rekey_earlier_imports). Returns how many."""
        with self.session() as session:
            moved = rekey_earlier_imports(session, now)
            session.commit()
        return moved

    def pending_count(self) -> int:
        with self.session() as session:
            return session.exec(select(func.count()).select_from(Outbox)).one()

    def apply_answers(self, sent: list[Row], answers: list[Answer], now: datetime) -> AnswerCounts:
        """Take the server's answers to a pushed batch, in one transaction: accepted changes
        leave the outbox; rejected ones and conflicts become problems the worker sees; a
        booking into a slot someone else took first becomes a follow-up to rebook."""
        by_id = {answer.change_id: answer for answer in answers}
        accepted = rejected = conflicts = 0
        seen: dict[tuple[str, str], int] = {}
        done: list[int] = []
        with self.session() as session:
            # A write first, so that the transaction is open before any savepoint (the
            # driver begins one only before a write; a savepoint outside it commits alone).
            session.execute(text("DELETE FROM outbox WHERE 0"))
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
                    held = held_elsewhere(record_type, entry.record_id, answer)
                    if held is not None:
                        # A second copy of a request the unit holds under its earlier id.
                        copy = take_held(session, entry.record_id, held, answer.current, answer.seq, now)
                        if copy is not None:  # what the worker did on it could not be carried over
                            rejected += 1
                            _problem(session, entry, "rejected", answer, now, data=copy)
                        done.append(entry.seq)
                        continue
                    rejected += 1
                    _problem(session, entry, "rejected", answer, now)
                    if answer.reason == Reason.SLOT_TAKEN and record_type == RecordType.BOOKING:
                        self._needs_rebooking(session, json.loads(entry.data), now)
                    elif answer.reason == Reason.SLOT_TAKEN and record_type == RecordType.APPOINTMENT:
                        # A move into a time another device took first: the time is marked
                        # taken, and the server's version below puts the visit back where it was.
                        sent = json.loads(entry.data)
                        session.exec(
                            text(
                                "UPDATE slot SET booked_contact_id = NULL, taken_elsewhere = 1 "
                                "WHERE id = :slot AND booked_contact_id = :contact"
                            ).bindparams(slot=sent.get("slot_id"), contact=sent.get("contact_id"))
                        )
                if answer.current is not None and answer.seq is not None:
                    # The server's version of a record whose change it did not take as sent.
                    kind = RecordType.SLOT if record_type == RecordType.BOOKING else record_type
                    apply_or_set_aside(session, kind, entry.record_id, answer.current, answer.seq, now)
                    seen.pop((record_type.value, entry.record_id), None)
                    seen.pop((kind.value, entry.record_id), None)
                done.append(entry.seq)
            connection = session.connection()
            if seen:  # the held versions (sync_apply._held_versions) as driver SQL: one executemany
                connection.exec_driver_sql(_HELD, [(kind, record_id, seq) for (kind, record_id), seq in seen.items()])
            for start in range(0, len(done), 500):
                chunk = done[start : start + 500]
                connection.exec_driver_sql(f"DELETE FROM outbox WHERE seq IN ({', '.join('?' * len(chunk))})", tuple(chunk))
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
        # The booking is no longer in place: the reports count the contact's day again (help
        # still owed, not resolved at the first contact).
        session.exec(text("INSERT OR IGNORE INTO report_queue (contact_id) VALUES (:contact)").bindparams(contact=contact_id))

    # -- the access log (sent by itself, not through the outbox) -----------------------------

    def access_log_sent(self) -> int:
        with self.session() as session:
            row = session.get(Setting, ACCESS_LOG_SENT)
            return int(row.value) if row else 0

    def set_access_log_sent(self, seq: int) -> None:
        with self.session() as session:
            session.merge(Setting(key=ACCESS_LOG_SENT, value=str(seq)))
            session.commit()


_PENDING = "SELECT seq, change_id, record_type, record_id, base_seq, data FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?"
_HELD = (
    "INSERT INTO sync_record (record_type, record_id, seq) VALUES (?, ?, ?) "
    "ON CONFLICT (record_type, record_id) DO UPDATE SET seq = excluded.seq"
)


def _remember(seen: dict[tuple[str, str], int], record_type: RecordType, entry: Row, seq: int) -> None:
    """The server sequence of the version this device now holds (the base of its next edit)."""
    if record_type == RecordType.CONTACT:
        for follow_up in _follow_ups(entry.data):
            seen[("follow_up", follow_up["id"])] = seq
    if record_type == RecordType.BOOKING:
        seen[(RecordType.SLOT.value, entry.record_id)] = seq
        return
    seen[(record_type.value, entry.record_id)] = seq


_FOLLOW_UPS = '"follow_ups":'
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def _follow_ups(text: str) -> list:
    """A pushed contact's follow-ups, read without reading the rest of its JSON (issue 18:
    that was a fifth of a device's push). Outside a text a quote is never escaped, so the key
    written once is the family's own; anything else is read whole."""
    at = text.find(_FOLLOW_UPS)
    if at < 0 or text.find(_FOLLOW_UPS, at + 1) >= 0:
        return json.loads(text).get("follow_ups", [])
    value, _end = _DECODER.raw_decode(text, _SPACE.match(text, at + len(_FOLLOW_UPS)).end())
    return value


def _problem(session: Session, entry: Row, kind: str, answer: Answer, now: datetime, data: str | None = None) -> None:
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
            data=entry.data if data is None else data,
            at=now,
        )
    )
