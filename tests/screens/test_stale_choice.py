"""No stale choice (issue 15): a list step whose suggestion changed since the worker last saw
it highlights the new suggestion, and Enter takes it - not the option of the earlier case."""

from __future__ import annotations

from ohjaus_core.domain.codes import FollowUpKind, Handover, HighNeedTrigger, OutcomeKind, Segment, Urgency, WorryLevel
from ohjaus_tui.widgets.slot_picker import SlotPicker

from ..pilot_helpers import a_client, all_no_then_urgency, focused_id, pick, pick_and_answer, start_contact


async def test_the_segment_follows_a_changed_urgency(app, store):
    client = a_client(store, nth=3)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "hoitaja1", client.identity_code, "Selkä kipeä")
        await all_no_then_urgency(pilot, "back_pain", Urgency.THREE_DAYS.value, "Kipu jatkunut")
        draft = app.screen.draft
        assert focused_id(pilot) == "segments"
        earlier = draft.suggested_segment
        # Back with the earlier suggestion highlighted, then the urgency is lowered again.
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("tab")
        await pick(pilot, "urgency", Urgency.SELF_CARE.value)
        assert focused_id(pilot) == "override-reason"  # below the suggestion: a reason
        await pilot.press(*"Lievä, helpottaa", "enter")
        await pilot.pause()
        assert focused_id(pilot) == "segments"
        assert draft.suggested_segment != earlier
        await pilot.press("enter")
        await pilot.pause()
        assert draft.segment == draft.suggested_segment == Segment.ADVICE
        assert focused_id(pilot) == "outcome-kinds"
    assert store.contacts.load_draft(draft.id).segment == Segment.ADVICE


async def test_the_outcome_follows_a_changed_segment(app, store):
    client = a_client(store, nth=4)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "hoitaja1", client.identity_code, "Selkä kipeä")
        await all_no_then_urgency(pilot, "back_pain", Urgency.THREE_DAYS.value, "Kipu jatkunut")
        await pick(pilot, "segments", Segment.ADVICE.value)
        draft = app.screen.draft
        await pilot.press("enter")  # advice, as suggested for the advice segment
        await pilot.pause()
        assert draft.outcome_kind == OutcomeKind.ADVICE and focused_id(pilot) == "advice-text"
        await pilot.press("escape")  # back to the segment: a clear need after all
        await pilot.pause()
        await pick(pilot, "segments", Segment.CLEAR_NEED.value)
        assert focused_id(pilot) == "outcome-kinds"
        await pilot.press("enter")
        await pilot.pause()
        assert draft.outcome_kind == OutcomeKind.BOOKING and focused_id(pilot) == "slot-table"
        await pilot.press("enter")  # the earliest slot; the step is saved
        await pilot.pause()
        assert focused_id(pilot) == "follow-up-kinds"
    saved = store.contacts.load_draft(draft.id)
    assert saved.outcome_kind == OutcomeKind.BOOKING and saved.slot_id is not None


async def test_the_slot_follows_a_changed_urgency(app, store):
    """A later slot taken for a non-urgent need is let go when the urgency is raised: the
    earliest slot for the new deadline is highlighted, and Enter books it."""
    client = a_client(store, nth=5)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "hoitaja1", client.identity_code, "Selkä kipeä")
        await all_no_then_urgency(pilot, "back_pain", Urgency.THREE_DAYS.value, "Kipu jatkunut")
        await pilot.press("enter", "enter")  # clear need, booking
        await pilot.pause()
        assert focused_id(pilot) == "slot-table"
        await pilot.press("down", "down", "down", "enter")  # a later slot than the first
        await pilot.pause()
        draft = app.screen.draft
        earlier = draft.slot_id
        assert focused_id(pilot) == "follow-up-kinds" and earlier is not None
        await pilot.press("escape", "escape", "escape")  # back to the assessment
        await pilot.pause()
        await pilot.press("tab")
        await pick(pilot, "urgency", Urgency.SAME_DAY.value)
        await pilot.press(*"Kova kipu", "enter")
        await pilot.pause()
        assert focused_id(pilot) == "segments"
        await pilot.press("enter", "enter")  # the clear need again; the booking again
        await pilot.pause()
        assert focused_id(pilot) == "slot-table"
        picker = app.screen.query_one(SlotPicker)
        await pilot.press("enter")
        await pilot.pause()
        assert draft.slot_id == picker.offers[0].slot_id != earlier
    assert store.contacts.load_draft(draft.id).slot_id == picker.offers[0].slot_id


async def test_the_follow_up_follows_a_changed_outcome(app, store):
    """A callback chosen after a booking is not kept when the outcome becomes a referral:
    the referral's check is highlighted, and Enter takes it."""
    client = a_client(store, nth=6)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "hoitaja1", client.identity_code, "Selkä kipeä")
        await all_no_then_urgency(pilot, "back_pain", Urgency.THREE_DAYS.value, "Kipu jatkunut")
        await pilot.press("enter", "enter", "enter")  # clear need, booking, the earliest slot
        await pilot.pause()
        assert focused_id(pilot) == "follow-up-kinds"
        await pick(pilot, "follow-up-kinds", FollowUpKind.CALLBACK.value)
        assert focused_id(pilot) == "follow-up-due"
        await pilot.press("escape")  # back to the outcome: a referral after all
        await pilot.pause()
        await pick(pilot, "outcome-kinds", OutcomeKind.REFERRAL.value)
        assert focused_id(pilot) == "services"
        await pilot.press("enter")  # the first service
        await pick(pilot, "handover", Handover.COLD.value)
        assert focused_id(pilot) == "follow-up-kinds"
        await pilot.press("enter")
        await pilot.pause()
        draft = app.screen.draft
        assert draft.follow_up_kind == FollowUpKind.CHECK_REFERRAL
        await pilot.press("enter", "enter")  # the suggested due date, no note: the summary
        await pilot.pause()
    assert store.contacts.load_draft(draft.id).follow_up_kind == FollowUpKind.CHECK_REFERRAL


