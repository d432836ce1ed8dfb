"""Real central servers and real device directories for the sync tests.

`CentralServer` runs `ohjaus serve --demo` as a child process on a free loopback port (so it
can be SIGKILLed and restarted), on SQLite or PostgreSQL. `Device` is a demo data directory
with its own store and credential; its edits go through the same store methods as the
screens'. `signed_in` opens the application on a device's directory as a worker would, and
`region_server` / `enrolled_device` / `opened` set up a region's own server and a device
enrolled to it with the `ohjaus` commands. Nothing here mocks the transport.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date, timedelta
from pathlib import Path

import httpx

from ohjaus_tui.demo import make_demo
from ohjaus_core.domain.clock import now
from ohjaus_core.domain.codes import FollowUpKind, Language, OutcomeKind, Segment, ServiceArea, Urgency
from ohjaus_core.domain.contact import ContactDraft
from ohjaus_core.domain.identity import make_identity_code
from ohjaus_tui.store.store import Store
from ohjaus_tui.store.sync_side import SERVER, TOKEN
from ohjaus_tui.sync.client import SyncClient, SyncError
from ohjaus_core.protocol import demo_token

from .factories import advice_draft

PG_ENV = "OHJAUS_TEST_PG"  # e.g. postgresql://ohjaus:ohjaus@127.0.0.1/ohjaus_test
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_url() -> str | None:
    """The test PostgreSQL, or None with pytest told why (skipped, never silently passed)."""
    url = os.environ.get(PG_ENV)
    required = os.environ.get("OHJAUS_REQUIRE_PG") == "1"
    if not url:
        if required:
            raise RuntimeError(f"OHJAUS_REQUIRE_PG=1 but {PG_ENV} is not set")
        return None
    try:
        url = _worker_database(url)
    except Exception as error:
        if required:
            raise RuntimeError(f"PostgreSQL at {PG_ENV} is not reachable: {error}") from error
        return None
    return url


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own database (`<name>_gw0`, ...), made on first
    use, so two workers never drop each other's tables; the role needs CREATEDB (.ci/run gives
    it). Without xdist the URL is used as it is."""
    import psycopg
    from sqlalchemy.engine import make_url

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        psycopg.connect(url, connect_timeout=3).close()
        return url
    parsed = make_url(url)
    own = f"{parsed.database}_{worker}"
    with psycopg.connect(url, connect_timeout=3, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (own,)).fetchone()
        if not exists:
            try:
                connection.execute(f'CREATE DATABASE "{own}"')
            except psycopg.errors.DuplicateDatabase:
                pass
    return parsed.set(database=own).render_as_string(hide_password=False)


def reset_database(url: str) -> None:
    """An empty central database for one test: every table goes, Alembic's too (a test may
    leave a database at an older or a newer revision)."""
    if url.startswith("postgresql"):
        from sqlalchemy import MetaData, create_engine

        engine = create_engine("postgresql+psycopg://" + url.split("://", 1)[1])
        found = MetaData()
        found.reflect(engine)
        found.drop_all(engine)
        engine.dispose()


class CentralServer:
    START_SECONDS = 90  # a shared, busy machine can take this long to load the demo region

    def __init__(self, db_url: str, log: Path, extra: list[str] | None = None, demo: bool = True) -> None:
        self.db_url = db_url
        self.extra = extra or []
        self.demo = demo
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        demo = ["--demo"] if self.demo else []
        return [sys.executable, "-m", "ohjaus", "serve", *demo, "--db", self.db_url, "--port", str(self.port), *self.extra]

    def start(self) -> "CentralServer":
        if not self.demo:  # `serve` refuses a database behind the code: upgrade it as a region would
            from ohjaus_central.db import CentralStore

            CentralStore(self.db_url, upgrade=True).close()
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=log, cwd=ROOT)
        deadline = time.monotonic() + self.START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the server did not start in {self.START_SECONDS} s")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def central(self):
        """The server's database, read directly (for assertions)."""
        from ohjaus_central.db import CentralStore

        return CentralStore(self.db_url)

    def request_id(self, source: str, unit: str = "JL-KESK", register: str = "health") -> str:
        """The id the unit's callback request (or contact request) with this source gets."""
        from ohjaus_core.domain.callbacks import callback_id

        central = self.central()
        try:
            return callback_id(central.reference.unit_id(unit), register, source)
        finally:
            central.close()


