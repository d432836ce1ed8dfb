"""The follow-up step offers only what the contact can be saved with (the walk of 5.12.2026:
"No follow-up" suggested, then refused, for a high-need unidentified client; a callback offered
to an unidentified client of a social contact, then refused); and an unidentified client of a
health contact, whose number is not recorded either, is offered no callback, with a line why."""

from __future__ import annotations

from datetime import date

from ohjaus_core.domain.codes import FollowUpKind, OutcomeKind, Segment, ServiceArea, Urgency
from ohjaus_core.domain.contact import ContactDraft, Step, step_problems
from ohjaus_core.domain.segmentation import suggest_follow_up
from ohjaus_tui.screens.contact import ContactScreen

from ..conftest import FIXED_NOW
from ..factories import worker
from ..pilot_helpers import a_client, focused_id, sign_in


def anonymous_social_draft(store, high_need: bool, step: Step = Step.FOLLOW_UP) -> ContactDraft:
    counsellor = worker(store, "ohjaaja1")
    return ContactDraft(
        worker_id=counsellor.id, unit_id=counsellor.unit_id, started_at=FIXED_NOW, anonymous=True,
        reason="Naapuri huolissaan", service_area=ServiceArea.WORKING_AGE, protocol_id="social_service_need",
        protocol_version=1, suggested_urgency=Urgency.THREE_DAYS, urgency=Urgency.THREE_DAYS,
        segment=Segment.COMPLEX_NEED, high_need=high_need, outcome_kind=OutcomeKind.REFERRAL,
        step=step,
    )


async def open_anonymous_social_draft(pilot, high_need: bool, step: Step = Step.FOLLOW_UP) -> ContactDraft:
    """A counsellor's draft of an unidentified client, open at `step` (the follow-up step)."""
    draft = anonymous_social_draft(pilot.app.ctx.store, high_need, step)
    await sign_in(pilot, "ohjaaja1")
    await pilot.app.push_screen(ContactScreen(draft))
    await pilot.pause()
    return draft


def offered(app) -> list[str]:
    listing = app.screen.query_one("#follow-up-kinds")
    return [str(listing.get_option_at_index(i).id) for i in range(listing.option_count)]


def test_a_high_need_unidentified_client_is_suggested_a_follow_up_that_can_be_saved():
    wednesday = date(2026, 12, 2)
    kind, due = suggest_follow_up(
        OutcomeKind.DUTY, Segment.COMPLEX_NEED, wednesday, Urgency.THREE_DAYS, "social", True, high_need=True
    )
    assert kind == FollowUpKind.CHECK_REFERRAL and due == date(2026, 12, 7)
    # Without the high need, an unidentified client of a social contact: none, as before.
    assert suggest_follow_up(OutcomeKind.DUTY, Segment.COMPLEX_NEED, wednesday, Urgency.THREE_DAYS, "social", True)[0] == FollowUpKind.NONE


async def test_the_step_offers_no_refused_follow_up_and_its_suggestion_is_taken(app, store):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_anonymous_social_draft(pilot, high_need=True)
        assert focused_id(pilot) == "follow-up-kinds"
        kinds = offered(app)
        assert FollowUpKind.NONE.value not in kinds and FollowUpKind.CALLBACK.value not in kinds
        await pilot.press("enter")  # the suggestion
        await pilot.press("enter", "enter")  # its due date and the note as they are
        await pilot.pause()
        assert app.screen.draft.step == Step.SUMMARY, str(app.screen.query_one("#problems").render())
        assert app.screen.draft.follow_up_kind == FollowUpKind.CHECK_REFERRAL
        assert not step_problems(app.screen.draft, Step.FOLLOW_UP)


async def test_an_unidentified_client_without_high_need_may_have_no_follow_up_but_no_callback(app, store):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_anonymous_social_draft(pilot, high_need=False)
        kinds = offered(app)
        assert FollowUpKind.NONE.value in kinds and FollowUpKind.CALLBACK.value not in kinds


# -- an unidentified client of a health contact: no number, so no callback ----------------------


