"""Callback requests (soittopyynnöt) from a phone system's queue, read from CSV or JSON.

A file is read line by line: a line that is not UTF-8, a row without a phone number or a
time, a wrong identity code - each is reported with its line and the rest is taken. The
store then writes the good rows in one transaction, so an import is all of them or none.

Columns (CSV header, or keys of a JSON object): requested_at (ISO 8601, or d.m.yyyy h.mm /
hh:mm in Finnish time), phone, and optionally name, reason, identity_code, id (the phone
system's id of the request: importing it twice adds it once), unit (unit code), register
(health or social; default health).
"""

from __future__ import annotations

import csv
import json
import uuid
from dataclasses import dataclass
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

# Ids of requests with the phone system's id: uuid5 of this namespace and that id, so two
# devices importing the same file hold one record.
CALLBACK_NAMESPACE = uuid.UUID("6f1b2c1e-4d7a-5b8e-9c3f-0a1b2c3d4e5f")


def callback_id(source: str) -> str | None:
    """The deterministic id of a request the phone system named; None without a source."""
    return str(uuid.uuid5(CALLBACK_NAMESPACE, source)) if source else None


COLUMNS = ("requested_at", "phone", "name", "reason", "identity_code", "id", "unit", "register")
REQUIRED = ("requested_at", "phone")
MAX_REASON = 2000


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


def parse_row(line: int, row: dict) -> CallbackRequest:
    """One request from one row, or a DomainError saying what is wrong with it."""
    if not isinstance(row, dict):
        raise DomainError(_("a row must be an object with the columns {columns}").format(columns=", ".join(COLUMNS)))
    unknown = sorted(str(k) for k in row if k not in COLUMNS)
    if unknown:
        raise DomainError(_("unknown columns: {names}").format(names=", ".join(unknown)))
    values = {key: ("" if row.get(key) is None else str(row.get(key))).strip() for key in COLUMNS}
    for key in REQUIRED:
        if not values[key]:
            raise DomainError(_("{column} is missing").format(column=key))
    check_name(_("Name"), values["name"])
    check_name("id", values["id"], limit=100)
    code = parse_identity_code(values["identity_code"]).code if values["identity_code"] else None
    register = values["register"] or Register.HEALTH.value
    if register not in {r.value for r in Register}:
        raise DomainError(_("register must be health or social, not {value}").format(value=register[:20]))
    reason = free_text(values["reason"])
    if len(reason) > MAX_REASON:
        raise DomainError(_("reason is longer than {n} characters").format(n=MAX_REASON))
    return CallbackRequest(
        line=line,
        requested_at=parse_time(values["requested_at"]),
        phone=normalize_phone(values["phone"]),
        name=values["name"],
        reason=reason,
        identity_code=code,
        source=values["id"],
        unit_code=values["unit"] or None,
        register=Register(register),
    )


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
