"""The follow-up step offers only what the contact can be saved with (the walk of 5.12.2026:
"No follow-up" suggested, then refused, for a high-need unidentified client; a callback offered
to an unidentified client of a social contact, then refused)."""

from __future__ import annotations

from datetime import date

from ohjaus_core.domain.codes import FollowUpKind, OutcomeKind, Segment, ServiceArea, Urgency
from ohjaus_core.domain.contact import ContactDraft, Step, step_problems
from ohjaus_core.domain.segmentation import suggest_follow_up
from ohjaus_tui.screens.contact import ContactScreen

from ..conftest import FIXED_NOW
from ..factories import worker
from ..pilot_helpers import focused_id, sign_in


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
