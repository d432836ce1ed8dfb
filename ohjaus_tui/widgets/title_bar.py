"""A screen's first line: what the screen is about (the worker and unit on the home screen,
the client in the client view), on the primary background."""

from __future__ import annotations

from textual.widgets import Static


class TitleBar(Static):
    """One line; a screen that wants it bold or taller says so in its own stylesheet."""

    DEFAULT_CSS = """
    TitleBar { height: 1; padding: 0 1; background: $primary-background; }
    """
