"""Initial-assessment protocols: the shipped set, the urgency rules, and broken files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ohjaus_core.domain.codes import Register, ServiceArea, Urgency, WorryLevel
from ohjaus_core.domain.errors import DataFileError
from ohjaus_core.domain.protocols.evaluation import evaluate
from ohjaus_core.domain.protocols.loading import load_life_threats, load_protocol, load_protocols
from ohjaus_core.domain.protocols.model import (
    LIFE_THREATS_FILE,
    NURSE_CONCERN,
    NURSE_CONCERN_FILE,
    Protocol,
    protocols_for,
    visible_questions,
)
from ohjaus_core.i18n import current_language, set_language

PROTOCOLS = Path(__file__).resolve().parents[2] / "data" / "protocols"
SHIPPED = load_protocols(PROTOCOLS)
BY_ID = {protocol.id: protocol for protocol in SHIPPED}
LIFE_THREAT_IDS = [q.id for q in load_life_threats(PROTOCOLS / LIFE_THREATS_FILE)]

EXPECTED_IDS = {
    "advice_only", "chest_pain", "shortness_of_breath", "fever_adult", "fever_child",
    "abdominal_pain", "headache_stroke", "urinary", "back_pain", "dental_pain",
    "mental_health_crisis", "social_service_need", "injury", "skin", "substance_use",
    "medication_question",
    # issue 13, branch p1
    "altered_consciousness", "fainting_shock", "allergic_reaction", "diabetes_blood_sugar",
    "bleeding", "pregnancy", "respiratory_infection", "sore_throat", "eye",
    # branch p2 (issue 13)
    "ear", "joint_pain_swelling", "breast_lump", "high_blood_pressure", "memory_problems",
    "falls_older_person", "burns", "poisoning", "vomiting_diarrhoea_adult",
    "vomiting_diarrhoea_child", "rash_child",
    # h13 (issue 13): a caller whose word fits no symptom protocol ("kipu", "väsymys")
    "general_symptom",
}
WITHOUT_LIFE_THREATS = {"advice_only", "social_service_need"}


def no_worry(protocol: Protocol) -> WorryLevel | None:
    return WorryLevel.NONE if protocol.asks_worry else None


def red_flag_cases() -> list[tuple[str, str]]:
    return [(p.id, q.id) for p in SHIPPED for q in p.questions if q.red_flag]


def if_yes_cases() -> list[tuple[str, str, Urgency]]:
    return [(p.id, q.id, q.if_yes) for p in SHIPPED for q in p.questions if q.if_yes]


def with_parents(protocol: Protocol, question_id: str) -> set[str]:
    """The question and every earlier question it is shown after (show_if), all answered yes."""
    by_id = {q.id: q for q in protocol.questions}
    chain = {question_id}
    while by_id[question_id].show_if is not None:
        question_id = by_id[question_id].show_if
        chain.add(question_id)
    return chain


# --- the shipped set ----------------------------------------------------------------------


def test_every_shipped_protocol_loads_sorted_by_order() -> None:
    assert {p.id for p in SHIPPED} == EXPECTED_IDS
    assert [p.order for p in SHIPPED] == sorted(p.order for p in SHIPPED)
    assert SHIPPED[0].id == "advice_only"


def test_the_eleven_life_threats_of_the_format_are_red_flags() -> None:
    assert LIFE_THREAT_IDS == [
        "unconscious", "acute_confusion", "severe_breathing_difficulty", "choking", "seizure_now",
        "severe_bleeding", "shock_signs", "anaphylaxis_signs", "heart_attack_chest_pain",
        "stroke_signs", "suicidal_with_plan",
    ]


@pytest.mark.parametrize("protocol", SHIPPED, ids=lambda p: p.id)
def test_life_threats_come_first_in_health_protocols_only(protocol: Protocol) -> None:
    first = [q.id for q in protocol.questions[: len(LIFE_THREAT_IDS)]]
    flagged = [q.id for q in protocol.questions if q.life_threat]
    if protocol.id in WITHOUT_LIFE_THREATS:
        assert flagged == []
        assert not set(LIFE_THREAT_IDS) & {q.id for q in protocol.questions}
    else:
        assert protocol.register is Register.HEALTH
        assert first == LIFE_THREAT_IDS
        assert flagged == LIFE_THREAT_IDS
        # the nurse's own concern comes last, after the protocol's own questions
        assert protocol.questions[-1].id == NURSE_CONCERN and protocol.questions[-1].nurse_concern
        assert protocol.questions[-1].red_flag  # a worried nurse sends to emergency care
    # no cap on the number of questions: follow-ups (show_if) make room where it matters
    own = [q for q in protocol.questions if not q.life_threat and not q.nurse_concern]
    assert len(own) >= 1


@pytest.mark.parametrize("protocol", SHIPPED, ids=lambda p: p.id)
def test_format_two_safety_rules_hold_for_every_shipped_protocol(protocol: Protocol) -> None:
    assert protocol.default_urgency is not Urgency.SELF_CARE or protocol.register is Register.SOCIAL
    assert set(protocol.keywords) == {"fi", "sv", "en"}
    assert protocol.governance.status == "draft" and protocol.governance.sources
    assert protocol.governance.review_due is not None
    if protocol.register is Register.HEALTH:
        assert set(protocol.safety_net) == {"fi", "sv", "en"}
        assert "112" in protocol.safety_net["fi"]
    by_id = {q.id: q for q in protocol.questions}
    for criterion in protocol.self_care_if + protocol.self_care_if_any:
        assert not by_id[criterion].red_flag and by_id[criterion].if_yes is None
    for position, question in enumerate(protocol.questions):
        if question.show_if is not None:
            assert question.show_if in [q.id for q in protocol.questions[:position]]
        # a question that raises nothing is a self-care criterion or opens a follow-up
        if not question.red_flag and question.if_yes is None and protocol.register is Register.HEALTH:
            opens = any(q.show_if == question.id for q in protocol.questions)
            criteria = protocol.self_care_if + protocol.self_care_if_any
            assert question.id in criteria or opens, question.id


def test_the_same_finding_id_has_the_same_text_in_every_protocol() -> None:
    texts: dict[str, dict[str, str]] = {}
    for protocol in SHIPPED:
        for question in protocol.questions:
            assert texts.setdefault(question.id, question.texts) == question.texts, question.id
    assert texts["has_fever"]["en"] == "Does the client have a fever (over 38 °C)?"


@pytest.mark.parametrize("protocol", SHIPPED, ids=lambda p: p.id)
def test_every_text_is_a_question_in_three_languages(protocol: Protocol) -> None:
    assert set(protocol.titles) == {"fi", "sv", "en"}
    for question in protocol.questions:
        assert set(question.texts) == {"fi", "sv", "en"}
        assert all(text.endswith("?") for text in question.texts.values()), question.id
        assert not (question.red_flag and question.if_yes)


def test_service_areas_and_registers() -> None:
    assert BY_ID["social_service_need"].register is Register.SOCIAL
    assert set(BY_ID["social_service_need"].service_areas) == {
        area for area in ServiceArea if area.register is Register.SOCIAL
    }
    assert set(BY_ID["advice_only"].service_areas) == {
        area for area in ServiceArea if area.register is Register.HEALTH
    }
    assert BY_ID["dental_pain"].service_areas == (ServiceArea.ORAL_HEALTH,)
    assert BY_ID["mental_health_crisis"].service_areas == (ServiceArea.MENTAL_SUBSTANCE,)


def test_protocols_for_a_service_area_keeps_picker_order() -> None:
    oral = [p.id for p in protocols_for(SHIPPED, ServiceArea.ORAL_HEALTH)]
    assert oral == ["advice_only", "dental_pain"]
    family = [p.id for p in protocols_for(SHIPPED, ServiceArea.FAMILY)]
    assert family == ["social_service_need"]
    assert "chest_pain" in [p.id for p in protocols_for(SHIPPED, ServiceArea.HEALTH)]


def test_title_and_text_follow_the_language() -> None:
    before = current_language()
    try:
        set_language("sv")
        assert BY_ID["chest_pain"].title == "Bröstsmärta"
        set_language("fi")
        assert BY_ID["chest_pain"].title == "Rintakipu"
        assert BY_ID["chest_pain"].questions[0].text.startswith("Onko asiakas tajuton")
    finally:
        set_language(before)


# --- evaluation ---------------------------------------------------------------------------


@pytest.mark.parametrize(("protocol_id", "question_id"), red_flag_cases())
def test_every_red_flag_yes_is_an_emergency(protocol_id: str, question_id: str) -> None:
    protocol = BY_ID[protocol_id]
    yes = with_parents(protocol, question_id)
    answers = {q.id: q.id in yes for q in protocol.questions}
    result = evaluate(protocol, answers, no_worry(protocol))
    assert result.suggested is Urgency.EMERGENCY
    assert result.reasons == (question_id,)
    assert result.red_flags == (question_id,)
    assert result.complete


@pytest.mark.parametrize(("protocol_id", "question_id", "urgency"), if_yes_cases())
def test_every_if_yes_raises_to_its_urgency(
    protocol_id: str, question_id: str, urgency: Urgency
) -> None:
    protocol = BY_ID[protocol_id]
    result = evaluate(protocol, dict.fromkeys(with_parents(protocol, question_id), True))
    assert result.suggested is urgency
    assert result.reasons == (question_id,)
    assert result.red_flags == ()
    assert not result.by_default
    assert not result.complete
    assert question_id not in result.unanswered


@pytest.mark.parametrize("protocol", SHIPPED, ids=lambda p: p.id)
def test_all_no_gives_the_default(protocol: Protocol) -> None:
    result = evaluate(protocol, {q.id: False for q in protocol.questions}, no_worry(protocol))
    assert result.suggested is protocol.default_urgency
    assert result.suggested is not Urgency.SELF_CARE  # no protocol reaches self-care by default
    assert result.reasons == ()
    assert result.red_flags == ()
    assert result.by_default and not result.self_care
    assert result.complete and result.unanswered == ()


def test_most_urgent_yes_wins_and_every_question_giving_it_is_a_reason() -> None:
    protocol = BY_ID["social_service_need"]
    answers = {
        "danger_or_violence_now": False,
        "child_at_risk": True,
        "older_person_not_coping": True,
        "no_money_for_food_or_medicine": False,
        "housing_lost": False,
        "information_only": False,
    }
    result = evaluate(protocol, answers)
    assert result.suggested is Urgency.THREE_DAYS
    assert result.reasons == ("child_at_risk", "older_person_not_coping")

    # No money for food or medicine is assessed within three working days, with the other
    # answers that give it (social assistance within 7 working days, ToimTukiL 14 §); when
    # something must be arranged today or tomorrow (no food until Monday), the same day.
    result = evaluate(protocol, {**answers, "no_money_for_food_or_medicine": True})
    assert result.suggested is Urgency.THREE_DAYS
    assert result.reasons == ("child_at_risk", "older_person_not_coping", "no_money_for_food_or_medicine")
    result = evaluate(protocol, {"no_money_for_food_or_medicine": True, "must_be_arranged_today": True})
    assert result.suggested is Urgency.SAME_DAY
    assert result.reasons == ("must_be_arranged_today",)


def test_an_information_only_client_is_not_raised_by_the_answers_but_by_danger_and_worry() -> None:
    """Issue 16: only wants information - the answers' urgencies do not raise it (advice, not an
    assessment); danger now, the worker's worry and the duties still count."""
    protocol = BY_ID["social_service_need"]
    asks = {"information_only": True, "violence_or_threat_at_home": True}
    result = evaluate(protocol, asks, WorryLevel.SMALL)
    assert result.suggested is Urgency.NON_URGENT and result.duties == ("immediate_safety_response",)
    assert evaluate(protocol, asks, WorryLevel.GREY_ZONE).suggested is Urgency.THREE_DAYS
    assert evaluate(protocol, {**asks, "danger_or_violence_now": True}, WorryLevel.SMALL).suggested is Urgency.EMERGENCY
    assert evaluate(protocol, {**asks, "information_only": False}, WorryLevel.SMALL).suggested is Urgency.THREE_DAYS
    # Nor by a combination: a carer at the end of their strength is three working days.
    carer = {"cares_for_close_person": True, "mental_wellbeing_strained": True}
    assert evaluate(protocol, {**carer, "information_only": True}, WorryLevel.SMALL).suggested is Urgency.NON_URGENT
    assert evaluate(protocol, carer, WorryLevel.SMALL).suggested is Urgency.THREE_DAYS