class Device:
    """A device data directory with a credential of its own."""

    def __init__(self, path: Path, server_url: str, unit: str = "JL-KESK", registers=("health", "social")) -> None:
        self.path = path
        self.unit = unit
        self.store = Store(path)
        self.store.set_setting(SERVER, server_url)
        self.store.set_setting(TOKEN, demo_token(str(uuid.uuid4()), unit, registers))

    def client(self, server: str | None = None, **kwargs) -> SyncClient:
        configured, token = self.store.outbox.sync_config()
        return SyncClient(self.store, server or configured, token, clock=now, **kwargs)

    def sync(self, server: str | None = None, **kwargs):
        with self.client(server, **kwargs) as client:
            return client.round()

    def try_sync(self, server: str | None = None, **kwargs) -> bool:
        try:
            self.sync(server, **kwargs)
            return True
        except SyncError:
            return False

    def close(self) -> None:
        self.store.close()

    # -- edits, as the screens make them ----------------------------------------------------

    def worker(self, register: str = "health"):
        return next(
            w for w in self.store.workers()
            if self.store.unit(w.unit_id).code == self.unit and w.sector == register and w.role != "team_lead"
        )

    def add_client(self, born: date, individual: int, first: str = "Testi", phone: str | None = None):
        return self.store.clients.add_client(
            first_name=first,
            last_name="Asiakas",
            identity_code=make_identity_code(born, individual),
            phone=phone,
            language=Language.FI,
            municipality="Järvilaakso",
            created_by=self.worker().id,
            now=now(),
            allow_temporary=True,
        )

    def sign_contact(
        self, client_id: str | None, reason: str = "Testi", slot_id: str | None = None, follow_up: bool = True,
        safety_net: str = "", referrals: list | None = None, for_follow_up_id: str | None = None,
        duties_made: list | None = None,
    ) -> ContactDraft:
        worker = self.worker()
        started = now().replace(microsecond=0)
        draft = advice_draft(
            self.store, client_id, by=worker, started=started, reason=reason, suggested_segment=Segment.ADVICE,
            safety_net=safety_net, for_follow_up_id=for_follow_up_id, advice_text="Lepoa ja nestettä.",
        )
        draft.duties_made = list(duties_made or [])
        if referrals:
            draft.outcome_kind, draft.advice_text = OutcomeKind.REFERRAL, ""
            draft.set_referrals(referrals)
        elif slot_id:
            draft.outcome_kind, draft.slot_id, draft.advice_text = OutcomeKind.BOOKING, slot_id, ""
            draft.urgency = draft.suggested_urgency = Urgency.NON_URGENT
            draft.segment = draft.suggested_segment = Segment.CLEAR_NEED
        if follow_up and client_id:
            draft.follow_up_kind = FollowUpKind.CALLBACK
            draft.follow_up_due = started.date() + timedelta(days=2)
            draft.follow_up_assignee_id = worker.id
        self.store.contacts.sign(draft, started)
        return draft

    def free_slot(self, index: int = 0) -> str:
        start = now()
        offers = [
            o for o in self.store.bookings.free_slots(ServiceArea.HEALTH, start, start + timedelta(days=14))
        ]
        return offers[index].slot_id

    # -- what the device holds ---------------------------------------------------------------

    def snapshot(self) -> dict[str, dict]:
        """Every synced record (not drafts, not reference data) as plain JSON."""
        records: dict[str, dict] = {}
        for row in self.store.export_records():
            kind = row["type"]
            if kind in ("unit", "worker", "professional"):
                continue
            if kind == "contact" and row["status"] != "signed":
                continue
            if kind in ("assessment", "segment", "outcome") and not self._signed(row["contact_id"]):
                continue
            if kind == "follow_up" and row["status"] == "planned":
                continue
            if kind == "slot":
                if not row["booked_contact_id"] and not row["taken_elsewhere"]:
                    continue
            if kind == "callback" and row["contact_id"] and not self._signed(row["contact_id"]):
                # Taken for a draft: the draft is on the taker's device only; the others hold NULL.
                row = {**row, "contact_id": None}
            records[f"{kind}:{row['id']}"] = row
        return records

    def _signed(self, contact_id: str) -> bool:
        return self.store.contacts.contact_status(contact_id).value == "signed"


def sync_all(*devices: Device, rounds: int = 2) -> None:
    """Directly to the server; two rounds: the first sends, the second brings the others'."""
    for _round in range(rounds):
        for device in devices:
            device.sync()


def devices_by_register(devices) -> tuple[Device, Device, Device]:
    """Three devices of JL-KESK from the `devices` fixture: one of both registers ("both"), one
    of health only ("health"), one of social only ("social")."""
    both = devices("both")
    return both, devices("health", "JL-KESK", ("health",)), devices("social", "JL-KESK", ("social",))


