"""One pushed batch, applied in one transaction with a handful of queries.

Validation happens before the batch takes the push lock (`prepare`). Under the lock, the
batch reads every record it refers to in one query per record type, decides every change
against that picture (updated as it goes, so a later change in the batch sees an earlier
one), and writes the change log, the records, the answers and the conflicts in bulk.
The conflict rules are in docs/sync.md.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

try:
    import orjson as _orjson
except ImportError:  # a device without the server's extras: the standard library
    _orjson = None
from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from sqlalchemy import String, any_, bindparam, insert, literal, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from ohjaus_core.domain.codes import (
    Caller,
    Channel,
    ContactStatus,
    FollowUpKind,
    FollowUpStatus,
    Handover,
    Language,
    NotifiedBy,
    OutcomeKind,
    PlanType,
    Register,
    Segment,
    ServiceArea,
    Urgency,
    WorryLevel,
)
from ohjaus_core.domain.callbacks import MAX_QUEUE, ORIGINS, PREFERENCES, PRIORITIES
from ohjaus_core.domain.identity import client_id_for
from ohjaus_core.domain.languages import is_language
from ohjaus_core.domain.text import MAX_NAME, hidden_character
from ohjaus_tui.store.models import (
    Appointment,
    Assessment,
    Callback,
    Client,
    ClientMerge,
    Consent,
    Contact,
    FollowUp,
    MissedAppointment,
    Outcome,
    SegmentChoice,
)
from ohjaus_core.protocol import MAX_TEXT, UUID_PATTERN, Answer, Change, Reason, RecordType
from .tables import answer, change_log, conflict, record

CHUNK = 500
# A slot's holder as a device that may not see the holding contact gets it: taken, by whom
# not said (a device reads any holder it does not hold as "taken elsewhere").
TAKEN = "00000000-0000-0000-0000-000000000000"


class Rejected(Exception):
    def __init__(self, reason: Reason, detail: str, current: dict | None = None) -> None:
        super().__init__(detail)
        self.reason, self.detail, self.current = reason, detail, current


def _json(data: Any) -> str:
    """A record as the server stores it and compares it: compact, keys sorted, not escaped
    beyond JSON's own. With orjson (the server's extra) the same text about 6x faster: a
    tenth of a push's checks went to json.dumps here (issue 18); the output is byte for byte
    json.dumps's (tests/test_central_hot_path.py compares them)."""
    if _orjson is not None:
        try:
            return _orjson.dumps(data, option=_orjson.OPT_SORT_KEYS).decode()
        except TypeError:  # what orjson does not take (a lone surrogate): the standard library's
            pass
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# -- validation (no database, before the lock) --------------------------------------------------


@cache
def _schema(model: type) -> type[BaseModel]:
    """A plain pydantic model with the record's fields: strict about unknown fields, and
    much cheaper than building table objects just to validate."""
    fields = {
        name: (info.annotation, ... if info.is_required() else info.default)
        for name, info in model.model_fields.items()
    }
    return create_model(f"{model.__name__}Record", __config__=ConfigDict(extra="forbid"), **fields)


def validated(model: type, data: Any, record_id: str) -> dict:
    """The record as the model reads it, or Rejected(INVALID) saying which field is wrong."""
    if not isinstance(data, dict):
        raise Rejected(Reason.INVALID, "the record must be an object")
    try:
        row = _schema(model).model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors()[:5]:
            where = ".".join(str(p) for p in item["loc"])
            problem = "unknown fields" if item["type"] == "extra_forbidden" else item["msg"]
            problems.append(f"{where}: {problem}")
        raise Rejected(Reason.INVALID, "; ".join(problems)[:1000]) from None
    for name, value in row.__dict__.items():
        if value is not None:
            _check_field(model, name, value)
    dumped = row.model_dump(mode="json")
    if dumped.get("id") != record_id:
        raise Rejected(Reason.INVALID, "the record's id is not the change's record_id")
    return dumped


# Free text: new lines and tabs allowed (a device keeps them), other hidden characters not.
FREE_TEXT = {"reason", "override_reason", "advice_text", "note", "deadline_reason", "result", "safety_net", "other_answers"}
ANSWERS = {"answers", "citizen_answers"}  # JSON {question id: yes}
NAMES = {"first_name", "last_name", "municipality"}
# Text columns holding JSON a device parses: a list of ids, or answers.
JSON_LISTS = {"red_flags", "duties", "domains", "triggers"}
ENUMS: dict[tuple[type, str], type] = {
    (Client, "language"): Language,
    (Contact, "language"): Language, (Contact, "channel"): Channel, (Contact, "caller"): Caller, (Contact, "service_area"): ServiceArea,
    (Contact, "status"): ContactStatus,
    (Assessment, "suggested_urgency"): Urgency, (Assessment, "urgency"): Urgency,
    (Assessment, "worry_level"): WorryLevel,
    (SegmentChoice, "suggested"): Segment, (SegmentChoice, "segment"): Segment,
    (SegmentChoice, "plan_type"): PlanType,
    (Outcome, "kind"): OutcomeKind, (Outcome, "handover"): Handover,
    (FollowUp, "kind"): FollowUpKind, (FollowUp, "status"): FollowUpStatus,
}
EARLIEST, LATEST = date(1800, 1, 1), date(2200, 1, 1)  # birth dates reach the 1800s (sign +)
MAX_INT = 2**31 - 1
_UUID = re.compile(UUID_PATTERN)


def _check_field(model: type, name: str, value: Any) -> None:
    """One field of a record, beyond its type: what a device could not show or store."""
    if value is None:
        return
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise Rejected(Reason.INVALID, f"{name}: longer than {MAX_TEXT} characters")
        plan = _PLANS.get((model, name)) or _plan(model, name)
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
        if model is Client and name == "service_language" and value and not is_language(value):
            raise Rejected(Reason.INVALID, "service_language: not an ISO 639-1 or ISO 639-3 language code")
        if model is Outcome and name == "duties_made":
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
_PLANS: dict[tuple[type, str], tuple] = {}


def _plan(model: type, name: str) -> tuple:
    """What a text field of a model is checked for, worked out once (issue 18: the checks
    of a push ran these comparisons for every field of every record)."""
    if (name == "id" or name.endswith("_id")) and name != "protocol_id":
        plan = _ID
    else:
        json_kind = "json" if name in JSON_LISTS or name in ANSWERS else None
        if model is Outcome and name == "referrals":
            json_kind = "referrals"
        plan = (name in FREE_TEXT, name in NAMES, ENUMS.get((model, name)), json_kind)
    _PLANS[(model, name)] = plan
    return plan


def _check_json(name: str, text: str) -> None:
    try:
        value = json.loads(text)
    except ValueError:
        raise Rejected(Reason.INVALID, f"{name}: not JSON") from None
    if name in ANSWERS:
        ok = isinstance(value, dict) and all(isinstance(v, bool) for v in value.values())
    else:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    if not ok or len(text) > 10_000:
        raise Rejected(Reason.INVALID, f"{name}: not the expected list or answers")


REFERRAL_KEYS = {"service_code", "handover", "consent", "legal_basis"}
MAX_REFERRALS = 20


