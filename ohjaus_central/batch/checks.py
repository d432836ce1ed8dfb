"""The checks of one pushed record, before the push lock and without the database: the
contract's schema (ohjaus_core/records.py) reads it, then every field is checked for what a
device could not show or store (hidden characters, ids, codes, dates, the JSON it holds)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

try:
    import orjson as _orjson
except ImportError:  # a device without the server's extras: the standard library
    _orjson = None
from pydantic import ValidationError

from ohjaus_core import records
from ohjaus_core.domain import codes
from ohjaus_core.domain.languages import is_language
from ohjaus_core.domain.text import MAX_NAME, hidden_character, shown
from ohjaus_core.protocol import MAX_TEXT, UUID_PATTERN, Reason


class Rejected(Exception):
    def __init__(self, reason: Reason, detail: str, current: dict | None = None) -> None:
        super().__init__(detail)
        self.reason, self.detail, self.current = reason, detail, current


def _loads(text: str | bytes) -> Any:
    """`text` read as json.loads reads it, for `_check_json` and `_json_list`; with orjson (the
    server's extra) a few times faster. What orjson takes, json.loads takes alike (orjson is the
    stricter: no NaN, no lone surrogates; a number past 64 bits it reads as a float, which these
    checks, taking only texts, booleans and lists of dicts of them, refuse all the same); what
    orjson refuses, json.loads judges."""
    if _orjson is not None:
        try:
            return _orjson.loads(text)
        except _orjson.JSONDecodeError:
            pass
    try:
        return json.loads(text)
    except RecursionError:
        # (orjson refuses nesting past 1024; json.loads recurses until Python's limit: a
        # field of 20,000 brackets was a 500 for the whole push, not its record's rejection)
        raise ValueError("nested too deep") from None


def _json(data: Any) -> str:
    """A record as the server stores it and compares it: compact, keys sorted, not escaped
    beyond JSON's own. With orjson (the server's extra) the same text about 6x faster: a
    tenth of a push's checks went to json.dumps here (issue 18); the output is byte for byte
    json.dumps's (tests/central/test_central_hot_path.py compares them)."""
    if _orjson is not None:
        try:
            return _orjson.dumps(data, option=_orjson.OPT_SORT_KEYS).decode()
        except TypeError:  # what orjson does not take (a lone surrogate): the standard library's
            pass
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def validated(schema: type[records.Record], data: Any, record_id: str) -> dict:
    """The record as the contract's schema reads it (JSON form), or Rejected(INVALID) saying
    which field is wrong."""
    if not isinstance(data, dict):
        raise Rejected(Reason.INVALID, "the record must be an object")
    try:
        # (the model's own validator and serializer called directly: model_validate and
        # model_dump are these calls behind a layer of Python, a tenth of a push's checks)
        row = schema.__pydantic_validator__.validate_python(data)
    except ValidationError as error:
        problems = []
        for item in error.errors()[:5]:
            # (an unknown field is named as sent: shown with its hidden characters escaped, a
            # NUL among them, which PostgreSQL could not store in the answer: a 500 for the push)
            where = shown(".".join(str(p) for p in item["loc"]), 64)
            problem = "unknown fields" if item["type"] == "extra_forbidden" else item["msg"]
            problems.append(f"{where}: {problem}")
        raise Rejected(Reason.INVALID, "; ".join(problems)[:1000]) from None
    values = row.__dict__
    if not _passes(schema, values):  # the field by field checks, for which field is wrong
        for name, value in values.items():
            if value is not None:
                _check_field(schema, name, value)
    dumped = schema.__pydantic_serializer__.to_python(row, mode="json")
    if dumped.get("id") != record_id:
        raise Rejected(Reason.INVALID, "the record's id is not the change's record_id")
    return dumped


