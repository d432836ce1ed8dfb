"""The social protocol's rules by class on the nine questions added on 5.12.2026 (version 7),
each with its ground in the law or guidance (the protocol file and services.toml name them):
what a counsellor would sign, checked on the answers alone, not on any one vignette."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ohjaus_core.domain.catalogue import by_need, load_catalogue, services_for
from ohjaus_core.domain.codes import FollowUpKind, OutcomeKind, Register, Segment, Urgency, WorryLevel
from ohjaus_core.domain.deadlines.contact import assessment_limit, contact_deadlines
from ohjaus_core.domain.deadlines.loading import load_region_rules
from ohjaus_core.domain.errors import DataFileError
from ohjaus_core.domain.protocols.evaluation import evaluate
from ohjaus_core.domain.protocols.loading import load_protocol, load_protocols
from ohjaus_core.domain.segmentation import (
    SegmentReason,
    child_welfare_consideration,
    segment_by_answers,
    suggest_follow_up,
    suggest_outcome,
    suggest_segment_with_reasons,
    triggers_from_domains,
)

DATA = Path(__file__).resolve().parents[2] / "data"
SOCIAL = next(p for p in load_protocols(DATA / "protocols") if p.id == "social_service_need")
CATALOGUE = services_for(load_catalogue(DATA / "services.toml"), Register.SOCIAL)


def answers(*yes: str) -> dict[str, bool]:
    return {q.id: q.id in yes for q in SOCIAL.questions}


def urgency(*yes: str, worry: WorryLevel = WorryLevel.SMALL, age: int | None = 40) -> Urgency:
    return evaluate(SOCIAL, answers(*yes), worry, age).suggested


@pytest.mark.parametrize("question", ["nowhere_to_sleep_tonight", "must_be_arranged_today", "thoughts_of_death"])
def test_an_urgent_need_today_is_assessed_the_same_day_whatever_the_worry(question):
    """SHL 12 §, 21 §, 36 §: no safe bed tonight, something to arrange by tomorrow, a client who
    speaks of not wanting to live - the need is assessed at once; the reason is the answer."""
    result = evaluate(SOCIAL, answers(question), WorryLevel.NONE, 40)
    assert result.suggested is Urgency.SAME_DAY and result.reasons == (question,)
    assert result.duties == ()  # danger now (the red flag) is what brings the safety response
    # A client who asks for information only is still assessed the same day: the need cannot
    # wait (review of 5.12.2026: it was held back to non-urgent advice).
    assert urgency(question, "information_only") is Urgency.SAME_DAY
    # What could wait is still held back for an information-only client.
    assert urgency("substance_use_harms", "information_only") is Urgency.NON_URGENT


def test_being_exploited_is_assessed_within_three_days():
    """As violence with no danger now (SHL 11 § 5: financial and psychological violence)."""
    assert urgency("exploited_or_controlled") is Urgency.THREE_DAYS
    assert urgency("exploited_or_controlled", worry=WorryLevel.GREAT) is Urgency.SAME_DAY


def test_gambling_with_debts_and_a_small_worry_is_not_raised_to_three_days():
    """Version 13: a gambler with debts whose rent and food are paid is assessed without undue
    delay (SHL 36 §), met by Peluuri and debt counselling; the consensus labels of sh4 and sh7
    said non-urgent. The worker's worry and the answers that cannot wait still raise it."""
    assert urgency("gambling_harms", "debts_or_benefit_problems") is Urgency.NON_URGENT
    assert urgency("gambling_harms", worry=WorryLevel.GREY_ZONE) is Urgency.THREE_DAYS
    assert urgency("gambling_harms", worry=WorryLevel.GREAT) is Urgency.SAME_DAY
    assert urgency("gambling_harms", "housing_lost") is Urgency.THREE_DAYS
    assert urgency("gambling_harms", "no_money_for_food_or_medicine") is Urgency.THREE_DAYS
    assert urgency("gambling_harms", "must_be_arranged_today") is Urgency.SAME_DAY


def test_a_carer_at_the_end_of_their_strength_is_assessed_within_three_days():
    """The care of a close person may break down (SHL 36 §, omaishoitolaki 937/2005 2 §)."""
    assert urgency("cares_for_close_person", "mental_wellbeing_strained") is Urgency.THREE_DAYS


def test_an_exhausted_parent_with_a_small_worry_is_not_raised_to_three_days():
    """Version 13: an exhausted mother of a thriving baby asking for home help is assessed
    without undue delay (SHL 36 §, 19 §; the child health clinic first); the consensus labels
    of sh4, sh6 and sh7 said non-urgent for all three such mothers. A child at risk, thoughts of
    death and the grey zone of worry still raise it."""
    exhausted = ("family_needs_support", "mental_wellbeing_strained")
    assert urgency(*exhausted) is Urgency.NON_URGENT
    assert urgency(*exhausted, "needs_help_daily_living", age=27) is Urgency.NON_URGENT
    assert urgency(*exhausted, worry=WorryLevel.GREY_ZONE) is Urgency.THREE_DAYS
    assert urgency(*exhausted, "child_at_risk") is Urgency.THREE_DAYS
    assert urgency(*exhausted, "thoughts_of_death") is Urgency.SAME_DAY
    # Either alone: caring while coping, or an exhausted client with no one depending on them.
    assert urgency("cares_for_close_person") is Urgency.NON_URGENT
    assert urgency("family_needs_support") is Urgency.NON_URGENT
    assert urgency("mental_wellbeing_strained") is Urgency.NON_URGENT


def test_an_older_person_exploited_brings_the_older_persons_notification():
    """VPL 25 §: financial abuse of an older person of the statutory group is a ground (THL)."""
    older = evaluate(SOCIAL, answers("statutory_group", "exploited_or_controlled"), WorryLevel.SMALL, 79)
    assert "older_person_notification" in older.duties
    child = evaluate(SOCIAL, answers("statutory_group", "exploited_or_controlled"), WorryLevel.SMALL, 16)
    assert "older_person_notification" not in child.duties


