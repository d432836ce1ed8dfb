"""A yes/no question as a modal; dismisses True or False."""

from __future__ import annotations

from time import monotonic

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from ohjaus_core.i18n import N_, _
from ..app_access import ohjaus_app
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


class TypedAheadConfirmScreen(ConfirmScreen, inherit_bindings=False):
    """A question that opens while the worker may still be typing (the identity check after
    the client is chosen, when the reason follows at once): letters are text meant for the
    next field, never answers. Only Enter (yes) and Escape (no) answer it; a letter typed
    ahead is kept in `typed` (shown under the question; the caller puts it where it was
    meant, the reason) and the question stays (the counsellor's 80x24 walk: "Kysyy..." was
    taken as K and E, answered No, and the client was lost). An Enter that comes right after
    such a letter ends the typed text, not an answer: it is refused with the bell, and the
    worker, who now sees the question, answers with a fresh Enter (the review: the reason and
    its Enter typed in one burst confirmed the identity unread). An Enter typed before the
    question was shown (held by the app and replayed to it) is refused alike: a double Enter in
    the search must not confirm a namesake's identity unread."""

    BINDINGS = [
        Binding("enter", "confirm", N_("Yes"), key_display="Enter"),
        Binding("escape", "no", N_("No"), key_display="Esc"),
    ]
    TYPING_PAUSE = 0.6  # seconds after a letter typed ahead before Enter answers

    def __init__(self, question: str) -> None:
        super().__init__(question, enter_means_yes=True)
        self.typed_at: float | None = None
        self.typed = ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question))
            yield Static(id="typed-ahead")
            yield Footer()

    def on_key(self, event: events.Key) -> None:
        # Answered here, in the order the keys came: a binding would run only once the key
        # has bubbled to the app, after the letters typed behind it were taken as typed ahead.
        if event.key == "enter" and getattr(event, "ohjaus_typed_ahead", False):
            # Typed before the question was on the screen (a double Enter, the Enter of a
            # search typed ahead): not an answer to a question nobody has read yet (review).
            event.stop()
            self.app.bell()
            return
        if event.key in ("enter", "escape"):
            event.stop()
            self.action_confirm() if event.key == "enter" else self.action_no()
            return
        if event.is_printable:
            event.stop()  # typed ahead: neither an answer nor an app key
            self.typed_at = monotonic()
            self.typed += event.character or ""
        elif event.key == "backspace" and self.typed:
            event.stop()
            self.typed = self.typed[:-1]
        else:
            return
        show_typed_ahead(self.query_one("#typed-ahead", Static), self.typed)

    def action_confirm(self) -> None:
        if self.typed_at is not None and monotonic() - self.typed_at < self.TYPING_PAUSE:
            self.app.bell()
            return
        self._answer(True)

    def action_no(self) -> None:
        self._answer(False)

    def _answer(self, yes: bool) -> None:
        # The keys typed after the answer are meant for the field the answer leads to (the
        # reason, or the search again): held until it has the focus (see OhjausApp.hold_keys).
        ohjaus_app(self).hold_keys()
        self.dismiss(yes)


def show_typed_ahead(line: Static, typed: str) -> None:
    """The line that shows what was typed ahead of a question or form (it goes to the
    contact's reason); hidden while nothing was."""
    line.display = bool(typed)
    line.update(Text(_("Typed: {text} (goes to the reason)").format(text=typed), style="dim"))
