"""Digital contact requests on the device (issue 20): their own section of the worklist (never
cut, oldest first, with the time waited); taking one opens a contact with the client found by
the identity code the form gave, the reason written, the protocol chosen from the answers, the
client's answers filled in and marked as theirs until the nurse confirms or changes each, the
suggestion recomputed, the reply channel on the contact; signing closes the request."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable

from ohjaus_core.domain.callbacks import CallbackRequest
from ohjaus_core.domain.codes import Channel, OutcomeKind, Register, Segment, Urgency
from ohjaus_core.domain.contact import Step, step_problems
from ohjaus_core.domain.contact_requests import SOURCE_PREFIX
from ohjaus_core.domain.worklist import WorkKind
from ohjaus_tui.screens.contact import ContactScreen
from ohjaus_tui.widgets.question_list import QuestionList

from ..conftest import FIXED_NOW
from ..factories import nurse_unit, worker
from ..pilot_helpers import a_client_not_waiting, items, section, sign_in

THROAT = {"severe_breathing_difficulty": False, "cannot_swallow_saliva": False, "has_fever": True, "fever_over_3_days": True}


def add_request(store, unit_id: str, source: str, minutes: int, **fields) -> None:
    values = dict(
        name="Maija Lomake", phone="+358402220001", reason="Kurkku kipeä neljättä päivää", answers=dict(THROAT),
        own_urgency="three_days", preference="call_back",
    )
    values.update(fields)
    store.worklist.import_callbacks([CallbackRequest(
        line=1, requested_at=FIXED_NOW - timedelta(minutes=minutes), source=SOURCE_PREFIX + source,
        register=Register.HEALTH, origin="e_service", **values,
    )], unit_id, FIXED_NOW)


def nurse_viewer(store):
    nurse = worker(store, "hoitaja1")
    return nurse, store.viewer(nurse.id)


def test_requests_have_their_own_section_oldest_first_never_cut(store, shipped):
    from ohjaus_core.domain.contact import ContactDraft

    nurse, viewer = nurse_viewer(store)
    for n in range(30):
        add_request(store, nurse.unit_id, f"many-{n}", 400 - n)
    for _ in range(210):
        store.contacts.save_draft(ContactDraft(worker_id=nurse.id, unit_id=nurse.unit_id, started_at=FIXED_NOW - timedelta(days=2)), FIXED_NOW, viewer)
    listed = store.worklist.worklist(viewer, shipped.region, FIXED_NOW)
    requests = [i for i in listed if i.kind == WorkKind.REQUEST]
    assert len(requests) >= 30 and [i.since for i in requests] == sorted(i.since for i in requests)
    callbacks = [i for i in listed if i.kind == WorkKind.CALLBACK]
    assert listed[: len(callbacks) + len(requests)] == callbacks + requests
    assert len(listed) - len(callbacks) - len(requests) == 200


def test_taking_a_request_prefills_the_contact_and_signing_closes_it(store, shipped):
    nurse, viewer = nurse_viewer(store)
    client = a_client_not_waiting(store)
    add_request(
        store, nurse.unit_id, "known", 30, identity_code=client.identity_code, phone="", preference="message",
        name="Tunnettu Lomakkeella",
        other_answers="Oletko kokeillut kipulääkettä?: Burana",
        answers={**THROAT, "saddle_numbness": False},
    )
    item = next(i for i in store.worklist.worklist(viewer, shipped.region, FIXED_NOW) if i.kind == WorkKind.REQUEST and i.id.startswith(""))
    item = next(i for i in store.worklist.worklist(viewer, shipped.region, FIXED_NOW) if i.kind == WorkKind.REQUEST and i.since == FIXED_NOW - timedelta(minutes=30))
    draft = store.worklist.take_callback(item.id, viewer, FIXED_NOW, shipped.protocols)
    assert (draft.client_id, draft.channel, draft.reply_channel, draft.step) == (client.id, Channel.E_SERVICE, "message", Step.NEED)
    assert draft.protocol_id == "sore_throat" and draft.answers == THROAT == draft.citizen_answers
    # Nothing lost: the answer no throat question asks and the form's free answer are in the reason.
    assert draft.reason.startswith("Kurkku kipeä neljättä päivää")
    assert "Burana" in draft.reason and "saddle" not in draft.reason and ": No" in draft.reason
    # Kept with the draft (a kill keeps the marks and the reply channel).
    again = store.contacts.load_draft(draft.id)
    assert (again.citizen_answers, again.reply_channel) == (THROAT, "message")
    assert any(p.startswith("Confirm or change the client's own answers") for p in step_problems(again, Step.ASSESSMENT))
    # Confirmed, and the rest of the contact done: signing closes the request with it.
    again.citizen_answers = {}
    again.suggested_urgency = again.urgency = Urgency.THREE_DAYS
    again.suggested_segment = again.segment = Segment.ADVICE
    again.outcome_kind, again.advice_text = OutcomeKind.ADVICE, "Kurkkuviljely huomenna."
    store.contacts.sign(again, FIXED_NOW + timedelta(minutes=5), viewer)
    row = store.worklist.callback(item.id)
    assert (row.status, row.contact_id, row.result) == ("done", draft.id, "contact signed")
    assert item.id not in {i.id for i in store.worklist.worklist(viewer, shipped.region, FIXED_NOW)}
    assert store.contacts.load_draft(draft.id).reply_channel == "message"


async def test_a_nurse_takes_a_request_sees_the_answers_marked_and_confirms_them(app, store):
    unit = nurse_unit(store)
    add_request(store, unit, "pilot", 50, name="Maija Lomake")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "hoitaja1")
        label = str(app.screen.query_one("#requests-label").render())
        assert "E-service requests:" in label and "the longest" in label
        rows = section(app, "#requests")
        mine = next(n for n, i in enumerate(i for i in items(app) if i.kind == WorkKind.REQUEST) if i.who == "Maija Lomake")
        assert "own estimate" in rows[mine][3] and "Call back" in rows[mine][1]
        table = app.screen.query_one("#requests", DataTable)
        table.focus()
        table.move_cursor(row=mine)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        draft = app.screen.draft
        assert draft.protocol_id == "sore_throat" and draft.citizen_answers == THROAT
        app.screen.show_step(Step.ASSESSMENT)
        await pilot.pause()
        questions = app.screen.query_one("#questions", QuestionList)
        marked = [q for q in questions.shown if q.id in questions.citizen]
        assert {q.id for q in marked} == set(THROAT)
        assert "Marked: the client's own answer;" in str(app.screen.query_one("#questions-label").render())
        before = draft.suggested_urgency
        # The nurse confirms the first mark with the same answer and changes "cannot swallow" to yes.
        questions.focus()
        index = questions._index(next(q for q in questions.shown if q.id == "severe_breathing_difficulty"))
        questions.highlighted = index
        await pilot.press("e")
        index = questions._index(next(q for q in questions.shown if q.id == "cannot_swallow_saliva"))
        questions.highlighted = index
        await pilot.press("k")
        await pilot.pause()
        assert set(draft.citizen_answers) == {"has_fever", "fever_over_3_days"}
        assert draft.answers["cannot_swallow_saliva"] is True
        assert draft.red_flags == ["cannot_swallow_saliva"] and draft.suggested_urgency != before
    assert store.contacts.load_draft(draft.id).citizen_answers == {"has_fever": True, "fever_over_3_days": True}
