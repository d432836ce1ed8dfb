"""Step 5: the outcome - advice, a booking, a referral, or an emergency redirect."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ohjaus_core.domain.codes import Handover, OutcomeKind, Register, Segment, Urgency
from ohjaus_core.domain.contact import ContactDraft, Step
from ohjaus_core.domain.deadlines.contact import DeadlineKind, assessment_limit, booking_deadline
from ohjaus_core.domain.segmentation import suggest_outcome
from ohjaus_core.domain.slots import CHILD_HEALTH_PROFESSIONS, fitting_professions, mark, slots_for_draft
from ohjaus_core.i18n import N_, _, format_date
from ...flow import duty_line
from ...theme import themed
from ...widgets.enter_keys import ConsentBox
from ...widgets.slot_picker import SlotPicker
from .base import StepPanel, offer_codes
from .deadline_info import limit_phrase
from .referral import ReferralChoice


FITTING, EVERY = "=fitting", "=every"  # F3's first choices; never a profession's code


class OutcomeStep(ReferralChoice, StepPanel):
    step = Step.OUTCOME
    BINDINGS = [
        Binding("f7", "all_professions", N_("All professions")),
        Binding("f3", "choose_profession", N_("Profession")),
        Binding("f4", "another_referral", N_("Another referral")),
        Binding("f2", "record_duty", N_("Duty made")),
    ]
    _all_professions = False
    # One profession the worker chose with F3 (its code), or None: the fitting ones (or all).
    _profession: str | None = None
    _filter_for: str | None = None  # the protocol the profession filter was set for

    def action_all_professions(self) -> None:
        """F7: the slots of every profession, not only those that fit the protocol."""
        self._all_professions = not self._all_professions
        self._profession = None
        if self._draft.outcome_kind == OutcomeKind.BOOKING:
            self._show_slots()

    def action_choose_profession(self) -> None:
        """F3: the slots of one profession (a physiotherapist after all, or only a doctor)."""
        from ..prompt import PickScreen

        draft = self._draft
        if draft.outcome_kind != OutcomeKind.BOOKING or draft.service_area is None:
            return
        names: dict[str, str] = {}
        for offer in self.flow.free_slots(self.flow.child()):
            names.setdefault(offer.profession_code, offer.profession)
        protocol = self.flow.protocol()
        choices = []
        if protocol is not None and protocol.professions:
            choices.append((FITTING, _("Professions that fit the need")))
        choices.append((EVERY, _("All professions")))
        choices += sorted(names.items(), key=lambda item: item[1])

        def chosen(code: str | None) -> None:
            if code is None:
                return
            self._profession = None if code in (FITTING, EVERY) else code
            self._all_professions = code == EVERY
            self._show_slots()
            self.focus_now(self.query_one("#slot-table"))

        self.app.push_screen(PickScreen(_("Slots of which profession?"), choices), chosen)

    def compose(self) -> ComposeResult:
        yield Label(_("Outcome"))
        yield OptionList(id="outcome-kinds")
        yield Static(id="duties-made")
        with Vertical(id="duty-box", classes="outcome-box"):
            yield Static(Text(_("F2 records a notification or a safety response made; Enter goes on."), style="dim"))
        with Vertical(id="advice-box", classes="outcome-box"):
            yield Label(_("Advice given"))
            yield Input(id="advice-text", placeholder=_("What advice was given?"))
            yield Static(id="advice-owed")
        with Vertical(id="booking-box", classes="outcome-box"):
            yield SlotPicker(id="slots")
            yield Input(
                id="deadline-reason",
                placeholder=_("Why a slot past the deadline? (e.g. the client's wish)"),
            )
        with Vertical(id="referral-box", classes="outcome-box"):
            yield Static(id="referrals-made")
            yield Input(id="service-filter", placeholder=_("Filter services and authorities"))
            yield OptionList(id="services")
            yield Label(_("Hand-over"))
            yield OptionList(*[Option(h.label, id=h.value) for h in Handover], id="handover")
            yield ConsentBox(_("The client consents to sharing the information needed"), id="consent")
            yield Static(id="duty-basis")
        with Vertical(id="emergency-box", classes="outcome-box"):
            yield Static(id="emergency-text")
            yield Input(id="emergency-note", placeholder=_("What was done (e.g. 112 called with the client)"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """F2 (a duty made) only where duties apply: a social contact, or one whose answers
        raised a duty or that has one made already; a health contact does not list it."""
        draft = getattr(self, "_draft", None)
        if action == "record_duty":
            return draft is not None and (
                draft.register == "social" or bool(draft.duties) or bool(draft.duties_made)
            )
        if action == "another_referral":
            # Shown in the footer once the outcome is a referral (found in the walk of
            # 5.12.2026: at 80x24 F4 was only in F1's list, so three referrals were hard to find).
            return draft is not None and draft.outcome_kind == OutcomeKind.REFERRAL
        return True

    def enter(self, draft: ContactDraft) -> None:
        self._draft = draft
        self.refresh_bindings()
        if draft.protocol_id != self._filter_for:
            # Another protocol: the professions that fit it, not a filter set for the other.
            self._filter_for, self._profession, self._all_professions = draft.protocol_id, None, False
        suggested = suggest_outcome(draft.segment, draft.red_flags, draft.urgency, draft.anonymous, draft.duties)
        # An unidentified caller cannot be booked (a booking needs an identified client):
        # the booking is not offered at all, rather than offered and then refused. A duty made
        # (a statutory notification, a safety response) is a social contact's own outcome.
        # A client who only wants information, on the advice path (segment A), is not offered a
        # booking either (found in the walk of 5.12.2026: it stayed in the list): a worker who
        # sees a need goes back and chooses the clear need's path.
        protocol = self.flow.protocol()
        information_only = (
            draft.segment == Segment.ADVICE and protocol is not None and protocol.wants_information_only(draft.answers)
        )
        offered = [
            k for k in OutcomeKind
            if not ((draft.anonymous or information_only) and k is OutcomeKind.BOOKING)
            and (k is not OutcomeKind.DUTY or draft.register == Register.SOCIAL.value or draft.duties_made)
        ]
        if suggested not in offered:
            suggested = OutcomeKind.ADVICE
        if draft.outcome_kind not in offered:
            draft.outcome_kind = None
        if self.suggestion_changed("outcome-kinds", suggested):
            # Chosen for another segment or urgency: the new suggestion is highlighted.
            draft.outcome_kind = None
        if draft.red_flags:
            draft.outcome_kind = OutcomeKind.EMERGENCY
        elif draft.outcome_kind == OutcomeKind.EMERGENCY and draft.urgency != Urgency.EMERGENCY:
            # The red flag that forced the redirect was answered no after all.
            draft.outcome_kind = None
        # The service-need assessment's limit standing (SHL 36 §): advice given is not all
        # that is owed, whatever the segment - the label and the advice box say so.
        deadlines = self.flow.refresh_deadlines()
        limit = assessment_limit(deadlines)
        offer_codes(
            self.query_one("#outcome-kinds", OptionList), offered, suggested, draft.outcome_kind,
            label=lambda kind: kind.worded(draft.register, assessment_owed=limit is not None),
        )
        owed = self.query_one("#advice-owed", Static)
        owed.display = limit is not None
        owed.update(Text(
            _("Still owed beyond the advice: {limit} (Social Welfare Act 36 §)").format(
                limit=limit_phrase(deadlines, limit)) if limit is not None else "",
            style=themed("$caution"),
        ))
        self.query_one("#emergency-text", Static).update(Text(
            _("Redirect to urgent help now: call 112 or the social emergency services.")
            if draft.register == Register.SOCIAL.value
            else _("Redirect to emergency care now: call 112 or go to the emergency department."),
            style=themed("bold $alarm-line-text on $alarm-line"),
        ))
        self._fill_text("#advice-text", draft.advice_text)
        self._fill_text("#emergency-note", draft.outcome_note if draft.outcome_kind == OutcomeKind.EMERGENCY else "")
        self.query_one("#consent", Checkbox).value = draft.consent
        self._show_box(draft.outcome_kind)
        self._show_duties_made()

    def _fill_text(self, selector: str, value: str) -> None:
        field = self.query_one(selector, Input)
        if value and not field.value:
            field.value = value

    def _show_box(self, kind: OutcomeKind | None) -> None:
        for box in self.query(".outcome-box"):
            box.display = kind is not None and box.id == f"{kind.value}-box"
        if kind == OutcomeKind.BOOKING:
            self._show_slots()
        elif kind == OutcomeKind.REFERRAL:
            self._show_services()

    # -- booking ----------------------------------------------------------------------------

    def _show_slots(self) -> None:
        draft = self._draft
        store = self.ctx.store
        now = self.ctx.now()
        urgency = draft.urgency or Urgency.NON_URGENT
        deadlines = self.flow.refresh_deadlines()
        deadline = booking_deadline(deadlines)
        draft.care_deadline = deadline
        child = self.flow.child()
        free = self.flow.free_slots(child)
        protocol = self.flow.protocol()
        profession_name = next((o.profession for o in free if o.profession_code == self._profession), None)
        if self._profession is not None:
            # F3: the one profession the worker chose.
            free = [o for o in free if o.profession_code == self._profession]
        elif protocol is not None and not self._all_professions:
            # Only the professions that fit the need (the protocol's `professions`); F7 widens.
            free = fitting_professions(free, protocol.professions)
        offers = slots_for_draft(
            free, draft, deadline=deadline, not_before=now, professions_first=CHILD_HEALTH_PROFESSIONS if child else (),
        )
        first = offers[0].slot_id if offers else None
        if self.suggestion_changed("slots", (first, deadline, draft.service_area, draft.language)):
            # Other slots fit now (urgency, service area or language changed): the earliest
            # fitting one is highlighted, not the one held for the earlier case.
            draft.slot_id, draft.past_deadline, draft.deadline_reason = None, False, ""
            self.query_one("#deadline-reason", Input).value = ""
        if draft.slot_id and all(o.slot_id != draft.slot_id for o in offers):
            held = store.bookings.slot_offer(draft.slot_id)
            if held is not None:
                offers.insert(0, mark(
                    held, language=draft.language.value, preferred_unit_id=draft.unit_id,
                    deadline=deadline,
                ))
        # The held slot measured again: the urgency (so the deadline) may have changed since.
        held_offer = next((o for o in offers if o.slot_id == draft.slot_id), None)
        if held_offer is not None:
            draft.past_deadline = held_offer.past_deadline
        lines = [_("Urgency: {urgency}").format(urgency=urgency.worded(draft.register))]
        if deadline is not None:
            lines.append(_("Deadline: {date}").format(date=format_date(deadline)))
        for other in deadlines:
            if other.kind is DeadlineKind.PROMISE and other.day != deadline:
                lines.append(
                    _("Region's promise: care by {date}").format(date=format_date(other.day))
                )
        lines.append(_("Client's language of service: {language}").format(language=draft.language.label))
        if self._profession is not None:
            lines.append(
                _("Profession: {profession}; F3 chooses another").format(profession=profession_name or self._profession)
            )
        elif protocol is not None and protocol.professions:
            lines.append(
                _("All professions (F7)") if self._all_professions
                else _("Professions that fit the need; F7 shows all, F3 one")
            )
        self.query_one(SlotPicker).show(offers, " · ".join(lines), draft.slot_id)
        self._show_deadline_reason()

    def _show_deadline_reason(self) -> None:
        draft = self._draft
        reason = self.query_one("#deadline-reason", Input)
        reason.display = draft.past_deadline
        if draft.deadline_reason and not reason.value:
            reason.value = draft.deadline_reason

    def on_slot_picker_chosen(self, event: SlotPicker.Chosen) -> None:
        event.stop()
        draft = self._draft
        draft.slot_id = event.offer.slot_id
        draft.past_deadline = event.offer.past_deadline
        self._show_deadline_reason()
        if draft.past_deadline:
            # Booking past the deadline is allowed, but only with a reason that is kept.
            self.focus_now(self.query_one("#deadline-reason", Input))
        else:
            self.next()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "service-filter":
            event.stop()
            self._show_services()

    # -- duties -----------------------------------------------------------------------------

    def action_record_duty(self) -> None:
        """F2: a notification or a safety response made, with its law, never asking consent;
        also about a person who is not the caller (issue 16)."""
        from ..duty import DutyScreen

        draft = self._draft
        protocol = self.flow.protocol()
        if protocol is None or not protocol.duties:
            protocol = next((p for p in self.ctx.shipped.protocols if p.duties), None)
        if protocol is None:
            return

        def made(duty) -> None:
            if duty is None:
                return
            draft.duties_made.append(duty)
            if draft.outcome_kind is None:
                draft.outcome_kind = OutcomeKind.DUTY
                self.enter(draft)
            self._show_duties_made()
            self.post_message(self.Problems(""))
            self.focus_now(self.query_one("#outcome-kinds", OptionList))

        self.app.push_screen(
            DutyScreen(list(protocol.duties), list(draft.duties), self.ctx.shipped.service, self.ctx.now), made,
        )

    def _show_duties_made(self) -> None:
        made = self.query_one("#duties-made", Static)
        duties = self._draft.duties_made
        made.display = bool(duties)
        text = Text(_("Duties made in this contact (F2 adds one):"), style="bold")
        for duty in duties:
            text.append("\n  " + duty_line(self.ctx, duty))
        made.update(text)

    # -- keys -------------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#outcome-kinds")
    def outcome_kind_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        kind = self._draft.outcome_kind = OutcomeKind(event.option.id)
        self.refresh_bindings()
        self._show_box(kind)
        if kind != OutcomeKind.DUTY:
            self._focus_box()
        elif self._draft.duties_made:
            self.next()
        else:
            self.action_record_duty()

    @on(OptionList.OptionSelected, "#services")
    def service_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._draft.service_code = event.option.id
        self._offer_handovers()
        self._show_consent()
        self.focus_now(self.query_one("#handover", OptionList))

    @on(OptionList.OptionSelected, "#handover")
    def handover_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        handover = self._draft.handover = Handover(event.option.id)
        self._show_consent()
        if handover == Handover.WARM and not self._draft.legal_basis:
            self.focus_now(self.query_one("#consent", Checkbox))
        else:
            self.next()

    def on_consent_box_done(self, event: ConsentBox.Done) -> None:
        event.stop()
        self.next()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "service-filter":
            self.focus_now(self.query_one("#services", OptionList))
        else:
            self.apply(self._draft)
            self.next()

    def _focus_box(self) -> None:
        kind = self._draft.outcome_kind
        target = {
            OutcomeKind.ADVICE: "#advice-text",
            OutcomeKind.BOOKING: "#slot-table",
            OutcomeKind.REFERRAL: "#services",
            OutcomeKind.EMERGENCY: "#emergency-note",
        }.get(kind)
        if target:
            self.focus_now(self.query_one(target))

    def apply(self, draft: ContactDraft) -> None:
        draft.advice_text = self.query_one("#advice-text", Input).value.strip()
        if draft.outcome_kind == OutcomeKind.EMERGENCY:
            draft.outcome_note = self.query_one("#emergency-note", Input).value.strip()
        draft.consent = self.query_one("#consent", Checkbox).value and not draft.legal_basis
        draft.deadline_reason = (
            self.query_one("#deadline-reason", Input).value.strip() if draft.past_deadline else ""
        )

    def focus_default(self) -> None:
        self.focus_now(self.query_one("#outcome-kinds", OptionList))
