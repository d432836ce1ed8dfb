"""Duplicates and merge (issue 20), in the store: possible matches of a client being added,
and a team lead's merge of a client recorded with a temporary identity code (or none) into
the client with the real code.

A merge is a record of its own (`client_merge`, synced as RecordType.MERGE): the merged
client's id redirects to the real one for good, and every record of the merged client (its
contacts, follow-ups, missed appointments, consents, callback requests) moves to the real
one, here and on every device of the unit that receives the merge. Nothing is copied, so
nothing is doubled; nothing is deleted, so nothing is lost (the merged client's own record
stays, hidden from searches, and the access log keeps the ids it was written with).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import text
from sqlmodel import Session, col, select

from ohjaus_core.domain.access_log import AccessAction, Purpose
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.name_search import name_words
from ohjaus_core.domain.phone import normalize_phone
from ohjaus_core.domain.viewer import Permission, Viewer
from ohjaus_core.i18n import _
from ohjaus_core.protocol import RecordType
from .models import Client, ClientMerge
from .protection import write_access
from .repository import Repository
from .sync_side import dump, enqueue

# The tables whose rows belong to a client through `client_id` (the access log is not one:
# it keeps what was written, with the id it was written with).
CLIENT_TABLES = ("contact", "follow_up", "missed_appointment", "consent", "callback", "appointment")


class MergeRefused(DomainError):
    """The merge cannot be made: the message says why, for the worker."""


def redirect_merged(session: Session) -> None:
    """Move every row that still names a merged client to the client it was merged into
    (run after a merge, and after a pulled page, which may bring older records of it).
    A signed contact's trigger allows exactly this change of its client (migration 20)."""
    if session.exec(text("SELECT 1 FROM client_merge LIMIT 1")).first() is None:
        return
    for table in CLIENT_TABLES:
        session.exec(
            text(
                f"UPDATE {table} SET client_id = (SELECT into_id FROM client_merge WHERE id = {table}.client_id) "
                "WHERE client_id IN (SELECT id FROM client_merge)"
            )
        )
    # The report summary counts distinct high-need clients: one person, one row.
    session.exec(
        text(
            "UPDATE OR IGNORE report_high_need SET client_id = "
            "(SELECT into_id FROM client_merge WHERE id = report_high_need.client_id) "
            "WHERE client_id IN (SELECT id FROM client_merge)"
        )
    )
    session.exec(text("DELETE FROM report_high_need WHERE client_id IN (SELECT id FROM client_merge)"))


def record_merge(session: Session, merge: dict) -> None:
    """A merge as synced (this device's or pulled): stored once, then the rows moved."""
    session.exec(
        text(
            "INSERT OR IGNORE INTO client_merge (id, into_id, unit_id, worker_id, merged_at) "
            "VALUES (:id, :into_id, :unit_id, :worker_id, :merged_at)"
        ).bindparams(
            id=merge["id"], into_id=merge["into_id"], unit_id=merge["unit_id"], worker_id=merge["worker_id"],
            merged_at=str(merge["merged_at"]),
        )
    )
    redirect_merged(session)


def real_code(client: Client) -> bool:
    return bool(client.identity_code) and not client.identity_temporary