def assert_converged(*devices: Device) -> dict:
    """Every device holds the same synced records and has nothing waiting; returns them."""
    first = devices[0].snapshot()
    for other in devices[1:]:
        snapshot = other.snapshot()
        assert snapshot.keys() == first.keys(), (
            sorted(snapshot.keys() - first.keys())[:5],
            sorted(first.keys() - snapshot.keys())[:5],
        )
        for key, row in first.items():
            assert snapshot[key] == row, key
    for device in devices:
        assert device.store.outbox.pending_count() == 0
    return first


def device_template(base: Path, unit: str, registers: tuple[str, ...], contacts: int = 6, clients: int = 25) -> Path:
    """A demo device made once per (unit, registers, size); copies start from it."""
    path = base / f"{unit}-{'+'.join(registers)}-{contacts}-{clients}"
    if not path.exists():
        make_demo(path, clients=clients, contacts=contacts, unit_code=unit, registers=registers, seed=11, today=date.today())
    return path


def new_device(templates: Path, target: Path, server_url: str, unit: str = "JL-KESK", registers=("health", "social"), **kwargs) -> Device:
    shutil.copytree(device_template(templates, unit, registers, **kwargs), target)
    return Device(target, server_url, unit, registers)


def comparable(snapshot: dict[str, dict]) -> dict[str, dict]:
    """Records as every device should hold them: slots by whom they are taken for."""
    out = {}
    for key, row in snapshot.items():
        out[key] = json.loads(json.dumps(row, sort_keys=True))
    return out


def wait_until(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


# -- the application on a device's directory ------------------------------------------------


async def settle(pilot, app, timeout: float = 20.0) -> None:
    """Wait for the background sync round to finish."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    await pilot.pause(0.2)
    while app.sync_state.running and loop.time() < deadline:
        await pilot.pause(0.1)
    assert not app.sync_state.running, "the sync round did not finish"
    await pilot.pause()


def badge_text(app) -> str:
    from ohjaus_tui.widgets.sync_badge import SyncBadge

    badge = app.screen.query_one(SyncBadge)
    badge.update_status()
    return str(badge.render())


@asynccontextmanager
async def signed_in(device: Device, size: tuple[int, int] = (100, 30)) -> AsyncIterator[tuple]:
    """The application on `device`'s directory (the device's own store closed first), its
    worker signed in and the sync round that follows the sign-in finished: (app, pilot)."""
    from .conftest import build_app
    from .pilot_helpers import sign_in

    username = device.worker().username
    device.close()
    app = build_app(device.path)
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.5)
        await sign_in(pilot, username)
        await settle(pilot, app)
        yield app, pilot


async def f6_rows(app, pilot) -> list[str]:
    """F6 pressed: the sync view is shown; its table's rows, each as one line of text."""
    from textual.widgets import DataTable

    from ohjaus_tui.screens.sync_view import SyncViewScreen

    await pilot.press("f6")
    await pilot.pause()
    assert isinstance(app.screen, SyncViewScreen)
    table = app.screen.query_one(DataTable)
    return [" ".join(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]


# -- a region's own central server and a device enrolled to it --------------------------------


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """`ohjaus ARGV` in this process: (exit code, what it printed, what it said on stderr)."""
    from ohjaus.cli import main

    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@contextmanager
def region_server(db_url: str, tmp_path: Path) -> Iterator[CentralServer]:
    """`ohjaus serve` on a region's own database (its schema upgraded, no demo), stopped after."""
    server = CentralServer(db_url, tmp_path / "server.log", demo=False).start()
    try:
        yield server
    finally:
        server.stop()


def empty_device(path: Path, capsys, server: CentralServer, unit: str, registers: tuple[str, ...]) -> None:
    """A device directory at `path` with no data, enrolled by the administrator's commands
    (`device add`, `connect`) to `unit` of `server` and synced once."""
    Store(path).close()
    argv = ["device", "--db", server.db_url, "add", "--unit", unit, "--name", "vastaanotto"]
    for register in registers:
        argv += ["--register", register]
    code, token, err = run_cli(capsys, *argv)
    assert code == 0, err
    code, _out, err = run_cli(capsys, "connect", "--data-dir", str(path), "--server", server.url, "--token", token.strip())
    assert code == 0, err
    code, out, err = run_cli(capsys, "sync", "--data-dir", str(path))
    assert code == 0, err + out


def enrolled_device(tmp_path: Path, capsys, server: CentralServer) -> Path:
    """tmp_path/"device", enrolled to the health register of the region's unit KA-SAARI and synced."""
    device = tmp_path / "device"
    empty_device(device, capsys, server, "KA-SAARI", ("health",))
    return device


@contextmanager
def opened(path: Path) -> Iterator[Store]:
    """The store of the device directory `path`, closed after."""
    store = Store(path)
    try:
        yield store
    finally:
        store.close()
