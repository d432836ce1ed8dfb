"""A name typed into the system is shown as typed: markup is not interpreted."""

from __future__ import annotations

from ohjaus_tui.domain.codes import Language

from .conftest import FIXED_NOW
from .pilot_helpers import sign_in, type_text


async def test_markup_in_a_name_is_shown_literally(app, store):
    store.add_client(
        first_name="[bold red]Eve[/]",
        last_name="Markuppinen[link=http://x]",
        identity_code=None,
        phone=None,
        language=Language.FI,
        municipality="[blink]Järvilaakso",
        created_by=None,
        now=FIXED_NOW,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        await type_text(pilot, "Markuppinen")
        await pilot.pause()
        results = app.screen.query_one("#client-results")
        shown = str(results.get_option_at_index(0).prompt)
        assert "Markuppinen[link=http://x]" in shown and "[bold red]Eve[/]" in shown
        await pilot.press("enter")
        await pilot.pause()
        header = str(app.screen.query_one("#contact-header").render())
        assert "[bold red]Eve[/]" in header


async def test_the_new_client_form_refuses_a_hidden_character_naming_the_field_and_keeps_the_text(app, store):
    from ohjaus_tui.screens.new_client import NewClientScreen

    from .test_new_client import open_new_client

    async with app.run_test(size=(100, 30)) as pilot:
        await open_new_client(pilot, "Testinen Ilmari")
        modal = app.screen
        modal.query_one("#first-name").value = "Ilmari\u202eniksam"  # as a paste puts it there
        await pilot.press("ctrl+t")
        await pilot.pause()
        message = str(modal.query_one("#new-client-error").render())
        assert "First name" in message and "\\u202e" in message
        assert isinstance(app.screen, NewClientScreen), "the form stays open"
        assert modal.query_one("#first-name").value == "Ilmari\u202eniksam"
        modal.query_one("#municipality").value = "x" * 101
        modal.query_one("#first-name").value = "Ilmari"
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert "Municipality is too long" in str(modal.query_one("#new-client-error").render())
    assert store.find_clients("Testinen") == []


def test_the_store_refuses_hidden_characters_in_a_changed_name(store):
    import pytest

    from ohjaus_tui.domain.text import InvalidText

    client = store.add_client(
        first_name="Eeva", last_name="Virtanen", identity_code=None, phone=None, language=Language.FI,
        municipality="Järvilaakso", created_by=None, now=FIXED_NOW,
    )
    with pytest.raises(InvalidText, match="Last name"):
        store.update_client(client.id, FIXED_NOW, last_name="Virtanen\x1b[8m")
    assert store.client(client.id).last_name == "Virtanen"
