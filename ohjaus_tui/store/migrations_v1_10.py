"""The schema migrations 1-10 (issues 3-18), as SQL scripts; migrations.py applies them.
A migration is never edited after release: a change is a new migration."""

from __future__ import annotations

# A signed contact and its assessment, segment and outcome are never changed or deleted.
_IMMUTABLE_CHILD = """
CREATE TRIGGER {table}_signed_no_insert BEFORE INSERT ON {table}
WHEN (SELECT status FROM contact WHERE id = NEW.contact_id) = 'signed'
BEGIN SELECT RAISE(ABORT, 'signed contact is immutable'); END;
CREATE TRIGGER {table}_signed_no_update BEFORE UPDATE ON {table}
WHEN (SELECT status FROM contact WHERE id = OLD.contact_id) = 'signed'
BEGIN SELECT RAISE(ABORT, 'signed contact is immutable'); END;
CREATE TRIGGER {table}_signed_no_delete BEFORE DELETE ON {table}
WHEN (SELECT status FROM contact WHERE id = OLD.contact_id) = 'signed'
BEGIN SELECT RAISE(ABORT, 'signed contact is immutable'); END;
"""

_V1 = """
CREATE TABLE unit (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    municipality TEXT NOT NULL,
    languages TEXT NOT NULL,
    mobile BOOLEAN NOT NULL DEFAULT 0
);
CREATE TABLE worker (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    sector TEXT NOT NULL CHECK (sector IN ('health', 'social')),
    unit_id TEXT NOT NULL REFERENCES unit(id),
    languages TEXT NOT NULL
);
CREATE TABLE professional (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    profession TEXT NOT NULL,
    profession_name TEXT NOT NULL,
    unit_id TEXT NOT NULL REFERENCES unit(id),
    languages TEXT NOT NULL,
    service_area TEXT NOT NULL
);
CREATE TABLE client (
    id TEXT PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    identity_code TEXT,
    identity_temporary BOOLEAN NOT NULL DEFAULT 0,
    birth_date DATE,
    phone TEXT,
    language TEXT NOT NULL DEFAULT 'fi',
    municipality TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    created_by TEXT REFERENCES worker(id)
);
CREATE UNIQUE INDEX client_identity_code ON client(identity_code) WHERE identity_code IS NOT NULL;
CREATE INDEX client_phone ON client(phone);
CREATE INDEX client_last_name ON client(last_name COLLATE NOCASE);
CREATE VIRTUAL TABLE client_fts USING fts5(
    first_name, last_name, content='client', content_rowid='rowid',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER client_fts_insert AFTER INSERT ON client BEGIN
    INSERT INTO client_fts(rowid, first_name, last_name)
    VALUES (NEW.rowid, NEW.first_name, NEW.last_name);
END;
CREATE TRIGGER client_fts_delete AFTER DELETE ON client BEGIN
    INSERT INTO client_fts(client_fts, rowid, first_name, last_name)
    VALUES ('delete', OLD.rowid, OLD.first_name, OLD.last_name);
END;
CREATE TRIGGER client_fts_update AFTER UPDATE ON client BEGIN
    INSERT INTO client_fts(client_fts, rowid, first_name, last_name)
    VALUES ('delete', OLD.rowid, OLD.first_name, OLD.last_name);
    INSERT INTO client_fts(rowid, first_name, last_name)
    VALUES (NEW.rowid, NEW.first_name, NEW.last_name);
END;
CREATE TABLE contact (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL DEFAULT 1,
    supersedes_id TEXT REFERENCES contact(id),
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'signed')),
    step INTEGER NOT NULL DEFAULT 0,
    client_id TEXT REFERENCES client(id),
    anonymous BOOLEAN NOT NULL DEFAULT 0,
    language TEXT NOT NULL DEFAULT 'fi',
    channel TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    service_area TEXT,
    unit_id TEXT NOT NULL REFERENCES unit(id),
    worker_id TEXT NOT NULL REFERENCES worker(id),
    started_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    signed_at DATETIME
);
CREATE INDEX contact_client ON contact(client_id, started_at);
CREATE INDEX contact_worker_status ON contact(worker_id, status);
CREATE INDEX contact_supersedes ON contact(supersedes_id);
CREATE TRIGGER contact_signed_no_update BEFORE UPDATE ON contact
WHEN OLD.status = 'signed'
BEGIN SELECT RAISE(ABORT, 'signed contact is immutable'); END;
CREATE TRIGGER contact_signed_no_delete BEFORE DELETE ON contact
WHEN OLD.status = 'signed'
BEGIN SELECT RAISE(ABORT, 'signed contact is immutable'); END;
CREATE TABLE slot (
    id TEXT PRIMARY KEY,
    professional_id TEXT NOT NULL REFERENCES professional(id),
    unit_id TEXT NOT NULL REFERENCES unit(id),
    starts_at DATETIME NOT NULL,
    minutes INTEGER NOT NULL,
    mode TEXT NOT NULL,
    booked_contact_id TEXT REFERENCES contact(id)
);
CREATE INDEX slot_free ON slot(starts_at) WHERE booked_contact_id IS NULL;
CREATE INDEX slot_contact ON slot(booked_contact_id);
CREATE TABLE assessment (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL UNIQUE REFERENCES contact(id),
    protocol_id TEXT NOT NULL,
    protocol_version INTEGER NOT NULL,
    answers TEXT NOT NULL,
    red_flags TEXT NOT NULL,
    suggested_urgency TEXT,
    urgency TEXT,
    override_reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE segment (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL UNIQUE REFERENCES contact(id),
    suggested TEXT,
    segment TEXT NOT NULL,
    high_need BOOLEAN NOT NULL DEFAULT 0,
    triggers TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE outcome (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL UNIQUE REFERENCES contact(id),
    kind TEXT NOT NULL,
    advice_text TEXT NOT NULL DEFAULT '',
    slot_id TEXT REFERENCES slot(id),
    service_code TEXT,
    handover TEXT,
    consent BOOLEAN NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE follow_up (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contact(id),
    client_id TEXT REFERENCES client(id),
    kind TEXT NOT NULL,
    due DATE NOT NULL,
    assignee_id TEXT NOT NULL REFERENCES worker(id),
    status TEXT NOT NULL DEFAULT 'open',
    note TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL
);
CREATE INDEX follow_up_due ON follow_up(status, due);
CREATE TABLE setting (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
""" + "".join(
    _IMMUTABLE_CHILD.format(table=table) for table in ("assessment", "segment", "outcome")
)

