"""What blocks each step of a contact, and the suggestions that fill the defaults."""

from __future__ import annotations

from datetime import date, datetime

from pathlib import Path

import pytest

from ohjaus_core.domain.codes import (
    WorryLevel,
    FollowUpKind,
    Handover,
    HighNeedTrigger,
    OutcomeKind,
    Segment,
    ServiceArea,
    Urgency,
)
from ohjaus_core.domain.contact import ContactDraft, Step, first_incomplete_step, step_problems
from ohjaus_core.domain.segmentation import (
    suggest_follow_up,
    suggest_outcome,
    suggest_segment,
)


def complete() -> ContactDraft:
    return ContactDraft(
        worker_id="w",
        unit_id="u",
        started_at=datetime(2026, 11, 25, 9, 0),
        client_id="c",
        reason="Kuumetta",
        service_area=ServiceArea.HEALTH,
        protocol_id="fever_adult",
        suggested_urgency=Urgency.NON_URGENT,
        urgency=Urgency.NON_URGENT,
        segment=Segment.CLEAR_NEED,
        outcome_kind=OutcomeKind.BOOKING,
        slot_id="s",
    )


def test_a_complete_contact_can_be_signed():
    assert first_incomplete_step(complete()) is None


@pytest.mark.parametrize(
    "change, step",
    [
        (dict(client_id=None), Step.CLIENT),
        (dict(reason="   "), Step.NEED),
        (dict(service_area=None), Step.NEED),
        (dict(protocol_id=None), Step.ASSESSMENT),
        (dict(suggested_urgency=None), Step.ASSESSMENT),
        (dict(urgency=Urgency.SAME_DAY), Step.ASSESSMENT),  # an override without a reason
        (dict(segment=None), Step.SEGMENT),
        (dict(outcome_kind=None), Step.OUTCOME),
        (dict(slot_id=None), Step.OUTCOME),
        (dict(client_id=None, anonymous=True), Step.OUTCOME),  # a booking needs a client
        (dict(red_flags=["unconscious"]), Step.OUTCOME),  # a red flag must end in 112
        (dict(outcome_kind=OutcomeKind.ADVICE), Step.OUTCOME),  # advice text missing
        (dict(outcome_kind=OutcomeKind.REFERRAL, service_code="x", handover=Handover.WARM), Step.OUTCOME),
        (dict(follow_up_kind=FollowUpKind.CALLBACK), Step.FOLLOW_UP),
    ],
)
def test_what_is_missing_blocks_only_its_step(change, step):
    draft = complete()
    for key, value in change.items():
        setattr(draft, key, value)
    assert first_incomplete_step(draft) == step
    assert step_problems(draft, step)


def test_an_override_with_a_reason_is_accepted():
    draft = complete()
    draft.urgency, draft.override_reason = Urgency.SAME_DAY, "Asuu yksin, kipu pahenee"
    assert draft.overridden and not step_problems(draft, Step.ASSESSMENT)


def test_an_unidentified_caller_can_get_advice():
    draft = complete()
    draft.client_id, draft.anonymous = None, True
    draft.outcome_kind, draft.slot_id, draft.advice_text = OutcomeKind.ADVICE, None, "Neuvottu"
    assert first_incomplete_step(draft) is None


@pytest.mark.parametrize(
    "urgency, triggers, segment",
    [
        (Urgency.SELF_CARE, [], Segment.ADVICE),
        (None, [], Segment.ADVICE),
        (Urgency.NON_URGENT, [], Segment.CLEAR_NEED),
        (Urgency.SAME_DAY, [], Segment.CLEAR_NEED),
        (Urgency.SELF_CARE, [HighNeedTrigger.WORRY], Segment.COMPLEX_NEED),
    ],
)
def test_segment_suggestion(urgency, triggers, segment):
    assert suggest_segment(urgency, triggers) == segment


