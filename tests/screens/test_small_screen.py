"""80x24 is a first-class size (issue 15): what the worker must see is on the screen."""

from __future__ import annotations

import pytest

from ohjaus_core.domain.codes import WorryLevel

from ..pilot_helpers import a_client, focused_id, pick, pick_and_answer, start_contact


def on_screen(app, widget, row: int) -> bool:
    """Is line `row` of a list drawn within the contact step's visible area?"""
    y = widget.content_region.y + row - round(widget.scroll_offset.y)
    steps = app.screen.query_one("#steps").region
    return widget.region.y <= y < widget.region.bottom and steps.y <= y < steps.bottom


def in_sight(app, widget) -> bool:
    """Is the whole of `widget` drawn within the contact step's visible area (not scrolled
    off its top, as the suggestion was at 80x24 while the urgency was chosen - ui80)?"""
    steps = app.screen.query_one("#steps").region
    return widget.region.height > 0 and steps.contains_region(widget.region)


@pytest.mark.parametrize("social", [False, True], ids=["nurse", "counsellor"])
async def test_the_suggested_urgency_is_marked_and_in_sight_at_80x24(app, store, social):
    client = a_client(store, nth=6)
    async with app.run_test(size=(80, 24)) as pilot:
        if social:
            await start_contact(pilot, "ohjaaja1", client.identity_code, "Vuokra rästissä")
            await pick_and_answer(pilot, "social_service_need", "housing_lost")
            await pilot.press("enter")
            await pick(pilot, "worry", WorryLevel.SMALL.value)
        else:
            # A child's fever: a long advice to read out above the list.
            await start_contact(pilot, "hoitaja1", client.identity_code, "Kuumetta")
            await pick_and_answer(pilot, "fever_child")
            await pilot.press("tab")
        await pilot.pause()
        assert focused_id(pilot) == "urgency"
        urgency = app.screen.query_one("#urgency")
        draft = app.screen.draft
        suggested = draft.suggested_urgency
        highlighted = urgency.get_option_at_index(urgency.highlighted)
        assert highlighted.id == suggested.value
        # The mark says which is suggested without colour, beside the option itself.
        assert "(suggested)" in str(highlighted.prompt)
        others = [urgency.get_option_at_index(i) for i in range(urgency.option_count) if i != urgency.highlighted]
        assert not any("(suggested)" in str(o.prompt) for o in others)
        assert on_screen(app, urgency, urgency.highlighted)
        # And the suggestion itself, why and (the nurse's) what to read out, above the list (ui80).
        suggestion = app.screen.query_one("#suggestion")
        assert in_sight(app, suggestion)
        assert social or "Read out: " in str(suggestion.render())


@pytest.mark.parametrize("social", [False, True], ids=["nurse", "counsellor"])
async def test_the_yes_and_no_keys_are_in_the_footer_at_80x24(app, store, social):
    """On the questions the footer keeps both answers' keys, in Finnish too (K Kyllä was
    left out for lack of room at 80 columns, E Ei kept, as the shorter)."""
    from textual.widgets._footer import FooterKey

    from ohjaus_core.i18n import set_language

    set_language("fi")  # the longest key texts (set back to English after each test)
    client = a_client(store, nth=6)
    async with app.run_test(size=(80, 24)) as pilot:
        if social:
            await start_contact(pilot, "ohjaaja1", client.identity_code, "Vuokra rästissä")
            await pick(pilot, "protocols", "social_service_need")
        else:
            await start_contact(pilot, "hoitaja1", client.identity_code, "Kuumetta")
            await pick(pilot, "protocols", "fever_child")
        await pilot.pause()
        assert focused_id(pilot) == "questions"
        shown = {key.action for key in app.screen.query(FooterKey)}
        assert {"answer(True)", "answer(False)"} <= shown


async def test_after_the_last_answer_the_line_says_how_to_reach_the_level_of_worry(app, store):
    """At 80x24 the worry list is below the questions, out of sight, and the questions keep
    the focus: the line asking for the worry names the key that goes there."""
    from ..pilot_helpers import answer_shown

    client = a_client(store, nth=6)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, "ohjaaja1", client.identity_code, "Vuokra rästissä")
        await pick(pilot, "protocols", "social_service_need")
        await answer_shown(pilot, "housing_lost")
        assert focused_id(pilot) == "questions"
        assert "level of worry: press Enter" in str(app.screen.query_one("#suggestion").render())
        await pilot.press("enter")
        await pilot.pause()
        assert focused_id(pilot) == "worry"


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_the_key_that_goes_on_is_in_the_footer_at_80x24(app, store, language):
    """In the reason field Enter goes on, but the footer is what a worker reads: Ctrl+N (next)
    is in it at 80 columns, in Finnish too (the walk of 5.12.2026: it was left out)."""
    from textual.widgets._footer import FooterKey

    from ohjaus_core.i18n import set_language

    set_language(language)
    client = a_client(store, nth=6)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, "ohjaaja1", client.identity_code, "")
        assert focused_id(pilot) == "reason"
        shown = {key.action for key in app.screen.query(FooterKey)}
        assert "next" in shown and "sign" in shown


