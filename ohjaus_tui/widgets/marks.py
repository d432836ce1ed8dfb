"""Check boxes that show their state by a mark, [x] or [ ], not by colour alone (issue 15):
a worker who does not see that colour, and a monochrome terminal, see what is marked."""

from __future__ import annotations

from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Checkbox, SelectionList
from textual.widgets._toggle_button import ToggleButton

MARKED, UNMARKED = "x", " "


class MarkedCheckbox(Checkbox):
    @property
    def _button(self) -> Content:
        style = self.get_visual_style("toggle--button")
        return Content.assemble("[", (MARKED if self.value else UNMARKED, style), "]")


class MarkedSelectionList(SelectionList):
    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        if (
            len(segments) < 4
            or segments[0].text != ToggleButton.BUTTON_LEFT
            or segments[2].text != ToggleButton.BUTTON_RIGHT
        ):
            return strip
        _x, scroll_y = self.scroll_offset
        selection = self.get_option_at_index(scroll_y + y)
        mark = MARKED if selection.value in self._selected else UNMARKED
        plain = segments[3].style
        segments[0:3] = [Segment("[", plain), Segment(mark, segments[1].style), Segment("]", plain)]
        return Strip(segments, strip.cell_length)
