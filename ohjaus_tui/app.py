"""The Textual application: screens, global keys, the signed-in worker."""

from __future__ import annotations

import sys

from textual.app import App

from .context import Context
from .i18n import _
from .screens.login import LoginScreen


class OhjausApp(App):
    TITLE = "ohjaus"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx

    def on_mount(self) -> None:
        self.push_screen(LoginScreen())

    def sign_in(self, worker_id: str) -> None:
        from .screens.home import HomeScreen

        worker = self.ctx.store.worker(worker_id)
        if worker is None:
            self.notify(_("Unknown worker."), severity="error")
            return
        self.ctx.worker = worker
        self.ctx.unit = self.ctx.store.unit(worker.unit_id)
        self.switch_screen(HomeScreen())

    def _fatal_error(self) -> None:
        """An unexpected error: one clear line on exit instead of a traceback with locals
        (which could show client data); the stack goes to the data directory's error log."""
        from rich.text import Text

        from .errorlog import write_error_log

        error = self._exception or sys.exc_info()[1]
        path = write_error_log(self.ctx.data_dir, error) if error else None
        self.bell()
        message = _(
            "ohjaus stopped because of an internal error ({error}). Every step saved before it "
            "is kept. Details: {path}"
        ).format(error=type(error).__name__ if error else "?", path=path or "-")
        self._exit_renderables.append(Text(message))
        self._close_messages_no_wait()

    def sign_out(self) -> None:
        self.ctx.worker = None
        self.ctx.unit = None
        self.switch_screen(LoginScreen())
