"""Suggesting the segment (asiakassegmentti) and the next steps from what is known.

The worker decides; these functions only suggest, and say why. The history-based high-need
triggers (seed 001) use the region's N, K and D (region.toml [high_need]): N signed contacts
or K missed appointments within D days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from .calendar import add_working_days, working_day_by
from .codes import CHILD_UNTIL, FollowUpKind, HighNeedTrigger, OutcomeKind, Segment, Urgency, WorryLevel
from .deadlines.rules import HighNeedRules

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .protocols.model import Protocol

# Need domains with a yes from which a social situation counts as complex (many-sided).
MANY_DOMAINS = 3
ADDICTION_DOMAIN = "substance_use"  # the social protocol's need domain of substance use and gambling


@dataclass(frozen=True)
class DetectedTrigger:
    """A high-need trigger seen in the history, with what was counted against which limit."""

    trigger: HighNeedTrigger
    count: int
    limit: int
    window_days: int


def detected_triggers(
    recent_contacts: int, missed_appointments: int, rules: HighNeedRules
) -> list[DetectedTrigger]:
    """Triggers the software sees in the client's history (counts within rules.window_days)."""
    found = []
    if recent_contacts >= rules.repeated_contacts:
        found.append(DetectedTrigger(
            HighNeedTrigger.REPEATED_CONTACTS, recent_contacts, rules.repeated_contacts,
            rules.window_days,
        ))
    if missed_appointments >= rules.missed_appointments:
        found.append(DetectedTrigger(
            HighNeedTrigger.MISSED_APPOINTMENTS, missed_appointments, rules.missed_appointments,
            rules.window_days,
        ))
    return found


class SegmentReason:
    """Why a segment is suggested (codes; the screen words them)."""

    TRIGGERS = "triggers"
    GREAT_WORRY = "great_worry"
    MANY_DOMAINS = "many_domains"
    SELF_CARE = "self_care"
    CARE_NEEDED = "care_needed"
    INFORMATION_ONLY = "information_only"
    STATUTORY_GREY_ZONE = "statutory_grey_zone"
    ANSWERS_TOGETHER = "answers_together"


def suggest_segment_with_reasons(
    urgency: Urgency | None,
    triggers: list[HighNeedTrigger],
    worry: WorryLevel | None = None,
    domains: tuple[str, ...] | list[str] = (),
    information_only: bool = False,
    from_answers: frozenset[HighNeedTrigger] | set[HighNeedTrigger] = frozenset(),
    statutory: bool = False,
    complex_by_answers: bool = False,
    assessed_by_answers: bool = False,
    statutory_clear_by_answers: bool = False,
) -> tuple[Segment, list[str]]:
    """The suggested path and the reasons for it (SegmentReason codes).

    A client who wants information only gets advice and guidance (segment A) unless a
    high-need trigger or great worry says more is needed, or the urgency is more than
    non-urgent (issue 16: "only wants information" still suggested a booking). A trigger only
    pre-marked from the answers (`from_answers`: substance use, which may be a close person's)
    is a suspicion: with no more than a small worry it does not override the client's wish, nor
    make the need complex (a client asking for help with their drinking, whom the worker is not
    worried about, is a clear need: a referral to substance services). It stays marked for the
    worker to confirm; a trigger from the history, or the grey zone of worry, counts.

    `statutory`: the client is of Social Welfare Act 36 §'s groups (75 or over, the highest
    care allowance, a child needing special support), whose service-need assessment is started
    within 7 working days whatever they ask: with a need found and the worker's worry at least
    small, not advice only; in the grey zone a complex need (a named worker and a plan,
    SHL 42 §: those needing special support to get their services).

    `complex_by_answers`: the answers meet one of the protocol's `[[complex_when]]`
    combinations (a difficulty that has gone on long or that earlier help has not met, with the
    worry in the grey zone): a complex need, as a trigger would make it.

    `assessed_by_answers`: the answers meet one of the protocol's `[[assessed_when]]`
    combinations (a disabled client who needs help with daily tasks): the need is assessed
    even when the client asks for information only - a clear need, not advice only.

    `statutory_clear_by_answers`: the answers meet one of the protocol's
    `[[statutory_clear_when]]` combinations (an older client who cares for a close person and
    whose own coping is strained): the statutory group in the grey zone does not by that alone
    make the need complex (carer's support and the group's assessment meet it)."""
    reasons = []
    # Addiction the only need found (a client asking for help with their own drinking or
    # gambling, housing, income and work holding): a clear need met by the substance and
    # addiction services (SHL 24 §), in the grey zone of worry too (round of 5.12.2026 night).
    addiction_only = set(domains) == {ADDICTION_DOMAIN} and worry is WorryLevel.GREY_ZONE
    suspicion_only = bool(triggers) and set(triggers) <= set(from_answers) and (
        worry in (None, WorryLevel.NONE, WorryLevel.SMALL) or addiction_only
    )
    if triggers and not suspicion_only:
        reasons.append(SegmentReason.TRIGGERS)
    if worry is WorryLevel.GREAT:
        reasons.append(SegmentReason.GREAT_WORRY)
    if statutory and worry is WorryLevel.GREY_ZONE and not statutory_clear_by_answers:
        reasons.append(SegmentReason.STATUTORY_GREY_ZONE)
    if complex_by_answers:
        reasons.append(SegmentReason.ANSWERS_TOGETHER)
    assessed_anyway = assessed_by_answers or (
        statutory and bool(domains) and worry not in (None, WorryLevel.NONE)
    )
    if (
        information_only and not reasons and not assessed_anyway
        and urgency in (None, Urgency.SELF_CARE, Urgency.NON_URGENT)
    ):
        return Segment.ADVICE, [SegmentReason.INFORMATION_ONLY]
    if len(domains) >= MANY_DOMAINS and worry not in (WorryLevel.NONE, WorryLevel.SMALL):
        # Several needs the worker is not worried about are a clear need met by several
        # referrals (debts, housing and work: three); with the worry they are complex.
        reasons.append(SegmentReason.MANY_DOMAINS)
    if reasons:
        return Segment.COMPLEX_NEED, reasons
    if urgency in (None, Urgency.SELF_CARE):
        return Segment.ADVICE, [SegmentReason.SELF_CARE]
    return Segment.CLEAR_NEED, [SegmentReason.CARE_NEEDED]