# Free text: new lines and tabs allowed (a device keeps them), other hidden characters not.
FREE_TEXT = {"reason", "override_reason", "advice_text", "note", "deadline_reason", "result", "safety_net", "other_answers"}
ANSWERS = {"answers", "citizen_answers"}  # JSON {question id: yes}
NAMES = {"first_name", "last_name", "municipality"}
# Text columns holding JSON a device parses: a list of ids, or answers.
JSON_LISTS = {"red_flags", "duties", "domains", "triggers"}
ENUMS = records.ENUMS  # (shared: a device keeps aside a pulled value its version does not know)
EARLIEST, LATEST = date(1800, 1, 1), date(2200, 1, 1)  # birth dates reach the 1800s (sign +)
MAX_INT = 2**31 - 1
_UUID = re.compile(UUID_PATTERN)
# Several ids joined by commas (`_passes`): UUIDs only, each 36 characters, none with a comma.
_UUIDS = re.compile("(?:{0},)*{0}".format(UUID_PATTERN.removeprefix("^").removesuffix("$")))


def _check_field(schema: type[records.Record], name: str, value: Any) -> None:
    """One field of a record, beyond its type: what a device could not show or store."""
    if value is None:
        return
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise Rejected(Reason.INVALID, f"{name}: longer than {MAX_TEXT} characters")
        plan = _PLANS.get((schema, name)) or _plan(schema, name)
        if plan is _ID:
            if not _UUID.fullmatch(value):
                raise Rejected(Reason.INVALID, f"{name}: not a UUID")
            return  # an id is checked by its form alone: a UUID holds nothing else
        keep_lines, name_limit, enum, json_kind = plan
        hidden = hidden_character(value, keep_lines=keep_lines)
        if hidden is not None:
            raise Rejected(Reason.INVALID, f"{name}: holds a control, bidi or invisible character ({hidden})")
        if name_limit and len(value) > MAX_NAME:
            raise Rejected(Reason.INVALID, f"{name}: longer than {MAX_NAME} characters")
        if enum is not None and value not in enum._value2member_map_:
            raise Rejected(Reason.INVALID, f"{name}: not one of {', '.join(enum._value2member_map_)}")
        if json_kind == "json":
            _check_json(name, value)
        elif json_kind == "referrals":
            _check_referrals(value)
        if schema is records.Client and name == "service_language" and value and not is_language(value):
            raise Rejected(Reason.INVALID, "service_language: not an ISO 639-1 or ISO 639-3 language code")
        if schema is records.Outcome and name == "duties_made":
            _check_duties_made(value)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not 0 <= value <= MAX_INT:
            raise Rejected(Reason.INVALID, f"{name}: out of range")
    elif isinstance(value, (date, datetime)):
        day = value.date() if isinstance(value, datetime) else value
        if not EARLIEST <= day < LATEST:
            raise Rejected(Reason.INVALID, f"{name}: not a plausible date")


_ID = ("id",)
_PLANS: dict[tuple[type[records.Record], str], tuple] = {}


def _plan(schema: type[records.Record], name: str) -> tuple:
    """What a text field of a schema is checked for, worked out once (issue 18: the checks
    of a push ran these comparisons for every field of every record)."""
    if (name == "id" or name.endswith("_id")) and name != "protocol_id":
        plan = _ID
    else:
        json_kind = "json" if name in JSON_LISTS or name in ANSWERS else None
        if schema is records.Outcome and name == "referrals":
            json_kind = "referrals"
        plan = (name in FREE_TEXT, name in NAMES, ENUMS.get((schema, name)), json_kind)
    _PLANS[(schema, name)] = plan
    return plan


def _check_json(name: str, text: str) -> None:
    try:
        value = _loads(text)
    except ValueError:
        raise Rejected(Reason.INVALID, f"{name}: not JSON") from None
    # (the types of the values, a set made in C: JSON gives exact bools and strs, no subclasses)
    if name in ANSWERS:
        ok = isinstance(value, dict) and set(map(type, value.values())) <= _BOOL
    else:
        ok = isinstance(value, list) and set(map(type, value)) <= _STR
    if not ok or len(text) > 10_000:
        raise Rejected(Reason.INVALID, f"{name}: not the expected list or answers")


_BOOL, _STR = {bool}, {str}


def _json_list(name: str, text: str, most: int, longest: int) -> list:
    """A field holding a JSON list of at most `most` items and `longest` characters."""
    if text == "[]":
        return []  # (most outcomes refer nowhere and made no duty)
    try:
        value = _loads(text)
    except ValueError:
        raise Rejected(Reason.INVALID, f"{name}: not JSON") from None
    if not isinstance(value, list) or len(value) > most or len(text) > longest:
        raise Rejected(Reason.INVALID, f"{name}: not a list of at most {most}")
    return value


