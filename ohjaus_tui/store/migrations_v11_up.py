"""The schema migrations 11-22 (issues 16-20), as SQL scripts; migrations.py applies them.
A migration is never edited after release: a change is a new migration (here, or in a
module of its own when this one grows past a reading)."""

from __future__ import annotations

# Issue 16. A statutory notification (Lastensuojelulaki 25 §, Vanhuspalvelulaki 25 §) is a duty,
# handed over without the client's consent: the law it was made under is kept with the outcome.
_V11 = """
ALTER TABLE outcome ADD COLUMN legal_basis TEXT NOT NULL DEFAULT '';
"""

# Issue 16. Several referrals per contact (substance use, debts and housing: three), each with
# its own hand-over and consent: kept as a JSON list; the first stays in the old columns, so a
# report or a device that knows one referral still reads it.
# The signed outcomes' single referral is carried into the new column: the same content in
# its new place, so the immutability trigger steps aside for this one statement and is put back
# as it was (a store with signed referrals could not be opened otherwise: test_search_names).
_V12 = """
ALTER TABLE outcome ADD COLUMN referrals TEXT NOT NULL DEFAULT '[]';
DROP TRIGGER outcome_signed_no_update;
UPDATE outcome SET referrals = json_array(json_object(
    'service_code', service_code, 'handover', handover, 'consent', json(CASE WHEN consent THEN 'true' ELSE 'false' END),
    'legal_basis', legal_basis))
WHERE kind = 'referral' AND service_code IS NOT NULL AND handover IS NOT NULL;
CREATE TRIGGER outcome_signed_no_update BEFORE UPDATE ON outcome
WHEN (SELECT status FROM contact WHERE id = OLD.contact_id) = 'signed'
BEGIN SELECT RAISE(ABORT, 'signed contact is immutable'); END;
"""

# Issue 16. Duties made as their own outcome, not a referral: a child-welfare notification, an
# older person's notification, a safety response, each with to whom, when, how, its legal basis
# and about whom; a JSON list like the referrals. Added empty: nothing signed changes.
_V13 = """
ALTER TABLE outcome ADD COLUMN duties_made TEXT NOT NULL DEFAULT '[]';
"""

# Issue 20. A client with a non-disclosure order (turvakielto), one who needs an interpreter,
# and the language of service as any ISO 639 code ('' = the national language in `language`).
_V14 = """
ALTER TABLE client ADD COLUMN protected BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE client ADD COLUMN interpreter BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE client ADD COLUMN service_language TEXT NOT NULL DEFAULT '';
"""

# Issue 20. The follow-up a contact was taken for: in the store with the draft (it was in the
# home screen's memory, so a kill before signing left the follow-up open); signing closes it.
# No foreign key: a follow-up closed and pulled from elsewhere must not hold a contact back.
_V15 = """
ALTER TABLE contact ADD COLUMN for_follow_up_id TEXT;
"""

# Issue 17. A worker removed or locked out on the central API (`ohjaus worker remove|lock`)
# reaches the unit's devices with the worker's record; sign-in is refused, the worker's records
# stay. 'active', 'locked' or 'removed'.
_V16 = """
ALTER TABLE worker ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
"""

# Issue 20. Callbacks as a queue: the phone system's service line, language and priority of a
# request, and the calls made without an answer (how many, the first and the latest).
_V17 = """
ALTER TABLE callback ADD COLUMN queue TEXT NOT NULL DEFAULT '';
ALTER TABLE callback ADD COLUMN language TEXT NOT NULL DEFAULT 'fi';
ALTER TABLE callback ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('high', 'normal', 'low'));
ALTER TABLE callback ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0);
ALTER TABLE callback ADD COLUMN first_attempt_at DATETIME;
ALTER TABLE callback ADD COLUMN last_attempt_at DATETIME;
"""

# Issue 20. Bookings after the contact: a booked visit cancelled, moved, done or missed
# (models.Appointment); its earlier times in `moves`.
_V18 = """
CREATE TABLE appointment (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contact(id),
    client_id TEXT REFERENCES client(id),
    unit_id TEXT NOT NULL REFERENCES unit(id),
    sector TEXT NOT NULL DEFAULT 'health' CHECK (sector IN ('health', 'social')),
    slot_id TEXT NOT NULL REFERENCES slot(id),
    status TEXT NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled', 'done', 'no_show')),
    reason TEXT NOT NULL DEFAULT '',
    moves TEXT NOT NULL DEFAULT '[]',
    changed_by TEXT NOT NULL REFERENCES worker(id),
    changed_at DATETIME NOT NULL
);
CREATE INDEX appointment_client ON appointment(client_id, status);
"""

# Issue 16. Who called on a contact (the client, a relative, a neighbour, a professional, someone
# else) and whether the caller stayed anonymous: a notification is often about a person who is
# not the caller. Earlier contacts were the client's own ('client', named).
_V19 = """
ALTER TABLE contact ADD COLUMN caller TEXT NOT NULL DEFAULT 'client';
ALTER TABLE contact ADD COLUMN caller_anonymous BOOLEAN NOT NULL DEFAULT 0;
"""

