"""Score staging without its (run_id, chunk) index.

Every staged row paid for an index entry (most of the cost of a COPY into staging); the rows are
read back once per chunk by a scan of a table that holds only the runs in progress.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_customer_scores_staging_run", table_name="customer_scores_staging")


def downgrade() -> None:
    op.create_index(
        "ix_customer_scores_staging_run", "customer_scores_staging", ["run_id", "chunk"]
    )
