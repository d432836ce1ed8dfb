"""The controller's own use of a client's data (`ohjaus client access-log`): a right-to-know
answer given by a data-protection officer or registry administrator, who gave it and to whom.
Append only, as the devices' access log (triggers refuse UPDATE and DELETE, and TRUNCATE on
PostgreSQL).

Revision ID: 0005_controller_log
Revises: 0004_retention
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_controller_log"
down_revision = "0004_retention"
branch_labels = None
depends_on = None

TABLE = "controller_access_event"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("item", sa.String(40), nullable=False),
        sa.Column("registers", sa.String(40), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("handled_by", sa.Text, nullable=False),
    )
    op.create_index("controller_access_event_client", TABLE, ["client_id", "at"])
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        # ohjaus_append_only() is the baseline's (0001).
        conn.exec_driver_sql(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION ohjaus_append_only()"
        )
        conn.exec_driver_sql(
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ohjaus_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END"
            )


def downgrade() -> None:
    op.drop_table(TABLE)
