"""Issue 4 in the contact flow, from the keyboard: deadlines in sight, a slot past the deadline
needs a reason, the history's high-need triggers with their counts, duties and red flags of
the social service-need assessment."""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest

from ohjaus_core.domain.calendar import add_working_days
from ohjaus_core.domain.codes import (
    HighNeedTrigger,
    OutcomeKind,
    PlanType,
    Register,
    Segment,
    ServiceArea,
    Urgency,
    WorryLevel,
)
from ohjaus_tui.context import load_shipped
from ohjaus_core.domain.contact import ContactDraft
from ohjaus_core.i18n import format_weekday_day
from ohjaus_tui.screens.contact import ContactScreen
from ohjaus_tui.screens.home import HomeScreen
from ohjaus_tui.widgets.slot_picker import SlotPicker

from ..conftest import FIXED_NOW
from ..factories import new_client, new_signed, sign_advice, signed_ids, worker_id
from ..pilot_helpers import (
    a_client,
    a_client_not_waiting,
    all_no_then_urgency,
    answer,
    focused_id,
    pick,
    pick_and_answer,
    start_contact,
    type_text,
)


def summary_text(app) -> str:
    """The summary as the worker reads it (the rendered table, wide enough not to wrap)."""
    from rich.console import Console

    panel = app.screen.query_one("#step-6")
    console = Console(width=300, record=True, file=open(os.devnull, "w"))
    console.print(panel.render_summary(app.screen.draft))
    return console.export_text()


def deadlines_line(app) -> str:
    return str(app.screen.query_one("#deadlines").render())


async def test_a_slot_past_the_deadline_needs_a_reason_which_is_kept(app, store, shipped):
    client = a_client_not_waiting(store, nth=4)
    before = signed_ids(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "hoitaja1", client.identity_code, "Kirvelee")
        # Another urgency than suggested: same day, with its reason.
        await all_no_then_urgency(pilot, "urinary", Urgency.SAME_DAY.value, "Kuumeinen, asuu yksin")
        await pilot.press("enter", "enter")  # clear need, booking
        await pilot.pause()
        # Same day: the deadline is today, the contact day, shown on the header line.
        assert "care by" in deadlines_line(app)
        picker = app.screen.query_one(SlotPicker)
        late = next(i for i, offer in enumerate(picker.offers) if offer.past_deadline)
        assert all(not offer.past_deadline for offer in picker.offers[:late])
        assert "past deadline" in str(app.screen.query_one("#slot-table").get_row_at(late))
        await pilot.press(*["down"] * late, "enter")
        await pilot.pause()
        assert focused_id(pilot) == "deadline-reason"
        await pilot.press("enter")  # no reason: blocked on this step
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        assert "past the deadline" in str(app.screen.query_one("#problems").render())
        await type_text(pilot, "Asiakas haluaa ajan vasta maanantaina")
        await pilot.press("enter")
        await pilot.pause()
        assert focused_id(pilot) == "follow-up-kinds"
        await pilot.press("enter")  # no follow-up
        await pilot.pause()
        summary = summary_text(app)
        assert "Past the deadline; reason: Asiakas haluaa ajan vasta maanantaina" in summary
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    draft = new_signed(store, before)
    assert draft.outcome_kind == OutcomeKind.BOOKING
    assert draft.past_deadline and draft.care_deadline == FIXED_NOW.date()
    assert draft.deadline_reason == "Asiakas haluaa ajan vasta maanantaina"
    assert draft.override_reason == "Kuumeinen, asuu yksin"