def test_a_prolonged_need_in_the_grey_zone_is_a_complex_need():
    """SHL 3 § 3, 42 §: a client needing special support gets a named worker and a plan; with
    a small worry a long-lasting need stays a clear one."""
    long_term = answers("long_term_or_help_not_enough", "debts_or_benefit_problems")
    assert SOCIAL.complex_need(long_term, WorryLevel.GREY_ZONE, 45) == ("long_term_or_help_not_enough",)
    assert SOCIAL.complex_need(long_term, WorryLevel.GREAT, 45) == ("long_term_or_help_not_enough",)
    assert SOCIAL.complex_need(long_term, WorryLevel.SMALL, 45) == ()
    assert SOCIAL.complex_need(answers("debts_or_benefit_problems"), WorryLevel.GREY_ZONE, 45) == ()
    segment, reasons = suggest_segment_with_reasons(
        Urgency.THREE_DAYS, [], WorryLevel.GREY_ZONE, ["livelihood"], complex_by_answers=True,
    )
    assert segment is Segment.COMPLEX_NEED and reasons == [SegmentReason.ANSWERS_TOGETHER]
    assert suggest_segment_with_reasons(Urgency.THREE_DAYS, [], WorryLevel.GREY_ZONE, ["livelihood"])[0] is Segment.CLEAR_NEED


def test_complex_when_names_known_questions(tmp_path):
    text = (DATA / "protocols" / "social_service_need.toml").read_text(encoding="utf-8")
    path = tmp_path / "social_service_need.toml"
    path.write_text(text.replace('all = ["long_term_or_help_not_enough"]', 'all = ["long_term"]'), encoding="utf-8")
    with pytest.raises(DataFileError, match="complex_when: unknown question 'long_term'"):
        load_protocol(path, None)
    # `unless_only_domains` names need domains of the protocol, and only in [[complex_when]].
    path.write_text(text.replace('unless_only_domains = ["work_study"]', 'unless_only_domains = ["work"]'), encoding="utf-8")
    with pytest.raises(DataFileError, match="complex_when: unknown need domain 'work'"):
        load_protocol(path, None)
    path.write_text(text.replace('none = ["manages_once_informed"]\n', 'none = ["manages_once_informed"]\nunless_only_domains = ["work_study"]\n'), encoding="utf-8")
    with pytest.raises(DataFileError, match="unless_only_domains"):
        load_protocol(path, None)


def first(domains: list[str], age: int, *yes: str, urgent: bool = False) -> str:
    return by_need(CATALOGUE, domains, age, list(yes), urgent=urgent)[0].code


def test_thoughts_of_death_put_the_mental_health_services_first():
    """Mental health first (the crisis centre for a child, for whom the adult services are not)."""
    assert first(["mental_wellbeing", "work_study"], 52, "thoughts_of_death", "work_or_study_lost", urgent=True) == "mental_substance_services"
    assert first(["mental_wellbeing", "family_children"], 32, "thoughts_of_death", "family_needs_support", urgent=True) == "mental_substance_services"
    assert first(["mental_wellbeing"], 15, "thoughts_of_death", urgent=True) == "crisis_centre"
    # Without them, the same domains keep their order.
    assert first(["mental_wellbeing", "work_study"], 52, "work_or_study_lost") == "adult_social_work"


def test_a_disabled_client_exploited_is_disability_services_first_not_kela():
    """SHL 3 § 3: a client needing special support; the money taken is not met by Kela's aid."""
    found = ["safety_violence", "coping_at_home", "livelihood"]
    both = ("disability_limits_daily_life", "exploited_or_controlled", "no_money_for_food_or_medicine")
    assert first(found, 48, *both) == "disability_services"
    # Either alone does not name it: no money for food is Kela's first.
    assert first(["coping_at_home", "livelihood"], 48, "disability_limits_daily_life", "no_money_for_food_or_medicine") == "kela"


def test_a_child_at_risk_is_child_welfares_first_whatever_group_the_child_is_of():
    """LsL 25-26 §: the receiver of the notification comes before the group's service, also for
    a 10-year-old who carries the household (statutory group, cares for a close person)."""
    found = ["family_children", "coping_at_home"]
    yes = ("child_at_risk", "statutory_group", "cares_for_close_person", "family_needs_support")
    assert first(found, 10, *yes) == "child_welfare_intake"
    # A disabled child with no risk named: disability services, as before.
    assert first(found, 8, "statutory_group", "needs_help_daily_living") == "disability_services"


def test_a_disabled_client_left_without_their_carer_today_brings_the_safety_response():
    """SHL 12 §, 29 §: a disabled client who depends on help with daily tasks and is left
    without it today (the carer taken to hospital), with the worker's great worry, gets urgent
    help at once: the immediate safety response, whoever calls; assessed the same day."""
    alone = ("disability_limits_daily_life", "needs_help_daily_living", "must_be_arranged_today")
    result = evaluate(SOCIAL, answers(*alone), WorryLevel.GREAT, 40)
    assert result.duties == ("immediate_safety_response",)
    assert result.suggested is Urgency.SAME_DAY
    # A smaller worry (the carer's operation is tomorrow, time to arrange): no duty, same day.
    grey = evaluate(SOCIAL, answers(*alone), WorryLevel.GREY_ZONE, 30)
    assert grey.duties == () and grey.suggested is Urgency.SAME_DAY
    # Someone who needs help but whose help goes on, or who is not disabled: no duty.
    assert evaluate(SOCIAL, answers(*alone[:2]), WorryLevel.GREAT, 40).duties == ()
    assert evaluate(SOCIAL, answers(*alone[1:]), WorryLevel.GREAT, 40).duties == ()
    # An older person who cannot cope: the law's own route, the VPL 25 § notification, and
    # (version 16) the safety response beside it - a man with a memory disease whose wife and
    # carer the ambulance has just taken is not left alone tonight by a notification.
    older = evaluate(SOCIAL, answers(*alone, "older_person_not_coping", "statutory_group"), WorryLevel.GREAT, 88)
    assert set(older.duties) == {"older_person_notification", "immediate_safety_response"}
    # With a smaller worry the notification alone.
    older_grey = evaluate(SOCIAL, answers(*alone, "older_person_not_coping", "statutory_group"), WorryLevel.GREY_ZONE, 88)
    assert older_grey.duties == ("older_person_notification",)



