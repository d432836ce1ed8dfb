"""Issue 16: duties as their own outcome, not a referral. A child-welfare notification, an older
person's notification and a safety response are recorded as made - to whom, when, how, about
whom, under which law - never gated by consent, and each leaves a follow-up to confirm that the
receiving authority got it."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from ohjaus_central.batch import Rejected, validated
from ohjaus_core.domain.calendar import add_working_days
from ohjaus_core.domain.codes import Caller, FollowUpKind, FollowUpStatus, NotifiedBy, OutcomeKind, WorryLevel
from ohjaus_core.domain.contact import ContactDraft, DutyMade, Step, step_problems
from ohjaus_tui.screens.duty import DutyScreen
from ohjaus_tui.screens.home import HomeScreen
from ohjaus_core.records import Outcome
from ohjaus_tui.store.models import FollowUp

from ..pilot_helpers import (
    focused_id, pick, pick_result, sign_in, social_assessment_to_segment, start_unidentified, type_text,
)
from ..factories import new_signed, signed_ids
from ..conftest import FIXED_NOW
from tests.screens.test_time_limits_flow import summary_text

OUTCOME_ID = "0b6a3c1e-2a51-4f7e-9a2e-333333333333"
CONTACT_ID = "0b6a3c1e-2a51-4f7e-9a2e-444444444444"
MOMENT = FIXED_NOW


def a_duty(**changed) -> DutyMade:
    fields = dict(
        duty="older_person_notification", receiver="Ikäihmisten palveluohjaus", made_at=MOMENT,
        method=NotifiedBy.EFORM, legal_basis="Vanhuspalvelulaki 980/2012 25 §", about="Naapurin iäkäs mies",
        receiver_code="older_person_notification",
    )
    fields.update(changed)
    return DutyMade(**fields)


async def test_a_neighbours_anonymous_call_ends_in_an_older_persons_notification_made(app, store):
    """The neighbour stays anonymous; the notification is about someone else, made by phone,
    without anyone's consent; signed, it leaves a follow-up to confirm the receipt."""
    before = signed_ids(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "ohjaaja1")
        await pilot.press("n")
        await pick_result(pilot, "anonymous")
        await type_text(pilot, "Naapuri: 84-vuotias mies ei selviydy kotona")
        # Who called: a neighbour, who stays anonymous (beside the channel at 80x24).
        await pilot.press("tab", "tab", "enter", "down", "down", "enter", "tab", "space")
        await pilot.pause()
        assert app.screen.query_one("#caller").value == Caller.NEIGHBOUR.value
        assert app.screen.query_one("#caller-anonymous").value is True
        await pilot.press("ctrl+n")
        await pilot.pause()
        await social_assessment_to_segment(pilot, WorryLevel.GREY_ZONE.value, None, "older_person_not_coping")
        assert focused_id(pilot) == "outcome-kinds"
        kinds = app.screen.query_one("#outcome-kinds")
        suggested = [kinds.get_option_at_index(i).id for i in range(kinds.option_count)
                     if "(suggested)" in str(kinds.get_option_at_index(i).prompt)]
        assert suggested == [OutcomeKind.DUTY.value]
        assert OutcomeKind.BOOKING.value not in [kinds.get_option_at_index(i).id for i in range(kinds.option_count)]
        # F2 is in the footer at 80x24.
        footer = " ".join(str(k.render()) for k in app.screen.query("FooterKey"))
        assert "Duty made" in footer
        await pilot.press("enter")  # the suggestion opens the duty form
        await pilot.pause()
        assert isinstance(app.screen, DutyScreen)
        first = app.screen.query_one("#duty-kinds").get_option_at_index(0)
        assert first.id == "older_person_notification" and "(raised by the answers)" in str(first.prompt)
        assert "25 §" in str(app.screen.query_one("#duty-basis").render())
        await pilot.press("enter")  # the older person's notification
        await pilot.press("enter")  # to the first receiving authority
        await pick(pilot, "duty-methods", NotifiedBy.PHONE.value)
        await type_text(pilot, "Naapurin mies, Koivukuja 3 B")
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, DutyScreen)
        made = str(app.screen.query_one("#duties-made").render())
        assert "Notification about an older person" in made and "Koivukuja 3 B" in made
        assert app.screen.query_one("#consent").display is False or not app.screen.query_one("#referral-box").display
        await pilot.press("enter")  # the duty outcome, made: on to the follow-up
        await pilot.pause()
        assert focused_id(pilot) == "follow-up-kinds"
        await pilot.press("enter")  # no other follow-up
        await pilot.pause()
        summary = summary_text(app)
        assert "Duty made" in summary and "Older Persons Act 980/2012 25 §" in summary
        assert "A neighbour (anonymous)" in summary
        assert "confirm receipt by" in summary
        await pilot.press("enter")  # sign
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    draft = new_signed(store, before)
    assert draft.anonymous and draft.client_id is None and draft.outcome_kind == OutcomeKind.DUTY
    assert draft.caller is Caller.NEIGHBOUR and draft.caller_anonymous  # kept by the store
    [duty] = draft.duties_made
    assert duty.duty == "older_person_notification" and duty.method == NotifiedBy.PHONE
    assert duty.about == "Naapurin mies, Koivukuja 3 B" and "25 §" in duty.legal_basis and duty.receiver
    assert not draft.consent and draft.all_referrals == []
    with store.session() as session:
        follow_ups = list(session.exec(select(FollowUp).where(FollowUp.contact_id == draft.id)))
    assert [(f.kind, f.status) for f in follow_ups] == [(FollowUpKind.CONFIRM_DUTY.value, FollowUpStatus.OPEN.value)]
    assert follow_ups[0].due == add_working_days(duty.made_at.date(), 1)
    assert "Koivukuja 3 B" in follow_ups[0].note


