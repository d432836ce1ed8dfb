"""The sync protocol between a device and the central API, shared by both sides.

A change is one record as a whole (never a field patch), sent with a UUID that is its
idempotency key and the server sequence of the version it was made on (`base_seq`).
Push: POST /v1/push with up to MAX_BATCH changes, applied in one transaction, one answer
per change. Pull: GET /v1/changes?after=SEQ&limit=N, the accepted changes in server order.
The conflict rule of every record type is in docs/sync.md.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

API_VERSION = "v1"
MAX_BATCH = 500  # changes in one push
MAX_PAGE = 1000  # changes in one pull page
MAX_BODY_BYTES = 4 * 1024 * 1024  # a push body larger than this is refused with 413
MAX_TEXT = 20_000  # characters in any one text field of a record

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# A record id the server holds: a UUID, or a name of the region's reference data ("services").
RECORD_ID_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$"
# Text without a NUL: PostgreSQL can neither store nor compare one (a 500, not a refusal).
NO_NUL = r"^[^\x00]*$"



def _not_true_or_false(value):
    """JSON Schema's integer is never true or false; pydantic's lax int would take them as 1 and 0
    (schemathesis sent count=false and the server took it for 0). 3.0 stays 3, as the schema allows."""
    if isinstance(value, bool):
        raise ValueError("a number, not true or false")
    return value


# An integer as JSON Schema means it: a number with no fraction, never a boolean.
Number = Annotated[int, BeforeValidator(_not_true_or_false)]

class RecordType(StrEnum):
    # Made on devices and pushed.
    CLIENT = "client"
    CONTACT = "contact"  # a signed contact with its assessment, segment, outcome, follow-ups
    FOLLOW_UP = "follow_up"
    BOOKING = "booking"  # a slot taken for a contact, or given back
    MISSED_APPOINTMENT = "missed_appointment"  # a client did not come (high-need trigger)
    # A booked visit after its contact: cancelled, moved to another slot, done or missed
    # (issue 20); under the booking contact's id.
    APPOINTMENT = "appointment"
    CONSENT = "consent"  # the client's consent between registers, or its denial
    CALLBACK = "callback"  # a callback request of a unit's queue: open, taken, done
    # A client recorded with a temporary code (or none) joined by a team lead into the client
    # with the real identity code; record id: the merged (old) client's id (issue 20).
    MERGE = "merge"
    # The region's reference data: made on the server, pulled by every device.
    UNIT = "unit"
    WORKER = "worker"
    PROFESSIONAL = "professional"
    SLOT = "slot"
    # A worker's sign-in verifier (never the passphrase), set at enrolment (POST /v1/enrol)
    # and pulled by the devices of the worker's unit.
    CREDENTIAL = "credential"
    # The region's referral catalogue (services.toml as `ohjaus region import` read it), one
    # record `services` for every device; a device uses it instead of its data folder's.
    CATALOGUE = "catalogue"


CATALOGUE_ID = "services"  # the one catalogue record's id

PUSHED_TYPES = (
    RecordType.CLIENT, RecordType.CONTACT, RecordType.FOLLOW_UP, RecordType.BOOKING,
    RecordType.MISSED_APPOINTMENT, RecordType.CONSENT, RecordType.CALLBACK, RecordType.APPOINTMENT,
    RecordType.MERGE,
)


class Reason(StrEnum):
    """Why a change was rejected or answered with a conflict; devices translate the codes."""

    INVALID = "invalid"  # a field is missing, of the wrong type or too long
    OUT_OF_SCOPE = "out_of_scope"  # not the device's unit or register
    UNKNOWN_REFERENCE = "unknown_reference"  # refers to a record the server does not have
    IMMUTABLE = "immutable"  # a signed contact sent again with other content
    SLOT_TAKEN = "slot_taken"  # another device booked the slot first
    FOLLOW_UP_CLOSED = "follow_up_closed"  # done or cancelled on another device first
    CONCURRENT_EDIT = "concurrent_edit"  # accepted, the other version kept as a conflict
    TWO_CORRECTIONS = "two_corrections"  # accepted; another correction of the same contact exists
    CALLBACK_TAKEN = "callback_taken"  # another worker took (or finished) the callback request first
    BOOKING_CHANGED = "booking_changed"  # the booked visit was cancelled, moved or marked on another device first
    NOT_PERMITTED = "not_permitted"  # the worker's role may not do this (a merge: team leads only)


class Change(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=UUID_PATTERN, description="the change's idempotency key")
    type: Literal[
        "client", "contact", "follow_up", "booking", "missed_appointment", "consent", "callback", "appointment",
        "merge",
    ]
    record_id: str = Field(min_length=1, max_length=64)
    base_seq: int = Field(default=0, ge=0, le=2**53, description="server sequence the change was made on")
    data: dict[str, Any]

    @field_validator("base_seq", mode="before")
    @classmethod
    def _not_a_bool(cls, value: Any) -> Any:
        # JSON Schema's integer takes 5.0 (pydantic does too) but not false, which pydantic
        # would read as 0: found by schemathesis.
        if isinstance(value, bool):
            raise ValueError("must be an integer, not a boolean")
        return value


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    changes: list[Change] = Field(max_length=MAX_BATCH)


class Answer(BaseModel):
    change_id: str
    status: Literal["accepted", "rejected"]
    seq: int | None = Field(default=None, description="server sequence of the record's version")
    reason: Reason | None = None
    detail: str = ""
    current: dict[str, Any] | None = Field(
        default=None, description="the server's version, when the change was not taken as sent"
    )


class PushResponse(BaseModel):
    answers: list[Answer]


class PulledChange(BaseModel):
    seq: int
    type: RecordType
    record_id: str
    data: dict[str, Any]


class PullResponse(BaseModel):
    changes: list[PulledChange]
    last_seq: int = Field(description="the cursor to store once this page is applied")
    more: bool


@dataclass(frozen=True)
class UnreadableChange:
    """A pulled change this device's version cannot read as a record (a record type or a
    shape a newer central API has, data that is not a JSON object or not JSON at all): its
    place in the server's order and its text as it came, kept aside on the device (never
    dropped: the cursor moves past it only with it kept), reported, tried again later."""

    seq: int
    type: str
    record_id: str
    text: str
    detail: str


class ReleasedClients(BaseModel):
    """GET /v1/released: the clients the device's unit no longer serves (issue 20)."""

    clients: list[str] = Field(description="client ids; the device removes those it holds")