@pytest.mark.parametrize(("age", "worry", "safety"), [
    (15, WorryLevel.GREAT, True), (17, WorryLevel.GREAT, True), (16, WorryLevel.GREY_ZONE, False),
    (30, WorryLevel.GREAT, False),
])
def test_a_child_with_no_safe_bed_tonight_brings_the_safety_response_with_a_great_worry(age, worry, safety):
    """Version 17: a 15-year-old put out by her parents at 21:00, nobody hit her, nowhere to go -
    with the worker's great worry the social emergency services act at once (LsL 25 §, 38 §; SHL
    29 §): the immediate safety response beside the child-welfare notification, assessed the
    same day. An adult without a bed tonight is adult social work's the same day (no duty); with
    a smaller worry the notification alone."""
    said = ("nowhere_to_sleep_tonight", "must_be_arranged_today", "child_at_risk") if age < 18 else (
        "nowhere_to_sleep_tonight", "must_be_arranged_today")
    result = evaluate(SOCIAL, answers(*said), worry, age)
    assert ("immediate_safety_response" in result.duties) is safety
    assert result.suggested is Urgency.SAME_DAY
    if age < 18:
        assert "child_welfare_notification" in result.duties

def test_urgency_when_names_known_duties(tmp_path):
    text = (DATA / "protocols" / "social_service_need.toml").read_text(encoding="utf-8")
    path = tmp_path / "social_service_need.toml"
    path.write_text(text.replace('duties = ["immediate_safety_response"]\n', 'duties = ["safety"]\n', 1), encoding="utf-8")
    with pytest.raises(DataFileError, match="urgency_when: unknown duty 'safety'"):
        load_protocol(path, None)


def test_a_disabled_client_who_needs_help_and_asks_how_to_apply_is_assessed_not_advised():
    """SHL 36 §, VpL 675/2023: a disability service (personal assistance) is decided on an
    assessment of the need; the wish for information only does not make it advice when the
    client cannot take the matter forward themself. A disability alone (an appeal's route) or
    help needed with no disability stays advice."""
    def segment(*yes: str) -> Segment:
        said = answers(*yes, "information_only")
        result = evaluate(SOCIAL, said, WorryLevel.NONE, 26)
        return suggest_segment_with_reasons(
            result.suggested, [], WorryLevel.NONE, result.domains, information_only=True,
            assessed_by_answers=bool(SOCIAL.assessed_need(said, WorryLevel.NONE, 26)),
        )[0]

    assert segment("disability_limits_daily_life", "needs_help_daily_living") is Segment.CLEAR_NEED
    assert segment("disability_limits_daily_life") is Segment.ADVICE
    assert segment("needs_help_daily_living") is Segment.ADVICE
    assert SOCIAL.assessed_need(answers("disability_limits_daily_life"), WorryLevel.NONE, 26) == ()


def ranked(domains: list[str], age: int | None, *yes: str, urgent: bool = True, anonymous: bool = False) -> list[str]:
    return [s.code for s in by_need(CATALOGUE, domains, age, list(yes), urgent=urgent, anonymous=anonymous)]


def test_no_safe_bed_tonight_is_adult_social_works_then_the_social_emergency_services():
    """SHL 21 §: temporary housing for a person without a home is arranged by adult social
    work (office hours), the need assessed at once (SHL 36 §); the social emergency services
    answer an urgent need at every hour and age (SHL 12 §, 29 §): next for an adult, first
    under 18. Housing counselling (rent arrears, a threatened eviction) finds no bed tonight
    (seen in tmux: an anonymous caller with nowhere to sleep had it first)."""
    tonight = ("housing_lost", "nowhere_to_sleep_tonight", "must_be_arranged_today")
    assert ranked(["housing"], 29, *tonight)[:2] == ["adult_social_work", "social_emergency"]
    # An anonymous caller of unknown age (may be a minor, and it may be night): the social
    # emergency services, for every age and hour, first; one who gave their age as an adult.
    assert ranked(["housing"], None, *tonight, anonymous=True)[:2] == ["social_emergency", "adult_social_work"]
    assert ranked(["housing"], 45, "nowhere_to_sleep_tonight", anonymous=True)[:2] == ["adult_social_work", "social_emergency"]
    # A 16-year-old: the social emergency services (adult social work is for adults); a child
    # at risk: child welfare intake, the notification's receiver.
    assert ranked(["housing"], 16, *tonight)[0] == "social_emergency"
    assert ranked(["housing", "family_children"], 16, *tonight, "child_at_risk")[:2] == ["child_welfare_intake", "social_emergency"]
    # An older person of the statutory group: older people's guidance (65+), the narrower age
    # group, before adult social work (18+).
    assert ranked(["housing"], 80, *tonight, "statutory_group")[:2] == ["older_people_guidance", "adult_social_work"]
    # A home about to be lost with a bed tonight: housing counselling, as before.
    assert ranked(["housing", "livelihood"], 41, "housing_lost", "debts_or_benefit_problems", urgent=False)[0] == "housing_counselling"