@pytest.mark.parametrize(
    "urgency, worry, domains, segment",
    [
        (Urgency.NON_URGENT, WorryLevel.GREAT, [], Segment.COMPLEX_NEED),
        (Urgency.NON_URGENT, WorryLevel.GREY_ZONE, [], Segment.CLEAR_NEED),
        (Urgency.THREE_DAYS, None, ["housing", "livelihood", "work_study"], Segment.COMPLEX_NEED),
        (Urgency.THREE_DAYS, None, ["housing", "livelihood"], Segment.CLEAR_NEED),
    ],
)
def test_great_worry_or_many_need_domains_suggest_the_complex_path(urgency, worry, domains, segment):
    assert suggest_segment(urgency, [], worry, domains) == segment


def test_a_red_flag_always_suggests_the_emergency_redirect():
    assert suggest_outcome(Segment.ADVICE, ["unconscious"], Urgency.EMERGENCY) == OutcomeKind.EMERGENCY
    assert suggest_outcome(Segment.CLEAR_NEED, [], Urgency.NON_URGENT) == OutcomeKind.BOOKING
    assert suggest_outcome(Segment.COMPLEX_NEED, [], Urgency.THREE_DAYS) == OutcomeKind.REFERRAL


def test_follow_up_suggestion_counts_working_days():
    friday = date(2026, 12, 4)  # Independence Day (Sun 6.12.) does not matter; the weekend does
    kind, due = suggest_follow_up(OutcomeKind.REFERRAL, Segment.CLEAR_NEED, friday)
    assert kind == FollowUpKind.CHECK_REFERRAL and due == date(2026, 12, 9)


@pytest.mark.parametrize(
    "contacts, missed, expected",
    [
        (2, 1, []),
        (3, 1, ["repeated_contacts"]),
        (2, 2, ["missed_appointments"]),
        (5, 4, ["repeated_contacts", "missed_appointments"]),
    ],
)
def test_history_triggers_at_the_regions_limits(contacts, missed, expected):
    from ohjaus_core.domain.deadlines.rules import HighNeedRules
    from ohjaus_core.domain.segmentation import detected_triggers

    rules = HighNeedRules(repeated_contacts=3, missed_appointments=2, window_days=30)
    found = detected_triggers(contacts, missed, rules)
    assert [t.trigger.value for t in found] == expected
    for trigger in found:
        assert trigger.window_days == 30
        assert trigger.count >= trigger.limit


ROOT = Path(__file__).resolve().parents[2]


def test_a_region_sets_its_own_limits(tmp_path):
    from ohjaus_core.domain.deadlines.loading import load_region_rules
    from ohjaus_core.domain.segmentation import detected_triggers

    text = (ROOT / "data" / "region.toml").read_text("utf-8").replace(
        "repeated_contacts = 3", "repeated_contacts = 5"
    ).replace("window_days = 30", "window_days = 60")
    path = tmp_path / "region.toml"
    path.write_text(text, "utf-8")
    rules = load_region_rules(path).high_need
    assert (rules.repeated_contacts, rules.missed_appointments, rules.window_days) == (5, 2, 60)
    assert detected_triggers(4, 0, rules) == []
    assert [t.trigger.value for t in detected_triggers(5, 0, rules)] == ["repeated_contacts"]


def test_a_text_longer_than_the_central_api_takes_is_refused_at_the_step():
    from datetime import datetime

    from ohjaus_core.domain.contact import MAX_FREE_TEXT, ContactDraft, Step, step_problems
    from ohjaus_core.protocol import MAX_TEXT

    assert MAX_FREE_TEXT == MAX_TEXT
    draft = ContactDraft(worker_id="w", unit_id="u", started_at=datetime(2026, 11, 25, 9))
    draft.reason = "x" * (MAX_TEXT + 1)
    assert any("longer than 20000" in p for p in step_problems(draft, Step.NEED))
    draft.reason = "x" * MAX_TEXT
    assert not any("longer than" in p for p in step_problems(draft, Step.NEED))
