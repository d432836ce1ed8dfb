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
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from pydantic import ValidationError
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
from ohjaus_core import records
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


def enqueue(session: Session, record_type: RecordType, record_id: str, data: dict, now: datetime) -> None:
    """Write the outbox entry of a change, in the caller's transaction."""
    base_query, insert_ = _enqueue_statements()
    base = session.exec(base_query, params={"type": record_type.value, "id": record_id}).first()
    session.exec(insert_, params=_outbox_row(record_type, record_id, base or 0, data, now))


def _outbox_row(record_type: RecordType, record_id: str, base_seq: int, data: dict, now: datetime) -> dict:
    return {
        "change_id": new_id(),
        "record_type": record_type.value,
        "record_id": record_id,
        "base_seq": base_seq,
        "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
        "made_at": now,
    }


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
        params=[_outbox_row(record_type, record_id, bases.get(record_id, 0), data, now) for record_id, data in changes],
    )


def contact_family(session: Session, contact_id: str) -> dict:
    """A signed contact as one change (records.ContactFamily): the contact with its
    assessment, segment, outcome and the follow-ups it made. They are immutable together, so
    they travel together. Read with Core (no ORM object a row), each row through its schema."""
    family: dict[str, Any] = {}
    for part, (_table, schema, _column) in _FAMILY.items():
        rows = [schema.wire(row) for row in session.execute(_family_query(part), {"id": contact_id}).mappings()]
        family[part] = rows if part == "follow_ups" else (rows[0] if rows else None)
    return family


@lru_cache(maxsize=None)
def _family_query(part: str):
    """The query of one part of a contact's change: the schema's columns of its table."""
    model, schema, column = _FAMILY[part]
    table = model.__table__
    query = select(*(table.c[name] for name in schema.model_fields)).where(table.c[column] == bindparam("id"))
    return query.order_by(table.c.id) if part == "follow_ups" else query.limit(1)


@dataclass(frozen=True)
class SyncStatus:
    configured: bool
    pending: int
    problems: int  # rejected changes and conflicts the worker has not yet looked at
    last_sync_at: datetime | None
    last_error: str


@dataclass(frozen=True)
class Removal:
    """What a removal pass did: the clients removed (by why) with their records, and the
    clients that were due to leave but stay for now (by why)."""

    scope: int = 0  # removed: the central API says the unit no longer serves them
    retention: int = 0  # removed: past the region's retention on devices
    records: int = 0  # contacts, follow-ups, consents, callbacks, missed appointments with them
    kept_pending: int = 0  # something of theirs is not sent yet
    kept_open: int = 0  # an open follow-up, a waiting callback, a booking to come, a draft
    kept_log: int = 0  # access-log entries about them are not on the central API yet

    @property
    def removed(self) -> int:
        return self.scope + self.retention

    @property
    def kept(self) -> int:
        return self.kept_pending + self.kept_open + self.kept_log


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
RETENTION_CHECKED = "retention_checked_on"  # the day the retention pass last ran
LAST_REMOVAL = "sync_last_removal"  # JSON: what the last round that removed clients did
WANTED_BACK = "clients_wanted_back"  # JSON: removed clients a worker tried to add again (Store.add_client)

# The day of a client's latest contact, booking, follow-up, callback, missed appointment,
# consent (or of the record itself), in UTC text: whole days are what the rule counts.
_LAST_ACTIVITY = """
WITH act(client_id, day) AS (
    SELECT id, substr(created_at, 1, 10) FROM client
    UNION ALL SELECT client_id, substr(coalesce(signed_at, started_at), 1, 10) FROM contact WHERE client_id IS NOT NULL
    UNION ALL SELECT c.client_id, substr(s.starts_at, 1, 10) FROM slot AS s JOIN contact AS c ON c.id = s.booked_contact_id
    UNION ALL SELECT coalesce(f.client_id, c.client_id), substr(max(f.due, f.created_at), 1, 10)
        FROM follow_up AS f JOIN contact AS c ON c.id = f.contact_id
    UNION ALL SELECT client_id, substr(coalesce(last_attempt_at, requested_at), 1, 10) FROM callback WHERE client_id IS NOT NULL
    UNION ALL SELECT client_id, substr(max(starts_at, recorded_at), 1, 10) FROM missed_appointment
    UNION ALL SELECT client_id, substr(coalesce(revoked_at, recorded_at), 1, 10) FROM consent
    UNION ALL SELECT a.client_id, substr(max(s.starts_at, a.changed_at), 1, 10)
        FROM appointment AS a JOIN slot AS s ON s.id = a.slot_id
)
SELECT client_id FROM act WHERE client_id IS NOT NULL GROUP BY client_id HAVING max(day) < :cutoff
"""

