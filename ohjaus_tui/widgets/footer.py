"""The footer, with key descriptions in the current language.

Bindings carry their descriptions as message ids (marked with N_), and the footer translates
them when it is drawn, so switching the language at run time (F9) shows at once."""

from __future__ import annotations

from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

from ..i18n import _


class Footer(TextualFooter):
    def compose(self):
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.description:
                widget.description = _(widget.description)
            yield widget
