"""Tried as a worker would: sign in with a passphrase, the idle lock and Ctrl+L, roles, and
a client whose other register stays hidden until the client consents - and the access
log that shows who looked."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable, Input, Static

from ohjaus_tui.app import OhjausApp
from ohjaus_tui.context import Context
from ohjaus_core.domain.credentials import DEMO_PASSPHRASE
from ohjaus_tui.screens.access_log_view import AccessLogScreen
from ohjaus_tui.screens.client_view import ClientScreen
from ohjaus_tui.screens.home import HomeScreen
from ohjaus_tui.screens.lock import LockScreen
from ohjaus_tui.screens.login import LoginScreen

from ..conftest import FIXED_NOW
from ..pilot_helpers import sign_in
from ..factories import client_in_both_registers


class Clock:
    def __init__(self) -> None:
        self.now = FIXED_NOW

    def __call__(self):
        return self.now


def clocked_app(data_dir, shipped, clock: Clock) -> OhjausApp:
    return OhjausApp(Context(data_dir=data_dir, shipped=shipped, clock=clock, demo=True))


def screen_text(app) -> str:
    """The characters on the terminal, line by line, as the worker sees them."""
    from io import StringIO

    from rich.console import Console

    console = Console(file=StringIO(), width=app.size.width, height=app.size.height, record=True, color_system=None)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


async def choose_worker(pilot, index: int = 0) -> None:
    await pilot.press(*["down"] * index, "enter")


async def until_home(pilot, seconds: float = 10) -> None:
    """After a right passphrase: the home screen, once the store (opening in the background
    since the start) is open."""
    for _ in range(int(seconds / 0.05)):
        if isinstance(pilot.app.screen, HomeScreen):
            return
        await pilot.pause(0.05)
    assert isinstance(pilot.app.screen, HomeScreen)


async def test_a_wrong_passphrase_keeps_the_sign_in_screen_and_says_so(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await choose_worker(pilot)
        await pilot.press(*"wrong-guess", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert "Wrong passphrase. 4 tries left" in str(app.screen.query_one("#login-message", Static).render())
        assert app.screen.query_one("#passphrase", Input).value == ""  # never kept on the screen
        await pilot.press(*DEMO_PASSPHRASE, "enter")
        await until_home(pilot)


def burst(app, *keys: str) -> None:
    """Keys sent all at once, as a fast typist or a paste sends them: no key waits for the
    screen to answer the one before (Pilot's press waits after each)."""
    from textual import events

    for key in keys:
        event = events.Key({"\r": "enter"}.get(key, key), "\r" if key == "enter" else key)
        event.set_sender(app)
        app._driver.send_message(event)


async def test_a_passphrase_typed_ahead_of_the_field_is_not_lost(app):
    """Enter on a name and the passphrase typed at once: the keys that arrive before the
    passphrase field is there (or has the focus) go into it, and the last Enter signs in."""
    async with app.run_test(size=(80, 24)) as pilot:
        burst(app, "enter", *DEMO_PASSPHRASE, "enter")
        await until_home(pilot)


async def test_arrows_enter_and_passphrase_typed_at_once_sign_in_the_name_chosen(app):
    async with app.run_test(size=(80, 24)) as pilot:
        listing = app.screen.query_one("#workers")
        chosen = listing.get_option_at_index((listing.highlighted or 0) + 2).id
        burst(app, "down", "down", "enter", *DEMO_PASSPHRASE, "enter")
        await until_home(pilot)
        assert app.ctx.worker.id == chosen


async def test_a_passphrase_typed_ahead_on_the_lock_screen_is_not_lost(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "hoitaja1")
        burst(app, "ctrl+l", *"wrong", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        assert "Wrong passphrase" in str(app.screen.query_one("#lock-message", Static).render())
        burst(app, *DEMO_PASSPHRASE, "enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_the_passphrase_is_checked_before_the_store_opens_and_a_line_says_it_is_opening(data_dir, shipped, monkeypatch):
    """Start-up (issue 18): the check needs no ORM; the home screen waits for the store with
    a line on the screen, and the keys stay answered meanwhile."""
    import threading

    gate = threading.Event()
    opened = Context._open_store

    def slow_open(self):
        gate.wait(60)
        return opened(self)

    monkeypatch.setattr(Context, "_open_store", slow_open)
    app = clocked_app(data_dir, shipped, Clock())
    async with app.run_test(size=(100, 30)) as pilot:
        await choose_worker(pilot)
        chosen = app.screen._worker_id
        await pilot.press(*"wrong-guess", "enter")
        await pilot.pause()
        message = app.screen.query_one("#login-message", Static)
        assert "Wrong passphrase. 4 tries left" in str(message.render())
        assert not app.ctx.store_is_open()
        await pilot.press(*DEMO_PASSPHRASE, "enter")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert "Signed in. Opening the local store..." in str(message.render())
        await pilot.press("escape", *"typed-meanwhile", "enter")  # neither another name nor another try
        await pilot.pause()
        assert "Opening the local store" in str(message.render())
        gate.set()
        await until_home(pilot)
        assert app.ctx.worker.id == chosen
    # The right passphrase reset the count of the wrong one.
    assert app.ctx.store.sign_in.check_passphrase(chosen, "wrong-again", FIXED_NOW).tries_left == 4


async def test_the_enrolment_fields_come_when_a_first_sign_in_needs_them_and_stay_in_another_language(data_dir, shipped):
    """Start-up (issue 18): the enrolment fields are not built for the first screen; a worker
    with no passphrase on a connected device gets them, and F9 keeps them with what was typed."""
    from ohjaus_tui.store.directory import connect

    app = clocked_app(data_dir, shipped, Clock())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert not app.screen.query("#enrol")
        listing = app.screen.query_one("#workers")
        first = listing.get_option_at_index(listing.highlighted or 0).id  # what Enter chooses
        connection = connect(data_dir)
        with connection:
            connection.execute("INSERT OR REPLACE INTO setting (key, value) VALUES ('sync_server', 'https://keskus.example'), ('sync_token', 't')")
            connection.execute("DELETE FROM credential WHERE worker_id = ?", (first,))
        connection.close()
        burst(app, "enter", *"ABCD-EFGH")  # the code typed at once after the Enter is kept
        await pilot.pause()
        assert app.screen.has_class("enrolling")
        assert app.screen.query_one("#enrol-code", Input).value == "ABCD-EFGH"
        await pilot.press("f9")
        await pilot.pause()
        assert app.screen.has_class("enrolling")
        assert app.screen.query_one("#enrol-code", Input).value == "ABCD-EFGH"
        assert app.screen.focused is app.screen.query_one("#enrol-code", Input)


async def test_the_screen_locks_after_the_idle_time_and_hides_the_client(data_dir, shipped, monkeypatch):
    monkeypatch.setenv("OHJAUS_IDLE_LOCK", "120")
    clock = Clock()
    app = clocked_app(data_dir, shipped, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        await pilot.press(*"Salminen")
        await pilot.pause(0.1)
        shown = screen_text(app)
        assert "Salminen" in shown
        clock.now += timedelta(seconds=119)
        app.lock_when_idle()
        assert not isinstance(app.screen, LockScreen)
        clock.now += timedelta(seconds=2)
        app.lock_when_idle()
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        locked = screen_text(app)
        assert "Salminen" not in locked and "Sari Mäkinen" in locked  # the worker's name only
        await pilot.press("f6")  # the sync view would show records: not while locked
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*"not-my-passphrase", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        assert "Wrong passphrase" in str(app.screen.query_one("#lock-message", Static).render())
        await pilot.press(*DEMO_PASSPHRASE, "enter")
        await pilot.pause()
        # Back where the worker was, with what was typed.
        assert app.screen.query_one("#client-query", Input).value == "Salminen"


async def test_typing_keeps_the_screen_open(data_dir, shipped, monkeypatch):
    monkeypatch.setenv("OHJAUS_IDLE_LOCK", "120")
    clock = Clock()
    app = clocked_app(data_dir, shipped, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        for _ in range(4):
            clock.now += timedelta(seconds=100)
            await pilot.press("a")
            app.lock_when_idle()
        await pilot.pause()
        assert not isinstance(app.screen, LockScreen)


async def test_ctrl_l_locks_at_once_and_f10_signs_out(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen) and app.ctx.worker is None
        assert len(app.screen_stack) == 1  # nothing of the contact left beneath


async def open_client(pilot, code: str) -> None:
    await pilot.press("n")
    await pilot.press(*code)
    await pilot.pause(0.1)
    await pilot.press("f2")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ClientScreen)


def registers_shown(app) -> set[str]:
    table = app.screen.query_one("#client-contacts", DataTable)
    return {str(table.get_row_at(i)[1]) for i in range(table.row_count)}


async def test_the_other_register_is_hidden_until_the_client_consents(app, store):
    client = store.clients.client(client_in_both_registers(store))
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await open_client(pilot, client.identity_code)
        assert registers_shown(app) == {"Health care"}
        assert "Social welfare: not shown" in str(app.screen.query_one("#client-registers", Static).render())
        await pilot.press("l")  # a nurse may not read the access log
        await pilot.pause()
        assert isinstance(app.screen, ClientScreen)
        assert "Only a team lead" in str(app.screen.query_one("#client-message", Static).render())
        await pilot.press("s")  # the client consents, for a year
        await pilot.pause()
        await pilot.press("enter", "enter", "enter")
        await pilot.pause()
        assert registers_shown(app) == {"Health care", "Social welfare"}
        assert "Consent: Social welfare -> Health care until" in str(
            app.screen.query_one("#client-consents", Static).render()
        )


async def test_a_stated_legal_basis_shows_the_other_register_for_that_view(app, store):
    client = store.clients.client(client_in_both_registers(store))
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await open_client(pilot, client.identity_code)
        await pilot.press("b")
        await pilot.pause()
        await pilot.press(*"no", "enter")  # too short to be a basis
        await pilot.pause()
        assert "State the basis" in str(app.screen.query_one("#basis-error", Static).render())
        await pilot.press(*"hengenvaara, laki 703/2023", "enter")
        await pilot.pause()
        assert registers_shown(app) == {"Health care", "Social welfare"}


async def test_a_team_lead_sees_who_viewed_the_client(app, store):
    client = store.clients.client(client_in_both_registers(store))
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await open_client(pilot, client.identity_code)
        await pilot.press("escape", "escape")
        await pilot.pause()
        await pilot.press("l")  # sign out
        await pilot.pause()
        await sign_in(pilot, "esihenkilo1")
        await open_client(pilot, client.identity_code)
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, AccessLogScreen)
        assert "log is whole" in str(app.screen.query_one("#log-chain", Static).render())
        table = app.screen.query_one("#log", DataTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        nurse_rows = {(row[2], row[3]) for row in rows if row[1] == "Sari Mäkinen"}
        assert {("Viewed", "search result"), ("Viewed", "client details"), ("Viewed", "contacts")} <= nurse_rows
        assert rows[0][1:4] == ["Kaisa Rantanen", "Viewed", "access log"]


async def test_a_locked_database_at_sign_in_is_one_line_and_the_app_stays(data_dir, shipped):
    """Another process holds the database (a backup, a stuck ohjaus): the passphrase check
    cannot count the try; the worker reads why on the sign-in screen and can try again."""
    from ohjaus_tui.store.directory import connect

    app = clocked_app(data_dir, shipped, Clock())
    holder = connect(data_dir, isolation_level=None)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await choose_worker(pilot)
            holder.execute("BEGIN EXCLUSIVE")
            await pilot.press(*DEMO_PASSPHRASE, "enter")
            await pilot.pause()
            assert isinstance(app.screen, LoginScreen)
            message = str(app.screen.query_one("#login-message", Static).render())
            assert "could not be written" in message and "try again" in message
            holder.execute("ROLLBACK")
            await pilot.press(*DEMO_PASSPHRASE, "enter")
            await until_home(pilot)
    finally:
        holder.close()


async def test_a_store_that_cannot_open_after_sign_in_says_why_on_the_screen(data_dir, shipped, monkeypatch):
    from ohjaus_tui.store.errors import StoreError

    def broken_open(self):
        raise StoreError("The local store could not be opened: file is not a database.")

    monkeypatch.setattr(Context, "_open_store", broken_open)
    app = clocked_app(data_dir, shipped, Clock())
    async with app.run_test(size=(80, 24)) as pilot:
        await choose_worker(pilot)
        await pilot.press(*DEMO_PASSPHRASE, "enter")
        for _ in range(100):
            await pilot.pause(0.05)
            message = str(app.screen.query_one("#login-message", Static).render())
            if "could not be opened" in message:
                break
        assert isinstance(app.screen, LoginScreen)
        assert "file is not a database" in message


async def test_a_released_hold_does_not_end_the_next_hold_early(app):
    """Enter on a name, Esc, Enter on another within a second: the first hold's timer must
    not let go of the second hold's keys before its field has the focus (review)."""
    import asyncio

    async with app.run_test(size=(80, 24)) as pilot:
        app.hold_keys(0.5)
        await app.release_keys()
        await asyncio.sleep(0.1)
        app.hold_keys(30)
        await asyncio.sleep(0.8)  # past the first hold's half second
        await pilot.pause()
        assert app._held_keys is not None, "the first hold's timer let go of the second hold"
        await app.release_keys()
        assert app._held_keys is None