# The clients with an open item: an unsigned draft, an open or planned follow-up, a callback
# not yet done, a booking still to come.
_OPEN_ITEMS = """
SELECT client_id FROM contact WHERE status = 'draft' AND client_id IS NOT NULL
UNION SELECT coalesce(f.client_id, c.client_id) FROM follow_up AS f JOIN contact AS c ON c.id = f.contact_id
    WHERE f.status IN ('planned', 'open')
UNION SELECT client_id FROM callback WHERE status IN ('open', 'taken') AND client_id IS NOT NULL
UNION SELECT c.client_id FROM slot AS s JOIN contact AS c ON c.id = s.booked_contact_id WHERE s.starts_at >= :now
UNION SELECT a.client_id FROM appointment AS a JOIN slot AS s ON s.id = a.slot_id
    WHERE a.status = 'booked' AND s.starts_at >= :now AND a.client_id IS NOT NULL
"""


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
                    # The server's version of a record whose change it did not take as sent;
                    # one this device cannot apply is kept aside as a pulled one would be.
                    kind = RecordType.SLOT if record_type == RecordType.BOOKING else record_type
                    try:
                        with session.begin_nested():
                            _apply(session, kind, entry.record_id, answer.current, answer.seq)
                    except OperationalError:
                        raise
                    except _APPLY_ERRORS as error:
                        change = PulledChange(seq=answer.seq, type=kind, record_id=entry.record_id, data=answer.current)
                        _quarantine(session, [(change, _reason_of(error), _detail_of(error))], now)
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

    # -- clients leaving the device (issue 20; docs/sync.md) --------------------------------

    def removed_clients(self) -> dict[str, str]:
        """The clients this device removed, with why (scope or retention)."""
        with self.session() as session:
            return dict(session.exec(select(ClientRemoved.client_id, ClientRemoved.reason)).all())

    def clients_wanted_back(self) -> list[str]:
        """Clients removed for retention that a pulled record kept aside refers to: someone
        is in touch with them again, so they come back whole."""
        with self.session() as session:
            rows = session.execute(
                text(
                    "SELECT r.client_id FROM client_removed AS r WHERE EXISTS "
                    "(SELECT 1 FROM sync_quarantine AS q WHERE q.reason = :missing AND instr(q.data, r.client_id) > 0)"
                ),
                {"missing": MISSING_REFERENCE},
            ).all()
            asked = session.get(Setting, WANTED_BACK)
            removed = set(session.exec(select(ClientRemoved.client_id)).all())
        # ... and those a worker tried to add again (Store.add_client): they come back whole.
        wanted = [row[0] for row in rows]
        return wanted + [c for c in (json.loads(asked.value) if asked else []) if c in removed and c not in wanted]

    def record_removal(self, now: datetime, removed: int, records: int, kept: int, restored: int) -> None:
        """What the last round that removed, kept or took back clients did (the sync view)."""
        value = json.dumps({"at": now.isoformat(), "removed": removed, "records": records, "kept": kept, "restored": restored})
        with self.session() as session:
            session.merge(Setting(key=LAST_REMOVAL, value=value))
            session.commit()

    def last_removal(self) -> dict | None:
        """{at (datetime), removed, records, kept, restored} of the last round that removed,
        kept or took back clients; None when none has."""
        with self.session() as session:
            row = session.get(Setting, LAST_REMOVAL)
        if row is None:
            return None
        value = json.loads(row.value)
        return {**value, "at": datetime.fromisoformat(value["at"])}

    def retention_due(self, now: datetime) -> bool:
        """Whether the retention pass has not run today (it reads every client's dates)."""
        with self.session() as session:
            row = session.get(Setting, RETENTION_CHECKED)
        return row is None or row.value != now.date().isoformat()

    def remove_clients(
        self, out_of_scope: set[str], retention_days: int | None, now: datetime
    ) -> Removal:
        """Remove from this device, in one transaction, the clients the central API says are
        out of its unit's scope (ids this device does not hold are ignored) and, when
        `retention_days` is given, those whose last activity is more than that many days
        old; each with every record about them (contacts and their parts, follow-ups,
        consents, callbacks, missed appointments; the search indexes by the store's
        triggers). Never one with a change still in the outbox (not even one of a contact
        that refers to the client), an open item, or an access-log entry the central API
        does not hold yet: they stay and are counted. The access log itself stays whole
        (it is a chain; its entries name the client's id, not the client's data).
        A removed client is remembered in `client_removed`."""
        with self.session() as session:
            session.execute(text("DELETE FROM outbox WHERE 0"))  # opens the transaction
            held = set(session.exec(select(Client.id)).all())
            due: dict[str, str] = {c: "scope" for c in out_of_scope & held}
            if retention_days is not None:
                cutoff = (now - timedelta(days=retention_days)).date().isoformat()
                for (client_id,) in session.execute(text(_LAST_ACTIVITY), {"cutoff": cutoff}):
                    if client_id in held:
                        due.setdefault(client_id, "retention")
            if not due:
                if retention_days is not None:
                    session.merge(Setting(key=RETENTION_CHECKED, value=now.date().isoformat()))
                session.commit()
                return Removal()
            contacts: dict[str, str] = {}
            ids = list(due)
            for start in range(0, len(ids), 500):
                contacts.update(
                    session.exec(
                        select(Contact.id, Contact.client_id).where(col(Contact.client_id).in_(ids[start : start + 500]))
                    ).all()
                )
            # Every id an outbox entry names (its record's, and any in its data): a change of
            # the client, or of anything that refers to the client or to one of their contacts.
            named: set[str] = set()
            for record_id, data in session.exec(select(Outbox.record_id, Outbox.data)):
                named.add(record_id)
                named.update(_UUID.findall(data))
            pending = {c for c in due if c in named} | {c for k, c in contacts.items() if k in named and c in due}
            open_items = {row[0] for row in session.execute(text(_OPEN_ITEMS), {"now": now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")})}
            sent = session.get(Setting, ACCESS_LOG_SENT)
            unsent = set(
                session.exec(
                    select(AccessLog.client_id)
                    .where(AccessLog.seq > (int(sent.value) if sent else 0))
                    .where(col(AccessLog.client_id).is_not(None))
                    .distinct()
                ).all()
            )
            kept_pending = {c for c in due if c in pending}
            kept_open = {c for c in due if c in open_items} - kept_pending
            kept_log = {c for c in due if c in unsent} - kept_pending - kept_open
            leaving = [c for c in due if c not in kept_pending | kept_open | kept_log]
            leaving_set = set(leaving)
            records = _delete_clients(session, leaving, [k for k, v in contacts.items() if v in leaving_set])
            if retention_days is not None and not (kept_pending or kept_log):
                # Done for today; one waiting only to be sent is tried again at the next round.
                session.merge(Setting(key=RETENTION_CHECKED, value=now.date().isoformat()))
            if leaving:
                _upsert(
                    session,
                    ClientRemoved,
                    [{"client_id": c, "reason": due[c], "removed_at": now} for c in leaving],
                    keys=("client_id",),
                )
            session.commit()
        return Removal(
            scope=sum(1 for c in leaving if due[c] == "scope"),
            retention=sum(1 for c in leaving if due[c] == "retention"),
            records=records,
            kept_pending=len(kept_pending),
            kept_open=len(kept_open),
            kept_log=len(kept_log),
        )

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

    def region_catalogue(self) -> list | None:
        """The referral catalogue the region imported on the central API, as this device last
        pulled it; None when none came (the data folder's is used)."""
        with self.session() as session:
            row = session.get(Setting, REGION_CATALOGUE)
        return catalogue_from_text(row.value) if row else None

    def apply_page(
        self,
        changes: list[PulledChange],
        last_seq: int | None,
        now: datetime | None = None,
        restoring: frozenset[str] = frozenset(),
    ) -> int:
        """Apply one pulled page and store the cursor, in one transaction: a device killed
        mid-pull pulls the page again and applies it again, to the same result.

        A record that cannot be applied here (it refers to a record this device does not
        hold, it is a second client with an identity code held here, a value the store
        refuses) does not stop the page: it goes to `sync_quarantine` with its reason and
        sequence, so the cursor moves past it without losing it, and it is tried again at
        every later pull (what it refers to may arrive then). Returns the records applied.

        A pulled client record of a client this device removed (`client_removed`) is passed
        over: an edit alone does not bring the client back. `restoring` names removed clients
        whose records these are, sent whole by the central API: they come back, and leave
        `client_removed`, in this transaction. `last_seq` None leaves the cursor as it is."""
        now = now or datetime.now(UTC)
        known: dict[tuple[RecordType, str], tuple[PulledChange, str, str]] = {}
        # First without savepoints: a savepoint copies every page a statement touches aside
        # first, which made a page's cost grow with the store (issue 18). Should the store
        # refuse anything, the page is applied again from the start with them.
        guarded = False
        while True:
            # A record refused while the page was applied may be one that others of the page
            # refer to: the page is applied again without it, and they are kept aside too
            # (their foreign keys are checked only at the commit).
            try:
                applied = self._apply_page_once(changes, last_seq, now, known, guarded, restoring)
            except _Refused:
                guarded = True
                continue
            if applied is not None:
                return applied

    def _apply_page_once(
        self,
        changes: list[PulledChange],
        last_seq: int,
        now: datetime,
        known: dict[tuple[RecordType, str], tuple[PulledChange, str, str]],
        guarded: bool = True,
        restoring: frozenset[str] = frozenset(),
    ) -> int | None:
        with self.session() as session:
            # The cursor first: its write opens the transaction, so the savepoints below are
            # nested in it (the driver begins a transaction only before a write).
            if last_seq is None:
                session.execute(text("DELETE FROM outbox WHERE 0"))
            else:
                session.merge(Setting(key=CURSOR, value=str(last_seq)))
                session.flush()
            session.exec(text("PRAGMA defer_foreign_keys = ON"))
            pending = _pending_records(session)
            if restoring:
                session.execute(
                    delete(ClientRemoved.__table__).where(ClientRemoved.__table__.c.client_id.in_(list(restoring)))
                )
            removed = set(session.exec(select(ClientRemoved.client_id)).all())
            latest: dict[tuple[RecordType, str], PulledChange] = {}
            for change in _quarantined(session):  # older versions first: the page's win
                if (change.type.value, change.record_id) not in pending:
                    latest[(change.type, change.record_id)] = change
            retrying = {key for key in latest}
            for change in changes:
                if (change.type.value, change.record_id) in pending:
                    continue  # a local edit is on its way; the server's answer decides
                if change.type == RecordType.CLIENT and change.record_id in removed:
                    continue  # removed from this device: comes back whole, or not at all
                latest.pop((change.type, change.record_id), None)
                latest[(change.type, change.record_id)] = change
                retrying.discard((change.type, change.record_id))
            failed = {key: value for key, value in known.items() if key in latest}
            _unresolved(session, list(latest.values()), failed)
            by_type: dict[RecordType, list[PulledChange]] = {}
            for key, change in latest.items():
                if key not in failed:
                    by_type.setdefault(key[0], []).append(change)
            before = set(failed)
            for record_type in _APPLY_ORDER:
                if by_type.get(record_type):
                    # The page's records together; the ones kept aside before, one by one
                    # (one that still fails does not make the page's go one by one).
                    fresh = [c for c in by_type[record_type] if (c.type, c.record_id) not in retrying]
                    if not guarded:
                        _apply_unguarded(session, record_type, by_type[record_type])
                        continue
                    _apply_guarded(session, record_type, fresh, failed)
                    for change in by_type[record_type]:
                        if (change.type, change.record_id) in retrying:
                            _apply_guarded(session, record_type, [change], failed)
            # Records of a client merged here (or with this page) that came with the page
            # (older versions, another device's): to the client it was merged into (issue 20).
            from .merge import redirect_merged

            redirect_merged(session)
            refused = {key: value for key, value in failed.items() if key not in before}
            if refused and _referred_to(refused, latest, failed):
                session.rollback()
                known.update(refused)
                return None
            applied = [change for key, change in latest.items() if key not in failed]
            if applied:
                seqs: dict[tuple[str, str], int] = {}
                for change in sorted(applied, key=lambda c: c.seq):
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
                for start in range(0, len(applied), 200):
                    chunk = applied[start : start + 200]
                    session.execute(
                        delete(SyncQuarantine.__table__).where(
                            tuple_(SyncQuarantine.__table__.c.record_type, SyncQuarantine.__table__.c.record_id).in_(
                                [(c.type.value, c.record_id) for c in chunk]
                            )
                        )
                    )
            _quarantine(session, failed.values(), now)
            session.commit()
        return len(applied)

    def quarantined(self, limit: int = 200) -> list[SyncQuarantine]:
        with self.session() as session:
            query = select(SyncQuarantine).order_by(col(SyncQuarantine.seq)).limit(limit)
            return list(session.exec(query))

    def unreported_quarantine(self, limit: int = 500) -> list[SyncQuarantine]:
        with self.session() as session:
            query = (
                select(SyncQuarantine)
                .where(SyncQuarantine.reported == False)  # noqa: E712
                .order_by(col(SyncQuarantine.seq))
                .limit(limit)
            )
            return list(session.exec(query))

    def mark_quarantine_reported(self, keys: list[tuple[str, str, int]]) -> None:
        """The central API has the report of these (type, id, seq): not sent again."""
        with self.session() as session:
            for record_type, record_id, seq in keys:
                session.exec(
                    text(
                        "UPDATE sync_quarantine SET reported = 1 "
                        "WHERE record_type = :t AND record_id = :i AND seq = :s"
                    ).bindparams(t=record_type, i=record_id, s=seq)
                )
            session.commit()


# The reasons a pulled record is kept aside; the screens say them in the worker's language.
MISSING_REFERENCE = "missing_reference"
DUPLICATE_IDENTITY_CODE = "duplicate_identity_code"
INVALID_RECORD = "invalid"

# Columns whose unknown target the apply itself handles (shown as taken elsewhere, or NULL).
_RESOLVED_LOCALLY = {("slot", "booked_contact_id"), ("callback", "contact_id"), ("callback", "client_id")}

# What a record's content can cause; a disk problem (OperationalError) is not the record's.
_APPLY_ERRORS = (StatementError, ValidationError, ValueError, KeyError, TypeError, AttributeError)


def _quarantined(session: Session) -> list[PulledChange]:
    """The records kept aside, as changes to try again; a record already held here in the
    same or a later version leaves the quarantine."""
    rows = list(session.exec(select(SyncQuarantine).order_by(col(SyncQuarantine.seq))))
    retry = []
    for row in rows:
        held = session.get(SyncRecord, (row.record_type, row.record_id))
        if held is not None and held.seq >= row.seq:
            session.delete(row)
            continue
        try:
            retry.append(
                PulledChange(seq=row.seq, type=row.record_type, record_id=row.record_id, data=json.loads(row.data))
            )
        except (ValueError, ValidationError):
            continue  # kept, shown; nothing to try
    return retry


def _parts(change: PulledChange) -> list[tuple[type, dict]]:
    """The rows a pulled record becomes, with their models."""
    data = change.data
    if change.type == RecordType.CONTACT:
        parts: list[tuple[type, dict]] = [(Contact, data.get("contact") or {})]
        for key, model in (("assessment", Assessment), ("segment", SegmentChoice), ("outcome", Outcome)):
            if isinstance(data.get(key), dict):
                parts.append((model, data[key]))
        parts += [(FollowUp, f) for f in data.get("follow_ups") or [] if isinstance(f, dict)]
        return parts
    model = _MODELS.get(change.type)
    return [(model, data)] if model is not None else []


def _unresolved(
    session: Session, changes: list[PulledChange], failed: dict[tuple[RecordType, str], tuple[PulledChange, str, str]]
) -> None:
    """Mark the records that refer to something this device neither holds nor receives in
    this page (a contact of a client it was never sent), and what refers to them in turn;
    and, of clients sharing an identity code, all but one. They would break the page's
    transaction at its commit (the foreign keys are checked then)."""
    _duplicate_codes(session, changes, failed)
    in_page: dict[str, set[str]] = {}
    references: dict[tuple[RecordType, str], list[tuple[str, str, str]]] = {}
    for change in changes:
        key = (change.type, change.record_id)
        if key in failed:
            continue
        refs = []
        for model, row in _parts(change):
            table = model.__table__
            if row.get("id"):
                in_page.setdefault(table.name, set()).add(row["id"])
            for column in table.columns:
                if (table.name, column.name) in _RESOLVED_LOCALLY:
                    continue
                for foreign_key in column.foreign_keys:
                    value = row.get(column.name)
                    if isinstance(value, str) and value:
                        refs.append((foreign_key.column.table.name, column.name, value))
        references[key] = refs
    wanted: dict[str, set[str]] = {}
    for refs in references.values():
        for target, _column, value in refs:
            if value not in in_page.get(target, ()):
                wanted.setdefault(target, set()).add(value)
    held: dict[str, set[str]] = {}
    for target, ids in wanted.items():
        found: set[str] = set()
        id_list = list(ids)
        for start in range(0, len(id_list), 500):
            chunk = id_list[start : start + 500]
            found.update(_ids(session, target, chunk))
        held[target] = found
    by_key = {(c.type, c.record_id): c for c in changes}
    changed = True
    while changed:
        changed = False
        for key, refs in references.items():
            if key in failed:
                continue
            for target, column, value in refs:
                if value in held.get(target, ()) or value in in_page.get(target, ()):
                    continue
                failed[key] = (by_key[key], MISSING_REFERENCE, f"{column} -> {target}")
                for model, row in _parts(by_key[key]):
                    if row.get("id"):
                        in_page.get(model.__table__.name, set()).discard(row["id"])
                changed = True
                break


def _referred_to(refused: dict, latest: dict, failed: dict) -> bool:
    """Whether a record applied with this page refers to one of the refused ones."""
    gone: set[tuple[str, str]] = set()
    for change, _reason, _detail in refused.values():
        for model, row in _parts(change):
            if row.get("id"):
                gone.add((model.__table__.name, row["id"]))
    for key, change in latest.items():
        if key in failed:
            continue
        for model, row in _parts(change):
            for column in model.__table__.columns:
                for foreign_key in column.foreign_keys:
                    if (foreign_key.column.table.name, row.get(column.name)) in gone:
                        return True
    return False


def _ids(session: Session, table: str, ids: list[str]) -> set[str]:
    model = _TABLES[table]
    return set(session.exec(select(model.id).where(col(model.id).in_(ids))).all())


def _duplicate_codes(
    session: Session, changes: list[PulledChange], failed: dict[tuple[RecordType, str], tuple[PulledChange, str, str]]
) -> None:
    """One identity code, one client: of pulled clients sharing a code (in this page, or
    with a client held here under another id) the one held, else the one whose id is the
    code's derived id, else the first, is applied; the others are kept aside."""
    clients = [c for c in changes if c.type == RecordType.CLIENT and isinstance(c.data.get("identity_code"), str)]
    codes = list({c.data["identity_code"] for c in clients if c.data["identity_code"]})
    if not codes:
        return
    holders: dict[str, str] = {}
    for start in range(0, len(codes), 500):
        holders.update(
            session.exec(
                select(Client.identity_code, Client.id).where(col(Client.identity_code).in_(codes[start : start + 500]))
            ).all()
        )
    groups: dict[str, list[PulledChange]] = {}
    for change in sorted(clients, key=lambda c: c.seq):
        if change.data["identity_code"]:
            groups.setdefault(change.data["identity_code"], []).append(change)
    for code, group in groups.items():
        holder = holders.get(code)
        if holder is None:
            try:
                derived = client_id_for(code)
            except (DomainError, ValueError):
                derived = None
            ids = [c.record_id for c in group]
            holder = derived if derived in ids else ids[0]
        for change in group:
            if change.record_id != holder:
                failed[(change.type, change.record_id)] = (change, DUPLICATE_IDENTITY_CODE, "client.identity_code")


class _Refused(Exception):
    """The store refused a record of a page applied without savepoints: apply it again with."""


def _apply_unguarded(session: Session, record_type: RecordType, changes: list[PulledChange]) -> None:
    """All of a type at once, in the page's transaction; any refusal ends the attempt."""
    try:
        _apply_many(session, record_type, [c.data for c in changes])
    except OperationalError:
        raise
    except _APPLY_ERRORS as error:
        raise _Refused from error


def _apply_guarded(
    session: Session,
    record_type: RecordType,
    changes: list[PulledChange],
    failed: dict[tuple[RecordType, str], tuple[PulledChange, str, str]],
) -> None:
    """All of a type at once; when that fails, one by one, each in a savepoint, and the
    ones the store refuses are kept aside."""
    if not changes:
        return
    try:
        with session.begin_nested():
            _apply_many(session, record_type, [c.data for c in changes])
        return
    except OperationalError:
        raise
    except _APPLY_ERRORS:
        pass
    for change in changes:
        try:
            with session.begin_nested():
                _apply_many(session, record_type, [change.data])
        except OperationalError:
            raise
        except _APPLY_ERRORS as error:
            failed[(change.type, change.record_id)] = (change, _reason_of(error), _detail_of(error))


def _reason_of(error: BaseException) -> str:
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
    if isinstance(error, (CatalogueRefused, MergeTargetMissing)):
        return str(error)[:200]
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in error.errors()[:3])
    return type(error).__name__


def _quarantine(session: Session, failures, now: datetime) -> None:
    rows = [
        {
            "record_type": change.type.value,
            "record_id": change.record_id,
            "seq": change.seq,
            "data": json.dumps(change.data, ensure_ascii=False, sort_keys=True),
            "reason": reason,
            "detail": detail,
            "at": now,
            "reported": False,
            "seen": False,
        }
        for change, reason, detail in failures
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
    elif record_type == RecordType.CREDENTIAL:
        _credentials(session, items)
    elif record_type == RecordType.APPOINTMENT:
        from .bookings import appointment_slots

        rows = [Appointment.model_validate(d).model_dump() for d in items]
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


class CatalogueRefused(ValueError):
    """A pulled catalogue that does not read: its file, line and reason (no client data)."""


def _catalogue(session: Session, items: list[dict]) -> None:
    """The region's catalogue from its import: checked as strictly as the data folder's file
    (a broken one is kept aside with the reason, the one held before stays in use)."""
    for item in items:
        try:
            catalogue_from_text(item["toml"])
        except DataFileError as error:
            raise CatalogueRefused(str(error)) from None
        session.merge(Setting(key=REGION_CATALOGUE, value=item["toml"]))


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


def _delete_clients(session: Session, clients: list[str], contacts: list[str]) -> int:
    """Delete the clients and every record about them, in the caller's transaction; the
    signed-contact triggers step aside while `removal_gate` holds its row (only here). A
    slot a removed contact held stays taken (taken_elsewhere). Returns the records deleted
    besides the clients."""
    if not clients:
        return 0
    session.execute(text("PRAGMA defer_foreign_keys = ON"))
    session.execute(insert(RemovalGate.__table__), [{"id": 1}])
    records = 0

    def run(sql: str, ids: list[str], count: bool = False) -> None:
        nonlocal records
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join(f":p{i}" for i in range(len(chunk)))
            result = session.execute(text(sql.format(ids=marks)), {f"p{i}": v for i, v in enumerate(chunk)})
            if count:
                records += result.rowcount

    def ids_of(sql: str, ids: list[str]) -> list[str]:
        found: list[str] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join(f":p{i}" for i in range(len(chunk)))
            rows = session.execute(text(sql.format(ids=marks)), {f"p{i}": v for i, v in enumerate(chunk)})
            found += [row[0] for row in rows]
        return found

    follow_ups = list(
        dict.fromkeys(
            ids_of("SELECT id FROM follow_up WHERE contact_id IN ({ids})", contacts)
            + ids_of("SELECT id FROM follow_up WHERE client_id IN ({ids})", clients)
        )
    )
    others = {
        table: ids_of(f"SELECT id FROM {table} WHERE client_id IN ({{ids}})", clients)
        for table in ("callback", "consent", "missed_appointment")
    }
    run("UPDATE slot SET booked_contact_id = NULL, taken_elsewhere = 1 WHERE booked_contact_id IN ({ids})", contacts)
    run("UPDATE callback SET contact_id = NULL WHERE contact_id IN ({ids})", contacts)
    run("DELETE FROM callback WHERE id IN ({ids})", others["callback"], count=True)
    run("DELETE FROM follow_up WHERE id IN ({ids})", follow_ups, count=True)
    # A booked visit's later history (issue 20's bookings after the contact): its id is the contact's.
    run("DELETE FROM appointment WHERE contact_id IN ({ids})", contacts, count=True)
    for table in ("assessment", "segment", "outcome", "report_queue"):
        run(f"DELETE FROM {table} WHERE contact_id IN ({{ids}})", contacts)
    run("DELETE FROM contact WHERE id IN ({ids})", contacts, count=True)
    run("DELETE FROM consent WHERE id IN ({ids})", others["consent"], count=True)
    run("DELETE FROM missed_appointment WHERE id IN ({ids})", others["missed_appointment"], count=True)
    run("DELETE FROM client WHERE id IN ({ids})", clients)
    # What the device held of the server's versions of records no longer here.
    gone = clients + contacts + follow_ups + [i for ids in others.values() for i in ids]  # appointments: contacts' ids
    run("DELETE FROM sync_record WHERE record_id IN ({ids})", gone)
    session.execute(delete(RemovalGate.__table__))
    return records


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
