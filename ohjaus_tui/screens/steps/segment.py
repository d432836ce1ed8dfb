"""Step 4: the segment - one of the three paths, suggested with its reasons."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Label, OptionList, SelectionList, Static

from ...domain.codes import HighNeedTrigger, Segment
from ...domain.contact import ContactDraft, Step
from ...domain.segmentation import REPEATED_WINDOW_DAYS, detected_triggers, suggest_segment
from ...i18n import N_, _
from .base import StepPanel, offer_codes


class TriggerList(SelectionList[str]):
    """Space marks a trigger; Enter means the marking is done."""

    BINDINGS = [Binding("enter", "done", N_("Done"))]

    class Done(Message):
        pass

    def action_done(self) -> None:
        self.post_message(self.Done())


class SegmentStep(StepPanel):
    step = Step.SEGMENT

    def compose(self) -> ComposeResult:
        yield Label(_("Segment"))
        yield OptionList(id="segments")
        yield Static(id="segment-why")
        yield Label(_("High-need triggers (Space marks, Enter goes on)"), id="triggers-label")
        yield TriggerList(
            *[(t.label, t.value) for t in HighNeedTrigger], id="triggers"
        )

    _visited = False

    def enter(self, draft: ContactDraft) -> None:
        self._draft = draft
        detected: list[HighNeedTrigger] = []
        if draft.client_id:
            since = draft.started_at - timedelta(days=REPEATED_WINDOW_DAYS)
            detected = detected_triggers(self.ctx.store.contacts_since(draft.client_id, since))
        self._detected = detected
        triggers = self.query_one("#triggers", SelectionList)
        # Detected triggers are marked on the first visit only: a worker may unmark one.
        marked = set(draft.triggers) if self._visited else set(detected) | set(draft.triggers)
        self._visited = True
        for trigger in marked:
            triggers.select(trigger.value)
        draft.suggested_segment = suggest_segment(draft.urgency, list(set(detected) | set(draft.triggers)))
        chosen = draft.segment or draft.suggested_segment
        offer_codes(self.query_one("#segments", OptionList), list(Segment), draft.suggested_segment, chosen)
        why = Text()
        if draft.urgency is not None:
            why.append(_("Urgency: {urgency}").format(urgency=draft.urgency.label))
        for trigger in detected:
            why.append("\n" + _("Detected in history: {trigger}").format(trigger=trigger.label), style="yellow")
        self.query_one("#segment-why", Static).update(why)
        self._show_triggers(chosen)

    def _show_triggers(self, segment: Segment) -> None:
        complex_need = segment == Segment.COMPLEX_NEED
        self.query_one("#triggers").display = complex_need
        self.query_one("#triggers-label").display = complex_need

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._draft.segment = Segment(event.option.id)
        self._show_triggers(self._draft.segment)
        if self._draft.segment == Segment.COMPLEX_NEED:
            self.focus_now(self.query_one("#triggers", SelectionList))
        else:
            self.next()

    def on_trigger_list_done(self, event: "TriggerList.Done") -> None:
        event.stop()
        self.next()

    def apply(self, draft: ContactDraft) -> None:
        highlighted = self.query_one("#segments", OptionList).highlighted
        if draft.segment is None and highlighted is not None and self.screen.focused is self.query_one("#segments"):
            draft.segment = list(Segment)[highlighted]
        if draft.segment == Segment.COMPLEX_NEED:
            selected = self.query_one("#triggers", SelectionList).selected
            draft.triggers = [HighNeedTrigger(value) for value in selected]
        else:
            draft.triggers = []
        draft.high_need = bool(draft.triggers)

    def focus_default(self) -> None:
        self.focus_now(self.query_one("#segments", OptionList))
