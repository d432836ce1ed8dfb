"""The local store in the words of the domain. The only package that speaks SQL.

`Store` owns the engine, the sessions and the transaction, the settings and the reference
data (units, workers, professionals); the records are in its repositories, one a group:
store.clients, store.merges, store.contacts, store.bookings, store.worklist,
store.protection, store.sign_in, and the sync side store.outbox, store.pull, store.removal.
Each write is one transaction, so a killed process leaves either the old state or the new
one, never half of a step.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, insert
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from ohjaus_core.domain.codes import Register, Role
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.protected import non_disclosure
from ohjaus_core.domain.viewer import Viewer
from ohjaus_core.i18n import _, localized
from .bookings import Bookings
from .clients import Clients
from .contacts import Contacts, DraftSummary
from .engine import StoreError, open_engine
from .errors import DuplicateClient, NotADraft, SlotTaken
from .keys import fsync_directory
from .merge import Merges
from .models import RECORD_TYPES, Callback, Contact, MissedAppointment, Professional, Setting, Unit, Worker
from .protection import Protection
from .removal import ClientRemoval
from .sign_in import SignInRepository
from .sync_outbox import SyncOutbox
from .sync_pull import SyncPull
from .worklist import FollowUpRow, Worklist

# Importers of the store's errors and rows from here keep working.
__all__ = ["DraftSummary", "DuplicateClient", "FollowUpRow", "NotADraft", "SlotTaken", "Store", "StoreError"]


class Store:
    def __init__(self, data_dir: Path, *, build: bool = False) -> None:
        """`build`: a data directory being made from nothing (the demo), whose commits need
        not each reach the disk: synchronous=OFF on its connections, and `close` then flushes
        the files to the disk once. A killed build loses nothing it has not also left
        half-made (the demo is built aside and moved into place when whole); never for a
        directory that holds a worker's records."""
        self.data_dir = data_dir
        self.engine = open_engine(data_dir)
        self.build = build
        if build:
            event.listen(self.engine, "connect", _synchronous_off)
        self.clients = Clients(self)
        self.merges = Merges(self)
        self.contacts = Contacts(self)
        self.bookings = Bookings(self)
        self.worklist = Worklist(self)
        self.protection = Protection(self)
        self.sign_in = SignInRepository(self)
        self.outbox = SyncOutbox(self)
        self.pull = SyncPull(self)
        self.removal = ClientRemoval(self)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose disk problems (full, read-only, locked) become a StoreError that
        the screen shows; nothing is reported saved that was not."""
        session = Session(self.engine, expire_on_commit=False)
        try:
            yield session
        except OperationalError as error:
            raise StoreError(
                _("The local store could not be written: {reason}. What is on the screen is kept; "
                  "try again.").format(reason=error.orig)
            ) from error
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()
        if self.build:
            # The last connection checkpointed the log into the database file: now to the disk.
            for path in self.data_dir.iterdir():
                if path.is_file():
                    with open(path, "rb+") as file:
                        os.fsync(file.fileno())
            fsync_directory(self.data_dir)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction for many writes that take a `session` (the demo's contacts):
        committed when the block ends, rolled back if it raises."""
        with self.session() as session:
            yield session
            session.commit()

    # -- settings ---------------------------------------------------------------------------

    def setting(self, key: str, default: str | None = None) -> str | None:
        with self.session() as session:
            row = session.get(Setting, key)
            return row.value if row else default

    def set_setting(self, key: str, value: str) -> None:
        with self.session() as session:
            session.merge(Setting(key=key, value=value))
            session.commit()

    # -- reference data ---------------------------------------------------------------------

    def add_all(self, *groups: list) -> None:
        """Insert groups of rows in one transaction, each group after the one before it."""
        with self.session() as session:
            for rows in groups:
                session.add_all(rows)
                session.flush()
            session.commit()

    def insert_rows(self, *groups: tuple[type, list[dict]]) -> None:
        """Insert groups of plain rows (model, dicts with every column) in one transaction,
        each group after the one before it: Core executemany, no ORM object per row."""
        with self.session() as session:
            for model, rows in groups:
                if rows:
                    session.exec(insert(model.__table__), params=rows)
            session.commit()

    def units(self) -> list[Unit]:
        with self.session() as session:
            return list(session.exec(select(Unit).order_by(Unit.code)))

    def unit_name(self, unit_id: str) -> str:
        """The unit's name in the worker's language (the id when the unit is unknown)."""
        unit = self.unit(unit_id)
        return localized(json.loads(unit.name)) if unit else unit_id

    def unit(self, unit_id: str) -> Unit | None:
        with self.session() as session:
            return session.get(Unit, unit_id)

    def workers(self) -> list[Worker]:
        with self.session() as session:
            return list(session.exec(select(Worker).order_by(Worker.name)))

    def worker(self, worker_id: str) -> Worker | None:
        with self.session() as session:
            return session.get(Worker, worker_id)

    def workers_of_unit(self, unit_id: str, register: Register | None = None) -> list[Worker]:
        """The unit's workers; with a register, only those who work in it (a task of one
        register goes only to a worker who may see it)."""
        with self.session() as session:
            query = select(Worker).where(Worker.unit_id == unit_id).order_by(Worker.name)
            if register is not None:
                query = query.where(Worker.sector == register.value)
            return list(session.exec(query))

    def professionals(self) -> list[Professional]:
        with self.session() as session:
            return list(session.exec(select(Professional)))

    def viewer(self, worker_id: str) -> Viewer:
        with self.session() as session:
            worker = session.get(Worker, worker_id)
            if worker is None:
                raise DomainError(_("Unknown worker."))
            return Viewer(worker.id, worker.unit_id, Register(worker.sector), Role(worker.role))

    # -- export -----------------------------------------------------------------------------

    def export_records(self, viewer: Viewer | None = None) -> Iterator[dict]:
        """Every record, as plain JSON-ready dicts with a "type" and an "id". With a viewer
        (an export by a worker): the records of the viewer's register and the clients they
        are about; a slot booked by the other register's contact shows as booked by nobody
        in particular. Without one: everything (the tests' and the device's own use)."""
        with self.session() as session:
            if viewer is None:
                for type_name, model in RECORD_TYPES.items():
                    for row in session.exec(select(model).order_by(model.id)):
                        yield {"type": type_name, **row.model_dump(mode="json")}
                return
            sector = viewer.register.value
            contacts = set(session.exec(select(Contact.id).where(Contact.sector == sector)))
            clients = set(session.exec(select(Contact.client_id).where(Contact.sector == sector)))
            clients |= set(
                session.exec(select(MissedAppointment.client_id).where(MissedAppointment.sector == sector))
            )
            clients |= set(session.exec(select(Callback.client_id).where(Callback.sector == sector)))
            clients.discard(None)
            keep = {
                "contact": lambda row: row.id in contacts,
                "assessment": lambda row: row.contact_id in contacts,
                "segment": lambda row: row.contact_id in contacts,
                "outcome": lambda row: row.contact_id in contacts,
                "follow_up": lambda row: row.contact_id in contacts,
                "missed_appointment": lambda row: row.sector == sector,
                "appointment": lambda row: row.contact_id in contacts,
                "client": lambda row: row.id in clients,
                "consent": lambda row: row.client_id in clients,
                "callback": lambda row: row.sector == sector,
                "merge": lambda row: row.into_id in clients,
            }
            for type_name, model in RECORD_TYPES.items():
                wanted = keep.get(type_name, lambda row: True)
                for row in session.exec(select(model).order_by(model.id)):
                    if not wanted(row):
                        continue
                    record = {"type": type_name, **row.model_dump(mode="json")}
                    if type_name == "client" and record["protected"]:
                        # A non-disclosure order: where the client lives leaves in no file.
                        record["municipality"] = non_disclosure()
                    if type_name == "slot" and record["booked_contact_id"] not in (None, *contacts):
                        record["booked_contact_id"], record["taken_elsewhere"] = None, True
                    yield record

    def exported_clients(self, viewer: Viewer) -> list[str]:
        return [r["id"] for r in self.export_records(viewer) if r["type"] == "client"]



def _synchronous_off(connection, _record) -> None:
    connection.execute("PRAGMA synchronous = OFF")