def test_the_duty_outcome_needs_a_duty_made_and_never_a_consent():
    draft = ContactDraft(worker_id="w", unit_id="u", started_at=MOMENT, anonymous=True)
    draft.outcome_kind = OutcomeKind.DUTY
    assert step_problems(draft, Step.OUTCOME) == ["Record the notification or safety response made (F2)."]
    draft.duties_made.append(a_duty())
    assert step_problems(draft, Step.OUTCOME) == []
    assert DutyMade.from_json(json.loads(json.dumps(a_duty().as_json()))) == a_duty()


def test_a_correction_keeps_its_duties_and_does_not_ask_again_for_a_confirmed_receipt(store):
    from ohjaus_core.domain.codes import Segment, ServiceArea, Urgency

    worker = next(w for w in store.workers() if w.username == "ohjaaja1")
    draft = ContactDraft(worker_id=worker.id, unit_id=worker.unit_id, started_at=MOMENT, anonymous=True,
                         reason="Naapuri soittaa", service_area=ServiceArea.OLDER_PEOPLE,
                         protocol_id="social_service_need", protocol_version=1,
                         answers={}, suggested_urgency=Urgency.THREE_DAYS, urgency=Urgency.THREE_DAYS,
                         worry_level=WorryLevel.GREAT, suggested_segment=Segment.CLEAR_NEED, segment=Segment.CLEAR_NEED)
    draft.outcome_kind = OutcomeKind.DUTY
    draft.duties_made = [a_duty()]
    store.contacts.sign(draft, MOMENT)
    with store.session() as session:
        confirm = session.exec(select(FollowUp).where(FollowUp.contact_id == draft.id)).one()
        confirm.status = FollowUpStatus.DONE.value
        session.add(confirm)
        session.commit()
    correction = store.contacts.load_draft(draft.id).as_correction()
    correction.duties_made.append(a_duty(duty="immediate_safety_response", receiver="Poliisi",
                                         legal_basis="Sosiaalihuoltolaki 12 §", about=""))
    store.contacts.sign(correction, MOMENT)
    with store.session() as session:
        again = list(session.exec(select(FollowUp).where(FollowUp.contact_id == correction.id)))
    assert [f.note for f in again] == ["Poliisi"]  # the confirmed one is not asked again
    assert len(store.contacts.load_draft(correction.id).duties_made) == 2


def outcome(duties) -> dict:
    return {"id": OUTCOME_ID, "contact_id": CONTACT_ID, "kind": "duty", "duties_made": json.dumps(duties)}


def test_the_central_api_takes_duties_made_and_refuses_a_malformed_one():
    good = a_duty().as_json()
    assert json.loads(validated(Outcome, outcome([good]), OUTCOME_ID)["duties_made"]) == [good]
    assert validated(Outcome, {k: v for k, v in outcome([]).items() if k != "duties_made"}, OUTCOME_ID)["duties_made"] == "[]"
    for bad, why in (
        ({**good, "legal_basis": " "}, "legal basis"),
        ({**good, "receiver": ""}, "receiver"),
        ({**good, "method": "pigeon"}, "method"),
        ({**good, "made_at": "eilen"}, "ISO 8601"),
        ({**good, "about": "x\u202e"}, "bidi"),
        ({k: v for k, v in good.items() if k != "about"}, "each is"),
        ({**good, "duty": "Drop table"}, "identifiers"),
    ):
        with pytest.raises(Rejected, match=why):
            validated(Outcome, outcome([bad]), OUTCOME_ID)
    with pytest.raises(Rejected, match="at most"):
        validated(Outcome, outcome([good] * 21), OUTCOME_ID)


