"""The contact flow: one screen for one contact, steps visible, saved after every step."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import ContentSwitcher, Static

from ohjaus_core.domain.contact import ContactDraft, Step, step_problems
from ohjaus_core.domain.contact_requests import REPLY_LABELS
from ohjaus_core.domain.clock import local
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.languages import language_name
from ohjaus_core.domain.protected import non_disclosure
from ohjaus_core.domain.text import LINE_NAME, shown
from ohjaus_core.i18n import N_, _, format_moment
from ..flow import ContactFlow
from ..messages import SyncFinished
from ..theme import themed
from ..widgets.step_bar import StepBar
from .confirm import ConfirmScreen
from .frame import BackScreen
from .steps.assessment import AssessmentStep
from .steps.base import StepPanel
from .steps.client import ClientStep
from .steps.deadline_info import deadline_text
from .steps.follow_up import FollowUpStep
from .steps.need import NeedStep
from .steps.outcome import OutcomeStep
from .steps.segment import SegmentStep
from .steps.summary import SummaryStep

PANELS: dict[Step, type[StepPanel]] = {
    Step.CLIENT: ClientStep,
    Step.NEED: NeedStep,
    Step.ASSESSMENT: AssessmentStep,
    Step.SEGMENT: SegmentStep,
    Step.OUTCOME: OutcomeStep,
    Step.FOLLOW_UP: FollowUpStep,
    Step.SUMMARY: SummaryStep,
}


class ContactScreen(BackScreen):
    CSS_PATH = "contact.tcss"
    TITLE_ID = "contact-header"

    BINDINGS = [
        Binding("ctrl+n", "next", N_("Next")),
        Binding("ctrl+s", "sign", N_("Sign")),
        Binding("f8", "discard", N_("Discard draft")),
        Binding("f10", "no_answer", N_("No answer")),
        Binding("ctrl+q", "app.quit", N_("Quit")),
    ]
    # What the footer keeps at 80 columns; F1 lists the rest.
    # On the outcome step F4 (another referral, once the outcome is a referral) and F2 (a duty
    # made, where duties apply) come before the sync view, which F1 still lists; on the
    # questions, both answers' keys (K yes, E no: in Finnish there was room for E only).
    # Ctrl+N (next) before the language and the lock: in a text field (the reason) it is the
    # key that goes on, and at 80x24 in Finnish it was left out (the walk of 5.12.2026).
    # Enter on a list that shows it (the high-need plan's: Choose) before Ctrl+N.
    KEY_PRIORITY = (
        "back", "answer(True)", "answer(False)", "select", "next", "sign", "another_referral", "record_duty",
        "switch_language", "lock", "sync_view", "app.quit",
    )

    def __init__(self, draft: ContactDraft, saved: bool = False, client_query: str = "") -> None:
        """`client_query`: typed into the client search to start with (a callback's phone)."""
        super().__init__()
        # The draft, its client and its time limits, given to every step (attributes down).
        self.flow = ContactFlow(self.ctx, draft)
        self.saved = saved  # has the draft reached the store yet?
        self.client_query = client_query
        self._answered: list[str] | None = None  # callbacks this contact answers, once asked
        self._problems_of: Step | None = None  # the step whose problems Ctrl+N is showing

    def body(self) -> ComposeResult:
        yield Static(id="deadlines")
        yield StepBar(id="step-bar")
        with ContentSwitcher(id="steps"):
            for step, panel in PANELS.items():
                step_panel = panel(id=f"step-{int(step)}")
                step_panel.flow = self.flow
                yield step_panel
        yield Static(id="problems")

    def on_mount(self) -> None:
        # A resumed draft: fill the earlier steps too, so going back shows what was typed.
        for step in Step:
            if step < self.draft.step:
                self.panel(step).enter(self.draft)
        self.show_step(self.draft.step)
        if self.client_query and self.draft.step == Step.CLIENT:
            self.query_one("#client-query").value, self.client_query = self.client_query, ""

    def before_relabel(self) -> None:
        """A language switch: what is typed in the open step goes into the draft first."""
        self.panel(self.draft.step).apply(self.draft)

    def after_relabel(self) -> None:
        self.on_mount()

    @property
    def draft(self) -> ContactDraft:
        return self.flow.draft

    def panel(self, step: Step) -> StepPanel:
        return self.query_one(f"#step-{int(step)}", StepPanel)

    def show_step(self, step: Step) -> None:
        self.draft.step = step
        self.query_one(StepBar).current = step
        self.query_one("#problems", Static).update("")
        self._problems_of = None
        panel = self.panel(step)
        panel.enter(self.draft)
        self.query_one(ContentSwitcher).current = panel.id
        self._update_header()
        panel.focus_default()

    def _update_header(self) -> None:
        draft, client = self.draft, self.flow.client
        # Wrapped, never cut (contact.tcss): at 80 columns the urgency (a social one is worded
        # long) and the language of service went past the edge (the walk of 5.12.2026); a
        # second line is taken only when the words need it.
        text = Text()
        language = draft.language.label
        if client:
            if client.protected:
                text.append(" " + non_disclosure() + " ", style=themed("bold $alarm-text on $alarm"))
                text.append(" ")
            # Cut well short of the width: the language of service and the urgency stay in sight.
            text.append(shown(f"{client.last_name} {client.first_name}", LINE_NAME), style="bold")
            if client.service_language:
                language = language_name(client.service_language)
        elif draft.anonymous:
            text.append(_("Unidentified client"), style="bold")
        else:
            text.append(_("New contact"), style="bold")
        text.append("  " + _("Service language: {language}").format(language=language), style=themed("$info"))
        if client and client.interpreter:
            text.append("  " + _("Interpreter needed"), style=themed("bold $info"))
        if draft.urgency:
            style = themed("bold $alarm-text on $alarm") if draft.red_flags else "bold"
            text.append("  ")
            text.append(draft.urgency.worded(draft.register), style=style)
        if draft.reply_channel in REPLY_LABELS:  # a digital contact request's: how to reply
            text.append("  " + _("Reply: {how}").format(how=_(REPLY_LABELS[draft.reply_channel])), style=themed("$notice"))
        if draft.version > 1:
            text.append("  " + _("Correction, version {n}").format(n=draft.version), style=themed("$caution"))
        if client and client.protected:
            # The warning on a line of its own.
            text.append("\n")
            text.append(
                _("Non-disclosure order: address and municipality are not shown; every view is logged."),
                style=themed("bold $alarm"),
            )
        self.query_one("#contact-header", Static).update(text)
        self.update_deadlines()

    def update_deadlines(self) -> None:
        """The contact's time limits, kept in sight on every step (issue 4)."""
        deadlines = self.flow.refresh_deadlines()
        line = self.query_one("#deadlines", Static)
        line.display = bool(deadlines)
        line.update(deadline_text(deadlines, self.ctx.now().date()))

    # -- moving between steps ---------------------------------------------------------------

    def on_step_panel_next(self, event: StepPanel.Next) -> None:
        event.stop()
        self.action_next()
        # Keys typed ahead of the next step's field (held by the client step's Enter): the
        # field has the focus now.
        self.app.call_later(self.ohjaus.release_keys)

    def on_step_panel_deadlines_changed(self, event: StepPanel.DeadlinesChanged) -> None:
        event.stop()
        # The urgency is one of what the limits depend on: the header's urgency follows it at
        # once (a worry changed on the assessment step left the header's old urgency beside
        # the new limits until the next step). The header redraws the limits too.
        self._update_header()

    def on_step_panel_answered(self, event: StepPanel.Answered) -> None:
        """What Ctrl+N said was missing is said again without what was given since: a line
        that stayed after its choice was made read as if the choice had not counted."""
        event.stop()
        if self._problems_of != self.draft.step:
            return
        panel = self.panel(self.draft.step)
        panel.apply(self.draft)
        problems = step_problems(self.draft, self.draft.step) + panel.problems(self.draft)
        self._problems_of = self.draft.step if problems else None
        self.query_one("#problems", Static).update(
            Text("\n".join(problems), style=themed("bold $alarm-line")) if problems else ""
        )

    def on_step_panel_problems(self, event: StepPanel.Problems) -> None:
        event.stop()
        self.show_problems(event.problems)

    def show_problems(self, problems: str | Text) -> None:
        self.query_one("#problems", Static).update(problems)

    def on_sync_finished(self, event: SyncFinished) -> None:
        """What a sync round brought may have changed the client: read again when next shown."""
        self.flow.forget_client()

    def on_screen_resume(self) -> None:
        # Back from the client's view (F2: a consent, a merge) or another screen: the client
        # is read again once, not at every step.
        self.flow.forget_client()

    def action_next(self) -> None:
        step = self.draft.step
        if step == Step.SUMMARY:
            self.action_sign()
            return
        panel = self.panel(step)
        panel.apply(self.draft)
        problems = step_problems(self.draft, step) + panel.problems(self.draft)
        if problems:
            self.query_one("#problems", Static).update(Text("\n".join(problems), style=themed("bold $alarm-line")))
            self._problems_of = step
            self.app.bell()
            return
        if self._save(Step(step + 1)):
            self.show_step(Step(step + 1))

    def action_back(self) -> None:
        step = self.draft.step
        self.panel(step).apply(self.draft)
        if step == Step.CLIENT:
            self.dismiss(None)
            return
        if self.saved and not self._save(Step(step - 1)):
            return
        self.show_step(Step(step - 1))

    def _save(self, step: Step) -> bool:
        previous = self.draft.step
        self.draft.step = step
        try:
            self.ctx.store.contacts.save_draft(self.draft, self.ctx.now(), self.ctx.viewer)
        except DomainError as error:
            self.draft.step = previous
            self.query_one("#problems", Static).update(Text(str(error), style=themed("bold $alarm-line")))
            self.app.bell()
            return False
        self.saved = True
        return True

    # -- typed text saved as it is typed ----------------------------------------------------

    # The free-text fields outside the assessment and the draft field each one fills. A kill
    # at any key loses at most that key (issue 15); the assessment's own answers are saved by
    # its step through `save_typed()`.
    TYPED = {
        "reason": "reason",
        "advice-text": "advice_text",
        "emergency-note": "outcome_note",
        "deadline-reason": "deadline_reason",
        "follow-up-note": "follow_up_note",
    }

    def on_input_changed(self, event) -> None:
        field = self.TYPED.get(event.input.id or "")
        if field is None or getattr(self.draft, field) == event.value:
            return
        setattr(self.draft, field, event.value)
        self.save_typed()

    def save_typed(self) -> None:
        """Save the draft as it stands, at its step, once it has reached the store: called
        for every typed character and every choice that does not move to another step."""
        if not self.saved:
            return
        try:
            # No access-log entry for each key: the step's save logs the change.
            self.ctx.store.contacts.save_draft(self.draft, self.ctx.now())
        except DomainError as error:
            self.query_one("#problems", Static).update(Text(str(error), style=themed("bold $alarm-line")))

    def action_sign(self) -> None:
        if self.draft.step != Step.SUMMARY:
            self.action_next()
            return
        if self._answered is None and self.draft.client_id:
            viewer = self.ctx.viewer
            waiting = self.ctx.store.worklist.open_callbacks_of_client(
                self.draft.client_id, viewer.register if viewer else None
            )
            if waiting:
                self._ask_about_callbacks(waiting)
                return
        self._sign(self._answered or [])

    def _ask_about_callbacks(self, waiting) -> None:
        """The client is in the callback queue: asked once whether this contact answers it,
        so that nobody calls them again for what was handled now (issue 15)."""
        when = ", ".join(format_moment(local(row.requested_at)) for row in waiting)
        question = _("This contact answers the callback of {when}?").format(when=when)

        def answered(yes: bool | None) -> None:
            self._answered = [row.id for row in waiting] if yes else []
            self._sign(self._answered)

        self.app.push_screen(ConfirmScreen(question), answered)

    def _sign(self, answered: list[str]) -> None:
        try:
            self.ctx.store.contacts.sign(self.draft, self.ctx.now(), self.ctx.viewer, answered)
        except DomainError as error:
            self.query_one("#problems", Static).update(Text(str(error), style=themed("bold $alarm-line")))
            self.app.bell()
            return
        self.app.notify(_("Contact signed."), timeout=4)
        self.dismiss(self.draft.id)
        self.ohjaus.action_sync_now()  # on its way at once, if online

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """F10 (no answer) only in a contact started from a callback request: elsewhere it
        neither shows in the footer nor does anything."""
        if action == "no_answer":
            if not hasattr(self, "_from_callback"):
                self._from_callback = bool(self.saved and self.ctx.store.worklist.callback_of_contact(self.draft.id))
            return self._from_callback
        return super().check_action(action, parameters)

    def action_no_answer(self) -> None:
        """A contact started from a callback request whose caller did not answer: no contact
        was made, so the draft goes and the request goes back to the queue with the call
        counted (or becomes a letter or message after the region's last try)."""
        from .home import HomeScreen

        callback = self.ctx.store.worklist.callback_of_contact(self.draft.id) if self.saved else None
        if callback is None:
            self.notify(_("No answer is recorded on a contact started from a callback request."), timeout=5)
            return
        if HomeScreen.record_no_answer(self.app, self.ctx, callback.id):
            self.dismiss(None)

    def action_discard(self) -> None:
        def discard(yes: bool | None) -> None:
            if yes:
                if self.saved:
                    self.ctx.store.contacts.discard_draft(self.draft.id)
                self.dismiss(None)

        question = _("Discard this contact? What was typed is lost.")
        self.app.push_screen(ConfirmScreen(question, enter_means_yes=False), discard)
