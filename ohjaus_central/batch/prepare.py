"""A pushed change made ready for the writer (`prepare`), before the push lock and without
the database: each record type's own rules on top of the field checks (checks.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ohjaus_core import records
from ohjaus_core.domain.callbacks import MAX_QUEUE, ORIGINS, PREFERENCES, PRIORITIES
from ohjaus_core.domain.codes import Channel, FollowUpKind, FollowUpStatus, HighNeedTrigger, Register, ServiceArea, Urgency
from ohjaus_core.domain.contact import Step
from ohjaus_core.domain.identity import client_id_for
from ohjaus_core.protocol import Change, Reason
from .checks import _UUID, Rejected, _json, _loads, validated

FAMILY = frozenset(records.ContactFamily.model_fields)  # a contact's change: the contact and its parts
BOOKING = frozenset(records.Booking.model_fields)
REGISTERS = frozenset(register.value for register in Register)
_STEPS = tuple(step.value for step in Step)
_TRIGGERS = frozenset(trigger.value for trigger in HighNeedTrigger)


def contact_family(data: Any, record_id: str) -> dict:
    if not isinstance(data, dict) or set(data) != FAMILY:
        raise Rejected(Reason.INVALID, f"a contact has exactly: {', '.join(sorted(FAMILY))}")
    contact = validated(records.Contact, data["contact"], record_id)
    if contact["status"] != "signed":
        raise Rejected(Reason.INVALID, "only signed contacts are sent")
    try:
        ServiceArea(contact["service_area"])
        Channel(contact["channel"])
    except ValueError:
        raise Rejected(Reason.INVALID, "unknown service area or channel") from None
    if contact["reply_channel"] not in (None, *PREFERENCES):
        raise Rejected(Reason.INVALID, f"reply_channel: not one of {', '.join(PREFERENCES)}")
    # What every device of the unit reads back into a draft to view or correct the contact
    # (store/contacts.load_draft): a step or a trigger it does not know made that fail with a
    # ValueError, and a correction of it ended the app (sec2 probe).
    if contact["step"] not in _STEPS:
        raise Rejected(Reason.INVALID, f"step: not one of {', '.join(map(str, _STEPS))}")
    family: dict[str, Any] = {"contact": contact}
    for key, schema in (("assessment", records.Assessment), ("segment", records.Segment), ("outcome", records.Outcome)):
        child = data[key]
        if child is None:
            family[key] = None
            continue
        if not isinstance(child, dict):
            raise Rejected(Reason.INVALID, f"{key} must be an object or null")
        family[key] = validated(schema, child, child.get("id", ""))
        if family[key]["contact_id"] != record_id:
            raise Rejected(Reason.INVALID, f"{key} belongs to another contact")
    segment = family["segment"]
    if segment is not None and segment["triggers"] != "[]" and not set(_loads(segment["triggers"])) <= _TRIGGERS:
        raise Rejected(Reason.INVALID, f"triggers: each one of {', '.join(sorted(_TRIGGERS))}")
    if not isinstance(data["follow_ups"], list) or len(data["follow_ups"]) > 20:
        raise Rejected(Reason.INVALID, "follow_ups must be a list of at most 20")
    family["follow_ups"] = []
    for item in data["follow_ups"]:
        follow_up = validated(records.FollowUp, item, item.get("id", "") if isinstance(item, dict) else "")
        if follow_up["contact_id"] != record_id:
            raise Rejected(Reason.INVALID, "a follow-up belongs to another contact")
        family["follow_ups"].append(follow_up)
    return family


def booking(data: Any, record_id: str) -> dict:
    if (
        not isinstance(data, dict)
        or set(data) != BOOKING
        or not all(value is None or (isinstance(value, str) and _UUID.match(value)) for value in data.values())
        or data["slot_id"] != record_id
    ):
        raise Rejected(Reason.INVALID, "a booking has slot_id (the record id), contact_id and previous_contact_id")
    return dict(data)


def consent_record(data: Any, record_id: str) -> dict:
    """A consent between the two registers (or its denial), its times in UTC so that the
    same moment is the same text however the device wrote it."""
    consent = validated(records.Consent, data, record_id)
    if consent["from_register"] not in REGISTERS or consent["to_register"] not in REGISTERS:
        raise Rejected(Reason.INVALID, "from_register and to_register are health or social")
    if consent["from_register"] == consent["to_register"]:
        raise Rejected(Reason.INVALID, "a consent is between the two registers")
    if consent["decision"] not in ("granted", "denied"):
        raise Rejected(Reason.INVALID, "decision is granted or denied")
    for key in ("recorded_at", "revoked_at"):
        if consent[key] is not None:
            consent[key] = in_utc(consent[key])
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
    callback = validated(records.Callback, data, record_id)
    if callback["sector"] not in REGISTERS:
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
        if callback[key] is not None:
            callback[key] = in_utc(callback[key])
    return callback


APPOINTMENT_STATUSES = ("booked", "cancelled", "done", "no_show")
MOVE_KEYS = {"slot_id", "starts_at", "at", "reason"}
MAX_MOVES = 50


def appointment_record(data: Any, record_id: str) -> dict:
    """A booked visit after its contact (issue 20), under the contact's id; its earlier times
    (`moves`) a list of {slot_id, starts_at, at, reason}."""
    appointment = validated(records.Appointment, data, record_id)
    if appointment["contact_id"] != record_id:
        raise Rejected(Reason.INVALID, "an appointment's id is its contact's id")
    if appointment["status"] not in APPOINTMENT_STATUSES:
        raise Rejected(Reason.INVALID, f"status: not one of {', '.join(APPOINTMENT_STATUSES)}")
    if appointment["sector"] not in REGISTERS:
        raise Rejected(Reason.INVALID, "sector is health or social")
    try:
        moves = _loads(appointment["moves"])
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
    appointment["changed_at"] = in_utc(appointment["changed_at"])
    return appointment


def in_utc(value: str) -> str:
    """An ISO 8601 time as the same moment in UTC (one without an offset read as UTC)."""
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
            data = validated(records.Client, change.data, change.record_id)
            if data["identity_code"] and data["id"] != client_id_for(data["identity_code"]):
                raise Rejected(Reason.INVALID, "the client's id is not the one derived from its identity code")
        elif change.type == "contact":
            data = contact_family(change.data, change.record_id)
        elif change.type == "follow_up":
            data = validated(records.FollowUp, change.data, change.record_id)
            try:
                FollowUpKind(data["kind"]), FollowUpStatus(data["status"])
            except ValueError:
                raise Rejected(Reason.INVALID, "unknown follow-up kind or status") from None
        elif change.type == "missed_appointment":
            data = validated(records.MissedAppointment, change.data, change.record_id)
            if data["sector"] not in REGISTERS:
                raise Rejected(Reason.INVALID, "sector is health or social")
        elif change.type == "consent":
            data = consent_record(change.data, change.record_id)
        elif change.type == "callback":
            data = callback_record(change.data, change.record_id)
        elif change.type == "appointment":
            data = appointment_record(change.data, change.record_id)
        elif change.type == "merge":
            data = validated(records.Merge, change.data, change.record_id)
            if data["into_id"] == data["id"]:
                raise Rejected(Reason.INVALID, "a client cannot be merged into itself")
        else:
            data = booking(change.data, change.record_id)
    except Rejected as rejection:
        return Prepared(change, error=rejection)
    return Prepared(change, data, _json(data))

