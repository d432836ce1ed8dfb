"""Callback requests (soittopyynnöt) from a phone system's queue, read from CSV or JSON.

A file is read line by line: a line that is not UTF-8, a row without a phone number or a
time, a wrong identity code - each is reported with its line and the rest is taken. The
store then writes the good rows in one transaction, so an import is all of them or none.

Columns (CSV header, or keys of a JSON object): requested_at (ISO 8601, or d.m.yyyy h.mm /
hh:mm in Finnish time), phone, and optionally name, reason, identity_code, id (the phone
system's id of the request: importing it twice adds it once), unit (unit code), register
(health or social; default health), queue (the phone system's service line, e.g.
"aikuiset"), language (of the service line: an ISO 639-1 code such as fi, sv, en; default
fi), priority (high, normal or low; default normal).

The same row, as JSON, is what the phone system pushes to the central API
(`POST /v1/callbacks`, central/app.py); there `id` is required.
"""

from __future__ import annotations

import csv
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..i18n import _
from .clock import HELSINKI
from .codes import Register
from .errors import DomainError
from .identity import parse_identity_code
from .phone import normalize_phone
from .text import check_name, free_text
from .textfile import read_lines

# Ids of requests with the phone system's (or e-service's) id: uuid5 of this namespace and
# "unit id|register|that id", so two devices of a unit importing the same file hold one
# record, and a credential of another unit (or register) cannot take the id first (the
# derivation is public: without the unit, unit B could push the id unit A's request would
# get, and A's request was refused).
CALLBACK_NAMESPACE = uuid.UUID("6f1b2c1e-4d7a-5b8e-9c3f-0a1b2c3d4e5f")


def callback_id(unit_id: str, register: str, source: str) -> str | None:
    """The deterministic id of a request the phone system named for the unit's register
    ("health", "social"); None without a source."""
    return str(uuid.uuid5(CALLBACK_NAMESPACE, f"{unit_id}|{register}|{source}")) if source else None


def legacy_callback_id(source: str) -> str | None:
    """The id before 5.12.2026 (the source alone). Requests held under it keep it; a new
    request is never given it, and the central API takes no new record under it."""
    return str(uuid.uuid5(CALLBACK_NAMESPACE, source)) if source else None


def is_random_id(record_id: str) -> bool:
    """A fresh random id (a version-4 UUID in its canonical form), as new_id makes."""
    try:
        parsed = uuid.UUID(record_id)
    except (ValueError, TypeError, AttributeError):
        return False
    return parsed.version == 4 and str(parsed) == record_id


def id_fits(record_id: str, unit_id: str, register: str, source: str) -> bool:
    """Whether a new request's id may be taken: derived from its unit, register and source,
    or a fresh random id when it has no source."""
    return record_id == callback_id(unit_id, register, source) if source else is_random_id(record_id)


COLUMNS = (
    "requested_at", "phone", "name", "reason", "identity_code", "id", "unit", "register", "queue", "language",
    "priority",
)
REQUIRED = ("requested_at", "phone")
MAX_REASON = 2000
MAX_QUEUE = 40
PRIORITIES = ("high", "normal", "low")  # the worklist lists high first, then normal, then low
PRIORITY_RANK = {p: n for n, p in enumerate(PRIORITIES)}
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class CallbackRequest:
    line: int
    requested_at: datetime
    phone: str  # E.164
    name: str = ""
    reason: str = ""
    identity_code: str | None = None
    source: str = ""
    unit_code: str | None = None
    register: Register = Register.HEALTH
    queue: str = ""
    language: str = "fi"
    priority: str = "normal"
    # A digital contact request from an e-service form (domain/contact_requests.py): origin
    # "e_service" instead of the phone queue, the citizen's answers to protocol questions
    # ({question id: yes}), answers to questions no protocol has (as text), their own urgency
    # estimate, how they want the reply (call_back or message), a protocol the form named.
    origin: str = "phone"
    answers: dict = field(default_factory=dict)
    other_answers: str = ""
    own_urgency: str = ""
    preference: str = ""
    protocol_id: str = ""


ORIGINS = ("phone", "e_service")
PREFERENCES = ("call_back", "message")


@dataclass
class ReadResult:
    requests: list[CallbackRequest]
    problems: list[str]  # "FILE:LINE: what is wrong"


def parse_time(value: str) -> datetime:
    value = value.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
        for pattern in ("%d.%m.%Y %H.%M", "%d.%m.%Y %H:%M", "%d.%m.%Y klo %H.%M"):
            try:
                moment = datetime.strptime(value, pattern)
                break
            except ValueError:
                continue
        if moment is None:
            raise DomainError(_("requested_at is not a time: {value}").format(value=value[:40])) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=HELSINKI)


