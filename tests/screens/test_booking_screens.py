"""The bookings screen (issue 20) at 80x24, as a nurse uses it from the client view: A lists
the client's booked visits; E records that the client did not come, S moves a visit with the
contact flow's slot picker and a reason, P cancels with a reason; the store holds what the
screen says. Snapshots of the list and of the move picker."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ohjaus_core.domain.codes import BookingStatus
from ohjaus_core.i18n import set_language
from ohjaus_tui.screens.bookings import BookingsScreen, MoveScreen
from ohjaus_tui.screens.client_view import ClientScreen
from ohjaus_tui.screens.prompt import PromptScreen
from ohjaus_tui.store.models import Appointment

from ..conftest import FIXED_NOW, build_app
from ..factories import booked_visit, slot_holder, worker_id
from ..pilot_helpers import a_client_not_waiting, screen_text, sign_in

NURSE = "hoitaja1"


def visits(store):
    """A client without other bookings: one visit whose time has passed, one to come."""
    client = a_client_not_waiting(store, nth=11)
    past, past_slot, _viewer = booked_visit(store, future=False, username=NURSE, client=client)
    future, future_slot, _viewer = booked_visit(store, future=True, username=NURSE, client=client, index=2)
    return client, (past, past_slot), (future, future_slot)


async def to_bookings(pilot, client_id: str) -> None:
    """Signed in as the nurse, the client's view, A: the client's bookings."""
    await sign_in(pilot, NURSE)
    pilot.app.push_screen(ClientScreen(client_id))
    await pilot.pause()
    await pilot.press("a")
    await pilot.pause()


async def to_row(pilot, contact_id: str) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, BookingsScreen)
    index = next(i for i, r in enumerate(screen.rows) if r.contact_id == contact_id and r.current)
    table = screen.query_one("#bookings-table")
    await pilot.press(*["down"] * (index - table.cursor_row) if index >= table.cursor_row else ["up"] * (table.cursor_row - index))


def appointment(store, contact_id):
    with store.session() as session:
        return session.get(Appointment, contact_id)


async def test_a_nurse_records_a_missed_visit_and_moves_another_with_the_keyboard(app, store, shipped):
    client, (past, _past_slot), (future, future_slot) = visits(store)
    since = FIXED_NOW - __import__("datetime").timedelta(days=shipped.region.high_need.window_days)
    missed_before = store.bookings.missed_appointments_since(client.id, since)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_bookings(pilot, client.id)
        assert isinstance(app.screen, BookingsScreen)
        assert screen_text(app).count("Visit booked") >= 2
        # E on the visit that has passed: the client did not come; Enter without more to say.
        await to_row(pilot, past.id)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()  # the prompt gone, the list drawn again
        assert isinstance(app.screen, BookingsScreen) and "Did not come" in screen_text(app).split("Sync")[0]
        assert "high-need trigger" in screen_text(app)
        assert appointment(store, past.id).status == BookingStatus.NO_SHOW.value
        assert store.bookings.missed_appointments_since(client.id, since) == missed_before + 1
        # S on the visit to come: the slot picker, Enter on a time, then the reason.
        await to_row(pilot, future.id)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, MoveScreen)
        chosen = app.screen.offers[0].slot_id
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("enter")  # no reason: asked again, nothing moved
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen) and "Say why." in screen_text(app)
        assert slot_holder(store, future_slot.id) == future.id
        await pilot.press(*"Asiakas toivoi", "enter")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, BookingsScreen)
        assert "moved" in screen_text(app)
        assert slot_holder(store, chosen) == future.id and slot_holder(store, future_slot.id) is None
        assert "Visit moved" in screen_text(app) and "Asiakas toivoi" in screen_text(app)
        # Marked already: P on the missed one says so and changes nothing.
        await to_row(pilot, past.id)
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, BookingsScreen) and "already marked" in screen_text(app)
        # Esc back to the client view, whose timeline shows the missed visit.
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ClientScreen)
        assert "Appointment: Did not come" in screen_text(app)
    pending = [e for e in store.outbox.pending_changes(5000) if e.record_type == "appointment"]
    assert {e.record_id for e in pending} == {past.id, future.id}


async def test_a_move_picker_closed_with_esc_changes_nothing(app, store):
    client, _past, (future, future_slot) = visits(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_bookings(pilot, client.id)
        await to_row(pilot, future.id)
        await pilot.press("s", "escape")
        await pilot.pause()
        assert isinstance(app.screen, BookingsScreen)
    assert slot_holder(store, future_slot.id) == future.id and appointment(store, future.id) is None


@pytest.mark.parametrize("stop", ["list", "move"])
def test_snapshot_of_the_booking_actions_at_80x24(snap_compare, data_dir, shipped, stop):
    from ohjaus_tui.store.store import Store

    store = Store(data_dir)
    client, (past, _slot), (future, _future_slot) = visits(store)
    viewer = store.viewer(worker_id(store, NURSE))
    store.bookings.change_booking(viewer, past.id, BookingStatus.NO_SHOW, "", FIXED_NOW)
    store.close()
    set_language("fi")
    app = build_app(data_dir, shipped)

    async def run_before(pilot) -> None:
        await pilot.pause()
        await to_bookings(pilot, client.id)
        await to_row(pilot, future.id)
        if stop == "move":
            await pilot.press("s")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_c_on_a_contact_whose_visit_was_cancelled_says_why_and_stays_home(data_dir, shipped):
    """Review of issue 20: the correction is refused with a reason on the screen (it would
    have booked the cancelled visit's time again), nothing crashes and nothing is made."""
    from ohjaus_tui.screens.home import HomeScreen
    from ohjaus_tui.store.store import Store

    store = Store(data_dir)
    contact, _slot, viewer = booked_visit(store, username="hoitaja1")
    store.bookings.change_booking(viewer, contact.id, BookingStatus.CANCELLED, "Asiakas perui", FIXED_NOW)
    store.close()
    set_language("fi")
    app = build_app(data_dir, shipped)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "hoitaja1")
        recent = app.screen.query_one("#recent")
        app.screen.set_focus(recent)
        recent.highlighted = next(i for i in range(recent.option_count) if recent.get_option_at_index(i).id == contact.id)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert any("ei voi korjata" in str(n.message) for n in app._notifications)
