"""Issue 20 on the screens: a counsellor opens a client with a non-disclosure order
(turvakielto) and sees no municipality anywhere, the contact header warns, the client view
asks the purpose first and logs it, and an interpreter shows in the header and the view."""

from __future__ import annotations

from sqlmodel import select

from ohjaus_tui.screens.client_view import ClientScreen
from ohjaus_tui.screens.contact import ContactScreen
from ohjaus_tui.screens.home import HomeScreen
from ohjaus_tui.screens.prompt import PromptScreen
from ohjaus_tui.store.models import Client

from ..pilot_helpers import focused_id, search_shown, sign_in, type_text


def special(store, **flag) -> Client:
    (name, value), = flag.items()
    with store.session() as session:
        return session.exec(select(Client).where(getattr(Client, name) == value).order_by(Client.id)).first()


def screen_text(app) -> str:
    """What is on the terminal, as text (the SVG a screenshot makes, without its markup)."""
    import html
    import re

    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


async def test_a_counsellor_sees_no_municipality_of_a_protected_client(app):
    store = app.ctx.store
    client = special(store, protected=True)
    assert client.municipality  # the store has it; no screen shows it
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "ohjaaja1")
        await pilot.press("n")
        await type_text(pilot, client.identity_code)
        await search_shown(pilot)
        shown = screen_text(app)
        assert client.last_name in shown and "Non-disclosure" in shown
        assert client.municipality not in shown
        await pilot.press("f2")  # the client's view from the contact: its purpose is the contact
        await pilot.pause()
        assert isinstance(app.screen, ClientScreen)
        shown = screen_text(app)
        assert "Non-disclosure" in shown and client.municipality not in shown
        await pilot.press("escape")
        await pilot.press("enter")  # take the client
        await type_text(pilot, "Asumisasia")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        shown = screen_text(app)
        assert "Non-disclosure order: address and municipality are not shown" in shown
        assert client.municipality not in shown


async def test_the_client_view_of_a_protected_client_asks_the_purpose_and_logs_it(app):
    store = app.ctx.store
    client = special(store, protected=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "ohjaaja1")
        before = len(store.protection.access_entries())
        app.push_screen(ClientScreen(client.id))  # as O on the worklist opens it
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        assert client.last_name not in screen_text(app)  # nothing before the purpose
        await pilot.press("escape")  # no purpose: nothing shown, nothing logged
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert [e for e in store.protection.access_entries()[before:] if e.client_id == client.id] == []
        app.push_screen(ClientScreen(client.id))
        await pilot.pause()
        await pilot.press("enter")  # an empty purpose is not taken
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await type_text(pilot, "Asiakkaan soittopyyntö")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ClientScreen)
        shown = screen_text(app)
        assert client.last_name in shown and "Non-disclosure" in shown and client.municipality not in shown
    views = [e for e in store.protection.access_entries()[before:] if e.client_id == client.id and e.action == "view"]
    assert {e.item for e in views} >= {"client", "contacts"}
    assert {e.purpose for e in views} == {"worklist:Asiakkaan soittopyyntö"}


async def test_a_client_without_the_order_is_shown_as_before(app):
    store = app.ctx.store
    with store.session() as session:
        client = session.exec(
            select(Client).where(Client.protected == False).where(Client.municipality != "").order_by(Client.id)  # noqa: E712
        ).first()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ohjaaja1")
        app.push_screen(ClientScreen(client.id))
        await pilot.pause()
        assert isinstance(app.screen, ClientScreen)  # no purpose asked
        assert client.municipality[:20] in screen_text(app)


async def test_an_interpreter_shows_in_the_header_and_the_client_view(app):
    store = app.ctx.store
    client = special(store, interpreter=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        await type_text(pilot, client.identity_code)
        await pilot.press("f2")
        await pilot.pause()
        shown = screen_text(app)
        assert "Service language: Russian" in shown and "Interpreter needed" in shown
        await pilot.press("escape")
        await pilot.press("enter")
        await pilot.pause()
        header = str(app.screen.query_one("#contact-header").render())
        assert "Service language: Russian" in header and "Interpreter needed" in header


async def test_consent_is_recorded_with_enter_through_its_fields(app):
    """The consent question at 80x24 as a nurse answers it: Enter on "yes" goes to the date,
    Enter on the date to the note, Enter on the note records it; the view says so."""
    from ohjaus_core.i18n import _
    from ohjaus_tui.screens.consent import ConsentScreen

    from ..factories import client_in_both_registers

    store = app.ctx.store
    client_id = client_in_both_registers(store)
    before = len(store.protection.consents(client_id))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        await type_text(pilot, store.clients.client(client_id).identity_code)
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, ClientScreen)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ConsentScreen)
        await pilot.press("enter")  # "Yes: the client consents"
        await pilot.pause()
        assert focused_id(pilot) == "valid-until"
        await pilot.press("enter")  # the default end date, a year on
        await pilot.pause()
        assert focused_id(pilot) == "consent-note"
        await pilot.press(*"suullinen", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ClientScreen)
        consents = store.protection.consents(client_id)
        assert len(consents) == before + 1
        assert consents[0].decision == "granted" and consents[0].note == "suullinen"
        assert _("Consent recorded.") in screen_text(app)