def _check_referrals(text: str) -> None:
    """An outcome's referrals (issue 16): a list of destinations, each with its hand-over,
    consent and any legal basis, as a device writes them."""
    try:
        value = json.loads(text)
    except ValueError:
        raise Rejected(Reason.INVALID, "referrals: not JSON") from None
    if not isinstance(value, list) or len(value) > MAX_REFERRALS or len(text) > 20_000:
        raise Rejected(Reason.INVALID, f"referrals: not a list of at most {MAX_REFERRALS}")
    for item in value:
        ok = (
            isinstance(item, dict) and set(item) == REFERRAL_KEYS
            and isinstance(item["service_code"], str) and 0 < len(item["service_code"]) <= 64
            and item["handover"] in Handover._value2member_map_
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
    try:
        value = json.loads(text)
    except ValueError:
        raise Rejected(Reason.INVALID, "duties_made: not JSON") from None
    if not isinstance(value, list) or len(value) > MAX_DUTIES or len(text) > 40_000:
        raise Rejected(Reason.INVALID, f"duties_made: not a list of at most {MAX_DUTIES}")
    for item in value:
        if not isinstance(item, dict) or set(item) != DUTY_KEYS or not all(isinstance(v, str) for v in item.values()):
            raise Rejected(Reason.INVALID, "duties_made: each is {" + ", ".join(sorted(DUTY_KEYS)) + "}, all text")
        if not _IDENT.fullmatch(item["duty"]) or item["receiver_code"] and not _IDENT.fullmatch(item["receiver_code"]):
            raise Rejected(Reason.INVALID, "duties_made: duty and receiver_code are identifiers")
        if item["method"] not in NotifiedBy._value2member_map_:
            raise Rejected(Reason.INVALID, f"duties_made: method is one of {', '.join(NotifiedBy._value2member_map_)}")
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


def contact_family(data: Any, record_id: str) -> dict:
    expected = {"contact", "assessment", "segment", "outcome", "follow_ups"}
    if not isinstance(data, dict) or set(data) != expected:
        raise Rejected(Reason.INVALID, f"a contact has exactly: {', '.join(sorted(expected))}")
    contact = validated(Contact, data["contact"], record_id)
    if contact["status"] != "signed":
        raise Rejected(Reason.INVALID, "only signed contacts are sent")
    try:
        ServiceArea(contact["service_area"])
        Channel(contact["channel"])
    except ValueError:
        raise Rejected(Reason.INVALID, "unknown service area or channel") from None
    if contact["reply_channel"] not in (None, *PREFERENCES):
        raise Rejected(Reason.INVALID, f"reply_channel: not one of {', '.join(PREFERENCES)}")
    family: dict[str, Any] = {"contact": contact}
    for key, model in (("assessment", Assessment), ("segment", SegmentChoice), ("outcome", Outcome)):
        child = data[key]
        if child is None:
            family[key] = None
            continue
        if not isinstance(child, dict):
            raise Rejected(Reason.INVALID, f"{key} must be an object or null")
        family[key] = validated(model, child, child.get("id", ""))
        if family[key]["contact_id"] != record_id:
            raise Rejected(Reason.INVALID, f"{key} belongs to another contact")
    if not isinstance(data["follow_ups"], list) or len(data["follow_ups"]) > 20:
        raise Rejected(Reason.INVALID, "follow_ups must be a list of at most 20")
    family["follow_ups"] = []
    for item in data["follow_ups"]:
        follow_up = validated(FollowUp, item, item.get("id", "") if isinstance(item, dict) else "")
        if follow_up["contact_id"] != record_id:
            raise Rejected(Reason.INVALID, "a follow-up belongs to another contact")
        family["follow_ups"].append(follow_up)
    return family


def booking(data: Any, record_id: str) -> dict:
    if (
        not isinstance(data, dict)
        or set(data) != {"slot_id", "contact_id", "previous_contact_id"}
        or not all(value is None or (isinstance(value, str) and _UUID.match(value)) for value in data.values())
        or data["slot_id"] != record_id
    ):
        raise Rejected(Reason.INVALID, "a booking has slot_id (the record id), contact_id and previous_contact_id")
    return dict(data)


def consent_record(data: Any, record_id: str) -> dict:
    """A consent between the two registers (or its denial), its times in UTC so that the
    same moment is the same text however the device wrote it."""
    consent = validated(Consent, data, record_id)
    registers = {register.value for register in Register}
    if consent["from_register"] not in registers or consent["to_register"] not in registers:
        raise Rejected(Reason.INVALID, "from_register and to_register are health or social")
    if consent["from_register"] == consent["to_register"]:
        raise Rejected(Reason.INVALID, "a consent is between the two registers")
    if consent["decision"] not in ("granted", "denied"):
        raise Rejected(Reason.INVALID, "decision is granted or denied")
    for key in ("recorded_at", "revoked_at"):
        if consent[key] is not None:
            moment = datetime.fromisoformat(consent[key])
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
            consent[key] = moment.isoformat()
    return consent


CALLBACK_STATUSES = ("open", "taken", "done", "cancelled")
# What the phone system said: the same under one id on every device.
CALLBACK_REQUEST = (
    "unit_id", "sector", "name", "phone", "reason", "requested_at", "source", "queue", "language", "priority",
    "origin", "answers", "other_answers", "own_urgency", "preference", "identity_code", "protocol_id",
)
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def callback_record(data: Any, record_id: str) -> dict:
    """A callback request, its times in UTC (compared as moments)."""
    callback = validated(Callback, data, record_id)
    if callback["sector"] not in {register.value for register in Register}:
        raise Rejected(Reason.INVALID, "sector is health or social")
    if callback["status"] not in CALLBACK_STATUSES:
        raise Rejected(Reason.INVALID, f"status: not one of {', '.join(CALLBACK_STATUSES)}")
    if callback["status"] == "taken" and not (callback["taken_by"] and callback["contact_id"]):
        raise Rejected(Reason.INVALID, "a taken callback request names its worker and contact")
    if callback["status"] == "open" and (callback["taken_by"] or callback["contact_id"]):
        raise Rejected(Reason.INVALID, "an open callback request has no worker or contact")
    if callback["priority"] not in PRIORITIES:
        raise Rejected(Reason.INVALID, f"priority: not one of {', '.join(PRIORITIES)}")
    if not _LANGUAGE.match(callback["language"]):
        raise Rejected(Reason.INVALID, "language: an ISO 639-1 code such as fi, sv, en")
    if callback["origin"] not in ORIGINS:
        raise Rejected(Reason.INVALID, f"origin: not one of {', '.join(ORIGINS)}")
    if callback["preference"] not in ("", *PREFERENCES):
        raise Rejected(Reason.INVALID, f"preference: not one of {', '.join(PREFERENCES)}")
    if callback["own_urgency"] and callback["own_urgency"] not in {u.value for u in Urgency}:
        raise Rejected(Reason.INVALID, "own_urgency: an urgency level or empty")
    if callback["origin"] == "phone" and not callback["phone"]:
        raise Rejected(Reason.INVALID, "phone: a callback request from the phone queue has the number")
    if len(callback["queue"]) > MAX_QUEUE:
        raise Rejected(Reason.INVALID, f"queue: at most {MAX_QUEUE} characters")
    if callback["attempts"] < 0 or (callback["attempts"] > 0) != (callback["last_attempt_at"] is not None):
        raise Rejected(Reason.INVALID, "attempts: 0 or more, with the latest attempt's time when above 0")
    for key in ("requested_at", "imported_at", "first_attempt_at", "last_attempt_at"):
        if callback[key] is None:
            continue
        moment = datetime.fromisoformat(callback[key])
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        callback[key] = moment.isoformat()
    return callback


APPOINTMENT_STATUSES = ("booked", "cancelled", "done", "no_show")
MOVE_KEYS = {"slot_id", "starts_at", "at", "reason"}
MAX_MOVES = 50


def appointment_record(data: Any, record_id: str) -> dict:
    """A booked visit after its contact (issue 20), under the contact's id; its earlier times
    (`moves`) a list of {slot_id, starts_at, at, reason}."""
    appointment = validated(Appointment, data, record_id)
    if appointment["contact_id"] != record_id:
        raise Rejected(Reason.INVALID, "an appointment's id is its contact's id")
    if appointment["status"] not in APPOINTMENT_STATUSES:
        raise Rejected(Reason.INVALID, f"status: not one of {', '.join(APPOINTMENT_STATUSES)}")
    if appointment["sector"] not in {register.value for register in Register}:
        raise Rejected(Reason.INVALID, "sector is health or social")
    try:
        moves = json.loads(appointment["moves"])
    except ValueError:
        raise Rejected(Reason.INVALID, "moves: not JSON") from None
    ok = isinstance(moves, list) and len(moves) <= MAX_MOVES and all(
        isinstance(m, dict) and set(m) == MOVE_KEYS and isinstance(m["slot_id"], str) and _UUID.fullmatch(m["slot_id"])
        and isinstance(m["reason"], str) and len(m["reason"]) <= 1000
        and all(m[k] is None or isinstance(m[k], str) and len(m[k]) <= 40 for k in ("starts_at", "at"))
        for m in moves
    )
    if not ok:
        raise Rejected(Reason.INVALID, "moves: a list of {at, reason, slot_id, starts_at}")
    appointment["changed_at"] = _utc(appointment["changed_at"])
    return appointment


def _utc(value: str) -> str:
    moment = datetime.fromisoformat(value)
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)).isoformat()


