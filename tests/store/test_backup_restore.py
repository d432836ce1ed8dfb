"""Backups tried (issue 17, docs/server.md): a central PostgreSQL database with a device's work
in it is dumped with pg_dump, restored with pg_restore into a new database, and a server on the
copy serves the devices on: the device that wrote the records syncs on (pushes, pulls) and a
new device of the unit receives everything the first server held. PostgreSQL only."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest

from ohjaus_core.domain.clock import now
from ohjaus_tui.store.sync_side import SERVER
from ohjaus_core.protocol import RecordType

from ..sync_helpers import CentralServer, assert_converged, new_device, postgres_url, reset_database, sync_all

pytestmark = pytest.mark.slow


def _fresh_database(url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{url.rsplit('/', 1)[0]}/{name}"


def _held(server: CentralServer) -> tuple[dict, list, int]:
    central = server.central()
    try:
        records = {kind: central.records(kind) for kind in RecordType}
        return records, central.access_events(), central.log_max()
    finally:
        central.close()


def test_a_dump_restored_into_a_new_database_serves_the_devices_on(tmp_path, device_templates):
    url = postgres_url()
    if url is None:
        pytest.skip("no PostgreSQL reachable: set OHJAUS_TEST_PG")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump and pg_restore are not installed")
    reset_database(url)
    first = CentralServer(url, tmp_path / "first.log").start()
    a = new_device(device_templates, tmp_path / "a", first.url)
    try:
        client = a.add_client(date(1980, 5, 1), 911, "Aino")
        a.sign_contact(client.id, "Yskää")
        a.sign_contact(client.id, "Aika", slot_id=a.free_slot())
        nurse = a.worker()
        a.store.protection.client_history(client.id, a.store.viewer(nurse.id), now())  # a view: an access-log entry
        sync_all(a)
        assert a.store.outbox.pending_count() == 0
        records, access, highest = _held(first)
        assert client.id in records[RecordType.CLIENT] and len(records[RecordType.CONTACT]) >= 2
        assert access  # the device's access log reached the server
    finally:
        first.stop()

    dump = tmp_path / "central.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", url], check=True)
    restored_url = _fresh_database(url, url.rsplit("/", 1)[1] + "_restored")
    subprocess.run(["pg_restore", "--no-owner", f"--dbname={restored_url}", str(dump)], check=True)

    second = CentralServer(restored_url, tmp_path / "second.log").start()
    b = None
    try:
        again, access_again, highest_again = _held(second)
        for kind, held in records.items():  # nothing that was on the server is lost
            for record_id, data in held.items():
                assert again[kind].get(record_id) == data, (kind, record_id)
        assert access_again == access and highest_again >= highest

        # The device that wrote them syncs on: a new contact goes up, nothing is refused.
        a.store.set_setting(SERVER, second.url)
        later = a.sign_contact(client.id, "Kontrolli")
        sync_all(a)
        assert a.store.outbox.pending_count() == 0
        central = second.central()
        assert later.id in central.records(RecordType.CONTACT)
        central.close()

        # A new device of the unit receives everything the server holds.
        b = new_device(device_templates, tmp_path / "b", second.url)
        sync_all(a, b)
        records_b = assert_converged(a, b)
        assert f"client:{client.id}" in records_b
        assert {f"contact:{i}" for i in records[RecordType.CONTACT]} <= set(records_b)
    finally:
        second.stop()
        a.close()
        if b is not None:
            b.close()
