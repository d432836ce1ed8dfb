"""The slot picker on its own: a tiny app mounts only the widget with given offers, and the
keys a worker presses choose a slot, without walking the whole contact flow."""

from __future__ import annotations

from datetime import timedelta

from textual.app import ComposeResult
from textual.widgets import DataTable

from ohjaus_core.domain.slots import SlotOffer
from ohjaus_tui.theme import ThemedApp
from ohjaus_tui.widgets.slot_picker import SlotPicker

from ..conftest import FIXED_NOW


def offer(slot_id: str, hours: int, name: str = "Hanna Hoitaja", unit: str = "Keskustan terveysasema",
          **marks) -> SlotOffer:
    return SlotOffer(
        slot_id=slot_id, starts_at=FIXED_NOW + timedelta(hours=hours), minutes=20, mode="visit",
        unit_id=unit[:4], unit_name=unit, professional_name=name, profession="sairaanhoitaja",
        languages=("fi",), **marks,
    )


OFFERS = [
    offer("s-1", 1),
    offer("s-2", 26, "Sami Sairaanhoitaja"),
    offer("s-3", 200, "Pekka Myöhä", past_deadline=True),
    offer("s-4", 27, "Lotta Lind", "Pohjola", language_mismatch=True, other_unit=True),
]


class PickerApp(ThemedApp):
    """Only the slot picker, showing `offers`; every slot it reports chosen is kept."""

    def __init__(self, offers: list[SlotOffer], deadline: str = "Deadline 27.11.2026", chosen: str | None = None):
        super().__init__()
        self.offers, self.deadline, self.chosen_before = offers, deadline, chosen
        self.chosen: list[SlotOffer] = []

    def compose(self) -> ComposeResult:
        yield SlotPicker(id="slots")

    def on_mount(self) -> None:
        picker = self.query_one(SlotPicker)
        picker.show(self.offers, self.deadline, self.chosen_before)
        picker.focus_table()

    def on_slot_picker_chosen(self, message: SlotPicker.Chosen) -> None:
        self.chosen.append(message.offer)


def shown(app: PickerApp) -> str:
    """What the picker shows, line after line."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip).rstrip() for strip in strips)


def row(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if name in line)


def cursor_slot(app: PickerApp) -> str:
    table = app.query_one(DataTable)
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value


async def test_arrows_and_enter_choose_the_slot_under_the_cursor():
    app = PickerApp(OFFERS)
    async with app.run_test(size=(110, 20)) as pilot:
        await pilot.pause()
        assert cursor_slot(app) == "s-1"  # the earliest, first
        await pilot.press("down", "enter")
        await pilot.pause()
        assert [o.slot_id for o in app.chosen] == ["s-2"]
        await pilot.press("down", "down", "up", "enter")
        await pilot.pause()
        assert [o.slot_id for o in app.chosen] == ["s-2", "s-3"]


async def test_a_slot_chosen_before_keeps_the_cursor():
    app = PickerApp(OFFERS, chosen="s-4")
    async with app.run_test(size=(110, 20)) as pilot:
        await pilot.pause()
        assert cursor_slot(app) == "s-4"
        await pilot.press("enter")
        await pilot.pause()
        assert app.chosen[0].professional_name == "Lotta Lind"


async def test_the_deadline_the_people_and_why_a_slot_misses_are_shown():
    app = PickerApp(OFFERS)
    async with app.run_test(size=(130, 20)) as pilot:
        await pilot.pause()
        text = shown(app)
        assert "Deadline 27.11.2026" in text
        assert "Hanna Hoitaja, sairaanhoitaja" in text and "Sami Sairaanhoitaja" in text
        assert "past deadline" in row(text, "Pekka Myöhä") and "other language" not in row(text, "Pekka Myöhä")
        assert "other language, other unit" in row(text, "Lotta Lind")
        # Wide enough: the unit has a column of its own.
        assert "Keskustan terveysasema" in row(text, "Hanna Hoitaja") and "Pohjola" in row(text, "Lotta Lind")


async def test_on_a_narrow_screen_another_unit_is_named_in_the_note():
    app = PickerApp(OFFERS)
    async with app.run_test(size=(98, 20)) as pilot:
        await pilot.pause()
        line = row(shown(app), "Lotta Lind")
        assert "other language, Pohjola" in line and "other unit" not in line
        assert "Keskustan" not in shown(app)  # the unit's column is left out


async def test_without_offers_the_picker_says_so_and_enter_chooses_nothing():
    app = PickerApp([])
    async with app.run_test(size=(110, 20)) as pilot:
        await pilot.pause()
        assert "No free slots found for this service area." in shown(app)
        assert "Deadline 27.11.2026" in shown(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.chosen == []
