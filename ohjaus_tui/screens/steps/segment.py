"""Step 4: the segment - one of the three paths, suggested with its reasons.

The complex path with the high-need flag asks for the plan to make and the worker or team
responsible (seed 001); the follow-up step then asks for the agreed follow-up.
"""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, OptionList, SelectionList, Static
from textual.widgets.option_list import Option

from ohjaus_core.domain.codes import HighNeedTrigger, PlanType, Register, Segment, Urgency
from ohjaus_core.domain.contact import ContactDraft, Step
from ohjaus_core.domain.identity import age_in_years
from ohjaus_core.domain.text import NAME_SHOWN, shown
from ohjaus_core.domain.segmentation import (
    DetectedTrigger,
    SegmentReason,
    detected_triggers,
    segment_by_answers,
    triggers_from_domains,
)
from ohjaus_core.i18n import N_, _, ngettext
from ...theme import themed
from ...widgets.enter_keys import ChoiceList, TriggerList
from .base import StepPanel, offer_codes

_REASONS = {
    SegmentReason.TRIGGERS: N_("high-need triggers are marked"),
    SegmentReason.GREAT_WORRY: N_("your level of worry is great"),
    SegmentReason.MANY_DOMAINS: N_("needs in several domains"),
    SegmentReason.SELF_CARE: N_("self-care and advice are enough"),
    SegmentReason.CARE_NEEDED: N_("the assessment calls for care or a service"),
    SegmentReason.INFORMATION_ONLY: N_("the client wants information or advice only"),
    SegmentReason.STATUTORY_GREY_ZONE: N_("a client of the statutory group, in the grey zone of worry"),
    SegmentReason.ANSWERS_TOGETHER: N_("what the answers show together, with your worry, calls for a plan and a named worker"),
}
# A social contact speaks of the need for services (palvelutarve, Social Welfare Act 36 §), not
# of care or self-care (issue 16).
_SOCIAL_REASONS = {
    SegmentReason.SELF_CARE: N_("advice and guidance are enough"),
    SegmentReason.CARE_NEEDED: N_("the assessment shows a need for services"),
}


def reason_text(reason: str, register: Register | str | None) -> str:
    """Why a segment is suggested, in the words of the contact's register."""
    social = register is not None and Register(register) is Register.SOCIAL
    return _((_SOCIAL_REASONS if social and reason in _SOCIAL_REASONS else _REASONS)[reason])


TEAM = "team:"
WORKER = "worker:"