def test_violence_at_home_and_no_safe_bed_tonight_put_the_shelter_first():
    """SHL 11 § 5 and Act 1354/2014: the shelter takes a person facing violence in a close
    relationship at once, round the clock, without a referral; a combination of answers names
    a service by each of its answers, so it comes before the services named by one (a bed for
    anyone: adult social work; the notification's receiver: child welfare intake)."""
    fled = ("violence_or_threat_at_home", "nowhere_to_sleep_tonight")
    assert ranked(["safety_violence", "housing"], 42, *fled)[0] == "shelter"
    assert ranked(["safety_violence", "housing", "family_children"], 36, *fled, "child_at_risk")[:2] == ["shelter", "child_welfare_intake"]
    # A minor (or a client of unknown age) with a child at risk: child welfare intake first,
    # before any combination - a child's emergency placement is child welfare's (LsL 26 §, 38 §),
    # not a shelter's or disability services' (review of version 9).
    assert ranked(["safety_violence", "housing", "family_children"], 16, *fled, "child_at_risk")[0] == "child_welfare_intake"
    assert ranked(["safety_violence", "housing", "family_children"], None, *fled, "child_at_risk")[0] == "child_welfare_intake"
    exploited = ("disability_limits_daily_life", "exploited_or_controlled", "child_at_risk")
    assert ranked(["disability", "family_children"], 10, *exploited)[0] == "child_welfare_intake"
    # Violence with a safe bed (a friend's sofa): the safety services by the domain, not the
    # shelter named; no violence: adult social work for the bed.
    assert ranked(["safety_violence"], 42, "violence_or_threat_at_home")[0] == "police"
    assert ranked(["housing"], 42, "nowhere_to_sleep_tonight")[0] == "adult_social_work"


def test_a_home_about_to_be_lost_with_no_debts_is_not_guessed_to_be_lost_tonight():
    """Version 9: the former `[[urgency_when]]` (a home lost with no debts behind it, in the
    grey zone, the same day) guessed what nowhere_to_sleep_tonight now asks. A lease ending or
    a flat sold stays within three working days by the worry (SHL 36 §); a home lost tonight
    is the same day because the client says so (SHL 12 §, 21 §)."""
    assert SOCIAL.version >= 9
    assert urgency("housing_lost", worry=WorryLevel.GREY_ZONE) is Urgency.THREE_DAYS
    assert urgency("housing_lost", "nowhere_to_sleep_tonight", worry=WorryLevel.GREY_ZONE) is Urgency.SAME_DAY
    assert urgency("housing_lost", worry=WorryLevel.SMALL) is Urgency.THREE_DAYS


# Round of 5.12.2026 night (version 10), by class on the released parts sh4 and sh6, each change
# kept only where it helped more parts than it hurt (tests/social_vignettes/README.md).


def test_an_adult_who_wants_information_only_is_not_raised_by_the_grey_zone_alone():
    """SHL 36 § (no assessment where it is plainly unnecessary) and Act 812/2000 8 §: an adult
    who asks only where she could talk about a controlling partner gets advice, not an
    assessment within three working days; a great worry, a child or the statutory group still
    raise it."""
    asks = answers("information_only", "exploited_or_controlled")
    result = evaluate(SOCIAL, asks, WorryLevel.GREY_ZONE, 45)
    assert result.suggested is Urgency.NON_URGENT
    segment = suggest_segment_with_reasons(
        result.suggested, [], WorryLevel.GREY_ZONE, result.domains, information_only=True,
    )[0]
    assert segment is Segment.ADVICE
    assert evaluate(SOCIAL, asks, WorryLevel.GREAT, 45).suggested is Urgency.SAME_DAY
    assert evaluate(SOCIAL, asks, WorryLevel.GREY_ZONE, 17).suggested is Urgency.THREE_DAYS
    assert evaluate(SOCIAL, asks, WorryLevel.GREY_ZONE, None).suggested is Urgency.THREE_DAYS
    group = answers("information_only", "exploited_or_controlled", "statutory_group")
    assert evaluate(SOCIAL, group, WorryLevel.GREY_ZONE, 80).suggested is Urgency.THREE_DAYS
    # Without information only, the grey zone raises it as before.
    assert urgency("exploited_or_controlled", worry=WorryLevel.GREY_ZONE) is Urgency.THREE_DAYS
    assert urgency("lonely_or_in_conflict", worry=WorryLevel.GREY_ZONE) is Urgency.THREE_DAYS


def segment_of(*yes: str, worry: WorryLevel = WorryLevel.GREY_ZONE, age: int = 46) -> Segment:
    said = answers(*yes)
    result = evaluate(SOCIAL, said, worry, age)
    triggers = triggers_from_domains(result.domains, age)
    return segment_by_answers(
        SOCIAL, said, result.suggested, triggers, worry, result.domains, age, from_answers=frozenset(triggers),
    )[0]


def test_a_client_asking_help_for_their_own_long_drinking_is_a_clear_need_in_the_grey_zone():
    """SHL 24 §: addiction the only need found (housing, income and work holding) is met by the
    substance and addiction services - a clear need, even long-lasting, in the grey zone; with
    another need found (debts, a lost job) the suspicion counts and the need is complex."""
    assert segment_of("substance_use_harms", "long_term_or_help_not_enough") is Segment.CLEAR_NEED
    assert segment_of("gambling_harms") is Segment.CLEAR_NEED
    assert segment_of("substance_use_harms", "debts_or_benefit_problems") is Segment.COMPLEX_NEED
    assert segment_of("substance_use_harms", worry=WorryLevel.GREAT) is Segment.COMPLEX_NEED
    # The long-term combination still makes other needs complex in the grey zone (work or study
    # alone is the employment and youth services' path since version 13: below).
    assert segment_of("lonely_or_in_conflict", "long_term_or_help_not_enough") is Segment.COMPLEX_NEED


def test_an_exhausted_parent_is_the_child_health_clinics_first():
    """The neuvola follows the family's wellbeing and assesses its need for support, home help
    included (Terveydenhuoltolaki 15 §, VNA 338/2011 9 §, 15 §); not where a child is at risk
    (child welfare intake), nor for a parent who speaks of not wanting to live (mental health),
    nor for a child client."""
    found = ["family_children", "mental_wellbeing"]
    assert first(found, 29, "family_needs_support", "mental_wellbeing_strained") == "child_health_clinic"
    assert first(found, 38, "family_needs_support", "mental_wellbeing_strained", "child_at_risk") == "child_welfare_intake"
    assert first(found, 32, "family_needs_support", "mental_wellbeing_strained", "thoughts_of_death", urgent=True) == "mental_substance_services"
    assert first(found, 13, "family_needs_support", "mental_wellbeing_strained") != "child_health_clinic"
    assert first(["family_children"], 29, "family_needs_support") != "child_health_clinic"


