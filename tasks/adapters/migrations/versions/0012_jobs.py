"""Durable background jobs: `jobs`, one row per piece of background work (write a campaign's
messages, send it...) with its state, attempts, lease and progress; at most one queued or
running job per subject (a partial unique index).

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ACTIVE = sa.text("state IN ('queued', 'running')")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("progress", sa.JSON),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("stop_requested", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("worker", sa.String(100)),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_index(
        "uq_jobs_active_subject",
        "jobs",
        ["subject"],
        unique=True,
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )
    op.create_index("ix_jobs_state_created", "jobs", ["state", "created_at"])
    op.create_index("ix_jobs_subject_created", "jobs", ["subject", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_jobs_subject_created", "jobs")
    op.drop_index("ix_jobs_state_created", "jobs")
    op.drop_index("uq_jobs_active_subject", "jobs")
    op.drop_table("jobs")