def test_an_unidentified_health_client_is_never_suggested_a_callback():
    """A nurse cannot call back someone whose number was not recorded: where the rule would
    call back (after an emergency redirect, on the complex path) an unidentified client of a
    health contact is suggested none; a high-need one the check that needs no phone; the
    other follow-ups stay."""
    wednesday = date(2026, 12, 2)
    for outcome, segment in ((OutcomeKind.EMERGENCY, Segment.CLEAR_NEED), (OutcomeKind.ADVICE, Segment.COMPLEX_NEED)):
        assert suggest_follow_up(outcome, segment, wednesday, Urgency.EMERGENCY, "health")[0] == FollowUpKind.CALLBACK
        assert suggest_follow_up(outcome, segment, wednesday, Urgency.EMERGENCY, "health", True) == (FollowUpKind.NONE, None)
    assert suggest_follow_up(
        OutcomeKind.ADVICE, Segment.COMPLEX_NEED, wednesday, Urgency.NON_URGENT, "health", True, high_need=True
    ) == (FollowUpKind.CHECK_REFERRAL, date(2026, 12, 9))
    assert suggest_follow_up(OutcomeKind.REFERRAL, Segment.CLEAR_NEED, wednesday, Urgency.NON_URGENT, "health", True)[0] == (
        FollowUpKind.CHECK_REFERRAL
    )


def anonymous_health_draft(store) -> ContactDraft:
    nurse = worker(store, "hoitaja1")
    return ContactDraft(
        worker_id=nurse.id, unit_id=nurse.unit_id, started_at=FIXED_NOW, anonymous=True,
        reason="Rintakipua", service_area=ServiceArea.HEALTH, protocol_id="chest_pain", protocol_version=1,
        suggested_urgency=Urgency.EMERGENCY, urgency=Urgency.EMERGENCY, segment=Segment.CLEAR_NEED,
        outcome_kind=OutcomeKind.EMERGENCY, step=Step.FOLLOW_UP,
    )


def test_a_callback_for_an_unidentified_health_client_is_refused_saying_why():
    draft = ContactDraft(worker_id="w", unit_id="u", started_at=FIXED_NOW, anonymous=True, service_area=ServiceArea.HEALTH)
    draft.follow_up_kind, draft.follow_up_due, draft.follow_up_assignee_id = FollowUpKind.CALLBACK, date(2026, 12, 3), "w"
    assert any("no phone number is recorded" in p for p in step_problems(draft, Step.FOLLOW_UP))
    draft.anonymous = False
    assert step_problems(draft, Step.FOLLOW_UP) == []


async def test_the_nurse_is_offered_no_callback_for_an_unidentified_client_and_told_why(app, store):
    async with app.run_test(size=(80, 24)) as pilot:
        draft = anonymous_health_draft(store)
        await sign_in(pilot, "hoitaja1")
        await pilot.app.push_screen(ContactScreen(draft))
        await pilot.pause()
        assert focused_id(pilot) == "follow-up-kinds"
        assert FollowUpKind.CALLBACK.value not in offered(app)
        listing = app.screen.query_one("#follow-up-kinds")
        assert listing.get_option_at_index(listing.highlighted).id == FollowUpKind.NONE.value  # the suggestion
        why = app.screen.query_one("#follow-up-why")
        assert why.display and "cannot be called back: no phone number is recorded" in str(why.render())
        await pilot.press("f9")  # suomi
        await pilot.pause()
        assert "ei voi soittaa takaisin" in str(app.screen.query_one("#follow-up-why").render())
        await pilot.press("f9")  # svenska
        await pilot.pause()
        assert "kan inte ringas upp" in str(app.screen.query_one("#follow-up-why").render())


async def test_an_identified_client_is_offered_the_callback_with_no_such_line(app, store):
    async with app.run_test(size=(80, 24)) as pilot:
        draft = anonymous_health_draft(store)
        draft.anonymous, draft.client_id = False, a_client(store).id
        await sign_in(pilot, "hoitaja1")
        await pilot.app.push_screen(ContactScreen(draft))
        await pilot.pause()
        assert FollowUpKind.CALLBACK.value in offered(app)
        assert not app.screen.query_one("#follow-up-why").display


async def test_the_counsellor_is_told_why_too(app, store):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_anonymous_social_draft(pilot, high_need=False)
        assert "cannot be called back" in str(app.screen.query_one("#follow-up-why").render())


# -- an identified client with no phone: the callback asks for the number ------------------------


DUE = "01.12.2026"


def identified_draft(store, client_id: str) -> ContactDraft:
    nurse = worker(store, "hoitaja1")
    return ContactDraft(
        worker_id=nurse.id, unit_id=nurse.unit_id, started_at=FIXED_NOW, client_id=client_id,
        reason="Kysyy laboratoriotuloksista", service_area=ServiceArea.HEALTH, protocol_id="fever_adult",
        protocol_version=1, suggested_urgency=Urgency.NON_URGENT, urgency=Urgency.NON_URGENT,
        segment=Segment.ADVICE, outcome_kind=OutcomeKind.ADVICE, advice_text="Tulokset kerrottu",
        step=Step.FOLLOW_UP,
    )


