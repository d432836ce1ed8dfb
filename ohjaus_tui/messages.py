"""Messages the application sends its screens (screens post their own, e.g. StepPanel.Next)."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class SyncFinished(Message):
    """A background sync round finished; the app sends it to every open screen, which redraws
    what the round may have changed (the home screen's lists, the contact's client)."""

    bubble = False  # each screen gets its own; the app has nothing to do with it

    def __init__(self, result: Any) -> None:
        """`result`: the round's SyncResult, or None when it did not reach the server."""
        super().__init__()
        self.result = result

    @property
    def lists_changed(self) -> bool:
        """Did the round bring or take away anything the lists show?"""
        result = self.result
        if result is None:
            return False
        return bool(
            result.pulled or result.rejected or (result.removal_summary() and (result.removed or result.restored))
        )
