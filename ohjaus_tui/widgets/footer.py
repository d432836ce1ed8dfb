"""The footer, with key descriptions in the current language.

Bindings carry their descriptions as message ids (marked with N_), and the footer translates
them when it is drawn, so switching the language at run time (F9) shows at once.

When every key does not fit the width (80 columns, a long language), the footer shows the
keys a worker needs most - the screen's `KEY_PRIORITY` first, then the app's own - compact,
and ends with F1, which lists every key of the screen (issue 15: 80x24 is a first-class size).
"""

from __future__ import annotations

from textual.compose import compose
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

from ohjaus_core.i18n import _

# The app's keys a worker must always find: the sync view, the language, the lock.
APP_PRIORITY = ("sync_view", "switch_language", "lock", "app.quit", "quit")
HELP_ACTIONS = ("keys", "app.keys")


def key_width(key: FooterKey, compact: bool) -> int:
    """Cells a key takes: its key, its description and the space around them."""
    return len(key.key_display) + len(key.description) + (2 if compact else 3)


def drawn(widgets) -> tuple:
    """What the footer shows of these widgets (keys, their texts and states, groups with
    their children), to tell whether a new composition would show anything else."""
    return tuple(
        (
            type(w).__name__,
            tuple(sorted(w.classes)),
            getattr(w, "key", None),
            getattr(w, "key_display", None),
            getattr(w, "description", None),
            getattr(w, "action", None),
            getattr(w, "compact", None),
            w.disabled,
            str(w.tooltip or ""),
            str(getattr(w, "content", "")),
            drawn(w.children if w.is_attached else getattr(w, "_pending_children", ())),
        )
        for w in widgets
    )


def _preset_compact(key: FooterKey, compact: bool) -> None:
    """A key's compact state and class given before it is mounted, as they end up: a
    FooterKey starts compact, then its binding sets the footer's state, and each change
    restyled the key - two restyles a key at every recompose (start-up, issue 18)."""
    key.set_reactive(FooterKey.compact, compact)
    key.set_class(compact, "-compact", update=False)


class Footer(TextualFooter):
    _recompose_pending = False

    def bindings_changed(self, screen) -> None:
        """As Textual's Footer, but changes that come before a pending recompose has run are
        drawn by that one: each recompose makes every key anew, and the sign-in screen's start
        recomposed three times before the first paint, now twice (start-up, issue 18)."""
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._recompose_pending:
            self._recompose_pending = True
            self.call_after_refresh(self._recompose_once)

    async def _recompose_once(self) -> None:
        """Textual's recompose, unless the keys composed now are the keys on the footer (each
        focus change refreshes the bindings twice, and the screen's start did that with the
        same keys): then nothing is removed, made or styled again (start-up, issue 18)."""
        self._recompose_pending = False  # a change from now on is drawn by another one
        if not self.is_attached or self._pruning:
            return
        drawn = self._drawn
        widgets = compose(self)  # sets self._drawn
        if drawn is not None and self._drawn == drawn:
            return
        async with self.batch():
            await self.query_children("*").exclude(".-textual-system").remove()
            if self.is_attached:
                await self.mount_all(widgets)

    def on_resize(self) -> None:
        if self._narrow != self._would_be_narrow():
            self.call_after_refresh(self.recompose)

    _narrow = False

    def _would_be_narrow(self) -> bool:
        keys = getattr(self, "_all_keys", [])
        width = self.app.size.width if self.size.width == 0 else self.size.width
        palette = 12 if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE else 0
        return sum(key_width(k, False) for k in keys) + palette > width

    _drawn: tuple | None = None  # what the last compose gave: see _recompose_once

    def compose(self):
        if not self._bindings_ready and self.is_attached:
            # Textual's Footer composes no keys until the screen first refreshes its bindings,
            # then composes them all again; the screen's bindings are there already, and a
            # later refresh that gives the same keys changes nothing (start-up, issue 18).
            self._bindings_ready = True
        widgets = list(super().compose())
        keys: list[FooterKey] = []
        others = []
        for widget in widgets:
            if isinstance(widget, FooterKey) and widget.description:
                widget.description = _(widget.description)
            if isinstance(widget, FooterKey) and "-command-palette" not in widget.classes:
                keys.append(widget)
            else:
                others.append(widget)
        self._all_keys = [k for k in keys if k.action not in HELP_ACTIONS]
        self._narrow = self._would_be_narrow()
        self.compact = self._narrow
        for key in keys:  # Textual's compose binds them to the footer's compact
            _preset_compact(key, self._narrow)
        for widget in others:
            if isinstance(widget, FooterKey):  # the palette's key: compact, unbound
                _preset_compact(widget, True)
        if not self._narrow:
            shown = [w for w in widgets if not (isinstance(w, FooterKey) and w.action in HELP_ACTIONS)]
        else:
            shown = list(self._priority_keys(keys))
        self._drawn = (self.compact, self.styles.grid_size_columns, drawn(shown))
        yield from shown

    def _priority_keys(self, keys: list[FooterKey]):
        """The most needed keys that fit, in the order the screen lists its keys, then F1."""
        width = self.app.size.width if self.size.width == 0 else self.size.width
        help_key = next((k for k in keys if k.action in HELP_ACTIONS), None)
        room = width - (key_width(help_key, True) if help_key else 0)
        order = tuple(getattr(self.screen, "KEY_PRIORITY", ())) + APP_PRIORITY
        rank: dict[str, int] = {}
        for action in order:
            rank.setdefault(action, len(rank))  # a screen may name an app key earlier
        ranked = sorted(
            (k for k in keys if k is not help_key),
            key=lambda k: rank.get(k.action, len(rank) + keys.index(k)),
        )
        shown = set()
        for key in ranked:
            if key_width(key, True) <= room:
                shown.add(id(key))
                room -= key_width(key, True)
        for key in keys:
            if id(key) in shown:
                key.compact = True
                yield key
        if help_key is not None:
            help_key.compact = True
            yield help_key
