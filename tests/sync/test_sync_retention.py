"""Issue 20, data leaves devices when it should, over a real `ohjaus serve` on loopback (SQLite
and PostgreSQL) with devices of two units: a client past the region's retention on devices
leaves the device at sync with every record about them, unless something of theirs is not
sent yet or they have an open item; a client the unit no longer serves leaves; the central
API keeps every record and the access log; a removed client comes back whole."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import select

from ohjaus_central.tables import access_event, client_release
from ohjaus.cli import main
from ohjaus_core.domain.access_log import AccessAction
from ohjaus_core.domain.clock import now
from ohjaus_tui.store.removal import Removal
from ohjaus_tui.sync.client import SyncClient
from ohjaus_core.protocol import RecordType

from ..sync_helpers import f6_rows, signed_in, sync_all

pytestmark = pytest.mark.slow

LATER = timedelta(days=400)  # past the demo region's 365 days


def round_at(device, shift: timedelta, **kwargs):
    """A sync round with the device's clock `shift` ahead (a year later, say)."""
    configured, token = device.store.outbox.sync_config()
    with SyncClient(device.store, configured, token, clock=lambda: now() + shift, **kwargs) as client:
        return client.round()


def held(device, client_id: str) -> dict:
    """What the device holds of the client: the client, contacts, follow-ups, name search."""
    store = device.store
    with store.session() as session:
        def count(sql: str) -> int:
            from sqlalchemy import text

            return session.execute(text(sql), {"id": client_id}).scalar_one()

        return {
            "client": count("SELECT count(*) FROM client WHERE id = :id"),
            "contacts": count("SELECT count(*) FROM contact WHERE client_id = :id"),
            "follow_ups": count("SELECT count(*) FROM follow_up WHERE client_id = :id"),
            "name_index": count("SELECT count(*) FROM client_name WHERE client_id = :id"),
        }


def server_holds(server, client_id: str) -> tuple[bool, int, int]:
    """(the client record, contacts about the client, access-log entries about the client)."""
    central = server.central()
    try:
        clients = central.records(RecordType.CLIENT)
        contacts = [c for c in central.records(RecordType.CONTACT).values() if c["contact"]["client_id"] == client_id]
        with central.engine.connect() as conn:
            entries = conn.execute(select(access_event.c.seq).where(access_event.c.client_id == client_id)).all()
    finally:
        central.close()
    return client_id in clients, len(contacts), len(entries)


def removed_on_a(devices, born: date, individual: int, first: str) -> tuple:
    """Devices a and a2 of one unit that both hold a client with a signed contact; then a
    syncs past the retention and no longer holds the client. (a, a2, the client)"""
    a, a2 = devices("a"), devices("a2")
    client = a.add_client(born, individual, first)
    a.sign_contact(client.id, "Vanha asia", follow_up=False)
    sync_all(a, a2)
    round_at(a, LATER)
    assert held(a, client.id)["client"] == 0
    return a, a2, client


def test_a_client_past_retention_leaves_with_their_records_and_the_server_keeps_everything(server, devices):
    a = devices("a")
    done = a.add_client(date(1961, 4, 4), 961, "Vanha")
    a.sign_contact(done.id, "Kertaneuvonta", follow_up=False)
    open_one = a.add_client(date(1962, 5, 5), 962, "Avoin")
    a.sign_contact(open_one.id, "Soitto sovittu", follow_up=True)  # an open follow-up
    waiting = a.add_client(date(1963, 6, 6), 963, "Odottava")
    a.sign_contact(waiting.id, "Ensimmäinen", follow_up=False)
    nurse = a.worker()
    a.store.protection.log_access(a.store.viewer(nurse.id), [done.id], AccessAction.VIEW, "client", "contact", now())
    a.sync()
    assert held(a, done.id)["contacts"] == 1
    assert server_holds(server, done.id)[0]

    # A contact of `waiting` not sent yet: the removal keeps the client.
    a.sign_contact(waiting.id, "Toinen", follow_up=False)
    kept = a.store.removal.remove_clients(set(), 365, now() + LATER)
    assert kept.kept_pending >= 1 and held(a, waiting.id)["contacts"] == 2
    assert held(a, done.id)["client"] == 0  # the direct pass removed the one with nothing open
    # ... the next sync sends it first, and only then may it leave.
    result = round_at(a, LATER + timedelta(days=1))
    assert a.store.outbox.pending_count() == 0
    assert held(a, waiting.id) == {"client": 0, "contacts": 0, "follow_ups": 0, "name_index": 0}
    assert result.removed >= 1 and "removed" in result.summary()
    assert server_holds(server, waiting.id)[:2] == (True, 2)

    # The one with an open follow-up stays, whatever its age.
    assert held(a, open_one.id)["client"] == 1 and held(a, open_one.id)["follow_ups"] == 1
    assert not a.store.clients.find_clients("Vanha")
    # The server keeps every record and the access log of the removed clients.
    present, contacts, entries = server_holds(server, done.id)
    assert present and contacts == 1 and entries >= 1
    # The next pull does not bring them back.
    result = round_at(a, LATER + timedelta(days=1))
    assert held(a, done.id)["client"] == 0 and held(a, waiting.id)["client"] == 0


