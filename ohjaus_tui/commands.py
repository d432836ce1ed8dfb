"""The command palette (Ctrl+P): the app's own actions, in the worker's language.

Textual's own commands (theme, screenshot, maximize, keys) are left out on a production
device: a screenshot writes client data to a file that no access log sees. A developer gets
them back with OHJAUS_DEVELOPER=1.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.widgets.option_list import Option

from ohjaus_core.i18n import N_, _
from ohjaus_core.settings import settings

# Textual's own texts that the app shows, translated where they are drawn: a Select's key in
# the footer, the palette's prompt and its Esc key (should a footer or F1 ever list it).
TEXTUAL_TEXTS = (N_("Dismiss menu"), N_("Search for commands…"), N_("Exit the command palette"))


def developer_device() -> bool:
    return settings().developer_device


class OhjausCommands(Provider):
    """Sync, the sync view with its problems, the language, the lock, reports, sign-out."""

    def _commands(self) -> list[tuple[str, str, Callable]]:
        from .screens.home import HomeScreen

        app = self.app
        commands: list[tuple[str, str, Callable]] = [
            (_("Language"), _("Switch the language of the screens (F9)"), app.action_switch_language),  # type: ignore[attr-defined]
            (_("Help"), _("Every key of this screen (F1)"), app.action_keys),  # type: ignore[attr-defined]
        ]
        if app.ctx.worker is not None and not app.ctx.locked:  # type: ignore[attr-defined]
            commands[:0] = [
                (_("Sync"), _("Send and fetch changes now (F5)"), app.action_sync_now),  # type: ignore[attr-defined]
                (_("Sync view"), _("Changes waiting and problems of the sync (F6)"), app.action_sync_view),  # type: ignore[attr-defined]
                (_("Lock"), _("Lock the screen (Ctrl+L)"), app.action_lock),  # type: ignore[attr-defined]
            ]
            if isinstance(self.screen, HomeScreen):
                home = self.screen
                commands += [
                    (_("Reports"), _("The unit's figures (R)"), home.action_reports),
                    (_("Sign out"), _("Sign out of this device (L)"), home.action_sign_out),
                ]
        commands.append((_("Quit"), _("Close the application (Ctrl+Q)"), app.action_quit))
        return commands

    async def discover(self) -> Hits:
        for name, help_text, command in self._commands():
            yield DiscoveryHit(name, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, command in self._commands():
            score = max(matcher.match(name), matcher.match(help_text) * 0.5)
            if score > 0:
                yield Hit(score, matcher.highlight(name), command, text=name, help=help_text)


class Palette(CommandPalette):
    """Textual's palette, with its "No matches found" in the worker's language.

    Textual writes that line in a timer of its own (`_start_no_matches_countdown`), with no
    attribute to change it; this is that method with the text translated.
    """

    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(_("No matches found"), style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)


def open_palette(app) -> None:
    """The palette with its prompt in the worker's language."""
    if app.use_command_palette and not CommandPalette.is_open(app):
        app.push_screen(Palette(placeholder=_("Search for commands…"), id="--command-palette"))