def test_an_older_persons_notification_for_violence_or_money_in_the_statutory_group_from_65() -> None:
    protocol = BY_ID["social_service_need"]
    for harm in ("violence_or_threat_at_home", "no_money_for_food_or_medicine", "debts_or_benefit_problems"):
        answers = {"statutory_group": True, harm: True}
        assert "older_person_notification" in evaluate(protocol, answers, WorryLevel.SMALL, age=80).duties
        assert "older_person_notification" in evaluate(protocol, answers, WorryLevel.SMALL).duties  # age unknown
        # A child in need of special support is child welfare's, not the older person's notification.
        assert "older_person_notification" not in evaluate(protocol, answers, WorryLevel.SMALL, age=16).duties
    assert "older_person_notification" not in evaluate(protocol, {"violence_or_threat_at_home": True}, WorryLevel.SMALL, age=80).duties


def test_an_older_person_of_the_statutory_group_in_danger_now_brings_both_duties() -> None:
    """sh3: a neighbour calls, the 88-year-old across the hall has not answered for two days. The
    safety response and the VPL 25 § notification both; a younger client of the group in danger
    (a child) or an older client outside the group: the safety response only."""
    protocol = BY_ID["social_service_need"]
    danger = {"statutory_group": True, "danger_or_violence_now": True}
    result = evaluate(protocol, danger, WorryLevel.GREAT, age=88)
    assert result.suggested is Urgency.EMERGENCY
    assert result.duties == ("immediate_safety_response", "older_person_notification")
    assert evaluate(protocol, danger, WorryLevel.GREAT, age=10).duties == ("immediate_safety_response",)
    alone = {"danger_or_violence_now": True}
    assert evaluate(protocol, alone, WorryLevel.GREAT, age=70).duties == ("immediate_safety_response",)


