"""The local store: schema, durability settings, immutability of signed records, versions."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlcipher3 import dbapi2 as sqlcipher
from sqlmodel import SQLModel, select

from ohjaus_core.domain.codes import ContactStatus, Language, OutcomeKind, Segment
from ohjaus_core.domain.contact import Step
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.identity import InvalidIdentityCode
from ohjaus_tui.store.directory import connect
from ohjaus_tui.store.engine import StoreError
from ohjaus_tui.store.migrations import SCHEMA_VERSION
from ohjaus_tui.store.models import Client, Slot
from ohjaus_tui.store.store import NotADraft, SlotTaken, Store

from ..conftest import FIXED_NOW
from ..factories import advice_draft, slot_holder


def test_migrated_schema_matches_the_models(store):
    connection = connect(store.data_dir)
    try:
        for table in SQLModel.metadata.sorted_tables:
            columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table.name})")}
            assert columns == {c.name for c in table.columns}, table.name
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        connection.close()


def test_every_connection_is_wal_full_sync_with_foreign_keys(store):
    with store.engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_opening_again_does_not_migrate_twice(data_dir):
    Store(data_dir).close()
    store = Store(data_dir)
    assert store.workers()
    store.close()


def test_a_newer_schema_is_refused_with_a_message(data_dir):
    connection = connect(data_dir)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(DomainError, match="newer"):
        Store(data_dir)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_an_unwritable_data_directory_says_so(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    with pytest.raises(StoreError, match="cannot be written"):
        Store(locked / "data")


def test_a_file_in_place_of_the_data_directory_says_so(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match=str(blocker)):
        Store(blocker / "data")


def test_a_signed_contact_is_immutable_even_to_direct_sql(store):
    draft = advice_draft(store)
    store.contacts.sign(draft, FIXED_NOW)
    assert store.contacts.contact_status(draft.id) == ContactStatus.SIGNED
    with pytest.raises(NotADraft):
        store.contacts.save_draft(draft, FIXED_NOW)
    connection = connect(store.data_dir)
    try:
        for statement in (
            "UPDATE contact SET reason = 'changed' WHERE id = ?",
            "DELETE FROM contact WHERE id = ?",
            "UPDATE outcome SET advice_text = 'changed' WHERE contact_id = ?",
            "DELETE FROM assessment WHERE contact_id = ?",
        ):
            with pytest.raises(sqlcipher.IntegrityError, match="immutable"):
                connection.execute(statement, (draft.id,))
    finally:
        connection.close()
    assert store.contacts.load_draft(draft.id).reason == "Kysyy aukioloaikoja"


def test_a_correction_is_a_new_version_that_keeps_the_old(store):
    draft = advice_draft(store)
    store.contacts.sign(draft, FIXED_NOW)
    correction = store.contacts.start_correction(draft.id, FIXED_NOW + timedelta(minutes=5))
    assert correction.version == 2 and correction.supersedes_id == draft.id
    correction.advice_text = "Aukioloajat ja ajanvaraus kerrottu"
    # The home screen's latest signed contacts: the signed one, while its correction is a draft...
    recent = [c.id for c in store.contacts.recent_signed(draft.worker_id)]
    assert recent[0] == draft.id and correction.id not in recent
    store.contacts.sign(correction, FIXED_NOW + timedelta(minutes=6))
    # ...and the correction in its place once that is signed.
    recent = [c.id for c in store.contacts.recent_signed(draft.worker_id)]
    assert recent[0] == correction.id and draft.id not in recent
    assert store.contacts.load_draft(draft.id).advice_text == "Aukioloajat kerrottu"
    assert store.contacts.load_draft(correction.id).advice_text == "Aukioloajat ja ajanvaraus kerrottu"


def test_an_incomplete_contact_cannot_be_signed(store):
    draft = advice_draft(store)
    draft.advice_text = ""
    with pytest.raises(DomainError):
        store.contacts.sign(draft, FIXED_NOW)
    assert store.contacts.contact_status(draft.id) is None


def test_a_slot_held_by_one_draft_cannot_be_taken_by_another(store):
    client = store.clients.find_clients("a")[0] if store.clients.find_clients("a") else None
    with store.session() as session:
        slot = session.exec(select(Slot).where(Slot.booked_contact_id == None)).first()  # noqa: E711
        client = session.exec(select(Client)).first()
    first = advice_draft(store, client.id)
    first.outcome_kind, first.slot_id, first.segment = OutcomeKind.BOOKING, slot.id, Segment.CLEAR_NEED
    store.contacts.save_draft(first, FIXED_NOW)
    second = advice_draft(store, client.id)
    second.outcome_kind, second.slot_id = OutcomeKind.BOOKING, slot.id
    with pytest.raises(SlotTaken):
        store.contacts.save_draft(second, FIXED_NOW)
    store.contacts.discard_draft(first.id)
    store.contacts.save_draft(second, FIXED_NOW)  # free again once the first draft is discarded


def test_client_search_by_name_code_and_phone(store):
    client = store.clients.add_client(
        first_name="Ilmari",
        last_name="Testinen",
        identity_code="131052-308T",
        phone="040 123 4567",
        language=Language.FI,
        municipality="Järvilaakso",
        created_by=None,
        now=FIXED_NOW,
    )
    assert [c.id for c in store.clients.find_clients("testinen")] == [client.id]
    assert [c.id for c in store.clients.find_clients("Ilm Test")] == [client.id]
    assert [c.id for c in store.clients.find_clients("131052-308t")] == [client.id]
    assert [c.id for c in store.clients.find_clients("+358 40 1234567")] == [client.id]
    assert store.clients.find_clients("131052A308T") == []  # another sign is another person


def test_a_wrong_identity_code_is_refused_and_nothing_is_stored(store):
    before = len(store.clients.find_clients("Virheellinen"))
    with pytest.raises(InvalidIdentityCode) as error:
        store.clients.add_client(
            first_name="Ville",
            last_name="Virheellinen",
            identity_code="131052-308U",
            phone=None,
            language=Language.FI,
            municipality="",
            created_by=None,
            now=FIXED_NOW,
        )
    assert error.value.reason == "check"
    assert len(store.clients.find_clients("Virheellinen")) == before


def test_a_duplicate_identity_code_is_refused(store):
    kwargs = dict(phone=None, language=Language.FI, municipality="", created_by=None, now=FIXED_NOW)
    store.clients.add_client(first_name="A", last_name="Kaksinen", identity_code="311280-999J", allow_temporary=True, **kwargs)
    with pytest.raises(StoreError, match="311280-999J"):
        store.clients.add_client(first_name="B", last_name="Kaksinen", identity_code="311280-999J", allow_temporary=True, **kwargs)


def test_a_temporary_code_must_be_marked_temporary(store):
    kwargs = dict(phone=None, language=Language.FI, municipality="", created_by=None, now=FIXED_NOW)
    with pytest.raises(StoreError, match="temporary"):
        store.clients.add_client(first_name="A", last_name="Väliaikainen", identity_code="311280-999J", **kwargs)
    client = store.clients.add_client(
        first_name="A", last_name="Väliaikainen", identity_code="311280-999J", allow_temporary=True, **kwargs
    )
    assert client.identity_temporary


def test_drafts_are_listed_for_their_worker_and_can_be_resumed(store):
    draft = advice_draft(store)
    draft.step = Step.ASSESSMENT
    store.contacts.save_draft(draft, FIXED_NOW)
    drafts = store.contacts.open_drafts(draft.worker_id)
    assert [d.id for d in drafts] == [draft.id]
    assert drafts[0].step == Step.ASSESSMENT
    loaded = store.contacts.load_draft(draft.id)
    assert loaded == draft


def test_a_full_disk_is_a_clear_error_and_the_saved_draft_stays(store):
    from sqlalchemy import event

    draft = advice_draft(store)
    store.contacts.save_draft(draft, FIXED_NOW)
    store.engine.dispose()

    @event.listens_for(store.engine, "connect")
    def _full(connection, _record):
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages}")

    draft.reason = "x" * 200_000
    with pytest.raises(StoreError, match="could not be written"):
        store.contacts.save_draft(draft, FIXED_NOW)
    event.remove(store.engine, "connect", _full)
    store.engine.dispose()
    assert store.contacts.load_draft(draft.id).reason == "Kysyy aukioloaikoja"


def test_a_full_disk_while_signing_is_a_clear_error_and_nothing_is_half_signed(store):
    # Signing runs driver SQL on the session's connection (issue 18): its errors still reach
    # the worker as the store's one line, and the transaction leaves no part behind.
    from sqlalchemy import event

    draft = advice_draft(store)
    store.contacts.save_draft(draft, FIXED_NOW)
    viewer = store.viewer(draft.worker_id)
    entries = store.outbox.pending_count()
    store.engine.dispose()

    @event.listens_for(store.engine, "connect")
    def _full(connection, _record):
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages}")

    reason = draft.reason
    draft.reason = "x" * 19_000  # within the longest text a contact may have
    with pytest.raises(StoreError, match="could not be written"):
        store.contacts.sign(draft, FIXED_NOW, viewer)
    event.remove(store.engine, "connect", _full)
    store.engine.dispose()
    assert store.contacts.contact_status(draft.id) == ContactStatus.DRAFT
    assert store.outbox.pending_count() == entries
    draft.reason = reason
    store.contacts.sign(draft, FIXED_NOW, viewer)
    assert store.contacts.contact_status(draft.id) == ContactStatus.SIGNED
    assert [c.record_id for c in store.outbox.pending_changes(entries + 10)].count(draft.id) == 1


def booked_draft(store):
    with store.session() as session:
        slot = session.exec(
            select(Slot).where(Slot.booked_contact_id == None).where(Slot.starts_at > FIXED_NOW)  # noqa: E711
        ).first()
        client = session.exec(select(Client)).first()
    draft = advice_draft(store, client.id)
    draft.segment, draft.outcome_kind, draft.slot_id = Segment.CLEAR_NEED, OutcomeKind.BOOKING, slot.id
    return draft, slot.id


def test_a_discarded_correction_leaves_the_signed_booking_its_slot(store):
    draft, slot_id = booked_draft(store)
    store.contacts.sign(draft, FIXED_NOW)
    correction = store.contacts.start_correction(draft.id, FIXED_NOW)
    assert slot_holder(store, slot_id) == draft.id
    store.contacts.discard_draft(correction.id)
    assert slot_holder(store, slot_id) == draft.id


def test_a_signed_correction_takes_over_the_slot_and_the_follow_ups(store):
    from ohjaus_core.domain.codes import FollowUpKind
    from ohjaus_tui.store.models import FollowUp

    draft, slot_id = booked_draft(store)
    draft.follow_up_kind, draft.follow_up_assignee_id = FollowUpKind.CHECK_VISIT, draft.worker_id
    draft.follow_up_due = FIXED_NOW.date() + timedelta(days=7)
    store.contacts.sign(draft, FIXED_NOW)
    correction = store.contacts.start_correction(draft.id, FIXED_NOW)
    store.contacts.sign(correction, FIXED_NOW + timedelta(minutes=1))
    assert slot_holder(store, slot_id) == correction.id
    with store.session() as session:
        rows = {r.contact_id: r.status for r in session.exec(select(FollowUp))
                if r.contact_id in (draft.id, correction.id)}
    assert rows == {draft.id: "cancelled", correction.id: "open"}


def test_a_correction_that_changes_the_booking_frees_the_old_slot(store):
    draft, first_slot = booked_draft(store)
    store.contacts.sign(draft, FIXED_NOW)
    correction = store.contacts.start_correction(draft.id, FIXED_NOW)
    _other, second_slot = booked_draft(store)
    correction.slot_id = second_slot
    store.contacts.sign(correction, FIXED_NOW)
    assert slot_holder(store, first_slot) is None
    assert slot_holder(store, second_slot) == correction.id


def test_corrections_are_not_counted_as_more_contacts(store):
    draft, _slot = booked_draft(store)
    store.contacts.sign(draft, FIXED_NOW)
    before = store.contacts.contacts_since(draft.client_id, FIXED_NOW - timedelta(days=1))
    correction = store.contacts.start_correction(draft.id, FIXED_NOW)
    store.contacts.sign(correction, FIXED_NOW)
    assert store.contacts.contacts_since(draft.client_id, FIXED_NOW - timedelta(days=1)) == before
