"""The question list on its own: a tiny app mounts only the widget with a protocol made for the
test, and the keys a worker presses answer the questions, without walking the contact flow."""

from __future__ import annotations

from textual.app import ComposeResult

from ohjaus_core.domain.codes import Register, ServiceArea, Urgency
from ohjaus_core.domain.protocols.model import Domain, Protocol, Question
from ohjaus_tui.theme import ThemedApp
from ohjaus_tui.widgets.question_list import QuestionList


def question(qid: str, text: str, **flags) -> Question:
    flags.setdefault("red_flag", False)
    flags.setdefault("if_yes", None)
    return Question(id=qid, texts={"fi": text, "sv": text, "en": text}, **flags)


PROTOCOL = Protocol(
    id="test_cough", version=1, register=Register.HEALTH, service_areas=(ServiceArea.HEALTH,), order=1,
    titles={"fi": "Yskä", "sv": "Hosta", "en": "Cough"}, default_urgency=Urgency.NON_URGENT,
    questions=(
        question("breathing", "Severe shortness of breath?", red_flag=True, life_threat=True),
        question("unconscious", "Unconscious or hard to wake?", red_flag=True, life_threat=True),
        question("fever", "Fever over 38 degrees?", if_yes=Urgency.THREE_DAYS),
        question("fever_days", "Fever for more than three days?", if_yes=Urgency.SAME_DAY, show_if="fever"),
        question("baby_pauses", "Pauses in the baby's breathing?", red_flag=True, ages=(0, 1)),
        question("older_alone", "Lives alone at 75 or over?", if_yes=Urgency.THREE_DAYS, ages=(75, 120)),
        question("concern", "The nurse's own concern?", if_yes=Urgency.SAME_DAY, nurse_concern=True),
    ),
)


class QuestionsApp(ThemedApp):
    """Only the question list, showing PROTOCOL for a client of `age`; every answer kept."""

    def __init__(self, age: int | None = None, answers: dict[str, bool] | None = None,
                 citizen: dict[str, bool] | None = None):
        super().__init__()
        self.age, self.given, self.citizen = age, answers or {}, citizen
        self.answered: list[QuestionList.Answered] = []

    def compose(self) -> ComposeResult:
        yield QuestionList(id="questions")

    shows = PROTOCOL

    def on_mount(self) -> None:
        questions = self.query_one(QuestionList)
        questions.show(self.shows, self.given, self.citizen, age=self.age)
        questions.focus()

    def on_question_list_answered(self, message: QuestionList.Answered) -> None:
        self.answered.append(message)


def shown(app: QuestionsApp) -> str:
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip).rstrip() for strip in strips)


def row(app: QuestionsApp, text: str) -> str:
    return next(line for line in shown(app).splitlines() if text in line)


def highlighted(app: QuestionsApp) -> str:
    questions = app.query_one(QuestionList)
    return questions.get_option_at_index(questions.highlighted).id


async def test_yes_and_no_keys_answer_the_highlighted_question_and_move_on():
    app = QuestionsApp(age=40)
    async with app.run_test(size=(90, 20)) as pilot:
        await pilot.pause()
        assert highlighted(app) == "breathing"
        await pilot.press("e")
        assert highlighted(app) == "unconscious"
        await pilot.press("n", "k")
        await pilot.pause()
        assert app.answered[-1].answers == {"breathing": False, "unconscious": False, "fever": True}
        # The answer stands before its question; a red flag is marked "!".
        assert "No ! Severe shortness of breath?" in shown(app)
        assert "Yes Fever over 38 degrees?" in shown(app)
        assert "Fever for more than three days?" in shown(app)
        # The fever's follow-up is asked now, and the highlight waits on it.
        assert highlighted(app) == "fever_days"
        await pilot.press("y")
        await pilot.pause()
        assert app.answered[-1].answers["fever_days"] is True


async def test_a_follow_up_goes_with_its_answer_when_its_reason_turns_no():
    app = QuestionsApp(age=40, answers={"fever": True, "fever_days": True})
    async with app.run_test(size=(90, 20)) as pilot:
        await pilot.pause()
        assert "Fever for more than three days?" in shown(app)
        await pilot.press("down", "down")  # from the first life threat to the fever
        assert highlighted(app) == "fever"
        await pilot.press("e")
        await pilot.pause()
        assert "Fever for more than three days?" not in shown(app)
        assert app.answered[-1].answers == {"fever": False}


