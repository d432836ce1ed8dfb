"""A region's time-limit rules (region.toml) as plain data: the care guarantee by service,
date and age, the high-need triggers, the callback queue and what devices keep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Mapping

from ...i18n import localized
from ..errors import DomainError

PRIMARY_CARE = "primary_care"
ORAL_HEALTH = "oral_health"
CARE_GUARANTEE_SERVICES = (PRIMARY_CARE, ORAL_HEALTH)


class NoCareGuaranteeRule(DomainError):
    """No care-guarantee rule covers this service, date and age."""


@dataclass(frozen=True)
class CareGuaranteeRule:
    """One care-guarantee (hoitotakuu) rule: non-urgent care within `days` calendar days.

    In force from valid_from up to and including valid_until; ages min_age..max_age inclusive.
    """

    service: str
    valid_from: date
    days: int
    source: str
    valid_until: date | None = None
    min_age: int | None = None
    max_age: int | None = None

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def fits_age(self, age: int) -> bool:
        return (self.min_age is None or age >= self.min_age) and (
            self.max_age is None or age <= self.max_age
        )

    def overlaps(self, other: CareGuaranteeRule) -> bool:
        """Same service, and some day and some age that both rules would cover."""
        if self.service != other.service:
            return False
        far = date.max
        dates = self.valid_from <= (other.valid_until or far) and other.valid_from <= (
            self.valid_until or far
        )
        top = 10**6
        ages = (self.min_age or 0) <= (
            other.max_age if other.max_age is not None else top
        ) and (other.min_age or 0) <= (self.max_age if self.max_age is not None else top)
        return dates and ages


@dataclass(frozen=True)
class HighNeedRules:
    """When the history raises a high-need trigger: N signed contacts, or K missed appointments,
    within D days (seed 001's "repeated and unplanned contacts", "missed appointments")."""

    repeated_contacts: int = 3
    missed_appointments: int = 2
    window_days: int = 30


@dataclass(frozen=True)
class CallbackRules:
    """The callback queue (region.toml [callbacks]): a caller who does not answer goes back to
    the queue for `retry_minutes`; after `max_attempts` calls without an answer the request
    becomes a letter or message to send."""

    retry_minutes: int = 30
    max_attempts: int = 3


# Fewest days a region may keep clients on devices: less would remove a client between a
# contact and its follow-up round (our reasoning; the open-item rule keeps those anyway).
MIN_DEVICE_RETENTION_DAYS = 30


@dataclass(frozen=True)
class DeviceRules:
    """What a device keeps (region.toml [devices]): a client whose last contact, booking,
    follow-up, callback, missed appointment or consent is more than `retention_days` days old,
    and who has no open item and nothing waiting to be sent, leaves the device at its next
    sync (the central API keeps every record and the access log)."""

    retention_days: int = 365


@dataclass(frozen=True)
class RegionRules:
    """A region's time limits (hyvinvointialueen määräajat), as loaded from region.toml."""

    name: Mapping[str, str]
    promise_days: int
    health_same_day: bool
    social_start_working_days: int
    rules: tuple[CareGuaranteeRule, ...]
    # Social Welfare Act 36 §: the 7-working-day start applies from this age (and to the
    # other groups the law names, which the protocol asks about).
    social_priority_age: int = 75
    # Child Welfare Act 26 §: decide within N working days whether to open an assessment.
    child_welfare_decision_working_days: int = 7
    high_need: HighNeedRules = HighNeedRules()
    # Office hours (virka-aika) for the same-day care-need assessment; None: every contact.
    office_opens: time | None = None
    office_closes: time | None = None
    callbacks: CallbackRules = CallbackRules()
    devices: DeviceRules = DeviceRules()

    @property
    def display_name(self) -> str:
        return localized(self.name)
