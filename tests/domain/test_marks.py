"""Check boxes show their state by a mark, not by colour alone (issue 15)."""

from __future__ import annotations

from textual.app import App, ComposeResult

from ohjaus_tui.widgets.marks import MarkedCheckbox, MarkedSelectionList


class Boxes(App):
    def compose(self) -> ComposeResult:
        yield MarkedCheckbox("Consent", id="box")
        yield MarkedSelectionList(("Missed appointments", "a"), ("Many contacts", "b"), id="list")


async def test_a_marked_box_and_an_unmarked_one_differ_in_their_text():
    app = Boxes()
    async with app.run_test(size=(60, 10)) as pilot:
        box = app.query_one("#box", MarkedCheckbox)
        assert "[ ]" in str(box.render())
        await pilot.click("#box")
        await pilot.pause()
        assert box.value and "[x]" in str(box.render())
        listing = app.query_one("#list", MarkedSelectionList)
        listing.select("b")
        await pilot.pause()
        lines = ["".join(s.text for s in listing.render_line(y)) for y in range(2)]
        assert lines[0].startswith("[ ] Missed") and lines[1].startswith("[x] Many"), lines
