"""The always-visible sync status: online or offline, last sync, changes waiting, problems."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ohjaus_core.i18n import _, format_moment, ngettext
from ..app_access import ohjaus_app
from ..theme import themed


class SyncBadge(Static):
    DEFAULT_CSS = """
    SyncBadge { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    /* A failing round's reason may take a second line on a narrow terminal. */
    SyncBadge.-alert { height: auto; max-height: 2; }
    """

    def on_mount(self) -> None:
        # Bound to the app's sync state: drawn again whenever a round starts or ends and when
        # the app's timer finds other changes waiting (the badge polls nothing itself).
        self.update_status()
        self.watch(self.app, "sync_state", self.show_state, init=False)

    def update_status(self) -> None:
        """The status read from the store now, and drawn (a screen just shown)."""
        app = ohjaus_app(self)
        if app.ctx.worker is not None:
            app.refresh_sync_status()
        self.show_state(app.sync_state)

    def show_state(self, state) -> None:
        self.update(render_status(state))
        status = state.status
        self.set_class(
            bool(status and status.configured and not state.online and not state.running and status.last_error),
            "-alert",
        )


def render_status(state) -> Text:
    status = state.status
    if status is None:
        return Text(_("Sync: starting"))
    text = Text()
    if not status.configured:
        text.append(_("Sync: not connected to a central API (ohjaus connect)"))
    elif state.running:
        text.append("◐ " + _("Syncing…"), style="bold")
    elif state.online is None:
        text.append("◌ " + _("Not yet synced"))
    elif getattr(state, "problem", False):
        text.append("⚠ " + _("Sync problem"), style=themed("bold $alarm"))
    elif state.online:
        text.append("● " + _("Online"), style=themed("bold $fine"))
    else:
        text.append("○ " + _("Offline"), style=themed("bold $caution"))
    if status.configured and not state.online and not state.running and status.last_error:
        # The reason right after the state, where a narrow terminal still shows it (issue 14).
        text.append("  " + status.last_error, style="italic")
    if status.problems:  # before the times and counts, which a narrow terminal cuts first
        text.append("  ")
        text.append(
            ngettext("{n} problem (F6)", "{n} problems (F6)", status.problems).format(n=status.problems),
            style=themed("bold $alarm"),
        )
    if status.last_sync_at is not None:
        from ohjaus_core.domain.clock import local  # not on the sign-in screen's start path

        text.append("  " + _("last sync {time}").format(time=format_moment(local(status.last_sync_at))))
    text.append("  " + ngettext("{n} change waiting", "{n} changes waiting", status.pending).format(n=status.pending))
    return text
