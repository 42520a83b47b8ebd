"""Leaner score staging: no (run_id, chunk) index, no per-run columns.

Every staged row paid for an index entry and for parsing its run's as_of, model version and
scored_at (the same on every row); the merge reads a chunk back with one scan of a table that
holds only the runs in progress, and takes those three values from the run.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

RUN_COLUMNS = (
    ("as_of", sa.Date),
    ("model_version", sa.String(20)),
    ("scored_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.drop_index("ix_customer_scores_staging_run", table_name="customer_scores_staging")
    with op.batch_alter_table("customer_scores_staging") as batch:
        for name, _ in RUN_COLUMNS:
            batch.drop_column(name)


def downgrade() -> None:
    op.execute("DELETE FROM customer_scores_staging")  # rows of runs in progress only
    with op.batch_alter_table("customer_scores_staging") as batch:
        for name, kind in RUN_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=False))
    op.create_index(
        "ix_customer_scores_staging_run", "customer_scores_staging", ["run_id", "chunk"]
    )
