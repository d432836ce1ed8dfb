"""Name search from the name index (issue 18): the first 20 in name order, whatever the
number of matches; every term begins a word of the first or last name; ä matches a."""

from __future__ import annotations

import pytest

import random

from ohjaus_core.domain.codes import Language
from ohjaus_core.domain.name_search import name_words
from ohjaus_tui.store.directory import connect, prepare
from ohjaus_tui.store.store import Store

from ..conftest import FIXED_NOW


def add(store: Store, first: str, last: str):
    return store.clients.add_client(first_name=first, last_name=last, identity_code=None, phone=None,
                            language=Language.FI, municipality="", created_by=None, now=FIXED_NOW)


def names(clients) -> list[tuple[str, str]]:
    return [(c.last_name, c.first_name) for c in clients]


def everyone(store: Store) -> list:
    with store.session() as session:
        from sqlmodel import select

        from ohjaus_tui.store.models import Client

        return list(session.exec(select(Client)))


def expected(store: Store, *terms: str) -> list[tuple[str, str]]:
    """What the search must answer, worked out the slow way: every client, filtered, sorted."""
    def matches(client) -> bool:
        words = name_words(client.first_name) + name_words(client.last_name)
        return all(any(w.startswith(t) for w in words) for t in terms)

    return sorted(names(c for c in everyone(store) if matches(c)))[:20]


def test_a_prefix_with_many_matches_gives_the_first_20_in_name_order(store):
    rng = random.Random(18)
    lasts = ["Korhonen", "Korpela", "Koivisto", "Kortelainen", "Mäki-Korpi", "Virtanen"]
    firsts = ["Anna", "Korinna", "Matti", "Aino", "Kari", "Åsa"]
    for _ in range(120):
        add(store, rng.choice(firsts), rng.choice(lasts))
    for query in ("kor", "Kor", "KORP", "ko", "kor an", "mäki", "maki kor", "asa", "Åsa Virt"):
        terms = name_words(query)
        found = store.clients.find_clients(query)
        assert names(found) == expected(store, *terms), query
        assert len(found) == min(20, len([c for c in everyone(store) if all(
            any(w.startswith(t) for w in name_words(c.first_name) + name_words(c.last_name)) for t in terms)]))
    assert names(store.clients.find_clients("korinna"))[0][1] == "Korinna"  # a first name is found too
    assert store.clients.find_clients("zzz") == []
    assert store.clients.find_clients('"') == []


def test_a_changed_name_is_found_by_the_new_name_only(store):
    client = add(store, "Ilmari", "Vanhanen")
    store.clients.update_client(client.id, FIXED_NOW, last_name="Uusitalo")
    assert [c.id for c in store.clients.find_clients("Uusit Ilm")] == [client.id]
    assert client.id not in [c.id for c in store.clients.find_clients("Vanhanen")]


def test_clients_held_before_the_name_index_are_found_after_the_upgrade(store, data_dir):
    add(store, "Elsa", "Ennenkuin")
    store.close()
    # The store as the previous version left it: no name index, schema 9.
    connection = connect(data_dir, isolation_level=None)
    for name in ("client_name_insert", "client_name_delete", "client_name_update"):
        connection.execute(f"DROP TRIGGER {name}")
    connection.execute("DROP TABLE client_name")
    # ... and without what later versions added (issue 16's outcome columns, migrations 11-13;
    # issue 20's client flags and followed follow-up, 14-15; issue 17's worker status, 16).
    for column in ("protected", "interpreter", "service_language"):
        connection.execute(f"ALTER TABLE client DROP COLUMN {column}")
    connection.execute("ALTER TABLE contact DROP COLUMN for_follow_up_id")
    connection.execute("ALTER TABLE contact DROP COLUMN caller")
    connection.execute("ALTER TABLE contact DROP COLUMN caller_anonymous")
    connection.execute("ALTER TABLE worker DROP COLUMN status")
    connection.execute("ALTER TABLE outcome DROP COLUMN duties_made")
    connection.execute("ALTER TABLE outcome DROP COLUMN referrals")
    connection.execute("ALTER TABLE outcome DROP COLUMN legal_basis")
    # ... and issue 20's callback queue columns (migration 17).
    for column in ("queue", "language", "priority", "attempts", "first_attempt_at", "last_attempt_at"):
        connection.execute(f"ALTER TABLE callback DROP COLUMN {column}")
    # ... and issue 20's bookings after the contact (migration 18; issue 16's caller is 19),
    # and issue 20's merges (migration 20), with the contact's trigger as it was.
    connection.execute("DROP TABLE IF EXISTS appointment")
    # ... and issue 20's digital contact requests (migration 22).
    for column in ("origin", "answers", "other_answers", "own_urgency", "preference", "identity_code", "protocol_id"):
        connection.execute(f"ALTER TABLE callback DROP COLUMN {column}")
    connection.execute("ALTER TABLE contact DROP COLUMN reply_channel")
    connection.execute("ALTER TABLE assessment DROP COLUMN citizen_answers")
    connection.execute("DROP TABLE client_merge")
    for index in ("client_birth_date", "follow_up_client", "callback_client"):
        connection.execute(f"DROP INDEX {index}")
    connection.execute("DROP TRIGGER contact_signed_client_merge")
    connection.execute("DROP TRIGGER contact_signed_no_update")
    connection.execute(
        "CREATE TRIGGER contact_signed_no_update BEFORE UPDATE ON contact WHEN OLD.status = 'signed' "
        "BEGIN SELECT RAISE(ABORT, 'signed contact is immutable'); END"
    )
    # ... and issue 20's removed clients and removal gate (migration 21).
    connection.execute("DROP TABLE client_removed")
    connection.execute("DROP TABLE removal_gate")
    connection.execute("PRAGMA user_version = 9")
    connection.close()
    prepare(data_dir)
    reopened = Store(data_dir)
    try:
        assert names(reopened.clients.find_clients("ennen")) == [("Ennenkuin", "Elsa")]
        assert names(reopened.clients.find_clients("ennen")) == expected(reopened, "ennen")
    finally:
        reopened.close()
    # Migration 12 carried the signed referrals over and put the immutability back.
    import sqlcipher3

    connection = connect(data_dir, isolation_level=None)
    try:
        carried = connection.execute(
            "SELECT count(*) FROM outcome WHERE kind = 'referral' AND referrals != '[]'").fetchone()[0]
        assert carried == connection.execute(
            "SELECT count(*) FROM outcome WHERE kind = 'referral' AND service_code IS NOT NULL").fetchone()[0]
        with pytest.raises(sqlcipher3.dbapi2.IntegrityError, match="immutable"):
            connection.execute("UPDATE outcome SET referrals = '[]' WHERE contact_id IN "
                               "(SELECT id FROM contact WHERE status = 'signed')")
    finally:
        connection.close()
