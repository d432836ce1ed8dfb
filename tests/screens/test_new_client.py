"""Adding a client during a contact: a wrong identity code says why and loses nothing."""

from __future__ import annotations

import pytest

from ohjaus_tui.screens.contact import ContactScreen
from ohjaus_tui.screens.new_client import NewClientScreen

from ..pilot_helpers import focused_id, open_new_client, pick_result, type_text


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
async def test_a_wrong_check_character_is_explained_and_can_be_fixed(app, store, size):
    async with app.run_test(size=size) as pilot:
        await open_new_client(pilot, "Testinen Ilmari")
        modal = app.screen
        assert modal.query_one("#last-name").value == "Testinen"
        assert modal.query_one("#first-name").value == "Ilmari"
        assert focused_id(pilot) == "identity-code"
        await type_text(pilot, "131052-308U")
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = modal.query_one("#code-error")
        message = str(error.render())
        assert "308U" in message or "T" in message
        # Next to its field and in sight, also at 80x24 (issue 15: Ctrl+S seemed to do nothing).
        fields = modal.query_one("#new-client-fields").region
        assert error.region.height >= 2 and fields.contains_region(error.region)
        assert focused_id(pilot) == "identity-code"
        assert isinstance(app.screen, NewClientScreen), "nothing is lost: the form stays open"
        assert modal.query_one("#identity-code").value == "131052-308U"
        await pilot.press("backspace", "T", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        assert focused_id(pilot) == "reason"
    [client] = store.clients.find_clients("131052-308T")
    assert (client.last_name, client.first_name) == ("Testinen", "Ilmari")


async def test_an_impossible_date_can_be_saved_without_the_code(app, store):
    async with app.run_test(size=(100, 30)) as pilot:
        await open_new_client(pilot, "Koodinen Kaarina")
        await type_text(pilot, "310252-308T")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, NewClientScreen)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        assert app.screen.draft.client_id is not None
    [client] = store.clients.find_clients("Koodinen")
    assert client.identity_code is None


async def test_the_worker_can_continue_unidentified(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await open_new_client(pilot, "Nimetön")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        assert app.screen.draft.anonymous and app.screen.draft.client_id is None


async def test_an_existing_identity_code_offers_the_existing_client_never_a_second_one(app, store):
    from ..pilot_helpers import a_client

    existing = a_client(store)
    before = len(store.clients.find_clients(existing.last_name))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_new_client(pilot, "Kaksoisolento Kalle")
        await type_text(pilot, existing.identity_code)
        await pilot.press("enter", "space")  # the demo codes are temporary ones
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("k")  # use the existing client
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        assert app.screen.draft.client_id == existing.id
    assert store.clients.find_clients("Kaksoisolento") == []
    assert len(store.clients.find_clients(existing.last_name)) == before


async def test_enter_does_not_tick_the_temporary_box(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await open_new_client(pilot, "Testinen Ilmari")
        await type_text(pilot, "311280-999J")
        await pilot.press("enter")
        await pilot.pause()
        assert focused_id(pilot) == "temporary"
        await pilot.press("enter")
        await pilot.pause()
        assert focused_id(pilot) == "phone"
        assert app.screen.query_one("#temporary").value is False


async def test_escape_from_the_form_keeps_what_was_typed(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await open_new_client(pilot, "Testinen Ilmari")
        await type_text(pilot, "131052-308T")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        await pick_result(pilot, "new")
        assert isinstance(app.screen, NewClientScreen)
        assert app.screen.query_one("#identity-code").value == "131052-308T"
        assert app.screen.query_one("#last-name").value == "Testinen"


async def test_another_language_an_interpreter_and_a_non_disclosure_order_are_saved(app, store):
    """Issue 20: a wrong language code says why and keeps what was typed; a right one is saved
    with the interpreter and the order, and the header shows them."""
    async with app.run_test(size=(80, 24)) as pilot:
        await open_new_client(pilot, "Kielinen Amina")
        modal = app.screen
        await type_text(pilot, "010203A951P")
        await pilot.press("tab", "space")  # temporary code
        modal.query_one("#service-language").focus()
        await type_text(pilot, "arabic")
        await pilot.press("tab", "space", "tab", "space")  # interpreter, non-disclosure
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, NewClientScreen)
        assert "is not a language code of ISO 639" in str(modal.query_one("#new-client-error").render())
        assert modal.query_one("#last-name").value == "Kielinen"  # nothing lost
        assert focused_id(pilot) == "service-language"  # at the field to fix
        modal.query_one("#service-language").value = ""
        await type_text(pilot, "ar")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        header = str(app.screen.query_one("#contact-header").render())
        assert "Non-disclosure" in header and "Service language: Arabic" in header and "Interpreter needed" in header
    [client] = store.clients.find_clients("Kielinen")
    assert (client.service_language, client.interpreter, client.protected) == ("ar", True, True)
