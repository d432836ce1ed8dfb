"""The footer (widgets/footer.py): its keys are there from the screen's first paint, a
refresh of the bindings that shows the same keys leaves them as they are, and a change shows
at once (start-up, issue 18: each recompose made, styled and drew every key anew)."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey

from ohjaus_tui.widgets.footer import Footer


class Keyed(Static, can_focus=True):
    BINDINGS = [Binding("f3", "second", "Second key")]

    def action_second(self) -> None:
        pass


class KeysScreen(Screen):
    BINDINGS = [Binding("f2", "noop", "First key")]

    def compose(self):
        yield Input(id="typed")
        yield Keyed("keyed", id="keyed")
        yield Footer()

    def action_noop(self) -> None:
        pass


class FooterApp(App):
    def get_default_screen(self) -> Screen:
        return KeysScreen()


def shown(app: App) -> list[str]:
    return [key.description for key in app.screen.query(FooterKey) if key.description]


async def test_the_keys_are_shown_and_an_unchanged_refresh_keeps_them():
    app = FooterApp()
    async with app.run_test(size=(100, 10)) as pilot:
        await pilot.pause()
        assert "First key" in shown(app)
        keys = list(app.screen.query(FooterKey))
        app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert list(app.screen.query(FooterKey)) == keys  # the same widgets: nothing made again
        assert "First key" in shown(app) and "Second key" not in shown(app)


async def test_a_change_of_the_bindings_shows_at_once():
    app = FooterApp()
    async with app.run_test(size=(100, 10)) as pilot:
        await pilot.pause()
        app.screen.query_one("#keyed").focus()
        await pilot.pause()
        await pilot.pause()
        assert "Second key" in shown(app) and "First key" in shown(app)
        app.screen.query_one("#typed").focus()
        await pilot.pause()
        await pilot.pause()
        assert "Second key" not in shown(app)