# Issue 20. Duplicates and merge: a client recorded with a temporary code (or none) merged into
# the client with the real code; the old id redirects to the new one. A signed contact stays
# immutable, except that its client may move to the one its client was merged into (and only
# that column, in a statement naming only it). Every other column of the contact is named in
# the trigger (SIGNED_CONTACT_COLUMNS): a migration adding a column to contact re-creates it.
_V20 = """
CREATE TABLE client_merge (
    id TEXT PRIMARY KEY,
    into_id TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    merged_at DATETIME NOT NULL,
    CHECK (id <> into_id)
);
CREATE INDEX client_merge_into ON client_merge(into_id);
CREATE INDEX client_birth_date ON client(birth_date);
CREATE INDEX follow_up_client ON follow_up(client_id);
CREATE INDEX callback_client ON callback(client_id);
DROP TRIGGER contact_signed_no_update;
SIGNED_CONTACT_TRIGGER
CREATE TRIGGER contact_signed_client_merge BEFORE UPDATE OF client_id ON contact
WHEN OLD.status = 'signed'
AND NEW.client_id IS NOT (SELECT into_id FROM client_merge WHERE id = OLD.client_id)
BEGIN SELECT RAISE(ABORT, 'signed contact is immutable'); END;
"""


def _signed_contact_trigger(columns: tuple[str, ...]) -> str:
    """A signed contact is immutable: any update naming one of these columns is refused."""
    return (
        f"CREATE TRIGGER contact_signed_no_update BEFORE UPDATE OF {', '.join(columns)} ON contact\n"
        "WHEN OLD.status = 'signed'\n"
        "BEGIN SELECT RAISE(ABORT, 'signed contact is immutable'); END;"
    )


# Every column of contact except client_id (which only a merge moves; migration 20). A later
# migration adding a column to contact re-creates the trigger with it (22: reply_channel).
SIGNED_CONTACT_COLUMNS = (
    "id", "version", "supersedes_id", "status", "step", "anonymous", "language", "channel", "reason",
    "service_area", "unit_id", "worker_id", "started_at", "updated_at", "signed_at", "sector", "for_follow_up_id",
    "caller", "caller_anonymous",
)
_V20 = _V20.replace("SIGNED_CONTACT_TRIGGER", _signed_contact_trigger(SIGNED_CONTACT_COLUMNS))

# Issue 20. Data leaves devices when it should (docs/sync.md "Clients leaving the device"): the
# clients this device removed, and why ('scope': the central API says the unit no longer
# serves them; 'retention': region.toml [devices] retention_days), so that a pull does not
# bring one back in part; and the gate that lets the removal (and only it) delete signed
# contacts: a row exists only inside the removal's own transaction.
_V21 = """
CREATE TABLE client_removed (
    client_id TEXT PRIMARY KEY,
    reason TEXT NOT NULL CHECK (reason IN ('scope', 'retention')),
    removed_at DATETIME NOT NULL
);
CREATE TABLE removal_gate (
    id INTEGER PRIMARY KEY CHECK (id = 1)
);
DROP TRIGGER contact_signed_no_delete;
CREATE TRIGGER contact_signed_no_delete BEFORE DELETE ON contact
WHEN OLD.status = 'signed' AND NOT EXISTS (SELECT 1 FROM removal_gate)
BEGIN SELECT RAISE(ABORT, 'signed contact is immutable'); END;
""" + "".join(
    f"""DROP TRIGGER {table}_signed_no_delete;
CREATE TRIGGER {table}_signed_no_delete BEFORE DELETE ON {table}
WHEN (SELECT status FROM contact WHERE id = OLD.contact_id) = 'signed' AND NOT EXISTS (SELECT 1 FROM removal_gate)
BEGIN SELECT RAISE(ABORT, 'signed contact is immutable'); END;
"""
    for table in ("assessment", "segment", "outcome")
)

# Issue 20. Digital contact requests from e-service forms ride the callback queue's record
# (taken first-wins, closed by signing): their origin, the citizen's answers and estimate, the
# reply they want; the contact records the reply channel, the assessment the citizen's answers
# the worker has not yet confirmed.
_V22 = """
ALTER TABLE callback ADD COLUMN origin TEXT NOT NULL DEFAULT 'phone' CHECK (origin IN ('phone', 'e_service'));
ALTER TABLE callback ADD COLUMN answers TEXT NOT NULL DEFAULT '{}';
ALTER TABLE callback ADD COLUMN other_answers TEXT NOT NULL DEFAULT '';
ALTER TABLE callback ADD COLUMN own_urgency TEXT NOT NULL DEFAULT '';
ALTER TABLE callback ADD COLUMN preference TEXT NOT NULL DEFAULT '';
ALTER TABLE callback ADD COLUMN identity_code TEXT;
ALTER TABLE callback ADD COLUMN protocol_id TEXT NOT NULL DEFAULT '';
ALTER TABLE contact ADD COLUMN reply_channel TEXT CHECK (reply_channel IN ('call_back', 'message'));
ALTER TABLE assessment ADD COLUMN citizen_answers TEXT NOT NULL DEFAULT '{}';
DROP TRIGGER contact_signed_no_update;
""" + _signed_contact_trigger(SIGNED_CONTACT_COLUMNS + ("reply_channel",)) + "\n"

MIGRATIONS: list[tuple[int, str]] = [
    (11, _V11), (12, _V12), (13, _V13), (14, _V14), (15, _V15), (16, _V16), (17, _V17), (18, _V18),
    (19, _V19), (20, _V20), (21, _V21), (22, _V22),
]