def test_a_removed_client_someone_sees_again_comes_back_whole(server, devices):
    a, a2, client = removed_on_a(devices, date(1964, 7, 7), 964, "Palaava")
    # An edit of the client record alone does not bring the client back.
    a2.store.clients.update_client(client.id, now(), phone="+358401234567")
    a2.sync()
    round_at(a, LATER)
    assert held(a, client.id)["client"] == 0
    # A new contact on another device of the unit: the client comes back whole at a's next
    # sync, with the old contact, the new one and the edit.
    a2.sign_contact(client.id, "Uusi asia", follow_up=False)
    a2.sync()
    result = a.sync()
    assert result.restored == 1
    assert held(a, client.id)["contacts"] == 2
    assert a.store.clients.client(client.id).phone == "+358401234567"
    assert not a.store.pull.quarantined()


def test_a_removed_client_added_again_comes_back_whole_and_overwrites_nothing(server, devices):
    """Review of issue 20: a worker who does not find a removed client and adds them again by
    their identity code is told to sync; the client comes back whole at the next sync, with the
    non-disclosure order and phone another device set meanwhile (adding them anew had pushed a
    version that lifted the order on the server and on every device)."""
    from ohjaus_core.domain.codes import Language
    from ohjaus_tui.store.errors import StoreError

    a, a2, client = removed_on_a(devices, date(1965, 8, 8), 965, "Lisätty")
    a2.store.clients.update_client(client.id, now(), phone="+358401234568", protected=True)
    a2.sync()
    with pytest.raises(StoreError, match="sync"):
        a.store.clients.add_client(
            first_name="Uusi", last_name="Lisätty", identity_code=client.identity_code, phone=None,
            language=Language.FI, municipality="Järvilaakso", created_by=None, now=now(), allow_temporary=True,
        )
    assert a.store.outbox.pending_count() == 0
    result = a.sync()
    assert result.restored == 1 and held(a, client.id)["contacts"] == 1
    back = a.store.clients.client(client.id)
    assert back.protected and back.phone == "+358401234568"
    a2.sync()
    assert a2.store.clients.client(client.id).protected


