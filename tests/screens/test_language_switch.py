"""F9 switches the language at once, in the middle of a contact, keeping what was typed."""

from __future__ import annotations

from textual.widgets import Input
from textual.widgets._footer import FooterKey

from ohjaus_core.domain.contact import Step
from ohjaus_core.i18n import current_language, set_language
from ohjaus_tui.screens.contact import ContactScreen
from ohjaus_tui.screens.home import HomeScreen

from ..conftest import build_app
from ..pilot_helpers import a_client, sign_in, type_text


def footer_words(app) -> set[str]:
    return {key.description for key in app.screen.query(FooterKey)}


def screen_text(app) -> str:
    return " ".join(str(widget.render()) for widget in app.screen.query("Static, Label"))


async def test_switching_language_mid_contact_keeps_the_typed_text_and_the_step(data_dir, shipped):
    set_language("fi")
    app = build_app(data_dir, shipped)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await sign_in(pilot, "hoitaja1")
        client = a_client(app.ctx.store, nth=2)
        await pilot.press("n")
        await type_text(pilot, client.identity_code)
        await pilot.press("enter")
        await type_text(pilot, "Kuumetta ja yskää")  # not yet Enter
        assert "Seuraava" in footer_words(app)

        await pilot.press("f9")
        await pilot.pause()
        assert current_language() == "sv"
        assert isinstance(app.screen, ContactScreen)
        assert app.screen.draft.step == Step.NEED
        assert app.screen.query_one("#reason", Input).value == "Kuumetta ja yskää"
        assert "Nästa" in footer_words(app) and "Seuraava" not in footer_words(app)
        assert "Ärendespråk" in screen_text(app) or "ärendespråk" in screen_text(app).lower()

        await pilot.press("f9")
        await pilot.pause()
        assert current_language() == "en"
        assert "Next" in footer_words(app)
        assert app.screen.query_one("#reason", Input).value == "Kuumetta ja yskää"
        # Typing goes on where it was: the reason field still has the focus.
        await type_text(pilot, ", 38 astetta")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.draft.step == Step.ASSESSMENT
        assert app.screen.draft.reason == "Kuumetta ja yskää, 38 astetta"

        await pilot.press("f9")
        await pilot.pause()
        assert current_language() == "fi"
        # The home screen under the contact was drawn again too.
        await pilot.press("f8", "k")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert "Uusi yhteydenotto" in footer_words(app)
        assert app.ctx.store.setting("language") == "fi"


async def test_switching_language_at_80x24_keeps_the_home_screen_fitted(data_dir, shipped):
    """At 24 rows the home screen hides its hint line so the sync badge and the queues fit;
    the screen drawn again in another language keeps that (it showed the hint and pushed
    the badge off the screen)."""
    from ohjaus_tui.widgets.sync_badge import SyncBadge

    set_language("fi")
    app = build_app(data_dir, shipped)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await sign_in(pilot, "hoitaja1")
        assert isinstance(app.screen, HomeScreen)
        assert not app.screen.query_one("#home-hint").display
        await pilot.press("f9")
        await pilot.pause()
        assert current_language() == "sv"
        assert not app.screen.query_one("#home-hint").display
        badge = app.screen.query_one(SyncBadge)
        assert badge.region.height >= 1 and badge.region.bottom <= app.size.height - 1