class Merges(Repository):
    """store.merges: possible duplicates of a client being added, and merges."""

    def merged_into(self, client_id: str) -> str | None:
        """The client a merged client's id redirects to; None when it was not merged."""
        with self.session() as session:
            return _resolve(session, client_id)

    def records_of_client(self, client_id: str) -> dict[str, int]:
        """How many records of each kind name the client (what a merge moves)."""
        with self.session() as session:
            return {
                table: session.exec(
                    text(f"SELECT count(*) FROM {table} WHERE client_id = :id").bindparams(id=client_id)
                ).one()[0]
                for table in CLIENT_TABLES
            }

    def possible_duplicates(
        self, *, first_name: str, last_name: str, birth_date: date | None = None,
        phone: str | None = None, limit: int = 10,
    ) -> list[Client]:
        """Clients who may be the person being added: the same first and last name (and the
        same birth date when it is known), or the same phone number. Merged clients are not
        offered (their real record is)."""
        first, last = first_name.strip(), last_name.strip()
        # The longest word first: it has the fewest clients under it in the index.
        words = sorted(set(name_words(f"{first} {last}")), key=lambda w: (-len(w), w)) if first and last else []
        phone_code = None
        if phone and phone.strip():
            try:
                phone_code = normalize_phone(phone)
            except DomainError:
                pass
        if not words and phone_code is None:
            return []
        with self.session() as session:
            ids: set[str] = set()
            if words:
                # Every word of the name a word of theirs (the name index, folded as searches
                # fold it: case and diacritics), then the whole names compared below.
                also = "".join(
                    f" AND EXISTS (SELECT 1 FROM client_name AS o{n} WHERE o{n}.client_id = n.client_id AND o{n}.word = :w{n})"
                    for n in range(1, len(words))
                )
                params = {f"w{n}": word for n, word in enumerate(words)}
                ids.update(
                    row[0] for row in session.exec(
                        text(f"SELECT DISTINCT client_id FROM client_name AS n WHERE n.word = :w0{also} LIMIT 200").bindparams(**params)
                    )
                )
            if phone_code is not None:
                ids.update(session.exec(select(Client.id).where(Client.phone == phone_code).limit(limit)).all())
            if not ids:
                return []
            merged = set(session.exec(select(ClientMerge.id).where(col(ClientMerge.id).in_(ids))).all())
            found = list(session.exec(select(Client).where(col(Client.id).in_(ids - merged))))
        wanted = (_folded(first), _folded(last))

        def matches(client: Client) -> bool:
            if phone_code is not None and client.phone == phone_code:
                return True
            if (_folded(client.first_name), _folded(client.last_name)) != wanted:
                return False
            return birth_date is None or client.birth_date is None or client.birth_date == birth_date

        chosen = [client for client in found if matches(client)]
        chosen.sort(key=lambda c: (c.last_name, c.first_name, c.id))
        return chosen[:limit]

    def merge_clients(self, from_id: str, into_id: str, viewer: Viewer, now: datetime) -> Client:
        """A team lead joins the client recorded with a temporary code (or none) into the
        client with the real identity code, in one transaction: the merge record (synced),
        every record moved, a non-disclosure order or an interpreter need carried over, and
        both clients written to the access log. Raises NotPermitted or MergeRefused."""
        viewer.require(Permission.MERGE)
        with self.session() as session:
            if from_id == into_id:
                raise MergeRefused(_("A client cannot be merged into itself."))
            source, target = session.get(Client, from_id), session.get(Client, into_id)
            if source is None or target is None or _resolve(session, into_id) or _resolve(session, from_id):
                raise MergeRefused(_("No such client, or it was merged already."))
            if real_code(source):
                raise MergeRefused(
                    _("{code} is a real identity code: only a client with a temporary code or none "
                      "is merged into another.").format(code=source.identity_code)
                )
            if not real_code(target):
                raise MergeRefused(_("Merge into the client with the real identity code."))
            merge = ClientMerge(
                id=from_id, into_id=into_id, unit_id=viewer.unit_id, worker_id=viewer.worker_id, merged_at=now,
            )
            session.add(merge)
            session.flush()
            # What the temporary record knew that keeps the person safe goes with them.
            carried = False
            if source.protected and not target.protected:
                target.protected, carried = True, True
            if source.interpreter and not target.interpreter:
                target.interpreter, carried = True, True
            if source.phone and not target.phone:
                target.phone, carried = source.phone, True
            if carried:
                session.add(target)
                session.flush()
                enqueue(session, RecordType.CLIENT, target.id, dump(target), now)
            redirect_merged(session)
            enqueue(session, RecordType.MERGE, from_id, dump(merge), now)
            write_access(
                session, viewer, [from_id, into_id], AccessAction.CHANGE, "client merge", Purpose.CONTACT.value, now
            )
            session.commit()
            return target


def _resolve(session: Session, client_id: str) -> str | None:
    """Follow merges from `client_id` to the client at the end; None when not merged."""
    seen, current = set(), client_id
    while True:
        row = session.get(ClientMerge, current)
        if row is None or row.into_id in seen:
            return None if current == client_id else current
        seen.add(current)
        current = row.into_id


def _folded(name: str) -> tuple[str, ...]:
    """A name as the name index folds it (case, diacritics, hyphens)."""
    return tuple(name_words(name))