# Sync (issue 3): the outbox written in the same transaction as each change, the server
# sequence of each synced record (the base of the next edit), the changes the central API
# rejected or answered with a conflict (shown to the worker), and slots that the server
# says are booked by a contact this device may not see.
_V2 = """
ALTER TABLE slot ADD COLUMN taken_elsewhere BOOLEAN NOT NULL DEFAULT 0;
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id TEXT NOT NULL UNIQUE,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    base_seq INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL,
    made_at DATETIME NOT NULL
);
CREATE TABLE sync_record (
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (record_type, record_id)
);
CREATE TABLE sync_problem (
    id TEXT PRIMARY KEY,
    change_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('rejected', 'conflict')),
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL,
    at DATETIME NOT NULL,
    seen BOOLEAN NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX sync_problem_change ON sync_problem(change_id, kind);
"""

# Protocols and time limits (issue 4): the worker's level of worry, the duties and need
# domains of an assessment; the plan and named contact of a high-need client; the deadline a
# booking was measured against and the reason for a slot past it; missed appointments
# (the history-based high-need trigger).
_V3 = """
ALTER TABLE assessment ADD COLUMN worry_level TEXT;
ALTER TABLE assessment ADD COLUMN duties TEXT NOT NULL DEFAULT '[]';
ALTER TABLE assessment ADD COLUMN domains TEXT NOT NULL DEFAULT '[]';
ALTER TABLE segment ADD COLUMN plan_type TEXT;
ALTER TABLE segment ADD COLUMN named_contact TEXT;
ALTER TABLE outcome ADD COLUMN care_deadline DATE;
ALTER TABLE outcome ADD COLUMN past_deadline BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE outcome ADD COLUMN deadline_reason TEXT NOT NULL DEFAULT '';
CREATE TABLE missed_appointment (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES client(id),
    starts_at DATETIME NOT NULL,
    unit_id TEXT NOT NULL REFERENCES unit(id),
    slot_id TEXT,
    recorded_at DATETIME NOT NULL
);
CREATE INDEX missed_appointment_client ON missed_appointment(client_id, starts_at);
"""