REFERRAL_KEYS = {"service_code", "handover", "consent", "legal_basis"}
MAX_REFERRALS = 20


def _check_referrals(text: str) -> None:
    """An outcome's referrals (issue 16): a list of destinations, each with its hand-over,
    consent and any legal basis, as a device writes them."""
    for item in _json_list("referrals", text, MAX_REFERRALS, 20_000):
        ok = (
            isinstance(item, dict) and set(item) == REFERRAL_KEYS
            and isinstance(item["service_code"], str) and 0 < len(item["service_code"]) <= 64
            and isinstance(item["handover"], str) and item["handover"] in codes.Handover._value2member_map_
            and isinstance(item["consent"], bool)
            and isinstance(item["legal_basis"], str) and len(item["legal_basis"]) <= 1000
        )
        if not ok:
            raise Rejected(Reason.INVALID, "referrals: each is {service_code, handover, consent, legal_basis}")
        hidden = hidden_character(item["service_code"] + item["legal_basis"], keep_lines=False)
        if hidden is not None:
            raise Rejected(Reason.INVALID, f"referrals: holds a control, bidi or invisible character ({hidden})")


DUTY_KEYS = {"duty", "receiver", "receiver_code", "made_at", "method", "legal_basis", "about"}
MAX_DUTIES = 20


def _check_duties_made(text: str) -> None:
    """An outcome's duties made (issue 16): notifications and safety responses, each with to
    whom, when, how, its legal basis (never empty: a duty is made under a law) and about whom."""
    for item in _json_list("duties_made", text, MAX_DUTIES, 40_000):
        if not isinstance(item, dict) or set(item) != DUTY_KEYS or not all(isinstance(v, str) for v in item.values()):
            raise Rejected(Reason.INVALID, "duties_made: each is {" + ", ".join(sorted(DUTY_KEYS)) + "}, all text")
        if not _IDENT.fullmatch(item["duty"]) or item["receiver_code"] and not _IDENT.fullmatch(item["receiver_code"]):
            raise Rejected(Reason.INVALID, "duties_made: duty and receiver_code are identifiers")
        if item["method"] not in codes.NotifiedBy._value2member_map_:
            raise Rejected(Reason.INVALID, f"duties_made: method is one of {', '.join(codes.NotifiedBy._value2member_map_)}")
        if not item["receiver"].strip() or not item["legal_basis"].strip():
            raise Rejected(Reason.INVALID, "duties_made: a duty names its receiver and its legal basis")
        if any(len(item[k]) > 1000 for k in ("receiver", "legal_basis", "about")):
            raise Rejected(Reason.INVALID, "duties_made: a text is longer than 1000 characters")
        try:
            made_at = datetime.fromisoformat(item["made_at"])
        except ValueError:
            raise Rejected(Reason.INVALID, "duties_made: made_at is not an ISO 8601 time") from None
        if not EARLIEST <= made_at.date() < LATEST:
            raise Rejected(Reason.INVALID, "duties_made: made_at is not a plausible date")
        hidden = hidden_character("".join(item.values()), keep_lines=False)
        if hidden is not None:
            raise Rejected(Reason.INVALID, f"duties_made: holds a control, bidi or invisible character ({hidden})")


_IDENT = re.compile(r"[a-z][a-z0-9_]{0,63}")


# -- the same checks, a record at a time (issue 18) ------------------------------------------
#
# `_check_field` per field was most of a push's checks (~80 fields a contact). `_passes` asks
# the same of a whole record with a few C-level calls: its texts joined and checked once for
# hidden characters and length, its ids, enums and JSON texts each as `_check_field` checks
# them. It only ever says "passes" when every `_check_field` would pass; when it cannot tell,
# or a field is wrong, the field by field checks run and name the field (the same first one).


@dataclass(frozen=True)
class _Fields:
    """A schema's fields, grouped by how `_check_field` checks them (`_plan`)."""

    ids: tuple[str, ...]
    lines: tuple[str, ...]  # free text: new lines and tabs allowed
    texts: tuple[str, ...]  # every other text field, checked for hidden characters
    names: tuple[str, ...]  # at most MAX_NAME characters
    enums: tuple[tuple[str, dict], ...]
    jsons: tuple[tuple[str, str], ...]  # (field, "json" / "referrals")
    ints: tuple[str, ...]
    dates: tuple[str, ...]  # dates and times
    others: tuple[str, ...]  # a type not grouped here: `_check_field` itself
    service_language: bool
    duties_made: bool


