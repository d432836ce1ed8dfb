"""Boxes, lists and views whose Enter does something of its own: it goes on to the next
field, ends the marking, or signs; Space still ticks and marks."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList, Static

from ohjaus_core.i18n import N_
from .marks import MarkedCheckbox, MarkedSelectionList


class NextOnEnter(MarkedCheckbox):
    """Space ticks the box; Enter goes on to the next field (it must not tick by accident)."""

    BINDINGS = [Binding("enter", "app.focus_next", show=False)]


class DoneOnEnter:
    """Mixed into a box or a list (before it): Enter means the worker is done with it. The
    widget takes the key as its BINDINGS (Textual reads them from widget classes only) and
    has its own `Done` message, so that its handler is named after it (on_consent_box_done)."""

    BINDINGS = [Binding("enter", "done", N_("Done"))]
    Done: ClassVar[type[Message]]

    def action_done(self) -> None:
        self.post_message(self.Done())  # type: ignore[attr-defined]


class ConsentBox(DoneOnEnter, MarkedCheckbox):
    """Space records the consent; Enter means the worker is done."""

    BINDINGS = DoneOnEnter.BINDINGS

    class Done(Message):
        pass


class TriggerList(DoneOnEnter, MarkedSelectionList):
    """Space marks a trigger; Enter means the marking is done."""

    BINDINGS = DoneOnEnter.BINDINGS

    class Done(Message):
        pass


class ChoiceList(OptionList):
    """A list whose Enter chooses the highlighted option and goes on, with the key in the
    footer (a list of the high-need plan at 80x24 showed no key that chose)."""

    BINDINGS = [Binding("enter", "select", N_("Choose"))]


class SummaryView(Static, can_focus=True):
    BINDINGS = [Binding("enter", "sign", N_("Sign"))]

    def action_sign(self) -> None:
        self.screen.action_sign()  # type: ignore[attr-defined]
