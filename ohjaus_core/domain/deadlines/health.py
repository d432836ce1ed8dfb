"""Health care's time limits: the care guarantee (hoitotakuu), the region's promise, the
care-need assessment (Health Care Act 51 §) and care by the assessed urgency."""

from __future__ import annotations

from datetime import date, time, timedelta

from ...i18n import _
from ..calendar import add_working_days, is_working_day
from ..codes import Urgency
from .rules import ORAL_HEALTH, PRIMARY_CARE, CareGuaranteeRule, NoCareGuaranteeRule, RegionRules


# Working days for the care-need assessment when a region has not adopted the same-day rule
# (Health Care Act 51 § before 1.9.2023: by the third working day after contact).
HEALTH_ASSESSMENT_WORKING_DAYS = 3
THREE_DAYS_WORKING_DAYS = 3


def care_guarantee_rule(
    rules: RegionRules, contact_day: date, service: str = PRIMARY_CARE, age: int | None = None
) -> CareGuaranteeRule:
    """The care-guarantee rule in force on the contact day for this service and age.

    With the age unknown, the shortest limit in force for the service is used, so that an
    unknown age never gives the client a later deadline than the law could.
    """
    candidates = [r for r in rules.rules if r.service == service and r.in_force(contact_day)]
    if age is not None:
        candidates = [r for r in candidates if r.fits_age(age)]
    if not candidates:
        raise NoCareGuaranteeRule(
            _("No care-guarantee rule for {service} on {date}").format(
                service=service, date=f"{contact_day.day}.{contact_day.month}.{contact_day.year}"
            )
        )
    return min(candidates, key=lambda r: r.days)


def care_guarantee_deadline(
    rules: RegionRules, contact_day: date, service: str = PRIMARY_CARE, age: int | None = None
) -> date:
    """Last day of the care guarantee (hoitotakuu): contact day + the rule's calendar days.

    The law counts from the care-need assessment; the demo assumes it is made on the contact
    day (same-day assessment in office hours).
    """
    rule = care_guarantee_rule(rules, contact_day, service, age)
    return contact_day + timedelta(days=rule.days)


def promise_deadline(rules: RegionRules, contact_day: date) -> date:
    """Last day of the region's own access promise (e.g. care within 7 days): calendar days."""
    return contact_day + timedelta(days=rules.promise_days)


def health_assessment_deadline(
    rules: RegionRules, contact_day: date, contact_time: time | None = None
) -> date:
    """Care-need assessment (hoidon tarpeen arviointi): the same day for a contact in office
    hours, the next working day for one outside them; by the 3rd working day where the
    same-day rule is not in force."""
    if not rules.health_same_day:
        return add_working_days(contact_day, HEALTH_ASSESSMENT_WORKING_DAYS)
    if rules.office_opens is None or contact_time is None:
        return contact_day
    in_hours = is_working_day(contact_day) and rules.office_opens <= contact_time < rules.office_closes
    if in_hours:
        return contact_day
    if is_working_day(contact_day) and contact_time < rules.office_opens:
        return contact_day  # before opening: the same working day
    return add_working_days(contact_day, 1)


def urgency_deadline(
    urgency: Urgency,
    contact_day: date,
    rules: RegionRules,
    age: int | None = None,
    service: str = PRIMARY_CARE,
) -> date | None:
    """The last day care should happen for an assessed urgency; None when no booking is needed."""
    urgency = Urgency(urgency)  # a stored plain string works too
    if urgency in (Urgency.EMERGENCY, Urgency.SAME_DAY):
        return contact_day
    if urgency is Urgency.THREE_DAYS:
        return add_working_days(contact_day, THREE_DAYS_WORKING_DAYS)
    if urgency is Urgency.NON_URGENT:
        return care_guarantee_deadline(rules, contact_day, service, age)
    if urgency is Urgency.SELF_CARE:
        return None
    raise ValueError(f"unknown urgency {urgency!r}")


def service_for_area(area: str | None) -> str:
    """The care-guarantee service of a service area (oral health has its own limits)."""
    return ORAL_HEALTH if area == "oral_health" else PRIMARY_CARE
