"""Clients leaving the device (issue 20; docs/sync.md): out of the unit's scope, or past the
region's retention on devices; each with every record about them, in one transaction. A
repository of the Store (store.removal)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, text
from sqlmodel import Session, col, select

from .merge import CLIENT_TABLES
from .models import AccessLog, Client, ClientRemoved, Contact, Outbox, RemovalGate, Setting
from .repository import Repository
from .sync_apply import MISSING_REFERENCE, _upsert
from .sync_side import ACCESS_LOG_SENT


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
WANTED_BACK = "clients_wanted_back"  # JSON: removed clients a worker tried to add again (store.clients.add_client)

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



class ClientRemoval(Repository):
    """Removal and retention (store.removal)."""

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
        # ... and those a worker tried to add again (store.clients.add_client): they come back whole.
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

    # Every table whose rows belong to a client (the list a merge moves): its rows of the
    # clients; a contact's parts and visits go with the contact.
    of_clients = {
        table: ids_of(f"SELECT id FROM {table} WHERE client_id IN ({{ids}})", clients)
        for table in CLIENT_TABLES
        if table not in ("contact", "appointment")  # by the contacts below: `contacts`
    }
    follow_ups = list(
        dict.fromkeys(ids_of("SELECT id FROM follow_up WHERE contact_id IN ({ids})", contacts) + of_clients.pop("follow_up"))
    )
    others = of_clients
    run("UPDATE slot SET booked_contact_id = NULL, taken_elsewhere = 1 WHERE booked_contact_id IN ({ids})", contacts)
    run("UPDATE callback SET contact_id = NULL WHERE contact_id IN ({ids})", contacts)
    run("DELETE FROM follow_up WHERE id IN ({ids})", follow_ups, count=True)
    # A booked visit's later history (issue 20's bookings after the contact): its id is the contact's.
    run("DELETE FROM appointment WHERE contact_id IN ({ids})", contacts, count=True)
    for table in ("assessment", "segment", "outcome", "report_queue"):
        run(f"DELETE FROM {table} WHERE contact_id IN ({{ids}})", contacts)
    run("DELETE FROM contact WHERE id IN ({ids})", contacts, count=True)
    for table, ids in others.items():  # callbacks, consents, missed appointments (foreign keys: at the commit)
        run(f"DELETE FROM {table} WHERE id IN ({{ids}})", ids, count=True)
    run("DELETE FROM client WHERE id IN ({ids})", clients)
    # What the device held of the server's versions of records no longer here.
    gone = clients + contacts + follow_ups + [i for ids in others.values() for i in ids]  # appointments: contacts' ids
    run("DELETE FROM sync_record WHERE record_id IN ({ids})", gone)
    session.execute(delete(RemovalGate.__table__))
    return records
