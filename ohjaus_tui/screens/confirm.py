"""A yes/no question as a modal; dismisses True or False."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from ohjaus_core.i18n import N_
from ..widgets.footer import Footer


class ConfirmScreen(ModalScreen[bool]):
    CSS_PATH = "confirm.tcss"
    BINDINGS = [
        Binding("k,y", "answer(True)", N_("Yes")),
        Binding("e,n,escape", "answer(False)", N_("No")),
        Binding("enter", "enter", show=False),
    ]

    def __init__(self, question: str, enter_means_yes: bool = True) -> None:
        """`enter_means_yes=False` for what cannot be undone: only K/Y confirms it."""
        super().__init__()
        self.question = question
        self.enter_means_yes = enter_means_yes

    def action_enter(self) -> None:
        self.dismiss(self.enter_means_yes)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question))
            yield Footer()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
