"""A worker removed or locked out on the central API (`ohjaus worker remove|lock|unlock`)
reaches the unit's devices at their next sync: both refuse the worker's sign-in with one clear
line, before the passphrase is tried, and the worker's records stay. A real server on loopback
(SQLite and PostgreSQL) and two devices of the unit."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ohjaus_central.tables import enrolment
from ohjaus.cli import main
from ohjaus_core.domain.clock import now
from ohjaus_core.i18n import set_language
from ohjaus_tui.screens.lock import sign_in_problem
from ohjaus_tui.store.models import Credential
from ohjaus_tui.store.sign_in import SignIn
from ohjaus_core.protocol import RecordType

from ..sync_helpers import sync_all

DEMO_PASSPHRASE = "demo1234"


def _sign_in(device, worker_id: str) -> SignIn:
    return device.store.sign_in.check_passphrase(worker_id, DEMO_PASSPHRASE, now()).result


def _failures(device, worker_id: str) -> int:
    with device.store.session() as session:
        return session.get(Credential, worker_id).failures


def test_a_removed_worker_is_refused_on_every_device_of_the_unit_and_their_records_stay(server, devices, capsys):
    set_language("en")
    a, b = devices("a"), devices("b")
    nurse = a.worker("health")
    client = a.add_client(date(1970, 2, 3), 944, "Helmi")
    signed = a.sign_contact(client.id, "Huimaa")
    sync_all(a, b)
    assert _sign_in(a, nurse.id) == _sign_in(b, nurse.id) == SignIn.OK

    assert main(["worker", "remove", "--db", server.db_url, nurse.username]) == 0
    said = capsys.readouterr().out
    assert "removed" in said and nurse.username in said
    assert _sign_in(b, nurse.id) == SignIn.OK  # not synced yet: the device cannot know

    sync_all(a, b)
    for device in (a, b):
        check = device.store.sign_in.check_passphrase(nurse.id, DEMO_PASSPHRASE, now())
        assert check.result == SignIn.REMOVED
        line = sign_in_problem(check, device.path)
        assert "removed" in line and "\n" not in line
        assert _failures(device, nurse.id) == 0  # refused before the passphrase: no try counted
        records = device.snapshot()  # what the worker recorded stays
        assert f"contact:{signed.id}" in records and f"client:{client.id}" in records
        assert any(w.id == nurse.id for w in device.store.workers())

    # A restart loads the demo region again: the removal holds.
    server.stop()
    server.start()
    sync_all(a, b)
    assert _sign_in(a, nurse.id) == _sign_in(b, nurse.id) == SignIn.REMOVED
    central = server.central()
    assert signed.id in central.records(RecordType.CONTACT)
    central.close()


def test_a_lock_out_and_its_end_reach_the_devices_and_revoke_an_unused_code(server, devices, capsys):
    set_language("en")
    a, b = devices("a"), devices("b")
    counsellor = a.worker("social")
    sync_all(a, b)
    # An enrolment code the worker has not used yet (worker add gives a new one).
    assert main(["worker", "add", "--db", server.db_url, "--unit", "JL-KESK", "--register", "social",
                 "--role", "counsellor", "--name", counsellor.name, counsellor.username]) == 0
    capsys.readouterr()

    assert main(["worker", "lock", "--db", server.db_url, counsellor.username]) == 0
    assert "locked out" in capsys.readouterr().out
    assert main(["worker", "lock", "--db", server.db_url, counsellor.username]) == 0
    assert "nothing changed" in capsys.readouterr().out
    central = server.central()
    with central.engine.connect() as conn:
        revoked = conn.execute(select(enrolment.c.revoked_at).where(enrolment.c.worker_id == counsellor.id)).scalar()
    central.close()
    assert revoked is not None

    sync_all(a, b)
    for device in (a, b):
        check = device.store.sign_in.check_passphrase(counsellor.id, DEMO_PASSPHRASE, now())
        assert check.result == SignIn.LOCKED
        assert "locked" in sign_in_problem(check, device.path)

    assert main(["worker", "unlock", "--db", server.db_url, counsellor.username]) == 0
    capsys.readouterr()
    sync_all(a, b)
    assert _sign_in(a, counsellor.id) == _sign_in(b, counsellor.id) == SignIn.OK

    assert main(["worker", "remove", "--db", server.db_url, "no.such"]) == 2
    assert capsys.readouterr().err.strip() == "ohjaus: No worker no.such on the central API."
