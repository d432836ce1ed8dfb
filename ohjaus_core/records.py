"""The sync contract: every record that travels between a device and the central API, one
pydantic schema per record type (protocol.RecordType), versioned (CONTRACT_VERSION).

Both sides import it: a device serialises what it pushes through these schemas (its tables
may hold more), and the central API validates every pushed record against them before its
own checks (ohjaus_central/batch/). The wire form of a record is `model_dump(mode="json")`:
dates and times in ISO 8601, JSON-valued texts (answers, lists) as text. A schema names its
fields, their types and defaults; unknown fields are refused. How a record type is added,
and when the version goes up: docs/sync.md, "The contract module".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from .domain import codes
from .protocol import RecordType

# Raised with every change of a schema here (a field added, removed, renamed, retyped, or
# its default changed); tests/domain/test_records_contract.py holds the fingerprint of each version.
CONTRACT_VERSION = 2


class Record(BaseModel):
    """A record as it travels: strict about unknown fields."""

    model_config = ConfigDict(extra="forbid")
    record_type: ClassVar[RecordType | None] = None

    @classmethod
    def wire(cls, values: Mapping[str, Any]) -> dict:
        """A record's values (a device's row as read: its attributes' dict, or a mapping of a
        query's row) as the record travels: the schema's fields only, through the schema's
        serialiser. Not validated (the central API validates); as model_construct makes an
        instance, without its per-field work (the values are given for every field)."""
        record = cls.__new__(cls)
        _setattr(record, "__dict__", {name: values[name] for name in cls.__pydantic_fields__})
        _setattr(record, "__pydantic_fields_set__", set())
        _setattr(record, "__pydantic_extra__", None)
        _setattr(record, "__pydantic_private__", None)
        return record.model_dump(mode="json")


_setattr = object.__setattr__


# -- made on devices and pushed ------------------------------------------------------------


class Client(Record):
    """Client (asiakas); id: client_id_for(identity_code), or a random UUID without one."""

    record_type: ClassVar = RecordType.CLIENT
    id: str
    first_name: str
    last_name: str
    identity_code: str | None = None
    identity_temporary: bool = False
    birth_date: date | None = None
    phone: str | None = None
    language: str = "fi"
    municipality: str = ""
    created_at: datetime
    created_by: str | None = None
    protected: bool = False  # a non-disclosure order (turvakielto)
    interpreter: bool = False
    service_language: str = ""  # ISO 639; "" when it is `language`


class Contact(Record):
    """Contact (yhteydenotto), signed: sent as a ContactFamily."""

    id: str
    version: int = 1
    supersedes_id: str | None = None
    status: str = "draft"
    step: int = 0
    client_id: str | None = None
    anonymous: bool = False
    language: str = "fi"
    channel: str
    reason: str = ""
    service_area: str | None = None
    unit_id: str
    worker_id: str
    started_at: datetime
    updated_at: datetime
    signed_at: datetime | None = None
    sector: str = "health"
    for_follow_up_id: str | None = None
    caller: str = "client"
    caller_anonymous: bool = False
    reply_channel: str | None = None


class Assessment(Record):
    """Initial assessment (ensiarvio) of a contact."""

    id: str
    contact_id: str
    protocol_id: str
    protocol_version: int
    answers: str  # JSON {question id: bool}
    red_flags: str  # JSON [question id]
    suggested_urgency: str | None = None
    urgency: str | None = None
    override_reason: str = ""
    worry_level: str | None = None
    duties: str = "[]"  # JSON [duty id]
    domains: str = "[]"  # JSON [need domain id]
    safety_net: str = ""
    citizen_answers: str = "{}"  # JSON {question id: bool}


class Segment(Record):
    """Segment (asiakassegmentti) of a contact, with the high-need flag and its triggers."""

    id: str
    contact_id: str
    suggested: str | None = None
    segment: str
    high_need: bool = False
    triggers: str = "[]"  # JSON [trigger]
    plan_type: str | None = None
    named_contact: str | None = None


class Outcome(Record):
    id: str
    contact_id: str
    kind: str
    advice_text: str = ""
    slot_id: str | None = None
    service_code: str | None = None
    handover: str | None = None
    consent: bool = False
    legal_basis: str = ""
    referrals: str = "[]"  # JSON [{service_code, handover, consent, legal_basis}]
    duties_made: str = "[]"  # JSON [{duty, receiver, receiver_code, made_at, method, legal_basis, about}]
    note: str = ""
    care_deadline: date | None = None
    past_deadline: bool = False
    deadline_reason: str = ""


class FollowUp(Record):
    """Follow-up (jatkotoimenpide): made with a contact, changed after it."""

    record_type: ClassVar = RecordType.FOLLOW_UP
    id: str
    contact_id: str
    client_id: str | None = None
    kind: str
    due: date
    assignee_id: str
    status: str = "open"
    note: str = ""
    result: str = ""
    created_at: datetime
    team_id: str | None = None


class ContactFamily(Record):
    """A signed contact as one change: the contact with its assessment, segment, outcome and
    the follow-ups it made (immutable together, so they travel together)."""

    record_type: ClassVar = RecordType.CONTACT
    contact: Contact
    assessment: Assessment | None
    segment: Segment | None
    outcome: Outcome | None
    follow_ups: list[FollowUp]


class Booking(Record):
    """A slot taken for a contact, or given back (contact_id None); record id: the slot's."""

    record_type: ClassVar = RecordType.BOOKING
    slot_id: str
    contact_id: str | None
    previous_contact_id: str | None


