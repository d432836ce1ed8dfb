"""Yes/no protocol questions answered from the keyboard (k/y = yes, e/n = no).

Only the questions to ask now are listed (`visible_questions`): a follow-up question appears
when the answer it depends on is yes, and goes, with its answer, when that answer turns no.
The shared life threats come first as one block; `0` answers every unanswered one of them
"no" ("none of these"), so a caller with none of them costs one key, not eleven - except the
ones the complaint itself is about (the protocol's `asked_alone`: chest pain's pressing pain),
marked "ask on its own" and highlighted next. A protocol
with need domains (the social service-need assessment, 24 questions) shows each domain's title
above its questions, and "The situation as a whole" above the questions of no one domain, so a
counsellor scrolling a long list sees where they are; the titles are not answerable and the
arrows pass them by.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ohjaus_core.domain.protocols.model import Protocol, Question, visible_questions
from ohjaus_core.i18n import N_, _
from ..theme import themed


HEADING = "heading:"  # the option id of a need domain's title ("heading:housing")


class QuestionList(OptionList):
    BINDINGS = [
        Binding("k,y", "answer(True)", N_("Yes")),
        Binding("e,n", "answer(False)", N_("No")),
        Binding("0", "no_life_threats", N_("None of the life threats")),
    ]

    class Answered(Message):
        def __init__(self, answers: dict[str, bool], citizen: dict[str, bool] | None = None) -> None:
            self.answers = answers
            self.citizen = citizen or {}  # the client's own answers still to confirm
            super().__init__()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.protocol: Protocol | None = None
        self.age: int | None = None
        self.answers: dict[str, bool] = {}
        self.shown: list[Question] = []
        # Answers the client gave in an e-service form, shown marked as theirs until the
        # worker confirms (the same key) or changes (the other key) each.
        self.citizen: dict[str, bool] = {}

    def show(
        self, protocol: Protocol, answers: dict[str, bool], citizen: dict[str, bool] | None = None,
        age: int | None = None,
    ) -> None:
        """List `protocol`'s questions for a client of `age` (every question when unknown)."""
        self.protocol = protocol
        self.age = age
        self.answers = {q.id: answers[q.id] for q in protocol.questions if q.id in answers}
        self.citizen = {qid: yes for qid, yes in (citizen or {}).items() if self.answers.get(qid) == yes}
        self._drop_hidden()
        self._refresh_options()
        self.highlighted = self._index(self._next_unanswered(-1))

    def on_resize(self, event: events.Resize) -> None:
        """Folded to a line or grown again, the list keeps the highlighted question in sight
        (not a need domain's title or whatever line the old height had at its top)."""
        self.call_after_refresh(self.scroll_to_highlight)

    def _drop_hidden(self) -> None:
        """A follow-up whose reason turned no is no longer asked: its answer goes too."""
        assert self.protocol is not None
        self.shown = list(visible_questions(self.protocol, self.answers, self.age))
        visible = {q.id for q in self.shown}
        self.answers = {qid: yes for qid, yes in self.answers.items() if qid in visible}
        self.citizen = {qid: yes for qid, yes in self.citizen.items() if qid in self.answers}

    def _index(self, question: Question | None) -> int:
        """The option index of a question (separators between the blocks count as options)."""
        if question is None:
            return 0
        for index in range(self.option_count):
            if self.get_option_at_index(index).id == question.id:
                return index
        return 0

    def _question_at(self, index: int | None) -> Question | None:
        if index is None or index >= self.option_count:
            return None
        option_id = self.get_option_at_index(index).id
        return next((q for q in self.shown if q.id == option_id), None)

    def _next_unanswered(self, after: int) -> Question | None:
        """The first unanswered question (or client's answer to confirm) after position
        `after` (of `shown`), else the first."""
        unanswered = [(i, q) for i, q in enumerate(self.shown) if q.id not in self.answers or q.id in self.citizen]
        following = [q for i, q in unanswered if i > after] or [q for _, q in unanswered]
        return following[0] if following else None

    def _refresh_options(self) -> None:
        highlighted = self._question_at(self.highlighted)
        self.clear_options()
        previous: Question | None = None
        for question in self.shown:
            heading = self._heading(previous, question)
            if heading is not None:
                self.add_option(heading)
            elif previous is not None and _block(previous) != _block(question):
                self.add_option(None)  # a rule between the life threats, the protocol's own, the concern
            self.add_option(Option(self._prompt(question), id=question.id))
            previous = question
        if highlighted is not None:
            self.highlighted = self._index(highlighted)

    def _heading(self, previous: Question | None, question: Question) -> Option | None:
        """The need domain's title above the first question of each domain (a protocol with
        domains only): a line that cannot be chosen."""
        assert self.protocol is not None
        if not self.protocol.domains or question.life_threat or question.nurse_concern:
            return None
        if previous is not None and not previous.life_threat and previous.domain == question.domain:
            return None
        domain = self.protocol.domain(question.domain) if question.domain else None
        title = domain.title if domain is not None else _("The situation as a whole")
        return Option(Text(title, style=themed("bold $info")), id=f"{HEADING}{question.domain or ''}", disabled=True)

    def _prompt(self, question: Question) -> Table:
        """The answer in a column of its own, the question beside it: a question that wraps
        keeps its lines under its own first word, answered or not."""
        answer = self.answers.get(question.id)
        mark = "" if answer is None else (_("Yes") if answer else _("No"))
        text = Text()
        if question.red_flag:
            text.append("! ", style=themed("bold $alarm"))
        text.append(question.text)
        if question.id in self.citizen:
            text.append(" [" + _("client's answer") + "]", style=themed("bold italic $notice"))
        elif answer is None and self.protocol is not None and question.id in self.protocol.asked_alone:
            text.append(" [" + _("ask on its own") + "]", style=themed("bold italic $notice"))
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(width=5, justify="right", no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_row(Text(mark, style=themed("bold $fine") if answer is False else themed("bold $alarm")), text)
        return grid

    def action_answer(self, yes: bool) -> None:
        question = self._question_at(self.highlighted)
        if self.protocol is None or question is None:
            return
        self.answers[question.id] = yes
        self.citizen.pop(question.id, None)  # the worker's answer now
        self._answered(self.shown.index(question))

    def _bulk_threats(self) -> list[Question]:
        """The life threats `0` answers: not those the complaint itself is about
        (`asked_alone`: a caller with chest pain is asked about the pressing pain on its own)."""
        assert self.protocol is not None
        return [q for q in self.shown if q.life_threat and q.id not in self.protocol.asked_alone]

    def action_no_life_threats(self) -> None:
        """Every life threat not yet answered is a no; a yes already given stays. One the
        complaint is about stays unanswered and is highlighted next."""
        if self.protocol is None:
            return
        threats = self._bulk_threats()
        if not threats:
            return
        for question in threats:
            self.answers.setdefault(question.id, False)
        alone = [q for q in self.shown if q.id in self.protocol.asked_alone and q.id not in self.answers]
        self._answered(self.shown.index(alone[0]) - 1 if alone else self.shown.index(threats[-1]))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "no_life_threats":
            return self.protocol is not None and bool(self._bulk_threats())
        return True

    def _answered(self, position: int) -> None:
        self._drop_hidden()
        self._refresh_options()
        following = self._next_unanswered(position)
        if following is not None:
            self.highlighted = self._index(following)
        self.refresh_bindings()
        self.post_message(self.Answered(dict(self.answers), dict(self.citizen)))


def _block(question: Question) -> int:
    if question.life_threat:
        return 0
    return 2 if question.nurse_concern else 1
