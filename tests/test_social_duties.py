"""Issue 16: social guidance a counsellor would sign. Statutory notifications are duties made
without the client's consent, also when a neighbour calls about someone else."""

from __future__ import annotations

from ohjaus_tui.domain.codes import Handover, OutcomeKind, Segment, WorryLevel
from ohjaus_tui.domain.contact import ContactDraft, Step, step_problems
from ohjaus_tui.screens.home import HomeScreen

from .pilot_helpers import (
    a_client_not_waiting,
    focused_id,
    pick,
    pick_and_answer,
    pick_result,
    sign_in,
    start_contact,
    type_text,
)
from .test_contact_outcomes import new_signed, signed_ids
from .test_time_limits_flow import summary_text


async def test_a_neighbours_anonymous_call_ends_in_an_older_persons_notification_without_consent(app, store):
    before = signed_ids(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ohjaaja1")
        await pilot.press("n")
        await pick_result(pilot, "anonymous")
        await type_text(pilot, "Naapuri soittaa: 77-vuotias mies ei selviydy kotona")
        await pilot.press("enter")
        await pick_and_answer(pilot, "social_service_need", "older_person_not_coping")
        await pilot.press("enter")
        await pick(pilot, "worry", WorryLevel.GREAT.value)
        await pilot.press("enter")  # the suggested urgency
        await pilot.pause()
        await pick(pilot, "segments", Segment.CLEAR_NEED.value)
        await pilot.pause()
        assert focused_id(pilot) == "outcome-kinds"
        await pick(pilot, "outcome-kinds", OutcomeKind.REFERRAL.value)
        await pick(pilot, "services", "older_person_notification")
        await pick(pilot, "handover", Handover.WARM.value)
        # No consent is asked: the law is shown instead, and the worker goes on.
        assert not app.screen.query_one("#consent").display
        basis = str(app.screen.query_one("#duty-basis").render())
        assert "without the client's consent" in basis and "25 §" in basis
        assert focused_id(pilot) == "follow-up-kinds"
        await pilot.press("enter", "enter", "enter")  # callback, due date, note as they are
        summary = summary_text(app)
        assert "Statutory notification without consent" in summary
        await pilot.press("enter")  # sign
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    draft = new_signed(store, before)
    assert draft.anonymous and draft.client_id is None
    assert draft.service_code == "older_person_notification"
    assert draft.handover == Handover.WARM and not draft.consent
    assert "Older Persons Act 980/2012 25 §" in draft.legal_basis


def test_an_ordinary_warm_hand_over_still_needs_consent_a_notification_does_not():
    from datetime import datetime

    draft = ContactDraft(worker_id="w", unit_id="u", started_at=datetime(2026, 11, 25, 9))
    draft.outcome_kind, draft.service_code, draft.handover = OutcomeKind.REFERRAL, "social_guidance", Handover.WARM
    assert "A warm hand-over needs the client's consent." in step_problems(draft, Step.OUTCOME)
    draft.service_code, draft.legal_basis = "child_welfare_intake", "Child Welfare Act 417/2007 25 §"
    assert step_problems(draft, Step.OUTCOME) == []


def test_the_catalogue_names_the_duty_and_its_law_for_each_notification(shipped):
    child = shipped.service("child_welfare_intake")
    older = shipped.service("older_person_notification")
    assert child.duty == "child_welfare_notification" and "25 §" in child.legal_bases["fi"]
    assert older.duty == "older_person_notification" and "Vanhuspalvelulaki" in older.legal_bases["fi"]
    assert all(s.legal_bases["sv"] for s in (child, older))
    assert shipped.service("social_guidance").duty is None


async def test_debts_housing_and_substance_use_leave_with_three_referrals(app, store):
    """Two warm hand-overs with the client's consent and one cold one, in one contact; the
    signed contact, the client's timeline and the report show all three."""
    client = a_client_not_waiting(store, nth=3)
    before = signed_ids(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "ohjaaja1", client.identity_code, "Velkoja, häätö uhkaa, juo joka päivä")
        await pick_and_answer(
            pilot, "social_service_need", "housing_lost", "debts_or_benefit_problems", "substance_use_harms"
        )
        await pilot.press("enter")
        await pick(pilot, "worry", WorryLevel.GREY_ZONE.value)
        await pilot.press("enter")  # the suggested urgency
        await pilot.pause()
        await pick(pilot, "segments", Segment.CLEAR_NEED.value)
        await pick(pilot, "outcome-kinds", OutcomeKind.REFERRAL.value)
        for code in ("adult_social_work", "social_guidance"):
            await pick(pilot, "services", code)
            await pick(pilot, "handover", Handover.WARM.value)
            assert focused_id(pilot) == "consent"
            await pilot.press("space")  # the client consents to this destination
            await pilot.press("f4")  # another referral
            await pilot.pause()
            assert focused_id(pilot) == "services"
        made = str(app.screen.query_one("#referrals-made").render())
        assert "Adult social work" in made and "Social guidance" in made and "consent recorded" in made
        # The same destination twice is refused with a line that says so.
        await pick(pilot, "services", "adult_social_work")
        await pick(pilot, "handover", Handover.COLD.value)
        assert "referred to twice" in str(app.screen.query_one("#problems").render())
        await pilot.press("shift+tab")
        await pilot.pause()
        assert focused_id(pilot) == "services"
        await pick(pilot, "services", "substance_ngo")
        await pick(pilot, "handover", Handover.COLD.value)
        assert focused_id(pilot) == "follow-up-kinds"
        summary = summary_text(app)
        for name in ("Adult social work", "Social guidance", "Selvä Polku"):
            assert name in summary
        await pilot.press("enter", "enter", "enter")  # the suggested follow-up as it is
        await pilot.press("enter")  # sign
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    draft = new_signed(store, before)
    assert [(r.service_code, r.handover, r.consent) for r in draft.all_referrals] == [
        ("adult_social_work", Handover.WARM, True),
        ("social_guidance", Handover.WARM, True),
        ("substance_ngo", Handover.COLD, False),
    ]


# -- item 3: the catalogue follows the need ---------------------------------------------------


def test_services_fitting_the_domains_and_the_age_come_first(shipped):
    from ohjaus_tui.domain.catalogue import by_need, services_for
    from ohjaus_tui.domain.codes import Register

    social = services_for(shipped.catalogue, Register.SOCIAL)
    first = [s.code for s in by_need(social, ["livelihood"], 45)]
    assert first[0] in ("social_guidance", "adult_social_work", "kela", "debt_counselling", "housing_counselling")
    fitting = [s.code for s in by_need(social, ["livelihood"], 45) if "livelihood" in s.domains]
    assert first[: len(fitting)] == fitting and "debt_counselling" in fitting
    young = [s.code for s in by_need(social, ["mental_wellbeing"], 16)]
    assert young.index("youth_services") < young.index("mental_substance_services")
    assert young[-1] in {s.code for s in social if not s.fits_age(16)}
    carer = by_need(social, ["coping_at_home", "relationships"], 70)
    codes = [s.code for s in carer]
    # Only services serving both domains come before the carer's support.
    assert all({"coping_at_home", "relationships"} <= set(s.domains) for s in carer[: codes.index("carer_support")])


async def test_a_16_year_old_is_not_offered_an_adult_service_first(app, store, shipped):
    from datetime import date

    from ohjaus_tui.domain.codes import Language

    from .sync_helpers import make_identity_code

    now = app.ctx.now()
    teen = store.add_client(
        first_name="Nea", last_name="Nuori", identity_code=make_identity_code(date(2010, 5, 5), 963),
        phone=None, language=Language.FI, municipality="Järvilaakso", created_by=None, now=now,
        allow_temporary=True,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "ohjaaja1", teen.identity_code, "Ahdistaa, ei jaksa koulua")
        await pick_and_answer(pilot, "social_service_need", "mental_wellbeing_strained")
        await pilot.press("enter")
        await pick(pilot, "worry", WorryLevel.SMALL.value)
        await pilot.press("enter")
        await pilot.pause()
        await pick(pilot, "segments", Segment.CLEAR_NEED.value)
        await pick(pilot, "outcome-kinds", OutcomeKind.REFERRAL.value)
        listing = app.screen.query_one("#services")
        shown = [listing.get_option_at_index(i) for i in range(listing.option_count)]
        ids = [o.id for o in shown]
        assert ids[0] == "youth_services" and "(fits the need)" in str(shown[0].prompt)
        adult = shown[ids.index("mental_substance_services")]
        assert "(for ages 18+)" in str(adult.prompt)
        assert ids.index("mental_substance_services") > ids.index("crisis_centre")


# -- item 4: information-only and anonymous clients --------------------------------------------


def test_information_only_suggests_advice_and_an_unidentified_client_no_booking():
    from ohjaus_tui.domain.codes import HighNeedTrigger, Urgency
    from ohjaus_tui.domain.segmentation import suggest_outcome, suggest_segment

    assert suggest_segment(Urgency.NON_URGENT, [], WorryLevel.SMALL, ["livelihood"]) == Segment.CLEAR_NEED
    assert suggest_segment(Urgency.NON_URGENT, [], WorryLevel.SMALL, ["livelihood"], information_only=True) == Segment.ADVICE
    many = ["livelihood", "housing", "work_study"]
    assert suggest_segment(Urgency.NON_URGENT, [], WorryLevel.NONE, many, information_only=True) == Segment.ADVICE
    # More than information: great worry, a trigger or an urgent need still go further.
    assert suggest_segment(Urgency.NON_URGENT, [], WorryLevel.GREAT, [], information_only=True) == Segment.COMPLEX_NEED
    assert suggest_segment(Urgency.NON_URGENT, [HighNeedTrigger.WORRY], None, [], information_only=True) == Segment.COMPLEX_NEED
    assert suggest_segment(Urgency.SAME_DAY, [], None, [], information_only=True) == Segment.CLEAR_NEED
    assert suggest_outcome(Segment.CLEAR_NEED, [], Urgency.THREE_DAYS) == OutcomeKind.BOOKING
    assert suggest_outcome(Segment.CLEAR_NEED, [], Urgency.THREE_DAYS, anonymous=True) == OutcomeKind.ADVICE


async def test_an_information_only_client_ends_in_advice_with_no_booking_suggested(app, store):
    client = a_client_not_waiting(store, nth=5)
    before = signed_ids(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "ohjaaja1", client.identity_code, "Miten haen asumistukea?")
        await pick_and_answer(pilot, "social_service_need", "debts_or_benefit_problems", "information_only")
        await pilot.press("enter")
        await pick(pilot, "worry", WorryLevel.NONE.value)
        await pilot.press("enter")  # the suggested urgency
        await pilot.pause()
        assert app.screen.draft.suggested_segment == Segment.ADVICE
        assert "information or advice only" in str(app.screen.query_one("#segment-why").render())
        await pilot.press("enter")  # the suggested segment
        await pilot.pause()
        kinds = app.screen.query_one("#outcome-kinds")
        suggested = [
            kinds.get_option_at_index(i).id for i in range(kinds.option_count)
            if "(suggested)" in str(kinds.get_option_at_index(i).prompt)
        ]
        assert suggested == [OutcomeKind.ADVICE.value]
        await pilot.press("enter")
        await type_text(pilot, "Kelan asumistuki: hakemus OmaKelassa")
        await pilot.press("enter")
        await pilot.press("enter")  # no follow-up
        await pilot.press("enter")  # sign
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    draft = new_signed(store, before)
    assert draft.segment == Segment.ADVICE and draft.outcome_kind == OutcomeKind.ADVICE and draft.slot_id is None
