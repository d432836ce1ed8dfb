"""A worker removed or locked out on the server (`ohjaus worker remove|lock`) has any unused
enrolment code revoked: the code stops working and the row says when (enrolment.revoked_at).

schema_version goes to 4: an ohjaus from before Alembic, which reads only that table, then
refuses this database ("schema 4; this server knows 3") instead of running on it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("enrolment", sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE schema_version SET version = 4")


def downgrade() -> None:
    with op.batch_alter_table("enrolment") as batch:
        batch.drop_column("revoked_at")
    op.execute("UPDATE schema_version SET version = 3")
