"""No stale choice (issue 15): a list step whose suggestion changed since the worker last saw
it highlights the new suggestion, and Enter takes it - not the option of the earlier case."""

from __future__ import annotations

from ohjaus_tui.domain.codes import OutcomeKind, Segment, Urgency

from .pilot_helpers import a_client, all_no_then_urgency, focused_id, pick, start_contact


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
    assert store.load_draft(draft.id).segment == Segment.ADVICE


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
    saved = store.load_draft(draft.id)
    assert saved.outcome_kind == OutcomeKind.BOOKING and saved.slot_id is not None
