"""Slot picker: the earliest free slots that fit, with the deadline in sight."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from ohjaus_core.domain.text import NAME_SHOWN, shown
from ohjaus_core.domain.clock import local
from ohjaus_core.domain.slots import SlotOffer
from ohjaus_core.i18n import _, current_language
from ..theme import themed


def format_slot_time(offer: SlotOffer) -> str:
    """Weekday, date and time in the worker's language (ti 1.12. 09:30)."""
    from babel.dates import format_datetime

    return format_datetime(local(offer.starts_at), "EEE d.M. HH:mm", locale=current_language())


WIDE = 100  # columns from which the unit has a column of its own


class SlotPicker(Vertical):
    DEFAULT_CSS = """
    SlotPicker { height: auto; }
    SlotPicker #slot-deadline { height: auto; color: $warning; }
    SlotPicker DataTable { height: auto; max-height: 10; }
    """

    class Chosen(Message):
        def __init__(self, offer: SlotOffer) -> None:
            self.offer = offer
            super().__init__()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.offers: list[SlotOffer] = []
        self.narrow = False

    def compose(self) -> ComposeResult:
        yield Static(id="slot-deadline")
        table: DataTable = DataTable(cursor_type="row", zebra_stripes=True, id="slot-table")
        yield table

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # The unit comes last: it is usually the worker's own. Below 100 columns it has no
        # column of its own (it was cut to three letters): another unit is named in the note.
        self.narrow = self.app.size.width < WIDE
        table.add_columns(_("Time"), _("Professional"), _("Lang."), _("Note"))
        if not self.narrow:
            table.add_column(_("Unit"))

    def show(self, offers: list[SlotOffer], deadline_text: str, chosen: str | None) -> None:
        self.offers = offers
        self.query_one("#slot-deadline", Static).update(Text(deadline_text))
        table = self.query_one(DataTable)
        table.clear()
        for offer in offers:
            notes = []
            if offer.past_deadline:
                notes.append(_("past deadline"))
            if offer.language_mismatch:
                notes.append(_("other language"))
            if offer.other_unit:
                notes.append(offer.unit_name if self.narrow else _("other unit"))
            cells = [
                format_slot_time(offer),
                Text(f"{shown(offer.professional_name, NAME_SHOWN)}, {shown(offer.profession, NAME_SHOWN)}"),
                ",".join(offer.languages),
                Text(", ".join(notes), style=themed("$caution") if notes else ""),
            ]
            if not self.narrow:
                cells.append(Text(offer.unit_name))
            table.add_row(*cells, key=offer.slot_id)
        if not offers:
            self.query_one("#slot-deadline", Static).update(
                Text(deadline_text + "\n" + _("No free slots found for this service area."))
            )
        index = next((i for i, o in enumerate(offers) if o.slot_id == chosen), 0)
        if offers:
            table.move_cursor(row=index)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        offer = self.offers[event.cursor_row]
        self.post_message(self.Chosen(offer))

    def focus_table(self) -> None:
        self.query_one(DataTable).focus()
