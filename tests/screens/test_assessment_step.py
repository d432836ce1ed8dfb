"""The assessment step as a nurse meets it (issue 13): finding the protocol by the caller's
word, the life threats answered as one block, follow-up questions that come and go, the
nurse's own concern, and the safety-netting advice read out and kept with the contact."""

from __future__ import annotations

from ohjaus_core.domain.codes import OutcomeKind, Segment, ServiceArea, Urgency
from ohjaus_core.domain.contact import ContactDraft
from ohjaus_core.domain.protocols.model import protocols_for
from ohjaus_core.domain.codes import Segment, ServiceArea, Urgency
from ohjaus_core.domain.protocols.model import protocols_for
from ohjaus_tui.screens.client_view import ClientScreen
from ohjaus_tui.store.protection import EventKind

from ..conftest import FIXED_NOW
from ..factories import advice_draft, worker
from ..pilot_helpers import a_client, answer_shown, focused_id, pick, screen_text, sign_in, start_contact, type_text

NURSE = "hoitaja1"


def health_protocols(shipped):
    return protocols_for(shipped.protocols, ServiceArea.HEALTH)


def listed(app) -> list[str]:
    listing = app.screen.query_one("#protocols")
    return [listing.get_option_at_index(i).id for i in range(listing.option_count)]


def highlighted(app) -> str:
    listing = app.screen.query_one("#protocols")
    return listing.get_option_at_index(listing.highlighted).id


def suggestion(app) -> str:
    return str(app.screen.query_one("#suggestion").render())


def shown_ids(app) -> list[str]:
    return [q.id for q in app.screen.query_one("#questions").shown]


async def test_a_lay_word_finds_the_protocol_and_enter_takes_it(app, store, shipped):
    client = a_client(store, nth=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, NURSE, client.identity_code, "Pissatessa kirvelee")
        assert focused_id(pilot) == "protocol-find"
        # Two protocols fit "kuume": both listed, each with its line on when to choose it.
        await type_text(pilot, "kuume")
        await pilot.pause()
        assert listed(app) == ["fever_adult", "fever_child"]
        text = screen_text(app)
        for protocol_id in listed(app):
            assert shipped.protocol(protocol_id).choose_hint in text
        await pilot.press(*["backspace"] * 5)
        # The caller's own word, a lay word: its protocol first, and Enter takes it.
        await type_text(pilot, "pissa")
        await pilot.pause()
        assert highlighted(app) == "urinary"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.draft.protocol_id == "urinary"
        assert focused_id(pilot) == "questions"


async def test_the_reason_in_the_clients_words_puts_its_protocol_first(app, store, shipped):
    """Nothing typed in the finder yet: the protocols the reason finds come first, the first
    highlighted, so Enter alone takes chest pain for "puristava rintakipu"; every protocol is
    still listed after them."""
    client = a_client(store, nth=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, NURSE, client.identity_code, "Puristava rintakipu alkoi tunti sitten")
        assert focused_id(pilot) == "protocol-find"
        order = listed(app)
        assert order[0] == "chest_pain" and highlighted(app) == "chest_pain"
        assert sorted(order) == sorted(p.id for p in health_protocols(shipped))
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.draft.protocol_id == "chest_pain"


async def test_a_reason_no_protocol_knows_leaves_the_usual_order(app, store, shipped):
    client = a_client(store, nth=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, NURSE, client.identity_code, "Outoa")
        assert listed(app) == [p.id for p in health_protocols(shipped)]


async def test_a_word_no_protocol_knows_says_so(app, store):
    client = a_client(store, nth=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, NURSE, client.identity_code, "Outoa")
        await type_text(pilot, "qwxz")
        await pilot.pause()
        assert listed(app) == []
        assert "No protocol found" in str(app.screen.query_one("#protocol-none").render())
        await pilot.press("enter")  # nothing to take: nothing chosen
        assert app.screen.draft.protocol_id is None


async def test_zero_answers_every_life_threat_no_and_a_yes_is_112(app, store, shipped):
    client = a_client(store, nth=3)
    protocol = shipped.protocol("urinary")
    threats = [q.id for q in protocol.questions if q.life_threat]
    assert len(threats) >= 11
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, NURSE, client.identity_code, "Kirvelee")
        await pick(pilot, "protocols", "urinary")
        await pilot.press("0")
        await pilot.pause()
        draft = app.screen.draft
        assert all(draft.answers[t] is False for t in threats)
        questions = app.screen.query_one("#questions")
        assert not questions._question_at(questions.highlighted).life_threat  # on to the protocol's own
        # Up to a life threat and yes: an emergency, whatever else.
        await pilot.press("up", "up", "k")
        await pilot.pause()
        assert draft.suggested_urgency == Urgency.EMERGENCY
        assert "112" in suggestion(app)


