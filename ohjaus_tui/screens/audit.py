"""What the screens show of a client goes to the access log (Client Data Act 703/2023 § 11).

Writes (a new client, a saved step, a signature, a consent) are logged by the store in the
same transaction as the write. Views are logged here, by what was put on the screen: a
trail remembers which clients it has logged, so a list redrawn after a sync or a search
typed a letter at a time logs each client shown once for that screen, not once a frame.
"""

from __future__ import annotations

from collections.abc import Iterable

from ohjaus_core.domain.access_log import AccessAction, Purpose


class ViewTrail:
    def __init__(self, ctx, item: str, purpose: Purpose = Purpose.CONTACT, detail: str = "") -> None:
        """`detail`: what the worker stated the view is for, logged after the purpose."""
        self.ctx, self.item, self.purpose = ctx, item, purpose
        self.purpose_text = f"{purpose.value}:{detail}" if detail else purpose.value
        self.logged: set[str] = set()
        self.waiting: list[str] = []

    def shown(self, client_ids: Iterable[str | None], *, now: bool = True) -> None:
        """Clients put on the screen; logged at once, or with now=False kept until flush()
        (a search logs what stayed on the screen between keystrokes in one write)."""
        for client_id in client_ids:
            if client_id and client_id not in self.logged and client_id not in self.waiting:
                self.waiting.append(client_id)
        if now:
            self.flush()

    def flush(self) -> None:
        viewer = self.ctx.viewer
        if not self.waiting or viewer is None:
            return
        waiting, self.waiting = self.waiting, []
        self.ctx.store.protection.log_access(viewer, waiting, AccessAction.VIEW, self.item, self.purpose_text, self.ctx.now())
        self.logged.update(waiting)
