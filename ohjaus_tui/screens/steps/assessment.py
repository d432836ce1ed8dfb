"""Step 3: the initial assessment (ensiarvio) - protocol, questions, red flags, urgency."""

from __future__ import annotations

import json

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ohjaus_core.domain.codes import Register, Urgency, WorryLevel
from ohjaus_core.domain.contact import ContactDraft, Step
from ohjaus_core.domain.contact_requests import prefill
from ohjaus_core.domain.identity import age_in_years
from ohjaus_core.domain.protocol_finder import find_protocols
from ohjaus_core.domain.protocols.evaluation import WORRY, evaluate
from ohjaus_core.domain.protocols.model import Protocol, protocols_for
from ohjaus_core.domain.segmentation import (
    SegmentReason,
    child_welfare_consideration,
    segment_by_answers,
    triggers_from_domains,
)
from ohjaus_core.i18n import N_, _
from ...theme import themed
from ...widgets.jump_list import JumpList
from ...widgets.question_list import QuestionList
from .base import StepPanel, offer_codes


class AssessmentStep(StepPanel):
    step = Step.ASSESSMENT

    # The finder keeps the focus while typing; arrows move the highlight in the protocols
    # below it, Enter takes the highlighted one (as in the client step). A focused list
    # moves its own highlight first.
    BINDINGS = [
        Binding("down", "move(1)", N_("Next protocol"), show=False),
        Binding("up", "move(-1)", N_("Previous protocol"), show=False),
    ]

    def compose(self) -> ComposeResult:
        label, example = self._finder_words(self.flow.draft.register)
        yield Label(label, id="protocol-find-label")
        yield Input(id="protocol-find", placeholder=example)
        yield Static(id="protocol-none")
        yield JumpList(id="protocols")
        # The suggestion sits above the questions so that it stays in sight while answering.
        yield Static(id="suggestion")
        yield Label(id="questions-label")
        yield QuestionList(id="questions")
        yield Label(_("Your level of worry (Enter chooses)"), id="worry-label")
        yield OptionList(*[Option(w.label, id=w.value) for w in WorryLevel], id="worry")
        yield Label(_("Urgency (Enter accepts; choose another only with a reason)"), id="urgency-label")
        yield OptionList(*[Option(u.label, id=u.value) for u in Urgency], id="urgency")
        yield Input(id="override-reason", placeholder=_("Why another urgency than suggested?"))

    @staticmethod
    def _finder_words(register: str | None) -> tuple[str, str]:
        """The finder's guide and example words: symptoms on a health contact, the client's
        situation on a social one (words the social protocol's need domains are found by)."""
        if register == Register.SOCIAL.value:
            return (
                _("Protocol: type a situation or a letter; arrows move, Enter chooses"),
                _("e.g. housing, income, family"),
            )
        return (
            _("Protocol: type a symptom or a letter; arrows move, Enter chooses"),
            _("e.g. sugar, throat, dizzy"),
        )

    def enter(self, draft: ContactDraft) -> None:
        self._draft = draft
        label, example = self._finder_words(draft.register)
        self.query_one("#protocol-find-label", Label).update(label)
        self.query_one("#protocol-find", Input).placeholder = example
        protocols = protocols_for(self.ctx.shipped.protocols, draft.service_area)
        self._protocols = {p.id: p for p in protocols}
        self._age = self._client_age(draft)
        self._list_protocols(self.query_one("#protocol-find", Input).value)
        override = self.query_one("#override-reason", Input)
        if draft.override_reason and not override.value:
            override.value = draft.override_reason
        self._show_protocol()

    def _client_age(self, draft: ContactDraft) -> int | None:
        """The client's age in years from the birth date or identity code; None when the
        contact is anonymous or neither gives it (the finder then ignores ages)."""
        client = self.flow.client
        if client is None:
            return None
        return age_in_years(self.ctx.now().date(), client.birth_date, client.identity_code)

    def _list_protocols(self, typed: str) -> None:
        """The protocols the typed word finds (keywords and lay words in fi/sv/en, then titles
        beginning with it), or every one when nothing is typed - those the reason in the
        client's words finds first ("puristava rintakipu": chest pain), so the usual choice is
        Enter alone; where several fit, each shows its line on when to choose it. The first hit
        is highlighted: a letter and Enter."""
        typed = typed.strip()
        everything = list(self._protocols.values())
        if not typed:
            by_reason = find_protocols(everything, self._draft.reason, self._age)
            hits = by_reason + [p for p in everything if p not in by_reason]
        else:
            found = find_protocols(everything, typed, self._age) if len(typed) >= 3 else []
            start = typed.casefold()
            hits = found + [
                p for p in everything if p not in found and p.title.casefold().startswith(start)
            ]
        listing = self.query_one("#protocols", OptionList)
        listing.clear_options()
        hints = bool(typed) and len(hits) > 1
        for protocol in hits:
            prompt = Text(protocol.title)
            if hints and protocol.choose_hint:
                prompt.append("\n  " + protocol.choose_hint, style="dim")
            listing.add_option(Option(prompt, id=protocol.id))
        ids = [p.id for p in hits]
        if not typed and self._draft.protocol_id in ids:
            listing.highlighted = ids.index(self._draft.protocol_id)
        else:
            listing.highlighted = 0 if ids else None
        message = self.query_one("#protocol-none", Static)
        message.display = bool(typed) and not hits
        message.update(
            _("No protocol found for \u201c{word}\u201d: try another word.").format(word=typed)
        )

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "protocol-find":
            event.stop()
            self._list_protocols(event.value)

    def _protocol(self) -> Protocol | None:
        return self._protocols.get(self._draft.protocol_id or "")

    def _show_protocol(self) -> None:
        protocol = self._protocol()
        questions = self.query_one("#questions", QuestionList)
        questions.display = protocol is not None
        self.query_one("#questions-label").display = protocol is not None
        asks_worry = protocol is not None and protocol.asks_worry
        self._draft.worry_required = asks_worry
        self.query_one("#worry").display = asks_worry
        self.query_one("#worry-label").display = asks_worry
        if asks_worry and self._draft.worry_level is not None:
            self.query_one("#worry", OptionList).highlighted = list(WorryLevel).index(
                self._draft.worry_level
            )
        if protocol is not None:
            questions.show(protocol, self._draft.answers, self._draft.citizen_answers, self._age)
            self._draft.citizen_answers = dict(questions.citizen)
            label = _("Questions: K/Y = yes, E/N = no.")
            if questions.citizen:
                label = _("Marked: the client's own answer; K/Y or E/N confirms or changes it.")
            if protocol.questions and protocol.questions[0].life_threat:
                label += " " + _("Life threats first: 0 = none of these.")
            self.query_one("#questions-label", Label).update(label)
        self._show_result()

    _marked: tuple | None = None  # (urgency marked "(suggested)", register) in the list

    def _show_result(self) -> None:
        draft = self._draft
        before = self._deadline_inputs()
        protocol = self._protocol()
        suggestion = self.query_one("#suggestion", Static)
        urgency = self.query_one("#urgency", OptionList)
        if protocol is None:
            suggestion.update("")
            draft.suggested_urgency = None
            draft.safety_net = ""
        else:
            result = evaluate(protocol, draft.answers, draft.worry_level, self._age)
            draft.red_flags = list(result.red_flags)
            draft.duties = list(result.duties)
            draft.domains = list(result.domains)
            if result.complete or result.red_flags:
                draft.suggested_urgency = result.suggested
                if draft.urgency is None or not draft.override_reason:
                    draft.urgency = result.suggested
            else:
                draft.suggested_urgency = None
            # What is shown to be read out is what the contact keeps.
            draft.safety_net = self._safety_net(protocol, draft)
            suggestion.update(self._explain(protocol, result))
        # The urgency levels in the words of the register (no care guarantee in social work).
        register = protocol.register if protocol is not None else draft.register
        if (draft.suggested_urgency, register) != self._marked:
            # "(suggested)" beside the suggested urgency, in the list itself: at 80x24 the
            # explanation above may be scrolled away while the list is in sight (issue 15).
            self._marked = (draft.suggested_urgency, register)
            offer_codes(
                urgency, list(Urgency), draft.suggested_urgency, draft.urgency,
                label=lambda level: level.worded(register),
            )
        if draft.urgency is not None:
            urgency.highlighted = list(Urgency).index(draft.urgency)
        listing = self.query_one("#protocols", OptionList)
        listing.set_class(protocol is not None, "chosen")
        # Collapsed to a few lines: keep the chosen protocol in sight.
        self.call_after_refresh(listing.scroll_to_highlight)
        self._show_urgency()
        self._show_override()
        # Redraw the deadline line when what it depends on changed, not on every answer key.
        if self._deadline_inputs() != before:
            self.post_message(self.DeadlinesChanged())

    def _deadline_inputs(self) -> tuple:
        draft, protocol = self._draft, self._protocol()
        statutory = protocol is not None and protocol.in_statutory_group(draft.answers)
        return draft.urgency, tuple(draft.duties), statutory

    def _explain(self, protocol: Protocol, result) -> Text:
        text = Text()
        if result.red_flags:
            text.append(
                _("RED FLAG: redirect to 112 / social emergency services now")
                if protocol.register is Register.SOCIAL
                else _("RED FLAG: redirect to 112 / emergency department now"),
                style=themed("bold $alarm-text on $alarm"),
            )
            text.append("\n")
        self._explain_duties(protocol, result, text)
        if (
            child_welfare_consideration(self._client_age(self._draft), protocol.register.value)
            and "child_welfare_notification" not in result.duties
        ):
            # A client under 18: the child's safety is always asked and a notification considered.
            text.append(_(
                "The client is under 18: ask about the child's safety and consider a child-welfare"
                " notification (Child Welfare Act 25 §)."
            ), style=themed("bold $caution"))
            text.append("\n")
        if not result.complete and not result.red_flags:
            if result.unanswered == (WORRY,):
                text.append(_("Choose your level of worry: press Enter."), style=themed("$caution"))
            else:
                text.append(
                    _("{n} questions unanswered").format(n=len(result.unanswered)),
                    style=themed("$caution"),
                )
            return text
        text.append(_("Suggested urgency: "), style="bold")
        text.append(result.suggested.worded(protocol.register), style="bold")
        questions = {q.id: q for q in protocol.questions}
        because = [questions[r].text for r in result.reasons if r in questions]
        if result.worry is not None:
            because.append(_("your level of worry: {worry}").format(worry=result.worry.label))
        if because:
            text.append("\n" + _("Because: "))
            text.append("; ".join(because))
        elif protocol.register is Register.HEALTH and result.by_default:
            text.append("\n" + _(
                "No answer raised the urgency: a professional's assessment within the care guarantee."
            ))
        else:
            text.append("\n" + _("Because no answer raised it (the protocol's default)."))
        if result.worry_held is not None and self._draft.worry_level is not None:
            # The worker chose a worry whose level would raise the urgency and it did not: say
            # why, or the grey zone looks ignored (version 18, [[steady_when]]).
            worry = self._draft.worry_level.label
            text.append("\n" + (
                _("Your worry ({worry}) does not shorten the time: a long-lasting difficulty with"
                  " nothing that cannot wait is assessed without undue delay (Social Welfare Act"
                  " 36 §). A great worry still does.")
                if result.worry_held == "steady" else
                _("Your worry ({worry}) does not shorten the time: an adult who asks for information"
                  " only is given advice (Social Welfare Act 36 §). A great worry still does.")
            ).format(worry=worry), style=themed("$info"))
        if (
            protocol.register is Register.SOCIAL
            and result.suggested in (Urgency.NON_URGENT, Urgency.SELF_CARE)
            and self._advice_only(protocol, result)
        ):
            # A client on the advice path for asking information only (issue 16) is given advice,
            # recorded as information given. The note says what the header says (the review of
            # 6.12.2026): no assessment only where the urgency is advice and guidance (self_care:
            # the client also manages once informed); where the answers still owe one (the
            # statutory group with a need, the grey zone, a client who may not manage), its
            # limits stand.
            if result.self_care:
                text.append("\n" + _(
                    "Information only: advice and guidance, the information given recorded - no"
                    " service-need assessment where it is plainly unnecessary (Social Welfare Act 36 §)."
                ))
            else:
                text.append("\n" + _(
                    "Information only: advice and guidance, the information given recorded - the"
                    " service-need assessment is still started within the limits shown (Social Welfare Act 36 §)."
                ))
        if result.domains:
            names = [protocol.domain(d).title for d in result.domains if protocol.domain(d)]
            text.append("\n" + _("Need domains: {domains}").format(domains=", ".join(names)))
        if self._draft.safety_net:
            text.append("\n" + _("Read out: "), style=themed("bold $info"))
            text.append(self._draft.safety_net)
        return text

    def _advice_only(self, protocol: Protocol, result) -> bool:
        """Do the answers alone put the client on the advice path for wanting information only
        (what the segment step will suggest, before any trigger from the history)?"""
        age = self._client_age(self._draft)
        suspected = frozenset(triggers_from_domains(result.domains, age))
        _segment, reasons = segment_by_answers(
            protocol, self._draft.answers, result.suggested, list(suspected), self._draft.worry_level,
            result.domains, age, from_answers=suspected,
        )
        return reasons == [SegmentReason.INFORMATION_ONLY]

    @staticmethod
    def _safety_net(protocol: Protocol, draft: ContactDraft) -> str:
        """The protocol's "call back, or 112 if ..." advice, with every suggestion that is
        not an emergency, in the language the screen shows."""
        suggested = draft.suggested_urgency
        if suggested is None or suggested is Urgency.EMERGENCY or draft.red_flags:
            return ""
        # Read out to the caller: in the language of service when the protocol has it.
        return protocol.safety_net.get(draft.language.value) or protocol.safety_net_text

    @staticmethod
    def _explain_duties(protocol: Protocol, result, text: Text) -> None:
        """Duties come first and loud: a notification is not optional."""
        for duty_id in result.duties:
            duty = protocol.duty(duty_id)
            if duty is None:
                continue
            text.append(_("DUTY: {duty}").format(duty=duty.title), style=themed("bold $caution-text on $caution"))
            text.append(f" ({duty.basis})\n")

    def _show_urgency(self) -> None:
        known = self._draft.suggested_urgency is not None
        self.query_one("#urgency").display = known
        self.query_one("#urgency-label").display = known

    def _show_override(self) -> None:
        self.query_one("#override-reason", Input).display = self._draft.overridden

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        draft = self._draft
        source = event.option_list.id
        if source == "protocols":
            finder = self.query_one("#protocol-find", Input)
            if finder.value:
                finder.value = ""  # the whole list again, the chosen one highlighted
            if draft.protocol_id != event.option.id:
                protocol = self._protocols[event.option.id]
                draft.protocol_id, draft.protocol_version = protocol.id, protocol.version
                draft.urgency, draft.override_reason, draft.worry_level = None, "", None
                draft.answers = self._client_answers(protocol)
                draft.citizen_answers = dict(draft.answers)
                self.query_one("#override-reason", Input).value = ""
            self._show_protocol()
            self.screen.save_typed()  # the chosen protocol survives a kill
            self.focus_now(self.query_one("#questions", QuestionList))
        elif source == "questions":
            protocol = self._protocol()
            if protocol and protocol.asks_worry and draft.worry_level is None and not draft.red_flags:
                self.focus_now(self.query_one("#worry", OptionList))
            elif draft.suggested_urgency is not None:
                self.next()
        elif source == "worry":
            draft.worry_level = WorryLevel(event.option.id)
            self._show_result()
            self.screen.save_typed()
            if draft.suggested_urgency is not None:
                # The suggestion the worry led to is shown, and taken by an explicit Enter on
                # the urgency list (its highlight is on the suggestion): never skipped (issue 15).
                self.focus_now(self.query_one("#urgency", OptionList))
        elif source == "urgency":
            draft.urgency = Urgency(event.option.id)
            self._show_override()
            if draft.overridden:
                self.focus_now(self.query_one("#override-reason", Input))
            else:
                draft.override_reason = ""
                self.next()

    def on_descendant_focus(self, event) -> None:
        """Past the questions, their list folds to a few lines and the suggestion, its reasons
        and any duty stay at the top of the step while the worry and the urgency are chosen."""
        after = event.widget.id in ("worry", "urgency", "override-reason")
        self.query_one("#questions", QuestionList).set_class(after, "folded")
        self.set_class(after, "deciding")  # the suggestion docks at the top (contact.tcss)
        # The worry chosen, its list folds to the chosen line while the urgency is chosen: the
        # whole urgency list fits under the suggestion at 80x24.
        worry = self.query_one("#worry", OptionList)
        chosen = event.widget.id in ("urgency", "override-reason") and self._draft.worry_level is not None
        worry.set_class(chosen, "folded")
        if chosen:
            self.call_after_refresh(worry.scroll_to_highlight)
        self._show_finder()
        if chosen:
            # The urgency list and the reason for another are the last of the step: to the end,
            # so that the whole list is under the suggestion (scrolling it into view left its
            # last option below, the layout not yet settled after the folds).
            self.call_after_refresh(self.scroll_end, animate=False)
        elif after:
            # Folding moved everything up after the focus scrolled: scroll again, so that the
            # list and its suggested option are on the screen at 80x24 (issue 15).
            self.call_after_refresh(event.widget.scroll_visible, animate=False)

    def _show_finder(self) -> None:
        """The finder's line is there while choosing; once a protocol is chosen and the
        questions have the focus, the line goes to give the questions room."""
        finder = self.query_one("#protocol-find", Input)
        choosing = self._protocol() is None or self.screen.focused in (
            finder, self.query_one("#protocols", OptionList)
        )
        finder.display = choosing

    def _client_answers(self, protocol: Protocol) -> dict[str, bool]:
        """The client's own answers from the e-service request this contact was taken for, to
        the questions of this protocol (none for any other contact)."""
        request = self.ctx.store.worklist.callback_of_contact(self._draft.id) if self._draft.channel.value == "e_service" else None
        if request is None or request.origin != "e_service":
            return {}
        return prefill(protocol, json.loads(request.answers or "{}"))

    def on_question_list_answered(self, event: QuestionList.Answered) -> None:
        event.stop()
        self._draft.answers = event.answers
        self._draft.citizen_answers = event.citizen
        self._show_result()
        self.screen.save_typed()  # every answer is in the store at once: a kill loses one key at most

    def action_move(self, step: int) -> None:
        if self.screen.focused is not self.query_one("#protocol-find", Input):
            return
        listing = self.query_one("#protocols", OptionList)
        if listing.option_count:
            current = listing.highlighted or 0
            listing.highlighted = max(0, min(listing.option_count - 1, current + step))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "protocol-find":
            self.query_one("#protocols", OptionList).action_select()
            return
        self.next()

    def apply(self, draft: ContactDraft) -> None:
        draft.override_reason = (
            self.query_one("#override-reason", Input).value.strip() if draft.overridden else ""
        )

    def focus_default(self) -> None:
        if self._protocol() is None:
            self.focus_now(self.query_one("#protocol-find", Input))
        else:
            self.focus_now(self.query_one("#questions", QuestionList))
