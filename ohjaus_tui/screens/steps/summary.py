"""Step 7: the whole contact on one page; Enter signs it."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from ohjaus_core.domain.calendar import add_working_days
from ohjaus_core.domain.codes import Caller, OutcomeKind
from ohjaus_core.domain.contact import ContactDraft, Step
from ohjaus_core.domain.deadlines.contact import assessment_limit
from ohjaus_core.domain.text import NAME_SHOWN, TEXT_SHOWN, shown
from ohjaus_core.i18n import _, format_date
from ...widgets.enter_keys import SummaryView
from ...theme import themed
from ...widgets.slot_picker import format_slot_time
from .base import StepPanel
from ...flow import duty_line
from .deadline_info import deadline_phrase


class SummaryStep(StepPanel):
    step = Step.SUMMARY

    def compose(self) -> ComposeResult:
        yield SummaryView(id="summary")

    def enter(self, draft: ContactDraft) -> None:
        self.query_one("#summary", Static).update(self.render_summary(draft))

    def render_summary(self, draft: ContactDraft) -> Table:
        ctx = self.ctx
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        client = self.flow.client
        if client is not None:
            who = f"{shown(f'{client.last_name} {client.first_name}', NAME_SHOWN)}  {shown(client.identity_code)}"
        else:
            who = _("Unidentified client")
        table.add_row(_("Client"), Text(who))
        table.add_row(_("Language of service"), draft.language.label)
        table.add_row(_("Channel"), draft.channel.label)
        if draft.caller is not Caller.CLIENT or draft.caller_anonymous:
            caller = draft.caller.label
            if draft.caller_anonymous:
                caller += " " + _("(anonymous)")
            table.add_row(_("Caller"), caller)
        table.add_row(_("Reason"), Text(shown(draft.reason, TEXT_SHOWN, multiline=True)))
        if draft.service_area:
            table.add_row(_("Service area"), draft.service_area.label)
        protocol = ctx.shipped.protocol(draft.protocol_id) if draft.protocol_id else None
        if protocol:
            table.add_row(_("Protocol"), Text(protocol.title))
        if draft.urgency:
            urgency = Text(draft.urgency.worded(draft.register))
            if draft.overridden:
                urgency.append(
                    "  " + _("(suggested {urgency}; reason: {reason})").format(
                        urgency=draft.suggested_urgency.worded(draft.register), reason=shown(draft.override_reason, TEXT_SHOWN)
                    )
                )
            table.add_row(_("Urgency"), urgency)
        if draft.safety_net:
            table.add_row(_("Read out"), Text(draft.safety_net))
        if draft.worry_level:
            table.add_row(_("Level of worry"), draft.worry_level.label)
        if protocol and draft.domains:
            names = [protocol.domain(d).title for d in draft.domains if protocol.domain(d)]
            table.add_row(_("Need domains"), Text(", ".join(names)))
        for duty_id in draft.duties:
            duty = protocol.duty(duty_id) if protocol else None
            if duty:
                table.add_row(_("Duty"), Text(f"{duty.title} ({duty.basis})", style=themed("bold $caution")))
        if draft.segment:
            segment = Text(draft.segment.worded(draft.register))
            if draft.high_need:
                segment.append("  " + _("High-need: ") + ", ".join(t.label for t in draft.triggers))
            table.add_row(_("Segment"), segment)
        if draft.high_need_plan and draft.plan_type:
            plan = Text(draft.plan_type.label)
            named = self._named_contact(draft.named_contact)
            if named:
                plan.append(", " + _("responsible: {who}").format(who=named))
            table.add_row(_("Plan"), plan)
        deadlines = self.flow.refresh_deadlines()
        if deadlines:
            table.add_row(_("Deadlines"), Text(", ".join(deadline_phrase(d) for d in deadlines)))
        if draft.outcome_kind:
            table.add_row(_("Outcome"), self._outcome(draft, owed=assessment_limit(deadlines) is not None))
        for duty in draft.duties_made:
            # Made without consent under its law; its receipt is confirmed the next working day.
            line = Text(duty_line(ctx, duty), style="bold")
            line.append("\n" + _("Basis: {basis}").format(basis=duty.legal_basis))
            line.append("\n" + _("Follow-up: confirm receipt by {date}").format(
                date=format_date(add_working_days(duty.made_at.date(), 1))))
            table.add_row(_("Duty made"), line)
        table.add_row(_("Follow-up"), self._follow_up(draft))
        table.add_row("", "")
        table.add_row("", Text(_("Enter or Ctrl+S signs the contact. Esc goes back."), style="dim"))
        return table

    def _outcome(self, draft: ContactDraft, owed: bool = False) -> Text:
        ctx = self.ctx
        text = Text(draft.outcome_kind.worded(draft.register, assessment_owed=owed))
        if draft.outcome_kind == OutcomeKind.ADVICE:
            text.append(f": {shown(draft.advice_text, TEXT_SHOWN, multiline=True)}")
        elif draft.outcome_kind == OutcomeKind.BOOKING and draft.slot_id:
            offer = ctx.store.bookings.slot_offer(draft.slot_id)
            if offer:
                text.append(f": {format_slot_time(offer)}, {offer.professional_name}, {offer.unit_name}")
            if draft.past_deadline:
                text.append(
                    "\n" + _("Past the deadline; reason: {reason}").format(reason=shown(draft.deadline_reason, TEXT_SHOWN)),
                    style=themed("$caution"),
                )
        elif draft.outcome_kind == OutcomeKind.REFERRAL:
            for referral in draft.all_referrals:
                service = ctx.shipped.service(referral.service_code)
                text.append(f"\n  {service.name if service else referral.service_code}, {referral.handover.label}")
                if referral.consent:
                    text.append(", " + _("consent recorded"))
                if referral.legal_basis:
                    text.append("\n  " + _("Statutory notification without consent; basis: {basis}").format(
                        basis=referral.legal_basis), style="bold")
        elif draft.outcome_kind == OutcomeKind.EMERGENCY and draft.outcome_note:
            text.append(f": {shown(draft.outcome_note, TEXT_SHOWN, multiline=True)}")
        return text

    def _named_contact(self, named: str | None) -> str | None:
        if not named:
            return None
        kind, _sep, ident = named.partition(":")
        if kind == "worker":
            worker = self.ctx.store.worker(ident)
            return shown(worker.name, NAME_SHOWN) if worker else ident
        return _("Own team: {unit}").format(unit=self.ctx.store.unit_name(ident))

    def _follow_up(self, draft: ContactDraft) -> Text:
        text = Text(draft.follow_up_kind.label)
        if draft.follow_up_due:
            worker = self.ctx.store.worker(draft.follow_up_assignee_id or "")
            text.append(f", {format_date(draft.follow_up_due)}")
            if worker:
                text.append(f", {shown(worker.name, NAME_SHOWN)}")
        if draft.follow_up_note:
            text.append(f": {shown(draft.follow_up_note, TEXT_SHOWN, multiline=True)}")
        return text

    def focus_default(self) -> None:
        self.focus_now(self.query_one("#summary"))
