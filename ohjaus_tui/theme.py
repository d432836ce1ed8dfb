"""The app's own colours, as theme variables named for what they mean (issue 19).

Text built in Python (a client's line, a worklist cell, a sync state) takes its colours from
these variables through `themed`, as the stylesheets take theirs with `$name`; no colour is
named in the screens. A Theme's `variables` may give any of them another value.

Two families keep the look of the app as it was, byte for byte:
- the marks inside a line and the cells of tables were ANSI colours, drawn in the terminal
  theme's value of that colour (Textual's ANSI theme, dark or light): `ansi_*` keeps that;
- whole message lines (a Static given one styled text) were CSS colour names: `*-line`.
"""

from __future__ import annotations

from rich.style import Style as RichStyle
from textual._context import active_app
from textual.app import App
from textual.markup import parse_style

VARIABLES = {
    # Marks in a line and table cells.
    "alarm": "ansi_red",  # overdue, a red flag, a non-disclosure order, a sync problem
    "alarm-text": "ansi_white",  # text on $alarm
    "caution": "ansi_yellow",  # look twice: offline, a correction, a duty, a note on a slot
    "caution-text": "ansi_black",  # text on $caution
    "fine": "ansi_green",  # done, online, suggested, fits the need
    "info": "ansi_cyan",  # the language of service, an interpreter, what to read out
    "notice": "ansi_magenta",  # the client's own words and wishes, a high-need client
    # Whole message lines.
    "alarm-line": "red",
    "alarm-line-text": "white",
    "caution-line": "yellow",
    "fine-line": "green",
    "notice-line": "magenta",
}


def themed(style: str) -> RichStyle:
    """A Textual style with theme variables ("bold $alarm") as the Rich style a Text takes."""
    try:
        app = active_app.get()
    except LookupError:  # a line built outside the app (a test): the defaults above
        return parse_style(style, VARIABLES).rich_style
    return app.stylesheet.parse_style(style).rich_style


class ThemedApp(App):
    """An app whose widgets may use these variables: OhjausApp, and any app that mounts one
    of its widgets alone (the widget tests' harnesses)."""

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """The app's own colours ($alarm, $caution...), beside Textual's."""
        return dict(VARIABLES)
