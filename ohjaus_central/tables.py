"""The central store's tables (SQLAlchemy Core; the same on SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, LargeBinary, MetaData, String, Table, Text

# The database gets these tables from the Alembic revisions in central/migrations/versions
# (`ohjaus db upgrade`, central/schema.py): a change here is a new revision there, and
# tests/central/test_central_schema.py checks that the revisions make exactly these tables.
# schema_version is kept for servers from before Alembic: the last value they knew was 3
# (2: access_event, server_access_event, registers of missed appointments; 3: region_file,
# slot_source, enrolment); revision 0002 set it to 4, so such a server refuses the database.
SCHEMA_VERSION = 4
_SEQ = BigInteger().with_variant(Integer, "sqlite")

metadata = MetaData()


def _credential_table(name: str) -> Table:
    """A credential holder's table: a device's, or a phone system's (integration)."""
    return Table(
        name,
        metadata,
        Column("id", String(36), primary_key=True),
        Column("name", String(200), nullable=False),
        Column("unit_id", String(64), nullable=False),
        Column("unit_code", String(64), nullable=False),
        Column("registers", String(40), nullable=False),
        Column("token_hash", String(64), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("revoked_at", DateTime(timezone=True)),
    )


device = _credential_table("device")

change_log = Table(
    "change_log",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("record_type", String(20), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("unit_id", String(64)),  # NULL: every device of the region
    Column("register", String(10)),  # NULL: every register
    Column("data", Text, nullable=False),
    Column("device_id", String(36)),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
Index("change_log_record", change_log.c.record_type, change_log.c.record_id)

record = Table(
    "record",
    metadata,
    Column("record_type", String(20), primary_key=True),
    Column("record_id", String(64), primary_key=True),
    Column("data", Text, nullable=False),
    Column("seq", _SEQ, nullable=False),
    Column("device_id", String(36)),  # who wrote the current version
    Column("unit_id", String(64)),
    Column("register", String(10)),
    Column("parent_id", String(64)),  # contact: the version it corrects; follow-up: its contact
)
Index("record_parent", record.c.record_type, record.c.parent_id)

answer = Table(
    "answer",
    metadata,
    Column("device_id", String(36), primary_key=True),
    Column("change_id", String(36), primary_key=True),
    Column("status", String(10), nullable=False),
    Column("seq", _SEQ),
    Column("reason", String(30)),
    Column("detail", Text, nullable=False, default=""),
    Column("current", Text),
)

conflict = Table(
    "conflict",
    metadata,
    Column("id", _SEQ, primary_key=True, autoincrement=True),
    Column("record_type", String(20), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("change_id", String(36), nullable=False),
    Column("device_id", String(36), nullable=False),
    Column("reason", String(30), nullable=False),
    Column("kept", Text, nullable=False),
    Column("other", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# The devices' access logs (käyttöloki), entry by entry as each device chained them; append
# only (triggers refuse UPDATE and DELETE, db.py). `at` is the UTC text the hash was taken over.
access_event = Table(
    "access_event",
    metadata,
    Column("device_id", String(36), primary_key=True),
    Column("seq", _SEQ, primary_key=True, autoincrement=False),
    Column("id", String(36), nullable=False),
    Column("at", String(32), nullable=False),
    Column("worker_id", String(64), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("client_id", String(36)),
    Column("action", String(20), nullable=False),
    Column("item", Text, nullable=False),
    Column("sector", String(10)),
    Column("purpose", Text, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
Index("access_event_client", access_event.c.client_id, access_event.c.at)

# The server's own use of client data: a device that asked for a client's access log, given
# or refused (another unit's client). Append only, like access_event.
server_access_event = Table(
    "server_access_event",
    metadata,
    Column("id", _SEQ, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),  # UTC
    Column("device_id", String(36), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("client_id", String(36), nullable=False),
    Column("action", String(20), nullable=False),  # view | refused
    Column("item", String(40), nullable=False),
    Column("purpose", String(40), nullable=False),
)
Index("server_access_event_client", server_access_event.c.client_id, server_access_event.c.at)

# The controller's own use of a client's data: a right-to-know answer given with `ohjaus client
# access-log` (revision 0005_controller_log), by whom (`handled_by`, as the administrator gave it),
# for which registers, on what basis and to whom. Append only, like access_event.
controller_access_event = Table(
    "controller_access_event",
    metadata,
    Column("id", _SEQ, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),  # UTC
    Column("client_id", String(36), nullable=False),
    Column("action", String(20), nullable=False),  # view | export
    Column("item", String(40), nullable=False),
    Column("registers", String(40), nullable=False),  # "health,social"
    Column("purpose", Text, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("handled_by", Text, nullable=False),
)
Index("controller_access_event_client", controller_access_event.c.client_id, controller_access_event.c.at)

# Issue 14: the highest access-log anchor (count, last hash) each device has claimed, so a
# device whose log shrank or was re-hashed is found; and the pulled records each device
# could not apply (ids, reason codes; no record content).
device_log_anchor = Table(
    "device_log_anchor",
    metadata,
    Column("device_id", String(36), primary_key=True),
    Column("count", _SEQ, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

device_quarantine = Table(
    "device_quarantine",
    metadata,
    Column("device_id", String(36), primary_key=True),
    Column("seq", _SEQ, primary_key=True, autoincrement=False),
    Column("record_type", String(20), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# `ohjaus region import`: the region's own files as last imported (region.toml or its CSV
# files, services.toml), which `ohjaus region export` writes back; and each imported slot's id
# in the scheduling system (an iCalendar UID, a CSV id), which the export writes as it was.
region_file = Table(
    "region_file",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("content", LargeBinary, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

slot_source = Table(
    "slot_source",
    metadata,
    Column("slot_id", String(64), primary_key=True),
    Column("source", Text, nullable=False),
)

# `ohjaus worker add`: a worker's one-time enrolment code (only its SHA-256: the code is 60
# random bits, tried online only), used at the worker's first sign-in (POST /v1/enrol).
enrolment = Table(
    "enrolment",
    metadata,
    Column("worker_id", String(64), primary_key=True),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),  # revision 0002: the worker was removed or locked out
)

# Issue 20: a phone system's credential (`ohjaus integration add`), scoped to one unit and its
# registers, good only for POST /v1/callbacks; only a hash of it is kept, as for devices.
integration = _credential_table("integration")

# Issue 20: a client a unit no longer serves (`ohjaus client release`). The unit's devices
# remove the client at their next sync (GET /v1/released); the records stay here as they are.
# Only the server's administrator makes or lifts a release: no device route writes it.
client_release = Table(
    "client_release",
    metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("client_id", String(64), primary_key=True),
    Column("released_at", DateTime(timezone=True), nullable=False),
)

APPEND_ONLY = ("access_event", "server_access_event", "controller_access_event")

schema = Table("schema_version", metadata, Column("version", Integer, primary_key=True))