# Client data protection (issue 5): the workers' sign-in verifiers; the register of every
# contact and missed appointment, fixed when it is made (a draft's follows its service
# area until it is signed); the client's consents between registers; the access log, which
# no statement may change or delete (the hash chain finds an edit that goes around this).
_V4 = """
CREATE TABLE credential (
    worker_id TEXT PRIMARY KEY REFERENCES worker(id),
    kdf TEXT NOT NULL,
    params TEXT NOT NULL,
    salt BLOB NOT NULL,
    digest BLOB NOT NULL,
    set_at DATETIME NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    wait_until DATETIME
);
ALTER TABLE contact ADD COLUMN sector TEXT NOT NULL DEFAULT 'health'
    CHECK (sector IN ('health', 'social'));
UPDATE contact SET sector = 'social'
    WHERE service_area IN ('family', 'working_age', 'older_people', 'disability');
CREATE INDEX contact_client_sector ON contact(client_id, sector);
ALTER TABLE missed_appointment ADD COLUMN sector TEXT NOT NULL DEFAULT 'health'
    CHECK (sector IN ('health', 'social'));
CREATE TABLE consent (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES client(id),
    from_register TEXT NOT NULL CHECK (from_register IN ('health', 'social')),
    to_register TEXT NOT NULL CHECK (to_register IN ('health', 'social')),
    decision TEXT NOT NULL CHECK (decision IN ('granted', 'denied')),
    valid_until DATE,
    recorded_by TEXT NOT NULL REFERENCES worker(id),
    unit_id TEXT NOT NULL REFERENCES unit(id),
    recorded_at DATETIME NOT NULL,
    revoked_at DATETIME,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX consent_client ON consent(client_id, to_register);
CREATE TABLE access_log (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    at DATETIME NOT NULL,
    worker_id TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    client_id TEXT,
    action TEXT NOT NULL,
    item TEXT NOT NULL,
    sector TEXT,
    purpose TEXT NOT NULL,
    recipient TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX access_log_client ON access_log(client_id, at);
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
"""

# The worker's day (issue 6): callback requests from the phone system's queue, and a
# follow-up handed to a team (the unit) instead of one worker.
_V5 = """
ALTER TABLE follow_up ADD COLUMN team_id TEXT REFERENCES unit(id);
CREATE INDEX follow_up_team ON follow_up(team_id, status, due);
CREATE INDEX follow_up_assignee ON follow_up(assignee_id, status, due);
CREATE TABLE callback (
    id TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL REFERENCES unit(id),
    sector TEXT NOT NULL DEFAULT 'health' CHECK (sector IN ('health', 'social')),
    client_id TEXT REFERENCES client(id),
    name TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    requested_at DATETIME NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'taken', 'done', 'cancelled')),
    taken_by TEXT REFERENCES worker(id),
    contact_id TEXT REFERENCES contact(id),
    result TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    imported_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX callback_source ON callback(source) WHERE source != '';
CREATE INDEX callback_open ON callback(unit_id, status, requested_at);
CREATE INDEX callback_contact ON callback(contact_id);
"""

# Reports (issue 6): a daily summary the reports read instead of a year of contacts. Each
# contact that becomes signed, by any path (this device, a sync pull), is queued by the
# trigger; the report code folds the queue by computing the touched days again from the
# contacts (store/reports.py). Contacts signed before this migration are queued here.
_V6 = """
CREATE INDEX contact_started ON contact(started_at);
CREATE INDEX follow_up_contact ON follow_up(contact_id);
CREATE TABLE report_queue (
    contact_id TEXT PRIMARY KEY
) WITHOUT ROWID;
CREATE TABLE report_day (
    day DATE NOT NULL,
    unit_id TEXT NOT NULL,
    figure TEXT NOT NULL,
    key TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (day, unit_id, figure, key)
) WITHOUT ROWID;
CREATE TABLE report_high_need (
    day DATE NOT NULL,
    unit_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    PRIMARY KEY (day, unit_id, client_id)
) WITHOUT ROWID;
CREATE TRIGGER contact_signed_report AFTER UPDATE OF status ON contact
WHEN OLD.status = 'draft' AND NEW.status = 'signed'
BEGIN INSERT OR IGNORE INTO report_queue (contact_id) VALUES (NEW.id); END;
INSERT INTO report_queue (contact_id) SELECT id FROM contact WHERE status = 'signed';
"""

