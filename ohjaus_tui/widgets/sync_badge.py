"""The always-visible sync status: online or offline, last sync, changes waiting, problems."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ohjaus_core.i18n import _, format_moment, ngettext
from ..app_access import ohjaus_app
from ..theme import themed


# The reason of a failed round, cut to the room left, is kept only if this much of it shows.
REASON_MIN = 16
GAP = "  "


class SyncBadge(Static):
    """One line, always (the walk of 6.12.2026: in Swedish at 80 columns the changes waiting
    lost their words and a failed round's reason took a second line): what matters least
    gives way first - the failed round's reason (in full on F6), then the last sync's time;
    the state, the problems and the changes waiting always show."""

    DEFAULT_CSS = """
    SyncBadge { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    """

    _state = None

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
        self._state = state
        self.refresh()

    def render(self) -> Text:
        if self._state is None:
            return Text()
        return render_status(self._state, self.content_size.width or None)


def render_status(state, width: int | None = None) -> Text:
    """The status line; with `width`, fitted into that many cells on one line."""
    status = state.status
    if status is None:
        return Text(_("Sync: starting"))
    head = Text()
    short_head = None
    if not status.configured:
        head.append(_("Sync: not connected to a central API (ohjaus connect)"))
        short_head = Text(_("Sync: no central API (ohjaus connect)"))
    elif state.running:
        head.append("◐ " + _("Syncing…"), style="bold")
    elif state.online is None:
        head.append("◌ " + _("Not yet synced"))
    elif getattr(state, "problem", False):
        head.append("⚠ " + _("Sync problem"), style=themed("bold $alarm"))
    elif state.online:
        head.append("● " + _("Online"), style=themed("bold $fine"))
    else:
        head.append("○ " + _("Offline"), style=themed("bold $caution"))
    reason = Text()
    if status.configured and not state.online and not state.running and status.last_error:
        # The reason right after the state, where a narrow terminal still shows the start of it.
        reason = Text(" ".join(status.last_error.split()), style="italic")  # one line, always
    problems = Text()
    if status.problems:
        problems = Text(
            ngettext("{n} problem (F6)", "{n} problems (F6)", status.problems).format(n=status.problems),
            style=themed("bold $alarm"),
        )
    last = Text()
    if status.last_sync_at is not None:
        from ohjaus_core.domain.clock import local  # not on the sign-in screen's start path

        last = Text(_("last sync {time}").format(time=format_moment(local(status.last_sync_at))))
    pending = Text(ngettext("{n} change waiting", "{n} changes waiting", status.pending).format(n=status.pending))
    return _fitted(head, short_head or head, reason, problems, last, pending, width)


def _fitted(
    head: Text, short_head: Text, reason: Text, problems: Text, last: Text, pending: Text, width: int | None
) -> Text:
    def line(*parts: Text) -> Text:
        return Text(GAP).join(part for part in parts if part)

    whole = line(head, reason, problems, last, pending)
    if width is None or whole.cell_len <= width:
        return whole
    if reason:
        # The reason cut to the room left, or left out: all of it is on F6, which the
        # problems' count names if there are any.
        if not problems:
            head = head + Text(" (F6)")
        room = width - line(head, problems, last, pending).cell_len - len(GAP)
        if room >= REASON_MIN:
            reason = reason.copy()
            reason.truncate(room, overflow="ellipsis")
            return line(head, reason, problems, last, pending)
    for parts in ((head, problems, last, pending), (head, problems, pending), (short_head, problems, pending)):
        if line(*parts).cell_len <= width:
            return line(*parts)
    # Narrower still: the state's words give way, never the counts and what they count.
    counts = line(problems, pending)
    head = short_head.copy()
    head.truncate(max(width - counts.cell_len - len(GAP), 1), overflow="ellipsis")
    fitted = line(head, counts)
    fitted.truncate(width, overflow="ellipsis")
    return fitted