def test_an_unidentified_client_is_not_suggested_a_callback_nor_can_have_one():
    """Found in the walk of 5.12.2026: a neighbour's anonymous call about an older person was
    suggested 'Call the client back'; there is no one to call (the duty's own follow-up confirms
    the receipt)."""
    from datetime import date

    from ohjaus_core.domain.codes import Segment, ServiceArea, Urgency
    from ohjaus_core.domain.segmentation import suggest_follow_up

    wednesday = date(2026, 11, 25)
    assert suggest_follow_up(OutcomeKind.DUTY, Segment.COMPLEX_NEED, wednesday, Urgency.THREE_DAYS, "social")[0] == FollowUpKind.CALLBACK
    assert suggest_follow_up(
        OutcomeKind.DUTY, Segment.COMPLEX_NEED, wednesday, Urgency.THREE_DAYS, "social", anonymous=True,
    ) == (FollowUpKind.NONE, None)
    draft = ContactDraft(worker_id="w", unit_id="u", started_at=MOMENT, anonymous=True, service_area=ServiceArea.OLDER_PEOPLE)
    draft.follow_up_kind, draft.follow_up_due, draft.follow_up_assignee_id = FollowUpKind.CALLBACK, wednesday, "w"
    assert any("cannot be called back" in p for p in step_problems(draft, Step.FOLLOW_UP))
    draft.anonymous = False
    assert step_problems(draft, Step.FOLLOW_UP) == []


def test_the_central_api_takes_the_caller_and_refuses_an_unknown_one():
    from ohjaus_central.batch.checks import _check_field
    from ohjaus_core.records import Contact

    _check_field(Contact, "caller", "neighbour")
    with pytest.raises(Rejected, match="caller: not one of client, relative, neighbour"):
        _check_field(Contact, "caller", "stranger")


async def a_neighbours_call_to_the_duty_form(pilot) -> None:
    """A neighbour's call about an 84-year-old who does not cope, at grey-zone worry: the
    suggested outcome, the duty form."""
    await start_unidentified(pilot, "ohjaaja1", "Naapuri: 84-vuotias mies ei selviydy kotona")
    await social_assessment_to_segment(pilot, WorryLevel.GREY_ZONE.value, None, "older_person_not_coping")
    await pilot.press("enter")
    await pilot.pause()


async def test_the_duty_form_shows_every_kind_and_way_and_how_it_ends_at_80x24(app, store):
    """Each list whole at 80x24 (two of three kinds and of three ways showed, the third behind
    a scroll bar), and the footer says how the form is saved, not only how it is left:
    Ctrl+S saves it from any field with what is highlighted."""
    from ohjaus_core.i18n import set_language

    set_language("fi")  # the longest texts (English again after each test)
    async with app.run_test(size=(80, 24)) as pilot:
        await a_neighbours_call_to_the_duty_form(pilot)
        assert isinstance(app.screen, DutyScreen)
        for list_id in ("duty-kinds", "duty-methods"):
            listing = app.screen.query_one(f"#{list_id}")
            assert listing.option_count == 3
            assert listing.scrollable_content_region.height >= listing.option_count, list_id
        form = app.screen.query_one("Vertical")
        assert form.region.bottom <= 24 and not form.max_scroll_y
        footer = " ".join(str(k.render()) for k in app.screen.query("FooterKey"))
        assert "Tallenna" in footer
        # The first kind and receiver as highlighted; by e-form; about whom; saved.
        await pilot.press("tab", "tab", "down", "tab", *"Naapurin mies", "ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, DutyScreen)
        made = str(app.screen.query_one("#duties-made").render())
        assert "iäkkään" in made and "sähköisellä lomakkeella" in made and "Naapurin mies" in made


async def test_a_receiver_chosen_for_one_kind_is_not_saved_with_another(app, store):
    """Enter on the first kind and on its receiver, then back to the kinds and down to another
    kind, Ctrl+S: the duty saved is the highlighted kind with one of its own receivers, never
    the receiver chosen for the kind before (review of the duty form's Ctrl+S)."""
    async with app.run_test(size=(80, 24)) as pilot:
        await a_neighbours_call_to_the_duty_form(pilot)
        assert isinstance(app.screen, DutyScreen)
        form = app.screen
        await pilot.press("enter", "enter")  # the first kind, its first receiver
        await pilot.pause()
        first_receiver = form.receiver
        assert first_receiver is not None and first_receiver.code in form.duty.receivers
        form.query_one("#duty-kinds").focus()
        await pilot.pause()
        await pilot.press("down")
        await pilot.pause()
        other = form.duty
        assert other is not None and first_receiver.code not in other.receivers
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, DutyScreen)
        made = app.screen.draft.duties_made[-1]
        assert made.duty == other.id and made.receiver_code in other.receivers