def test_carers_support_is_for_the_care_of_a_close_person_not_the_clients_mood():
    """Omaishoitolaki 937/2005 2-3 §: a sister strained by her brother's illness, or a client whose
    sickness allowance ended, is not carer's support's first."""
    found = ["livelihood", "mental_wellbeing", "coping_at_home"]
    yes = ("debts_or_benefit_problems", "mental_wellbeing_strained", "disability_limits_daily_life")
    assert first(found, 28, *yes) != "carer_support"
    assert "carer_support" in [s.code for s in by_need(CATALOGUE, ["coping_at_home"], 60, ["cares_for_close_person"])[:4]]


def test_no_money_for_food_is_assessed_within_three_days_unless_it_cannot_wait():
    """ToimTukiL 14 §: social assistance within 7 working days, an urgent case by the next
    working day - that is must_be_arranged_today's, the same day."""
    assert urgency("no_money_for_food_or_medicine") is Urgency.THREE_DAYS
    assert urgency("no_money_for_food_or_medicine", "must_be_arranged_today") is Urgency.SAME_DAY
    # Kela stays first for it.
    assert first(["livelihood"], 40, "no_money_for_food_or_medicine") == "kela"


def test_an_older_person_exploited_who_cannot_cope_is_older_peoples_not_disability_services():
    """Disability Services Act 675/2023 2 §: a need that comes mainly with ageing is not its; an
    83-year-old whose son takes her pension is older people's guidance's first (with the VPL
    25 § notification), a disabled 48-year-old exploited stays disability services'."""
    found = ["safety_violence", "coping_at_home", "livelihood"]
    yes = ("statutory_group", "exploited_or_controlled", "disability_limits_daily_life", "needs_help_daily_living")
    assert first(found, 83, *yes, "older_person_not_coping") == "older_people_guidance"
    assert first(found, 48, "exploited_or_controlled", "disability_limits_daily_life") == "disability_services"


# Round of 6.12.2026 (version 11), by class on the misses shared by the parts released last
# (sh4, sh6, sh7), kept only where the writers and both second readers agreed and no part lost
# a case (tests/social_vignettes/README.md).


def test_a_young_adults_mental_wellbeing_alone_is_the_mental_health_services_not_youth_services():
    """The youth services (the youth guarantee's one door) come first for an adult under 25
    where work or study is part of the need; an exhausted student of 23 who wants to talk is the
    mental health services' (Terveydenhuoltolaki 1326/2010 27 §, student health care 17 §)."""
    assert first(["mental_wellbeing"], 23, "mental_wellbeing_strained") == "mental_substance_services"
    assert first(["mental_wellbeing", "relationships"], 19, "mental_wellbeing_strained", "lonely_or_in_conflict") != "youth_services"
    # With work or study lost, or for a minor, the youth services stay first.
    assert first(["mental_wellbeing", "work_study"], 22, "mental_wellbeing_strained", "work_or_study_lost") == "youth_services"
    assert first(["work_study"], 20, "work_or_study_lost") == "youth_services"
    assert first(["mental_wellbeing"], 17, "mental_wellbeing_strained") == "youth_services"


def test_a_long_lasting_difficulty_with_no_need_domain_found_is_adult_social_works_not_kelas():
    """SHL 3 § 3 (a client needing special support) and Act 189/2001 on rehabilitative work: a
    long-term unemployed client asking about rehabilitative work is adult social work's first,
    not Kela's by the order of the file (services.toml `fallback_for`); where a need domain is
    found, the services that fit it come first as before."""
    assert first([], 55, "long_term_or_help_not_enough", "information_only") == "adult_social_work"
    assert first([], 35, "long_term_or_help_not_enough") == "adult_social_work"
    assert first([], 35, "information_only") == "kela"
    assert first(["work_study"], 45, "long_term_or_help_not_enough", "work_or_study_lost") == "employment_services"


def test_an_older_carer_at_the_end_of_their_strength_is_a_clear_need_in_the_grey_zone():
    """A 79-year-old exhausted by caring for her husband with dementia: her group's assessment
    within 7 working days (SHL 36 §) met by carer's support (Omaishoitolaki 937/2005 2-4 §) and
    the husband's own assessment - a clear need, not complex by the statutory group alone; the
    group's grey zone stays complex for anyone else, and for a family with children."""
    carer = ("statutory_group", "cares_for_close_person", "mental_wellbeing_strained")
    assert segment_of(*carer, age=79) is Segment.CLEAR_NEED
    assert segment_of("statutory_group", "mental_wellbeing_strained", age=79) is Segment.COMPLEX_NEED
    assert segment_of(*carer, "family_needs_support", age=13) is Segment.COMPLEX_NEED
    # A child of the group (special support) caring for a parent is a young carer: complex.
    assert segment_of(*carer, age=15) is Segment.COMPLEX_NEED
    # Something else still makes it complex: a long-lasting difficulty, a great worry.
    assert segment_of(*carer, "long_term_or_help_not_enough", age=79) is Segment.COMPLEX_NEED
    assert segment_of(*carer, worry=WorryLevel.GREAT, age=79) is Segment.COMPLEX_NEED


# Version 12: a client who wants information only and manages once informed is given advice
# and guidance (self_care), not a service-need assessment to wait for (SHL 36 §).

INFORMED = ("information_only", "manages_once_informed")


