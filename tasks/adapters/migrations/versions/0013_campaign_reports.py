"""A campaign's report is stored when its outcomes (or its messages) change, and read by the
list, its page and the API without being computed again; a message edited by a person
records who edited it and when.

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign_reports",
        sa.Column("campaign_id", sa.Integer, primary_key=True),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("campaign_messages") as batch:
        batch.add_column(sa.Column("edited_by", sa.String(320)))
        batch.add_column(sa.Column("edited_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("campaign_messages") as batch:
        batch.drop_column("edited_at")
        batch.drop_column("edited_by")
    op.drop_table("campaign_reports")
