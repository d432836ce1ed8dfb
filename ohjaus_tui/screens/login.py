"""Worker sign-in. Demo workers in demo mode; personal credentials come with issue 5."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from ..domain.codes import Register, Role
from ..i18n import N_, _
from ..store.directory import sign_in_workers
from ..widgets.footer import Footer


STORE_OPEN_DELAY = 0.3  # seconds


class LoginScreen(Screen):
    BINDINGS = [Binding("ctrl+q", "app.quit", N_("Quit"))]

    DEFAULT_CSS = """
    LoginScreen { align: center middle; }
    LoginScreen > Vertical { width: 72; max-width: 100%; height: auto; border: round $accent; padding: 0 1; }
    LoginScreen OptionList { height: auto; max-height: 14; }
    LoginScreen #login-hint { color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        ctx = self.app.ctx  # type: ignore[attr-defined]
        with Vertical():
            yield Label(Text("ohjaus", style="bold"))
            yield Static(_("Sign in: choose your name and press Enter."), id="login-hint")
            options = []
            for worker in sign_in_workers(ctx.data_dir):
                line = Text(worker.name, style="bold")
                line.append(f"  {Role(worker.role).label}, {Register(worker.sector).label}")
                line.append(f"  {worker.unit_code}", style="dim")
                options.append(Option(line, id=worker.id))
            yield OptionList(*options, id="workers")
            if not options:
                yield Static(
                    Text(
                        _("This data directory has no workers yet. Start with `ohjaus --demo`, "
                          "or make a device directory with `ohjaus demo --data-dir DIR`."),
                        style="yellow",
                    )
                )
            elif ctx.demo:
                yield Static(Text(_("Demo data: every person here is fictional."), style="dim"))
        yield Footer()

    def on_mount(self) -> None:
        # Open the store while the worker reads the list: importing the ORM in a thread any
        # earlier competes with the first paint. Choosing a name before it is ready waits
        # for it (bench/startup.py measures both moments).
        self.set_timer(STORE_OPEN_DELAY, self.app.ctx.open_store_in_background)  # type: ignore[attr-defined]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.app.sign_in(event.option.id)  # type: ignore[attr-defined]