def test_red_flags_beat_if_yes_and_are_all_reasons() -> None:
    protocol = BY_ID["headache_stroke"]
    result = evaluate(protocol, {
        "stroke_signs": True, "thunderclap_headache": True, "age_over_50": True,
        "new_kind_of_headache": True,
    })
    assert result.suggested is Urgency.EMERGENCY
    assert result.reasons == ("stroke_signs", "thunderclap_headache")
    assert result.red_flags == result.reasons


def test_information_only_changes_nothing() -> None:
    protocol = BY_ID["social_service_need"]
    result = evaluate(protocol, {"information_only": True})
    assert result.suggested is Urgency.NON_URGENT
    assert result.reasons == ()


def test_advice_only_suggests_self_care_only_to_a_caller_who_only_wants_information() -> None:
    protocol = BY_ID["advice_only"]
    informed = evaluate(protocol, {"only_wants_information": True})
    assert informed.suggested is Urgency.SELF_CARE and informed.self_care
    assert informed.reasons == ("only_wants_information",)
    symptoms = evaluate(protocol, {"only_wants_information": False})
    assert symptoms.suggested is Urgency.NON_URGENT and symptoms.by_default


def all_no(protocol: Protocol, **yes: bool) -> dict[str, bool]:
    return {**{q.id: False for q in protocol.questions}, **yes}


def test_self_care_needs_every_criterion_yes_and_nothing_raised() -> None:
    protocol = BY_ID["chest_pain"]
    assert protocol.self_care_if == ("chest_wall_tender", "symptoms_mild")
    mild = evaluate(protocol, all_no(protocol, chest_wall_tender=True, symptoms_mild=True))
    assert mild.suggested is Urgency.SELF_CARE and mild.self_care and not mild.by_default
    assert mild.reasons == ("chest_wall_tender", "symptoms_mild")
    # one criterion not affirmed: a professional's assessment, by default
    half = evaluate(protocol, all_no(protocol, symptoms_mild=True))
    assert half.suggested is Urgency.NON_URGENT and half.by_default
    # a raising answer wins over the criteria
    breathing = evaluate(protocol, all_no(
        protocol, chest_wall_tender=True, symptoms_mild=True, pain_worse_breathing_in=True
    ))
    assert breathing.suggested is Urgency.SAME_DAY and breathing.reasons == ("pain_worse_breathing_in",)
    # the criteria alone, before every question is answered, are not enough
    early = evaluate(protocol, {"chest_wall_tender": True, "symptoms_mild": True})
    assert early.suggested is Urgency.NON_URGENT and not early.complete


def test_the_nurses_concern_sends_to_emergency_care_and_never_lowers() -> None:
    # the lead's clinical choice (5.12.2026): a worried triage nurse sends a seriously ill
    # client to the emergency department now, as a red flag, whatever else was answered
    protocol = BY_ID["back_pain"]
    worried = evaluate(protocol, all_no(
        protocol, symptoms_mild=True, nurse_concern=True
    ))
    assert worried.suggested is Urgency.EMERGENCY and worried.red_flags == (NURSE_CONCERN,)
    assert not worried.self_care
    both = evaluate(protocol, all_no(protocol, saddle_numbness=True, nurse_concern=True))
    assert both.suggested is Urgency.EMERGENCY and NURSE_CONCERN in both.red_flags
    concern = next(q for q in BY_ID["chest_pain"].questions if q.id == NURSE_CONCERN)
    assert concern.red_flag and concern.nurse_concern and not concern.life_threat
    assert concern.texts["en"] == "Are you, as the nurse, worried that the client is seriously ill?"
    assert NURSE_CONCERN not in {q.id for q in BY_ID["advice_only"].questions}


@pytest.mark.parametrize("rule", ['if_yes = "same_day"', "red_flag = true"])
def test_a_region_may_make_the_nurses_concern_a_red_flag_or_a_raise(tmp_path: Path, rule) -> None:
    write(tmp_path, GOOD)
    (tmp_path / NURSE_CONCERN_FILE).write_text(
        NURSE_CONCERN_TEXT.replace('if_yes = "same_day"', rule), "utf-8"
    )
    (protocol,) = load_protocols(tmp_path)
    answers = {q.id: q.id == NURSE_CONCERN for q in protocol.questions}
    expected = Urgency.EMERGENCY if rule.startswith("red_flag") else Urgency.SAME_DAY
    assert evaluate(protocol, answers).suggested is expected


