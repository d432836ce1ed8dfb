"""Sync in the application, from the keyboard: the status is always on the screen, F5 syncs
in the background, F6 lists what the central API rejected; typing never waits."""

from __future__ import annotations

from datetime import UTC, date, datetime

from textual.widgets import DataTable

from ohjaus_tui.screens.home import HomeScreen

from ..conftest import build_app
from ..pilot_helpers import sign_in
from ..sync_helpers import badge_text, f6_rows, settle, signed_in


async def test_signing_in_syncs_in_the_background_and_the_badge_says_online(devices):
    device = devices("a")
    waiting = device.store.outbox.pending_count()
    assert waiting > 0
    async with signed_in(device) as (app, _pilot):
        text = badge_text(app)
        assert "Online" in text and "0 changes waiting" in text and "last sync" in text
        assert app.ctx.store.outbox.pending_count() == 0


async def test_offline_the_badge_says_so_and_f5_tries_again(devices, server):
    device = devices("a")
    server.stop()
    async with signed_in(device) as (app, pilot):
        text = badge_text(app)
        assert "Offline" in text and "No connection" in text
        waiting = app.ctx.store.outbox.pending_count()
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
        assert app.ctx.store.outbox.pending_count() == 0


async def test_a_booking_taken_elsewhere_shows_as_a_problem_in_f6_and_a_rebook_follow_up(devices):
    a, b = devices("a"), devices("b")
    a.sync()
    b.sync()
    slot_id = a.free_slot()
    a.sign_contact(a.add_client(date(1981, 1, 1), 901, "Iida").id, "Kontrolli", slot_id=slot_id)
    a.sync()
    b.sign_contact(b.add_client(date(1982, 2, 2), 902, "Jussi").id, "Kontrolli", slot_id=slot_id)
    async with signed_in(b) as (app, pilot):
        assert "1 problem (F6)" in badge_text(app)
        rows = await f6_rows(app, pilot)
        assert len(rows) == 1
        row = rows[0]
        assert "Rejected" in row and "booked on another device first" in row
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert "problem" not in badge_text(app)  # seen
        follow_ups = app.screen.query_one("#worklist", DataTable)
        cells = [" ".join(str(c) for c in follow_ups.get_row_at(i)) for i in range(follow_ups.row_count)]
        assert any("Booking needs rebooking" in line for line in cells)


async def test_a_team_lead_reads_every_devices_log_of_a_client_from_the_central_api(devices):
    """Device A's nurse looks at a client; after A syncs, a team lead on device B asks the
    central API for the client's log and sees A's view there too."""
    from ohjaus_core.domain.access_log import AccessAction
    from ohjaus_tui.screens.access_log_view import AccessLogScreen
    from ohjaus_tui.screens.client_view import ClientScreen

    a, b = devices("a"), devices("b")
    # a client with no non-disclosure order: a protected one's view first asks its purpose
    client = next(
        c for c in a.store.contacts.signed_contacts(50)
        if c.client_id and c.sector == "health" and not a.store.clients.client(c.client_id).protected
    ).client_id
    nurse = next(w for w in a.store.workers() if w.username == "hoitaja2")
    a.store.protection.log_access(a.store.viewer(nurse.id), [client], AccessAction.VIEW, "client", "contact", datetime.now(UTC))
    a.sync()
    b.sync()
    b.close()
    app = build_app(b.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "esihenkilo1")
        app.push_screen(ClientScreen(client))
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, AccessLogScreen)
        local_rows = app.screen.query_one("#log", DataTable).row_count
        await pilot.press("c")
        for _ in range(100):
            await pilot.pause(0.1)
            if "central API" in str(app.screen.query_one("#log-chain").render()):
                break
        table = app.screen.query_one("#log", DataTable)
        workers = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert nurse.name in workers  # device A's entry, which device B never held
        assert "every device" in str(app.screen.query_one("#log-chain").render()).lower()
        assert local_rows >= 1