@pytest.mark.parametrize("worry", [WorryLevel.NONE, WorryLevel.SMALL])
@pytest.mark.parametrize("age", [40, 18, 80, None])
def test_a_client_who_wants_information_and_manages_once_informed_is_given_advice(worry, age):
    """SHL 1301/2014 36 §: the assessment is not made where it is plainly unnecessary; the
    advice given is recorded. The suggestion is advice and guidance, for the reasons the
    client gave; the segment advice, the outcome advice, no follow-up - not the non-urgent
    assessment "without undue delay" with its limits. An older person of the statutory group
    with no need found too (a pension question); an anonymous caller of unknown age too."""
    said = answers(*INFORMED, "statutory_group") if age == 80 else answers(*INFORMED)
    result = evaluate(SOCIAL, said, worry, age)
    assert result.suggested is Urgency.SELF_CARE and result.self_care
    assert result.reasons == INFORMED
    segment, reasons = segment_by_answers(SOCIAL, said, result.suggested, [], worry, result.domains, age)
    assert segment is Segment.ADVICE and reasons == [SegmentReason.INFORMATION_ONLY]
    outcome = suggest_outcome(segment, list(result.red_flags), result.suggested, duties=result.duties)
    assert outcome is OutcomeKind.ADVICE
    assert suggest_follow_up(outcome, segment, date(2026, 12, 7), result.suggested, "social") == (FollowUpKind.NONE, None)
    # A question that could wait, held back for an information-only client, stays advice: a
    # wife asking where to get support about her husband's drinking.
    # At 80 the need found is the statutory group's to assess (SHL 36 §: 75 or over, by the age
    # too where the question was answered no - as the deadlines count it; the review of 6.12.2026).
    held = Urgency.NON_URGENT if age == 80 else Urgency.SELF_CARE
    assert urgency(*INFORMED, "substance_use_harms", worry=worry, age=age) is held
    if age == 80:
        assert urgency(*INFORMED, "debts_or_benefit_problems", worry=worry, age=age) is Urgency.NON_URGENT
    # One who may not manage alone once informed: the non-urgent assessment, as before.
    assert evaluate(SOCIAL, answers("information_only"), worry, age).suggested is Urgency.NON_URGENT


@pytest.mark.parametrize(("yes", "worry", "age", "expected"), [
    # a duty: violence at home brings the safety response, a child at risk the notification
    (("violence_or_threat_at_home",), WorryLevel.SMALL, 40, Urgency.NON_URGENT),
    (("child_at_risk",), WorryLevel.SMALL, 40, Urgency.NON_URGENT),
    # an older person of the group who is exploited: the VPL 25 § notification (also_when)
    (("statutory_group", "exploited_or_controlled"), WorryLevel.SMALL, 80, Urgency.NON_URGENT),
    # the grey zone (held back for an adult asking information only, not made advice) or great
    ((), WorryLevel.GREY_ZONE, 40, Urgency.NON_URGENT),
    ((), WorryLevel.GREAT, 40, Urgency.SAME_DAY),
    # a combination of [[urgency_when]] (a carer at the end of their strength), held back
    (("cares_for_close_person", "mental_wellbeing_strained"), WorryLevel.SMALL, 50, Urgency.NON_URGENT),
    # the statutory group with a need domain found (SHL 36 §: assessed within 7 working days)
    (("statutory_group", "lonely_or_in_conflict"), WorryLevel.SMALL, 80, Urgency.NON_URGENT),
    # ([[assessed_when]], a disabled client who needs help with daily tasks, is no row here: since
    # version 13 it is not for one who manages once informed - advised, as the consensus of sh7
    # said; one who cannot take the application forward is assessed, tested above.)
    # a child whose wellbeing is clearly worse ([[urgency_when]] for under 18), a child at risk
    (("mental_wellbeing_strained",), WorryLevel.NONE, 15, Urgency.NON_URGENT),
    (("child_at_risk",), WorryLevel.NONE, 15, Urgency.NON_URGENT),
    # a client of 75 or over by age with a need found, the group's question answered no
    (("debts_or_benefit_problems",), WorryLevel.NONE, 82, Urgency.NON_URGENT),
    # the needs the law has assessed whatever the client asks ([[assessed_when]], version 14)
    (("no_money_for_food_or_medicine",), WorryLevel.SMALL, 40, Urgency.NON_URGENT),
    (("housing_lost",), WorryLevel.SMALL, 40, Urgency.NON_URGENT),
    (("family_needs_support", "mental_wellbeing_strained"), WorryLevel.SMALL, 27, Urgency.NON_URGENT),
    # danger now
    (("danger_or_violence_now",), WorryLevel.NONE, 40, Urgency.EMERGENCY),
])
def test_advice_and_guidance_is_not_suggested_where_the_answers_say_more_is_owed(yes, worry, age, expected):
    """The self-care criteria do not hold where the law has the need assessed all the same:
    a red flag or a duty, the grey zone or a great worry, `[[urgency_when]]`, the statutory
    group with a need found, `[[assessed_when]]`, a client under 18."""
    result = evaluate(SOCIAL, answers(*INFORMED, *yes), worry, age)
    assert result.suggested is expected and not result.self_care


def test_the_social_protocols_self_care_criteria_are_information_only_and_managing():
    assert SOCIAL.version >= 12
    assert SOCIAL.self_care_if == INFORMED and SOCIAL.self_care_if_any == ()

# Round of 6.12.2026 morning (version 13), on the consensus labels of sh4, sh6 and sh7 (the
# writer, two blind readers and a blind adjudicator where they differ).


def test_a_disabled_client_who_can_take_the_application_forward_is_advised():
    """A wheelchair user asking how to apply for the transport service, an MS patient asking how
    to appeal: the application starts the disability services' own assessment, the counsellor
    advises how to apply (SHL 36 §: no assessment where plainly unnecessary); the consensus of
    sh7 said advice for both. One who cannot take it forward is still assessed (above)."""
    said = answers("disability_limits_daily_life", "needs_help_daily_living", "information_only", "manages_once_informed")
    assert SOCIAL.assessed_need(said, WorryLevel.NONE, 66) == ()
    result = evaluate(SOCIAL, said, WorryLevel.NONE, 66)
    assert segment_by_answers(SOCIAL, said, result.suggested, [], WorryLevel.NONE, result.domains, 66)[0] is Segment.ADVICE