async def test_zero_leaves_the_life_threat_the_complaint_is_about_to_be_asked(app, store, shipped):
    """A caller with chest pain: `0` answers the other life threats no, but not the pressing
    chest pain over 15 minutes - it is marked to be asked on its own and highlighted next; its
    yes is 112."""
    client = a_client(store, nth=3)
    protocol = shipped.protocol("chest_pain")
    assert protocol.asked_alone == ("heart_attack_chest_pain",)
    others = [q.id for q in protocol.questions if q.life_threat and q.id != "heart_attack_chest_pain"]
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, NURSE, client.identity_code, "Puristava rintakipu alkoi tunti sitten")
        await pick(pilot, "protocols", "chest_pain")
        await pilot.press("0")
        await pilot.pause()
        draft = app.screen.draft
        assert all(draft.answers[t] is False for t in others)
        assert "heart_attack_chest_pain" not in draft.answers
        questions = app.screen.query_one("#questions")
        assert questions._question_at(questions.highlighted).id == "heart_attack_chest_pain"
        assert "[ask on its own]" in screen_text(app)
        await pilot.press("0")  # again: still not answered by the block key
        await pilot.pause()
        assert "heart_attack_chest_pain" not in draft.answers
        await pilot.press("k")
        await pilot.pause()
        assert draft.answers["heart_attack_chest_pain"] is True
        assert draft.suggested_urgency == Urgency.EMERGENCY
        assert "[ask on its own]" not in screen_text(app)


async def test_a_follow_up_question_comes_with_a_yes_and_goes_with_a_no(app, store, shipped):
    protocol, child = next(
        (p, q) for p in health_protocols(shipped) for q in p.questions
        if q.show_if and not shipped.protocol(p.id).questions[0].id == q.show_if
    )
    client = a_client(store, nth=4)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, NURSE, client.identity_code, "Testi")
        await pick(pilot, "protocols", protocol.id)
        assert child.id not in shown_ids(app)
        await answer_shown(pilot, child.show_if)
        draft = app.screen.draft
        assert draft.answers[child.show_if] is True
        assert child.id in shown_ids(app)
        assert shown_ids(app).index(child.id) > shown_ids(app).index(child.show_if)
        # Back to the question it follows, and no: the follow-up and its answer go.
        questions = app.screen.query_one("#questions")
        while questions._question_at(questions.highlighted).id != child.show_if:
            await pilot.press("up")
        await pilot.press("e")
        await pilot.pause()
        assert child.id not in shown_ids(app)
        assert child.id not in app.screen.draft.answers


async def test_no_answer_raising_it_says_so_and_the_concern_raises_it(app, store, shipped):
    client = a_client(store, nth=5)
    protocol = shipped.protocol("urinary")
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, NURSE, client.identity_code, "Kirvelee")
        await pick(pilot, "protocols", "urinary")
        await answer_shown(pilot)
        draft = app.screen.draft
        assert draft.suggested_urgency == protocol.default_urgency
        assert "No answer raised the urgency" in suggestion(app)
        assert shown_ids(app)[-1] == "nurse_concern"  # asked last
        await pilot.press("k")  # the nurse is worried
        await pilot.pause()
        assert draft.answers["nurse_concern"] is True
        assert draft.suggested_urgency is Urgency.EMERGENCY  # a worried nurse: emergency care
        assert "No answer raised the urgency" not in suggestion(app)


async def test_the_safety_net_read_out_is_kept_with_the_signed_contact(app, store, shipped):
    client = a_client(store, nth=6)  # a Finnish-speaking client
    protocol = shipped.protocol("urinary")
    advice = protocol.safety_net["fi"]
    assert advice
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, NURSE, client.identity_code, "Kirvelee")
        await pick(pilot, "protocols", "urinary")
        await answer_shown(pilot)
        assert advice in suggestion(app)
        contact_id = app.screen.draft.id
        await pilot.press("enter")  # accept the suggested urgency
        await pilot.press("enter", "enter")  # segment; outcome: booking
        await pilot.pause()
        await pilot.press("enter")  # the earliest slot
        await pilot.pause()
        await pilot.press("enter")  # follow-up: none
        await pilot.pause()
        assert advice[:30] in screen_text(app)  # the summary shows what was read out
        await pilot.press("enter")  # sign
        await pilot.pause()
    assert store.contacts.load_draft(contact_id).safety_net == advice
    nurse = worker(store, NURSE)
    history = store.protection.client_history(client.id, store.viewer(nurse.id), FIXED_NOW)
    told = [e for e in history.timeline if e.contact_id == contact_id and e.kind == EventKind.CONTACT]
    assert told[0].safety_net == advice  # the client's timeline shows what was read out


async def test_the_client_timeline_shows_the_advice_read_out(app, store):
    """A signed contact that kept its safety-netting advice shows it in the client's view."""
    client = a_client(store, nth=7)
    told = "Soita uudelleen, jos kuume nousee; 112, jos hengitys vaikeutuu."
    draft = advice_draft(
        store, client.id, by=worker(store, NURSE), reason="Yskää", answers={},
        suggested_segment=Segment.ADVICE, advice_text="Lepoa.", safety_net=told,
    )
    store.contacts.sign(draft, FIXED_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, NURSE)
        app.push_screen(ClientScreen(client.id))
        await pilot.pause()
        assert "Read out: Soita uudelleen" in screen_text(app)


