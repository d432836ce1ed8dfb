"""The channel a contact starts with is the device's; an unidentified caller is never offered
what cannot be done for them (issue 15)."""

from __future__ import annotations

import pytest

from ohjaus_core.domain.codes import Channel, OutcomeKind, Urgency
from ohjaus_core.domain.contact import device_channel

from ..pilot_helpers import all_no_then_urgency, focused_id, pick, pick_result, sign_in, type_text


@pytest.mark.parametrize(
    ("setting", "channel"),
    [(None, Channel.PHONE), ("walk_in", Channel.WALK_IN), ("mobile_point", Channel.MOBILE_POINT), ("desk?", Channel.PHONE)],
)
def test_the_device_setting_names_the_channel(setting, channel):
    assert device_channel(setting) is channel


async def test_a_walk_in_desk_starts_contacts_at_the_walk_in_channel(app, store):
    store.set_setting("channel", "walk_in")
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        await pilot.pause()
        assert app.screen.draft.channel is Channel.WALK_IN


async def test_an_unidentified_caller_is_not_offered_a_booking(app, store):
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        await pick_result(pilot, "anonymous")
        await type_text(pilot, "Selkä kipeä")
        await pilot.press("enter")
        await pilot.pause()
        await all_no_then_urgency(pilot, "back_pain", Urgency.THREE_DAYS.value, "Kipu jatkunut")
        await pilot.press("enter")  # the suggested segment (a clear need)
        await pilot.pause()
        assert focused_id(pilot) == "outcome-kinds"
        listing = app.screen.query_one("#outcome-kinds")
        offered = [listing.get_option_at_index(i).id for i in range(listing.option_count)]
        assert OutcomeKind.BOOKING.value not in offered
        await pilot.press("enter")  # the suggestion: advice, not a booking that is refused
        await pilot.pause()
        assert app.screen.draft.outcome_kind is OutcomeKind.ADVICE


async def find_by_name(pilot, client) -> None:
    """A nurse starts a contact and takes the client found by name: the identity check opens."""
    await sign_in(pilot, "hoitaja1")
    await pilot.press("n")
    await type_text(pilot, f"{client.last_name} {client.first_name}")
    await pilot.press("enter")
    await pilot.pause()


async def test_a_client_found_by_name_is_taken_only_with_a_second_identifier(app, store):
    from ohjaus_tui.screens.confirm import ConfirmScreen

    from ..pilot_helpers import a_client

    client = a_client(store, nth=4)
    async with app.run_test(size=(100, 30)) as pilot:
        await find_by_name(pilot, client)
        assert isinstance(app.screen, ConfirmScreen), "a namesake is not taken on a name alone"
        assert client.birth_date.strftime("%Y") in app.screen.question or "born" in app.screen.question
        await pilot.press("escape")  # the caller's birth date did not match
        await pilot.pause()
        assert app.screen.draft.client_id is None and focused_id(pilot) == "client-query"
        await pilot.press("enter", "enter")  # again; this time confirmed with one key
        await pilot.pause()
        assert app.screen.draft.client_id == client.id and focused_id(pilot) == "reason"


async def test_the_identity_check_takes_no_letters_typed_ahead(app, store):
    """The worker chooses a client by name and types the reason at once, in one burst: the
    identity check that opens meanwhile takes no letter as an answer (K, E were Yes, No), the
    client stays the chosen one, and only Enter confirms it."""
    from ohjaus_tui.screens.confirm import ConfirmScreen

    from ..pilot_helpers import a_client

    client = a_client(store, nth=4)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        await type_text(pilot, f"{client.last_name} {client.first_name}")
        await pilot.press("enter", *"Kysyy reseptia", "e", "n", "y", "k")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen), "letters typed ahead do not answer the check"
        footer = " ".join(str(k.render()) for k in app.screen.query("FooterKey"))
        assert "Enter" in footer and "Esc" in footer
        app.screen.typed_at -= app.screen.TYPING_PAUSE  # the worker reads the question
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.draft.client_id == client.id and not app.screen.draft.anonymous
        assert focused_id(pilot) == "reason"


async def test_an_enter_typed_ahead_with_the_reason_does_not_confirm_the_identity(app, store):
    """The reason and its Enter typed in one burst (a fast typist, a paste) while the identity
    check opens: the Enter ends the typing, it does not confirm an identity nobody read; the
    question stays until a fresh Enter (review of the typed-ahead check)."""
    from ohjaus_tui.screens.confirm import TypedAheadConfirmScreen

    from ..pilot_helpers import a_client
    from .test_sign_in_lock import burst

    client = a_client(store, nth=4)
    async with app.run_test(size=(80, 24)) as pilot:
        await find_by_name(pilot, client)
        assert isinstance(app.screen, TypedAheadConfirmScreen)
        burst(app, *"Kysyy reseptia", "enter")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, TypedAheadConfirmScreen), "the Enter typed ahead did not answer"
        app.screen.typed_at -= TypedAheadConfirmScreen.TYPING_PAUSE  # the worker reads the question
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.draft.client_id == client.id and focused_id(pilot) == "reason"
