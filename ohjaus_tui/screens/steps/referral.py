"""The referral part of the outcome step: the services that fit the need, the hand-over, the
client's consent or the law of a statutory notification, and more than one referral (F4)."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widgets import Checkbox, Input, OptionList, Static
from textual.widgets.option_list import Option

from ohjaus_core.domain.catalogue import by_need, services_for
from ohjaus_core.domain.codes import Handover, OutcomeKind, Register, Urgency
from ohjaus_core.domain.contact import Step, step_problems
from ohjaus_core.i18n import _
from ...theme import themed


class ReferralChoice:
    """Mixed into the outcome step (before StepPanel), whose referral box it fills: the
    services list, the hand-over list, the consent box and the lines about them."""

    def _show_services(self) -> None:
        draft = self._draft
        register = draft.service_area.register if draft.service_area else Register.HEALTH
        text = self.query_one("#service-filter", Input).value.strip().lower()
        age = self.flow.client_age()
        # The services that fit the need domains found and the client's age first.
        services = [
            s for s in by_need(
                services_for(self.ctx.shipped.catalogue, register), draft.domains, age,
                [q for q, yes in draft.answers.items() if yes],
                urgent=draft.urgency is not None and draft.urgency.rank <= Urgency.SAME_DAY.rank,
                anonymous=draft.anonymous,
            )
            if not text or text in s.name.lower() or text in s.description.lower()
        ]
        found = set(draft.domains)
        listing = self.query_one("#services", OptionList)
        listing.clear_options()
        for service in services:
            prompt = Text(service.name, style="bold")
            if not service.fits_age(age):
                prompt.append("  " + _("(for ages {ages})").format(ages=service.ages), style=themed("bold $caution"))
            elif found & set(service.domains):
                prompt.append("  " + _("(fits the need)"), style=themed("bold $fine"))
            prompt.append(f"  {service.description}", style="dim")
            listing.add_option(Option(prompt, id=service.code))
        codes = [s.code for s in services]
        if self.suggestion_changed("services", register):
            # Another register's services: a service chosen from the other list is not offered.
            draft.service_code, draft.handover, draft.consent = None, None, False
            draft.referrals = []
            self.query_one("#consent", Checkbox).value = False
        listing.highlighted = codes.index(draft.service_code) if draft.service_code in codes else 0
        self._show_referrals_made()
        self._offer_handovers()
        self._show_consent()

    def on_key(self, event: events.Key) -> None:
        """Letters typed on the services list filter it (the walk of 5.12.2026: the list has
        the focus, arrows and Enter choose, and what was typed was lost): each goes into the
        filter, which takes the focus; Enter there goes back to the list. The keys typed
        behind the first wait until the filter has the focus (OhjausApp.hold_keys)."""
        listing, field = self.query_one("#services", OptionList), self.query_one("#service-filter", Input)
        # A letter reaches here only from the list (the filter takes its own): one typed
        # before the filter had the focus still goes into it.
        if self.screen.focused not in (listing, field) or not event.is_printable or event.key == "space":
            return
        event.stop()
        event.prevent_default()
        field.insert_text_at_cursor(event.character or "")
        self.focus_now(field)
        self.ohjaus.hold_keys()
        self.app.call_after_refresh(self.ohjaus.release_keys)

    def action_another_referral(self) -> None:
        """F4: the referral chosen is kept and another one is chosen (several needs: several
        referrals, each with its own hand-over and consent)."""
        draft = self._draft
        if draft.outcome_kind != OutcomeKind.REFERRAL:
            return
        self.apply(draft)
        problems = step_problems(draft, Step.OUTCOME)
        if problems:
            self.post_message(self.Problems(Text("\n".join(problems), style=themed("bold $alarm-line"))))
            return
        self.post_message(self.Problems(""))
        draft.referrals.append(draft.current_referral)
        draft.service_code, draft.handover, draft.consent, draft.legal_basis = None, None, False, ""
        self.query_one("#consent", Checkbox).value = False
        self.query_one("#service-filter", Input).value = ""
        self._show_services()
        self.focus_now(self.query_one("#services", OptionList))

    def _show_referrals_made(self) -> None:
        made = self.query_one("#referrals-made", Static)
        made.display = bool(self._draft.referrals)
        text = Text(_("Referrals made in this contact:"), style="bold")
        for referral in self._draft.referrals:
            service = self.ctx.shipped.service(referral.service_code)
            text.append(f"\n  {service.name if service else referral.service_code}, {referral.handover.label}")
            if referral.consent:
                text.append(", " + _("consent recorded"))
            if referral.legal_basis:
                text.append(", " + _("statutory notification"))
        text.append("\n" + _("F4 adds another referral."), style="dim")
        made.update(text)

    def _show_consent(self) -> None:
        """A warm hand-over asks the client's consent, except a statutory notification: a
        duty made without consent (also when the person concerned is not the caller), whose
        law is shown and recorded instead."""
        draft = self._draft
        service = self.ctx.shipped.service(draft.service_code or "")
        draft.legal_basis = service.legal_basis if service is not None and service.duty else ""
        if draft.legal_basis:
            draft.consent = False
            self.query_one("#consent", Checkbox).value = False
        self.query_one("#consent").display = draft.handover == Handover.WARM and not draft.legal_basis
        basis = self.query_one("#duty-basis", Static)
        basis.display = bool(draft.legal_basis)
        basis.update(Text(
            _("A statutory notification: made without the client's consent. Basis: {basis}").format(
                basis=draft.legal_basis
            ),
            style="bold",
        ))

    def _offer_handovers(self) -> None:
        """A warm hand-over only where the service takes one (catalogue's warm_handover)."""
        service = self.ctx.shipped.service(self._draft.service_code or "")
        offered = [h for h in Handover if h != Handover.WARM or (service and service.warm_handover)]
        handover = self.query_one("#handover", OptionList)
        handover.clear_options()
        for option in offered:
            handover.add_option(Option(option.label, id=option.value))
        if self._draft.handover not in offered:
            self._draft.handover = None
        handover.highlighted = offered.index(self._draft.handover) if self._draft.handover else 0