async def test_zero_answers_every_unanswered_life_threat_no_and_keeps_a_yes():
    app = QuestionsApp(age=40, answers={"unconscious": True})
    async with app.run_test(size=(90, 20)) as pilot:
        await pilot.pause()
        await pilot.press("0")
        await pilot.pause()
        assert app.answered[-1].answers == {"breathing": False, "unconscious": True}
        assert highlighted(app) == "fever"  # on to the protocol's own questions


async def test_a_question_for_other_ages_is_not_shown():
    app = QuestionsApp(age=40)
    async with app.run_test(size=(90, 20)) as pilot:
        await pilot.pause()
        text = shown(app)
        assert "Pauses in the baby's breathing?" not in text
        assert "Lives alone at 75 or over?" not in text
        assert "Fever over 38 degrees?" in text and "The nurse's own concern?" in text
    app = QuestionsApp(age=0)
    async with app.run_test(size=(90, 20)) as pilot:
        await pilot.pause()
        assert "Pauses in the baby's breathing?" in shown(app)
        assert "Lives alone at 75 or over?" not in shown(app)


async def test_with_the_age_unknown_every_age_limited_question_is_asked():
    app = QuestionsApp(age=None)
    async with app.run_test(size=(90, 20)) as pilot:
        await pilot.pause()
        text = shown(app)
        assert "Pauses in the baby's breathing?" in text and "Lives alone at 75 or over?" in text


async def test_the_clients_own_answer_is_marked_until_the_worker_confirms_it():
    app = QuestionsApp(age=40, answers={"breathing": False, "unconscious": False, "fever": True},
                       citizen={"fever": True})
    async with app.run_test(size=(90, 20)) as pilot:
        await pilot.pause()
        assert "[client's answer]" in row(app, "Fever over 38")
        assert highlighted(app) == "fever"  # the client's answer waits for the worker
        await pilot.press("k")
        await pilot.pause()
        assert "[client's answer]" not in row(app, "Fever over 38")
        assert app.answered[-1].citizen == {} and app.answered[-1].answers["fever"] is True


SOCIAL = Protocol(
    id="test_social", version=1, register=Register.SOCIAL, service_areas=(ServiceArea.WORKING_AGE,), order=1,
    titles={"fi": "Arvio", "sv": "Bedömning", "en": "Assessment"}, default_urgency=Urgency.NON_URGENT,
    questions=(
        question("danger", "Danger now?", red_flag=True, domain="safety"),
        question("housing_lost", "Home lost?", if_yes=Urgency.THREE_DAYS, domain="housing"),
        question("nowhere", "Nowhere to sleep tonight?", domain="housing"),
        question("today", "Must something be arranged today?"),
        question("info", "Information only?"),
    ),
    domains=(
        Domain("safety", {"fi": "Turvallisuus", "sv": "Säkerhet", "en": "Safety"}),
        Domain("housing", {"fi": "Asuminen", "sv": "Boende", "en": "Housing"}),
    ),
)


class SocialQuestionsApp(QuestionsApp):
    shows = SOCIAL


async def test_a_protocol_with_need_domains_shows_each_domains_title_and_the_arrows_pass_it_by():
    """24 social questions: the counsellor sees which need domain each belongs to; a title is
    never highlighted, answered or counted."""
    app = SocialQuestionsApp(age=40)
    async with app.run_test(size=(90, 20)) as pilot:
        await pilot.pause()
        text = shown(app)
        lines = [line.strip("▊▎ ") for line in text.splitlines()]
        for title in ("Safety", "Housing", "The situation as a whole"):
            assert lines.count(title) == 1, title
        assert text.index("Safety") < text.index("Danger now?") < text.index("Housing")
        assert text.index("Housing") < text.index("Home lost?") < text.index("Nowhere to sleep tonight?")
        assert text.index("The situation as a whole") < text.index("Must something be arranged today?")
        assert highlighted(app) == "danger"
        await pilot.press("e")  # over the housing title to the first housing question
        assert highlighted(app) == "housing_lost"
        await pilot.press("up")
        assert highlighted(app) == "danger"
        await pilot.press("down", "down", "down")  # the titles are passed by
        assert highlighted(app) == "today"
        await pilot.press("k")
        await pilot.pause()
        assert app.answered[-1].answers == {"danger": False, "today": True}
