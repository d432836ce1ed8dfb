"""Suggesting the segment (asiakassegmentti) and the next steps from what is known.

The worker decides; these functions only suggest, and say why. The full history-based
trigger rules (no-shows, per-region N/K/D) come with the protocol work; here the
repeated-contacts trigger uses defaults that a region will set.
"""

from __future__ import annotations

from datetime import date

from .calendar import add_working_days
from .codes import FollowUpKind, HighNeedTrigger, OutcomeKind, Segment, Urgency

REPEATED_CONTACTS = 3  # N signed contacts ...
REPEATED_WINDOW_DAYS = 30  # ... within D days raise the repeated-contacts trigger


def detected_triggers(recent_contacts: int) -> list[HighNeedTrigger]:
    """Triggers the software sees in the client's history."""
    if recent_contacts >= REPEATED_CONTACTS:
        return [HighNeedTrigger.REPEATED_CONTACTS]
    return []


def suggest_segment(urgency: Urgency | None, triggers: list[HighNeedTrigger]) -> Segment:
    if triggers:
        return Segment.COMPLEX_NEED
    if urgency in (None, Urgency.SELF_CARE):
        return Segment.ADVICE
    return Segment.CLEAR_NEED


def suggest_outcome(segment: Segment | None, red_flags: list[str], urgency: Urgency | None) -> OutcomeKind:
    if red_flags or urgency == Urgency.EMERGENCY:
        return OutcomeKind.EMERGENCY
    if segment == Segment.CLEAR_NEED:
        return OutcomeKind.BOOKING
    if segment == Segment.COMPLEX_NEED:
        return OutcomeKind.REFERRAL
    return OutcomeKind.ADVICE


def suggest_follow_up(
    outcome: OutcomeKind | None, segment: Segment | None, today: date
) -> tuple[FollowUpKind, date | None]:
    """A follow-up that fits the outcome, due in working days (today not counted)."""
    if segment == Segment.COMPLEX_NEED:
        return FollowUpKind.CALLBACK, add_working_days(today, 5)
    if outcome == OutcomeKind.REFERRAL:
        return FollowUpKind.CHECK_REFERRAL, add_working_days(today, 3)
    if outcome == OutcomeKind.EMERGENCY:
        return FollowUpKind.CALLBACK, add_working_days(today, 1)
    return FollowUpKind.NONE, None
