"""The tables of the local store (SQLModel). The schema itself is made by migrations.py.

Every id is a UUID made on the device. Codes are stored as their stable string values
(see domain/codes.py). JSON columns hold small lists and maps (answers, triggers).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel


class Unit(SQLModel, table=True):
    """Unit (toimipiste)."""

    id: str = Field(primary_key=True)
    code: str = Field(unique=True)
    name: str
    municipality: str
    languages: str  # "fi" or "fi,sv"
    mobile: bool = False


class Worker(SQLModel, table=True):
    id: str = Field(primary_key=True)
    username: str = Field(unique=True)
    name: str
    role: str
    sector: str  # the register the worker works in: "health" or "social"
    unit_id: str = Field(foreign_key="unit.id")
    languages: str
    # From the central API: 'locked' or 'removed' there refuses sign-in here (migration 16).
    status: str = "active"


class Professional(SQLModel, table=True):
    """A professional whose appointment slots can be booked."""

    id: str = Field(primary_key=True)
    code: str = Field(unique=True)
    name: str
    profession: str
    profession_name: str  # JSON {fi, sv, en}
    unit_id: str = Field(foreign_key="unit.id")
    languages: str
    service_area: str


class Slot(SQLModel, table=True):
    """An appointment slot (vastaanottoaika) of a professional at a unit."""

    id: str = Field(primary_key=True)
    professional_id: str = Field(foreign_key="professional.id")
    unit_id: str = Field(foreign_key="unit.id")
    starts_at: datetime
    minutes: int
    mode: str
    booked_contact_id: str | None = Field(default=None, foreign_key="contact.id")
    # Booked on the central API by a contact this device may not see.
    taken_elsewhere: bool = False


class Client(SQLModel, table=True):
    """Client (asiakas). identity_code is stored exactly as given (trimmed, upper-cased)."""

    id: str = Field(primary_key=True)
    first_name: str
    last_name: str
    identity_code: str | None = None
    identity_temporary: bool = False
    birth_date: date | None = None
    phone: str | None = None
    language: str = "fi"
    municipality: str = ""
    created_at: datetime
    created_by: str | None = Field(default=None, foreign_key="worker.id")
    # Issue 20 (migration 14). A non-disclosure order (turvakielto): where the client lives
    # (the municipality) is shown on no screen, export or report row, and every view of the
    # client is logged with its purpose.
    protected: bool = False
    interpreter: bool = False  # an interpreter is needed
    # The language the client is served in, as an ISO 639 code (domain/languages.py): any
    # language; "" when it is the national language in `language` (fi or sv).
    service_language: str = ""


class Contact(SQLModel, table=True):
    """Contact (yhteydenotto). Immutable once signed; a correction is a new version."""

    id: str = Field(primary_key=True)
    version: int = 1
    supersedes_id: str | None = Field(default=None, foreign_key="contact.id")
    status: str = "draft"
    step: int = 0
    client_id: str | None = Field(default=None, foreign_key="client.id")
    anonymous: bool = False
    language: str = "fi"
    channel: str
    reason: str = ""
    service_area: str | None = None
    unit_id: str = Field(foreign_key="unit.id")
    worker_id: str = Field(foreign_key="worker.id")
    started_at: datetime
    updated_at: datetime
    signed_at: datetime | None = None
    sector: str = "health"  # the register: health care or social welfare
    # The follow-up this contact was taken for (from the worklist): signing closes it in the
    # same transaction (issue 20, migration 15). Kept with the draft, so a kill keeps the link.
    for_follow_up_id: str | None = None
    # Who called: the client, a relative, a neighbour, a professional or someone else, and
    # whether they stayed anonymous (issue 16, migration 19).
    caller: str = "client"
    caller_anonymous: bool = False
    # How the reply goes to a digital contact request's client: call_back or message
    # (issue 20, migration 22); None for every other contact.
    reply_channel: str | None = None


class Assessment(SQLModel, table=True):
    """Initial assessment (ensiarvio): protocol, answers, urgency and any override."""

    id: str = Field(primary_key=True)
    contact_id: str = Field(foreign_key="contact.id", unique=True)
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
    safety_net: str = ""  # the safety-netting advice shown to be read out (migration 8)
    # The client's own answers from an e-service form that the worker has not yet confirmed
    # or changed (JSON {question id: yes}); migration 22. Signing needs it empty.
    citizen_answers: str = "{}"


class SegmentChoice(SQLModel, table=True):
    """Segment (asiakassegmentti) with the high-need flag and its triggers."""

    __tablename__ = "segment"

    id: str = Field(primary_key=True)
    contact_id: str = Field(foreign_key="contact.id", unique=True)
    suggested: str | None = None
    segment: str
    high_need: bool = False
    triggers: str = "[]"  # JSON [trigger]
    plan_type: str | None = None
    named_contact: str | None = None  # "worker:<id>" or "team:<unit id>"


class Outcome(SQLModel, table=True):
    id: str = Field(primary_key=True)
    contact_id: str = Field(foreign_key="contact.id", unique=True)
    kind: str
    advice_text: str = ""
    slot_id: str | None = Field(default=None, foreign_key="slot.id")
    service_code: str | None = None
    handover: str | None = None
    consent: bool = False
    legal_basis: str = ""  # a statutory notification's law, made without consent (migration 10)
    # Every referral of the contact, JSON [{service_code, handover, consent, legal_basis}]
    # (migration 11); service_code, handover, consent and legal_basis hold the first one.
    referrals: str = "[]"
    # Duties made (migration 13): JSON [{duty, receiver, receiver_code, made_at, method,
    # legal_basis, about}]: notifications and safety responses, never gated by consent.
    duties_made: str = "[]"
    note: str = ""
    care_deadline: date | None = None
    past_deadline: bool = False
    deadline_reason: str = ""


class MissedAppointment(SQLModel, table=True):
    """An appointment the client missed without cancelling (a high-need trigger)."""

    __tablename__ = "missed_appointment"

    id: str = Field(primary_key=True)
    client_id: str = Field(foreign_key="client.id")
    starts_at: datetime
    unit_id: str = Field(foreign_key="unit.id")
    slot_id: str | None = None
    recorded_at: datetime
    sector: str = "health"  # the register


class Appointment(SQLModel, table=True):
    """The state of a booked visit (ajanvaraus) after its contact: cancelled, moved, done or
    missed. One a booking contact, under the contact's id; none while the visit is booked at
    the time the contact chose (the outcome's slot). Statuses: domain/codes.py BookingStatus."""

    id: str = Field(primary_key=True)  # the booking contact's id
    contact_id: str = Field(foreign_key="contact.id")
    client_id: str | None = Field(default=None, foreign_key="client.id")
    unit_id: str = Field(foreign_key="unit.id")  # the contact's unit
    sector: str = "health"  # the contact's register
    slot_id: str = Field(foreign_key="slot.id")  # the visit's time now
    status: str = "booked"
    reason: str = ""  # why it was cancelled, moved or marked
    moves: str = "[]"  # JSON [{slot_id, starts_at, at, reason}]: the times it was moved from
    changed_by: str = Field(foreign_key="worker.id")
    changed_at: datetime


class FollowUp(SQLModel, table=True):
    """Follow-up (jatkotoimenpide). A task: its status changes after the contact is signed."""

    __tablename__ = "follow_up"

    id: str = Field(primary_key=True)
    contact_id: str = Field(foreign_key="contact.id")
    client_id: str | None = Field(default=None, foreign_key="client.id")
    kind: str
    due: date
    assignee_id: str = Field(foreign_key="worker.id")
    status: str = "open"
    note: str = ""
    result: str = ""
    created_at: datetime
    team_id: str | None = Field(default=None, foreign_key="unit.id")  # handed to the unit's team


class Credential(SQLModel, table=True):
    """A worker's sign-in verifier on this device (never the passphrase itself)."""

    worker_id: str = Field(primary_key=True, foreign_key="worker.id")
    kdf: str
    params: str
    salt: bytes
    digest: bytes
    set_at: datetime
    failures: int = 0
    wait_until: datetime | None = None


class Consent(SQLModel, table=True):
    """The client's consent (suostumus) to show one register's data to the other, or its
    denial. In force from recorded_at until valid_until (inclusive) unless revoked."""

    id: str = Field(primary_key=True)
    client_id: str = Field(foreign_key="client.id")
    from_register: str
    to_register: str
    decision: str  # "granted" or "denied"
    valid_until: date | None = None
    recorded_by: str = Field(foreign_key="worker.id")
    unit_id: str = Field(foreign_key="unit.id")
    recorded_at: datetime
    revoked_at: datetime | None = None
    note: str = ""


class AccessLog(SQLModel, table=True):
    """One use of a client's data (käyttöloki): append-only and hash-chained."""

    __tablename__ = "access_log"

    seq: int = Field(primary_key=True)
    id: str = Field(unique=True)
    at: datetime
    worker_id: str
    unit_id: str
    client_id: str | None = None
    action: str
    item: str
    sector: str | None = None  # the register whose data was used
    purpose: str
    recipient: str = ""
    prev_hash: str
    hash: str


class Callback(SQLModel, table=True):
    """A callback request (soittopyyntö) from the phone system's queue. Taking it starts a
    contact; signing that contact marks it done."""

    id: str = Field(primary_key=True)
    unit_id: str = Field(foreign_key="unit.id")
    sector: str = "health"  # the register of the service line that took the request
    client_id: str | None = Field(default=None, foreign_key="client.id")
    name: str = ""  # as the caller gave it to the phone system
    phone: str  # E.164
    reason: str = ""
    requested_at: datetime
    status: str = "open"  # open, taken, done, cancelled
    taken_by: str | None = Field(default=None, foreign_key="worker.id")
    contact_id: str | None = Field(default=None, foreign_key="contact.id")
    result: str = ""
    source: str = ""  # the phone system's id of the request: importing it again adds nothing
    imported_at: datetime
    # Issue 20 (migration 17): the phone system's service line, its language (ISO 639-1) and
    # the request's priority (high, normal, low); calls made without an answer, the first and
    # the latest (the request is back in the queue the region's retry interval after it).
    queue: str = ""
    language: str = "fi"
    priority: str = "normal"
    attempts: int = 0
    first_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    # Issue 20 (migration 22): a digital contact request from an e-service form has origin
    # "e_service" (the phone queue's: "phone"), the citizen's answers keyed by protocol question
    # (JSON {question id: yes}), answers no protocol asks (text), their own urgency estimate
    # (an Urgency value or ""), the reply they want (call_back, message or ""), the identity
    # code they gave and a protocol the form named.
    origin: str = "phone"
    answers: str = "{}"
    other_answers: str = ""
    own_urgency: str = ""
    preference: str = ""
    identity_code: str | None = None
    protocol_id: str = ""


class ClientMerge(SQLModel, table=True):
    """A client recorded with a temporary identity code (or none) joined into the client with
    the real code (issue 20, migration 20). `id` is the merged client's id: it redirects to
    `into_id` for good, and every record of it was moved there. Made by a team lead; synced."""

    __tablename__ = "client_merge"

    id: str = Field(primary_key=True)  # the merged (old) client's id
    into_id: str  # the client it was merged into
    unit_id: str
    worker_id: str  # the team lead who merged
    merged_at: datetime


class Setting(SQLModel, table=True):
    """Device settings (demo flag, region, language)."""

    key: str = Field(primary_key=True)
    value: str


class Outbox(SQLModel, table=True):
    """A change waiting to be pushed, written in the same transaction as the change."""

    seq: int | None = Field(default=None, primary_key=True)
    change_id: str = Field(unique=True)
    record_type: str
    record_id: str
    base_seq: int = 0  # the server sequence of the version this change was made on
    data: str  # JSON
    made_at: datetime


class RecordKey(SQLModel):
    """The key of the tables kept per synced record: its type and its id."""

    record_type: str = Field(primary_key=True)
    record_id: str = Field(primary_key=True)


class SyncRecord(RecordKey, table=True):
    """The server sequence of the version of a record this device last saw."""

    __tablename__ = "sync_record"

    seq: int


class SyncProblem(SQLModel, table=True):
    """A change the central API rejected, or accepted with a conflict: shown to the worker."""

    __tablename__ = "sync_problem"

    id: str = Field(primary_key=True)
    change_id: str
    kind: str  # "rejected" or "conflict"
    record_type: str
    record_id: str
    reason: str  # a code, see sync/protocol.py
    detail: str = ""
    data: str  # JSON of the change as it was sent
    at: datetime
    seen: bool = False


class ReportQueue(SQLModel, table=True):
    """A signed contact whose day the report summary has not counted yet."""

    __tablename__ = "report_queue"

    contact_id: str = Field(primary_key=True)


class DayAtUnit(SQLModel):
    """The key the report summary's tables start with: a (local) day at a unit."""

    day: date = Field(primary_key=True)
    unit_id: str = Field(primary_key=True)


class ReportDay(DayAtUnit, table=True):
    """The report summary: one figure of one (local) day at one unit, e.g. channel/phone."""

    __tablename__ = "report_day"

    figure: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    count: int


class ReportHighNeed(DayAtUnit, table=True):
    """A client flagged high-need on a day at a unit (distinct clients are not additive)."""

    __tablename__ = "report_high_need"

    client_id: str = Field(primary_key=True)


class SyncQuarantine(RecordKey, table=True):
    """A pulled record this device could not apply: kept with the reason, retried at every
    pull, shown in F6 and reported to the central API (docs/sync.md)."""

    __tablename__ = "sync_quarantine"

    seq: int  # the server sequence of the version kept here
    data: str  # JSON of the record as pulled
    reason: str  # a code: missing_reference, duplicate_identity_code, invalid
    detail: str = ""  # technical (table, constraint, field), never a value
    at: datetime
    reported: bool = False
    seen: bool = False


class AccessLogAnchor(SQLModel, table=True):
    """The access log's count and last hash, written with every entry (one row)."""

    __tablename__ = "access_log_anchor"

    id: int = Field(default=1, primary_key=True)
    count: int
    hash: str


RECORD_TYPES: dict[str, type[SQLModel]] = {
    "unit": Unit,
    "worker": Worker,
    "professional": Professional,
    "slot": Slot,
    "client": Client,
    "contact": Contact,
    "assessment": Assessment,
    "segment": SegmentChoice,
    "outcome": Outcome,
    "follow_up": FollowUp,
    "missed_appointment": MissedAppointment,
    "appointment": Appointment,
    "consent": Consent,
    "callback": Callback,
    "merge": ClientMerge,
}


class ClientRemoved(SQLModel, table=True):
    """A client this device removed at sync (issue 20): out of its unit's scope, or past the
    region's retention on devices. A pulled change of the client record alone does not bring
    the client back; the client comes back whole (GET /v1/clients/{id}/records)."""

    __tablename__ = "client_removed"

    client_id: str = Field(primary_key=True)
    reason: str  # scope | retention
    removed_at: datetime


class RemovalGate(SQLModel, table=True):
    """A row only inside the removal's transaction: the signed-contact triggers let it delete."""

    __tablename__ = "removal_gate"

    id: int = Field(primary_key=True)