def test_a_nurses_concern_that_raises_nothing_is_refused(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    (tmp_path / NURSE_CONCERN_FILE).write_text(
        NURSE_CONCERN_TEXT.replace('if_yes = "same_day"\n', ""), "utf-8"
    )
    with pytest.raises(DataFileError) as caught:
        load_protocols(tmp_path)
    assert caught.value.path == tmp_path / NURSE_CONCERN_FILE
    assert "red_flag or if_yes" in caught.value.reason


def test_a_follow_up_is_asked_only_after_a_yes_and_is_never_unanswered_when_hidden() -> None:
    protocol = BY_ID["injury"]
    hidden = [q.id for q in visible_questions(protocol, {"hit_head": False})]
    assert "head_injury_warning_signs" not in hidden and "on_blood_thinners" not in hidden
    shown = [q.id for q in visible_questions(protocol, {"hit_head": True})]
    assert shown.index("hit_head") < shown.index("head_injury_warning_signs")
    assert shown.index("head_injury_warning_signs") < shown.index("on_blood_thinners")
    answers = all_no(protocol)
    del answers["head_injury_warning_signs"], answers["on_blood_thinners"]
    result = evaluate(protocol, answers)
    assert result.complete and "on_blood_thinners" not in result.unanswered
    # a yes left on a follow-up whose question was then answered no is ignored
    stale = evaluate(protocol, all_no(protocol, head_injury_warning_signs=True))
    assert stale.suggested is Urgency.NON_URGENT and stale.red_flags == ()
    asked = evaluate(protocol, all_no(protocol, hit_head=True, head_injury_warning_signs=True))
    assert asked.suggested is Urgency.EMERGENCY


def test_a_question_for_other_ages_is_not_asked_and_its_yes_is_ignored() -> None:
    """An adult with a cough is not asked about a baby's breathing pauses; a baby is, and so
    is a caller whose age is not known."""
    protocol = BY_ID["respiratory_infection"]
    baby_questions = {"breathing_pauses_baby", "infant_under_3_months", "child_breathing_fast"}
    assert not baby_questions & {q.id for q in visible_questions(protocol, {}, age=40)}
    assert baby_questions <= {q.id for q in visible_questions(protocol, {}, age=0)}
    assert baby_questions <= {q.id for q in visible_questions(protocol, {})}
    assert "breathing_pauses_baby" not in {q.id for q in visible_questions(protocol, {}, age=5)}
    assert "child_breathing_fast" in {q.id for q in visible_questions(protocol, {}, age=15)}
    assert "child_breathing_fast" not in {q.id for q in visible_questions(protocol, {}, age=16)}
    answers = {q.id: False for q in visible_questions(protocol, {}, age=40)}
    adult = evaluate(protocol, answers, age=40)
    assert adult.unanswered == () and not baby_questions & set(adult.unanswered)
    # a yes left on a question the client's age does not ask is ignored
    stale = evaluate(protocol, {**answers, "breathing_pauses_baby": True}, age=40)
    assert stale.red_flags == () and stale.suggested is adult.suggested
    baby = evaluate(protocol, {**answers, "breathing_pauses_baby": True}, age=0)
    assert baby.suggested is Urgency.EMERGENCY


def test_one_question_id_has_the_same_ages_in_every_protocol() -> None:
    ages: dict[str, set] = {}
    for protocol in SHIPPED:
        for question in protocol.questions:
            ages.setdefault(question.id, set()).add(question.ages)
    assert {qid: a for qid, a in ages.items() if len(a) > 1} == {}
    assert BY_ID["ear"].question("child_under_2_years").ages == (0, 1)


def test_unanswered_questions_are_listed_in_order_and_unknown_ids_ignored() -> None:
    protocol = BY_ID["chest_pain"]
    result = evaluate(protocol, {"unconscious": False, "choking": None, "no_such_question": True})
    assert not result.complete
    assert result.unanswered == tuple(q.id for q in protocol.questions if q.id != "unconscious")
    assert result.suggested is Urgency.NON_URGENT


# --- broken files -------------------------------------------------------------------------

LIFE_THREATS = """\
[[questions]]
id = "unconscious"
text = { fi = "Onko asiakas tajuton?", sv = "Är klienten medvetslös?", en = "Unconscious?" }
red_flag = true
"""

NURSE_CONCERN_TEXT = """\
[[questions]]
id = "nurse_concern"
text = { fi = "Huoli?", sv = "Oro?", en = "Worried?" }
if_yes = "same_day"
"""

GOOD = """\
id = "sample"
version = 1
register = "health"
service_areas = ["health"]
order = 5
title = { fi = "Näyte", sv = "Prov", en = "Sample" }
default_urgency = "non_urgent"
keywords = { fi = ["näyte"], sv = ["prov"], en = ["sample"] }
safety_net = { fi = "Soita 112, jos", sv = "Ring 112 om", en = "Call 112 if" }

[[questions]]
id = "first"
text = { fi = "Ensimmäinen?", sv = "Första?", en = "First?" }
red_flag = true

[[questions]]
id = "second"
text = { fi = "Toinen?", sv = "Andra?", en = "Second?" }
if_yes = "same_day"

[governance]
status = "draft"
sources = ["Duodecim Terveyskirjasto: Näyte"]
author = "ohjaus project"
review_due = "2027-06-30"
"""


def write(tmp_path: Path, text: str, name: str = "sample.toml") -> Path:
    (tmp_path / LIFE_THREATS_FILE).write_text(LIFE_THREATS, "utf-8")
    (tmp_path / NURSE_CONCERN_FILE).write_text(NURSE_CONCERN_TEXT, "utf-8")
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), "utf-8")
    return path


def broken(tmp_path: Path, text: str, name: str = "sample.toml") -> DataFileError:
    path = write(tmp_path, text, name)
    with pytest.raises(DataFileError) as caught:
        load_protocols(tmp_path)
    assert caught.value.path == path, str(caught.value)
    assert str(caught.value).startswith(f"{path}:")
    return caught.value


