"""The Textual application: screens, global keys, the signed-in worker."""

from __future__ import annotations

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

    def sign_out(self) -> None:
        self.ctx.worker = None
        self.ctx.unit = None
        self.switch_screen(LoginScreen())
