"""Pulled pages applied to the store: one page a transaction with its cursor, and the
records this device cannot apply kept aside (sync_quarantine) and tried again at every pull.
A repository of the Store (store.pull)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Callable

from pydantic import ValidationError
from sqlalchemy import delete, text, tuple_
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from ohjaus_core.domain.catalogue import ignored_fields
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.identity import client_id_for
from ohjaus_core.protocol import PulledChange, RecordType, UnreadableChange
from .merge import redirect_merged
from .models import (
    Assessment, Client, ClientRemoved, Contact, FollowUp, Outbox, Outcome, SegmentChoice, Setting, SyncQuarantine,
    SyncRecord,
)
from .repository import Repository
from .sync_apply import (
    INVALID_RECORD, CatalogueRefused, checked_catalogue,
    _APPLY_ERRORS, _APPLY_ORDER, _MODELS, _RESOLVED_LOCALLY, _TABLES, DUPLICATE_IDENTITY_CODE, MISSING_REFERENCE,
    REGION_CATALOGUE, REGION_CATALOGUE_OPTIONAL, UNREADABLE_RECORD, _apply_many, _detail_of, _held_versions, _keep_aside, _quarantine, _reason_of,
)
from .sync_side import CURSOR

if TYPE_CHECKING:
    from ohjaus_core.domain.protocols.model import Protocol


class SyncPull(Repository):
    """The device's incoming side of sync (store.pull)."""

    # -- pull -------------------------------------------------------------------------------

    def sync_cursor(self) -> int:
        with self.session() as session:
            row = session.get(Setting, CURSOR)
            return int(row.value) if row else 0

    def region_catalogue_checked(self, social: "Callable[[], Protocol | None]", now: datetime | None = None) -> tuple[list | None, str]:
        """The region's catalogue as this device holds it, checked against the device's social
        protocol (`social()`, asked only when a catalogue is held) as one coming by sync is
        (sync_apply._catalogue): at the start, a catalogue stored before that check, or one
        that this version's protocol makes unfit, would otherwise be used unchecked. One that
        does not fit is kept aside as sync keeps one aside (sync_quarantine with its reason:
        F6 shows it, the central API is told, tried again at every pull) and is no longer in
        use. Returns (the services, or None: the data folder's are used; what the worker is
        told of the one kept aside - the line F6 shows - or ""). Never raises for the
        catalogue's content; a store that cannot write still gets None and the line."""
        from ohjaus_core.domain.catalogue import kept_aside_text
        from ohjaus_core.protocol import CATALOGUE_ID

        with self.session() as session:
            row = session.get(Setting, REGION_CATALOGUE)
            if row is None:
                return None, ""
            optional_row = session.get(Setting, REGION_CATALOGUE_OPTIONAL)
            protocol = social()
            optional: object = []
            try:
                optional = json.loads(optional_row.value) if optional_row else []
                return checked_catalogue(row.value, optional, protocol), ""
            except Exception as error:  # noqa: BLE001 - any content that does not read: never a crash at the start
                problem = str(error)[:200] if isinstance(error, (CatalogueRefused, DomainError)) else type(error).__name__
            data = json.dumps(
                {"id": CATALOGUE_ID, "toml": row.value, "optional": optional if isinstance(optional, list) else []},
                ensure_ascii=False, sort_keys=True,
            )
            try:
                held = session.get(SyncRecord, (RecordType.CATALOGUE.value, CATALOGUE_ID))
                # Kept under the version held (the central API counts the device as refusing
                # the region's current catalogue); the version is no longer held here, so the
                # next pull tries it again instead of passing it as applied.
                seq = max(held.seq, 1) if held is not None else 1
                kept = session.get(SyncQuarantine, (RecordType.CATALOGUE.value, CATALOGUE_ID))
                if kept is None or kept.seq < seq:  # a later version kept aside by sync stays
                    _keep_aside(session, [(RecordType.CATALOGUE.value, CATALOGUE_ID, seq, data, INVALID_RECORD, problem)],
                                now or datetime.now(UTC))
                for stale in (row, optional_row, held):
                    if stale is not None:
                        session.delete(stale)
                session.commit()
            except OperationalError:  # a read-only or full disk: not used all the same
                session.rollback()
        return None, kept_aside_text(data, protocol, problem)

    def region_catalogue_ignored(self) -> list[str]:
        """The fields of the region's catalogue in use here that this version leaves out (a
        newer version's, named optional by the central API): the application needs an update
        to read them; [] when none."""
        with self.session() as session:
            row = session.get(Setting, REGION_CATALOGUE)
        return ignored_fields(row.value) if row else []

    def apply_page(
        self,
        changes: list[PulledChange],
        last_seq: int | None,
        now: datetime | None = None,
        restoring: frozenset[str] = frozenset(),
        unreadable: list[UnreadableChange] = (),
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
        `client_removed`, in this transaction. `last_seq` None leaves the cursor as it is.
        `unreadable`: the page's changes this version could not read as records (sync/pages.py),
        kept aside in the same transaction (UNREADABLE_RECORD), so the cursor never passes one
        that is not held here."""
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
                applied = self._apply_page_once(changes, last_seq, now, known, guarded, restoring, unreadable)
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
        unreadable: list[UnreadableChange] = (),
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
                _held_versions(session, seqs)
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
            held = {(c.type.value, c.record_id): c.seq for c in applied}
            _keep_aside(session, [
                (u.type, u.record_id, u.seq, u.text, UNREADABLE_RECORD, u.detail)
                for u in unreadable if held.get((u.type, u.record_id), 0) < u.seq
            ], now)
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
        # (a part of the wrong shape is left out here: the apply refuses it, and keeps it aside)
        contact = data.get("contact")
        parts: list[tuple[type, dict]] = [(Contact, contact if isinstance(contact, dict) else {})]
        for key, model in (("assessment", Assessment), ("segment", SegmentChoice), ("outcome", Outcome)):
            if isinstance(data.get(key), dict):
                parts.append((model, data[key]))
        follow_ups = data.get("follow_ups")
        parts += [(FollowUp, f) for f in follow_ups if isinstance(f, dict)] if isinstance(follow_ups, list) else []
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
            if row.get("id"):
                in_page.setdefault(model.__table__.name, set()).add(row["id"])
            for column, target in _references(model):
                value = row.get(column)
                if isinstance(value, str) and value:
                    refs.append((target, column, value))
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
            for column, target in _references(model, every=True):
                if (target, row.get(column)) in gone:
                    return True
    return False


@cache
def _references(model: type, every: bool = False) -> tuple[tuple[str, str], ...]:
    """A model's columns that refer to another table, with that table's name: (column,
    table), the ones the apply resolves itself (_RESOLVED_LOCALLY) left out unless `every`.
    Worked out once a model, not for every row of every page (issue 18)."""
    table = model.__table__
    return tuple(
        (column.name, foreign_key.column.table.name)
        for column in table.columns
        if every or (table.name, column.name) not in _RESOLVED_LOCALLY
        for foreign_key in column.foreign_keys
    )


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


def _pending_records(session: Session) -> set[tuple[str, str]]:
    rows = session.exec(select(Outbox.record_type, Outbox.record_id))
    pending = set()
    for record_type, record_id in rows:
        if record_type == RecordType.BOOKING.value:
            pending.add((RecordType.SLOT.value, record_id))
        else:
            pending.add((record_type, record_id))
    return pending
