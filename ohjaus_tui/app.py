"""The Textual application: screens, global keys, the signed-in worker."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from typing import Any

from textual.app import get_system_commands_provider
from textual.binding import Binding
from textual.reactive import var
from textual.widget import AwaitMount

from .commands import OhjausCommands, developer_device, open_palette
from .context import Context
from ohjaus_core.i18n import N_, _
from ohjaus_core.settings import settings
from .messages import SyncFinished
from .screens.login import LoginScreen
from .theme import ThemedApp


LANGUAGE_NAMES = {"fi": "suomi", "sv": "svenska", "en": "English"}


def idle_lock_seconds(configured: str | None) -> float:
    """Seconds without a key before the screen locks: OHJAUS_IDLE_LOCK, else the device
    setting `idle_lock`, else 5 minutes; "0" turns it off."""
    value = settings().idle_lock or configured or "300"
    try:
        return max(0.0, float(value))
    except ValueError:
        return 300.0


def sync_interval() -> float:
    """Seconds between background sync rounds (OHJAUS_SYNC_INTERVAL, default 60)."""
    return settings().sync_seconds


STATUS_POLL_SECONDS = 2  # how often the changes waiting and the problems are read again


@dataclass(frozen=True)
class SyncState:
    """What the sync badges show; replaced as a whole (never changed in place), so that every
    badge bound to `OhjausApp.sync_state` is drawn again."""

    status: Any = None  # store.sync_side.SyncStatus
    online: bool | None = None  # None: no round has finished since the start
    running: bool = False
    problem: bool = False  # the last round failed for a reason other than the network


class OhjausApp(ThemedApp):
    TITLE = "ohjaus"
    # The sign-in screen's own rules with the app's: it is the first screen (the default
    # screen, below), so they are parsed once with the app's instead of again when it comes.
    CSS_PATH = ["app.tcss", "screens/login.tcss"]
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("f5", "sync_now", N_("Sync")),
        Binding("f6", "sync_view", N_("Sync view")),
        Binding("f9", "switch_language", N_("Language")),
        Binding("ctrl+l", "lock", N_("Lock"), priority=True),
        Binding("f1", "keys", N_("Help")),
        # Replaces Textual's own palette key, whose description ("palette") is not translated.
        Binding("ctrl+p", "command_palette", N_("Commands"), show=False, key_display="^p", priority=True),
    ]
    COMMANDS = {OhjausCommands}
    sync_state: var[SyncState] = var(SyncState)  # the SyncBadges watch it

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self._sync_timer = None
        self._status_timer = None
        self._status_reads = 0  # counts the status set on the UI thread: a slower read is dropped
        self._idle_timer = None
        self.last_input = None  # set at the sign-in (the idle lock starts then) and at every key
        self._held_keys: list | None = None  # keys held while a screen readies its next field
        self._hold_timer = None  # lets the held keys go if no screen does
        if developer_device():
            # Textual's theme, screenshot and maximize commands: never on a production device.
            self.COMMANDS = {OhjausCommands, get_system_commands_provider}

    def get_default_screen(self) -> LoginScreen:
        # The sign-in screen is the first screen itself, not pushed over Textual's empty
        # default one, which was composed, styled and drawn first (start-up, issue 18).
        # switch_screen takes a result callback from the screen it replaces, which Textual
        # gives a pushed or switched-in screen but not the default one: given here the same.
        screen = LoginScreen()
        screen._push_result_callback(screen, None)
        return screen

    async def on_mount(self) -> None:
        # The app is ready (keys read, a test's pilot given) once its first screen is, as when
        # the screen was pushed here.
        await AwaitMount(self, [self.screen])

    def sign_in(self, worker_id: str, passphrase: str) -> str | None:
        """Check the passphrase offline and open the home screen; returns what went wrong.
        Waits here for the store if it is not open yet (the sign-in screen does not: see
        LoginScreen)."""
        problem = self.check_sign_in(worker_id, passphrase)
        if problem is None:
            self.enter(worker_id)
        return problem

    def check_sign_in(self, worker_id: str, passphrase: str) -> str | None:
        """The passphrase checked on the raw database connection (no ORM: the store may still
        be opening); what the worker reads when it was not taken, else None."""
        from .screens.lock import sign_in_problem
        from .store.sign_in_check import check_passphrase

        ctx = self.ctx
        return sign_in_problem(check_passphrase(ctx.data_dir, worker_id, passphrase, ctx.now()), ctx.data_dir)

    def enter(self, worker_id: str) -> None:
        """After a passphrase was taken: the worker's home screen (this needs the store)."""
        from ohjaus_core.domain.access_log import Purpose
        from .screens.audit import ViewTrail
        from .screens.home import HomeScreen

        ctx = self.ctx
        worker = ctx.store.worker(worker_id)
        ctx.worker = worker
        ctx.unit = ctx.store.unit(worker.unit_id)
        ctx.viewer = ctx.store.viewer(worker.id)
        ctx.worklist_trail = ViewTrail(ctx, "work list", Purpose.WORKLIST)
        self.switch_screen(HomeScreen())
        self.tell_catalogue_kept_aside()
        self.start_sync()
        self.note_input()
        if self._idle_timer is None:
            self._idle_timer = self.set_interval(5, self.lock_when_idle)
        if self._status_timer is None:
            self._status_timer = self.set_interval(STATUS_POLL_SECONDS, self._read_sync_status_later)

    def tell_catalogue_kept_aside(self) -> None:
        """The region's catalogue this device held was kept aside when the store opened (or
        after a sync): the worker is told why once, as F6 keeps saying."""
        notice, self.ctx.catalogue_notice = self.ctx.catalogue_notice, ""
        if notice:
            self.notify(notice, severity="warning", timeout=20)

    # -- the lock: after the idle time and on Ctrl+L; the screen beneath keeps its state ----

    async def on_event(self, event) -> None:
        from textual import events

        if isinstance(event, (events.Key, events.MouseDown)) and not event.is_forwarded:
            self.note_input()
            if self._held_keys is not None and isinstance(event, events.Key):
                self._held_keys.append(event)
                return
        await super().on_event(event)

    # -- keys typed ahead: held while a screen readies the field they are meant for --------

    def hold_keys(self, at_most: float = 1.0) -> None:
        """Keys arriving from now on wait, in order, until `release_keys` (at most `at_most`
        seconds): a key the app takes is handed to the focused widget at once, and a field
        that takes the focus a moment later would lose the keys typed ahead of it."""
        if self._held_keys is None:
            self._held_keys = []
            self._hold_timer = self.set_timer(at_most, self.release_keys)

    async def release_keys(self) -> None:
        """The held keys, taken now in the order they came, ahead of any key still queued
        (run in the app's own turn: `call_later(app.release_keys)`). The hold's timer stops
        with it, so it cannot end a later hold early."""
        for event in self.take_held_keys():
            event.ohjaus_typed_ahead = True  # typed before the screen taking it was shown
            await super().on_event(event)

    def take_held_keys(self) -> list:
        """The held keys, taken out by the screen they were typed ahead of (the new client's
        form: text typed before it was shown was not meant for its fields); the hold ends."""
        if self._hold_timer is not None:
            self._hold_timer.stop()
            self._hold_timer = None
        held, self._held_keys = self._held_keys, None
        return held or []

    def note_input(self) -> None:
        self.last_input = self.ctx.clock()

    def lock_when_idle(self) -> None:
        limit = idle_lock_seconds(self.ctx.store.setting("idle_lock"))
        idle = (self.ctx.clock() - self.last_input).total_seconds()
        if limit and idle >= limit:
            self.action_lock()

    def action_keys(self) -> None:
        """F1: every key of the screen, in the worker's language (the footer shows the most needed)."""
        from .screens.keys import KeysScreen, screen_keys

        if not isinstance(self.screen, KeysScreen):
            self.push_screen(KeysScreen(screen_keys(self)))

    def action_lock(self) -> None:
        from .screens.lock import LockScreen

        if self.ctx.worker is None or self.ctx.locked:
            return
        self.ctx.locked = True
        self.push_screen(LockScreen())

    def unlock(self) -> None:
        self.ctx.locked = False
        self.note_input()
        self.pop_screen()

    def action_help_quit(self) -> None:
        """Ctrl+C (a copy key, not a quit): how to quit, in the worker's language."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(
                    _("Press {key} to quit the application").format(key=self.get_key_display(active.binding)),
                    title=_("Do you want to quit?"),
                    markup=False,
                )
                return

    def action_command_palette(self) -> None:
        if not self.ctx.locked:
            open_palette(self)

    # -- sync: a background worker on a timer and on F5; typing never waits for it ---------

    def start_sync(self) -> None:
        self.refresh_sync_status()
        if self._sync_timer is None and self.sync_state.status.configured:
            self._sync_timer = self.set_interval(sync_interval(), self.action_sync_now)
            self.call_later(self.action_sync_now)

    def refresh_sync_status(self) -> None:
        """The status read from the store now (the badges bound to it are drawn again)."""
        self._set_sync_state(status=self.ctx.store.outbox.sync_status())

    def _set_sync_state(self, **changes) -> None:
        self._status_reads += 1
        self.sync_state = replace(self.sync_state, **changes)

    def _read_sync_status_later(self) -> None:
        """On a timer: the changes waiting and the problems, read in a thread, so that a slow
        disk never holds up a key; shown only if nothing newer was shown meanwhile."""
        if self.ctx.worker is None:
            return
        self.run_worker(
            lambda: self._read_sync_status(self._status_reads),
            thread=True, exclusive=True, group="sync-status", exit_on_error=False,
        )

    def _read_sync_status(self, reads: int) -> None:
        status = self.ctx.store.outbox.sync_status()
        self.call_from_thread(self._sync_status_read, status, reads)

    def _sync_status_read(self, status, reads: int) -> None:
        if reads == self._status_reads and status != self.sync_state.status:
            self._set_sync_state(status=status)

    def action_sync_now(self) -> None:
        if self.ctx.worker is None or self.sync_state.running:
            return
        self.refresh_sync_status()
        if not self.sync_state.status.configured:
            self.notify(_("This device is not connected to a central API."), severity="warning")
            return
        self._set_sync_state(running=True)
        self.run_worker(self._sync_round, thread=True, exclusive=True, group="sync", exit_on_error=False)

    def _sync_round(self) -> None:
        from .sync.client import Offline, SyncError, sync_once

        problem = False
        try:
            result = sync_once(self.ctx.store, self.ctx.clock)
            online, message = True, None
        except Offline as error:
            online, message, result = False, str(error), None
        except SyncError as error:  # reached the server, or not a network matter: a problem
            online, message, result, problem = False, str(error), None, True
        except Exception as error:  # a disk problem in the store, say: shown, not fatal
            online, message, result, problem = False, str(error), None, True
        status = self.ctx.store.outbox.sync_status()
        self.call_from_thread(self._sync_done, online, status, result, message, problem)

    def _sync_done(self, online: bool, status, result, message: str | None, problem: bool = False) -> None:
        self._set_sync_state(online=online, running=False, status=status, problem=problem)
        if result is not None and result.pulled:
            self.ctx.use_region_catalogue()  # the region's catalogue, if it came now
            self.tell_catalogue_kept_aside()
        # What arrived shows at once: each open screen redraws what the round changed.
        for screen in self.screen_stack:
            screen.post_message(SyncFinished(result))
        if result is not None and result.removal_summary():
            # Nothing leaves the device silently: what left is also in F6.
            self.notify(result.removal_summary(), timeout=10)
        if result is not None and result.set_aside:
            self.notify(result.set_aside_summary(), severity="warning", timeout=10)
        if result is not None and (result.rejected or result.conflicts):
            self.notify(
                _("The central API rejected {rejected} and found {conflicts} conflicts: F6 shows them.").format(
                    rejected=result.rejected, conflicts=result.conflicts
                ),
                severity="warning",
                timeout=10,
            )

    async def action_switch_language(self) -> None:
        """F9: suomi -> svenska -> English, at once, keeping everything typed."""
        from ohjaus_core.i18n import LANGUAGES, current_language, set_language
        from .screens.relabel import relabel

        language = LANGUAGES[(LANGUAGES.index(current_language()) + 1) % len(LANGUAGES)]
        set_language(language)
        if self.ctx.worker is not None:
            self.ctx.store.set_setting("language", language)
        for screen in list(self.screen_stack):
            await relabel(screen)
        self.notify(_("Language: {name}").format(name=LANGUAGE_NAMES[language]), timeout=3)
        status = self.sync_state.status
        if self.ctx.worker is not None and status is not None and status.configured and status.last_error:
            # The last sync error was written in the old language: a round now writes it anew.
            self.action_sync_now()

    def action_sync_view(self) -> None:
        from .screens.sync_view import SyncViewScreen

        if self.ctx.worker is None or self.ctx.locked or isinstance(self.screen, SyncViewScreen):
            return
        self.push_screen(SyncViewScreen())

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
        ctx = self.ctx
        ctx.worker = ctx.unit = ctx.viewer = ctx.worklist_trail = None
        ctx.locked = False
        # Back to the first screen, whatever was open (a contact's saved steps are kept).
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.switch_screen(LoginScreen())