@dataclass
class Prepared:
    change: Change
    data: dict | None = None
    text: str = ""
    error: Rejected | None = None


def prepare_push(changes: list[Change]) -> list[Prepared]:
    """Every change of a push checked and made ready for the writer (no database needed)."""
    return [prepare(change) for change in changes]


def prepare(change: Change) -> Prepared:
    try:
        if change.type == "client":
            data = validated(Client, change.data, change.record_id)
            if data["identity_code"] and data["id"] != client_id_for(data["identity_code"]):
                raise Rejected(Reason.INVALID, "the client's id is not the one derived from its identity code")
        elif change.type == "contact":
            data = contact_family(change.data, change.record_id)
        elif change.type == "follow_up":
            data = validated(FollowUp, change.data, change.record_id)
            try:
                FollowUpKind(data["kind"]), FollowUpStatus(data["status"])
            except ValueError:
                raise Rejected(Reason.INVALID, "unknown follow-up kind or status") from None
        elif change.type == "missed_appointment":
            data = validated(MissedAppointment, change.data, change.record_id)
            if data["sector"] not in {register.value for register in Register}:
                raise Rejected(Reason.INVALID, "sector is health or social")
        elif change.type == "consent":
            data = consent_record(change.data, change.record_id)
        elif change.type == "callback":
            data = callback_record(change.data, change.record_id)
        elif change.type == "appointment":
            data = appointment_record(change.data, change.record_id)
        elif change.type == "merge":
            data = validated(ClientMerge, change.data, change.record_id)
            if data["into_id"] == data["id"]:
                raise Rejected(Reason.INVALID, "a client cannot be merged into itself")
        else:
            data = booking(change.data, change.record_id)
    except Rejected as rejection:
        return Prepared(change, error=rejection)
    return Prepared(change, data, _json(data))


# -- applying a batch (under the lock) ---------------------------------------------------------


def _accepted(change: Change, seq: int, reason: Reason | None = None) -> Answer:
    detail = ""
    if reason == Reason.CONCURRENT_EDIT:
        detail = "changed on another device too; this version is kept and the other is saved as a conflict"
    elif reason == Reason.TWO_CORRECTIONS:
        detail = "another correction of the same contact exists; both are kept"
    return Answer(change_id=change.id, status="accepted", seq=seq, reason=reason, detail=detail)


def stored_answer(row) -> Answer:
    return Answer(
        change_id=row["change_id"],
        status=row["status"],
        seq=row["seq"],
        reason=Reason(row["reason"]) if row["reason"] else None,
        detail=row["detail"] or "",
        current=json.loads(row["current"]) if row["current"] else None,
    )


def among(conn: Connection, column, values: list[str]):
    """`column IN values`; on PostgreSQL as `= ANY(array)`, one parameter instead of
    hundreds (planning a 500-parameter IN was most of a batch's read time)."""
    if conn.dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(String)))
    return column.in_(values)


def driver_rows(conn: Connection, sql: str, params: tuple | list = ()) -> list[tuple]:
    """Rows of driver SQL (`?` marks; `%s` on PostgreSQL) run on the connection's own
    transaction: no statement built, compiled or wrapped per call (issue 18: most of a
    small push's CPU was SQLAlchemy making its handful of reads)."""
    if conn.dialect.name == "postgresql":
        sql = sql.replace("?", "%s")
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def among_sql(conn: Connection, column: str, values: list[str]) -> tuple[str, list]:
    """`column IN (...)` as driver SQL and its parameters; on PostgreSQL `= ANY(array)`, one
    parameter (see among)."""
    if conn.dialect.name == "postgresql":
        return f"{column} = ANY(?)", [list(values)]
    return f"{column} IN ({', '.join('?' * len(values))})", list(values)


RECORD_COLUMNS = ("record_type", "record_id", "data", "seq", "device_id", "unit_id", "register", "parent_id")
_RECORD_SELECT = f"SELECT {', '.join(RECORD_COLUMNS)} FROM record WHERE record_type = ? AND "


