"""The home screen's lists: the worklist's sections, read as one list, and the latest signed
contacts."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import DataTable, OptionList

from ohjaus_core.i18n import N_


class WorkTable(DataTable):
    """One section of the worklist. Down from its last row goes on into the next section and
    up from its first row back into the one before, so the sections read as one list."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.before: WorkTable | None = None
        self.after: WorkTable | None = None

    def action_cursor_down(self) -> None:
        nxt = self.after
        if nxt is not None and nxt.display and nxt.row_count and self.cursor_row >= self.row_count - 1:
            nxt.focus()
            nxt.move_cursor(row=0)
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        before = self.before
        if before is not None and before.display and before.row_count and self.cursor_row <= 0:
            before.focus()
            before.move_cursor(row=before.row_count - 1)
            return
        super().action_cursor_up()


class RecentList(OptionList):
    """The worker's latest signed contacts; C corrects the highlighted one."""

    BINDINGS = [Binding("c", "correct", N_("Correct"))]

    def action_correct(self) -> None:
        if self.option_count:
            option = self.get_option_at_index(self.highlighted or 0)
            self.screen.correct(option.id)  # type: ignore[attr-defined]
