"""Complete contacts for each segment and each outcome, checked in the store."""

from __future__ import annotations

from sqlmodel import select

from ohjaus_core.domain.codes import (
    FollowUpKind,
    FollowUpStatus,
    Handover,
    HighNeedTrigger,
    OutcomeKind,
    PlanType,
    Segment,
    Urgency,
    WorryLevel,
)
from ohjaus_core.domain.contact import Step
from ohjaus_tui.screens.contact import ContactScreen
from ohjaus_tui.screens.home import HomeScreen
from ohjaus_tui.store.models import FollowUp, Slot

from ..conftest import FIXED_NOW
from ..factories import new_signed, signed_ids
from ..pilot_helpers import (
    a_client,
    a_client_not_waiting,
    answer,
    focused_id,
    pick,
    pick_and_answer,
    pick_result,
    raised_to_same_day,
    sign_in,
    start_contact,
    type_text,
)


async def test_booking_for_a_clear_need(app, store, shipped):
    client = a_client_not_waiting(store, nth=1)
    before = signed_ids(store)
    protocol = shipped.protocol("urinary")
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "hoitaja1", client.identity_code, "Kirvelee virtsatessa")
        await pick(pilot, "protocols", "urinary")
        # No to every red flag and to every raising question but the last one.
        await answer(pilot, raised_to_same_day(protocol))
        await pilot.press("enter")
        await pilot.pause()
        assert focused_id(pilot) == "segments"
        await pilot.press("enter")  # the suggested clear need
        await pilot.press("enter")  # the suggested booking
        await pilot.pause()
        assert focused_id(pilot) == "slot-table"
        await pilot.press("enter")  # the earliest fitting slot
        await pilot.press("enter")  # no follow-up
        await pilot.press("enter")  # sign
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    draft = new_signed(store, before)
    assert draft.segment == Segment.CLEAR_NEED
    assert draft.outcome_kind == OutcomeKind.BOOKING
    assert draft.urgency == Urgency.SAME_DAY  # the raising answer's
    with store.session() as session:
        slot = session.get(Slot, draft.slot_id)
    assert slot.booked_contact_id == draft.id
    offer = store.bookings.slot_offer(slot.id)
    assert "fi" in offer.languages


async def test_referral_with_warm_hand_over_for_a_complex_need(app, store, shipped):
    client = a_client(store, nth=2)
    if not client.phone:  # the callback at the end asks for a number otherwise
        store.clients.update_client(client.id, FIXED_NOW, phone="0405550002")
    before = signed_ids(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "ohjaaja1", client.identity_code, "Rahat loppu, vuokra rästissä")
        await pick_and_answer(pilot, "social_service_need", "no_money_for_food_or_medicine")
        await pilot.press("enter")
        assert focused_id(pilot) == "worry"
        await pick(pilot, "worry", WorryLevel.SMALL.value)
        # The suggestion is shown and taken by an explicit Enter, never skipped (issue 15).
        assert focused_id(pilot) == "urgency"
        assert app.screen.draft.suggested_urgency is not None
        # In the register's words (a social contact speaks of the service-need assessment).
        draft = app.screen.draft
        assert draft.suggested_urgency.worded(draft.register) in str(app.screen.query_one("#suggestion").render())
        await pilot.press("enter")
        await pilot.pause()
        await pick(pilot, "segments", Segment.COMPLEX_NEED.value)
        assert focused_id(pilot) == "triggers"
        await pilot.press("space")  # the first trigger: worry
        await pilot.press("enter")
        await pilot.pause()
        # The high-need flag asks for the plan and the worker responsible.
        assert focused_id(pilot) == "plan-type"
        await pick(pilot, "plan-type", PlanType.CLIENT_PLAN.value)
        assert focused_id(pilot) == "named-contact"
        await pilot.press("enter")  # the worker themself, highlighted first
        await pilot.pause()
        assert focused_id(pilot) == "outcome-kinds"
        await pilot.press("enter")  # the suggested referral
        await pilot.pause()
        assert focused_id(pilot) == "services"
        await pick(pilot, "services", "social_guidance")
        await pick(pilot, "handover", Handover.WARM.value)
        assert focused_id(pilot) == "consent"
        await pilot.press("space", "enter")
        await pilot.pause()
        assert focused_id(pilot) == "follow-up-kinds"
        await pilot.press("enter")  # the suggested callback
        await pilot.press("enter")  # the suggested due date
        await type_text(pilot, "Soita ja kysy, onko aika sovittu")
        await pilot.press("enter")
        await pilot.press("enter")  # sign
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    draft = new_signed(store, before)
    # No money for food: assessed within three working days (ToimTukiL 14 §; a need that cannot
    # wait is "must be arranged today"), protocol version 10.
    assert draft.urgency == Urgency.THREE_DAYS
    assert draft.segment == Segment.COMPLEX_NEED
    assert draft.high_need and draft.triggers == [HighNeedTrigger.WORRY]
    assert draft.worry_level == WorryLevel.SMALL
    assert draft.plan_type == PlanType.CLIENT_PLAN
    assert draft.named_contact == f"worker:{draft.worker_id}"
    assert draft.outcome_kind == OutcomeKind.REFERRAL
    assert draft.service_code == "social_guidance"
    assert draft.handover == Handover.WARM and draft.consent
    with store.session() as session:
        follow_up = session.exec(select(FollowUp).where(FollowUp.contact_id == draft.id)).one()
    assert follow_up.kind == FollowUpKind.CALLBACK.value
    assert follow_up.status == FollowUpStatus.OPEN.value
    assert follow_up.due > app.ctx.now().date()
    assert follow_up.note == "Soita ja kysy, onko aika sovittu"


