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


async def central_log(a, b, client_id: str) -> tuple[int, list[list[str]], str]:
    """A and B synced, B's team lead opens the client's access log and asks the central API
    (C): the rows of B's own log, then the table's rows and the line above it."""
    a.sync()
    b.sync()
    b.close()
    app = build_app(b.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "esihenkilo1")
        return await _ask_central(pilot, app, client_id)


async def _ask_central(pilot, app, client_id: str) -> tuple[int, list[list[str]], str]:
    from ohjaus_tui.screens.access_log_view import AccessLogScreen
    from ohjaus_tui.screens.client_view import ClientScreen

    app.push_screen(ClientScreen(client_id))
    await pilot.pause()
    await pilot.press("l")
    await pilot.pause()
    assert isinstance(app.screen, AccessLogScreen)
    local_rows = app.screen.query_one("#log", DataTable).row_count
    await pilot.press("c")
    for _ in range(300):  # ("Asking the central API..." first: the answer's line ends the wait)
        await pilot.pause(0.1)
        if "from the central API:" in str(app.screen.query_one("#log-chain").render()):
            break
    table = app.screen.query_one("#log", DataTable)
    rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
    return local_rows, rows, str(app.screen.query_one("#log-chain").render())


async def test_a_team_lead_reads_every_devices_log_of_a_client_from_the_central_api(devices):
    """Device A's nurse looks at a client; after A syncs, a team lead on device B asks the
    central API for the client's log and sees A's view there too."""
    from ohjaus_core.domain.access_log import AccessAction

    a, b = devices("a"), devices("b")
    # a client with no non-disclosure order: a protected one's view first asks its purpose
    client = next(
        c for c in a.store.contacts.signed_contacts(50)
        if c.client_id and c.sector == "health" and not a.store.clients.client(c.client_id).protected
    ).client_id
    nurse = next(w for w in a.store.workers() if w.username == "hoitaja2")
    a.store.protection.log_access(a.store.viewer(nurse.id), [client], AccessAction.VIEW, "client", "contact", datetime.now(UTC))
    local_rows, rows, line = await central_log(a, b, client)
    assert nurse.name in {row[1] for row in rows}  # device A's entry, which device B never held
    assert "every device" in line.lower()
    assert local_rows >= 1


async def test_a_health_devices_team_lead_reads_the_central_log_of_its_own_register(devices):
    """The central API gives a health-only device the health register's use of the client's
    data only: the social worker's views on another device of the unit are not in its table,
    and the line above it says whose entries these are."""
    from ohjaus_core.domain.access_log import AccessAction
    from ohjaus_core.domain.codes import Register

    a, b = devices("a"), devices("b", "JL-KESK", ("health",))
    client = a.add_client(date(1985, 5, 5), 941, "Eeva")
    nurse, counsellor = a.worker("health"), a.worker("social")
    at = datetime.now(UTC)
    a.store.protection.log_access(a.store.viewer(nurse.id), [client.id], AccessAction.VIEW, "client", "contact", at)
    for register in ("social", None):
        a.store.protection.log_access(
            a.store.viewer(counsellor.id), [client.id], AccessAction.VIEW, "contacts", "contact", at, register
        )
    _local, rows, line = await central_log(a, b, client.id)
    assert nurse.name in {row[1] for row in rows}
    assert counsellor.name not in {row[1] for row in rows}
    assert {row[4] for row in rows} <= {"-", Register.HEALTH.label}
    assert "this device's registers" in line and f": {len(rows)}." in line
