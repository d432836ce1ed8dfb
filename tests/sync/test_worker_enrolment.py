"""A worker enrolled on the central API (`ohjaus worker add` prints a one-time code) sets a
passphrase at their first sign-in on one device of their unit, and signs in with it on another
after that one's sync: the verifier travels, never the passphrase. Against a real server."""

from __future__ import annotations

import io
import json
import sys

import httpx
import pytest
from sqlalchemy import select

from ohjaus_central.db import CentralStore
from ohjaus_central.tables import enrolment
from ohjaus_tui.demo import ref_id
from ohjaus_tui.store.models import Credential
from ohjaus_tui.store.sign_in import SignIn
from ohjaus_tui.store.store import Store
from ohjaus_core.protocol import RecordType

from ..conftest import FIXED_NOW
from ..sync_helpers import CentralServer, empty_device, run_cli as run
from tests.central.test_region_import import REGION

PASSPHRASE = "kolme karhua metsässä"


@pytest.fixture
def db_url(db_url):
    """The central database with its schema, as `ohjaus db upgrade` leaves it: a region's first
    step (`region import` and `worker add` refuse a database without it)."""
    CentralStore(db_url).close()
    return db_url


def enrol(capsys, monkeypatch, device, username: str, code: str, passphrase: str = PASSPHRASE):
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{code}\n{passphrase}\n"))
    return run(capsys, "worker", "enrol", "--data-dir", str(device), username)