async def test_history_triggers_show_their_counts_and_the_high_need_path_asks_for_a_plan(
    app, store, shipped
):
    counsellor = worker_id(store, "ohjaaja1")
    client = new_client(store, date(1980, 5, 17), 931, "Toistuva")
    store.clients.update_client(client.id, FIXED_NOW, phone="0405550931")  # a callback asks for a number
    for days_ago in (2, 9, 20):  # three contacts within 30 days ...
        sign_advice(store, client.id, counsellor, FIXED_NOW - timedelta(days=days_ago))
    sign_advice(store, client.id, counsellor, FIXED_NOW - timedelta(days=45))  # ... one before
    unit = store.worker(counsellor).unit_id
    for days_ago in (3, 15):
        store.bookings.record_missed_appointment(client.id, FIXED_NOW - timedelta(days=days_ago), unit, FIXED_NOW, register=Register.SOCIAL)
    store.bookings.record_missed_appointment(client.id, FIXED_NOW - timedelta(days=60), unit, FIXED_NOW, register=Register.SOCIAL)
    # A health-care appointment the social worker may not see does not count for them.
    store.bookings.record_missed_appointment(client.id, FIXED_NOW - timedelta(days=5), unit, FIXED_NOW, register=Register.HEALTH)
    before = signed_ids(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "ohjaaja1", client.identity_code, "Taas rahat loppu")
        await pick_and_answer(pilot, "social_service_need", "no_money_for_food_or_medicine")
        await pilot.press("enter")
        await pick(pilot, "worry", WorryLevel.GREY_ZONE.value)
        assert focused_id(pilot) == "urgency"  # the suggestion shown, taken by Enter
        await pilot.press("enter")
        await pilot.pause()
        assert focused_id(pilot) == "segments"
        why = str(app.screen.query_one("#segment-why").render())
        assert "3 contacts in 30 days (limit 3)" in why
        assert "2 missed appointments in 30 days (limit 2)" in why
        assert "high-need triggers are marked" in why
        segments = app.screen.query_one("#segments")
        assert "(suggested)" in str(segments.get_option(Segment.COMPLEX_NEED.value).prompt)
        await pilot.press("enter")  # the suggested complex path
        await pilot.pause()
        triggers = app.screen.query_one("#triggers")
        assert set(triggers.selected) == {"repeated_contacts", "missed_appointments"}
        await pilot.press("enter")
        await pilot.pause()
        assert focused_id(pilot) == "plan-type"
        # Skipping the plan is not possible: Ctrl+N names what is missing.
        await pilot.press("ctrl+n")
        await pilot.pause()
        problems = str(app.screen.query_one("#problems").render())
        assert "plan" in problems and "worker or team" in problems
        await pick(pilot, "plan-type", PlanType.SERVICE_PLAN.value)
        listing = app.screen.query_one("#named-contact")
        team = next(
            listing.get_option_at_index(i).id for i in range(listing.option_count)
            if listing.get_option_at_index(i).id.startswith("team:")
        )
        await pick(pilot, "named-contact", team)
        assert focused_id(pilot) == "outcome-kinds"
        await pilot.press("enter")  # referral
        await pilot.pause()
        await pick(pilot, "services", "social_guidance")
        await pick(pilot, "handover", "cold")
        assert focused_id(pilot) == "follow-up-kinds"
        # The high-need path wants an agreed follow-up: "none" is not offered (it would be refused).
        listing = app.screen.query_one("#follow-up-kinds")
        assert "none" not in [listing.get_option_at_index(i).id for i in range(listing.option_count)]
        await pick(pilot, "follow-up-kinds", "callback")
        await pilot.press("enter", "enter")  # due date as suggested, no note
        await pilot.pause()
        summary = summary_text(app)
        assert "Service plan" in summary
        assert f"Own team: {store.unit_name(store.worker(counsellor).unit_id)}" in summary
        assert "{" not in summary
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    draft = new_signed(store, before)
    assert draft.high_need and set(draft.triggers) == {
        HighNeedTrigger.REPEATED_CONTACTS, HighNeedTrigger.MISSED_APPOINTMENTS,
    }
    assert draft.plan_type == PlanType.SERVICE_PLAN and draft.named_contact == team
    assert draft.worry_level == WorryLevel.GREY_ZONE
    assert draft.follow_up_kind.value == "callback"


