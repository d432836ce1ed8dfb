"""The frame every full screen of the signed-in app shares: the title bar on the first line,
the sync badge and the footer at the bottom, the screen's own widgets between them; and Esc
that goes back to the screen beneath, on every screen but home."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from ohjaus_core.i18n import N_
from ..app_access import AppAccess
from ..widgets.footer import Footer
from ..widgets.sync_badge import SyncBadge
from ..widgets.title_bar import TitleBar


class FramedScreen(AppAccess, Screen):
    """A screen gives `TITLE_ID` (its stylesheet and its code find the title bar by it) and
    `body()`, the widgets between the title bar and the sync badge."""

    TITLE_ID: ClassVar[str]

    def compose(self) -> ComposeResult:
        yield TitleBar(self.heading(), id=self.TITLE_ID)
        yield from self.body()
        yield SyncBadge()
        yield Footer()

    def heading(self) -> str:
        """The title bar's text when the screen is composed; most screens fill it later."""
        return ""

    def body(self) -> ComposeResult:
        raise NotImplementedError


class BackScreen(FramedScreen):
    """Esc goes back (the first key of the footer); a screen with something to keep or to
    tell the screen beneath overrides `action_back`."""

    BINDINGS = [Binding("escape", "back", N_("Back"))]

    def action_back(self) -> None:
        self.app.pop_screen()
