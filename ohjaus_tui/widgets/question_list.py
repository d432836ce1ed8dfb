"""Yes/no protocol questions answered from the keyboard (k/y = yes, e/n = no)."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ..domain.protocols import Protocol
from ..i18n import N_, _


class QuestionList(OptionList):
    BINDINGS = [
        Binding("k,y", "answer(True)", N_("Yes")),
        Binding("e,n", "answer(False)", N_("No")),
    ]

    class Answered(Message):
        def __init__(self, answers: dict[str, bool]) -> None:
            self.answers = answers
            super().__init__()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.protocol: Protocol | None = None
        self.answers: dict[str, bool] = {}

    def show(self, protocol: Protocol, answers: dict[str, bool]) -> None:
        self.protocol = protocol
        self.answers = {q.id: answers[q.id] for q in protocol.questions if q.id in answers}
        self._refresh_options()
        unanswered = [i for i, q in enumerate(protocol.questions) if q.id not in self.answers]
        self.highlighted = unanswered[0] if unanswered else 0

    def _refresh_options(self) -> None:
        assert self.protocol is not None
        highlighted = self.highlighted
        self.clear_options()
        for question in self.protocol.questions:
            answer = self.answers.get(question.id)
            mark = "   " if answer is None else (_("Yes") if answer else _("No"))
            prompt = Text()
            prompt.append(f"{mark:>5} ", style="bold green" if answer is False else "bold red")
            if question.red_flag:
                prompt.append("! ", style="bold red")
            prompt.append(question.text)
            self.add_option(Option(prompt, id=question.id))
        if highlighted is not None:
            self.highlighted = highlighted

    def action_answer(self, yes: bool) -> None:
        if self.protocol is None or self.highlighted is None:
            return
        question = self.protocol.questions[self.highlighted]
        self.answers[question.id] = yes
        self._refresh_options()
        unanswered = [i for i, q in enumerate(self.protocol.questions) if q.id not in self.answers]
        following = [i for i in unanswered if i > self.highlighted] or unanswered
        if following:
            self.highlighted = following[0]
        self.post_message(self.Answered(dict(self.answers)))
