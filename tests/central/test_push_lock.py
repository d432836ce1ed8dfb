"""The push lock (issue 18): a group of pushes reads what it refers to before it takes the
lock, so that two server processes can read while the other writes; what another process
committed in between must still count, under the lock (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid

import pytest

from ohjaus_core.protocol import Change, Reason


@pytest.fixture
def stores(db_url: str):
    """Two stores on one database: this server process's and another's."""
    from ohjaus_central.db import CentralStore
    from ohjaus_central.serve import load_demo_region

    central, other = CentralStore(db_url), CentralStore(db_url)
    load_demo_region(central)
    yield central, other
    central.close()
    other.close()


def a_device(central, name: str):
    _device_id, token = central.add_device("JL-KESK", ["health"], name)
    return central.authenticate(token, demo=False)


def client_change(first_name: str, base_seq: int = 0, change_id: str | None = None, **data) -> Change:
    from ohjaus_core.domain.identity import client_id_for

    code = "010190-900R"
    record = {
        "id": client_id_for(code), "first_name": first_name, "last_name": "Asiakas", "identity_code": code,
        "identity_temporary": True, "birth_date": "1990-01-01", "phone": None, "language": "fi",
        "municipality": "Järvilaakso", "created_at": "2026-11-25T09:00:00+02:00", "created_by": None, **data,
    }
    return Change.model_validate(
        {"id": change_id or str(uuid.uuid4()), "type": "client", "record_id": record["id"], "base_seq": base_seq, "data": record}
    )


@pytest.fixture
def between_reads_and_lock(monkeypatch):
    """between(action): `action` runs once, after the next group's reads and before it takes
    the push lock - as another server process's push committed at that moment."""
    from ohjaus_central.store import changes

    read = changes._read_state
    actions = []

    def reading(conn, *args):
        state = read(conn, *args)
        if actions:
            actions.pop()()
        return state

    monkeypatch.setattr(changes, "_read_state", reading)
    return actions.append


def test_an_edit_committed_between_the_reads_and_the_lock_is_a_concurrent_edit_not_lost(stores, between_reads_and_lock):
    central, other = stores
    first, second, third = (a_device(central, name) for name in ("first", "second", "third"))
    [added] = central.push(first, [client_change("Testi")])
    between_reads_and_lock(lambda: other.push(third, [client_change("Kolmas", added.seq)]))

    [answer] = central.push(second, [client_change("Toinen", added.seq)])

    # Read before the lock, the client was still at `added.seq`, the base of both edits: the
    # third device's version, committed in between, is kept as a conflict, not overwritten unseen.
    assert (answer.status, answer.reason) == ("accepted", Reason.CONCURRENT_EDIT)
    [conflict] = central.conflicts()
    assert '"first_name":"Kolmas"' in conflict["other"] and '"first_name":"Toinen"' in conflict["kept"]
    rows, _last, _more = central.pull(first, added.seq - 1, 500)
    assert [seq for seq, *_rest in rows] == [added.seq, added.seq + 1, answer.seq]  # the third's, then the second's
    assert answer.seq == added.seq + 2


def test_a_change_applied_by_another_process_meanwhile_is_applied_once(stores, between_reads_and_lock):
    central, other = stores
    device = a_device(central, "device")
    change = client_change("Testi")
    between_reads_and_lock(lambda: other.push(device, [change]))  # the same push, sent again (a retry)
    before = central.log_count()

    [answer] = central.push(device, [change])

    assert central.log_count() == before + 1
    [again] = other.push(device, [change])
    assert answer == again and answer.status == "accepted"


@pytest.mark.parametrize("through", ["writer", "push"])
def test_a_rejected_change_answered_by_another_process_meanwhile_gets_the_same_answer(stores, between_reads_and_lock, through):
    central, other = stores
    device = a_device(central, "device")
    change = client_change("Testi", identity_code="not a code")
    between_reads_and_lock(lambda: other.push(device, [change]))

    if through == "writer":  # the writer thread: a group
        [answer] = central.submit(device, [change]).result(timeout=60)
    else:
        [answer] = central.push(device, [change])

    [again] = other.push(device, [change])
    assert answer == again and answer.status == "rejected"