class Batch:
    """The state a batch works on, and the rows it will write."""

    def __init__(self, conn: Connection, device) -> None:
        self.conn, self.device = conn, device
        self.now = datetime.now(UTC)
        self.records: dict[tuple[str, str], dict | None] = {}
        self.client_units: dict[str, set[str]] = defaultdict(set)
        self.corrections: dict[str, set[str]] = defaultdict(set)  # corrected id -> correcting ids
        self.next_seq = (driver_rows(conn, "SELECT max(seq) FROM change_log")[0][0] or 0) + 1
        self.log_rows: list[dict] = []
        self.new_records: dict[tuple[str, str], dict] = {}
        self.changed_records: dict[tuple[str, str], dict] = {}
        self.answer_rows: list[dict] = []
        self.conflict_rows: list[dict] = []

    # -- reading, once per batch ---------------------------------------------------------------

    def load(self, keys: set[tuple[str, str]], clients: set[str], corrected: set[str]) -> None:
        by_type: dict[str, list[str]] = defaultdict(list)
        for record_type, record_id in keys:
            self.records[(record_type, record_id)] = None
            by_type[record_type].append(record_id)
        conn = self.conn
        for record_type, ids in by_type.items():
            for start in range(0, len(ids), CHUNK):
                where, params = among_sql(conn, "record_id", ids[start : start + CHUNK])
                for row in driver_rows(conn, _RECORD_SELECT + where, [record_type, *params]):
                    self.records[(record_type, row[1])] = dict(zip(RECORD_COLUMNS, row))
        ids = sorted(clients)
        for start in range(0, len(ids), CHUNK):
            where, params = among_sql(conn, "record_id", ids[start : start + CHUNK])
            rows = driver_rows(
                conn, f"SELECT DISTINCT record_id, unit_id FROM change_log WHERE record_type = ? AND {where}",
                [RecordType.CLIENT.value, *params],
            )
            for record_id, unit_id in rows:
                if unit_id:
                    self.client_units[record_id].add(unit_id)
        ids = sorted(corrected)
        for start in range(0, len(ids), CHUNK):
            where, params = among_sql(conn, "parent_id", ids[start : start + CHUNK])
            rows = driver_rows(
                conn, f"SELECT record_id, parent_id FROM record WHERE record_type = ? AND {where}",
                [RecordType.CONTACT.value, *params],
            )
            for record_id, parent_id in rows:
                self.corrections[parent_id].add(record_id)

    def get(self, record_type: RecordType, record_id: str | None) -> dict | None:
        if record_id is None:
            return None
        return self.records.get((record_type.value, record_id))

    def require(self, record_type: RecordType, record_id: str) -> dict:
        row = self.get(record_type, record_id)
        if row is None:
            raise Rejected(Reason.UNKNOWN_REFERENCE, f"no {record_type.value} {record_id} on the server")
        return row

    # -- writing, at the end ---------------------------------------------------------------------

    def log(self, record_type: RecordType, record_id: str, text: str, unit_id, register) -> int:
        seq = self.next_seq
        self.next_seq += 1
        self.log_rows.append(
            dict(
                seq=seq,
                record_type=record_type.value,
                record_id=record_id,
                unit_id=unit_id,
                register=register,
                data=text,
                device_id=self.device.id if self.device else None,
                received_at=self.now,
            )
        )
        return seq

    def put(self, record_type: RecordType, record_id: str, text: str, seq: int, unit_id=None, register=None, parent_id=None) -> None:
        key = (record_type.value, record_id)
        device_id = self.device.id if self.device else None
        existing = self.records.get(key)
        row = dict(
            record_type=record_type.value,
            record_id=record_id,
            data=text,
            seq=seq,
            device_id=device_id,
            unit_id=existing["unit_id"] if existing else unit_id,
            register=existing["register"] if existing else register,
            parent_id=existing["parent_id"] if existing else parent_id,
        )
        if key in self.new_records or existing is None:
            self.new_records[key] = row
        else:
            self.changed_records[key] = row
        self.records[key] = row

    def flush(self) -> None:
        conn = self.conn
        if self.log_rows:
            conn.execute(insert(change_log), self.log_rows)
        if self.new_records:
            conn.execute(insert(record), list(self.new_records.values()))
        if self.changed_records:
            conn.execute(
                update(record)
                .where(record.c.record_type == bindparam("key_type"))
                .where(record.c.record_id == bindparam("key_id"))
                .values(data=bindparam("data"), seq=bindparam("seq"), device_id=bindparam("device_id")),
                [
                    {"key_type": r["record_type"], "key_id": r["record_id"], "data": r["data"], "seq": r["seq"], "device_id": r["device_id"]}
                    for r in self.changed_records.values()
                ],
            )
        if self.answer_rows:
            conn.execute(insert(answer), self.answer_rows)
        if self.conflict_rows:
            conn.execute(insert(conflict), self.conflict_rows)

    def answered(self, result: Answer) -> None:
        self.answer_rows.append(
            dict(
                device_id=self.device.id,
                change_id=result.change_id,
                status=result.status,
                seq=result.seq,
                reason=result.reason.value if result.reason else None,
                detail=result.detail,
                current=_json(result.current) if result.current is not None else None,
            )
        )

    def conflict(self, change: Change, reason: Reason, kept: str, other: str) -> None:
        self.conflict_rows.append(
            dict(
                record_type=change.type,
                record_id=change.record_id,
                change_id=change.id,
                device_id=self.device.id,
                reason=reason.value,
                kept=kept,
                other=other,
                at=self.now,
            )
        )

    # -- who may refer to what --------------------------------------------------------------------

    def knows(self, client_id: str) -> bool:
        """Whether the device's unit knows the client: one of its devices sent it (the change
        log holds a client entry for the unit)."""
        return self.device.unit_id in self.client_units[client_id]

    def require_client(self, client_id: str) -> None:
        """A client the device's unit knows; any other (another unit's, or none) is refused
        the same way, so that the answer does not tell which ids exist."""
        if not self.knows(client_id):
            raise Rejected(Reason.OUT_OF_SCOPE, "no such client at this device's unit")

    def require_worker(self, worker_id: str, role: str) -> dict:
        """A worker of the device's unit, in one of its registers."""
        worker = self.require(RecordType.WORKER, worker_id)
        data = json.loads(worker["data"])
        if data["unit_id"] != self.device.unit_id or data.get("sector") not in self.device.registers:
            raise Rejected(Reason.OUT_OF_SCOPE, f"{role} is not a worker of this device's unit and register")
        return worker

    def require_own_contact(self, contact_id: str, role: str) -> dict:
        """A contact of the device's unit and register (one it may see)."""
        contact = self.get(RecordType.CONTACT, contact_id)
        if contact is None or not self._sees(contact):
            raise Rejected(Reason.OUT_OF_SCOPE, f"{role} is not a contact of this device's unit and register")
        return contact

    def _sees(self, row: dict) -> bool:
        return row["unit_id"] == self.device.unit_id and row["register"] in self.device.registers

    def may_see(self, record_type: str, row: dict) -> bool:
        """Whether a record the server holds may go back to this device (as `current`)."""
        if record_type == RecordType.CLIENT.value:
            return row["unit_id"] == self.device.unit_id  # the unit whose identification it is
        if record_type == RecordType.CONSENT.value:
            return row["unit_id"] == self.device.unit_id
        if record_type == RecordType.SLOT.value:
            return True  # sent as `visible_slot` makes it
        return self._sees(row)

    def visible_slot(self, data: dict) -> dict:
        """A slot as this device may see it: its holder only when the holder is a contact of
        the device's unit and register, else TAKEN (taken, by whom not said)."""
        holder = data.get("booked_contact_id")
        if holder is None or holder == TAKEN:
            return data
        key = (RecordType.CONTACT.value, holder)
        if key not in self.records:
            self.load({key}, set(), set())
        contact = self.records[key]
        if contact is not None and self._sees(contact):
            return data
        return {**data, "booked_contact_id": TAKEN}

    # -- the rules -------------------------------------------------------------------------------

    def apply(self, item: Prepared) -> Answer:
        change = item.change
        try:
            if item.error is not None:
                raise item.error
            handler = {
                "client": self._client,
                "contact": self._contact,
                "follow_up": self._follow_up,
                "booking": self._booking,
                "missed_appointment": self._missed_appointment,
                "consent": self._consent,
                "callback": self._callback,
                "appointment": self._appointment,
                "merge": self._merge,
            }[change.type]
            data, text = self._redirected(change, item.data, item.text)
            return handler(change, data, text)
        except Rejected as rejection:
            # A rejected change of a record the server has comes back with the server's
            # version, so the device ends as the server is (its own stays in its problem list);
            # only a record the device may see, or the slot as it may see it.
            current = None
            if change.type not in ("contact", "missed_appointment", "merge"):
                current_type = RecordType.SLOT if change.type == "booking" else RecordType(change.type)
                current = self.get(current_type, change.record_id)
                if current is not None and not self.may_see(current_type.value, current):
                    current = None
            data = None
            if current is not None:
                data = json.loads(current["data"])
                if change.type == "booking":
                    data = self.visible_slot(data)
            elif change.type == "appointment" and rejection.current is not None:
                # A visit the server holds no change of: booked where its contact booked it
                # (only ever given once the contact was found to be the device's own).
                data, current = rejection.current, {"seq": self.require(RecordType.CONTACT, change.record_id)["seq"]}
            return Answer(
                change_id=change.id,
                status="rejected",
                reason=rejection.reason,
                detail=rejection.detail,
                current=data,
                seq=current["seq"] if current else None,
            )

    def _client(self, change: Change, data: dict, text: str) -> Answer:
        """A client's identification is kept per unit: the first unit to send the client holds
        the server's record, and its versions go to its own devices; another unit that sends
        the same person (the id derived from the same identity code) comes to know the client
        with the identification it sent, seen by its own devices only. No unit's version
        reaches or overwrites another's (docs/sync.md)."""
        dev = self.device
        current = self.get(RecordType.CLIENT, change.record_id)
        units = self.client_units[change.record_id]
        if current is None:
            seq = self.log(RecordType.CLIENT, change.record_id, text, dev.unit_id, None)
            self.put(RecordType.CLIENT, change.record_id, text, seq, dev.unit_id)
            units.add(dev.unit_id)
            return _accepted(change, seq)
        if current["unit_id"] != dev.unit_id:
            if dev.unit_id not in units and not data["identity_code"]:
                # Ids of clients without a code are random: this one is another unit's.
                raise Rejected(Reason.OUT_OF_SCOPE, "no such client at this device's unit")
            # The same person at this unit too: its own version, for its own devices.
            units.add(dev.unit_id)
            seq = self.log(RecordType.CLIENT, change.record_id, text, dev.unit_id, None)
            return _accepted(change, seq)
        if current["data"] == text:
            return _accepted(change, current["seq"])
        # A newer version: the later one in server order is kept; when it was made without
        # seeing the current one (another device's), the overwritten one is kept as a conflict.
        concurrent = change.base_seq < current["seq"] and current["device_id"] != dev.id
        previous = current["data"]
        if concurrent and data.get("protected") is False and json.loads(previous).get("protected"):
            # A non-disclosure order is never lifted by a version made without seeing it (a
            # device that had not heard of it, or one that added the client anew).
            data = {**data, "protected": True}
            text = _json(data)
        seq = self.log(RecordType.CLIENT, change.record_id, text, dev.unit_id, None)
        self.put(RecordType.CLIENT, change.record_id, text, seq)
        if concurrent:
            self.conflict(change, Reason.CONCURRENT_EDIT, text, previous)
            return _accepted(change, seq, Reason.CONCURRENT_EDIT)
        return _accepted(change, seq)

    def _contact(self, change: Change, data: dict, text: str) -> Answer:
        dev = self.device
        contact = data["contact"]
        register = ServiceArea(contact["service_area"]).register.value
        if contact["sector"] != register:
            raise Rejected(Reason.INVALID, f"the contact's sector is not its service area's register ({register})")
        if contact["unit_id"] != dev.unit_id or register not in dev.registers:
            raise Rejected(Reason.OUT_OF_SCOPE, "the contact is not of this device's unit and register")
        again = self._recorded_once(
            RecordType.CONTACT, change, text, "a signed contact cannot change; a correction is a new version"
        )
        if again is not None:
            return again
        self.require_worker(contact["worker_id"], "the signer")
        if contact["client_id"]:
            self.require_client(contact["client_id"])
        if contact["supersedes_id"]:
            self.require(RecordType.CONTACT, contact["supersedes_id"])
            self.require_own_contact(contact["supersedes_id"], "the corrected contact")
        if data["outcome"] and data["outcome"]["slot_id"]:
            self.require(RecordType.SLOT, data["outcome"]["slot_id"])
        if contact["for_follow_up_id"]:
            # The follow-up it was taken for: one of the unit's and register's (issue 20).
            followed = self.require(RecordType.FOLLOW_UP, contact["for_follow_up_id"])
            if not self._sees(followed):
                raise Rejected(Reason.OUT_OF_SCOPE, "the follow-up it was taken for is not of this device's unit and register")
        for follow_up in data["follow_ups"]:
            self._check_follow_up(follow_up, contact)
            held = self.get(RecordType.FOLLOW_UP, follow_up["id"])
            if held is not None and held["parent_id"] != contact["id"]:
                raise Rejected(Reason.OUT_OF_SCOPE, "a follow-up of another contact cannot come with this one")
        seq = self.log(RecordType.CONTACT, change.record_id, text, dev.unit_id, register)
        self.put(RecordType.CONTACT, change.record_id, text, seq, dev.unit_id, register, contact["supersedes_id"])
        for follow_up in data["follow_ups"]:
            self.put(RecordType.FOLLOW_UP, follow_up["id"], _json(follow_up), seq, dev.unit_id, register, contact["id"])
        corrected = contact["supersedes_id"]
        if corrected:
            others = self.corrections[corrected] - {change.record_id}
            self.corrections[corrected].add(change.record_id)
            if others:
                self.conflict(change, Reason.TWO_CORRECTIONS, text, _json({"contact_id": sorted(others)[0]}))
                return _accepted(change, seq, Reason.TWO_CORRECTIONS)
        return _accepted(change, seq)

    def _check_follow_up(self, follow_up: dict, contact: dict) -> None:
        """A follow-up's assignee, client and team are of the device's unit (and register)."""
        self.require_worker(follow_up["assignee_id"], "the assignee")
        if follow_up["client_id"] and follow_up["client_id"] != contact["client_id"]:
            self.require_client(follow_up["client_id"])
        if follow_up["team_id"] and follow_up["team_id"] != self.device.unit_id:
            raise Rejected(Reason.OUT_OF_SCOPE, "the follow-up's team is not this device's unit")

    def _recorded_once(self, record_type: RecordType, change: Change, text: str, why: str) -> Answer | None:
        """For records that never change: the same again gets the same answer, a different
        one under the same id is refused; None when the record is new."""
        current = self.get(record_type, change.record_id)
        if current is None:
            return None
        if current["data"] == text:
            return _accepted(change, current["seq"])
        raise Rejected(Reason.IMMUTABLE, why)

    def _follow_up(self, change: Change, data: dict, text: str) -> Answer:
        dev = self.device
        current = self.get(RecordType.FOLLOW_UP, change.record_id)
        if current is not None and (not self._sees(current) or current["parent_id"] != data["contact_id"]):
            # Another unit's or register's follow-up, or one of another contact: not this device's.
            raise Rejected(Reason.OUT_OF_SCOPE, "the follow-up is not of this device's unit and register")
        contact = self.require(RecordType.CONTACT, data["contact_id"])
        if not self._sees(contact):
            raise Rejected(Reason.OUT_OF_SCOPE, "the follow-up is not of this device's unit and register")
        self._check_follow_up(data, json.loads(contact["data"])["contact"])
        conflict_with = None
        if current is not None:
            if current["data"] == text:
                return _accepted(change, current["seq"])
            concurrent = change.base_seq < current["seq"] and current["device_id"] != dev.id
            closed = json.loads(current["data"])["status"] in (FollowUpStatus.DONE.value, FollowUpStatus.CANCELLED.value)
            if concurrent and closed:
                # A task closed on another device first stays closed.
                raise Rejected(Reason.FOLLOW_UP_CLOSED, "the follow-up was closed on another device first", json.loads(current["data"]))
            if concurrent:
                conflict_with = current["data"]
        seq = self.log(RecordType.FOLLOW_UP, change.record_id, text, contact["unit_id"], contact["register"])
        self.put(RecordType.FOLLOW_UP, change.record_id, text, seq, contact["unit_id"], contact["register"], data["contact_id"])
        if conflict_with is not None:
            self.conflict(change, Reason.CONCURRENT_EDIT, text, conflict_with)
            return _accepted(change, seq, Reason.CONCURRENT_EDIT)
        return _accepted(change, seq)

    def _missed_appointment(self, change: Change, data: dict, text: str) -> Answer:
        """A missed appointment is a fact recorded once: the same again is the same answer,
        a different one under the same id is refused. It is seen by the devices of the unit
        that recorded it that hold its register (sector)."""
        dev = self.device
        if data["unit_id"] != dev.unit_id or data["sector"] not in dev.registers:
            raise Rejected(Reason.OUT_OF_SCOPE, "the missed appointment is not of this device's unit and register")
        again = self._recorded_once(
            RecordType.MISSED_APPOINTMENT, change, text, "a recorded missed appointment cannot change"
        )
        if again is not None:
            return again
        self.require_client(data["client_id"])
        seq = self.log(RecordType.MISSED_APPOINTMENT, change.record_id, text, dev.unit_id, data["sector"])
        self.put(RecordType.MISSED_APPOINTMENT, change.record_id, text, seq, dev.unit_id, data["sector"])
        return _accepted(change, seq)

    def _consent(self, change: Change, data: dict, text: str) -> Answer:
        """A consent is recorded once, at the device's unit, by one of its workers, for a
        client the unit knows; the one change it may have later is its revocation
        (revoked_at from null to a time). It goes to the devices of the unit that recorded it."""
        dev = self.device
        if data["unit_id"] != dev.unit_id or data["to_register"] not in dev.registers:
            raise Rejected(Reason.OUT_OF_SCOPE, "the consent is not of this device's unit and register")
        current = self.get(RecordType.CONSENT, change.record_id)
        if current is not None:
            if current["unit_id"] != dev.unit_id:
                raise Rejected(Reason.OUT_OF_SCOPE, "the consent is not of this device's unit and register")
            if current["data"] == text:
                return _accepted(change, current["seq"])
            held = json.loads(current["data"])
            revoked = held["revoked_at"] is None and data["revoked_at"] is not None
            if not revoked or {**held, "revoked_at": None} != {**data, "revoked_at": None}:
                raise Rejected(Reason.IMMUTABLE, "a recorded consent cannot change; it can only be revoked, once")
        self.require_worker(data["recorded_by"], "recorded_by")
        self.require_client(data["client_id"])
        seq = self.log(RecordType.CONSENT, change.record_id, text, dev.unit_id, None)
        self.put(RecordType.CONSENT, change.record_id, text, seq, dev.unit_id, None, data["client_id"])
        return _accepted(change, seq)

    def _callback(self, change: Change, data: dict, text: str) -> Answer:
        """A callback request of the unit's shared queue: the first take to reach the
        server wins, a done one stays done, a reopen comes only from the device that took
        it. Seen by the unit's devices that hold its register (sector)."""
        dev = self.device
        if data["unit_id"] != dev.unit_id or data["sector"] not in dev.registers:
            raise Rejected(Reason.OUT_OF_SCOPE, "the callback request is not of this device's unit and register")
        if data["taken_by"]:
            self.require_worker(data["taken_by"], "taken_by")
        if data["client_id"]:
            self.require_client(data["client_id"])
        if data["contact_id"] and self.get(RecordType.CONTACT, data["contact_id"]) is not None:
            # (a draft's contact is not on the server yet)
            self.require_own_contact(data["contact_id"], "the callback's contact")
        current = self.get(RecordType.CALLBACK, change.record_id)
        if current is not None:
            if current["data"] == text:
                return _accepted(change, current["seq"])
            if not self._sees(current):
                raise Rejected(Reason.OUT_OF_SCOPE, "the callback request is not of this device's unit and register")
            held = json.loads(current["data"])
            status, was = data["status"], held["status"]
            kept = Answer(
                change_id=change.id, status="accepted", seq=current["seq"], current=held,
                detail="the server's version is kept",
            )
            mine = current["device_id"] == dev.id
            # A call without an answer that the server has not had: a later latest attempt.
            called = data["last_attempt_at"] is not None and (
                held["last_attempt_at"] is None
                or datetime.fromisoformat(data["last_attempt_at"]) > datetime.fromisoformat(held["last_attempt_at"])
            )
            if called and status == "open" and was == "open" and not mine and change.base_seq < current["seq"]:
                # Two workers called the same caller without an answer at the same time: the
                # first call to reach the server counts, the other device takes its version.
                raise Rejected(Reason.CALLBACK_TAKEN, "another worker called this caller first", held)
            if status == "open" and not called and not mine and change.base_seq < current["seq"]:
                # Imported again on a device that had not seen the server's version (or opened
                # there before it saw the take): nothing to decide, the device takes the server's.
                return kept
            if any(data[key] != held[key] for key in CALLBACK_REQUEST):
                raise Rejected(Reason.IMMUTABLE, "a callback request is the phone system's: it cannot change", held)
            same_take = (data["taken_by"], data["contact_id"]) == (held["taken_by"], held["contact_id"])
            if was in ("done", "cancelled"):
                if status == was and same_take and data["result"] == held["result"]:
                    return kept
                raise Rejected(Reason.CALLBACK_TAKEN, "the callback request was done on another device first", held)
            if was == "open":
                if status == "open" and not called:
                    return kept
            elif status == "open":  # a reopen of a taken one: from the device that took it
                if not mine:
                    raise Rejected(Reason.CALLBACK_TAKEN, "another worker has taken this callback request", held)
            elif status == "taken":
                if not same_take:
                    raise Rejected(Reason.CALLBACK_TAKEN, "another worker took this callback request first", held)
                return kept
            elif not (mine or data["contact_id"] == held["contact_id"]):  # done by another
                raise Rejected(Reason.CALLBACK_TAKEN, "another worker took this callback request first", held)
            if held["attempts"] > data["attempts"]:
                # Calls recorded on another device that this one had not seen are kept.
                data = {**data, **{key: held[key] for key in ("attempts", "first_attempt_at", "last_attempt_at")}}
                text = _json(data)
        seq = self.log(RecordType.CALLBACK, change.record_id, text, dev.unit_id, data["sector"])
        self.put(RecordType.CALLBACK, change.record_id, text, seq, dev.unit_id, data["sector"])
        return _accepted(change, seq)

    def _appointment(self, change: Change, data: dict, text: str) -> Answer:
        """A booked visit cancelled, moved, done or missed (issue 20): only one of the
        device's unit and register; only a visit still booked changes, and the first change
        to reach the server wins (a change made on an older version from another device is
        refused, `booking_changed`). A move takes the new slot and gives back the old one
        here, together: a new slot held by another contact is refused (`slot_taken`) and
        nothing changes. A cancelled visit gives its slot back."""
        dev = self.device
        contact_row = self.require_own_contact(data["contact_id"], "the booking's contact")
        family = json.loads(contact_row["data"])
        contact, outcome = family["contact"], family["outcome"]
        if not outcome or outcome["kind"] != OutcomeKind.BOOKING.value or not outcome["slot_id"]:
            raise Rejected(Reason.INVALID, "the contact made no booking")
        if (data["unit_id"], data["sector"], data["client_id"]) != (contact["unit_id"], contact["sector"], contact["client_id"]):
            raise Rejected(Reason.INVALID, "unit_id, sector and client_id are the booking contact's")
        self.require_worker(data["changed_by"], "changed_by")
        current = self.get(RecordType.APPOINTMENT, change.record_id)
        if current is not None and current["data"] == text:
            return _accepted(change, current["seq"])
        held = json.loads(current["data"]) if current is not None else {
            "id": contact["id"], "contact_id": contact["id"], "client_id": contact["client_id"],
            "unit_id": contact["unit_id"], "sector": contact["sector"], "slot_id": outcome["slot_id"],
            "status": "booked", "reason": "", "moves": "[]", "changed_by": contact["worker_id"],
            "changed_at": _utc(contact["signed_at"] or contact["updated_at"]),
        }
        if current is not None and change.base_seq < current["seq"] and current["device_id"] != dev.id:
            raise Rejected(Reason.BOOKING_CHANGED, "the booking was changed on another device first", held)
        if held["status"] != "booked":
            raise Rejected(Reason.BOOKING_CHANGED, f"the booking is {held['status']} already", held)
        moves, held_moves = json.loads(data["moves"]), json.loads(held["moves"])
        contact_id = contact["id"]
        if data["slot_id"] != held["slot_id"]:
            if data["status"] != "booked" or moves[:-1] != held_moves or not moves or moves[-1]["slot_id"] != held["slot_id"]:
                raise Rejected(Reason.INVALID, "a move keeps the visit booked and adds the time it leaves to moves")
            new = self._slot(data["slot_id"])
            if new.get("booked_contact_id") not in (None, contact_id):
                raise Rejected(Reason.SLOT_TAKEN, "another device booked this time first", held)
            self._hold(new, contact_id)
            old = self._slot(held["slot_id"])
            if old.get("booked_contact_id") == contact_id:
                self._hold(old, None)
        elif moves != held_moves:
            raise Rejected(Reason.INVALID, "moves change only when the visit moves")
        elif data["status"] == "cancelled":
            slot = self._slot(held["slot_id"])
            if slot.get("booked_contact_id") == contact_id:
                self._hold(slot, None)
        seq = self.log(RecordType.APPOINTMENT, change.record_id, text, contact_row["unit_id"], contact_row["register"])
        self.put(RecordType.APPOINTMENT, change.record_id, text, seq, contact_row["unit_id"], contact_row["register"], contact_id)
        return _accepted(change, seq)

    def _slot(self, slot_id: str) -> dict:
        key = (RecordType.SLOT.value, slot_id)
        if key not in self.records:
            self.load({key}, set(), set())
        return json.loads(self.require(RecordType.SLOT, slot_id)["data"])

    def _hold(self, slot: dict, contact_id: str | None) -> None:
        slot = {**slot, "booked_contact_id": contact_id}
        text = _json(slot)
        seq = self.log(RecordType.SLOT, slot["id"], text, None, None)
        self.put(RecordType.SLOT, slot["id"], text, seq)
    # -- duplicates and merge (issue 20) ---------------------------------------------------------

    def _merge(self, change: Change, data: dict, text: str) -> Answer:
        """A team lead of the device's unit merges a client the unit knows, recorded with a
        temporary identity code (or none), into one with the real code. The merged client's
        records at the unit move to the real client on the server (the stored versions; the
        change log keeps what was sent, and each device moves its own when the merge reaches
        it); a change naming the merged client later is taken as naming the real one."""
        dev = self.device
        if data["unit_id"] != dev.unit_id:
            raise Rejected(Reason.OUT_OF_SCOPE, "the merge is not of this device's unit")
        # Unknown and another unit's clients are refused alike (the answer tells no ids).
        self.require_client(change.record_id)
        self.require_client(data["into_id"])
        worker = json.loads(self.require_worker(data["worker_id"], "the merging worker")["data"])
        if worker.get("role") != "team_lead":
            raise Rejected(Reason.NOT_PERMITTED, "only a team lead may merge clients")
        current = self.get(RecordType.MERGE, change.record_id)
        # A merge is stored under the merged client's id alone: one made at another unit
        # (two units may know one temporary-code client) is refused as an unknown client
        # is, telling nothing of it; this unit cannot merge that client (review of issue 20).
        if current is not None and current["unit_id"] != dev.unit_id:
            raise Rejected(Reason.OUT_OF_SCOPE, "no such client at this device's unit")
        if current is not None:
            if json.loads(current["data"])["into_id"] == data["into_id"]:
                return _accepted(change, current["seq"])  # the same merge again, from any device
            raise Rejected(Reason.IMMUTABLE, "the client was merged into another client already")
        into = self.get(RecordType.MERGE, data["into_id"])
        if into is not None and into["unit_id"] != dev.unit_id:
            raise Rejected(Reason.OUT_OF_SCOPE, "no such client at this device's unit")
        if into is not None:
            raise Rejected(Reason.INVALID, "the client to merge into was itself merged into another")
        source = json.loads(self.require(RecordType.CLIENT, change.record_id)["data"])
        target = json.loads(self.require(RecordType.CLIENT, data["into_id"])["data"])
        if source["identity_code"] and not source["identity_temporary"]:
            raise Rejected(Reason.INVALID, "only a client with a temporary identity code or none is merged")
        if not target["identity_code"] or target["identity_temporary"]:
            raise Rejected(Reason.INVALID, "a client is merged into one with a real identity code")
        seq = self.log(RecordType.MERGE, change.record_id, text, dev.unit_id, None)
        self.put(RecordType.MERGE, change.record_id, text, seq, dev.unit_id, None, data["into_id"])
        self._move_records(change.record_id, data["into_id"])
        return _accepted(change, seq)

    def _move_records(self, from_id: str, into_id: str) -> None:
        """The unit's stored records of the merged client, rewritten to the real client in
        place (same sequence: no new version goes out; the merge itself does)."""
        marker = f'%"client_id":"{from_id}"%'
        rows = driver_rows(
            self.conn,
            f"SELECT {', '.join(RECORD_COLUMNS)} FROM record WHERE unit_id = ? AND data LIKE ? "
            f"AND record_type IN ({', '.join('?' for _ in MOVED_TYPES)})",
            [self.device.unit_id, marker, *MOVED_TYPES],
        )
        held = {(row[0], row[1]): dict(zip(RECORD_COLUMNS, row)) for row in rows}
        for key, row in self.records.items():  # this batch's own, not yet written
            if row is not None and key[0] in MOVED_TYPES and row["unit_id"] == self.device.unit_id:
                held[key] = row
        for key, row in held.items():
            data = json.loads(row["data"])
            if not _redirect_client(key[0], data, {from_id: into_id}):
                continue
            moved = {**(self.records.get(key) or row), "data": _json(data)}
            self.records[key] = moved
            if key in self.new_records:
                self.new_records[key] = moved
            else:
                self.changed_records[key] = moved

    def _redirected(self, change: Change, data: dict | None, text: str) -> tuple[dict | None, str]:
        """A change naming a client merged at the device's unit, as naming the real client
        (a device that had not heard of the merge, e.g. one offline when it was made)."""
        if data is None or change.type in ("client", "merge", "booking"):
            return data, text
        merges: dict[str, str] = {}
        for client_id in _client_ids(change.type, data):
            merge = self.get(RecordType.MERGE, client_id)
            if merge is not None and merge["unit_id"] == self.device.unit_id:
                merges[client_id] = merge["parent_id"]
        if not merges:
            return data, text
        data = json.loads(text)
        _redirect_client(change.type, data, merges)
        self.load(set(), set(merges.values()), set())  # whether the unit knows the real one
        return data, _json(data)

    def _booking(self, change: Change, data: dict, _text: str) -> Answer:
        slot = self.require(RecordType.SLOT, data["slot_id"])
        # Both contacts must be the device's own (its unit and register): naming another's
        # contact as the previous holder does not take its slot.
        for key, role in (("contact_id", "the booking's contact"), ("previous_contact_id", "the previous holder")):
            if data[key]:
                self.require_own_contact(data[key], role)
        slot_data = json.loads(slot["data"])
        holder = slot_data.get("booked_contact_id")
        wanted, previous = data["contact_id"], data["previous_contact_id"]
        if wanted is None:  # given back: only by the contact that held it
            if holder is None or holder != previous:
                return _accepted(change, slot["seq"])
        elif holder not in (None, wanted, previous):
            raise Rejected(Reason.SLOT_TAKEN, "another device booked this time first")
        if holder == wanted:
            return _accepted(change, slot["seq"])
        slot_data["booked_contact_id"] = wanted
        text = _json(slot_data)
        seq = self.log(RecordType.SLOT, slot_data["id"], text, None, None)
        self.put(RecordType.SLOT, slot_data["id"], text, seq)
        return _accepted(change, seq)


