"""Issue 16: social guidance a counsellor would sign. Statutory notifications are duties made
without the client's consent, also when a neighbour calls about someone else."""

from __future__ import annotations

from datetime import date

import pytest

from ohjaus_core.domain.codes import FollowUpKind, Handover, OutcomeKind, Segment, Urgency, WorryLevel
from ohjaus_core.domain.contact import ContactDraft, Step, step_problems
from ohjaus_core.i18n import format_date, format_weekday_day
from ohjaus_tui.screens.home import HomeScreen

from ..pilot_helpers import (
    a_client_not_waiting,
    focused_id,
    pick,
    pick_and_answer,
    screen_text,
    sign_in,
    social_assessment_to_segment,
    start_unidentified,
    start_contact,
    type_text,
)
from ..conftest import FIXED_NOW
from ..factories import new_client, new_signed, signed_ids
from tests.screens.test_time_limits_flow import summary_text


async def test_a_neighbours_anonymous_call_ends_in_an_older_persons_notification_without_consent(app, store):
    before = signed_ids(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_unidentified(pilot, "ohjaaja1", "Naapuri soittaa: 77-vuotias mies ei selviydy kotona")
        await social_assessment_to_segment(pilot, WorryLevel.GREAT.value, Segment.CLEAR_NEED.value, "older_person_not_coping")
        assert focused_id(pilot) == "outcome-kinds"
        await pick(pilot, "outcome-kinds", OutcomeKind.REFERRAL.value)
        await pick(pilot, "services", "older_person_notification")
        await pick(pilot, "handover", Handover.WARM.value)
        # No consent is asked: the law is shown instead, and the worker goes on.
        assert not app.screen.query_one("#consent").display
        basis = str(app.screen.query_one("#duty-basis").render())
        assert "without the client's consent" in basis and "25 §" in basis
        assert focused_id(pilot) == "follow-up-kinds"
        await pilot.press("enter")  # no follow-up: an unidentified client cannot be called back
        await pilot.pause()
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
        await social_assessment_to_segment(
            pilot, WorryLevel.GREY_ZONE.value, Segment.CLEAR_NEED.value,
            "housing_lost", "debts_or_benefit_problems", "substance_use_harms",
        )
        await pick(pilot, "outcome-kinds", OutcomeKind.REFERRAL.value)
        for code in ("adult_social_work", "social_guidance"):
            await pick(pilot, "services", code)
            await pick(pilot, "handover", Handover.WARM.value)
            assert focused_id(pilot) == "consent"
            await pilot.press("space")  # the client consents to this destination
            # F4 shows in the footer once the outcome is a referral (walk of 5.12.2026).
            footer = " ".join(str(k.render()) for k in app.screen.query("FooterKey"))
            assert "Another referral" in footer
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
    from ohjaus_core.domain.catalogue import by_need, services_for
    from ohjaus_core.domain.codes import Register

    social = services_for(shipped.catalogue, Register.SOCIAL)
    first = [s.code for s in by_need(social, ["livelihood"], 45)]
    assert first[0] in ("social_guidance", "adult_social_work", "kela", "debt_counselling", "housing_counselling")
    fitting = [s.code for s in by_need(social, ["livelihood"], 45) if "livelihood" in s.domains]
    assert first[: len(fitting)] == fitting and "debt_counselling" in fitting
    young = [s.code for s in by_need(social, ["mental_wellbeing"], 16)]
    assert young.index("youth_services") < young.index("mental_substance_services")
    assert young[-1] in {s.code for s in social if not s.fits_age(16)}
    # A client who cares for a close person: the carer's support first (Omaishoitolaki
    # 937/2005 2-3 §; `first_for`), before the older people's guidance of the client's age.
    carer = by_need(social, ["coping_at_home", "mental_wellbeing"], 70, ["cares_for_close_person"])
    assert "carer_support" in [service.code for service in carer[:5]]
    assert by_need(social, ["coping_at_home", "mental_wellbeing"], 70)[0].code != "carer_support"
    # The specific service before the broad one, the one for the client's age group before the
    # one for everyone, and where no need domain was found the file's order (Kela first).
    assert first[0] == "debt_counselling"
    assert by_need(social, ["coping_at_home"], 80)[0].code == "older_people_guidance"
    assert by_need(social, [], 40)[0].code == "kela"


def test_the_catalogue_follows_the_answers_the_anonymous_and_the_young(shipped):
    """Rules of 5.12.2026 by class: no money for food puts Kela's basic social assistance first
    (ToimTukiL 14 §) before debt counselling; an unidentified client with a need that is not
    urgent is first offered a service taking anonymous contacts (an urgent danger is not); a
    client under 25 the youth services when they fit any need found."""
    from ohjaus_core.domain.catalogue import by_need, services_for
    from ohjaus_core.domain.codes import Register

    social = services_for(shipped.catalogue, Register.SOCIAL)
    assert by_need(social, ["livelihood"], 31)[0].code == "debt_counselling"
    assert by_need(social, ["livelihood"], 31, ["no_money_for_food_or_medicine"])[0].code == "kela"
    assert by_need(social, ["safety_violence"], 30)[0].code == "police"
    quiet = by_need(social, ["safety_violence"], 30, urgent=False, anonymous=True)[0]
    assert quiet.anonymous and quiet.code == "crisis_centre"
    assert by_need(social, ["safety_violence"], 30, urgent=True, anonymous=True)[0].code == "police"
    # Nothing found: the file's order (Kela) also for the anonymous and the young.
    assert by_need(social, [], 30, urgent=False, anonymous=True)[0].code == "kela"
    assert by_need(social, [], 19)[0].code == "kela"
    # 21, work, substance use, money and mood: the youth services before adult social work,
    # which fits one domain more.
    assert by_need(social, ["work_study", "substance_use", "livelihood", "mental_wellbeing"], 21)[0].code == "youth_services"
    assert by_need(social, ["work_study", "substance_use", "livelihood", "mental_wellbeing"], 30)[0].code == "adult_social_work"
    # sh3: 24, pills collected for tonight (danger now, the same day or sooner): not the youth
    # services first but the service fitting most of the need (the crisis centre); not urgent,
    # the same for an adult whose need has no work or study in it (version 11: the youth
    # services first for an adult under 25 only with work or study in the need), the youth
    # services with it.
    found = ["safety_violence", "mental_wellbeing"]
    assert by_need(social, found, 24, ["danger_or_violence_now"], urgent=True)[0].code == "crisis_centre"
    assert by_need(social, found, 24)[0].code == "crisis_centre"
    assert by_need(social, [*found, "work_study"], 24)[0].code == "youth_services"


def test_the_statutory_group_and_a_child_at_risk_name_their_service_first(shipped):
    """Rules of 5.12.2026 (second round): the statutory group of SHL 36 § is assessed by older
    people's services from 65 (VpL 15 §), under 65 by disability services (the highest care
    allowance, a child needing special support), even where no domain was found and before
    Kela for no money; a child at risk puts child welfare intake (LsL 25 §, 26 §) first, for a
    child before the youth services and for a parent whose children are at risk."""
    from ohjaus_core.domain.catalogue import by_need, services_for
    from ohjaus_core.domain.codes import Register

    social = services_for(shipped.catalogue, Register.SOCIAL)
    statutory = ["statutory_group"]
    assert by_need(social, [], 76, statutory)[0].code == "older_people_guidance"
    assert by_need(social, [], 76)[0].code == "kela"  # not of the group: the file's order
    money = ["statutory_group", "no_money_for_food_or_medicine"]
    assert by_need(social, ["livelihood", "safety_violence"], 80, money)[0].code == "older_people_guidance"
    assert by_need(social, ["livelihood", "safety_violence"], 50, ["no_money_for_food_or_medicine"])[0].code == "kela"
    assert by_need(social, ["family_children", "coping_at_home"], 8, statutory)[0].code == "disability_services"
    at_risk = ["child_at_risk"]
    assert by_need(social, ["family_children", "work_study", "substance_use"], 15)[0].code == "youth_services"
    assert by_need(social, ["family_children", "work_study", "substance_use"], 15, at_risk)[0].code == "child_welfare_intake"
    assert by_need(social, ["safety_violence", "family_children"], 35, at_risk)[0].code == "child_welfare_intake"
    # A family's need with no child at risk: family social work, not child welfare.
    assert by_need(social, ["family_children"], 35, ["family_needs_support"])[0].code == "family_social_work"


def test_the_statutory_group_and_a_suspicion_from_the_answers_in_the_segment():
    from ohjaus_core.domain.codes import HighNeedTrigger, Urgency
    from ohjaus_core.domain.segmentation import suggest_segment

    coping = ["coping_at_home"]
    # SHL 36 §'s groups are assessed whatever they ask: information only with a worry is a clear need.
    assert suggest_segment(Urgency.NON_URGENT, [], WorryLevel.SMALL, coping, True) == Segment.ADVICE
    assert suggest_segment(Urgency.NON_URGENT, [], WorryLevel.SMALL, coping, True, statutory=True) == Segment.CLEAR_NEED
    assert suggest_segment(Urgency.NON_URGENT, [], WorryLevel.NONE, coping, True, statutory=True) == Segment.ADVICE
    # In the grey zone of worry the group's client is a complex need (a named worker, SHL 42 §).
    assert suggest_segment(Urgency.THREE_DAYS, [], WorryLevel.GREY_ZONE, ["livelihood"]) == Segment.CLEAR_NEED
    assert suggest_segment(Urgency.THREE_DAYS, [], WorryLevel.GREY_ZONE, ["livelihood"], statutory=True) == Segment.COMPLEX_NEED
    # A wife asks about her husband's drinking: the pre-marked suspicion does not override
    # information only at a small worry; marked by the worker (not from the answers) it does.
    addiction = [HighNeedTrigger.ADDICTION_SUSPECTED]
    substance = ["substance_use"]
    assert suggest_segment(Urgency.NON_URGENT, addiction, WorryLevel.SMALL, substance, True, set(addiction)) == Segment.ADVICE
    assert suggest_segment(Urgency.NON_URGENT, addiction, WorryLevel.SMALL, substance, True) == Segment.COMPLEX_NEED
    # In the grey zone the pre-marked suspicion counts where another need is found; addiction
    # the only need found is met by the substance services (SHL 24 §, protocol version 10), so a
    # question about it alone stays advice.
    assert suggest_segment(Urgency.NON_URGENT, addiction, WorryLevel.GREY_ZONE, [*substance, "livelihood"], True, set(addiction)) == Segment.COMPLEX_NEED
    assert suggest_segment(Urgency.NON_URGENT, addiction, WorryLevel.GREY_ZONE, substance, True, set(addiction)) == Segment.ADVICE
    # Nor does it make the need complex at a small worry: a client asking for help with their
    # drinking is a clear need (a referral); the history's trigger makes it complex, and the grey
    # zone does where another need is found (addiction alone: clear, SHL 24 §, version 10).
    assert suggest_segment(Urgency.THREE_DAYS, addiction, WorryLevel.SMALL, substance, False, set(addiction)) == Segment.CLEAR_NEED
    assert suggest_segment(Urgency.THREE_DAYS, addiction, WorryLevel.SMALL, substance) == Segment.COMPLEX_NEED
    assert suggest_segment(Urgency.THREE_DAYS, addiction, WorryLevel.GREY_ZONE, substance, False, set(addiction)) == Segment.CLEAR_NEED
    assert suggest_segment(Urgency.THREE_DAYS, addiction, WorryLevel.GREY_ZONE, [*substance, "livelihood"], False, set(addiction)) == Segment.COMPLEX_NEED


async def test_a_16_year_old_is_not_offered_an_adult_service_first(app, store, shipped):
    from datetime import date

    from ohjaus_core.domain.codes import Language

    from ..sync_helpers import make_identity_code

    now = app.ctx.now()
    teen = store.clients.add_client(
        first_name="Nea", last_name="Nuori", identity_code=make_identity_code(date(2010, 5, 5), 963),
        phone=None, language=Language.FI, municipality="Järvilaakso", created_by=None, now=now,
        allow_temporary=True,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "ohjaaja1", teen.identity_code, "Ahdistaa, ei jaksa koulua")
        await social_assessment_to_segment(pilot, WorryLevel.SMALL.value, Segment.CLEAR_NEED.value, "mental_wellbeing_strained")
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
    from ohjaus_core.domain.codes import HighNeedTrigger, Urgency
    from ohjaus_core.domain.segmentation import suggest_outcome, suggest_segment

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


async def to_the_segment(pilot, client, reason: str, yes: tuple[str, ...], worry: WorryLevel) -> None:
    """A counsellor's contact to the segment step: the social assessment with `yes` answered
    yes, the worry chosen, the suggested urgency taken."""
    await start_contact(pilot, "ohjaaja1", client.identity_code, reason)
    await pick_and_answer(pilot, "social_service_need", *yes)
    await pilot.press("enter")
    await pick(pilot, "worry", worry.value)
    await pilot.press("enter")  # the suggested urgency
    await pilot.pause()


async def test_an_information_only_client_ends_in_advice_with_no_booking_suggested(app, store):
    client = a_client_not_waiting(store, nth=5)
    before = signed_ids(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await to_the_segment(
            pilot, client, "Miten haen asumistukea?", ("debts_or_benefit_problems", "information_only"), WorryLevel.NONE,
        )
        assert app.screen.draft.suggested_segment == Segment.ADVICE
        assert "information or advice only" in str(app.screen.query_one("#segment-why").render())
        await pilot.press("enter")  # the suggested segment
        await pilot.pause()
        kinds = app.screen.query_one("#outcome-kinds")
        assert suggested_ids(app, "outcome-kinds") == [OutcomeKind.ADVICE.value]
        # On the advice path a client who only wants information is not offered a booking.
        assert OutcomeKind.BOOKING.value not in [kinds.get_option_at_index(i).id for i in range(kinds.option_count)]
        await pilot.press("enter")
        await type_text(pilot, "Kelan asumistuki: hakemus OmaKelassa")
        await pilot.press("enter")
        await pilot.pause()
        # One who may not manage alone once informed is still assessed (non-urgent, the
        # limits stand): the follow-up keeps the limit (the walk of 6.12.2026).
        assert suggested_ids(app, "follow-up-kinds") == [FollowUpKind.CALLBACK.value]
        await pilot.press("enter", "enter", "enter")  # the callback, its due day, its note
        await pilot.press("enter")  # sign
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    draft = new_signed(store, before)
    assert draft.segment == Segment.ADVICE and draft.outcome_kind == OutcomeKind.ADVICE and draft.slot_id is None
    assert draft.follow_up_kind == FollowUpKind.CALLBACK and draft.follow_up_due == PROMISE


async def suggestion_at_no_worry(
    app, client, reason: str, *yes: str, worry: WorryLevel = WorryLevel.NONE, size: tuple[int, int] = (100, 30),
) -> tuple[Urgency | None, str]:
    """The suggested urgency and the suggestion's text of a social assessment with `yes`
    answered yes and no worry (or `worry`), before the urgency is taken."""
    async with app.run_test(size=size) as pilot:
        await start_contact(pilot, "ohjaaja1", client.identity_code, reason)
        await pick_and_answer(pilot, "social_service_need", *yes)
        await pilot.press("enter")
        await pick(pilot, "worry", worry.value)
        await pilot.pause()
        return app.screen.draft.suggested_urgency, str(app.screen.query_one("#suggestion").render())


async def test_an_information_only_client_is_told_advice_not_an_assessment_to_wait_for(app, store):
    """The suggested urgency of an information-only social contact is non-urgent (what the
    vignettes expect), but it is not a wait for an assessment: the step says advice and guidance,
    with no service-need assessment where it is plainly unnecessary (SHL 36 §); a client who
    does not ask for information only is not told so."""
    urgency, shown = await suggestion_at_no_worry(
        app, a_client_not_waiting(store, nth=5), "Miten haen asumistukea?", "debts_or_benefit_problems", "information_only",
    )
    assert urgency is Urgency.NON_URGENT
    assert "Information only: advice and guidance" in shown and "36 §" in shown
    # Not "no assessment" beside the assessment's limits in the header (the review of
    # 6.12.2026): a client who may not manage alone once informed is still assessed.
    assert "still started within the limits shown" in shown and "no service-need assessment" not in shown


INFORMED = ("information_only", "manages_once_informed")
PROMISE = date(2026, 12, 2)  # the region's promise from Wed 25.11.2026: 7 calendar days


async def test_an_information_only_client_of_80_with_a_need_found_is_followed_up_by_the_limit(app, store):
    """The walk of 6.12.2026 at 80x24: a client of 80 asks about activities, manages once
    informed, is lonely; no worry. Advice (segment A) is right, but the statutory group's
    service-need assessment is owed (SHL 36 §) and its limits stand: the outcome says advice is
    not all that is owed, the follow-up step suggests a callback due by the earliest limit (the
    region's promise before the 7th working day) with a note saying why - not "no follow-up" -,
    and the summary and the signed contact keep it."""
    client = new_client(store, date(1946, 2, 3), 945, "Neuvottava")  # 80 years old
    store.clients.update_client(client.id, FIXED_NOW, phone="0405550945")  # a callback asks for a number
    before = signed_ids(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, "ohjaaja1", client.identity_code, "Kysyy ikäihmisten kerhoista")
        await pick_and_answer(pilot, "social_service_need", *INFORMED, "lonely_or_in_conflict", "statutory_group")
        await pilot.press("enter")
        await pick(pilot, "worry", WorryLevel.NONE.value)
        await pilot.press("enter")  # the suggested urgency
        await pilot.pause()
        assert app.screen.draft.urgency is Urgency.NON_URGENT
        assert app.screen.draft.suggested_segment == Segment.ADVICE
        await pilot.press("enter")  # the suggested segment
        await pilot.pause()
        assert suggested_ids(app, "outcome-kinds") == [OutcomeKind.ADVICE.value]
        kinds = app.screen.query_one("#outcome-kinds")
        assert "Advice given; the service-need assessment still to start" in str(kinds.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await pilot.pause()
        owed = str(app.screen.query_one("#advice-owed").render())
        seventh, promise = format_weekday_day(date(2026, 12, 4)), format_weekday_day(PROMISE)
        assert "Still owed beyond the advice" in owed
        assert f"service-need assessment starts by {seventh}, region's promise {promise}" in owed
        await type_text(pilot, "Kerrottu kerhoista ja palvelutarpeen arvioinnista")
        await pilot.press("enter")
        await pilot.pause()
        assert suggested_ids(app, "follow-up-kinds") == [FollowUpKind.CALLBACK.value]
        assert app.screen.query_one("#follow-up-due").value == "02.12.2026"
        assert "start it or check that it started" in app.screen.query_one("#follow-up-note").value
        await pilot.press("enter", "enter", "enter")  # the callback, its due day, its note
        await pilot.pause()
        summary = summary_text(app)
        assert "Advice given; the service-need assessment still to start" in summary
        assert f"Call the client back, {format_date(PROMISE)}" in summary
        await pilot.press("enter")  # sign
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    draft = new_signed(store, before)
    assert draft.segment == Segment.ADVICE and draft.outcome_kind == OutcomeKind.ADVICE
    assert draft.follow_up_kind == FollowUpKind.CALLBACK and draft.follow_up_due == PROMISE
    assert "start it or check that it started" in draft.follow_up_note


def suggested_ids(app, list_id: str) -> list[str]:
    """The options of a list marked "(suggested)"."""
    listing = app.screen.query_one(f"#{list_id}")
    options = [listing.get_option_at_index(i) for i in range(listing.option_count)]
    return [option.id for option in options if "(suggested)" in str(option.prompt)]


def header_text(app) -> str:
    return str(app.screen.query_one("#contact-header").render())


async def test_an_information_only_client_who_manages_once_informed_is_given_advice_with_no_limits(app, store):
    """SHL 36 §: no service-need assessment where it is plainly unnecessary. A client who asks
    how to apply for housing allowance and can take it forward once informed is suggested
    advice and guidance (version 12), not the non-urgent assessment: the header says so, no
    assessment limit or promise date is shown (the time-limit line goes, the summary has none),
    the segment and the outcome are advice and no follow-up is suggested. The grey zone of
    worry brings the non-urgent assessment and its limits back."""
    from tests.screens.test_time_limits_flow import deadlines_line

    client = a_client_not_waiting(store, nth=5)
    before = signed_ids(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_contact(pilot, "ohjaaja1", client.identity_code, "Miten haen asumistukea?")
        await pick_and_answer(pilot, "social_service_need", "information_only", "manages_once_informed")
        await pilot.press("enter")
        assert "service-need assessment" in deadlines_line(app)  # not yet assessed
        await pick(pilot, "worry", WorryLevel.SMALL.value)
        await pilot.pause()
        assert app.screen.draft.suggested_urgency is Urgency.SELF_CARE
        shown = str(app.screen.query_one("#suggestion").render())
        assert "Suggested urgency: Advice and guidance" in shown and "36 §" in shown
        assert "no service-need assessment where it is plainly unnecessary" in shown
        assert "Advice and guidance" in header_text(app) and not app.screen.query_one("#deadlines").display
        # The grey zone: the non-urgent assessment, its limits and the promise - in the header
        # and the time-limit line at once, not at the next step; back to a small worry, advice.
        app.screen.query_one("#worry").focus()
        await pilot.pause()
        await pick(pilot, "worry", WorryLevel.GREY_ZONE.value)
        assert app.screen.draft.suggested_urgency is Urgency.NON_URGENT
        assert "without undue delay" in header_text(app) and "Advice and guidance" not in header_text(app)
        assert app.screen.query_one("#deadlines").display and "promise" in deadlines_line(app)
        assert "still started within the limits shown" in str(app.screen.query_one("#suggestion").render())
        app.screen.query_one("#worry").focus()
        await pilot.pause()
        await pick(pilot, "worry", WorryLevel.SMALL.value)
        assert "Advice and guidance" in header_text(app) and not app.screen.query_one("#deadlines").display
        await pilot.press("enter")  # the suggested urgency
        await pilot.pause()
        assert app.screen.draft.suggested_segment == Segment.ADVICE
        await pilot.press("enter")  # the suggested segment
        await pilot.pause()
        assert suggested_ids(app, "outcome-kinds") == [OutcomeKind.ADVICE.value]
        await pilot.press("enter")
        await type_text(pilot, "Kelan asumistuki: hakemus OmaKelassa")
        await pilot.press("enter")
        await pilot.pause()
        assert suggested_ids(app, "follow-up-kinds") == ["none"]
        await pilot.press("enter")  # no follow-up
        await pilot.pause()
        summary = summary_text(app)
        assert "Advice and guidance" in summary
        assert "Deadlines" not in summary and "promise" not in summary and "assessment starts" not in summary
        await pilot.press("enter")  # sign
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    draft = new_signed(store, before)
    assert draft.urgency is Urgency.SELF_CARE and draft.segment == Segment.ADVICE
    assert draft.outcome_kind == OutcomeKind.ADVICE and draft.slot_id is None


async def test_an_information_only_client_whose_need_is_assessed_all_the_same_is_not_told_advice(app, store):
    """A disabled client who needs help with daily tasks and asks only how to apply is assessed
    all the same (`[[assessed_when]]`: a clear need): the step must not say 'no service-need
    assessment' for the segment step to suggest one (review of 6.12.2026)."""
    urgency, shown = await suggestion_at_no_worry(
        app, a_client_not_waiting(store, nth=7), "Miten haen henkilökohtaista apua?",
        "disability_limits_daily_life", "needs_help_daily_living", "information_only",
    )
    assert urgency is Urgency.NON_URGENT and "Information only" not in shown


@pytest.mark.parametrize(("more", "expected", "said"), [
    ((), Urgency.NON_URGENT, True),
    (("debts_or_benefit_problems",), Urgency.THREE_DAYS, False),
])
async def test_the_grey_zone_held_back_by_a_long_steady_difficulty_says_why(app, store, more, expected, said):
    """Version 18 ([[steady_when]]): a man long out of work whom earlier help has not reached,
    nothing that cannot wait, the worker's worry in the grey zone - the suggestion stays
    non-urgent, and the step says why the chosen worry did not shorten the time (else the grey
    zone looks ignored), at 80x24. With debts behind it the grey zone raises it, nothing said."""
    urgency, shown = await suggestion_at_no_worry(
        app, a_client_not_waiting(store, nth=5), "Työttömänä kuusi vuotta",
        "long_term_or_help_not_enough", "work_or_study_lost", *more, worry=WorryLevel.GREY_ZONE, size=(80, 24),
    )
    assert urgency is expected
    assert ("does not shorten the time: a long-lasting difficulty" in shown and "36 §" in shown) is said


async def test_a_client_not_asking_information_only_is_not_told_advice(app, store):
    urgency, shown = await suggestion_at_no_worry(
        app, a_client_not_waiting(store, nth=6), "Velat kasvavat", "debts_or_benefit_problems",
    )
    assert urgency is Urgency.NON_URGENT and "Information only" not in shown


# -- item 5: social words and deadlines on a social contact ------------------------------------


def test_a_social_contact_speaks_of_service_need_assessment_not_care(shipped):
    from datetime import date

    from ohjaus_core.domain.codes import Urgency
    from ohjaus_core.domain.deadlines.contact import DeadlineKind, contact_deadlines
    from ohjaus_core.i18n import set_language

    for language in ("fi", "sv", "en"):
        set_language(language)
        worded = Urgency.NON_URGENT.worded("social").lower()
        assert "hoito" not in worded and "vård" not in worded and "care" not in worded
        assert Urgency.NON_URGENT.worded("health") == Urgency.NON_URGENT.label
    set_language("en")
    day = date(2026, 11, 25)
    social = contact_deadlines(shipped.region, day, register="social", service_area="family",
                               urgency=Urgency.SAME_DAY, age=15, duties=("child_welfare_notification",))
    kinds = {d.kind: d.day for d in social}
    assert DeadlineKind.CARE not in kinds
    assert kinds[DeadlineKind.SOCIAL_URGENT] == day  # an urgent need at once
    assert kinds[DeadlineKind.SOCIAL_DONE] == date(2027, 2, 25)  # SWA 36 §: three months
    assert kinds[DeadlineKind.CHILD_WELFARE_DONE] == date(2027, 2, 25)  # CWA 26 §
    adult = contact_deadlines(shipped.region, day, register="social", service_area="working_age",
                              urgency=Urgency.NON_URGENT, age=45)
    done = next(d for d in adult if d.kind is DeadlineKind.SOCIAL_DONE)
    assert done.day is None  # without undue delay


def test_the_segment_reason_on_a_social_contact_speaks_of_service_need_not_care():
    """Seen in tmux: "arvio edellyttää hoitoa tai palvelua" on a social contact; "hoito" (care)
    is health wording. A social contact's reasons speak of the need for services (SHL 36 §),
    in every language; a health contact keeps its own."""
    from ohjaus_core.domain.segmentation import SegmentReason
    from ohjaus_core.i18n import set_language
    from ohjaus_tui.screens.steps.segment import reason_text

    try:
        for language, health_word in (("fi", "hoito"), ("sv", "vård"), ("en", "care")):
            set_language(language)
            for reason in (SegmentReason.CARE_NEEDED, SegmentReason.SELF_CARE):
                social = reason_text(reason, "social").lower()
                assert health_word not in social and "omahoito" not in social and "egenvård" not in social
            assert health_word in reason_text(SegmentReason.CARE_NEEDED, "health").lower()
            assert reason_text(SegmentReason.CARE_NEEDED, None) == reason_text(SegmentReason.CARE_NEEDED, "health")
        set_language("fi")
        assert reason_text(SegmentReason.CARE_NEEDED, "social") == "arvio osoittaa palvelujen tarpeen"
    finally:
        set_language("en")


async def test_an_anonymous_caller_with_nowhere_to_sleep_tonight_is_offered_a_bed_first(app, store):
    """Seen in tmux: housing counselling (rent arrears, evictions) came first. For a caller of
    unknown age (may be a minor, and it may be night) a bed tonight is the social emergency
    services' first, round the clock and for every age (SHL 12 §, 29 §), then adult social
    work's temporary housing (SHL 21 §); the segment step speaks of the need for services,
    not care."""
    async with app.run_test(size=(100, 30)) as pilot:
        await start_unidentified(pilot, "ohjaaja1", "Soittaja ei kerro nimeään: ei yöpaikkaa tänä yönä")
        await pick_and_answer(pilot, "social_service_need", "housing_lost", "nowhere_to_sleep_tonight")
        await pilot.press("enter")
        await pick(pilot, "worry", WorryLevel.GREY_ZONE.value)
        await pilot.press("enter")  # the suggested urgency
        await pilot.pause()
        assert app.screen.draft.suggested_segment == Segment.CLEAR_NEED
        why = str(app.screen.query_one("#segment-why").render())
        assert "a need for services" in why and "care" not in why
        await pilot.press("enter")  # the suggested segment
        await pilot.pause()
        await pick(pilot, "outcome-kinds", OutcomeKind.REFERRAL.value)
        listing = app.screen.query_one("#services")
        ids = [listing.get_option_at_index(i).id for i in range(listing.option_count)]
        assert ids[:2] == ["social_emergency", "adult_social_work"]
        assert ids.index("housing_counselling") > 1


# -- item 6: prompts a counsellor expects --------------------------------------------------------


def test_substance_use_pre_marks_the_trigger_and_a_same_day_need_is_followed_up_next_working_day():
    from datetime import date

    from ohjaus_core.domain.codes import FollowUpKind, HighNeedTrigger, Urgency
    from ohjaus_core.domain.segmentation import (
        child_welfare_consideration,
        suggest_follow_up,
        triggers_from_domains,
    )

    assert triggers_from_domains(["housing", "substance_use"]) == [HighNeedTrigger.ADDICTION_SUSPECTED]
    assert triggers_from_domains(["housing"]) == []
    # A child's substance use (or a parent's) is the child-welfare consideration's, not an
    # adult high-need client's trigger.
    assert triggers_from_domains(["substance_use"], 17) == [] and triggers_from_domains(["substance_use"], 18)
    assert child_welfare_consideration(16, "social") and not child_welfare_consideration(18, "social")
    assert not child_welfare_consideration(None, "social")
    wednesday = date(2026, 11, 25)
    kind, due = suggest_follow_up(OutcomeKind.ADVICE, Segment.CLEAR_NEED, wednesday, Urgency.SAME_DAY, "social")
    assert kind == FollowUpKind.CALLBACK and due == date(2026, 11, 26)
    _kind, due = suggest_follow_up(OutcomeKind.REFERRAL, Segment.CLEAR_NEED, date(2026, 11, 27), Urgency.SAME_DAY, "social")
    assert due == date(2026, 11, 30)  # Friday's case: Monday
    _kind, due = suggest_follow_up(OutcomeKind.REFERRAL, Segment.COMPLEX_NEED, wednesday, Urgency.THREE_DAYS, "social")
    assert due == date(2026, 11, 30)  # within three working days, not a week later
    # Health keeps its own rule.
    assert suggest_follow_up(OutcomeKind.ADVICE, Segment.CLEAR_NEED, wednesday, Urgency.SAME_DAY, "health")[0] == FollowUpKind.NONE


async def test_a_minor_raises_the_child_welfare_consideration_not_the_adult_substance_trigger(app, store):
    from datetime import date

    from ohjaus_core.domain.codes import HighNeedTrigger, Language

    from ..sync_helpers import make_identity_code

    teen = store.clients.add_client(
        first_name="Eino", last_name="Nuori", identity_code=make_identity_code(date(2011, 3, 3), 964),
        phone=None, language=Language.FI, municipality="Järvilaakso", created_by=None, now=app.ctx.now(),
        allow_temporary=True,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "ohjaaja1", teen.identity_code, "Juo viikonloppuisin")
        await pick_and_answer(pilot, "social_service_need", "substance_use_harms")
        assert "under 18: ask about the child's safety" in str(app.screen.query_one("#suggestion").render())
        await pilot.press("enter")
        await pick(pilot, "worry", WorryLevel.SMALL.value)
        await pilot.press("enter")
        await pilot.pause()
        selected = app.screen.query_one("#triggers").selected
        assert HighNeedTrigger.ADDICTION_SUSPECTED.value not in selected


async def test_a_prolonged_need_in_the_grey_zone_is_suggested_complex_and_says_why(app, store):
    """`[[complex_when]]`: the difficulty has gone on long (earlier help not enough) and the
    worker's worry is in the grey zone: a complex need (SHL 3 § 3, 42 §), with its reason."""
    client = a_client_not_waiting(store, nth=5)
    async with app.run_test(size=(100, 30)) as pilot:
        await to_the_segment(
            pilot, client, "Velat kasaantuneet vuosia", ("debts_or_benefit_problems", "long_term_or_help_not_enough"),
            WorryLevel.GREY_ZONE,
        )
        assert app.screen.draft.suggested_segment == Segment.COMPLEX_NEED
        assert "calls for a plan and a named worker" in str(app.screen.query_one("#segment-why").render())


async def test_a_social_contacts_emergency_is_112_or_the_social_emergency_services_not_care(app, store):
    """A counsellor's emergency redirect names the social emergency services (SHL 29 §), in the
    list, in the box and in the summary; a health contact's still names the emergency department."""
    async with app.run_test(size=(100, 30)) as pilot:
        await start_unidentified(pilot, "ohjaaja1", "Naapuri soittaa: huutoja naapurista nyt")
        await social_assessment_to_segment(pilot, WorryLevel.GREAT.value, Segment.CLEAR_NEED.value, "violence_or_threat_at_home")
        kinds = app.screen.query_one("#outcome-kinds")
        labels = [str(kinds.get_option_at_index(i).prompt) for i in range(kinds.option_count)]
        assert any("112 / social emergency services" in label for label in labels), labels
        assert not any("emergency department" in label for label in labels), labels
        await pick(pilot, "outcome-kinds", OutcomeKind.EMERGENCY.value)
        box = str(app.screen.query_one("#emergency-text").render())
        assert "social emergency services" in box and "care" not in box
        await type_text(pilot, "Soitettu 112 naapurin kanssa")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")  # no follow-up
        await pilot.pause()
        summary = summary_text(app)
        assert "Emergency redirect (112 / social emergency services)" in summary
    assert OutcomeKind.EMERGENCY.worded("health") == "Emergency redirect (112 / emergency department)"


async def test_the_social_red_flag_names_the_social_emergency_services(app, store):
    """The social protocol's red flag (danger or violence now) says 112 or the social
    emergency services at the assessment, as the outcome step does (review of 6.12.2026)."""
    async with app.run_test(size=(100, 30)) as pilot:
        await start_unidentified(pilot, "ohjaaja1", "Naapuri soittaa: väkivaltaa nyt")
        await pick_and_answer(pilot, "social_service_need", "danger_or_violence_now")
        suggestion = str(app.screen.query_one("#suggestion").render())
        assert "RED FLAG: redirect to 112 / social emergency services now" in suggestion
        assert "emergency department" not in suggestion


def _client_aged(store, low: int, high: int):
    from sqlmodel import select

    from ohjaus_core.domain.identity import age_in_years
    from ohjaus_tui.store.models import Client

    from ..conftest import FIXED_NOW

    with store.session() as session:
        clients = list(session.exec(select(Client).order_by(Client.id)))
    return next(
        c for c in clients
        if c.identity_code and low <= (age_in_years(FIXED_NOW.date(), c.birth_date, c.identity_code) or -1) <= high
        and not store.worklist.open_callbacks_of_client(c.id)
    )


async def _area_shown(app, store, username: str, low: int, high: int) -> tuple[str, str]:
    client = _client_aged(store, low, high)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, username)
        await pilot.press("n")
        await pilot.press(*client.identity_code, "enter")
        await pilot.pause()
        assert app.screen.query_one("#reason").has_focus
        text = screen_text(app)
        area = app.screen.query_one("#service-area").value
    return area, text


@pytest.mark.parametrize(
    ("username", "low", "high", "area"),
    [
        ("ohjaaja1", 80, 120, "older_people"),
        ("ohjaaja1", 0, 17, "family"),
        ("ohjaaja1", 25, 60, "working_age"),
        ("hoitaja1", 80, 120, "health"),
    ],
)
async def test_the_service_area_follows_the_clients_age_on_a_social_contact(app, store, username, low, high, area):
    """A counsellor's contact about a client of 80 opens on older people's services (it opened
    on working-age adults, walked at 80x24), a child's on families and children; a nurse's on
    health care. The anonymous box shows its state by a mark, [ ], not a coloured X."""
    shown, text = await _area_shown(app, store, username, low, high)
    assert shown == area
    assert "[ ] Anonymous" in text and "▐X▌" not in text