async def test_the_triggers_follow_another_client(app, store):
    """Triggers the history of one client marked are not carried to another client chosen
    after going back: the second client's contact is recorded without them."""
    from ..factories import new_client, sign_advice, worker_id
    from ..conftest import FIXED_NOW
    from datetime import date, timedelta

    counsellor = worker_id(store, "ohjaaja1")
    frequent = new_client(store, date(1981, 6, 18), 933, "Toistuva")
    for days_ago in (2, 9, 20):
        sign_advice(store, frequent.id, counsellor, FIXED_NOW - timedelta(days=days_ago))
    other = a_client(store, nth=7)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "ohjaaja1", frequent.identity_code, "Rahat loppu")
        await pick_and_answer(pilot, "social_service_need", "no_money_for_food_or_medicine")
        await pilot.press("enter")
        await pick(pilot, "worry", WorryLevel.SMALL.value)
        await pilot.press("enter")  # the suggested urgency
        await pilot.pause()
        await pick(pilot, "segments", Segment.COMPLEX_NEED.value)
        triggers = app.screen.query_one("#triggers")
        assert set(triggers.selected) == {"repeated_contacts"}
        # Back to the client step: another client, with no such history.
        await pilot.press("escape", "escape", "escape")  # the assessment, the need, the client
        await pilot.pause()
        assert focused_id(pilot) == "client-query"
        query = app.screen.query_one("#client-query")
        query.value = ""
        await pilot.press(*other.identity_code, "enter")
        await pilot.pause()
        draft = app.screen.draft
        assert draft.client_id == other.id
        await pilot.press("ctrl+n", "ctrl+n")  # the need and the assessment as they were
        await pilot.pause()
        assert focused_id(pilot) == "segments"
        await pick(pilot, "segments", Segment.COMPLEX_NEED.value)
        assert not triggers.selected
        await pilot.press("space", "enter")  # the worker marks the worry themself
        await pilot.press("enter", "enter")  # the plan and the worker suggested
        await pilot.pause()
        assert focused_id(pilot) == "outcome-kinds"
        assert draft.triggers == [HighNeedTrigger.WORRY]
    assert store.contacts.load_draft(draft.id).triggers == [HighNeedTrigger.WORRY]


async def test_the_referral_follows_a_changed_service_area(app, store, shipped):
    """A social service chosen for a counsellor's case is not kept when the contact moves to
    the health services' area: the first health service listed is highlighted, and Enter takes it."""
    from ohjaus_core.domain.catalogue import services_for
    from ohjaus_core.domain.codes import Register, ServiceArea

    client = a_client(store, nth=9)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "ohjaaja1", client.identity_code, "Rahat loppu")
        draft = app.screen.draft
        area = draft.service_area
        await pick_and_answer(pilot, "social_service_need", "no_money_for_food_or_medicine")
        await pilot.press("enter")
        await pick(pilot, "worry", WorryLevel.SMALL.value)
        await pilot.press("enter")  # the suggested urgency
        await pilot.pause()
        await pick(pilot, "segments", Segment.CLEAR_NEED.value)
        await pick(pilot, "outcome-kinds", OutcomeKind.REFERRAL.value)
        social = [s.code for s in services_for(shipped.catalogue, Register.SOCIAL)]
        await pick(pilot, "services", social[2])
        await pick(pilot, "handover", Handover.COLD.value)
        assert draft.service_code == social[2] and focused_id(pilot) == "follow-up-kinds"
        # Back to the need: the health services' area after all.
        await pilot.press("escape", "escape", "escape", "escape")
        await pilot.pause()
        assert focused_id(pilot) == "reason"
        areas = [a.value for a in ServiceArea]
        steps = areas.index(area.value) - areas.index(ServiceArea.HEALTH.value)
        # past the channel, who called and whether anonymous (issue 16) to the service area
        await pilot.press("tab", "tab", "tab", "tab", "enter", *["up"] * steps, "enter")
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert draft.service_area == ServiceArea.HEALTH
        await pick_and_answer(pilot, "back_pain")
        await pilot.press("enter")  # the suggested urgency
        await pilot.pause()
        await pick(pilot, "segments", Segment.CLEAR_NEED.value)
        await pick(pilot, "outcome-kinds", OutcomeKind.REFERRAL.value)
        assert focused_id(pilot) == "services"
        # The list is ordered by the need found (issue 16): the first one listed is highlighted.
        first = app.screen.query_one("#services").get_option_at_index(0).id
        await pilot.press("enter")
        await pilot.pause()
        health = [s.code for s in services_for(shipped.catalogue, Register.HEALTH)]
        assert draft.service_code == first != social[2] and first in health
