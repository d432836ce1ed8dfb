"""The shape every modal question shares: a bold heading, the question's own widgets and the
footer, in one box; Esc cancels it and it dismisses None."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from ohjaus_core.i18n import N_
from ..widgets.footer import Footer


class AskScreen(ModalScreen):
    """A modal gives `heading()` and `body()`, the widgets between the heading and the footer."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.heading(), style="bold"))
            yield from self.body()
            yield Footer()

    def heading(self) -> str:
        raise NotImplementedError

    def body(self) -> ComposeResult:
        raise NotImplementedError

    def action_cancel(self) -> None:
        self.dismiss(None)