MOVED_TYPES = (
    RecordType.CONTACT.value, RecordType.FOLLOW_UP.value, RecordType.MISSED_APPOINTMENT.value,
    RecordType.CONSENT.value, RecordType.CALLBACK.value, RecordType.APPOINTMENT.value,
)


def _client_ids(record_type: str, data: dict) -> list[str]:
    """The clients a pushed record names."""
    if record_type == RecordType.CONTACT.value:
        ids = [data["contact"]["client_id"], *(f["client_id"] for f in data["follow_ups"])]
    else:
        ids = [data.get("client_id")]
    return [client_id for client_id in ids if client_id]


def _redirect_client(record_type: str, data: dict, merges: dict[str, str]) -> bool:
    """Rename the merged clients in a record (in place); whether anything changed."""
    rows = [data["contact"], *data["follow_ups"]] if record_type == RecordType.CONTACT.value else [data]
    changed = False
    for row in rows:
        if row.get("client_id") in merges:
            row["client_id"], changed = merges[row["client_id"]], True
    return changed


def references(items: list[Prepared]) -> tuple[set[tuple[str, str]], set[str], set[str]]:
    """The records a batch reads: (type, id) keys, the clients whose units matter, and the
    contacts that corrections in the batch correct."""
    keys: set[tuple[str, str]] = set()
    clients: set[str] = set()
    corrected: set[str] = set()

    def want(record_type: RecordType, record_id: str | None) -> None:
        if record_id:
            keys.add((record_type.value, record_id))

    for item in items:
        if item.error is not None:
            continue
        data, change = item.data, item.change
        if change.type == "client":
            want(RecordType.CLIENT, change.record_id)
            clients.add(change.record_id)
        elif change.type == "contact":
            contact = data["contact"]
            want(RecordType.CONTACT, contact["id"])
            want(RecordType.WORKER, contact["worker_id"])
            want(RecordType.CLIENT, contact["client_id"])
            if contact["client_id"]:
                clients.add(contact["client_id"])
            want(RecordType.CONTACT, contact["supersedes_id"])
            if contact["supersedes_id"]:
                corrected.add(contact["supersedes_id"])
            if data["outcome"]:
                want(RecordType.SLOT, data["outcome"]["slot_id"])
            want(RecordType.FOLLOW_UP, contact["for_follow_up_id"])
            for follow_up in data["follow_ups"]:
                want(RecordType.WORKER, follow_up["assignee_id"])
                want(RecordType.FOLLOW_UP, follow_up["id"])
                if follow_up["client_id"]:
                    clients.add(follow_up["client_id"])
        elif change.type == "follow_up":
            want(RecordType.FOLLOW_UP, change.record_id)
            want(RecordType.CONTACT, data["contact_id"])
            want(RecordType.WORKER, data["assignee_id"])
            if data["client_id"]:
                clients.add(data["client_id"])
        elif change.type == "missed_appointment":
            want(RecordType.MISSED_APPOINTMENT, change.record_id)
            want(RecordType.CLIENT, data["client_id"])
            clients.add(data["client_id"])
        elif change.type == "callback":
            want(RecordType.CALLBACK, change.record_id)
            want(RecordType.WORKER, data["taken_by"])
            want(RecordType.CLIENT, data["client_id"])
            want(RecordType.CONTACT, data["contact_id"])
            if data["client_id"]:
                clients.add(data["client_id"])
        elif change.type == "consent":
            want(RecordType.CONSENT, change.record_id)
            want(RecordType.CLIENT, data["client_id"])
            want(RecordType.WORKER, data["recorded_by"])
            clients.add(data["client_id"])
        elif change.type == "appointment":
            want(RecordType.APPOINTMENT, change.record_id)
            want(RecordType.CONTACT, data["contact_id"])
            want(RecordType.WORKER, data["changed_by"])
            want(RecordType.SLOT, data["slot_id"])
        elif change.type == "merge":
            for client_id in (change.record_id, data["into_id"]):
                want(RecordType.CLIENT, client_id)
                want(RecordType.MERGE, client_id)
                clients.add(client_id)
            want(RecordType.WORKER, data["worker_id"])
        else:
            want(RecordType.SLOT, data["slot_id"])
            want(RecordType.CONTACT, data["contact_id"])
            want(RecordType.CONTACT, data["previous_contact_id"])
    for client_id in clients:  # a client merged since the device last pulled: see Batch._redirected
        want(RecordType.MERGE, client_id)
    return keys, clients, corrected
