"""Baseline: the central schema as it stood before Alembic (SCHEMA_VERSION 3 of central/tables.py).

A new database gets these tables; a database made by an older ohjaus is brought to it: one at
schema 3 is only stamped with this revision (central/schema.py), one at 1 or 2 gets the tables
it lacks (checkfirst), the register of its missed appointments and the append-only triggers, as
the code before Alembic did. The tables are a frozen copy: later changes are later revisions,
never edits here.

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""

from alembic import op
from sqlalchemy import (
    BigInteger, Column, DateTime, Index, Integer, LargeBinary, MetaData, String, Table, Text, insert, select, update,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SEQ = BigInteger().with_variant(Integer, "sqlite")

metadata = MetaData()

device = Table(
    "device",
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
)

APPEND_ONLY = ("access_event", "server_access_event")
schema = Table("schema_version", metadata, Column("version", Integer, primary_key=True))


def upgrade() -> None:
    conn = op.get_bind()
    is_postgres = conn.dialect.name == "postgresql"
    legacy = conn.dialect.has_table(conn, "schema_version")
    found = conn.execute(select(schema.c.version)).scalar() if legacy else None
    metadata.create_all(conn, checkfirst=True)
    if found is not None and found < 2:
        # Missed appointments are scoped by register since schema 2; the ones recorded
        # before carried none, and devices read them as health care's (the default).
        for table in (change_log, record):
            conn.execute(
                update(table)
                .where(table.c.record_type == "missed_appointment")
                .where(table.c.register.is_(None))
                .values(register="health")
            )
    for name in APPEND_ONLY:
        if is_postgres:
            conn.exec_driver_sql(
                "CREATE OR REPLACE FUNCTION ohjaus_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION '%% is append-only', TG_TABLE_NAME; END $$"
            )
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}_append_only ON {name}")
            conn.exec_driver_sql(
                f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {name} "
                "FOR EACH ROW EXECUTE FUNCTION ohjaus_append_only()"
            )
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}_no_truncate ON {name}")
            conn.exec_driver_sql(
                f"CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {name} "
                "FOR EACH STATEMENT EXECUTE FUNCTION ohjaus_append_only()"
            )
        else:
            for verb in ("UPDATE", "DELETE"):
                conn.exec_driver_sql(
                    f"CREATE TRIGGER IF NOT EXISTS {name}_no_{verb.lower()} BEFORE {verb} ON {name} "
                    f"BEGIN SELECT RAISE(ABORT, '{name} is append-only'); END"
                )
    if found is None:
        conn.execute(insert(schema).values(version=3))
    else:
        conn.execute(update(schema).values(version=3))


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone; restore a backup (docs/server.md)")
