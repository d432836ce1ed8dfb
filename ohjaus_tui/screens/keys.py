"""F1: every key of the screen beneath, with what it does (the footer shows the most needed)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ohjaus_core.i18n import N_, _
from ..widgets.footer import Footer


def screen_keys(app) -> list[tuple[str, str]]:
    """The keys the current screen answers to, with their descriptions, in the worker's language."""
    seen: set[str] = set()
    keys = []
    for _node, binding, enabled, _tooltip in app.screen.active_bindings.values():
        if not binding.description or not enabled or binding.action in ("keys", "app.keys"):
            continue
        if not binding.show and binding.action not in ("quit", "app.quit"):
            continue  # a widget's own arrows and copy keys: not the screen's work
        shown = app.get_key_display(binding)
        if shown in seen:
            continue
        seen.add(shown)
        keys.append((shown, _(binding.description)))
    return keys


class KeysScreen(ModalScreen[None]):
    CSS_PATH = "keys.tcss"
    BINDINGS = [Binding("escape,enter,f1", "close", N_("Close"))]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for key, description in self.keys:
            table.add_row(key, description)
        with Vertical():
            yield Static(Text(_("Keys of this screen"), style="bold"))
            with VerticalScroll():
                yield Static(table)
            yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
