"""Step 6: the follow-up - none, a callback, a check of a referral or visit; who and when."""

from __future__ import annotations

from datetime import date, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Select, Static

from ohjaus_core.domain.codes import FollowUpKind
from ohjaus_core.domain.contact import ContactDraft, Step, follow_up_allowed, no_callback_reason
from ohjaus_core.domain.deadlines.contact import assessment_limit
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.phone import InvalidPhone, normalize_phone
from ohjaus_core.domain.segmentation import suggest_follow_up
from ohjaus_core.domain.text import NAME_SHOWN, shown
from ohjaus_core.i18n import _
from ...theme import themed
from .base import StepPanel, offer_codes
from .deadline_info import limit_phrase

DATE_FORMAT = "%d.%m.%Y"
OFFERED = [k for k in FollowUpKind if k not in (FollowUpKind.REBOOK, FollowUpKind.CONFIRM_DUTY)]


def parse_day(text: str) -> date | None:
    try:
        return datetime.strptime(text.strip(), DATE_FORMAT).date()
    except ValueError:
        return None


class FollowUpStep(StepPanel):
    step = Step.FOLLOW_UP
    _owed_note = ""  # the note this step wrote of the assessment's limit (replaced when it changes)
    _no_phone = False  # an identified client with no phone recorded: a callback asks for it
    _phone_problem = ""  # what stops a callback: no number typed, or not a number
    _phone_saved = ""  # the number this step put on the client (E.164): typed again, not written again

    def compose(self) -> ComposeResult:
        yield Label(_("Follow-up"))
        yield OptionList(id="follow-up-kinds")
        yield Static(id="follow-up-why")  # why a callback is not offered, or what it asks for
        with Vertical(id="follow-up-details"):
            yield Label(_("The client's phone number (for the callback)"), classes="follow-up-phone")
            yield Input(id="follow-up-phone", classes="follow-up-phone", placeholder=_("e.g. 040 1234567"))
            yield Label(_("Due date (dd.mm.yyyy)"))
            yield Input(id="follow-up-due")
            yield Label(_("Who does it"))
            yield Select([], prompt=_("Choose a worker"), id="follow-up-assignee")
            yield Label(_("Note"))
            yield Input(id="follow-up-note", placeholder=_("What to check or agree on"))
            yield Static(id="follow-up-error")

    def enter(self, draft: ContactDraft) -> None:
        self._draft = draft
        today = self.ctx.now().date()
        # The service-need assessment's limit standing (none on the advice path): the
        # follow-up keeps it, whatever the segment, and its note says what is owed.
        deadlines = self.flow.refresh_deadlines()
        limit = assessment_limit(deadlines)
        suggested, suggested_due = suggest_follow_up(
            draft.outcome_kind, draft.segment, today, draft.urgency, draft.register, draft.anonymous,
            draft.high_need, assessment_by=limit.day if limit else None,
        )
        if self.suggestion_changed("follow-up-kinds", (suggested, suggested_due)):
            # Chosen for another outcome or segment: the new suggestion and its due date.
            draft.follow_up_kind, draft.follow_up_due = suggested, None
            self.query_one("#follow-up-due", Input).value = ""
        current = draft.follow_up_kind if draft.follow_up_due else suggested
        # Only what the contact can be saved with (never offered, then refused).
        offered = [kind for kind in OFFERED if follow_up_allowed(draft, kind)]
        offer_codes(self.query_one("#follow-up-kinds", OptionList), offered, suggested, current)
        client = self.flow.client
        # A nurse cannot call back without a number: the callback asks for it here, and the
        # number goes on the client (the one-contact promise: nobody sends the caller back).
        self._no_phone = client is not None and not client.phone
        why = no_callback_reason(draft) or (
            _("No phone number is recorded for the client: a callback asks for it.") if self._no_phone else ""
        )
        self.query_one("#follow-up-why", Static).update(why)
        self.query_one("#follow-up-why", Static).display = bool(why)
        due = draft.follow_up_due or suggested_due
        due_input = self.query_one("#follow-up-due", Input)
        if not due_input.value and due:
            due_input.value = due.strftime(DATE_FORMAT)
        register = draft.service_area.register if draft.service_area else (self.ctx.viewer.register if self.ctx.viewer else None)
        workers = self.ctx.store.workers_of_unit(draft.unit_id, register)
        assignee = self.query_one("#follow-up-assignee", Select)
        assignee.set_options([(Text(shown(w.name, NAME_SHOWN)), w.id) for w in workers])
        named = draft.named_contact or ""
        named_worker = named.removeprefix("worker:") if named.startswith("worker:") else None
        wanted = draft.follow_up_assignee_id or named_worker or draft.worker_id
        if any(w.id == wanted for w in workers):
            assignee.value = wanted
        note = self.query_one("#follow-up-note", Input)
        if draft.follow_up_note and not note.value:
            note.value = draft.follow_up_note
        owed = (
            _("Service-need assessment: start it or check that it started ({limit})").format(
                limit=limit_phrase(deadlines, limit))
            if limit is not None and suggested_due is not None and suggested_due <= limit.day
            else ""
        )
        if note.value == self._owed_note or not note.value:
            # The note said what the assessment's limit was; the limit changed (or went).
            note.value = owed
        self._owed_note = owed
        self._show_details(draft.follow_up_kind)

    def _show_details(self, kind: FollowUpKind) -> None:
        self.query_one("#follow-up-details").display = kind != FollowUpKind.NONE
        for widget in self.query(".follow-up-phone"):
            widget.display = self._asks_phone(kind)

    def _asks_phone(self, kind: FollowUpKind) -> bool:
        return kind == FollowUpKind.CALLBACK and self._no_phone

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._draft.follow_up_kind = FollowUpKind(event.option.id)
        self._show_details(self._draft.follow_up_kind)
        if self._draft.follow_up_kind == FollowUpKind.NONE:
            self.next()
        elif self._asks_phone(self._draft.follow_up_kind):
            self.focus_now(self.query_one("#follow-up-phone", Input))
        else:
            self.focus_now(self.query_one("#follow-up-due", Input))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "follow-up-phone":
            self.post_message(self.Answered())  # a line asking for the number goes once it is given
            self.focus_now(self.query_one("#follow-up-due", Input))
        elif event.input.id == "follow-up-due":
            self.focus_now(self.query_one("#follow-up-note", Input))
        else:
            self.next()

    def apply(self, draft: ContactDraft) -> None:
        error = self.query_one("#follow-up-error", Static)
        error.update("")
        self._phone_problem = ""
        if self._asks_phone(draft.follow_up_kind):
            self._take_phone(draft)
        if draft.follow_up_kind == FollowUpKind.NONE:
            draft.follow_up_due = draft.follow_up_assignee_id = None
            draft.follow_up_note = ""
            return
        text = self.query_one("#follow-up-due", Input).value
        draft.follow_up_due = parse_day(text)
        if draft.follow_up_due is None and text.strip():
            error.update(Text(_("Not a date: {text}").format(text=text), style=themed("$alarm-line")))
        elif draft.follow_up_due is not None and draft.follow_up_due < self.ctx.now().date():
            error.update(Text(_("The due date has passed: {text}").format(text=text), style=themed("$alarm-line")))
            draft.follow_up_due = None
        assignee = self.query_one("#follow-up-assignee", Select).value
        draft.follow_up_assignee_id = assignee if isinstance(assignee, str) else None
        draft.follow_up_note = self.query_one("#follow-up-note", Input).value.strip()

    def _take_phone(self, draft: ContactDraft) -> None:
        """The number typed goes on the client, in E.164, as a change of the client in the
        access log; none typed, or not a number, and the callback cannot go on."""
        typed = self.query_one("#follow-up-phone", Input).value
        if not typed.strip():
            self._phone_problem = _("A callback needs the client's phone number: type it, or choose another follow-up.")
            return
        try:
            phone = normalize_phone(typed)
        except InvalidPhone as error:
            self._phone_problem = str(error)
            return
        if phone == self._phone_saved:
            return  # already on the client (a second apply, a language switch: nothing written)
        client = self.flow.client  # read again if a sync merged it away meanwhile
        try:
            self.ctx.store.clients.update_client(
                client.id if client is not None else draft.client_id, self.ctx.now(), self.ctx.viewer, phone=phone,
            )
        except DomainError as error:  # the client gone or the store refusing: said, nothing lost
            self._phone_problem = str(error)
            return
        self.flow.forget_client()
        # The field stays while the step is shown: a typo corrected after Enter is saved too
        # (the review of 6.12.2026: the first number stayed on the client, the fix was ignored).
        self._phone_saved = phone

    def problems(self, draft: ContactDraft) -> list[str]:
        return [self._phone_problem] if self._phone_problem and self._asks_phone(draft.follow_up_kind) else []

    def focus_default(self) -> None:
        self.focus_now(self.query_one("#follow-up-kinds", OptionList))