# The home screen's latest signed contacts of a worker (issue 6, bench/worklist.py): with
# 750,000 contacts of one worker in a year's store, ordering them all by signed_at took 12 s.
_V7 = """
CREATE INDEX contact_worker_signed ON contact(worker_id, signed_at) WHERE status = 'signed';
"""

# Triage a nurse can trust (issue 13): the safety-netting advice ("call back, or 112 if ...")
# shown with a suggestion and read out to the caller is kept with the assessment, in the
# words shown, so the signed contact says what the caller was told.
_V8 = """
ALTER TABLE assessment ADD COLUMN safety_net TEXT NOT NULL DEFAULT '';
"""

# Issue 14. Pulled records that could not be applied (a reference the device does not
# hold, a second client with an identity code held here, a bad value): kept aside with the
# reason, retried at every pull, shown in F6 and reported to the central API, instead of
# stopping every pull. And the access log's anchor: its count and last hash, kept in a table
# of its own, written in the same transaction as every entry, so the log's tail cannot be
# cut or re-hashed through the log table alone (number 9, after the safety-netting column of 8).
_V9 = """
CREATE TABLE sync_quarantine (
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    at TIMESTAMP NOT NULL,
    reported BOOLEAN NOT NULL DEFAULT 0,
    seen BOOLEAN NOT NULL DEFAULT 0,
    PRIMARY KEY (record_type, record_id)
);
CREATE TABLE access_log_anchor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    count INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO access_log_anchor (id, count, hash)
SELECT 1, seq, hash FROM access_log ORDER BY seq DESC LIMIT 1;
CREATE TRIGGER access_log_anchor_no_delete BEFORE DELETE ON access_log_anchor
BEGIN SELECT RAISE(ABORT, 'the access log anchor is never deleted'); END;
CREATE TRIGGER access_log_anchor_no_shrink BEFORE UPDATE ON access_log_anchor
WHEN NEW.count < OLD.count
BEGIN SELECT RAISE(ABORT, 'the access log anchor never goes back'); END;
"""

# Name search served from an index in name order (issue 18): every word of a client's name
# (folded by domain.name_search, through the SQL function NAME_WORDS_FUNCTION) beside the
# name the results are sorted by. The first 20 clients in name order whose word begins with
# what was typed are then read from the start of each word's range, never by sorting every match.
_V10 = """
CREATE TABLE client_name (
    word TEXT NOT NULL,
    last_name TEXT NOT NULL,
    first_name TEXT NOT NULL,
    client_id TEXT NOT NULL,
    PRIMARY KEY (word, last_name, first_name, client_id)
) WITHOUT ROWID;
CREATE INDEX client_name_client ON client_name(client_id, word);
CREATE TRIGGER client_name_insert AFTER INSERT ON client BEGIN
    INSERT OR IGNORE INTO client_name (word, last_name, first_name, client_id)
    SELECT value, NEW.last_name, NEW.first_name, NEW.id
    FROM json_each(ohjaus_name_words(NEW.first_name, NEW.last_name));
END;
CREATE TRIGGER client_name_delete AFTER DELETE ON client BEGIN
    DELETE FROM client_name WHERE client_id = OLD.id;
END;
CREATE TRIGGER client_name_update AFTER UPDATE OF id, first_name, last_name ON client BEGIN
    DELETE FROM client_name WHERE client_id = OLD.id;
    INSERT OR IGNORE INTO client_name (word, last_name, first_name, client_id)
    SELECT value, NEW.last_name, NEW.first_name, NEW.id
    FROM json_each(ohjaus_name_words(NEW.first_name, NEW.last_name));
END;
INSERT OR IGNORE INTO client_name (word, last_name, first_name, client_id)
SELECT words.value, client.last_name, client.first_name, client.id
FROM client, json_each(ohjaus_name_words(client.first_name, client.last_name)) AS words;
"""

MIGRATIONS: list[tuple[int, str]] = [
    (1, _V1), (2, _V2), (3, _V3), (4, _V4), (5, _V5), (6, _V6), (7, _V7), (8, _V8), (9, _V9), (10, _V10),
]
