"""The locked screen: after the idle time or Ctrl+L. It covers everything beneath it and
shows no client data; the same worker's passphrase opens it, F10 signs out instead (every
step saved before the lock is kept)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from ohjaus_core.domain.clock import local
from ohjaus_core.domain.text import NAME_SHOWN, shown
from ohjaus_core.i18n import N_, _, format_time
from ..store.sign_in_check import SignIn, SignInCheck
from ..app_access import AppAccess
from ..widgets.footer import Footer
from .login import passphrase_field


def sign_in_problem(check: SignInCheck, data_dir) -> str | None:
    """What the worker reads when a passphrase was not taken; None when it was."""
    if check.result == SignIn.OK:
        return None
    if check.result == SignIn.WRONG:
        return _("Wrong passphrase. {n} tries left before sign-in waits.").format(n=check.tries_left)
    if check.result == SignIn.WAIT:
        return _("Too many wrong tries: sign-in waits until {time}.").format(
            time=format_time(local(check.wait_until))
        )
    if check.result == SignIn.UNKNOWN:
        return _("Unknown worker.")
    if check.result == SignIn.LOCKED:
        return _("Your sign-in is locked on the central API: ask your team lead to unlock it.")
    if check.result == SignIn.REMOVED:
        return _("You were removed from the unit's workers on the central API: sign-in is refused. "
                 "What you recorded stays.")
    return _(
        "No passphrase is set for you on this device. Connected to the central API, your first "
        "sign-in takes the enrolment code of `ohjaus worker add`; or a team lead sets one with "
        "`ohjaus worker passphrase --data-dir {path} USERNAME`."
    ).format(path=data_dir)


class LockScreen(AppAccess, Screen):
    BINDINGS = [Binding("f10", "sign_out", N_("Sign out"))]

    CSS_PATH = "lock.tcss"

    def compose(self) -> ComposeResult:
        worker = self.ctx.worker
        with Vertical():
            yield Label(Text(_("Locked"), style="bold"))
            yield Static(Text(_("{name}: type your passphrase and press Enter.").format(name=shown(worker.name, NAME_SHOWN))))
            yield passphrase_field()
            yield Static(id="lock-message")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#passphrase", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        passphrase, event.input.value = event.input.value, ""
        app = self.ohjaus
        ctx = app.ctx
        check = ctx.store.sign_in.check_passphrase(ctx.worker.id, passphrase, ctx.now())
        problem = sign_in_problem(check, ctx.data_dir)
        if problem:
            self.query_one("#lock-message", Static).update(Text(problem))
            app.bell()
            return
        app.unlock()

    def action_sign_out(self) -> None:
        self.ohjaus.sign_out()