def test_a_good_file_loads_with_the_life_threat_first(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    (protocol,) = load_protocols(tmp_path)
    assert [q.id for q in protocol.questions] == ["unconscious", "first", "second", NURSE_CONCERN]
    assert protocol.keywords == {"fi": ("näyte",), "sv": ("prov",), "en": ("sample",)}
    assert protocol.governance.status == "draft" and not protocol.governance.approved
    assert protocol.governance.review_due is not None
    assert protocol.self_care_if == () and protocol.choose_hint == ""


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ('order = 5', 'order = = 5', 5, "Invalid value"),  # TOML syntax
        ('default_urgency = "non_urgent"', 'default_urgency = "soonish"', 7, "soonish"),
        ('if_yes = "same_day"', 'if_yes = "tomorrow"', 19, "tomorrow"),
        ('if_yes = "same_day"', 'if_yes = "same_day"\nred_flag = true', 19, "contradictory"),
        ('id = "second"', 'id = "first"', 17, "duplicate question id 'first'"),
        ('id = "second"', 'id = "unconscious"', 17, "shared question"),
        ('id = "second"', 'id = "nurse_concern"', 17, "shared question"),
        ('text = { fi = "Toinen?", sv = "Andra?", en = "Second?" }',
         'text = { sv = "Andra?", en = "Second?" }', 18, "Finnish"),
        ('title = { fi = "Näyte", sv = "Prov", en = "Sample" }',
         'title = { sv = "Prov", en = "Sample" }', 6, "Finnish"),
        ('id = "sample"', 'id = "other"', 1, "file name"),
        ('order = 5', 'order = "5"', 5, "integer"),
        ('version = 1', 'version = true', 2, "integer"),
        ('register = "health"', 'register = "sote"', 3, "sote"),
        ('service_areas = ["health"]', 'service_areas = ["dental"]', 4, "dental"),
        ('service_areas = ["health"]', 'service_areas = ["family"]', 4, "social register"),
        ('order = 5', 'order = 5\ncolour = "red"', 6, "unknown key 'colour'"),
        ('red_flag = true', 'red_flag = true\nhelp = "x"', 15, "unknown key 'help'"),
        ('red_flag = true', 'red_flag = "yes"', 14, "true or false"),
        ('if_yes = "same_day"', 'if_yes = "non_urgent"', 19, "does not raise"),
        ('if_yes = "same_day"', 'if_yes = "emergency"', 19, "red_flag"),
        ('id = "second"\n', '', 16, "missing key 'id'"),
        # format 2: safety by construction
        ('default_urgency = "non_urgent"', 'default_urgency = "self_care"', 7, "self_care_if"),
        ('safety_net = { fi = "Soita 112, jos", sv = "Ring 112 om", en = "Call 112 if" }\n', '',
         None, "safety_net"),
        ('keywords = { fi = ["näyte"], sv = ["prov"], en = ["sample"] }',
         'keywords = { sv = ["prov"] }', 8, "Finnish"),
        ('keywords = { fi = ["näyte"], sv = ["prov"], en = ["sample"] }',
         'keywords = { fi = ["ab"] }', 8, "three letters"),
        ('if_yes = "same_day"', 'if_yes = "same_day"\nshow_if = "third"', 20, "earlier question"),
        ('if_yes = "same_day"', 'if_yes = "same_day"\nshow_if = "second"', 20, "itself"),
        ('status = "draft"', 'status = "approved"', 22, "approved_by"),
        ('status = "draft"', 'status = "final"', 22, "final"),
        ('review_due = "2027-06-30"', 'review_due = "next year"', 25, "YYYY-MM-DD"),
        ('review_due = "2027-06-30"\n', '', 21, "review_due"),
        ('sources = ["Duodecim Terveyskirjasto: Näyte"]', 'sources = []', 23, "sources"),
        ('if_yes = "same_day"', 'if_yes = "same_day"\nages = [5, 1]', 20, "two whole years"),
        ('if_yes = "same_day"', 'if_yes = "same_day"\nages = [0]', 20, "two whole years"),
        ('order = 5', 'order = 5\nasked_alone = ["first"]', 6, "'first' is not one of the shared life threats"),
    ],
)
def test_a_broken_file_names_itself_and_the_line(
    tmp_path: Path, old: str, new: str, line: int | None, words: str
) -> None:
    assert old in GOOD
    error = broken(tmp_path, GOOD.replace(old, new, 1))
    if line is not None:
        assert error.line == line, str(error)
    assert words in error.reason


def test_asked_alone_names_the_life_threats_the_block_key_leaves(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace('order = 5', 'order = 5\nasked_alone = ["unconscious"]', 1))
    (protocol,) = load_protocols(tmp_path)
    assert protocol.asked_alone == ("unconscious",)


def test_a_protocol_without_questions_is_an_error(tmp_path: Path) -> None:
    text = GOOD[: GOOD.index("[[questions]]")]
    error = broken(tmp_path, text)
    assert "questions" in error.reason