def detected_text(found: DetectedTrigger) -> str:
    if found.trigger is HighNeedTrigger.MISSED_APPOINTMENTS:
        phrase = ngettext(
            "{count} missed appointment in {days} days (limit {limit})",
            "{count} missed appointments in {days} days (limit {limit})",
            found.count,
        )
    else:
        phrase = ngettext(
            "{count} contact in {days} days (limit {limit})",
            "{count} contacts in {days} days (limit {limit})",
            found.count,
        )
    return phrase.format(count=found.count, days=found.window_days, limit=found.limit)


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
        with Vertical(id="plan-box"):
            yield Label(_("High-need client: plan to make"))
            yield ChoiceList(*[Option(p.label, id=p.value) for p in PlanType], id="plan-type")
            yield Label(_("Named worker or team responsible"))
            yield ChoiceList(id="named-contact")

    _visited = False

    def enter(self, draft: ContactDraft) -> None:
        self._draft = draft
        rules = self.ctx.shipped.region.high_need
        detected: list[DetectedTrigger] = []
        if draft.client_id:
            since = draft.started_at - timedelta(days=rules.window_days)
            store, viewer = self.ctx.store, self.ctx.viewer
            # Only the history the worker may see counts: the other register's contacts
            # are not counted without the client's consent.
            registers = store.protection.visible_registers(draft.client_id, viewer, self.ctx.now()) if viewer else None
            detected = detected_triggers(
                store.contacts.contacts_since(draft.client_id, since, registers),
                store.bookings.missed_appointments_since(draft.client_id, since, registers),
                rules,
            )
        self._detected = detected
        triggers = self.query_one("#triggers", SelectionList)
        found_now = frozenset(found.trigger for found in detected)
        # What the answers show (substance use) is pre-marked too, for the worker to confirm
        # or unmark (issue 16); unlike the history it does not count once unmarked.
        client = self.flow.client
        age = age_in_years(self.ctx.now().date(), client.birth_date, client.identity_code) if client else None
        from_answers = frozenset(triggers_from_domains(draft.domains, age))
        # Detected triggers are marked on the first visit, and again when the history shows
        # others (another client was chosen): a worker may unmark one in between.
        marked = set(draft.triggers)
        history_changed = self.suggestion_changed("triggers", found_now | from_answers)
        if not self._visited:
            marked |= found_now | from_answers
        elif history_changed:
            marked = set(found_now | from_answers)
            triggers.deselect_all()
        self._visited = True
        for trigger in marked:
            triggers.select(trigger.value)
        # What the history shows counts on every visit, whatever was marked before.
        seen = marked | found_now
        protocol = self.ctx.shipped.protocol(draft.protocol_id) if draft.protocol_id else None
        suggested, reasons = segment_by_answers(
            protocol, draft.answers, draft.urgency, [t for t in HighNeedTrigger if t in seen],
            draft.worry_level, draft.domains, age, from_answers=from_answers - found_now,
        )
        # Advice and guidance was suggested at the assessment (an information-only client who
        # manages once informed), but the history makes the client high-need (the evaluation
        # cannot see it): the complex path's plan needs the service-need assessment, so the
        # suggestion becomes the non-urgent assessment, and its limits are shown (the review of
        # 6.12.2026). A worker who chose advice with a reason keeps their choice.
        raised = (
            draft.register == Register.SOCIAL.value and draft.suggested_urgency is Urgency.SELF_CARE
            and suggested is not Segment.ADVICE
        )
        if raised:
            draft.suggested_urgency = Urgency.NON_URGENT
            if draft.urgency is Urgency.SELF_CARE and not draft.override_reason:
                draft.urgency = Urgency.NON_URGENT
            self.post_message(self.DeadlinesChanged())
        # The choice was made for another suggestion (the urgency, worry or history changed
        # since): the new suggestion is highlighted and Enter takes it.
        if draft.suggested_segment is not None and suggested != draft.suggested_segment:
            draft.segment = None
        draft.suggested_segment = suggested
        chosen = draft.segment or draft.suggested_segment
        offer_codes(
            self.query_one("#segments", OptionList), list(Segment), suggested, chosen,
            label=lambda s: s.worded(draft.register),
        )
        why = Text()
        why.append(_("Suggested because: "), style="bold")
        why.append(", ".join(reason_text(reason, draft.register) for reason in reasons))
        if draft.urgency is not None:
            why.append("\n" + _("Urgency: {urgency}").format(urgency=draft.urgency.worded(draft.register)))
        if raised:
            why.append("\n" + _(
                "Not advice and guidance alone: the history shows a high-need client, whose need is"
                " assessed (Social Welfare Act 36 §)."
            ), style=themed("$caution"))
        for found in detected:
            why.append(
                "\n" + _("Detected in history: {trigger}").format(trigger=found.trigger.label)
                + f" - {detected_text(found)}",
                style=themed("$caution"),
            )
        self.query_one("#segment-why", Static).update(why)
        self._fill_named_contacts()
        self._show_triggers(chosen)

    def _fill_named_contacts(self) -> None:
        """The unit's workers of this register, then the unit's team."""
        draft = self._draft
        register = draft.service_area.register if draft.service_area else Register.HEALTH
        listing = self.query_one("#named-contact", OptionList)
        listing.clear_options()
        ids = []
        for worker in self.ctx.store.workers_of_unit(draft.unit_id):
            if worker.sector != register.value:
                continue
            ids.append(f"{WORKER}{worker.id}")
            listing.add_option(Option(Text(shown(worker.name, NAME_SHOWN), no_wrap=True, overflow="ellipsis"), id=ids[-1]))
        ids.append(f"{TEAM}{draft.unit_id}")
        team = _("Own team: {unit}").format(unit=self.ctx.store.unit_name(draft.unit_id))
        listing.add_option(Option(Text(team), id=ids[-1]))
        own = f"{WORKER}{draft.worker_id}"
        default_plan = PlanType.CARE_PLAN if register is Register.HEALTH else PlanType.CLIENT_PLAN
        if self.suggestion_changed("plan", (register, tuple(ids))):
            # Another register (service area) or unit: its own plan and people are suggested.
            draft.plan_type, draft.named_contact = None, None
        current = draft.named_contact or own
        listing.highlighted = ids.index(current) if current in ids else 0
        plan = self.query_one("#plan-type", OptionList)
        plan.highlighted = list(PlanType).index(draft.plan_type or default_plan)

    def _show_triggers(self, segment: Segment) -> None:
        complex_need = segment == Segment.COMPLEX_NEED
        self.query_one("#triggers").display = complex_need
        self.query_one("#triggers-label").display = complex_need
        self._show_plan()

    def _show_plan(self) -> None:
        draft = self._draft
        complex_need = draft.segment == Segment.COMPLEX_NEED
        marked = bool(self.query_one("#triggers", SelectionList).selected)
        self.query_one("#plan-box").display = complex_need and marked

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        self._show_plan()

    @on(OptionList.OptionSelected, "#segments")
    def segment_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        segment = self._draft.segment = Segment(event.option.id)
        self._show_triggers(segment)
        if segment == Segment.COMPLEX_NEED:
            self.focus_now(self.query_one("#triggers", SelectionList))
        else:
            self.next()

    @on(OptionList.OptionSelected, "#plan-type")
    def plan_type_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._draft.plan_type = PlanType(event.option.id)
        self.post_message(self.Answered())  # "choose the plan" goes (the walk of 6.12.2026)
        self.focus_now(self.query_one("#named-contact", OptionList))

    @on(OptionList.OptionSelected, "#named-contact")
    def named_contact_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._draft.named_contact = event.option.id
        self.next()

    def on_trigger_list_done(self, event: "TriggerList.Done") -> None:
        event.stop()
        if self.query_one("#triggers", SelectionList).selected:
            self._show_plan()
            self.focus_now(self.query_one("#plan-type", OptionList))
        else:
            self.next()

    @on(events.DescendantFocus, "#plan-box ChoiceList")
    def _plan_box_in_sight(self) -> None:
        """The plan box whole, from its first label down: at 80x24 the list in focus alone was
        scrolled into sight, the other list and its instruction below the fold (and, with the
        step's problems shown, the worker or team they ask for out of sight)."""
        self.call_after_refresh(self.query_one("#plan-box").scroll_visible, top=True, animate=False)

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
        if not draft.high_need_plan:
            draft.plan_type, draft.named_contact = None, None
        # Ctrl+N with the complex path only highlighted: the plan fields must be in sight.
        self._show_plan()

    def focus_default(self) -> None:
        self.focus_now(self.query_one("#segments", OptionList))
