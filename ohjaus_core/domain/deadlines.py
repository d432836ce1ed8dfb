"""Region-configurable time limits (määräajat): care guarantee, region promise, assessments.

The limits are data (data/region.toml), not constants: the law (Health Care Act 51 §, Social
Welfare Act 36 §) and each region's own promises differ and change, and a rule may depend on
the date of the contact and on the client's age.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, Mapping, NoReturn

from ..i18n import LANGUAGES, _, localized
from .calendar import add_working_days, is_working_day
from .codes import Urgency
from .datafile import line_of, load_toml
from .errors import DataFileError, DomainError

PRIMARY_CARE = "primary_care"
ORAL_HEALTH = "oral_health"
CARE_GUARANTEE_SERVICES = (PRIMARY_CARE, ORAL_HEALTH)
RULES_TABLE = "care_guarantee"

# Working days for the care-need assessment when a region has not adopted the same-day rule
# (Health Care Act 51 § before 1.9.2023: by the third working day after contact).
HEALTH_ASSESSMENT_WORKING_DAYS = 3
THREE_DAYS_WORKING_DAYS = 3


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


# --- loading -------------------------------------------------------------------------------

_HEADER = re.compile(r"^\[\[?\s*([A-Za-z0-9_.\-]+)\s*\]\]?")
_KEY = re.compile(r"^([A-Za-z0-9_\-]+)\s*=")


class _Lines:
    """Where each table and key sits in the file, so an error can name the line.

    line_of finds the first line holding a word, which is the wrong one for the third
    [[care_guarantee]] or when a comment mentions the key; this follows the table headers.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.headers: dict[tuple[str, int], int] = {}
        self.keys: dict[tuple[str, int, str], int] = {}
        try:
            lines = path.read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            lines = []
        counts: dict[str, int] = {}
        table, index = "", 0
        for number, raw in enumerate(lines, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            header = _HEADER.match(line)
            if header:
                table = header.group(1)
                index = counts.get(table, 0)
                counts[table] = index + 1
                self.headers.setdefault((table, index), number)
                continue
            key = _KEY.match(line)
            if key:
                self.keys.setdefault((table, index, key.group(1)), number)

    def find(self, table: str, index: int = 0, key: str | None = None) -> int | None:
        if key is not None and (table, index, key) in self.keys:
            return self.keys[(table, index, key)]
        if (table, index) in self.headers:
            return self.headers[(table, index)]
        # Dotted keys or inline tables the simple scan does not follow.
        return line_of(self.path, key or table)


def _as_toml(value: Any) -> str:
    """A value as it was written in the file, not as Python shows it (true, not True)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    return str(value)


class _Loader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines = _Lines(path)

    def fail(self, reason: str, table: str, index: int = 0, key: str | None = None) -> NoReturn:
        raise DataFileError(self.path, self.lines.find(table, index, key), reason)

    @staticmethod
    def label(table: str, index: int) -> str:
        """How a person finds the table in the file: [region], [[care_guarantee]] rule 2."""
        if table == RULES_TABLE:
            return _("[[{table}]] rule {number}").format(table=table, number=index + 1)
        return f"[{table}]" if table else _("the top level")

    def table(self, data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
        value = data.get(name)
        if value is None:
            self.fail(_("missing table [{table}]").format(table=name), name)
        if not isinstance(value, dict):
            self.fail(_("{key} must be a table").format(key=name), "", key=name)
        return value

    def unknown_keys(
        self, table: Mapping[str, Any], allowed: set[str], name: str, index: int = 0
    ) -> None:
        # A misspelt key (vaild_from) must not silently fall back to a default.
        for key in table:
            if key not in allowed:
                self.fail(
                    _("unknown key {key} in {table}").format(
                        key=key, table=self.label(name, index)
                    ),
                    name, index, key,
                )

    def get(
        self, table: Mapping[str, Any], key: str, kind: str, name: str, index: int = 0,
        required: bool = True,
    ) -> Any:
        if key not in table:
            if required:
                self.fail(
                    _("missing key {key} in {table}").format(
                        key=key, table=self.label(name, index)
                    ),
                    name, index,
                )
            return None
        value = table[key]
        # type() not isinstance(): bool is an int and datetime is a date, both wrong here.
        ok = {
            "int": lambda v: type(v) is int and v >= 0,
            "bool": lambda v: type(v) is bool,
            "date": lambda v: type(v) is date,
            "text": lambda v: isinstance(v, str) and v.strip() != "",
            "time": lambda v: type(v) is time,
        }[kind](value)
        if not ok:
            expected = {
                "int": _("a whole number, 0 or more"),
                "bool": _("true or false"),
                "date": _("a date like 2023-09-01"),
                "text": _("a non-empty text"),
                "time": _("a time like 08:00:00"),
            }[kind]
            self.fail(
                _("{key} must be {expected}, not {value}").format(
                    key=key, expected=expected, value=_as_toml(value)
                ),
                name, index, key,
            )
        return value

    def name_texts(self, region: Mapping[str, Any]) -> dict[str, str]:
        texts = region.get("name")
        if texts is None:
            self.fail(_("missing key {key} in {table}").format(key="name", table="[region]"),
                      "region")
        if not isinstance(texts, dict):
            self.fail(_('name must be a table like { fi = "...", sv = "..." }'),
                      "region", 0, "name")
        for language, text in texts.items():
            if language not in LANGUAGES:
                self.fail(_("unknown language {language} in name").format(language=language),
                          "region", 0, "name")
            if not isinstance(text, str) or not text.strip():
                self.fail(_("name.{language} must be a non-empty text").format(
                    language=language), "region", 0, "name")
        if "fi" not in texts:
            self.fail(_("name must have a Finnish text (fi)"), "region", 0, "name")
        return dict(texts)

    def rule(self, raw: Any, index: int) -> CareGuaranteeRule:
        name = RULES_TABLE
        if not isinstance(raw, dict):
            self.fail(_("[[care_guarantee]] entries must be tables"), name, index)
        self.unknown_keys(
            raw,
            {"service", "valid_from", "valid_until", "min_age", "max_age", "days", "source"},
            name, index,
        )
        service = self.get(raw, "service", "text", name, index)
        if service not in CARE_GUARANTEE_SERVICES:
            self.fail(
                _("unknown service {service}; expected one of: {known}").format(
                    service=service, known=", ".join(CARE_GUARANTEE_SERVICES)
                ),
                name, index, "service",
            )
        rule = CareGuaranteeRule(
            service=service,
            valid_from=self.get(raw, "valid_from", "date", name, index),
            valid_until=self.get(raw, "valid_until", "date", name, index, required=False),
            min_age=self.get(raw, "min_age", "int", name, index, required=False),
            max_age=self.get(raw, "max_age", "int", name, index, required=False),
            days=self.get(raw, "days", "int", name, index),
            source=self.get(raw, "source", "text", name, index),
        )
        if rule.valid_until is not None and rule.valid_until < rule.valid_from:
            self.fail(_("valid_until is before valid_from"), name, index, "valid_until")
        if rule.min_age is not None and rule.max_age is not None and rule.max_age < rule.min_age:
            self.fail(_("max_age is below min_age"), name, index, "max_age")
        return rule

    def load(self) -> RegionRules:
        data = load_toml(self.path)
        self.unknown_keys(data, {"region", "assessment", "high_need", "callbacks", "devices", RULES_TABLE}, "")

        region = self.table(data, "region")
        self.unknown_keys(region, {"name", "promise_days"}, "region")
        name = self.name_texts(region)
        promise_days = self.get(region, "promise_days", "int", "region")

        assessment = self.table(data, "assessment")
        self.unknown_keys(
            assessment,
            {"health_same_day", "social_start_working_days", "social_priority_age",
             "child_welfare_decision_working_days", "office_opens", "office_closes"},
            "assessment",
        )
        health_same_day = self.get(assessment, "health_same_day", "bool", "assessment")
        social_days = self.get(assessment, "social_start_working_days", "int", "assessment")
        defaults = RegionRules(name={}, promise_days=0, health_same_day=True,
                               social_start_working_days=0, rules=())
        priority_age = self.get(
            assessment, "social_priority_age", "int", "assessment", required=False
        )
        child_days = self.get(
            assessment, "child_welfare_decision_working_days", "int", "assessment",
            required=False,
        )
        high_need = self.high_need(data)
        opens = self.get(assessment, "office_opens", "time", "assessment", required=False)
        closes = self.get(assessment, "office_closes", "time", "assessment", required=False)
        if (opens is None) != (closes is None):
            self.fail(_("give both office_opens and office_closes, or neither"),
                      "assessment", 0, "office_opens" if opens is None else "office_closes")
        if opens is not None and closes <= opens:
            self.fail(_("office_closes must be after office_opens"), "assessment", 0,
                      "office_closes")

        raw_rules = data.get(RULES_TABLE, [])
        if not isinstance(raw_rules, list):
            self.fail(_("care_guarantee must be written as [[care_guarantee]] tables"),
                      "", 0, RULES_TABLE)
        rules = tuple(self.rule(raw, index) for index, raw in enumerate(raw_rules))
        for later, rule in enumerate(rules):
            for earlier in range(later):
                if rule.overlaps(rules[earlier]):
                    self.fail(
                        _("care_guarantee rule {later} overlaps rule {earlier} for {service} "
                          "(same dates and ages)").format(
                            later=later + 1, earlier=earlier + 1, service=rule.service
                        ),
                        RULES_TABLE, later,
                    )

        return RegionRules(
            name=name,
            promise_days=promise_days,
            health_same_day=health_same_day,
            social_start_working_days=social_days,
            rules=rules,
            social_priority_age=defaults.social_priority_age if priority_age is None else priority_age,
            child_welfare_decision_working_days=(
                defaults.child_welfare_decision_working_days if child_days is None else child_days
            ),
            high_need=high_need,
            office_opens=opens,
            office_closes=closes,
            callbacks=self.callbacks(data),
            devices=self.devices(data),
        )

    def devices(self, data: Mapping[str, Any]) -> DeviceRules:
        """[devices]: optional; retention_days a whole number of at least
        MIN_DEVICE_RETENTION_DAYS."""
        if "devices" not in data:
            return DeviceRules()
        table = self.table(data, "devices")
        self.unknown_keys(table, {"retention_days"}, "devices")
        days = self.get(table, "retention_days", "int", "devices", required=False)
        if days is None:
            return DeviceRules()
        if days < MIN_DEVICE_RETENTION_DAYS:
            self.fail(
                _("retention_days must be {minimum} or more (days a device keeps a client after the "
                  "last contact, booking, follow-up or callback), not {value}").format(
                    minimum=MIN_DEVICE_RETENTION_DAYS, value=days
                ),
                "devices", 0, "retention_days",
            )
        return DeviceRules(retention_days=days)

    def callbacks(self, data: Mapping[str, Any]) -> CallbackRules:
        """[callbacks]: optional; retry_minutes and max_attempts whole numbers above 0."""
        if "callbacks" not in data:
            return CallbackRules()
        table = self.table(data, "callbacks")
        keys = ("retry_minutes", "max_attempts")
        self.unknown_keys(table, set(keys), "callbacks")
        values = {}
        for key in keys:
            value = self.get(table, key, "int", "callbacks", required=False)
            if value is None:
                continue
            if value == 0:
                self.fail(_("{key} must be 1 or more").format(key=key), "callbacks", 0, key)
            values[key] = value
        return CallbackRules(**values)

    def high_need(self, data: Mapping[str, Any]) -> HighNeedRules:
        """[high_need]: optional; every key must be a whole number above 0."""
        if "high_need" not in data:
            return HighNeedRules()
        table = self.table(data, "high_need")
        keys = ("repeated_contacts", "missed_appointments", "window_days")
        self.unknown_keys(table, set(keys), "high_need")
        values = {}
        for key in keys:
            value = self.get(table, key, "int", "high_need")
            if value == 0:
                self.fail(_("{key} must be 1 or more").format(key=key), "high_need", 0, key)
            values[key] = value
        return HighNeedRules(**values)


def load_region_rules(path: Path) -> RegionRules:
    """Read and validate region.toml; any problem is a DataFileError naming the line."""
    return _Loader(Path(path)).load()


# --- deadlines -----------------------------------------------------------------------------


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


def social_assessment_start_deadline(rules: RegionRules, contact_day: date) -> date:
    """Start of the service-need assessment (palvelutarpeen arviointi) for 75+ and others
    named in Social Welfare Act 36 §: the n-th working day after contact."""
    return add_working_days(contact_day, rules.social_start_working_days)


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


# --- every deadline of one contact -----------------------------------------------------------


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


def service_for_area(area: str | None) -> str:
    """The care-guarantee service of a service area (oral health has its own limits)."""
    return ORAL_HEALTH if area == "oral_health" else PRIMARY_CARE


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
    decision after a notification.
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
        priority = statutory_group or (age is not None and age >= rules.social_priority_age)
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
        family = service_area == "family" or (age is not None and age < 18)
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


SOCIAL_ASSESSMENT_MONTHS = 3  # SWA 36 § and CWA 26 §: completed within three months


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


def booking_deadline(deadlines: list[Deadline]) -> date | None:
    """The day a booking should be by: the care deadline (or a social urgent need's), else
    the earliest dated one."""
    for deadline in deadlines:
        if deadline.kind in (DeadlineKind.CARE, DeadlineKind.SOCIAL_URGENT):
            return deadline.day
    days = [d.day for d in deadlines if d.day is not None and d.kind is not DeadlineKind.HEALTH_ASSESSMENT]
    return min(days) if days else None