class ClientRecords(BaseModel):
    """GET /v1/clients/{id}/records: every record about the client the device may see, as a
    pull would have sent them, for a device that removed the client and takes them back."""

    client_id: str
    changes: list[PulledChange]


class CallbackPush(BaseModel):
    """A callback request as a phone system pushes it (POST /v1/callbacks): the columns of a
    callback file (domain/callbacks.py), `id` (the phone system's own id) required."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(min_length=1, max_length=100, description="the phone system's id of the request")
    requested_at: str = Field(max_length=40, description="ISO 8601; without an offset, Finnish time")
    phone: str = Field(max_length=40)
    name: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=4000)
    identity_code: str | None = Field(default=None, max_length=20)
    unit: str | None = Field(default=None, max_length=64, description="the credential's unit code, if given")
    register_: str | None = Field(default=None, alias="register", max_length=10, description="health (default) or social")
    queue: str | None = Field(default=None, max_length=100, description="the service line")
    language: str | None = Field(default=None, max_length=10, description="ISO 639-1, default fi")
    priority: str | None = Field(default=None, max_length=10, description="high, normal (default) or low")


class CallbackAck(BaseModel):
    id: str  # the request's id in ohjaus
    created: bool  # False: received before under the phone system's id


class ContactRequestAck(BaseModel):
    id: str  # the request's id in ohjaus
    created: bool  # False: received before under the e-service's id
    notes: list[str] = Field(default_factory=list, description="answers kept as text (an unknown question id), and why")


class DeviceInfo(BaseModel):
    device_id: str
    name: str
    unit_code: str
    registers: list[str]


class ErrorBody(BaseModel):
    error: str
    detail: Any = None


# -- the access log: POST /v1/access-log, GET /v1/clients/{id}/access-log ----------------------

MAX_ACCESS_BATCH = 1000  # access-log entries in one request
HASH_PATTERN = r"^[0-9a-f]{64}$"


class AccessEntry(BaseModel):
    """One entry of a device's access log, as the device chained it (domain/access_log.py)."""

    model_config = ConfigDict(extra="forbid")

    seq: Number = Field(ge=1, le=2**62)
    id: str = Field(pattern=UUID_PATTERN)
    at: datetime
    worker_id: str = Field(pattern=UUID_PATTERN)
    unit_id: str = Field(pattern=UUID_PATTERN)
    client_id: str | None = Field(default=None, pattern=UUID_PATTERN)
    action: str = Field(pattern=r"^[a-z_]{1,20}$")
    item: str = Field(max_length=200, pattern=NO_NUL)
    sector: Literal["health", "social"] | None = None
    purpose: str = Field(max_length=MAX_TEXT, pattern=NO_NUL)
    recipient: str = Field(default="", max_length=MAX_TEXT, pattern=NO_NUL)
    prev_hash: str = Field(pattern=HASH_PATTERN)
    hash: str = Field(pattern=HASH_PATTERN)