async def test_red_flag_ends_in_emergency_redirect_for_an_unidentified_caller(app, store):
    before = signed_ids(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        await pick_result(pilot, "anonymous")
        await type_text(pilot, "Puristava rintakipu")
        await pilot.press("enter")
        await pick(pilot, "protocols", "chest_pain")
        await answer(pilot, [True])  # unconscious or hard to wake
        assert "112" in str(app.screen.query_one("#suggestion").render())
        await pilot.press("enter")
        await pilot.press("enter")  # segment as suggested
        await pilot.pause()
        assert focused_id(pilot) == "outcome-kinds"
        await pilot.press("enter")  # the emergency redirect, forced by the red flag
        await type_text(pilot, "112 soitettu asiakkaan kanssa")
        await pilot.press("enter")
        # No callback is suggested: no phone number is recorded for an unidentified caller.
        await pilot.press("enter")  # no follow-up, as suggested
        await pilot.press("enter")  # sign
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    draft = new_signed(store, before)
    assert draft.anonymous and draft.client_id is None
    assert draft.follow_up_kind == FollowUpKind.NONE
    assert draft.red_flags == ["unconscious"]
    assert draft.urgency == Urgency.EMERGENCY
    assert draft.outcome_kind == OutcomeKind.EMERGENCY
    assert draft.outcome_note == "112 soitettu asiakkaan kanssa"


async def test_another_urgency_needs_a_reason_which_is_kept(app, store, shipped):
    client = a_client(store, nth=3)
    before = signed_ids(store)
    protocol = shipped.protocol("back_pain")
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "hoitaja1", client.identity_code, "Selkä jumissa")
        await pick(pilot, "protocols", "back_pain")
        await answer(pilot, [False] * len(protocol.questions))
        await pilot.press("tab")
        assert focused_id(pilot) == "urgency"
        await pick(pilot, "urgency", Urgency.SAME_DAY.value)
        assert focused_id(pilot) == "override-reason"
        await pilot.press("enter")  # no reason yet: blocked
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        assert "reason" in str(app.screen.query_one("#problems").render()).lower() or "syy" in str(
            app.screen.query_one("#problems").render()
        ).lower()
        await type_text(pilot, "Kipu estaa liikkumisen, asuu yksin")
        await pilot.press("enter")
        await pilot.pause()
        assert focused_id(pilot) == "segments"
        await pilot.press("enter", "enter")
        await pilot.pause()
        await pilot.press("enter", "enter", "enter")  # slot, no follow-up, sign
        await pilot.pause()
    draft = new_signed(store, before)
    assert draft.suggested_urgency == protocol.default_urgency
    assert draft.urgency == Urgency.SAME_DAY
    assert draft.override_reason == "Kipu estaa liikkumisen, asuu yksin"


