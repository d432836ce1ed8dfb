"""Sync in the application, from the keyboard: the status is always on the screen, F5 syncs
in the background, F6 lists what the central API rejected; typing never waits."""

from __future__ import annotations

import asyncio
from datetime import date

from textual.widgets import DataTable

from ohjaus_tui.screens.home import HomeScreen
from ohjaus_tui.screens.sync_view import SyncViewScreen
from ohjaus_tui.widgets.sync_badge import SyncBadge

from .conftest import build_app
from .pilot_helpers import sign_in


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
    badge = app.screen.query_one(SyncBadge)
    badge.update_status()
    return str(badge.render())


async def test_signing_in_syncs_in_the_background_and_the_badge_says_online(devices):
    device = devices("a")
    username = device.worker().username
    waiting = device.store.pending_count()
    assert waiting > 0
    device.close()
    app = build_app(device.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.5)
        await sign_in(pilot, username)
        await settle(pilot, app)
        text = badge_text(app)
        assert "Online" in text and "0 changes waiting" in text and "last sync" in text
        assert app.ctx.store.pending_count() == 0


async def test_offline_the_badge_says_so_and_f5_tries_again(devices, server):
    device = devices("a")
    username = device.worker().username
    device.close()
    server.stop()
    app = build_app(device.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.5)
        await sign_in(pilot, username)
        await settle(pilot, app)
        text = badge_text(app)
        assert "Offline" in text and "No connection" in text
        waiting = app.ctx.store.pending_count()
        assert f"{waiting} changes waiting" in text
        # Work goes on offline: N opens a contact at once, while a round runs.
        await pilot.press("f5")
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, HomeScreen)
        await pilot.press("escape")
        await settle(pilot, app)
        server.start()
        await pilot.press("f5")
        await settle(pilot, app)
        assert "Online" in badge_text(app)
        assert app.ctx.store.pending_count() == 0


async def test_a_booking_taken_elsewhere_shows_as_a_problem_in_f6_and_a_rebook_follow_up(devices):
    a, b = devices("a"), devices("b")
    a.sync()
    b.sync()
    slot_id = a.free_slot()
    a.sign_contact(a.add_client(date(1981, 1, 1), 901, "Iida").id, "Kontrolli", slot_id=slot_id)
    a.sync()
    b.sign_contact(b.add_client(date(1982, 2, 2), 902, "Jussi").id, "Kontrolli", slot_id=slot_id)
    username = b.worker().username
    b.close()
    app = build_app(b.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.5)
        await sign_in(pilot, username)
        await settle(pilot, app)
        assert "1 problem (F6)" in badge_text(app)
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, SyncViewScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1
        row = " ".join(str(cell) for cell in table.get_row_at(0))
        assert "Rejected" in row and "booked on another device first" in row
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert "problem" not in badge_text(app)  # seen
        follow_ups = app.screen.query_one("#follow-ups", DataTable)
        cells = [" ".join(str(c) for c in follow_ups.get_row_at(i)) for i in range(follow_ups.row_count)]
        assert any("Booking needs rebooking" in line for line in cells)