class MissedAppointment(Record):
    record_type: ClassVar = RecordType.MISSED_APPOINTMENT
    id: str
    client_id: str
    starts_at: datetime
    unit_id: str
    slot_id: str | None = None
    recorded_at: datetime
    sector: str = "health"


class Appointment(Record):
    """A booked visit after its contact (ajanvaraus), under the contact's id."""

    record_type: ClassVar = RecordType.APPOINTMENT
    id: str
    contact_id: str
    client_id: str | None = None
    unit_id: str
    sector: str = "health"
    slot_id: str
    status: str = "booked"
    reason: str = ""
    moves: str = "[]"  # JSON [{slot_id, starts_at, at, reason}]
    changed_by: str
    changed_at: datetime


class Consent(Record):
    """The client's consent (suostumus) from one register to the other, or its denial."""

    record_type: ClassVar = RecordType.CONSENT
    id: str
    client_id: str
    from_register: str
    to_register: str
    decision: str
    valid_until: date | None = None
    recorded_by: str
    unit_id: str
    recorded_at: datetime
    revoked_at: datetime | None = None
    note: str = ""


class Callback(Record):
    """A callback request (soittopyyntö) of a unit's queue, or an e-service's contact request."""

    record_type: ClassVar = RecordType.CALLBACK
    id: str
    unit_id: str
    sector: str = "health"
    client_id: str | None = None
    name: str = ""
    phone: str
    reason: str = ""
    requested_at: datetime
    status: str = "open"
    taken_by: str | None = None
    contact_id: str | None = None
    result: str = ""
    source: str = ""
    imported_at: datetime
    queue: str = ""
    language: str = "fi"
    priority: str = "normal"
    attempts: int = 0
    first_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    origin: str = "phone"
    answers: str = "{}"
    other_answers: str = ""
    own_urgency: str = ""
    preference: str = ""
    identity_code: str | None = None
    protocol_id: str = ""


class Merge(Record):
    """A client joined into the client with the real identity code; id: the merged client's."""

    record_type: ClassVar = RecordType.MERGE
    id: str
    into_id: str
    unit_id: str
    worker_id: str
    merged_at: datetime


# -- made on the server and pulled (the region's reference data) ----------------------------


class Unit(Record):
    """Unit (toimipiste)."""

    record_type: ClassVar = RecordType.UNIT
    id: str
    code: str
    name: str  # JSON {fi, sv, en}
    municipality: str
    languages: str  # "fi" or "fi,sv"
    mobile: bool = False


class Worker(Record):
    record_type: ClassVar = RecordType.WORKER
    id: str
    username: str
    name: str
    role: str
    sector: str
    unit_id: str
    languages: str
    status: str = "active"  # active, locked, removed


class Professional(Record):
    record_type: ClassVar = RecordType.PROFESSIONAL
    id: str
    code: str
    name: str
    profession: str
    profession_name: str  # JSON {fi, sv, en}
    unit_id: str
    languages: str
    service_area: str


class Slot(Record):
    """An appointment slot (vastaanottoaika); its holder as the pulling device may see it."""

    record_type: ClassVar = RecordType.SLOT
    id: str
    professional_id: str
    unit_id: str
    starts_at: datetime
    minutes: int
    mode: str
    booked_contact_id: str | None = None
    taken_elsewhere: bool = False


class Credential(Record):
    """A worker's sign-in verifier (never the passphrase), set at enrolment; id: worker_id."""

    record_type: ClassVar = RecordType.CREDENTIAL
    worker_id: str
    kdf: str
    params: str
    salt: str  # hex
    digest: str  # hex
    set_at: datetime


class Catalogue(Record):
    """The region's referral catalogue (services.toml); one record, id CATALOGUE_ID."""

    record_type: ClassVar = RecordType.CATALOGUE
    id: str
    toml: str
    # The fields a device of an earlier version may leave out of its reading (catalogue.py
    # OPTIONAL_FIELDS, as the central API's version has them): contract version 2. A device
    # before it reads only `toml`, strictly.
    optional: list[str] = []


SCHEMAS: dict[RecordType, type[Record]] = {
    schema.record_type: schema
    for schema in (
        Client, ContactFamily, FollowUp, Booking, MissedAppointment, Appointment, Consent, Callback, Merge,
        Unit, Worker, Professional, Slot, Credential, Catalogue,
    )
}


# -- enumerated fields ---------------------------------------------------------------------

# The fields whose text is one of an enumeration's values. The central API refuses a pushed
# record with any other; a device keeps aside a pulled one with a value its version does not
# know (a newer central API's), rather than store what its screens cannot read.
ENUMS: dict[tuple[type[Record], str], type] = {
    (Client, "language"): codes.Language,
    (Contact, "language"): codes.Language,
    (Contact, "channel"): codes.Channel,
    (Contact, "caller"): codes.Caller,
    (Contact, "service_area"): codes.ServiceArea,
    (Contact, "status"): codes.ContactStatus,
    (Assessment, "suggested_urgency"): codes.Urgency,
    (Assessment, "urgency"): codes.Urgency,
    (Assessment, "worry_level"): codes.WorryLevel,
    (Segment, "suggested"): codes.Segment,
    (Segment, "segment"): codes.Segment,
    (Segment, "plan_type"): codes.PlanType,
    (Outcome, "kind"): codes.OutcomeKind,
    (Outcome, "handover"): codes.Handover,
    (FollowUp, "kind"): codes.FollowUpKind,
    (FollowUp, "status"): codes.FollowUpStatus,
}