async def choose_callback(pilot, client_id: str) -> None:
    """A nurse's advice contact of the client, open at the follow-up step: the callback chosen."""
    await sign_in(pilot, "hoitaja1")
    await pilot.app.push_screen(ContactScreen(identified_draft(pilot.app.ctx.store, client_id)))
    await pilot.pause()
    kinds = offered(pilot.app)
    assert FollowUpKind.CALLBACK.value in kinds  # offered: it asks for the number
    listing = pilot.app.screen.query_one("#follow-up-kinds")
    listing.highlighted = kinds.index(FollowUpKind.CALLBACK.value)
    await pilot.press("enter")
    await pilot.pause()


def phone_changes(store, client_id: str) -> list:
    return [e for e in store.protection.access_entries() if e.client_id == client_id and e.action == "change"]


async def test_a_callback_of_a_client_with_no_phone_asks_for_the_number_and_records_it(app, store):
    from ..factories import add_client

    client = add_client(store, date(1970, 3, 4), 933, "Eino", "Numeroton")
    assert client.phone is None
    async with app.run_test(size=(80, 24)) as pilot:
        await choose_callback(pilot, client.id)
        why = str(app.screen.query_one("#follow-up-why").render())
        assert "No phone number is recorded" in why
        assert focused_id(pilot) == "follow-up-phone"  # asked first, before the due date
        await pilot.press("ctrl+n")  # nothing typed: refused, with the line why
        await pilot.pause()
        assert app.screen.draft.step == Step.FOLLOW_UP
        assert "needs the client's phone number" in str(app.screen.query_one("#problems").render())
        await pilot.press(*"123", "ctrl+n")  # not a number
        await pilot.pause()
        assert app.screen.draft.step == Step.FOLLOW_UP
        assert "Not a valid phone number" in str(app.screen.query_one("#problems").render())
        assert store.clients.client(client.id).phone is None and not phone_changes(store, client.id)
        await pilot.press(*["backspace"] * 3, *"040 765 4321", "enter")  # on to the due date
        await pilot.pause()
        assert focused_id(pilot) == "follow-up-due"
        assert "phone number" not in str(app.screen.query_one("#problems").render())  # given: its line goes
        await pilot.press(*DUE, "enter", "enter")  # the due date, the note
        await pilot.pause()
        assert app.screen.draft.step == Step.SUMMARY, str(app.screen.query_one("#problems").render())
        assert app.screen.draft.follow_up_kind == FollowUpKind.CALLBACK
    assert store.clients.client(client.id).phone == "+358407654321"  # E.164, as every phone
    changes = phone_changes(store, client.id)
    assert len(changes) == 1 and changes[0].worker_id == worker(store, "hoitaja1").id


async def test_a_phone_number_corrected_after_enter_is_the_one_on_the_client(app, store):
    """The review of 6.12.2026: the number was saved at Enter and the field stayed open, but a
    typo corrected after it was ignored - the callback would have gone to the wrong number."""
    from ..factories import add_client

    client = add_client(store, date(1970, 3, 4), 933, "Eino", "Numeroton")
    async with app.run_test(size=(80, 24)) as pilot:
        await choose_callback(pilot, client.id)
        await pilot.press("ctrl+n")  # refused: the number is asked
        await pilot.pause()
        await pilot.press(*"040 765 4329", "enter")  # a typo, saved at Enter
        await pilot.pause()
        assert store.clients.client(client.id).phone == "+358407654329"
        phone = app.screen.query_one("#follow-up-phone")
        assert phone.display  # still there to correct
        pilot.app.set_focus(phone)
        await pilot.press(*["backspace"] * 12, *"040 765 4321", "enter")
        await pilot.pause()
        await pilot.press(*DUE, "enter", "enter")
        await pilot.pause()
        assert app.screen.draft.step == Step.SUMMARY, str(app.screen.query_one("#problems").render())
    assert store.clients.client(client.id).phone == "+358407654321"
    assert phone_changes(store, client.id)  # the change of the client is in the access log


async def test_a_callback_of_a_client_with_a_phone_goes_on_as_before(app, store):
    from ..factories import add_client

    client = add_client(store, date(1970, 3, 4), 933, "Eino", "Numerollinen", phone="0401234567")
    async with app.run_test(size=(80, 24)) as pilot:
        await choose_callback(pilot, client.id)
        assert not app.screen.query_one("#follow-up-why").display
        assert not app.screen.query_one("#follow-up-phone").display
        assert focused_id(pilot) == "follow-up-due"
        await pilot.press(*DUE, "enter", "enter")
        await pilot.pause()
        assert app.screen.draft.step == Step.SUMMARY, str(app.screen.query_one("#problems").render())
    assert store.clients.client(client.id).phone == "+358401234567"
    assert not phone_changes(store, client.id)
