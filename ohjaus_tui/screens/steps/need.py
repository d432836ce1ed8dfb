"""Step 2: the need - channel, who called, the reason in the client's words, service area."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Input, Label, Select

from ohjaus_core.domain.codes import CHILD_UNTIL, OLDER_PEOPLE_FROM, Caller, Channel, Register, ServiceArea
from ohjaus_core.domain.contact import ContactDraft, Step
from ohjaus_core.domain.identity import age_in_years
from ohjaus_core.i18n import _
from ...widgets.marks import MarkedCheckbox
from .base import StepPanel


class NeedStep(StepPanel):
    step = Step.NEED

    def compose(self) -> ComposeResult:
        yield Label(_("Reason for contact, in the client's words"))
        yield Input(id="reason", placeholder=_("What does the client say?"))
        # Who called, beside the channel: a notification is often about a person who is not
        # the caller, and the caller may stay anonymous (issue 16).
        with Horizontal(id="caller-row"):
            with Vertical(classes="need-column"):
                yield Label(_("Channel"))
                yield Select([(c.label, c.value) for c in Channel], allow_blank=False, id="channel")
            with Vertical(classes="need-column"):
                yield Label(_("Caller"))
                yield Select([(c.label, c.value) for c in Caller], allow_blank=False, id="caller")
            with Vertical(id="anonymous-column"):
                yield Label(" ")
                # [x] or [ ], not colour alone (issue 15): "▐X▌" read as ticked when it was not.
                yield MarkedCheckbox(_("Anonymous"), id="caller-anonymous")
        yield Label(_("Service area"))
        yield Select([(a.label, a.value) for a in ServiceArea], allow_blank=False, id="service-area")

    def enter(self, draft: ContactDraft) -> None:
        reason = self.query_one("#reason", Input)
        if reason.value != draft.reason and draft.reason:
            reason.value = draft.reason
        self.query_one("#channel", Select).value = draft.channel.value
        self.query_one("#caller", Select).value = draft.caller.value
        self.query_one("#caller-anonymous", Checkbox).value = draft.caller_anonymous
        area = draft.service_area or self._default_area()
        self.query_one("#service-area", Select).value = area.value

    def _default_area(self) -> ServiceArea:
        """Health care for a health worker; for a social worker the client's age decides: a
        child's families and children, 65 or over older people, else working-age adults
        (an anonymous client, or one of unknown age, too). The worker can choose another."""
        worker = self.ctx.worker
        if worker is None or worker.sector != Register.SOCIAL.value:
            return ServiceArea.HEALTH
        client = self.flow.client
        age = None if client is None else age_in_years(
            self.ctx.now().date(), client.birth_date, client.identity_code
        )
        if age is not None and age < CHILD_UNTIL:
            return ServiceArea.FAMILY
        if age is not None and age >= OLDER_PEOPLE_FROM:
            return ServiceArea.OLDER_PEOPLE
        return ServiceArea.WORKING_AGE

    def apply(self, draft: ContactDraft) -> None:
        draft.reason = self.query_one("#reason", Input).value.strip()
        draft.channel = Channel(self.query_one("#channel", Select).value)
        draft.caller = Caller(self.query_one("#caller", Select).value)
        draft.caller_anonymous = self.query_one("#caller-anonymous", Checkbox).value
        new_area = ServiceArea(self.query_one("#service-area", Select).value)
        if draft.service_area is not None and new_area != draft.service_area:
            # Another service area means another protocol, and what followed from the old one
            # (urgency, a booked slot of that area, a referral) no longer applies.
            draft.protocol_id = draft.suggested_urgency = draft.urgency = None
            draft.answers, draft.red_flags, draft.override_reason = {}, [], ""
            draft.outcome_kind = draft.slot_id = draft.service_code = draft.handover = None
            draft.consent, draft.legal_basis, draft.referrals = False, "", []
            draft.worry_level, draft.duties, draft.domains = None, [], []
            draft.plan_type = draft.named_contact = draft.care_deadline = None
            draft.past_deadline, draft.deadline_reason = False, ""
        draft.service_area = new_area

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.next()

    def focus_default(self) -> None:
        self.focus_now(self.query_one("#reason", Input))
