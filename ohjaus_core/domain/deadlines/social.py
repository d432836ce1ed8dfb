"""Social welfare's time limits: the service-need assessment (Social Welfare Act 36 §) and
child welfare's (Child Welfare Act 26 §), some counted in working days, some in months."""

from __future__ import annotations

from datetime import date

from ..calendar import add_working_days
from .rules import RegionRules

SOCIAL_ASSESSMENT_MONTHS = 3  # SWA 36 § and CWA 26 §: completed within three months


def social_assessment_start_deadline(rules: RegionRules, contact_day: date) -> date:
    """Start of the service-need assessment (palvelutarpeen arviointi) for 75+ and others
    named in Social Welfare Act 36 §: the n-th working day after contact."""
    return add_working_days(contact_day, rules.social_start_working_days)


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")
