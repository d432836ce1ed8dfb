"""Keys typed ahead on the contact path (the issue 16 walks): what a fast worker types after
an Enter that moves the focus lands where it was meant, and nothing typed is lost."""

from __future__ import annotations

from ohjaus_core.domain.contact import Step
from ohjaus_tui.screens.confirm import TypedAheadConfirmScreen
from ohjaus_tui.screens.contact import ContactScreen
from ohjaus_tui.screens.new_client import NewClientScreen

from ..pilot_helpers import a_client_not_waiting, focused_id, search_shown, sign_in
from .test_sign_in_lock import burst


async def settle(pilot) -> None:
    for _ in range(4):
        await search_shown(pilot)
        await pilot.pause(0.05)


async def test_code_enter_reason_enter_in_one_burst_writes_the_reason(app, store):
    client = a_client_not_waiting(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        burst(app, *client.identity_code, "enter", *"Kysyy reseptia", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ContactScreen)
        assert app.screen.query_one("#client-query").value == client.identity_code
        assert app.screen.draft.client_id == client.id
        assert app.screen.draft.reason == "Kysyy reseptia"
        assert app.screen.draft.step == Step.ASSESSMENT  # the reason's Enter went on


async def test_an_unknown_name_and_the_reason_in_one_burst_open_one_form(app, store):
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        burst(app, *"Tuntematon Tapani", "enter", *"Kysyy", "enter")
        await settle(pilot)
        forms = [s for s in app.screen_stack if isinstance(s, NewClientScreen)]
        assert len(forms) == 1, "a second new-client form opened"
        contact = next(s for s in app.screen_stack if isinstance(s, ContactScreen))
        assert contact.query_one("#client-query").value == "Tuntematon Tapani"
        # The letters typed ahead of the form were the reason: shown on the form, in none of
        # its fields (the review: they became the first name or the identity code, or were
        # lost under load), and in the reason once the form is closed.
        assert forms[0].typed_reason == "Kysyy"
        assert "Kysyy" in str(forms[0].query_one("#typed-ahead").render())
        assert "Kysyy" not in " ".join(field.value for field in forms[0].query("Input"))
        await pilot.press("escape")
        await settle(pilot)
        assert contact.draft.reason == "Kysyy"


async def name_enter_and(pilot, client, *keys: str) -> None:
    """A nurse starts a contact and types the client's name, Enter, and `keys` in one burst."""
    await sign_in(pilot, "hoitaja1")
    await pilot.press("n")
    burst(pilot.app, *f"{client.last_name} {client.first_name}", "enter", *keys)
    await settle(pilot)


async def test_the_reason_typed_ahead_of_the_identity_check_goes_to_the_reason(app, store):
    client = a_client_not_waiting(store, nth=4)
    async with app.run_test(size=(80, 24)) as pilot:
        await name_enter_and(pilot, client, *"Kysyy reseptia", "enter")
        assert isinstance(app.screen, TypedAheadConfirmScreen), "the Enter typed ahead answered"
        assert app.screen.typed == "Kysyy reseptia"
        app.screen.typed_at -= TypedAheadConfirmScreen.TYPING_PAUSE  # the worker reads the question
        burst(app, "enter", *" ja neuvoa")  # yes, and typing on at once
        await settle(pilot)
        assert isinstance(app.screen, ContactScreen)
        assert app.screen.draft.client_id == client.id and focused_id(pilot) == "reason"
        assert app.screen.query_one("#reason").value == "Kysyy reseptia ja neuvoa"


async def test_a_double_enter_in_the_search_does_not_confirm_the_identity_unread(app, store):
    """The review of fix3: an Enter typed before the identity check was on the screen (held
    and replayed to it) is no answer - the check tells namesakes apart, and a double Enter
    must not take a client whose birth date nobody confirmed."""
    client = a_client_not_waiting(store, nth=4)
    async with app.run_test(size=(80, 24)) as pilot:
        await name_enter_and(pilot, client, "enter")
        assert isinstance(app.screen, TypedAheadConfirmScreen), "the Enter typed ahead answered"
        contact = next(s for s in app.screen_stack if isinstance(s, ContactScreen))
        assert contact.draft.client_id is None
        await pilot.press("enter")  # the worker, having read the question, confirms
        await settle(pilot)
        assert isinstance(app.screen, ContactScreen) and app.screen.draft.client_id == client.id


async def test_a_no_to_the_identity_check_keeps_the_reason_typed_ahead(app, store):
    client = a_client_not_waiting(store, nth=4)
    async with app.run_test(size=(80, 24)) as pilot:
        await name_enter_and(pilot, client, *"Kysyy", "escape")
        assert isinstance(app.screen, ContactScreen) and focused_id(pilot) == "client-query"
        assert app.screen.query_one("#client-query").value == f"{client.last_name} {client.first_name}"
        assert app.screen.draft.reason == "Kysyy"


async def test_letters_typed_on_the_services_list_filter_it(app, store):
    from .test_follow_up_offers import open_anonymous_social_draft

    async with app.run_test(size=(80, 24)) as pilot:
        await open_anonymous_social_draft(pilot, high_need=False, step=Step.OUTCOME)
        await pilot.press("enter")  # the suggested referral
        await pilot.pause()
        assert focused_id(pilot) == "services"
        listing = app.screen.query_one("#services")
        before = listing.option_count
        typed = str(listing.get_option_at_index(before - 1).prompt).split()[0][:5].lower()
        burst(app, *typed)
        await settle(pilot)
        assert app.screen.query_one("#service-filter").value == typed
        assert focused_id(pilot) == "service-filter"
        assert 0 < listing.option_count < before
        await pilot.press("enter")  # back to the list, filtered
        assert focused_id(pilot) == "services"