def test_a_client_the_unit_no_longer_serves_leaves_its_devices_only(server, devices, capsys):
    a, b = devices("a"), devices("b", unit="JL-POHJ")
    mine = a.add_client(date(1965, 8, 8), 965, "Siirtyvä")
    a.sign_contact(mine.id, "Muutto", follow_up=False)
    theirs = b.add_client(date(1966, 9, 9), 966, "Pohjan")
    b.sign_contact(theirs.id, "Oma", follow_up=False)
    sync_all(a, b)
    assert main(["client", "--db", server.db_url, "release", "--unit", "JL-KESK", mine.id]) == 0
    assert mine.id in capsys.readouterr().out
    # A unit cannot release a client it never knew: one line, nothing written.
    assert main(["client", "--db", server.db_url, "release", "--unit", "JL-KESK", theirs.id]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0
    result = a.sync()
    assert held(a, mine.id)["client"] == 0 and result.removed >= 1
    b.sync()
    assert held(b, theirs.id)["client"] == 1
    assert server_holds(server, mine.id)[:2] == (True, 1)

    # Another unit's device cannot take the client's records, nor see whom a unit released.
    _configured, token = b.store.outbox.sync_config()
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
        assert http.get(f"/v1/clients/{mine.id}/records").status_code == 404
        assert http.get("/v1/released").json() == {"clients": []}
        # Nor release one: no route writes a release.
        assert http.post("/v1/released", json={"clients": [theirs.id]}).status_code in (404, 405)
    central = server.central()
    try:
        with central.engine.connect() as conn:
            assert len(conn.execute(select(client_release)).all()) == 1
        _id, phone_system = central.add_integration("JL-KESK", ["health"], "puhelin")
    finally:
        central.close()
    # A phone system's credential is for callback requests only.
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {phone_system}"}) as http:
        assert http.get("/v1/released").status_code == 403
        assert http.get(f"/v1/clients/{mine.id}/records").status_code == 403

    # The unit serves the client again: they come back whole.
    central = server.central()
    try:
        assert central.release_client("JL-KESK", mine.id, undo=True)
    finally:
        central.close()
    result = a.sync()
    assert result.restored == 1
    assert held(a, mine.id)["client"] == 1 and held(a, mine.id)["contacts"] == 1


def test_a_removal_list_of_unknown_ids_is_ignored_and_a_failed_removal_leaves_nothing_half_done(devices, monkeypatch):
    a = devices("a")
    client = a.add_client(date(1967, 1, 10), 967, "Kesken")
    a.sign_contact(client.id, "Asia", follow_up=False)
    a.sync()
    assert a.store.removal.remove_clients({"00000000-0000-4000-8000-000000000000", "not-an-id"}, None, now()) == Removal()
    before = held(a, client.id)

    import ohjaus_tui.store.removal as removal

    real = removal._delete_clients

    def dies_midway(session, clients, contacts):
        real(session, clients, contacts)
        raise OSError("killed mid-removal")

    monkeypatch.setattr(removal, "_delete_clients", dies_midway)
    with pytest.raises(OSError):
        a.store.removal.remove_clients({client.id}, None, now())
    assert held(a, client.id) == before  # one transaction: all of it or nothing
    monkeypatch.setattr(removal, "_delete_clients", real)
    assert a.store.removal.remove_clients({client.id}, None, now()).scope == 1
    assert held(a, client.id)["client"] == 0


async def test_the_sync_view_says_how_many_clients_left_the_device(server, devices):
    """Nothing leaves silently: after the round that removed a client the unit no longer
    serves, F6 says how many clients and records left, and that the server keeps them."""
    from textual.widgets import Static

    a = devices("a")
    client = a.add_client(date(1968, 2, 11), 968, "Lähtevä")
    a.sign_contact(client.id, "Asia", follow_up=False)
    a.sync()
    central = server.central()
    try:
        central.release_client("JL-KESK", client.id)
    finally:
        central.close()
    async with signed_in(a, size=(80, 24)) as (app, pilot):
        assert app.ctx.store.clients.client(client.id) is None
        await f6_rows(app, pilot)
        said = str(app.screen.query_one("#sync-removed", Static).render())
        assert "1 client and 1 of their records left this device" in said
        assert "the central API keeps every record and the access log" in said


def test_a_version_made_without_seeing_a_non_disclosure_order_does_not_lift_it(server, devices):
    """The server keeps a non-disclosure order set on another device when a device that had not
    seen it sends its own version of the client (a concurrent edit: the later one wins, but
    never by lifting the order)."""
    a, a2 = devices("a"), devices("a2")
    client = a.add_client(date(1966, 9, 9), 966, "Suojattu")
    sync_all(a, a2)
    a2.store.clients.update_client(client.id, now(), protected=True)
    a2.sync()
    a.store.clients.update_client(client.id, now(), phone="+358401234569")  # a has not seen the order
    a.sync()
    a2.sync()
    for device in (a, a2):
        held_client = device.store.clients.client(client.id)
        assert held_client.protected and held_client.phone == "+358401234569"