class AccessLogPush(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: list[AccessEntry] = Field(max_length=MAX_ACCESS_BATCH)


class AccessLogAck(BaseModel):
    received: int = Field(description="entries new to the server (the rest it held already)")
    held_seq: int = Field(description="the highest entry number of this device the server holds")


class AccessEvent(BaseModel):
    """A use of the client's data, for the client's right to know (Client Data Act 703/2023 § 11)."""

    at: datetime
    worker_name: str | None = Field(description="None when the server made the entry or does not know the worker")
    action: str
    item: str
    sector: str | None = Field(description="the register whose data was used")
    purpose: str
    recipient: str
    unit_code: str = Field(description="the unit of the device that made the entry or the request")
    source: Literal["device", "server"] = Field(description="server: a device asked the server for the client's log")


class ClientAccessLog(BaseModel):
    client_id: str
    events: list[AccessEvent] = Field(description="newest first")
    more: bool = Field(description="older events were left out (limit)")


DEMO_KEY = b"ohjaus-demo-devices-only"  # public on purpose: accepted only by `serve --demo`


def demo_token(device_id: str, unit_code: str, registers: Iterable[str]) -> str:
    """The credential of a demo device: `serve --demo` enrols it on first use. A server
    started without --demo refuses it like any unknown credential."""
    body = f"{device_id}.{unit_code}.{'+'.join(registers)}"
    mac = hmac.new(DEMO_KEY, body.encode(), hashlib.sha256).hexdigest()[:32]
    return f"demo.{body}.{mac}"


# -- the device's state: POST /v1/device-state (issue 14) --------------------------------------

MAX_QUARANTINE_REPORT = 500


class AccessLogAnchor(BaseModel):
    """The device's access log as its anchor has it: the number of entries and the last
    one's hash (GENESIS for an empty log). The server keeps the highest it has seen."""

    model_config = ConfigDict(extra="forbid")

    count: Number = Field(ge=0, le=2**53)  # exact in a double: a bound a client can test
    hash: str = Field(pattern=HASH_PATTERN)


class QuarantineReport(BaseModel):
    """A pulled record the device could not apply and keeps aside (docs/sync.md)."""

    model_config = ConfigDict(extra="forbid")

    seq: Number = Field(ge=1, le=2**53)
    # Any record type this server's change log names: a device keeps aside also the records
    # of a type its version does not know (a newer record type; one a server row was damaged
    # into), and says so.
    type: str = Field(pattern=r"^[a-z_]{1,20}$")
    record_id: str = Field(pattern=RECORD_ID_PATTERN)
    reason: Literal["missing_reference", "duplicate_identity_code", "invalid"]


class DeviceState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    access_log: AccessLogAnchor
    quarantine: list[QuarantineReport] = Field(default_factory=list, max_length=MAX_QUARANTINE_REPORT)


class DeviceStateAck(BaseModel):
    access_log_count: int = Field(description="the highest access-log count the server has seen from this device")
    quarantine_received: int


# -- a worker's enrolment: POST /v1/enrol ------------------------------------------------------

HEX_PATTERN = r"^[0-9a-f]+$"


class WorkerVerifier(BaseModel):
    """A sign-in verifier made on the device from the passphrase (domain/credentials.py)."""

    model_config = ConfigDict(extra="forbid")

    kdf: Literal["argon2id"]
    params: str = Field(max_length=200, description="the KDF's cost as JSON: {\"m\": KiB, \"t\": passes, \"p\": lanes}")
    salt: str = Field(min_length=32, max_length=128, pattern=HEX_PATTERN)
    digest: str = Field(min_length=64, max_length=64, pattern=HEX_PATTERN)


class Enrolment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    worker_id: str = Field(pattern=UUID_PATTERN)
    code: str = Field(min_length=1, max_length=40, description="the one-time code of `ohjaus worker add`")
    verifier: WorkerVerifier


class EnrolmentAck(BaseModel):
    seq: int = Field(description="the change-log sequence of the verifier")