_TEXT, _INT, _DATE = {str, str | None}, {int, int | None}, {date, datetime, date | None, datetime | None}
_FIELDS: dict[type[records.Record], _Fields] = {}


def _fields(schema: type[records.Record]) -> _Fields:
    groups: dict[str, list] = {key: [] for key in ("ids", "lines", "texts", "names", "enums", "jsons", "ints", "dates", "others")}
    for name, field in schema.model_fields.items():
        if field.annotation in _TEXT:
            plan = _plan(schema, name)
            if plan is _ID:
                groups["ids"].append(name)
                continue
            keep_lines, name_limit, enum, json_kind = plan
            groups["lines" if keep_lines else "texts"].append(name)
            if name_limit:
                groups["names"].append(name)
            if enum is not None:
                groups["enums"].append((name, enum._value2member_map_))
            if json_kind is not None:
                groups["jsons"].append((name, json_kind))
        elif field.annotation is bool:
            continue
        elif field.annotation in _INT:
            groups["ints"].append(name)
        elif field.annotation in _DATE:
            groups["dates"].append(name)
        else:
            groups["others"].append(name)
    fields = _Fields(
        **{key: tuple(value) for key, value in groups.items()},
        service_language=schema is records.Client and "service_language" in schema.model_fields,
        duties_made=schema is records.Outcome and "duties_made" in schema.model_fields,
    )
    _FIELDS[schema] = fields
    return fields


def _printable(text: str) -> bool:
    """Nothing in `text` that hidden_character finds: printable and below U+0300 (hidden_character's
    own fast paths; a combining mark or anything unusual lies above it)."""
    return text.isprintable() and (text.isascii() or _ABOVE_LATIN.search(text) is None)


_ABOVE_LATIN = re.compile("[\u0300-\U0010ffff]")  # max(text) < U+0300, without a Python loop


def _passes(schema: type[records.Record], values: dict) -> bool:
    """True only if `_check_field` passes every field of the record (see above)."""
    fields = _FIELDS.get(schema) or _fields(schema)
    ids = [value for name in fields.ids if (value := values[name]) is not None]
    if ids:
        # One match for all of them: with the length, the joining commas can only be where
        # one UUID ends and the next begins, so each id is a UUID by itself.
        joined = ",".join(ids)
        if len(joined) != 37 * len(ids) - 1 or not _UUIDS.fullmatch(joined):
            return False
    texts = "".join([value for name in fields.texts if (value := values[name]) is not None])
    lines = "".join([value for name in fields.lines if (value := values[name]) is not None])
    if len(texts) > MAX_TEXT or len(lines) > MAX_TEXT:
        return False  # the sum, not each: `_check_field` tells
    if not _printable(texts) or not _printable(lines.replace("\n", "").replace("\t", "")):
        return False
    for name in fields.names:
        value = values[name]
        if value is not None and len(value) > MAX_NAME:
            return False
    for name, members in fields.enums:
        value = values[name]
        if value is not None and value not in members:
            return False
    for name in fields.ints:
        value = values[name]
        if value is not None and not isinstance(value, bool) and not 0 <= value <= MAX_INT:
            return False
    for name in fields.dates:
        value = values[name]
        if value is not None:
            day = value.date() if isinstance(value, datetime) else value
            if not EARLIEST <= day < LATEST:
                return False
    try:
        for name, kind in fields.jsons:
            value = values[name]
            if value is None:
                continue
            if kind == "referrals":
                _check_referrals(value)
            elif not (value == "[]" and name not in ANSWERS or value == "{}" and name in ANSWERS):
                _check_json(name, value)  # (an empty list or answers passes it)
        for name in fields.others:
            if values[name] is not None:
                _check_field(schema, name, values[name])
        if fields.duties_made and values["duties_made"] is not None:
            _check_duties_made(values["duties_made"])
    except Rejected:
        return False
    if fields.service_language:
        value = values["service_language"]
        if value and not is_language(value):
            return False
    return True