async def test_the_urgency_and_every_deadline_are_readable_at_80x24(app, store):
    """The header's urgency (a social one is worded long) and the deadlines line wrap rather
    than being cut with "..." (the walk of 5.12.2026)."""
    from ohjaus_core.domain.contact import Step
    from ohjaus_tui.screens.steps.deadline_info import deadline_phrase

    from ..pilot_helpers import screen_text
    from .test_follow_up_offers import open_anonymous_social_draft

    async with app.run_test(size=(80, 24)) as pilot:
        draft = await open_anonymous_social_draft(pilot, high_need=False, step=Step.OUTCOME)
        text = screen_text(app)
        assert draft.urgency.worded(draft.register) in text
        assert "Service language: Finnish" in text
        deadlines = app.screen.flow.refresh_deadlines()
        assert len(deadlines) >= 2
        for deadline in deadlines:
            assert deadline_phrase(deadline) in text
        assert "…" not in text
        assert focused_id(pilot) == "outcome-kinds"


# (language, terminal width): a width where the question after the first answer fits the list's
# line without the scrollbar and wraps beside it - in each language its own, so that every row
# fails without the list's `scrollbar-gutter: stable` (at 80 columns only the Finnish one does).
WRAPS_BESIDE_THE_SCROLLBAR = [("fi", 80), ("sv", 89), ("en", 99)]
ANSWER_COLUMN = 6  # the questions list's answer column (5) and its padding (1), before the text


@pytest.mark.parametrize(("language", "width"), WRAPS_BESIDE_THE_SCROLLBAR)
async def test_a_question_that_wraps_beside_the_scrollbar_keeps_its_last_line_after_an_answer(
    app, store, language, width
):
    """The walk of 6.12.2026 at 80x24: after the first answer the list is refilled and the next
    question, which wraps only when the list's scrollbar takes its two columns, showed its first
    line alone ("... kotona tai" without "lähisuhteessa?")."""
    from ohjaus_core.i18n import set_language

    from ..pilot_helpers import screen_text

    set_language(language)
    client = a_client(store, nth=6)
    async with app.run_test(size=(width, 24)) as pilot:
        await start_contact(pilot, "ohjaaja1", client.identity_code, "Vuokra rästissä")
        await pick(pilot, "protocols", "social_service_need")
        await pilot.press("e")
        await pilot.pause()
        questions = app.screen.query_one("#questions")
        following = questions._question_at(questions.highlighted)
        assert following is not None
        # The row tests something only while the text wraps beside the scrollbar and not without it.
        line = questions.size.width - ANSWER_COLUMN
        assert line - questions.scrollbar_size_vertical < len(following.text) <= line, (width, following.text)
        for word in following.text.split()[-2:]:
            assert word in screen_text(app), f"{word!r} of {following.text!r} not on the screen"


def _a_frequent_client(store):
    """A social client whose history marks two high-need triggers: three advice contacts and two
    missed appointments within 30 days."""
    from datetime import date, timedelta

    from ohjaus_core.domain.codes import Register

    from ..conftest import FIXED_NOW
    from ..factories import new_client, sign_advice, worker_id

    counsellor = worker_id(store, "ohjaaja1")
    client = new_client(store, date(1980, 5, 17), 931, "Toistuva")
    for days_ago in (2, 9, 20):
        sign_advice(store, client.id, counsellor, FIXED_NOW - timedelta(days=days_ago))
    unit = store.worker(counsellor).unit_id
    for days_ago in (3, 15):
        store.bookings.record_missed_appointment(
            client.id, FIXED_NOW - timedelta(days=days_ago), unit, FIXED_NOW, register=Register.SOCIAL
        )
    return client