def segment_by_answers(
    protocol: "Protocol | None", answers: "Mapping[str, bool | None]", urgency: Urgency | None,
    triggers: "list[HighNeedTrigger]", worry: WorryLevel | None, domains: "tuple[str, ...] | list[str]",
    age: int | None, from_answers: "frozenset[HighNeedTrigger] | set[HighNeedTrigger]" = frozenset(),
) -> tuple[Segment, list[str]]:
    """`suggest_segment_with_reasons` with the protocol's rules on the answers worked out
    (information only, the statutory group, `[[complex_when]]`, `[[assessed_when]]`,
    `[[statutory_clear_when]]`); a contact without a protocol has none of them."""
    if protocol is None:
        return suggest_segment_with_reasons(urgency, triggers, worry, domains, from_answers=from_answers)
    return suggest_segment_with_reasons(
        urgency, triggers, worry, domains,
        information_only=protocol.wants_information_only(answers),
        from_answers=from_answers,
        statutory=protocol.in_statutory_group(answers),
        complex_by_answers=bool(protocol.complex_need(answers, worry, age)),
        assessed_by_answers=bool(protocol.assessed_need(answers, worry, age)),
        statutory_clear_by_answers=bool(protocol.statutory_clear(answers, worry, age)),
    )


def suggest_segment(*args: Any, **kwargs: Any) -> Segment:
    """The suggested path alone: `suggest_segment_with_reasons` with the same arguments."""
    return suggest_segment_with_reasons(*args, **kwargs)[0]


def suggest_outcome(
    segment: Segment | None, red_flags: list[str], urgency: Urgency | None, anonymous: bool = False,
    duties: list[str] | tuple[str, ...] = (),
) -> OutcomeKind:
    """An unidentified client is never suggested a booking (one cannot be made for them).
    A duty the answers raised (a notification, a safety response) is made first (issue 16)."""
    if red_flags or urgency == Urgency.EMERGENCY:
        return OutcomeKind.EMERGENCY
    if duties:
        return OutcomeKind.DUTY
    if segment == Segment.CLEAR_NEED and not anonymous:
        return OutcomeKind.BOOKING
    if segment == Segment.COMPLEX_NEED:
        return OutcomeKind.REFERRAL
    return OutcomeKind.ADVICE


# Need domains whose yes pre-marks a high-need trigger (issue 16); the worker can unmark it.
DOMAIN_TRIGGERS = {ADDICTION_DOMAIN: HighNeedTrigger.ADDICTION_SUSPECTED}


def triggers_from_domains(domains: tuple[str, ...] | list[str], age: int | None = None) -> list[HighNeedTrigger]:
    """The high-need triggers the answers show: substance use marks the suspicion of
    addictive behaviour (seed 001's trigger), for the worker to confirm or unmark. Not for a
    client under 18: the high-need client's triggers describe an adult using many services; a
    child's own or a parent's substance use is the child-welfare consideration's (raised for
    every minor, Lastensuojelulaki 25 §), which the worker marks by hand if it applies."""
    if age is not None and age < CHILD_UNTIL:
        return []
    return [DOMAIN_TRIGGERS[d] for d in domains if d in DOMAIN_TRIGGERS]


