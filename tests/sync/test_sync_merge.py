"""Issue 20, duplicates and merge, over a real `ohjaus serve` on loopback (SQLite and
PostgreSQL): a merge made on device A reaches device B, which had added a contact to the
temporary-code client while offline; B pushes it after the merge and it ends on the real
client on the server and on both devices. A device of another unit can neither merge nor see
the unit's clients; a merge naming unknown or foreign ids is refused and the sync goes on."""

from __future__ import annotations

import json
import uuid
from datetime import date

import httpx
from sqlalchemy import select

from ohjaus_central.tables import access_event, change_log, record
from ohjaus_core.domain.clock import now
from ohjaus_core.protocol import demo_token

from ..sync_helpers import assert_converged, sync_all

BORN = date(1958, 6, 30)


def lead_of(device):
    worker = next(
        w for w in device.store.workers()
        if device.store.unit(w.unit_id).code == device.unit and w.role == "team_lead"
    )
    return device.store.viewer(worker.id)


def server_rows(server, record_type: str) -> dict[str, dict]:
    central = server.central()
    try:
        with central.engine.connect() as conn:
            rows = conn.execute(
                select(record.c.record_id, record.c.data).where(record.c.record_type == record_type)
            ).all()
    finally:
        central.close()
    return {record_id: json.loads(data) for record_id, data in rows}


def contacts_of(device, client_id: str) -> set[str]:
    return {r["id"] for r in device.store.export_records() if r["type"] == "contact" and r["client_id"] == client_id}


def test_a_merge_reaches_the_device_that_added_a_contact_offline(server, devices):
    a, b = devices("a"), devices("b")
    real = a.add_client(BORN, 123, first="Aune")
    temporary = a.add_client(BORN, 961, first="Aune")
    first = a.sign_contact(temporary.id, reason="Ensimmäinen")
    sync_all(a, b)
    assert b.store.clients.client(temporary.id) is not None

    # B, offline, takes a contact of the temporary-code client; A's team lead merges meanwhile.
    offline = b.sign_contact(temporary.id, reason="Offline")
    a.store.merges.merge_clients(temporary.id, real.id, lead_of(a), now())
    a.sync()
    b.sync()  # pushes the offline contact (after the merge), then pulls the merge
    a.sync()

    contacts = server_rows(server, "contact")
    for contact_id in (first.id, offline.id):
        assert contacts[contact_id]["contact"]["client_id"] == real.id
        assert all(f["client_id"] == real.id for f in contacts[contact_id]["follow_ups"])
    for device in (a, b):
        assert contacts_of(device, real.id) >= {first.id, offline.id}
        assert contacts_of(device, temporary.id) == set()
        assert device.store.clients.client(temporary.id).id == real.id  # the old id redirects
        assert [c.id for c in device.store.clients.find_clients(temporary.identity_code)] == [real.id]
    assert server_rows(server, "merge")[temporary.id]["into_id"] == real.id
    # The merge is in the server's access log, for both clients, with the team lead.
    central = server.central()
    try:
        with central.engine.connect() as conn:
            logged = conn.execute(
                select(access_event.c.client_id, access_event.c.worker_id).where(access_event.c.item == "client merge")
            ).all()
    finally:
        central.close()
    assert sorted(logged) == sorted([(temporary.id, lead_of(a).worker_id), (real.id, lead_of(a).worker_id)])
    held = assert_converged(a, b)
    # Nothing doubled: each contact once, on the real client.
    assert sum(1 for key in held if key in (f"contact:{first.id}", f"contact:{offline.id}")) == 2
    for device in (a, b):
        assert device.store.outbox.sync_problems() == []
        assert device.store.pull.quarantined() == []


def test_a_merge_pushed_again_after_a_lost_answer_is_one_merge(server, devices):
    a = devices("a")
    real, temporary = a.add_client(BORN, 124), a.add_client(BORN, 962)
    a.sync()
    a.store.merges.merge_clients(temporary.id, real.id, lead_of(a), now())
    change = json.loads(a.store.outbox.pending_changes(10)[0].data)
    a.sync()
    headers = {"Authorization": f"Bearer {a.store.outbox.sync_config()[1]}"}
    again = {"id": str(uuid.uuid4()), "type": "merge", "record_id": temporary.id, "base_seq": 0, "data": change}
    answer = httpx.post(f"{server.url}/v1/push", json={"changes": [again]}, headers=headers, timeout=30).json()["answers"][0]
    assert answer["status"] == "accepted"
    central = server.central()
    try:
        with central.engine.connect() as conn:
            logged = conn.execute(select(change_log.c.seq).where(change_log.c.record_type == "merge")).all()
    finally:
        central.close()
    assert len(logged) == 1


