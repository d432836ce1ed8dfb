"""A name typed into the system is shown as typed: markup is not interpreted."""

from __future__ import annotations

from ohjaus_core.domain.codes import Language

from ..conftest import FIXED_NOW
from ..pilot_helpers import sign_in, type_text


async def test_markup_in_a_name_is_shown_literally(app, store):
    store.clients.add_client(
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
        # Found by name: the second-identifier question names the client, literally too.
        from ohjaus_tui.screens.confirm import ConfirmScreen

        assert isinstance(app.screen, ConfirmScreen)
        assert "Markuppinen[link=http://x]" in " ".join(str(s.render()) for s in app.screen.query("Static"))
        await pilot.press("enter")
        await pilot.pause()
        header = str(app.screen.query_one("#contact-header").render())
        assert "[bold red]Eve[/]" in header


async def test_the_new_client_form_refuses_a_hidden_character_naming_the_field_and_keeps_the_text(app, store):
    from ohjaus_tui.screens.new_client import NewClientScreen

    from ..pilot_helpers import open_new_client

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
    assert store.clients.find_clients("Testinen") == []


def test_the_store_refuses_hidden_characters_in_a_changed_name(store):
    import pytest

    from ohjaus_core.domain.text import InvalidText

    client = store.clients.add_client(
        first_name="Eeva", last_name="Virtanen", identity_code=None, phone=None, language=Language.FI,
        municipality="Järvilaakso", created_by=None, now=FIXED_NOW,
    )
    with pytest.raises(InvalidText, match="Last name"):
        store.clients.update_client(client.id, FIXED_NOW, last_name="Virtanen\x1b[8m")
    assert store.clients.client(client.id).last_name == "Virtanen"


async def test_the_new_client_form_says_why_a_name_with_a_cyrillic_look_alike_is_refused(app, store):
    from ohjaus_tui.screens.new_client import NewClientScreen

    from ..pilot_helpers import open_new_client

    async with app.run_test(size=(100, 30)) as pilot:
        await open_new_client(pilot, "Testinen Ilmari")
        modal = app.screen
        modal.query_one("#last-name").value = "Virt\u0430nen"  # a Cyrillic а
        await pilot.press("ctrl+t")
        await pilot.pause()
        message = str(modal.query_one("#new-client-error").render())
        assert "Last name" in message and "two scripts" in message and "\\u0430" in message
        assert isinstance(app.screen, NewClientScreen), "the form stays open"
    assert not any("\u0430" in c.last_name for c in store.clients.find_clients("Virt", 200))


async def test_a_pulled_name_with_a_look_alike_is_shown_escaped_not_as_another_client(app, store):
    """A client that came from the central API is not checked as typed; on the screen its
    look-alike letter is shown escaped, so it does not pass for the Virtanen next to it."""
    import uuid

    from ohjaus_core.protocol import PulledChange

    for last, first in (("Virtanen", "Ville"), ("Virt\u0430nen", "Ville")):
        client_id = str(uuid.uuid4())
        data = {
            "id": client_id, "first_name": first, "last_name": last, "identity_code": None, "phone": None,
            "language": "fi", "municipality": "Järvilaakso", "created_at": "2026-01-01T08:00:00+00:00",
            "created_by": None,
        }
        store.pull.apply_page([PulledChange(seq=1, type="client", record_id=client_id, data=data)], store.pull.sync_cursor())
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        await type_text(pilot, "Virt")
        await pilot.pause()
        results = app.screen.query_one("#client-results")
        prompts = [str(results.get_option_at_index(i).prompt) for i in range(results.option_count)]
        assert any("Virtanen" in p for p in prompts)
        assert any("Virt\\u0430nen" in p for p in prompts), prompts
        assert not any("Virt\u0430nen" in p for p in prompts)