async def test_a_danger_now_ends_in_an_emergency_redirect_with_the_safety_duty(app, store, shipped):
    # Not waiting in the callback queue: signing asks nothing about a callback (issue 15).
    client = next(c for c in (a_client(store, nth=n) for n in range(5, 40)) if not store.worklist.open_callbacks_of_client(c.id))
    before = signed_ids(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "ohjaaja1", client.identity_code, "Mies uhkaa kotona")
        await pick_and_answer(pilot, "social_service_need", "danger_or_violence_now", "child_at_risk")
        suggestion = str(app.screen.query_one("#suggestion").render())
        assert "RED FLAG" in suggestion
        assert "DUTY: Immediate safety response" in suggestion
        assert "DUTY: Child-welfare notification" in suggestion
        # A red flag needs no level of worry: Enter goes on.
        await pilot.press("enter")
        await pilot.pause()
        assert focused_id(pilot) == "segments"
        await pilot.press("enter")
        await pilot.pause()
        assert focused_id(pilot) == "outcome-kinds"
        assert app.screen.query_one("#emergency-box").display
        await pilot.press("enter")
        await type_text(pilot, "112 soitettu, poliisi matkalla")
        await pilot.press("enter")
        await pilot.pause()
        # After a child-welfare notification, child welfare decides within 7 working days.
        assert "child welfare decides by" in deadlines_line(app)
        await pilot.press("enter")  # the suggested callback
        await pilot.press("enter", "enter")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    draft = new_signed(store, before)
    assert draft.urgency == Urgency.EMERGENCY and draft.outcome_kind == OutcomeKind.EMERGENCY
    assert draft.duties == ["immediate_safety_response", "child_welfare_notification"]
    assert draft.domains == ["safety_violence", "family_children"]


async def test_an_older_client_gets_the_seventh_working_day_and_the_notification_duty(
    app, store, shipped
):
    client = new_client(store, date(1946, 2, 3), 944, "Vanhempi")  # 80 years old
    protocol = shipped.protocol("social_service_need")
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "ohjaaja1", client.identity_code, "Ei pärjää kotona")
        await pick(pilot, "protocols", "social_service_need")
        line = deadlines_line(app)
        seventh = add_working_days(FIXED_NOW.date(), 7)
        assert f"service-need assessment starts by {format_weekday_day(seventh)}" in line
        assert seventh == date(2026, 12, 4)  # Wed 25.11. + 7 working days (no holidays between)
        await answer(pilot, [q.id == "older_person_not_coping" for q in protocol.questions])
        suggestion = str(app.screen.query_one("#suggestion").render())
        assert "DUTY: Notification about an older person" in suggestion
        assert "Choose your level of worry" in suggestion


def _protocols_with_workers(shipped):
    """Every shipped protocol with a worker of its register and a service area offering it."""
    cases = []
    for protocol in shipped.protocols:
        area = protocol.service_areas[0]
        username = "hoitaja1" if protocol.register.value == "health" else "ohjaaja1"
        cases.append((protocol.id, username, area.value))
    return cases


