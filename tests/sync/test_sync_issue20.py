"""Issue 20 over a real `ohjaus serve` on loopback (SQLite and PostgreSQL): a protected
client's flags and language of service reach the unit's other devices, a bad language code
is refused by the central API, and a follow-up closed by the contact taken for it is closed
on the server and on the other device."""

from __future__ import annotations

import json
import uuid
from datetime import date

import httpx
from sqlalchemy import select

from ohjaus_central.tables import record
from ohjaus_core.domain.clock import now
from ohjaus_core.domain.codes import Language
from ohjaus_core.domain.identity import client_id_for, make_identity_code
from ohjaus_core.protocol import demo_token

from ..sync_helpers import assert_converged, sync_all


def server_record(server, record_type: str, record_id: str) -> dict:
    central = server.central()
    try:
        with central.engine.connect() as conn:
            text = conn.execute(
                select(record.c.data).where(record.c.record_type == record_type).where(record.c.record_id == record_id)
            ).scalar_one()
    finally:
        central.close()
    return json.loads(text)


def test_a_protected_client_with_an_interpreter_reaches_the_other_device(server, devices):
    a, b = devices("a"), devices("b")
    worker = a.worker()
    client = a.store.clients.add_client(
        first_name="Salainen", last_name="Asiakas", identity_code=make_identity_code(date(1975, 3, 2), 961),
        phone=None, language=Language.FI, municipality="Kaukoniemi", created_by=worker.id, now=now(),
        allow_temporary=True, protected=True, interpreter=True, service_language="fse",
    )
    sync_all(a, b)
    held = b.store.clients.client(client.id)
    assert (held.protected, held.interpreter, held.service_language) == (True, True, "fse")
    assert server_record(server, "client", client.id)["protected"] is True
    # Lifted on b (the order ended): a sees it lifted after the sync.
    b.store.clients.update_client(client.id, now(), protected=False, interpreter=False, service_language="")
    sync_all(b, a)
    held = a.store.clients.client(client.id)
    assert (held.protected, held.interpreter, held.service_language) == (False, False, "")
    assert_converged(a, b)


def test_a_client_with_a_bad_language_code_is_refused_by_the_central_api(server):
    code = make_identity_code(date(1990, 2, 2), 961)
    data = {
        "id": client_id_for(code), "first_name": "Testi", "last_name": "Asiakas", "identity_code": code,
        "identity_temporary": True, "birth_date": "1990-02-02", "phone": None, "language": "fi",
        "municipality": "Järvilaakso", "created_at": "2026-11-25T09:00:00+02:00", "created_by": None,
        "protected": True, "interpreter": True, "service_language": "xx",
    }
    headers = {"Authorization": f"Bearer {demo_token(str(uuid.uuid4()), 'JL-KESK', ('health',))}"}

    def push(record_data):
        change = {"id": str(uuid.uuid4()), "type": "client", "record_id": data["id"], "base_seq": 0, "data": record_data}
        response = httpx.post(f"{server.url}/v1/push", json={"changes": [change]}, headers=headers, timeout=30)
        assert response.status_code == 200
        return response.json()["answers"][0]

    answer = push(data)
    assert (answer["status"], answer["reason"]) == ("rejected", "invalid")
    assert "service_language" in answer["detail"]
    assert push({**data, "service_language": "so"})["status"] == "accepted"
    # A flag that is not a boolean is refused by the request's shape, like any field.
    answer = push({**data, "protected": "yes please"})
    assert answer["status"] == "rejected" and "protected" in answer["detail"]


def test_a_follow_up_closed_by_its_contact_is_closed_on_the_server_and_the_other_device(server, devices):
    a, b = devices("a"), devices("b")
    client = a.add_client(date(1988, 8, 8), 962)
    first = a.sign_contact(client.id, "Kuumetta")  # with a callback follow-up
    sync_all(a, b)
    follow_up = next(r for r in b.store.export_records() if r["type"] == "follow_up" and r["contact_id"] == first.id)
    assert follow_up["status"] == "open"
    taken = b.sign_contact(client.id, "Soitettu takaisin", follow_up=False, for_follow_up_id=follow_up["id"])
    held_b = next(r for r in b.store.export_records() if r["type"] == "follow_up" and r["id"] == follow_up["id"])
    assert (held_b["status"], held_b["result"]) == ("done", "Contact signed")  # in the signature's transaction
    sync_all(b, a)
    assert server_record(server, "follow_up", follow_up["id"])["status"] == "done"
    assert server_record(server, "contact", taken.id)["contact"]["for_follow_up_id"] == follow_up["id"]
    held_a = next(r for r in a.store.export_records() if r["type"] == "follow_up" and r["id"] == follow_up["id"])
    assert held_a["status"] == "done"
    assert_converged(a, b)
