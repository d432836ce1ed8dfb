"""A yes/no question as a modal; dismisses True or False."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ..i18n import _


class ConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 60; max-width: 100%; height: auto; border: thick $warning;
        background: $surface; padding: 1 2;
    }
    """
    BINDINGS = [
        Binding("k,y,enter", "answer(True)", _("Yes")),
        Binding("e,n,escape", "answer(False)", _("No")),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question))
            yield Footer()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