async def test_a_childs_fever_lists_the_childs_protocol_first(app, store):
    """The client's age from the identity code: 'kuume' for a child finds the child's fever
    protocol first; the adult one stays listed, last."""
    from sqlmodel import select

    from ohjaus_core.domain.identity import age_in_years
    from ohjaus_tui.store.models import Client

    with store.session() as session:
        clients = list(session.exec(select(Client).order_by(Client.id)))
    child = next(
        c for c in clients
        if c.identity_code and (age_in_years(FIXED_NOW.date(), c.birth_date, c.identity_code) or 99) < 16
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, NURSE, child.identity_code, "Kuumetta")
        await type_text(pilot, "kuume")
        await pilot.pause()
        assert listed(app) == ["fever_child", "fever_adult"]
        assert highlighted(app) == "fever_child"


async def test_an_adult_with_a_cough_is_not_asked_the_baby_questions(app, store):
    """The cough protocol's baby and child questions are not listed for an adult client
    (issue 13 review: a nurse was asked whether a 60-year-old's nappies were dry)."""
    from sqlmodel import select

    from ohjaus_core.domain.identity import age_in_years
    from ohjaus_tui.store.models import Client

    with store.session() as session:
        clients = list(session.exec(select(Client).order_by(Client.id)))
    client = next(
        c for c in clients
        if c.identity_code and (age_in_years(FIXED_NOW.date(), c.birth_date, c.identity_code) or 0) >= 18
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, NURSE, client.identity_code, "Yskää")
        await type_text(pilot, "yskä")
        await pilot.pause()
        assert highlighted(app) == "respiratory_infection"
        await pilot.press("enter")
        await pilot.pause()
        shown = shown_ids(app)
        assert "cough_over_8_weeks" in shown and "wheezing" in shown
        assert not {"breathing_pauses_baby", "child_drinking_little", "infant_under_3_months"} & set(shown)
        assert "vauvalla" not in screen_text(app)


async def test_the_protocol_and_every_answer_are_in_the_store_as_they_are_given(app, store, shipped, data_dir):
    """Issue 15: a kill in the middle of the assessment keeps the protocol and the answers given
    (each is written when given, not when the step is left), and the resumed draft shows them."""
    from ..conftest import build_app

    client = a_client(store, nth=5)
    protocol = shipped.protocol("urinary")
    threats = [q.id for q in protocol.questions if q.life_threat]
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, NURSE, client.identity_code, "Kirvelee")
        await pick(pilot, "protocols", "urinary")
        nurse = worker(store, NURSE)
        [summary] = store.contacts.open_drafts(nurse.id)
        saved = store.contacts.load_draft(summary.id)
        assert saved.protocol_id == "urinary" and saved.answers == {}
        await pilot.press("0", "e")
        await pilot.pause()
        saved = store.contacts.load_draft(summary.id)
        assert all(saved.answers[t] is False for t in threats)
        assert len(saved.answers) == len(threats) + 1  # the life threats and the first own question
    # A new process on the same store (as after a kill): the draft is there with its answers.
    again = build_app(data_dir, shipped)
    resumed = again.ctx.store.contacts.load_draft(summary.id)
    assert resumed.protocol_id == "urinary" and len(resumed.answers) == len(threats) + 1


async def test_the_finder_speaks_of_the_clients_situation_on_a_social_contact(app, store):
    """The counsellor's finder asks for the client's situation with words of the need domains
    (it asked for symptoms: "kirjoita oire", "sokeri, kurkku"); a nurse's still asks for a symptom."""
    client = a_client(store, nth=6)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, "ohjaaja1", client.identity_code, "Vuokra rästissä")
        assert focused_id(pilot) == "protocol-find"
        finder = app.screen.query_one("#protocol-find")
        assert finder.placeholder == "e.g. housing, income, family"
        text = screen_text(app)
        assert "type a situation" in text and "symptom" not in text
        await type_text(pilot, "housing")
        await pilot.pause()
        assert listed(app) == ["social_service_need"]


async def test_the_finder_asks_for_a_symptom_on_a_health_contact(app, store):
    client = a_client(store, nth=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, NURSE, client.identity_code, "Pissatessa kirvelee")
        assert "symptom" in str(app.screen.query_one("#protocol-find-label").render())
        # In the worker's language (the English UI showed the Finnish words): the examples
        # are words the English finder knows.
        assert app.screen.query_one("#protocol-find").placeholder == "e.g. sugar, throat, dizzy"
        await type_text(pilot, "sugar")
        await pilot.pause()
        assert "diabetes_blood_sugar" in listed(app)
