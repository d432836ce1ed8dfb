"""Reading region.toml strictly: a misspelt key or a wrong value names its line."""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path
from typing import Any, Mapping, NoReturn

from ...i18n import LANGUAGES, _
from ..datafile import line_of, load_toml
from ..errors import DataFileError
from .rules import (
    CARE_GUARANTEE_SERVICES, MIN_DEVICE_RETENTION_DAYS, CallbackRules, CareGuaranteeRule,
    DeviceRules, HighNeedRules, RegionRules,
)

RULES_TABLE = "care_guarantee"

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