async def test_escape_goes_back_without_losing_what_was_typed(app, store):
    client = a_client(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "hoitaja1", client.identity_code, "Kuumetta kolme päivää")
        await pilot.pause()
        assert focused_id(pilot) == "protocol-find"  # the finder: type a symptom or a letter
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one("#reason").value == "Kuumetta kolme päivää"
        await pilot.press("escape")
        await pilot.pause()
        assert focused_id(pilot) == "client-query"
        assert app.screen.draft.client_id == client.id
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert focused_id(pilot) == "reason"
        assert app.screen.query_one("#reason").value == "Kuumetta kolme päivää"


async def test_an_empty_reason_blocks_only_its_step(app, store):
    client = a_client(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        await type_text(pilot, client.identity_code)
        await pilot.press("enter")
        await pilot.press("enter")  # reason left empty
        await pilot.pause()
        assert focused_id(pilot) == "reason"
        problems = str(app.screen.query_one("#problems").render())
        assert problems.strip(), "the worker is told what is missing"
        # The client step was saved: the draft is in the store at the need step.
        draft = store.contacts.load_draft(app.screen.draft.id)
        assert draft.client_id == client.id


async def test_a_correction_from_home_is_a_new_version_and_keeps_the_signed_one(app, store):
    # A client not waiting in the callback queue: signing asks nothing about a callback.
    client = next(c for c in (a_client(store, nth=n) for n in range(5, 40)) if not store.worklist.open_callbacks_of_client(c.id))
    before = signed_ids(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        await type_text(pilot, client.identity_code)
        await pilot.press("enter")
        await type_text(pilot, "Kysyy aukioloaikoja")
        # advice only: "only wants information" yes (the self-care criterion)
        await pilot.press("enter", "enter", "y", "enter", "enter", "enter")
        await type_text(pilot, "Aukioloajat kerrottu")
        await pilot.press("enter", "enter", "enter")
        await pilot.pause()
        original = new_signed(store, before)
        recent = app.screen.query_one("#recent")
        app.screen.set_focus(recent)
        assert recent.get_option_at_index(recent.highlighted or 0).id == original.id
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        assert app.screen.draft.version == 2 and app.screen.draft.supersedes_id == original.id
        await pilot.press(*["ctrl+n"] * 4)
        await pilot.pause()
        advice = app.screen.query_one("#advice-text")
        assert advice.value == "Aukioloajat kerrottu"
        await pilot.press("ctrl+n", "ctrl+n")
        await pilot.pause()
        await pilot.press("enter")  # sign the correction
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        recent = app.screen.query_one("#recent")
        assert recent.get_option_at_index(0).id != original.id
    signed = [c for c in store.contacts.signed_contacts(limit=10_000) if c.id not in before]
    assert len(signed) == 2
    correction = next(c for c in signed if c.id != original.id)
    assert (correction.version, correction.supersedes_id) == (2, original.id)
    assert correction.started_at == original.started_at
    assert store.contacts.load_draft(original.id).advice_text == "Aukioloajat kerrottu"


async def test_a_full_disk_keeps_the_worker_on_the_step_with_a_message(app, store):
    from sqlalchemy import event

    client = a_client(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        await type_text(pilot, client.identity_code)
        await pilot.press("enter")
        engine = app.ctx.store.engine
        engine.dispose()

        @event.listens_for(engine, "connect")
        def _full(connection, _record):
            pages = connection.execute("PRAGMA page_count").fetchone()[0]
            connection.execute(f"PRAGMA max_page_count = {pages}")

        reason = app.screen.query_one("#reason")
        reason.value = "Pitkä kuvaus " * 1_500  # under the 20,000 a text may have; more than the pages left
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.draft.step == Step.NEED
        assert "could not be written" in str(app.screen.query_one("#problems").render())
        assert reason.value.startswith("Pitkä kuvaus")
        event.remove(engine, "connect", _full)
        engine.dispose()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.draft.step == Step.ASSESSMENT