def check_row(line: int, row: dict) -> tuple[CallbackRequest | None, list[tuple[str, str]]]:
    """One request from one row, or every problem with it as (column, what is wrong)."""
    if not isinstance(row, dict):
        return None, [("", _("a row must be an object with the columns {columns}").format(columns=", ".join(COLUMNS)))]
    problems: list[tuple[str, str]] = []
    unknown = sorted(str(k) for k in row if k not in COLUMNS)
    if unknown:
        problems.append(("", _("unknown columns: {names}").format(names=", ".join(unknown))))
    values = {key: ("" if row.get(key) is None else str(row.get(key))).strip() for key in COLUMNS}
    checked: dict = {}

    def check(column: str, step) -> None:
        try:
            checked[column] = step()
        except DomainError as error:
            problems.append((column, str(error)))

    for key in REQUIRED:
        if not values[key]:
            problems.append((key, _("{column} is missing").format(column=key)))
    check("name", lambda: check_name(_("Name"), values["name"]))
    check("id", lambda: check_name("id", values["id"], limit=100))
    check("queue", lambda: check_name("queue", values["queue"], limit=MAX_QUEUE))
    check("identity_code", lambda: parse_identity_code(values["identity_code"]).code if values["identity_code"] else None)
    register = values["register"] or Register.HEALTH.value
    if register not in {r.value for r in Register}:
        problems.append(("register", _("register must be health or social, not {value}").format(value=register[:20])))
    language = values["language"].lower() or "fi"
    if not _LANGUAGE.match(language):
        problems.append(("language", _("language must be an ISO 639-1 code such as fi, sv or en, not {value}").format(value=values["language"][:20])))
    priority = values["priority"].lower() or "normal"
    if priority not in PRIORITIES:
        problems.append(("priority", _("priority must be high, normal or low, not {value}").format(value=values["priority"][:20])))
    reason = free_text(values["reason"])
    if len(reason) > MAX_REASON:
        problems.append(("reason", _("reason is longer than {n} characters").format(n=MAX_REASON)))
    if values["requested_at"]:
        check("requested_at", lambda: parse_time(values["requested_at"]))
    if values["phone"]:
        check("phone", lambda: normalize_phone(values["phone"]))
    if problems:
        return None, problems
    return CallbackRequest(
        line=line,
        requested_at=checked["requested_at"],
        phone=checked["phone"],
        name=values["name"],
        reason=reason,
        identity_code=checked["identity_code"],
        source=values["id"],
        unit_code=values["unit"] or None,
        register=Register(register),
        queue=values["queue"],
        language=language,
        priority=priority,
    ), []


def parse_row(line: int, row: dict) -> CallbackRequest:
    """One request from one row, or a DomainError saying what is wrong with it."""
    request, problems = check_row(line, row)
    if request is None:
        raise DomainError("; ".join(what for _column, what in problems))
    return request


def read_callbacks(path: Path) -> ReadResult:
    """Read a CSV file (with a header) or JSON (an array of objects, or one object a line)."""
    lines = read_lines(path)
    problems: list[tuple[int, str]] = [(number, _("not valid UTF-8")) for number in lines.invalid]
    requests: list[CallbackRequest] = []

    def take(number: int, row) -> None:
        try:
            requests.append(parse_row(number, row))
        except DomainError as error:
            problems.append((number, str(error)))

    def result() -> ReadResult:
        return ReadResult(requests, [f"{path}:{line}: {what}" for line, what in sorted(problems, key=lambda p: p[0])])

    numbered = [(n, t) for n, t in lines.lines if t.strip()]
    first = numbered[0][1].lstrip() if numbered else ""
    if first.startswith("["):
        try:
            rows = json.loads(lines.text)
        except ValueError as error:
            problems.append((getattr(error, "lineno", 1), _("not valid JSON")))
            return result()
        if not isinstance(rows, list):
            problems.append((1, _("a JSON file holds an array of requests")))
            return result()
        for index, row in enumerate(rows, start=1):
            take(index, row)  # in an array, the request's number stands for its line
    elif first.startswith("{"):
        for number, text in numbered:
            try:
                row = json.loads(text)
            except ValueError:
                problems.append((number, _("not valid JSON")))
                continue
            take(number, row)
    elif numbered:
        reader = csv.reader([text for _n, text in numbered])
        header = [h.strip().lower() for h in next(reader)]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            problems.append((numbered[0][0], _("the header lacks {columns}").format(columns=", ".join(missing))))
            return result()
        for (number, _text), cells in zip(numbered[1:], reader):
            if len(cells) != len(header):
                problems.append((number, _("{n} cells, the header has {m}").format(n=len(cells), m=len(header))))
                continue
            take(number, dict(zip(header, cells)))
    return result()