def test_a_long_lasting_unemployment_with_nothing_else_found_is_a_clear_need():
    """A man unemployed four years asking for rehabilitative work, a son of 20 who dropped out:
    work or study the only need domain found, the long difficulty is met by the employment
    services, adult social work's activation plan (Act 189/2001) or the youth services - a clear
    need in the grey zone (the consensus of sh7, sh5's writer). A second need found (debts,
    isolation) still makes it complex."""
    assert segment_of("long_term_or_help_not_enough", "work_or_study_lost", age=45) is Segment.CLEAR_NEED
    assert segment_of("long_term_or_help_not_enough", "work_or_study_lost", age=20) is Segment.CLEAR_NEED
    assert segment_of("long_term_or_help_not_enough", "work_or_study_lost", "debts_or_benefit_problems", age=45) is Segment.COMPLEX_NEED
    assert segment_of("long_term_or_help_not_enough", "work_or_study_lost", "lonely_or_in_conflict", age=26) is Segment.COMPLEX_NEED
    assert segment_of("long_term_or_help_not_enough", "housing_lost", age=58) is Segment.COMPLEX_NEED


def test_a_child_who_only_wants_information_and_manages_is_given_advice_too():
    """Version 14 (the review of 6.12.2026): age under 18 alone no longer holds the
    information-only client at the assessment - it showed the assessment's limits beside the
    advice path the segment step suggested. A 15-year-old asking where to find a summer job is
    advised; the child-welfare consideration is still asked (segmentation), and a child at risk,
    or whose wellbeing is clearly worse, is assessed (above)."""
    result = evaluate(SOCIAL, answers(*INFORMED), WorryLevel.NONE, 15)
    assert result.suggested is Urgency.SELF_CARE
    assert child_welfare_consideration(15, "social")


@pytest.mark.parametrize(("age", "expected"), [(16, Urgency.THREE_DAYS), (30, Urgency.NON_URGENT)])
def test_gambling_harms_a_child_is_three_days_an_adult_not_by_that_alone(age, expected):
    """Version 13 took gambling's three working days away for adults with debts, rent and food
    paid; version 14 keeps it for a child (a minor may not gamble at all, Arpajaislaki 14 a §)."""
    assert urgency("gambling_harms", worry=WorryLevel.SMALL, age=age) is expected


def test_a_child_long_out_of_school_stays_a_complex_need_in_the_grey_zone():
    """`unless_only_domains` (version 13: long unemployment alone a clear need) is for adults:
    a 15-year-old long out of school is the child's own assessment (SHL 36 §, LsL 26 §)."""
    assert segment_of("long_term_or_help_not_enough", "work_or_study_lost", age=15) is Segment.COMPLEX_NEED
    assert segment_of("long_term_or_help_not_enough", "work_or_study_lost", age=45) is Segment.CLEAR_NEED



@pytest.mark.parametrize("age", [9, 15, 38])
def test_a_child_at_risk_in_the_grey_zone_is_a_complex_need_with_a_small_worry_a_clear_one(age):
    """Version 15: a child at risk (the client a child, or a parent's child) with the worry in
    the grey zone is mapped as a whole - the child-welfare notification, the child's assessment
    with the school and the family's services, a social worker responsible for the child (LsL
    25-27 §, 13 b §): a complex need, also where nothing else is found (a school nurse's
    15-year-old drinking, a teacher's hungry pupil). With a small worry it stays a clear need."""
    assert SOCIAL.complex_need(answers("child_at_risk"), WorryLevel.GREY_ZONE, age) == ("child_at_risk",)
    assert segment_of("child_at_risk", age=age) is Segment.COMPLEX_NEED
    assert segment_of("child_at_risk", "substance_use_harms", age=age) is Segment.COMPLEX_NEED
    assert segment_of("child_at_risk", "family_needs_support", worry=WorryLevel.SMALL, age=age) is Segment.CLEAR_NEED

# The walk of 6.12.2026: an information-only client of 80 who manages once informed, with a
# need found, was advised (segment A) while the service-need assessment's limits stood (SHL
# 36 §), and no follow-up was suggested to keep them.

REGION_RULES = load_region_rules(DATA / "region.toml")


def follow_up_of(yes: tuple[str, ...], worry: WorryLevel, age: int, day: date):
    """The suggested segment, outcome, assessment limit and follow-up of a social contact."""
    said = answers(*INFORMED, *yes)
    result = evaluate(SOCIAL, said, worry, age)
    segment, _reasons = segment_by_answers(SOCIAL, said, result.suggested, [], worry, result.domains, age)
    outcome = suggest_outcome(segment, list(result.red_flags), result.suggested, duties=result.duties)
    deadlines = contact_deadlines(
        REGION_RULES, day, register="social", urgency=result.suggested, age=age,
        statutory_group=SOCIAL.in_statutory_group(said), duties=result.duties,
    )
    limit = assessment_limit(deadlines)
    follow_up = suggest_follow_up(
        outcome, segment, day, result.suggested, "social", assessment_by=limit.day if limit else None,
    )
    return segment, outcome, limit, follow_up


@pytest.mark.parametrize(("yes", "worry", "age"), [
    (("statutory_group", "lonely_or_in_conflict"), WorryLevel.NONE, 80),  # the walk's client
    (("lonely_or_in_conflict",), WorryLevel.NONE, 80),  # 75 or over by the age alone
    (("debts_or_benefit_problems",), WorryLevel.NONE, 82),
    ((), WorryLevel.GREY_ZONE, 40),  # the worker's grey zone, an adult asking information only
    (("cares_for_close_person", "mental_wellbeing_strained"), WorryLevel.SMALL, 50),  # [[urgency_when]]
    (("mental_wellbeing_strained",), WorryLevel.NONE, 15),  # a child's [[urgency_when]]
])
def test_advice_with_the_assessments_limit_standing_is_followed_up_by_that_limit(yes, worry, age):
    """Whatever the segment, a contact that ends in advice with the service-need assessment's
    limit standing is followed up by it: a callback, for the assessment to start, due on the
    last working day by the earliest limit (the 7th working day of the group, or the region's
    promise, which stands for "without delay") - not "no follow-up"."""
    monday = date(2026, 12, 7)
    segment, outcome, limit, (kind, due) = follow_up_of(yes, worry, age, monday)
    assert outcome is OutcomeKind.ADVICE and segment is Segment.ADVICE
    assert limit is not None and limit.day == date(2026, 12, 14)  # the promise: 7 calendar days
    assert kind is FollowUpKind.CALLBACK and due == date(2026, 12, 14)
    # A promise ending on a Sunday: the Friday before (Sunday 13.12. from Sunday 6.12.).
    sunday = date(2026, 12, 6)
    _segment, _outcome, limit, (kind, due) = follow_up_of(yes, worry, age, sunday)
    assert limit.day == date(2026, 12, 13) and (kind, due) == (FollowUpKind.CALLBACK, date(2026, 12, 11))


