"""Typed access to the running application, for its screens and widgets.

`self.app` is typed as Textual's `App`, so every `self.app.ctx` needed an ignore comment.
Textual's `getters.app(OhjausApp)` would need the app class where each screen is defined (the
app imports the screens: a circle) and refuses the small harness apps of the tests; this mixin
names the type only for the type checker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from .app import OhjausApp
    from .context import Context


def ohjaus_app(node) -> OhjausApp:
    """The application `node` (a screen or widget) runs in, typed."""
    return cast("OhjausApp", node.app)


class AppAccess:
    """Mixed into a Screen or a Widget (before it): `self.ohjaus` is the application,
    `self.ctx` what every screen works with (the store, the worker, the clock)."""

    @property
    def ohjaus(self) -> OhjausApp:
        return ohjaus_app(self)

    @property
    def ctx(self) -> Context:
        return self.ohjaus.ctx