def push(server, token: str, change: dict) -> dict:
    response = httpx.post(
        f"{server.url}/v1/push", json={"changes": [change]}, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()["answers"][0]


def test_merges_of_foreign_or_unknown_clients_or_by_a_nurse_are_refused_and_sync_goes_on(server, devices):
    a = devices("a")
    other = devices("other", unit="JL-RANTA")
    real, temporary = a.add_client(BORN, 125), a.add_client(BORN, 963)
    sync_all(a, other)
    # The other unit's device sees none of this unit's clients, and no merge.
    assert other.store.clients.client(real.id) is None and other.store.clients.client(temporary.id) is None

    lead = lead_of(a)
    merge = {"id": temporary.id, "into_id": real.id, "unit_id": lead.unit_id, "worker_id": lead.worker_id,
             "merged_at": now().isoformat()}

    def change(data: dict) -> dict:
        return {"id": str(uuid.uuid4()), "type": "merge", "record_id": data["id"], "base_seq": 0, "data": data}

    other_token = other.store.outbox.sync_config()[1]
    other_worker = other.worker()  # (that unit has no team lead in the demo)
    # Another unit's device: naming the unit, or its own unit with this unit's clients.
    answer = push(server, other_token, change(merge))
    assert (answer["status"], answer["reason"]) == ("rejected", "out_of_scope")
    answer = push(server, other_token, change({**merge, "unit_id": other_worker.unit_id, "worker_id": other_worker.id}))
    assert (answer["status"], answer["reason"]) == ("rejected", "out_of_scope")
    assert answer["detail"] == "no such client at this device's unit"
    own_token = a.store.outbox.sync_config()[1]
    # Unknown ids: the same refusal as another unit's (it tells no ids).
    unknown = str(uuid.uuid4())
    answer = push(server, own_token, change({**merge, "id": unknown}))
    assert (answer["status"], answer["detail"]) == ("rejected", "no such client at this device's unit")
    # A nurse may not merge; nor may a real code be merged away, nor a client into itself.
    nurse = a.worker()
    answer = push(server, own_token, change({**merge, "worker_id": nurse.id}))
    assert (answer["status"], answer["reason"]) == ("rejected", "not_permitted")
    answer = push(server, own_token, change({**merge, "id": real.id, "into_id": temporary.id}))
    assert (answer["status"], answer["reason"]) == ("rejected", "invalid")
    answer = push(server, own_token, change({**merge, "into_id": temporary.id}))
    assert (answer["status"], answer["reason"]) == ("rejected", "invalid")
    assert "merge" not in {r for r in server_rows(server, "merge")} and server_rows(server, "merge") == {}

    # A device whose own merge is refused (here: its unit does not know the target on the
    # server) gets a problem to read, and its other changes go on.
    unknown_target = a.add_client(BORN, 126, first="Outo")
    with a.store.session() as session:  # the target never reached the server
        from sqlalchemy import text

        session.exec(text("DELETE FROM outbox WHERE record_id = :id").bindparams(id=unknown_target.id))
        session.commit()
    a.store.merges.merge_clients(temporary.id, unknown_target.id, lead, now())
    later = a.add_client(BORN, 127, first="Myöhempi")
    # (The access log's entry of the merge names the client the server was never sent, so the
    # log is refused too, after the push and the pull: that is this test's doing.)
    a.try_sync()
    assert a.store.outbox.pending_count() == 0
    problems = a.store.outbox.sync_problems()
    assert [(p.record_type, p.reason) for p in problems] == [("merge", "out_of_scope")]
    assert later.id in server_rows(server, "client")
    other.sync()
    assert other.store.merges.merged_into(temporary.id) is None and other.store.clients.client(later.id) is None


def test_a_client_merged_at_another_unit_is_refused_as_unknown_and_tells_nothing(server, devices):
    """Review of issue 20: two units may know one temporary-code client (its id comes from the
    code). After unit A merged it, unit B's merge of it - into another client or the same - is
    refused as an unknown client is, never 'accepted' with A's merge nor 'merged already'."""
    a = devices("a")
    other = devices("other", unit="JL-RANTA")
    real_a, temporary_a = a.add_client(BORN, 125), a.add_client(BORN, 963)
    real_o, temporary_o = other.add_client(BORN, 125), other.add_client(BORN, 963)
    assert (real_a.id, temporary_a.id) == (real_o.id, temporary_o.id)
    second = other.add_client(BORN, 128)
    sync_all(a, other)
    nurse = other.worker()
    central = server.central()
    try:
        lead_id = str(uuid.uuid4())
        central.add_worker({"id": lead_id, "unit_id": nurse.unit_id, "sector": "health", "role": "team_lead",
                            "first_name": "Tiina", "last_name": "Esihenkilö", "username": "tlead", "status": "active"})
    finally:
        central.close()
    a.store.merges.merge_clients(temporary_a.id, real_a.id, lead_of(a), now())
    a.sync()
    token = other.store.outbox.sync_config()[1]
    for into in (second.id, real_o.id):
        data = {"id": temporary_o.id, "into_id": into, "unit_id": nurse.unit_id, "worker_id": lead_id,
                "merged_at": now().isoformat()}
        answer = push(server, token, {"id": str(uuid.uuid4()), "type": "merge", "record_id": temporary_o.id,
                                      "base_seq": 0, "data": data})
        assert (answer["status"], answer["detail"]) == ("rejected", "no such client at this device's unit")
    assert list(server_rows(server, "merge")) == [temporary_a.id]