def test_one_code_one_passphrase_on_every_device_of_the_unit(tmp_path, capsys, monkeypatch, db_url):
    assert run(capsys, "region", "--db", db_url, "import", str(REGION))[0] == 0
    code, out, err = run(
        capsys, "worker", "add", "--db", db_url, "--unit", "KA-SAARI", "--register", "health", "--role", "nurse",
        "--name", "Stina Holm", "--language", "sv", "--language", "fi", "uusi.h",
    )
    assert code == 0, err
    enrolment_code = out.strip()
    assert len(enrolment_code) == 14 and "shown only now" in err
    central = CentralStore(db_url)
    try:
        with central.engine.connect() as conn:
            kept = [dict(row) for row in conn.execute(select(enrolment)).mappings()]
        assert len(kept) == 1 and enrolment_code.replace("-", "") not in json.dumps(kept, default=str)
        assert central.records(RecordType.WORKER)[ref_id("worker", "uusi.h")]["languages"] == "sv,fi"
    finally:
        central.close()

    server = CentralServer(db_url, tmp_path / "server.log", demo=False).start()
    try:
        first, second, elsewhere = tmp_path / "first", tmp_path / "second", tmp_path / "elsewhere"
        for path, unit in ((first, "KA-SAARI"), (second, "KA-SAARI"), (elsewhere, "KA-KESK")):
            empty_device(path, capsys, server, unit, ("health",))

        # A device of another unit does not list the worker; a wrong code is refused.
        code, _out, err = enrol(capsys, monkeypatch, elsewhere, "uusi.h", enrolment_code)
        assert code == 2 and "No worker uusi.h" in err
        code, _out, err = enrol(capsys, monkeypatch, first, "uusi.h", "AAAA-BBBB-CCCC")
        assert code == 2 and "not right or was used" in err and err.count("\n") == 1
        code, _out, err = enrol(capsys, monkeypatch, first, "uusi.h", enrolment_code.lower().replace("-", " "))
        assert code == 0, err

        worker = ref_id("worker", "uusi.h")
        store = Store(first)
        try:
            assert store.sign_in.check_passphrase(worker, PASSPHRASE, FIXED_NOW).result == SignIn.OK
        finally:
            store.close()
        # Used once: the same code again is refused, and sets nothing.
        code, _out, err = enrol(capsys, monkeypatch, second, "uusi.h", enrolment_code, "toinen tunnuslause")
        assert code == 2 and "not right or was used" in err

        assert run(capsys, "sync", "--data-dir", str(second))[0] == 0
        assert run(capsys, "sync", "--data-dir", str(elsewhere))[0] == 0
        store = Store(second)
        try:
            assert store.sign_in.check_passphrase(worker, "toinen tunnuslause", FIXED_NOW).result == SignIn.WRONG
            assert store.sign_in.check_passphrase(worker, PASSPHRASE, FIXED_NOW).result == SignIn.OK
        finally:
            store.close()
        store = Store(elsewhere)
        try:
            with store.session() as session:
                assert session.get(Credential, worker) is None  # another unit's devices never get it
        finally:
            store.close()

        # A forgotten passphrase: a new code from the team lead, a new passphrase on one
        # device, and the unit's other device takes it at its next sync.
        code, again, err = run(
            capsys, "worker", "add", "--db", db_url, "--unit", "KA-SAARI", "--register", "health", "--role", "nurse",
            "--name", "Stina Holm", "--language", "sv", "--language", "fi", "uusi.h",
        )
        assert code == 0 and again.strip() != enrolment_code
        assert enrol(capsys, monkeypatch, second, "uusi.h", again.strip(), "uusi tunnuslause")[0] == 0
        assert run(capsys, "sync", "--data-dir", str(first))[0] == 0
        store = Store(first)
        try:
            assert store.sign_in.check_passphrase(worker, PASSPHRASE, FIXED_NOW).result == SignIn.WRONG
            assert store.sign_in.check_passphrase(worker, "uusi tunnuslause", FIXED_NOW).result == SignIn.OK
        finally:
            store.close()

        # What travelled is the verifier: the passphrase is in no change the server holds.
        central = CentralStore(db_url)
        try:
            held = central.records(RecordType.CREDENTIAL)[worker]
            assert held["kdf"] == "argon2id" and "uusi tunnuslause" not in json.dumps(held)
        finally:
            central.close()

        # The API refuses a verifier below the minimum cost, whatever the code.
        store = Store(first)
        try:
            _server, token = store.outbox.sync_config()
        finally:
            store.close()
        weak = {
            "worker_id": worker, "code": enrolment_code,
            "verifier": {"kdf": "argon2id", "params": json.dumps({"m": 1024, "p": 1, "t": 1}), "salt": "00" * 16, "digest": "00" * 32},
        }
        response = httpx.post(f"{server.url}/v1/enrol", json=weak, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 422 and "below the minimum" in response.json()["error"]
    finally:
        server.stop()


async def sign_in_as(app, pilot, worker_id: str) -> None:
    from textual.widgets import OptionList

    listing = app.screen.query_one("#workers", OptionList)
    listing.highlighted = [listing.get_option_at_index(n).id for n in range(listing.option_count)].index(worker_id)
    await pilot.press("enter")
    await pilot.pause()


async def wait_for_home(app, pilot, seconds: float = 20.0) -> bool:
    import asyncio

    from ohjaus_tui.screens.home import HomeScreen

    for _step in range(int(seconds / 0.1)):
        if isinstance(app.screen, HomeScreen):
            return True
        await asyncio.sleep(0.1)
        await pilot.pause()
    return isinstance(app.screen, HomeScreen)


async def test_the_first_sign_in_on_the_screen_takes_the_code_and_the_unit_s_other_device_the_passphrase(
    tmp_path, capsys, shipped
):
    from textual.widgets import Static

    from ohjaus_tui.app import OhjausApp
    from ohjaus_tui.context import Context

    db_url = f"sqlite:///{tmp_path / 'central.db'}"
    CentralStore(db_url).close()  # `ohjaus db upgrade`
    assert run(capsys, "region", "--db", db_url, "import", str(REGION))[0] == 0
    code, out, err = run(
        capsys, "worker", "add", "--db", db_url, "--unit", "KA-SAARI", "--register", "health", "--role", "nurse",
        "--name", "Stina Holm", "uusi.h",
    )
    assert code == 0, err
    enrolment_code = out.strip()
    worker = ref_id("worker", "uusi.h")
    server = CentralServer(db_url, tmp_path / "server.log", demo=False).start()
    try:
        first, second = tmp_path / "first", tmp_path / "second"
        for path in (first, second):
            empty_device(path, capsys, server, "KA-SAARI", ("health",))

        app = OhjausApp(Context(data_dir=first, shipped=shipped))
        async with app.run_test(size=(100, 30)) as pilot:
            await sign_in_as(app, pilot, worker)
            assert app.screen.has_class("enrolling")
            await pilot.press(*"WRONG-CODE-0", "enter", *PASSPHRASE, "enter", *PASSPHRASE, "enter")
            for _step in range(100):
                await pilot.pause(0.1)
                if "not right" in str(app.screen.query_one("#login-message", Static).render()):
                    break
            assert "not right or was used" in str(app.screen.query_one("#login-message", Static).render())
            code_field = app.screen.query_one("#enrol-code")
            code_field.value = ""
            code_field.focus()
            await pilot.press(*enrolment_code, "enter", *PASSPHRASE, "enter", *PASSPHRASE, "enter")
            assert await wait_for_home(app, pilot), str(app.screen.query_one("#login-message", Static).render())

        assert run(capsys, "sync", "--data-dir", str(second))[0] == 0
        app = OhjausApp(Context(data_dir=second, shipped=shipped))
        async with app.run_test(size=(100, 30)) as pilot:
            await sign_in_as(app, pilot, worker)
            assert not app.screen.has_class("enrolling") and app.screen.has_class("asking")
            await pilot.press(*PASSPHRASE, "enter")
            assert await wait_for_home(app, pilot)
    finally:
        server.stop()