@pytest.mark.parametrize(
    ("protocol_id", "username", "area"),
    _protocols_with_workers(load_shipped()),
    ids=lambda value: value,
)
async def test_every_protocol_runs_from_the_keyboard_to_its_suggestion(
    app, store, shipped, protocol_id, username, area
):
    """A nurse runs each health protocol and a counsellor the social one: protocol picked with
    arrows, every question answered with E (no), the default suggested with its reason, the
    deadlines in sight, Enter goes on to the segment."""
    client = a_client(store, nth=7)
    protocol = shipped.protocol(protocol_id)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, username, client.identity_code, "Soittaa")
        current = app.screen.draft.service_area
        if area != current.value:
            # Back to the need step; Tab to the service area; Enter opens it, arrows, Enter.
            areas = [a.value for a in ServiceArea]
            steps = areas.index(area) - areas.index(current.value)
            await pilot.press("escape")
            await pilot.pause()
            assert focused_id(pilot) == "reason"
            # (the channel, then who called and whether anonymous: issue 16)
            await pilot.press("tab", "tab", "tab", "tab")
            assert focused_id(pilot) == "service-area"
            await pilot.press("enter", *(["down"] * steps if steps > 0 else ["up"] * -steps), "enter")
            await pilot.pause()
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert app.screen.draft.service_area.value == area
        await pick(pilot, "protocols", protocol_id)
        await answer(pilot, [False] * len(protocol.questions))
        await pilot.press("enter")
        await pilot.pause()
        if protocol.asks_worry:
            await pick(pilot, "worry", WorryLevel.NONE.value)
            await pilot.press("enter")  # the suggestion shown, taken by Enter
            await pilot.pause()
        assert focused_id(pilot) == "segments"
        draft = app.screen.draft
        assert draft.suggested_urgency == protocol.default_urgency == draft.urgency
        assert "Deadlines:" in deadlines_line(app)


async def test_the_held_slot_is_measured_again_when_the_urgency_changes(data_dir, store, shipped):
    """A slot chosen in time for a non-urgent need no longer answers a raised urgency: coming
    back, the slot is chosen again from the earliest offer (issue 15: no stale choice), and a
    slot past the new deadline asks for the reason."""
    from ohjaus_tui.app import OhjausApp
    from ohjaus_tui.context import Context

    # Late in the afternoon: today's slots are gone, the list starts tomorrow.
    late = FIXED_NOW.replace(hour=16, minute=30)
    app = OhjausApp(Context(data_dir=data_dir, shipped=shipped, clock=lambda: late, demo=True))
    client = a_client(store, nth=8)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "hoitaja1", client.identity_code, "Selkä kipeä")
        # From the default (non-urgent: a health protocol never suggests self-care by default)
        # to three days, with a reason.
        await all_no_then_urgency(pilot, "back_pain", Urgency.THREE_DAYS.value, "Kipu jatkunut viikon")
        await pilot.press("enter", "enter")  # clear need, booking
        await pilot.pause()
        picker = app.screen.query_one(SlotPicker)
        assert all(offer.starts_at.date() > late.date() for offer in picker.offers)
        await pilot.press("enter")  # the earliest, tomorrow: in time for care within 3 days
        await pilot.pause()
        assert focused_id(pilot) == "follow-up-kinds" and not app.screen.draft.past_deadline
        # Back to the assessment: the urgency becomes same day.
        await pilot.press("escape", "escape", "escape")
        await pilot.pause()
        await pilot.press("tab")
        await pick(pilot, "urgency", Urgency.SAME_DAY.value)
        await pilot.press("enter")
        await pilot.pause()
        assert focused_id(pilot) == "segments"
        await pilot.press("enter")  # the clear need again
        await pilot.pause()
        # Other slots fit now: the one held for the non-urgent case is let go, the earliest
        # offer is highlighted, and nothing is booked until the worker takes one.
        draft = app.screen.draft
        assert draft.slot_id is None and not draft.past_deadline
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert "Choose a slot" in str(app.screen.query_one("#problems").render())
        picker = app.screen.query_one(SlotPicker)
        assert app.screen.query_one("#slot-table").cursor_row == 0
        # Nothing fits today at 16:30: the earliest is past today's deadline; Enter on it asks why.
        assert picker.offers[0].past_deadline
        app.screen.query_one("#slot-table").focus()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert focused_id(pilot) == "deadline-reason"
        assert app.screen.draft.slot_id == picker.offers[0].slot_id


