"""Issue 20, duplicates and merge, in the store: possible matches of a client being added, and
a team lead's merge of a client with a temporary identity code into the client with the real
code (the history moves, the old id redirects, it waits in the outbox, it is access-logged)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ohjaus_core.domain.codes import FollowUpKind, Segment
from ohjaus_core.domain.contact import ContactDraft
from ohjaus_core.domain.viewer import NotPermitted
from ohjaus_tui.store.merge import MergeRefused

from ..conftest import FIXED_NOW
from ..factories import add_client, advice_draft, viewer

BORN = date(1961, 4, 9)


def add(store, individual: int | None, first: str = "Aune", last: str = "Kivimäki", phone: str | None = None):
    return add_client(store, BORN, individual, first, last, phone=phone, by=viewer(store, "hoitaja1"))


def sign(store, client_id: str, reason: str = "Kuumetta") -> ContactDraft:
    nurse = viewer(store, "hoitaja1")
    draft = advice_draft(
        store, client_id, reason=reason, suggested_segment=Segment.ADVICE, advice_text="Lepoa.",
        follow_up_kind=FollowUpKind.CALLBACK, follow_up_due=FIXED_NOW.date() + timedelta(days=2),
        follow_up_assignee_id=nurse.worker_id,
    )
    store.contacts.sign(draft, FIXED_NOW)
    return draft


def count(store, sql: str, **params) -> int:
    with store.session() as session:
        return session.exec(text(sql).bindparams(**params)).one()[0]


def test_possible_matches_by_name_and_birth_date_or_phone(store):
    real = add(store, 123, phone="040 123 4567")
    other_born = add(store, None, first="Aune", last="Kivimäki")  # no birth date: may be the same
    assert {c.id for c in store.merges.possible_duplicates(first_name="aune", last_name="KIVIMÄKI")} == {real.id, other_born.id}
    # With a birth date (a temporary code gives one) a client born on another day is not offered.
    someone = add(store, None, first="Aune", last="Kivimäki")
    with store.session() as session:
        session.exec(text("UPDATE client SET birth_date = '1970-01-01' WHERE id = :id").bindparams(id=someone.id))
        session.commit()
    found = {c.id for c in store.merges.possible_duplicates(first_name="Aune", last_name="Kivimäki", birth_date=BORN)}
    assert real.id in found and someone.id not in found
    # The same phone in another format finds the client whatever the name.
    assert [c.id for c in store.merges.possible_duplicates(first_name="X", last_name="Y", phone="+358401234567")] == [real.id]
    assert store.merges.possible_duplicates(first_name="Eino", last_name="Nobody") == []
    # Case and diacritics as searches fold them, also of a first letter outside ASCII.
    aijala = add(store, None, first="Åsa", last="Äijälä")
    assert [c.id for c in store.merges.possible_duplicates(first_name="ÅSA", last_name="äijälä")] == [aijala.id]
    assert store.merges.possible_duplicates(first_name="Åsa", last_name="Äijälä-Koski") == []


def test_a_team_lead_merges_the_temporary_client_and_its_history_moves(store):
    real = add(store, 123)
    temporary = add(store, 951, phone="0401112222")
    draft = sign(store, temporary.id)
    store.bookings.record_missed_appointment(temporary.id, FIXED_NOW - timedelta(days=3), viewer(store, "hoitaja1").unit_id, FIXED_NOW)
    lead = viewer(store, "esihenkilo1")
    before = {table: count(store, f"SELECT count(*) FROM {table}") for table in ("contact", "follow_up", "missed_appointment", "client")}

    merged = store.merges.merge_clients(temporary.id, real.id, lead, FIXED_NOW)

    assert merged.id == real.id and merged.phone == "+358401112222"  # carried over: the real one had none
    # Nothing lost, nothing doubled: the same rows, now of the real client.
    after = {table: count(store, f"SELECT count(*) FROM {table}") for table in before}
    assert after == before
    for table in ("contact", "follow_up", "missed_appointment"):
        assert count(store, f"SELECT count(*) FROM {table} WHERE client_id = :id", id=temporary.id) == 0
    assert count(store, "SELECT count(*) FROM contact WHERE client_id = :id AND id = :c", id=real.id, c=draft.id) == 1
    # The old id redirects; searches offer the real client only.
    assert store.clients.client(temporary.id).id == real.id
    assert [c.id for c in store.clients.find_clients(temporary.identity_code)] == [real.id]
    assert [c.id for c in store.clients.find_clients("0401112222")] == [real.id]
    assert store.merges.merged_into(temporary.id) == real.id
    # The merge waits to be synced, and both clients are in the access log with the team lead.
    assert count(store, "SELECT count(*) FROM outbox WHERE record_type = 'merge' AND record_id = :id", id=temporary.id) == 1
    assert count(
        store, "SELECT count(*) FROM access_log WHERE item = 'client merge' AND worker_id = :w AND client_id IN (:a, :b)",
        w=lead.worker_id, a=temporary.id, b=real.id,
    ) == 2
    assert store.protection.verify_access_log().intact


def test_only_a_team_lead_merges_and_only_a_temporary_client_into_a_real_one(store):
    real, other_real = add(store, 123), add(store, 124, first="Eino")
    temporary, no_code = add(store, 952), add(store, None, first="Ville")
    with pytest.raises(NotPermitted):
        store.merges.merge_clients(temporary.id, real.id, viewer(store, "hoitaja1"), FIXED_NOW)
    lead = viewer(store, "esihenkilo1")
    with pytest.raises(MergeRefused, match="real identity code"):
        store.merges.merge_clients(other_real.id, real.id, lead, FIXED_NOW)
    with pytest.raises(MergeRefused, match="Merge into the client with the real identity code"):
        store.merges.merge_clients(temporary.id, no_code.id, lead, FIXED_NOW)
    with pytest.raises(MergeRefused, match="itself"):
        store.merges.merge_clients(real.id, real.id, lead, FIXED_NOW)
    store.merges.merge_clients(no_code.id, real.id, lead, FIXED_NOW)  # a client with no code at all
    with pytest.raises(MergeRefused, match="merged already"):
        store.merges.merge_clients(no_code.id, other_real.id, lead, FIXED_NOW)
    assert count(store, "SELECT count(*) FROM outbox WHERE record_type = 'merge'") == 1


def test_a_signed_contact_stays_immutable_but_for_the_merge(store):
    real, temporary = add(store, 123), add(store, 953)
    draft = sign(store, temporary.id)
    with store.session() as session, pytest.raises(IntegrityError):
        # Not merged: its client cannot change, nor anything else of it.
        session.exec(text("UPDATE contact SET client_id = :r WHERE id = :c").bindparams(r=real.id, c=draft.id))
    with store.session() as session, pytest.raises(IntegrityError):
        session.exec(text("UPDATE contact SET reason = 'x' WHERE id = :c").bindparams(c=draft.id))
    store.merges.merge_clients(temporary.id, real.id, viewer(store, "esihenkilo1"), FIXED_NOW)
    with store.session() as session, pytest.raises(IntegrityError):
        # Merged: to the real client only, and nothing else with it.
        session.exec(text("UPDATE contact SET client_id = :t WHERE id = :c").bindparams(t=temporary.id, c=draft.id))
    loaded = store.contacts.load_draft(draft.id)
    assert loaded.client_id == real.id and loaded.reason == "Kuumetta"


def test_every_column_of_a_signed_contact_but_its_client_is_immutable(store):
    """The signed contact's trigger names its columns: a column added to contact by a later
    migration must be named too, else a signed contact could change in it."""
    real = add(store, 123)
    draft = sign(store, real.id)
    with store.session() as session:
        columns = [row[1] for row in session.exec(text("PRAGMA table_info(contact)"))]
    for column in columns:
        if column == "client_id":
            continue
        with store.session() as session, pytest.raises(IntegrityError, match="immutable"):
            session.exec(text(f"UPDATE contact SET {column} = {column} WHERE id = :c").bindparams(c=draft.id))


def test_a_draft_open_on_the_temporary_client_goes_on_with_the_real_one(store):
    real, temporary = add(store, 123), add(store, 959)
    nurse = viewer(store, "hoitaja1")
    draft = ContactDraft(worker_id=nurse.worker_id, unit_id=nurse.unit_id, started_at=FIXED_NOW, client_id=temporary.id)
    store.contacts.save_draft(draft, FIXED_NOW)
    store.merges.merge_clients(temporary.id, real.id, viewer(store, "esihenkilo1"), FIXED_NOW)
    draft.reason = "Kirjoitettu yhdistämisen jälkeen"  # the screen still holds the old id
    store.contacts.save_draft(draft, FIXED_NOW)
    assert draft.client_id == real.id
    assert store.contacts.load_draft(draft.id).client_id == real.id


def test_a_pulled_merge_moves_the_records_and_waits_for_a_target_not_held(store):
    from ohjaus_core.protocol import PulledChange

    real, temporary = add(store, 123), add(store, 954)
    draft = sign(store, temporary.id)
    lead = viewer(store, "esihenkilo1")
    merge = {"id": temporary.id, "into_id": real.id, "unit_id": lead.unit_id, "worker_id": lead.worker_id,
             "merged_at": FIXED_NOW.isoformat()}
    missing = {**merge, "id": add(store, 955).id, "into_id": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"}
    store.pull.apply_page(
        [PulledChange(seq=900, type="merge", record_id=merge["id"], data=merge),
         PulledChange(seq=901, type="merge", record_id=missing["id"], data=missing)],
        901, FIXED_NOW,
    )
    assert store.clients.client(temporary.id).id == real.id
    assert store.contacts.load_draft(draft.id).client_id == real.id
    kept = store.pull.quarantined()
    assert [(q.record_type, q.record_id, q.reason) for q in kept] == [("merge", missing["id"], "missing_reference")]
    assert json.loads(kept[0].data)["into_id"] == missing["into_id"]
    # The same merge again changes nothing.
    store.pull.apply_page([PulledChange(seq=902, type="merge", record_id=merge["id"], data=merge)], 902, FIXED_NOW)
    assert count(store, "SELECT count(*) FROM client_merge") == 1