def test_the_advice_path_has_no_limit_and_a_sooner_follow_up_is_kept():
    """Advice and guidance (self_care) counts no limit, so no follow-up; a referral's own check
    within three working days, before the limit, stays as it was; a booking keeps the limit by
    its slot and a duty made by its receiver (confirmed the next working day): no follow-up of
    the contact's own is added to them."""
    monday = date(2026, 12, 7)
    _segment, outcome, limit, follow_up = follow_up_of((), WorryLevel.SMALL, 40, monday)
    assert outcome is OutcomeKind.ADVICE and limit is None and follow_up == (FollowUpKind.NONE, None)
    promise = date(2026, 12, 14)
    for segment in (Segment.ADVICE, Segment.CLEAR_NEED):
        assert suggest_follow_up(
            OutcomeKind.REFERRAL, segment, monday, Urgency.NON_URGENT, "social", assessment_by=promise,
        ) == (FollowUpKind.CHECK_REFERRAL, date(2026, 12, 10))
    # A complex need's callback after five working days comes after the promise: by it.
    assert suggest_follow_up(
        OutcomeKind.REFERRAL, Segment.COMPLEX_NEED, monday, Urgency.NON_URGENT, "social", assessment_by=promise,
    ) == (FollowUpKind.CALLBACK, promise)
    for outcome in (OutcomeKind.BOOKING, OutcomeKind.DUTY):
        assert suggest_follow_up(
            outcome, Segment.CLEAR_NEED, monday, Urgency.NON_URGENT, "social", assessment_by=promise,
        ) == (FollowUpKind.NONE, None)
    # An unidentified caller cannot be called back; a health contact has no such limit.
    assert suggest_follow_up(
        OutcomeKind.ADVICE, Segment.ADVICE, monday, Urgency.NON_URGENT, "social", anonymous=True,
        assessment_by=promise,
    ) == (FollowUpKind.NONE, None)
    assert suggest_follow_up(
        OutcomeKind.ADVICE, Segment.ADVICE, monday, Urgency.NON_URGENT, "health", assessment_by=promise,
    ) == (FollowUpKind.NONE, None)


def test_a_long_unemployment_with_nothing_that_cannot_wait_is_not_three_days_by_the_grey_zone():
    """Version 18 (`[[steady_when]]`): a man six years unemployed whose work trials ended, a son
    of 23 in his room for a year - in the grey zone the worry brings others in (complex with a
    second need), not a deadline of three working days (SHL 36 §). A child keeps the three days
    (LsL 26 §); anything that cannot wait, a great worry, or what the combination's `none`
    lists (debts, a child at risk, violence) still raises it."""
    long_out = ("long_term_or_help_not_enough", "work_or_study_lost")
    assert urgency(*long_out, worry=WorryLevel.GREY_ZONE, age=43) is Urgency.NON_URGENT
    assert urgency(*long_out, "lonely_or_in_conflict", "mental_wellbeing_strained", worry=WorryLevel.GREY_ZONE, age=23) is Urgency.NON_URGENT
    assert segment_of(*long_out, "lonely_or_in_conflict", age=23) is Segment.COMPLEX_NEED
    assert urgency(*long_out, worry=WorryLevel.GREY_ZONE, age=16) is Urgency.THREE_DAYS
    # 75 or over is the statutory group by age, as by the question (the walk of 6.12.2026: an
    # 87-year-old with the question answered no).
    assert urgency(*long_out, worry=WorryLevel.GREY_ZONE, age=87) is Urgency.THREE_DAYS
    assert urgency(*long_out, worry=WorryLevel.GREAT, age=43) is Urgency.SAME_DAY
    for acute in ("debts_or_benefit_problems", "child_at_risk", "violence_or_threat_at_home", "substance_use_harms"):
        assert urgency(*long_out, acute, worry=WorryLevel.GREY_ZONE, age=43) is Urgency.THREE_DAYS, acute
    assert urgency(*long_out, "must_be_arranged_today", worry=WorryLevel.GREY_ZONE, age=43) is Urgency.SAME_DAY
    # The long difficulty alone, without work or study lost, is raised by the grey zone as before.
    assert urgency("long_term_or_help_not_enough", worry=WorryLevel.GREY_ZONE, age=43) is Urgency.THREE_DAYS


def test_the_result_says_when_the_worry_was_held_back_and_why():
    """The assessment step says why a chosen worry did not raise the suggestion: `worry_held`
    is "steady" ([[steady_when]]) or "information_only" (an adult asking information only), and
    None where the worry raised it or would not have changed it."""
    long_out = answers("long_term_or_help_not_enough", "work_or_study_lost")
    assert evaluate(SOCIAL, long_out, WorryLevel.GREY_ZONE, 43).worry_held == "steady"
    assert evaluate(SOCIAL, long_out, WorryLevel.GREAT, 43).worry_held is None
    assert evaluate(SOCIAL, long_out, WorryLevel.SMALL, 43).worry_held is None
    asks = answers("information_only", "exploited_or_controlled")
    assert evaluate(SOCIAL, asks, WorryLevel.GREY_ZONE, 45).worry_held == "information_only"
    # Something that cannot wait sets the same day anyway: nothing was held back that mattered.
    today = answers("information_only", "must_be_arranged_today")
    assert evaluate(SOCIAL, today, WorryLevel.GREY_ZONE, 45).worry_held is None