async def _to_the_plan_step(pilot, client) -> None:
    """The counsellor's contact with `client` up to the plan to make (the complex path)."""
    await start_contact(pilot, "ohjaaja1", client.identity_code, "Taas rahat loppu")
    await pick_and_answer(pilot, "social_service_need", "no_money_for_food_or_medicine")
    await pilot.press("enter")
    await pick(pilot, "worry", WorryLevel.GREY_ZONE.value)
    await pilot.press("enter", "enter", "enter")  # the urgency, the complex path, the triggers marked
    await pilot.pause()
    assert focused_id(pilot) == "plan-type"


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_the_high_need_plan_step_shows_its_instructions_and_keys_at_80x24(app, store, language):
    """A complex social case whose history marks two high-need triggers: at the plan to make,
    both of the plan box's instructions (the plan, the worker or team responsible) and every
    option of both lists are in sight, the footer has the key that chooses, and once Ctrl+N
    says what is missing, what it asks for is still in sight (the walk of 6.12.2026: the
    worker or team and its instruction were below the fold, and no key on the footer chose)."""
    from textual.widgets import Label
    from textual.widgets._footer import FooterKey

    from ohjaus_core.i18n import set_language

    set_language(language)
    client = _a_frequent_client(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await _to_the_plan_step(pilot, client)

        def in_sight() -> None:
            steps = app.screen.query_one("#steps").region
            for label in app.screen.query_one("#plan-box").query(Label):
                y = label.region.y
                assert steps.y <= y < steps.bottom, str(label.render())
                assert label.region.width >= len(str(label.render()))  # one line, not cut
            for listing in (app.screen.query_one("#plan-type"), app.screen.query_one("#named-contact")):
                for row in range(listing.option_count):
                    assert on_screen(app, listing, row), (listing.id, row)

        in_sight()
        shown = {key.action for key in app.screen.query(FooterKey)}
        assert {"select", "next", "sign"} <= shown
        await pilot.press("ctrl+n")  # nothing chosen yet: the problems say what is missing
        await pilot.pause()
        problems = app.screen.query_one("#problems")
        assert problems.region.height == 2  # both lines: the plan, the worker or team
        in_sight()
        await pilot.press("enter")
        await pilot.pause()
        assert focused_id(pilot) == "named-contact"
        in_sight()


async def test_the_choose_a_plan_line_goes_once_the_plan_is_chosen(app, store):
    """Ctrl+N on the plan step with nothing chosen says what is missing; choosing the plan
    takes its line away and leaves the one still owed (the walk of 6.12.2026: "choose the
    plan" stayed after the plan was chosen)."""
    client = _a_frequent_client(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await _to_the_plan_step(pilot, client)
        await pilot.press("ctrl+n")
        await pilot.pause()
        problems = app.screen.query_one("#problems")
        said = str(problems.render())
        assert "Choose the plan to make" in said and "Name the worker or team" in said
        await pilot.press("enter")  # the plan highlighted is chosen
        await pilot.pause()
        assert focused_id(pilot) == "named-contact"
        said = str(problems.render())
        assert "Choose the plan to make" not in said
        assert "Name the worker or team" in said  # still owed
        await pilot.press("enter")  # the worker: on to the outcome
        await pilot.pause()
        assert str(problems.render()).strip() == ""



# (case, the worker's worry, the questions answered yes, words of the suggestion's first lines)
DECIDING = {
    # A long-lasting difficulty in the grey zone: the line saying why the worry did not shorten
    # the time is the longest suggestion of the counsellor's step.
    "grey zone": (WorryLevel.GREY_ZONE, ("work_or_study_lost", "long_term_or_help_not_enough"), "does not shorten the time"),
    # A child at risk: the duty banner (a child-welfare notification) above the suggestion.
    "child at risk": (WorryLevel.GREAT, ("child_at_risk",), "DUTY: "),
}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("case", DECIDING)
async def test_the_suggestion_stays_in_sight_while_the_urgency_is_chosen_at_80x24(app, store, case, language):
    """The walk of 6.12.2026 at 80x24: with the worry chosen and the urgency list focused, the
    suggestion (the suggested urgency, why, the duty owed) had scrolled off the top, PageUp
    did not bring it back, and the worker chose the urgency without seeing why."""
    from ohjaus_core.i18n import set_language

    worry, yes, words = DECIDING[case]
    set_language(language)
    client = a_client(store, nth=6)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, "ohjaaja1", client.identity_code, "Vuokra rästissä")
        await pick_and_answer(pilot, "social_service_need", *yes)
        await pilot.press("enter")
        await pilot.pause()
        suggestion = app.screen.query_one("#suggestion")
        assert focused_id(pilot) == "worry"
        assert in_sight(app, suggestion)
        await pick(pilot, "worry", worry.value)
        await pilot.pause()
        assert focused_id(pilot) == "urgency"
        if language == "en":
            assert words in str(suggestion.render())
        assert in_sight(app, suggestion)
        urgency = app.screen.query_one("#urgency")
        # Every urgency to choose from, the worry folded to its chosen line above them.
        assert all(on_screen(app, urgency, row) for row in range(urgency.option_count))
        # Another urgency than suggested: the reason asked for, the suggestion still in sight.
        await pilot.press("up", "enter")
        await pilot.pause()
        assert focused_id(pilot) == "override-reason"
        assert in_sight(app, suggestion)
        assert in_sight(app, app.screen.query_one("#override-reason"))

