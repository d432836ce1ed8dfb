"""Every deadline of one contact, soonest kind first, and the day a booking should be by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum

from ...i18n import _
from ..calendar import add_working_days
from ..codes import CHILD_UNTIL, Urgency
from .health import (
    care_guarantee_rule, health_assessment_deadline, promise_deadline, service_for_area,
    urgency_deadline,
)
from .rules import RegionRules
from .social import SOCIAL_ASSESSMENT_MONTHS, add_months, social_assessment_start_deadline


class DeadlineKind(StrEnum):
    """What a deadline is for; the screens label it."""

    HEALTH_ASSESSMENT = "health_assessment"  # care-need assessment (hoidon tarpeen arviointi)
    CARE = "care"  # care by the assessed urgency (incl. the care guarantee)
    PROMISE = "promise"  # the region's own promise
    SOCIAL_ASSESSMENT = "social_assessment"  # service-need assessment starts (SWA 36 §)
    SOCIAL_URGENT = "social_urgent"  # an urgent need assessed at once / soon (SWA 36 §)
    SOCIAL_DONE = "social_done"  # service-need assessment completed (SWA 36 §: 3 months)
    CHILD_WELFARE = "child_welfare"  # child welfare decides whether to open an assessment
    CHILD_WELFARE_DONE = "child_welfare_done"  # child-welfare assessment done (CWA 26 §: 3 months)


@dataclass(frozen=True)
class Deadline:
    kind: DeadlineKind
    day: date | None  # None: "without delay", no counted day
    basis: str  # the rule it comes from, for the worker who asks why


def age_on(birth_date: date | None, day: date) -> int | None:
    """Age in whole years on `day` (None when the birth date is unknown)."""
    if birth_date is None:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def service_need_assessment_owed(register: str, urgency: Urgency | str | None) -> bool:
    """Is a service-need assessment (palvelutarpeen arviointi) owed after this contact?
    A social contact's, unless it is on the advice and guidance path (self_care), where the
    assessment is plainly unnecessary (Social Welfare Act 36 §); never a health contact's."""
    return register == "social" and urgency != Urgency.SELF_CARE


def contact_deadlines(
    rules: RegionRules,
    contact_day: date,
    *,
    register: str,
    service_area: str | None = None,
    urgency: Urgency | None = None,
    age: int | None = None,
    statutory_group: bool = False,
    duties: tuple[str, ...] | list[str] = (),
    contact_time: time | None = None,
) -> list[Deadline]:
    """The time limits that apply to one contact, soonest kind first.

    Health: the care-need assessment, care by the assessed urgency (non-urgent: the care
    guarantee in force for the service and age), and the region's promise. Social: the start
    of the service-need assessment (7th working day for the groups of Social Welfare Act 36 §,
    otherwise without delay), the urgency's day, the region's promise, and child welfare's
    decision after a notification; advice and guidance (self_care) counts none of the
    assessment's limits nor the promise.
    """
    deadlines: list[Deadline] = []
    care_levels = (Urgency.SAME_DAY, Urgency.THREE_DAYS, Urgency.NON_URGENT)
    if register == "health":
        deadlines.append(Deadline(
            DeadlineKind.HEALTH_ASSESSMENT,
            health_assessment_deadline(rules, contact_day, contact_time),
            "Health Care Act 51 §",
        ))
        if urgency in care_levels:
            service = service_for_area(service_area)
            basis = _("assessed urgency")
            if urgency is Urgency.NON_URGENT:
                basis = care_guarantee_rule(rules, contact_day, service, age).source
            day = urgency_deadline(urgency, contact_day, rules, age, service)
            deadlines.append(Deadline(DeadlineKind.CARE, day, basis))
    else:
        # Advice and guidance (self_care): no service-need assessment is made where it is
        # plainly unnecessary (SWA 36 §), so neither its start nor its completion is counted;
        # child welfare's limits after a notification still are.
        assessed = service_need_assessment_owed(register, urgency)
        priority = statutory_group or (age is not None and age >= rules.social_priority_age)
        if assessed:
            deadlines.append(Deadline(
                DeadlineKind.SOCIAL_ASSESSMENT,
                social_assessment_start_deadline(rules, contact_day) if priority else None,
                "Social Welfare Act 36 §",
            ))
        if urgency in (Urgency.SAME_DAY, Urgency.THREE_DAYS):
            # Social work has no care guarantee: an urgent need is assessed at once (SWA 36 §).
            day = urgency_deadline(urgency, contact_day, rules)
            deadlines.append(Deadline(DeadlineKind.SOCIAL_URGENT, day, "Social Welfare Act 36 §"))
        if "child_welfare_notification" in duties:
            deadlines.append(Deadline(
                DeadlineKind.CHILD_WELFARE,
                add_working_days(contact_day, rules.child_welfare_decision_working_days),
                "Child Welfare Act 26 §",
            ))
            deadlines.append(Deadline(
                DeadlineKind.CHILD_WELFARE_DONE,
                add_months(contact_day, SOCIAL_ASSESSMENT_MONTHS),
                "Child Welfare Act 26 §",
            ))
        # Completed within 3 months for a child or a family with children and the groups of
        # 36 §; otherwise without undue delay (no counted day).
        family = service_area == "family" or (age is not None and age < CHILD_UNTIL)
        if assessed:
            deadlines.append(Deadline(
                DeadlineKind.SOCIAL_DONE,
                add_months(contact_day, SOCIAL_ASSESSMENT_MONTHS) if family or statutory_group else None,
                "Social Welfare Act 36 §",
            ))
    if urgency is None or urgency in care_levels:
        deadlines.append(Deadline(
            DeadlineKind.PROMISE, promise_deadline(rules, contact_day), _("the region's promise")
        ))
    return deadlines


def booking_deadline(deadlines: list[Deadline]) -> date | None:
    """The day a booking should be by: the care deadline (or a social urgent need's), else
    the earliest dated one."""
    for deadline in deadlines:
        if deadline.kind in (DeadlineKind.CARE, DeadlineKind.SOCIAL_URGENT):
            return deadline.day
    days = [d.day for d in deadlines if d.day is not None and d.kind is not DeadlineKind.HEALTH_ASSESSMENT]
    return min(days) if days else None


def assessment_limit(deadlines: list[Deadline]) -> Deadline | None:
    """The earliest limit the service-need assessment's start is kept by, or None where no
    assessment is owed (advice and guidance, a health contact): an urgent need's day (three
    working days, the same day), the start's counted day (the 7th working day for the groups
    of SWA 36 §) or the region's promise (which also stands for a start "without delay", that
    has no counted day), whichever comes first. Whatever the segment: an information-only
    client whose answers say more is owed is advised now and assessed within these limits
    (the walk of 6.12.2026: the limits stood and no one was reminded of them)."""
    if not any(d.kind is DeadlineKind.SOCIAL_ASSESSMENT for d in deadlines):
        return None
    kinds = (DeadlineKind.SOCIAL_URGENT, DeadlineKind.SOCIAL_ASSESSMENT, DeadlineKind.PROMISE)
    dated = [d for d in deadlines if d.kind in kinds and d.day is not None]
    return min(dated, key=lambda d: (d.day, kinds.index(d.kind)), default=None)