def child_welfare_consideration(age: int | None, register: str | None) -> bool:
    """A social contact about a client under 18 always asks about the child's safety."""
    return register == "social" and age is not None and age < CHILD_UNTIL


# Working days to a social contact's follow-up by its urgency (a less urgent one: by the path);
# a complex need's follow-up otherwise.
_SOCIAL_FOLLOW_UP_DAYS = {Urgency.EMERGENCY: 1, Urgency.SAME_DAY: 1, Urgency.THREE_DAYS: 3}
_COMPLEX_FOLLOW_UP_DAYS = 5


def suggest_follow_up(
    outcome: OutcomeKind | None, segment: Segment | None, today: date,
    urgency: Urgency | None = None, register: str | None = None, anonymous: bool = False,
    high_need: bool = False, assessment_by: date | None = None,
) -> tuple[FollowUpKind, date | None]:
    """A follow-up that fits the outcome, due in working days (today not counted). On a
    social contact the urgency sets the due day: a same-day need is followed up the next
    working day, one of three working days within three working days. A duty made leaves its
    own follow-up (confirming the receipt), made when the contact is signed. An unidentified
    client has no phone number recorded and is never suggested a callback: of a social contact
    no follow-up is suggested (nor followed to a service), of a health one none where the rule
    would call back (its other follow-ups stay) - unless the client is high-need (`high_need`:
    the complex path's plan), whose situation is always followed up: then the check that what
    was set in motion was taken up, which needs no phone.

    `assessment_by`: the day the service-need assessment's limit stands at (SHL 36 §: the
    group's 7th working day, or the region's promise for a start "without delay"; None where no
    assessment is owed). A social contact that ends in advice or a referral with that limit
    standing is followed up by it, whatever the segment (the walk of 6.12.2026: an
    information-only client of 80 with a need found was advised, the limit shown and no
    follow-up suggested): a callback for the assessment to start, or the path's own check, due
    on the last working day by the limit if not sooner. A booking keeps the limit by its slot,
    a duty made by its receiver (confirmed the next working day)."""
    kind, due = _follow_up_by_path(outcome, segment, today, urgency, register, anonymous, high_need)
    if (
        register == "social" and assessment_by is not None and not anonymous
        and outcome in (OutcomeKind.ADVICE, OutcomeKind.REFERRAL)
        and urgency not in _SOCIAL_FOLLOW_UP_DAYS
    ):
        by = max(working_day_by(assessment_by), today)
        if kind == FollowUpKind.NONE:
            return FollowUpKind.CALLBACK, by
        return kind, min(due, by) if due is not None else by
    return kind, due


def _follow_up_by_path(
    outcome: OutcomeKind | None, segment: Segment | None, today: date, urgency: Urgency | None,
    register: str | None, anonymous: bool, high_need: bool,
) -> tuple[FollowUpKind, date | None]:
    """`suggest_follow_up` by the outcome, the segment and the urgency alone."""
    social_days = _SOCIAL_FOLLOW_UP_DAYS.get(urgency) if register == "social" else None
    if anonymous and high_need and segment == Segment.COMPLEX_NEED:
        return FollowUpKind.CHECK_REFERRAL, add_working_days(today, social_days or _COMPLEX_FOLLOW_UP_DAYS)
    kind, due = _suggested_follow_up(outcome, segment, today, social_days, anonymous and register == "social")
    if anonymous and kind == FollowUpKind.CALLBACK:
        return FollowUpKind.NONE, None
    return kind, due


def _suggested_follow_up(
    outcome: OutcomeKind | None, segment: Segment | None, today: date, social_days: int | None,
    anonymous_social: bool,
) -> tuple[FollowUpKind, date | None]:
    if anonymous_social or (outcome == OutcomeKind.DUTY and segment != Segment.COMPLEX_NEED):
        return FollowUpKind.NONE, None
    if social_days is not None and outcome is not None:
        kind = FollowUpKind.CHECK_REFERRAL if outcome == OutcomeKind.REFERRAL and segment != Segment.COMPLEX_NEED else FollowUpKind.CALLBACK
        return kind, add_working_days(today, social_days)
    if segment == Segment.COMPLEX_NEED:
        return FollowUpKind.CALLBACK, add_working_days(today, _COMPLEX_FOLLOW_UP_DAYS)
    if outcome == OutcomeKind.REFERRAL:
        return FollowUpKind.CHECK_REFERRAL, add_working_days(today, 3)
    if outcome == OutcomeKind.EMERGENCY:
        return FollowUpKind.CALLBACK, add_working_days(today, 1)
    return FollowUpKind.NONE, None