def test_the_first_broken_file_of_many_names_itself(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    bad = GOOD.replace('id = "sample"', 'id = "zzz"').replace('if_yes = "same_day"', 'if_yes = "x"')
    error = broken(tmp_path, bad, "zzz.toml")
    assert error.path.name == "zzz.toml" and error.line == 19


def test_a_question_with_other_ages_in_another_protocol_is_refused(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace('if_yes = "same_day"', 'if_yes = "same_day"\nages = [0, 15]'))
    other = GOOD.replace('id = "sample"', 'id = "zzz"')
    error = broken(tmp_path, other, "zzz.toml")
    assert "ages" in error.reason and "second" in error.reason


def test_a_broken_life_threat_file_names_itself(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    shared = tmp_path / LIFE_THREATS_FILE
    shared.write_text(LIFE_THREATS.replace("red_flag = true", "red_flag = false"), "utf-8")
    with pytest.raises(DataFileError) as caught:
        load_protocols(tmp_path)
    assert caught.value.path == shared and caught.value.line == 4
    assert "red flag" in caught.value.reason


def test_a_missing_life_threat_file_is_an_error_for_health_protocols(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    (tmp_path / LIFE_THREATS_FILE).unlink()
    with pytest.raises(DataFileError) as caught:
        load_protocols(tmp_path)
    assert caught.value.path == path and LIFE_THREATS_FILE in caught.value.reason
    (tmp_path / "sample.toml").write_text(GOOD.replace(
        'default_urgency = "non_urgent"', 'default_urgency = "non_urgent"\nlife_threats = false'
    ), "utf-8")
    (protocol,) = load_protocols(tmp_path)
    assert [q.id for q in protocol.questions] == ["first", "second"]


def test_an_approved_protocol_names_who_approved_it_and_when(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace('status = "draft"', 'status = "approved"\napproved_by = "Dr A"\n'
                                 'approved_on = "2026-11-30"'))
    (protocol,) = load_protocols(tmp_path)
    assert protocol.governance.approved and protocol.governance.approved_by == "Dr A"


SELF_CARE = GOOD.replace(
    'safety_net =', 'self_care_if = ["mild"]\nsafety_net ='
).replace("\n[governance]", """
[[questions]]
id = "mild"
text = { fi = "Lievä?", sv = "Lindrig?", en = "Mild?" }

[governance]""")


def test_a_self_care_criterion_loads_and_decides_only_when_affirmed(tmp_path: Path) -> None:
    write(tmp_path, SELF_CARE)
    (protocol,) = load_protocols(tmp_path)
    assert protocol.self_care_if == ("mild",)
    answers = {q.id: False for q in protocol.questions}
    assert evaluate(protocol, {**answers, "mild": True}).suggested is Urgency.SELF_CARE
    assert evaluate(protocol, answers).suggested is Urgency.NON_URGENT


def test_self_care_if_any_needs_one_of_its_criteria_beside_every_self_care_if(
    tmp_path: Path,
) -> None:
    text = SELF_CARE.replace("\n[governance]", """
[[questions]]
id = "recovered"
text = { fi = "Toipunut?", sv = "Återhämtat?", en = "Recovered?" }

[governance]""")
    write(tmp_path, text.replace('self_care_if = ["mild"]', 'self_care_if_any = ["mild", "recovered"]'))
    (protocol,) = load_protocols(tmp_path)
    assert protocol.self_care_if == () and protocol.self_care_if_any == ("mild", "recovered")
    answers = {q.id: False for q in protocol.questions}
    assert evaluate(protocol, answers).suggested is Urgency.NON_URGENT
    one = evaluate(protocol, {**answers, "recovered": True})
    assert one.suggested is Urgency.SELF_CARE and one.reasons == ("recovered",) and one.self_care
    raised = evaluate(protocol, {**answers, "recovered": True, "second": True})
    assert raised.suggested is Urgency.SAME_DAY
    # with self_care_if as well, both are needed
    write(tmp_path, text.replace(
        'self_care_if = ["mild"]', 'self_care_if = ["mild"]\nself_care_if_any = ["recovered"]'
    ))
    (protocol,) = load_protocols(tmp_path)
    assert evaluate(protocol, {**answers, "mild": True}).suggested is Urgency.NON_URGENT
    both = evaluate(protocol, {**answers, "mild": True, "recovered": True})
    assert both.suggested is Urgency.SELF_CARE and both.reasons == ("mild", "recovered")


def test_a_self_care_if_any_criterion_that_raises_is_refused(tmp_path: Path) -> None:
    text = SELF_CARE.replace('self_care_if = ["mild"]', 'self_care_if_any = ["mild", "second"]')
    error = broken(tmp_path, text)
    assert "second" in error.reason and "if_yes" in error.reason


def test_a_self_care_criterion_that_raises_is_refused_at_its_line(tmp_path: Path) -> None:
    text = SELF_CARE.replace('en = "Mild?" }', 'en = "Mild?" }\nif_yes = "three_days"')
    error = broken(tmp_path, text)
    assert error.line == text.splitlines().index('if_yes = "three_days"') + 1
    assert "mild" in error.reason and "if_yes" in error.reason


def test_with_self_care_if_a_yes_at_the_default_only_prevents_self_care(tmp_path: Path) -> None:
    # "second" (same_day in GOOD) now says the default: a yes keeps non_urgent, not self-care.
    write(tmp_path, SELF_CARE.replace('if_yes = "same_day"', 'if_yes = "non_urgent"'))
    (protocol,) = load_protocols(tmp_path)
    answers = {q.id: False for q in protocol.questions} | {"mild": True}
    assert evaluate(protocol, answers).suggested is Urgency.SELF_CARE
    result = evaluate(protocol, answers | {"second": True})
    assert result.suggested is Urgency.NON_URGENT and not result.self_care
    assert result.reasons == ("second",) and not result.by_default


def test_without_self_care_if_a_yes_at_the_default_is_still_refused(tmp_path: Path) -> None:
    error = broken(tmp_path, GOOD.replace('if_yes = "same_day"', 'if_yes = "non_urgent"'))
    assert "does not raise" in error.reason


def test_a_self_care_criterion_must_be_a_question_of_the_protocol(tmp_path: Path) -> None:
    error = broken(tmp_path, SELF_CARE.replace('self_care_if = ["mild"]', 'self_care_if = ["calm"]'))
    assert error.line == 9 and "calm" in error.reason


def test_ages_load_and_say_which_clients_the_protocol_is_for(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace("order = 5", "order = 5\nages = [0, 15]", 1))
    (protocol,) = load_protocols(tmp_path)
    assert protocol.ages == (0, 15)
    assert protocol.fits_age(0) and protocol.fits_age(15) and protocol.fits_age(None)
    assert not protocol.fits_age(16)


@pytest.mark.parametrize("ages", ["[15, 0]", "[0]", "[-1, 15]", "[0, 121]", '["0", "15"]', "[0, 1.5]", "12"])
def test_ages_that_are_not_a_range_of_years_are_refused_at_their_line(
    tmp_path: Path, ages: str
) -> None:
    error = broken(tmp_path, GOOD.replace("order = 5", f"order = 5\nages = {ages}", 1))
    assert error.line == 6 and "ages" in error.reason


def test_a_protocol_without_ages_is_for_every_age(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    (protocol,) = load_protocols(tmp_path)
    assert protocol.ages is None and protocol.fits_age(3) and protocol.fits_age(90)


def test_a_global_id_with_another_text_is_refused_naming_the_other_file(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "aaa.toml").write_text(GOOD.replace('"sample"', '"aaa"', 1), "utf-8")
    other = GOOD.replace('id = "sample"', 'id = "zzz"').replace('en = "Second?"', 'en = "2nd?"')
    error = broken(tmp_path, other, "zzz.toml")
    assert error.line == 18 and "aaa.toml" in error.reason and "second" in error.reason
    # the same id with the same text is one finding, shared
    (tmp_path / "zzz.toml").write_text(GOOD.replace('id = "sample"', 'id = "zzz"'), "utf-8")
    assert [p.id for p in load_protocols(tmp_path)] == ["aaa", "zzz"]


# --- the social service-need assessment: domains, worry, duties --------------------------

SOCIAL = BY_ID["social_service_need"]
NINE_DOMAINS = [
    "safety_violence", "family_children", "coping_at_home", "housing", "livelihood",
    "work_study", "substance_use", "mental_wellbeing", "relationships",
]


def social(*yes: str, worry: WorryLevel | None = WorryLevel.NONE):
    return evaluate(SOCIAL, {q.id: q.id in yes for q in SOCIAL.questions}, worry)


def test_the_social_protocol_walks_the_nine_need_domains() -> None:
    assert [d.id for d in SOCIAL.domains] == NINE_DOMAINS
    asked = {q.domain for q in SOCIAL.questions}
    assert set(NINE_DOMAINS) <= asked
    assert all(set(d.titles) == {"fi", "sv", "en"} for d in SOCIAL.domains)


# The 9 questions the lead fixed on 5.12.2026 (blind taggers answer them for every case):
# their ids and English texts are the taggers' and must not change; each in its need domain.
NEW_QUESTIONS = {
    "nowhere_to_sleep_tonight": ("housing", "Does the client have nowhere safe to sleep tonight?"),
    "must_be_arranged_today": (None, "Must something be arranged today or tomorrow so that the client is not left without help (an eviction or cut-off date, a discharge home, their carer suddenly gone)?"),
    "gambling_harms": ("substance_use", "Does gambling cause the client debts or other harm?"),
    "thoughts_of_death": ("mental_wellbeing", "Does the client speak of not wanting to live, or of ending their life?"),
    "long_term_or_help_not_enough": (None, "Has the client's difficulty gone on for a long time, or have earlier services not been enough?"),
    "manages_once_informed": (None, "Can the client take the matter forward on their own once they have the information or advice?"),
    "disability_limits_daily_life": ("coping_at_home", "Does a disability or long-term illness limit the client's daily life?"),
    "cares_for_close_person": ("coping_at_home", "Does the client look after a close person who could not manage without them?"),
    "exploited_or_controlled": ("safety_violence", "Is someone taking advantage of the client (money, home, belongings) or controlling their life?"),
}


def test_the_social_protocol_asks_the_24_questions_the_taggers_answer() -> None:
    by_id = {q.id: q for q in SOCIAL.questions}
    assert len(SOCIAL.questions) == 24 and SOCIAL.version >= 6
    for qid, (domain, english) in NEW_QUESTIONS.items():
        question = by_id[qid]
        assert question.texts["en"] == english and question.domain == domain, qid
        assert question.texts["fi"] and question.texts["sv"] and question.texts["fi"] != english
    # Gambling is addictions work, with substance use (Finnish practice: päihde- ja riippuvuustyö).
    assert SOCIAL.domain("substance_use").titles["fi"] == "Päihteet ja riippuvuudet"
    # Each domain's questions are asked together, the domain-free ones (how soon, how long, what
    # the client does themself) after them.
    seen = [q.domain for q in SOCIAL.questions if q.domain is not None]
    assert seen == sorted(seen, key=[d.id for d in SOCIAL.domains].index)


def test_the_social_protocol_asks_the_worry_and_is_not_complete_without_it() -> None:
    result = social(worry=None)
    assert not result.complete and result.unanswered == ("worry",)
    assert social().complete


@pytest.mark.parametrize(
    ("worry", "urgency", "raised_by_worry"),
    [
        (WorryLevel.NONE, Urgency.NON_URGENT, None),
        (WorryLevel.SMALL, Urgency.NON_URGENT, None),
        (WorryLevel.GREY_ZONE, Urgency.THREE_DAYS, WorryLevel.GREY_ZONE),
        (WorryLevel.GREAT, Urgency.SAME_DAY, WorryLevel.GREAT),
    ],
)
def test_a_greater_worry_raises_the_suggestion_and_says_so(
    worry: WorryLevel, urgency: Urgency, raised_by_worry: WorryLevel | None
) -> None:
    result = social(worry=worry)
    assert result.suggested is urgency
    assert result.worry is raised_by_worry
    assert result.reasons == ()


def test_worry_and_answers_together_the_more_urgent_wins() -> None:
    result = social("housing_lost", "debts_or_benefit_problems", worry=WorryLevel.GREAT)
    assert result.suggested is Urgency.SAME_DAY and result.worry is WorryLevel.GREAT
    assert result.reasons == ()
    # Violence with no danger now: three working days, the same day with the worker's great worry.
    result = social("violence_or_threat_at_home", worry=WorryLevel.SMALL)
    assert result.suggested is Urgency.THREE_DAYS and result.worry is None
    assert result.reasons == ("violence_or_threat_at_home",)
    result = social("violence_or_threat_at_home", worry=WorryLevel.GREAT)
    assert result.suggested is Urgency.SAME_DAY and result.worry is WorryLevel.GREAT
    assert result.duties == ("immediate_safety_response",)
    # A red flag is an emergency whatever the worry.
    assert social("danger_or_violence_now", worry=WorryLevel.NONE).suggested is Urgency.EMERGENCY


def test_a_home_lost_tonight_is_the_same_day_because_the_client_says_so() -> None:
    """Version 9: no `[[urgency_when]]` guesses a home lost tonight from debts answered no; no
    safe bed tonight is the same day (SHL 12 §, 21 §), a home about to be lost three working
    days, in the grey zone too (SHL 36 §)."""
    result = social("housing_lost", "nowhere_to_sleep_tonight", worry=WorryLevel.GREY_ZONE)
    assert result.suggested is Urgency.SAME_DAY and result.reasons == ("nowhere_to_sleep_tonight",)
    assert social("housing_lost", worry=WorryLevel.GREY_ZONE).suggested is Urgency.THREE_DAYS
    assert social("housing_lost", "debts_or_benefit_problems", worry=WorryLevel.GREY_ZONE).suggested is Urgency.THREE_DAYS
    assert social("housing_lost", worry=WorryLevel.SMALL).suggested is Urgency.THREE_DAYS


def test_a_childs_own_strained_wellbeing_is_assessed_within_three_days() -> None:
    assert evaluate(SOCIAL, {"mental_wellbeing_strained": True}, WorryLevel.SMALL, age=17).suggested is Urgency.THREE_DAYS
    assert evaluate(SOCIAL, {"mental_wellbeing_strained": True}, WorryLevel.SMALL, age=18).suggested is Urgency.NON_URGENT
    # An unknown age is not a child's.
    assert evaluate(SOCIAL, {"mental_wellbeing_strained": True}, WorryLevel.SMALL).suggested is Urgency.NON_URGENT


def test_urgency_when_names_known_questions_and_no_emergency(tmp_path) -> None:
    text = (PROTOCOLS / "social_service_need.toml").read_text(encoding="utf-8")
    path = tmp_path / "social_service_need.toml"
    needs = 'all = ["disability_limits_daily_life", "needs_help_daily_living", "must_be_arranged_today"]\n'
    assert needs in text
    path.write_text(text.replace(needs, needs + 'none = ["older"]\n'), encoding="utf-8")
    with pytest.raises(DataFileError, match="unknown question 'older'"):
        load_protocol(path, None)
    path.write_text(text.replace('urgency = "same_day"\nduties', 'urgency = "emergency"\nduties', 1), encoding="utf-8")
    with pytest.raises(DataFileError, match="red-flag question"):
        load_protocol(path, None)


@pytest.mark.parametrize(
    ("yes", "duties"),
    [
        (("child_at_risk",), ("child_welfare_notification",)),
        (("older_person_not_coping",), ("older_person_notification",)),
        (("danger_or_violence_now",), ("immediate_safety_response",)),
        (("violence_or_threat_at_home",), ("immediate_safety_response",)),
        (("danger_or_violence_now", "violence_or_threat_at_home", "child_at_risk"),
         ("immediate_safety_response", "child_welfare_notification")),
        (("housing_lost", "family_needs_support"), ()),
    ],
)
def test_answers_bring_their_duties_once_each(yes: tuple[str, ...], duties: tuple[str, ...]) -> None:
    assert social(*yes).duties == duties
    for duty in duties:
        assert SOCIAL.duty(duty) is not None and "§" in SOCIAL.duty(duty).basis


def test_domains_with_a_yes_are_listed_in_order_and_the_statutory_group_is_seen() -> None:
    result = social("lonely_or_in_conflict", "housing_lost", "statutory_group")
    assert result.domains == ("housing", "relationships")
    assert result.statutory_group
    assert not social("housing_lost").statutory_group


SOCIAL_GOOD = """\
id = "sample"
version = 1
register = "social"
service_areas = ["family"]
order = 5
title = { fi = "Näyte", sv = "Prov", en = "Sample" }
default_urgency = "non_urgent"
life_threats = false
keywords = { fi = ["asunto"] }

[worry_urgency]
grey_zone = "three_days"
great = "same_day"

[[domains]]
id = "housing"
title = { fi = "Asuminen", sv = "Boende", en = "Housing" }

[[duties]]
id = "notify"
title = { fi = "Ilmoitus", sv = "Anmälan", en = "Notification" }
basis = { fi = "Laki 1 §", sv = "Lag 1 §", en = "Act 1 §" }

[[questions]]
id = "homeless"
domain = "housing"
text = { fi = "Asunnoton?", sv = "Bostadslös?", en = "Homeless?" }
if_yes = "three_days"
duties = ["notify"]

[governance]
status = "draft"
sources = ["Sosiaalihuoltolaki 1301/2014"]
author = "ohjaus project"
review_due = "2027-06-30"
"""


def test_a_good_social_file_loads(tmp_path: Path) -> None:
    write(tmp_path, SOCIAL_GOOD)
    (protocol,) = load_protocols(tmp_path)
    assert protocol.asks_worry and [d.id for d in protocol.domains] == ["housing"]
    assert evaluate(protocol, {"homeless": True}, WorryLevel.SMALL).duties == ("notify",)


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ('domain = "housing"', 'domain = "money"', 26, "unknown domain 'money'"),
        ('duties = ["notify"]', 'duties = ["report"]', 29, "unknown duty 'report'"),
        ('duties = ["notify"]', '', 20, "never triggered"),
        ('great = "same_day"', 'great = "non_urgent"', 13, "does not raise"),
        ('great = "same_day"', 'great = "emergency"', 13, "red-flag"),
        ('great = "same_day"', 'great = "same_day"\nhuge = "same_day"', 14, "unknown key 'huge'"),
        ('grey_zone = "three_days"\ngreat = "same_day"',
         'grey_zone = "same_day"\ngreat = "three_days"', None, "greater worry"),
        # A level with no line suggests the default: great worry would fall below grey zone.
        ('great = "same_day"\n', '', None, "greater worry"),
        ('[[duties]]', '[[domains]]\nid = "housing"\ntitle = { fi = "A" }\n\n[[duties]]',
         20, "duplicate domain id"),
        ('if_yes = "three_days"', 'if_yes = "three_days"\nstatutory_group = "yes"', 29,
         "true or false"),
    ],
)
def test_a_broken_social_file_names_the_line_and_the_contradiction(
    tmp_path: Path, old: str, new: str, line: int | None, words: str
) -> None:
    assert old in SOCIAL_GOOD
    error = broken(tmp_path, SOCIAL_GOOD.replace(old, new, 1))
    if line is not None:
        assert error.line == line, str(error)
    assert words in error.reason, str(error)