def test_a_gap_in_the_care_guarantee_rules_is_named_on_the_deadline_line(shipped):
    """A region switching rules with a gap must not break the contact screen."""
    from dataclasses import replace as copy

    from ohjaus_tui.flow import draft_deadlines
    from ohjaus_tui.screens.steps.deadline_info import deadline_text

    class Ctx:
        def __init__(self, shipped):
            self.shipped = shipped
            self.store = None

    no_rules = copy(shipped, region=copy(shipped.region, rules=()))
    draft = ContactDraft(worker_id="w", unit_id="u", started_at=FIXED_NOW)
    draft.service_area, draft.urgency = ServiceArea.HEALTH, Urgency.NON_URGENT
    deadlines = draft_deadlines(Ctx(no_rules), draft)
    text = str(deadline_text(deadlines))
    assert "No care-guarantee rule for primary_care on 25.11.2026" in text
    assert "care-need assessment" in text and "region's promise" in text


async def test_a_letter_jumps_to_the_protocol(app, store):
    client = a_client(store, nth=9)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "hoitaja1", client.identity_code, "Kirvelee")
        listing = app.screen.query_one("#protocols")
        assert focused_id(pilot) == "protocol-find"

        def highlighted() -> str:
            return listing.get_option_at_index(listing.highlighted).id

        def titles() -> list[str]:
            return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]

        # In the finder, a letter lists the protocols whose title begins with it, the first
        # highlighted: one letter and Enter still choose it.
        await pilot.press("u")
        assert highlighted() == "urinary"
        assert all(title.startswith("U") for title in titles())
        await pilot.press("backspace", "tab")
        # In the list itself a letter jumps to the next one starting with it, round the end.
        assert focused_id(pilot) == "protocols"
        starting_with_s = [
            listing.get_option_at_index(i).id for i in range(listing.option_count)
            if str(listing.get_option_at_index(i).prompt).startswith("S")
        ]
        assert len(starting_with_s) >= 2  # shortness of breath, skin
        seen = []
        for _n in starting_with_s + starting_with_s[:1]:
            await pilot.press("s")
            seen.append(highlighted())
        assert seen == starting_with_s + starting_with_s[:1]
        await pilot.press("x")  # no protocol starts with it: nothing moves
        assert highlighted() == starting_with_s[0]
        await pilot.press("u", "enter")
        await pilot.pause()
        assert app.screen.draft.protocol_id == "urinary"


async def test_a_high_need_client_who_asks_information_only_is_assessed_not_advised_alone(app, store):
    """The review of 6.12.2026: a client with three contacts in 30 days who asks information
    only and manages once informed was suggested advice and guidance at the assessment (no
    limits), then a complex need with a plan at the segment step, the header still saying
    advice. The history makes the client high-need: the suggestion becomes the non-urgent
    service-need assessment, its limits are shown, and the segment step says why."""
    counsellor = worker_id(store, "ohjaaja1")
    client = new_client(store, date(1980, 5, 17), 932, "Toistuva")
    for days_ago in (2, 9, 20):
        sign_advice(store, client.id, counsellor, FIXED_NOW - timedelta(days=days_ago))
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "ohjaaja1", client.identity_code, "Kysyy asumistuesta")
        await pick_and_answer(pilot, "social_service_need", "debts_or_benefit_problems", "information_only", "manages_once_informed")
        await pilot.press("enter")
        await pick(pilot, "worry", WorryLevel.SMALL.value)
        draft = app.screen.draft
        assert draft.suggested_urgency is Urgency.SELF_CARE
        assert not app.screen.query_one("#deadlines").display
        await pilot.press("enter")  # the suggested advice and guidance
        await pilot.pause()
        assert focused_id(pilot) == "segments"
        assert draft.suggested_segment is Segment.COMPLEX_NEED
        assert draft.suggested_urgency is Urgency.NON_URGENT and draft.urgency is Urgency.NON_URGENT
        assert not draft.overridden
        why = str(app.screen.query_one("#segment-why").render())
        assert "the history shows a high-need client" in why and "3 contacts in 30 days" in why
        await pilot.pause()
        assert app.screen.query_one("#deadlines").display
        assert "service-need assessment" in str(app.screen.query_one("#deadlines").render())
